"""An event file read in several processes gives what reading it whole gives, line for line.

``MIN_BYTES_PER_PART`` is lowered so that small files are split; every test here forks.
"""

from __future__ import annotations

import gc
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from commission_engine import read_events
from commission_engine.domain.errors import CommissionEngineError, Rejection
from commission_engine.domain.events import BaseEvent
from commission_engine.files import FileError
from commission_engine.files.event_files import json_line
from commission_engine.parallel import read_in_parts as split_module

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(autouse=True)
def _split_even_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split_module, "MIN_BYTES_PER_PART", 1)


def _plain(item: Any) -> tuple[Any, ...]:
    """Everything an item says, its line included, Decimals with their exponents."""
    if isinstance(item, Rejection):
        return ("rejected", item.event, item.line, item.field, item.reason)
    values = []
    # Its digest is remembered, not said: checked on its own below.
    for name in (*item.FIELDS[:2], "line", *item.FIELDS[2:]):
        value = getattr(item, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, tuple):
            value = tuple((split.rep, str(split.share)) for split in value)
        values.append((name, type(value).__name__, value))
    return (type(item).__name__, *values)


def _same_whatever_the_processes(path: Path) -> list[tuple[Any, ...]]:
    whole = [_plain(item) for item in read_events(path)]
    for processes in (2, 3, 7):
        assert [_plain(item) for item in read_events(path, processes=processes)] == whole
    return whole


@pytest.mark.parametrize("name", ["events.jsonl", "events.csv"])
def test_the_bundled_files(name: str) -> None:
    assert len(_same_whatever_the_processes(EXAMPLES / name)) == 330


@pytest.mark.parametrize("name", ["events.jsonl", "events.csv"])
def test_read_in_the_background_with_digests(name: str) -> None:
    whole = list(read_events(EXAMPLES / name))
    digests = [item.digest() for item in whole if isinstance(item, BaseEvent)]
    for processes in (2, 3, 7):
        read = list(read_events(EXAMPLES / name, processes=processes, background=True,
                                digests=True))  # fmt: skip
        assert [_plain(item) for item in read] == [_plain(item) for item in whole]
        events = [item for item in read if isinstance(item, BaseEvent)]
        assert [event.known_digest for event in events] == digests  # computed as they were read


def test_json_lines_with_every_kind_of_line(tmp_path: Path) -> None:
    lines = [
        '\ufeff{"type": "invoice", "id": "e1", "date": "2026-01-10", "invoice": "I1", '
        '"splits": [{"rep": "ana", "share": "0.60"}, {"rep": "bo", "share": "0.4"}], '
        '"amount": 110.50, "tax": "10", "due": "2026-02-01"}',
        "",
        '{"type": "payment", "id": "e2", "date": "2026-01-11", "invoice": "I1", "amount": "5"}',
        "not json",
        '{"type": "payment", "id": "e3", "amount": "1", "amount": "2"}',
        '{"type": "write_off", "id": "e4", "date": "2026-03-01", "invoice": "I1", "amount": null}',
        '{"type": "adjustment", "id": "e5", "date": "2026-03-02", "rep": "ana", "amount": "-5"}',
        '{"type": "credit_note", "id": "e6", "date": "2026-02-30", "invoice": "I1", "amount": 1}',
        "[1, 2]",
    ] * 3
    path = tmp_path / "events.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n" + b'{"id": "\xff"}\n')
    whole = _same_whatever_the_processes(path)
    assert sum(1 for item in whole if item[0] == "rejected") == 15  # BOMs inside: 2 more


def test_a_part_without_rejections_is_sent_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A child's part of events only is told so at once and sent a batch at a time.
    lines = (EXAMPLES / "events.jsonl").read_bytes().splitlines(keepends=True)
    events = [raw for at, raw in enumerate(lines, 1) if isinstance(json_line(raw, at), BaseEvent)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(events))
    monkeypatch.setattr(split_module, "BATCH", 7)
    whole = _same_whatever_the_processes(path)
    assert len(whole) == len(events) > 100
    assert not any(item[0] == "rejected" for item in whole)


def test_csv_without_quotes(tmp_path: Path) -> None:
    rows = [
        "\ufefftype,id,date,invoice,rep,splits,amount",
        "invoice,e1,2026-01-10,I1,,ana=0.5;bo=0.5,100.00",
        "",
        "payment,e2,2026-01-11,I1,,,40",
        "payment,e3,2026-01-12,I1,,,1,extra",
        "adjustment,e4,2026-01-13,,ana,,abc",
    ] + [f"payment,p{n},2026-02-01,I1,,,0.01" for n in range(40)]
    path = tmp_path / "events.csv"
    path.write_bytes("\n".join(rows).encode() + b"\npayment,x\xff,2026-02-02,I1,,,1\n")
    whole = _same_whatever_the_processes(path)
    assert whole[-1][:3] == ("rejected", "x\ufffd", 47)


def test_csv_with_a_quoted_line_break_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "type,id,date,invoice,rep,amount,reason\n"
        "invoice,e1,2026-01-10,I1,ana,100.00,\n"
        'adjustment,e2,2026-01-11,,ana,5,"spot\nbonus"\n'
        "payment,e3,2026-01-12,I1,,40,\n"
    )
    assert split_module.read_in_parts(path, 2) is None
    assert [line for *_, line in [(item, item.line) for item in read_events(path, 2)]] == [2, 3, 5]


def test_a_bad_header_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("type,id,date,colour\npayment,e1,2026-01-01,red\n")
    with pytest.raises(FileError, match="unknown column 'colour'"):
        read_events(path, processes=2)


def test_an_unreadable_row_in_a_childs_part_is_the_same_error(tmp_path: Path) -> None:
    # The oversized row comes late enough to be in the child's part, not this process's.
    rows = ["type,id,date,invoice,amount"] + [
        f"payment,p{n},2026-02-01,I1,1" for n in range(12_000)
    ]
    path = tmp_path / "events.csv"
    huge = b"x" * 200_000  # beyond the csv module's field size limit
    path.write_bytes("\n".join(rows).encode() + b"\npayment," + huge + b",2026-02-01,I1,1\n")
    with pytest.raises(FileError) as whole:
        list(read_events(path))
    with pytest.raises(FileError) as split:
        list(read_events(path, processes=2))
    assert str(split.value) == str(whole.value)
    assert "line 12002" in str(whole.value)


def test_a_failing_part_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def encode(self, events: Any) -> bytes:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(split_module, "_ENCODER", Broken())  # only children encode
    with pytest.raises(CommissionEngineError, match=r"(?s)reading a part.*failed.*disk on fire"):
        list(read_events(EXAMPLES / "events.jsonl", processes=2))


def _children_left() -> bool:
    """Whether this process has a child, running or ended but not yet reaped (Linux)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if fields[1] == me:  # the parent's pid, after the state
            return True
    return False


def test_the_parts_are_read_while_the_caller_does_something_else() -> None:
    read = read_events(EXAMPLES / "events.jsonl", processes=3)
    assert _children_left()  # forked at once, before anything is asked of them
    assert len(list(read)) == 330
    assert not _children_left()  # and reaped once read


def test_a_result_never_read_ends_its_children() -> None:
    read = read_events(EXAMPLES / "events.jsonl", processes=3)
    assert _children_left()
    del read
    gc.collect()
    assert not _children_left()
