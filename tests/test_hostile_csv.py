"""Issue 15, items 1 and 10: a broken CSV row is rejected at its line; the rows after it read."""

from __future__ import annotations

import json
from pathlib import Path

from hostile import CSV_HEADER, CSV_INVOICE, files, run

from commission_engine import read_events
from commission_engine.domain.errors import Rejection
from commission_engine.files.event_files import MAX_ROW_LINES

ROWS = "".join(f"adjustment,a{n},2026-01-20,,ana,10.00,ok\n" for n in range(1_000))


def lenient(tmp_path: Path, text: str) -> dict[str, object]:
    plans, events = files(tmp_path, CSV_HEADER + CSV_INVOICE + text, "events.csv")
    strict = run("payouts", plans, events)
    assert strict.status == 1 and strict.out == ""
    result = run("payouts", plans, events, "--lenient", "--format", "json")
    assert result.status == 0, result.err
    document: dict[str, object] = json.loads(result.out)
    return document


def test_an_unclosed_quote_does_not_swallow_the_rows_after_it(tmp_path: Path) -> None:
    document = lenient(tmp_path, 'adjustment,x1,2026-01-16,,ana,5.00,"oops\n' + ROWS)
    assert document["rejected"] == [
        {
            "line": 3,
            "event": "x1",
            "field": None,
            "reason": f"a quoted cell is still open after {MAX_ROW_LINES} lines (a closing "
            "quote missing?); the lines after this one are read as rows",
        }
    ]
    statements = document["statements"]
    assert isinstance(statements, list)
    assert statements[0]["payout"] == "10050.00"  # 50.00 advanced, and 1,000 x 10.00


def test_an_unclosed_quote_to_the_end_of_the_file_is_rejected(tmp_path: Path) -> None:
    text = (
        ROWS[:400]
        + 'adjustment,x1,2026-01-16,,ana,5.00,"oops\nadjustment,x2,2026-01-16,,ana,5.00,ok\n'
    )
    document = lenient(tmp_path, text)
    rejected = document["rejected"]
    assert isinstance(rejected, list) and len(rejected) == 1
    assert rejected[0]["event"] == "x1"
    assert "not closed before the end of the file" in rejected[0]["reason"]
    statements = document["statements"]
    assert isinstance(statements, list)
    count = ROWS[:400].count("\n")
    assert statements[0]["payout"] == f"{50 + 10 * count + 5}.00"  # x2 is read


def test_a_last_line_cut_off_is_rejected(tmp_path: Path) -> None:
    document = lenient(tmp_path, "adjustment,x1,2026-01-16,,ana,10")
    assert document["rejected"] == [
        {
            "line": 3,
            "event": "x1",
            "field": None,
            "reason": "the last line has no line end: the file may have been cut off here",
        }
    ]


def test_a_bare_carriage_return_is_a_rejection_not_an_abort(tmp_path: Path) -> None:
    document = lenient(
        tmp_path,
        "adjustment,x1,2026-01-16,,ana,5.00,a\rb\nadjustment,x2,2026-01-16,,ana,5.00,ok\n",
    )
    assert document["rejected"] == [
        {
            "line": 3,
            "event": "x1",
            "field": None,
            "reason": "a carriage return (CR) inside a cell that is not quoted",
        }
    ]


def test_quoted_cells_over_lines_still_read(tmp_path: Path) -> None:
    text = 'adjustment,x1,2026-01-16,,ana,5.00,"two\nlines, ""quoted"""\n'
    text += "adjustment,x2,2026-01-17,,ana,5.00,ok\n"
    _, events = files(tmp_path, CSV_HEADER + CSV_INVOICE + text, "events.csv")
    read = list(read_events(events))
    assert [(item.id, item.line) for item in read if not isinstance(item, Rejection)] == [
        ("e1", 2),
        ("x1", 3),
        ("x2", 5),
    ]
    assert getattr(read[1], "reason", None) == 'two\nlines, "quoted"'


def test_every_line_is_applied_or_rejected_around_broken_rows(tmp_path: Path) -> None:
    broken = [
        'adjustment,b1,2026-01-16,,ana,5.00,"open\n',
        "adjustment,b2,2026-01-16,,ana,5.00,a\rb\n",
    ]
    lines = [f"adjustment,g{n},2026-01-20,,ana,1.00,\n" for n in range(30)]
    lines[5:5] = broken[1:]
    lines[20:20] = broken[:1]
    _, events = files(tmp_path, CSV_HEADER + "".join(lines), "events.csv")
    read = list(read_events(events))
    rejected = [item.line for item in read if isinstance(item, Rejection)]
    assert rejected == [7, 22]
    # the quote left open on line 22 runs to the end; the lines after it are read again
    assert len(read) == len(lines)


def test_a_file_read_in_parts_rejects_a_last_line_cut_off_too(tmp_path: Path) -> None:
    rows = "".join(f"payment,p{n},2026-02-01,I1,,1.00,\n" for n in range(200_000))
    path = tmp_path / "events.csv"
    path.write_text(CSV_HEADER + CSV_INVOICE + rows + "payment,cut,2026-02-01,I1,,1")
    whole = [item for item in read_events(path) if isinstance(item, Rejection)]
    split = [item for item in read_events(path, processes=2) if isinstance(item, Rejection)]
    assert whole == split and [r.event for r in whole] == ["cut"]
