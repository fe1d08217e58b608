"""Reading plan files and event files: values exact, every problem placed, lines counted right."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import islice
from pathlib import Path

import pytest

from commission_engine import Invoice, Rejection
from commission_engine.files import FileError, PlanFileError, read_events, read_plans


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PlanFileError) as raised:
        read_plans(path)
    return [str(problem) for problem in raised.value.problems]


# Plan files: values ----------------------------------------------------------------------

TIERED_YAML = """\
plans:
  - id: ae
    currency: USD
    level: 1
    quota: 100000
    tiers:
      - {from: 0, rate: 0.08}
      - {from: 1, rate: 0.12}
    clawback: {after_days_past_due: 060, max_recovery: 0.5}
assignments:
  - {rep: no, plan: ae, from: 2026-01-01}
"""


def test_yaml_numbers_are_read_from_their_text(tmp_path: Path) -> None:
    book = read_plans(write(tmp_path, "plans.yaml", TIERED_YAML))
    plan = book.plan("ae")
    assert plan.tiers is not None
    assert [(t.from_, t.rate) for t in plan.tiers] == [
        (Decimal(0), Decimal("0.08")),
        (Decimal(1), Decimal("0.12")),
    ]
    assert str(plan.tiers[1].rate) == "0.12"  # not 0.11999999999999999555910790149937
    assert plan.clawback.max_recovery == Decimal("0.5")


def test_yaml_plain_words_and_leading_zeros_mean_what_they_say(tmp_path: Path) -> None:
    # YAML 1.1 would read the rep "no" as false and 060 as octal 48.
    book = read_plans(write(tmp_path, "plans.yml", TIERED_YAML))
    assert book.assignments[0].rep == "no"
    assert book.plan("ae").clawback.after_days_past_due == 60


def test_json_numbers_are_read_from_their_text(tmp_path: Path) -> None:
    text = '{"plans": [{"id": "p", "currency": "JPY", "level": 2, "rate": 0.10}]}'
    plan = read_plans(write(tmp_path, "plans.json", text)).plan("p")
    assert str(plan.rate) == "0.10"
    assert plan.advance == Decimal("0.5")


def test_yaml_merge_keys_share_terms_and_may_be_overridden(tmp_path: Path) -> None:
    text = """\
plans:
  - &std {id: a, currency: USD, level: 1, rate: "0.10"}
  - <<: *std
    id: b
    rate: "0.12"
assignments:
  - {rep: ana, plan: a, from: 2026-01-01}
  - {rep: bo, plan: b, from: 2026-01-01}
"""
    book = read_plans(write(tmp_path, "plans.yaml", text))
    assert (book.plan("b").level, book.plan("b").rate) == (1, Decimal("0.12"))


# Plan files: problems, each with its key and place --------------------------------------


def test_unknown_key_names_key_line_place_and_what_is_allowed(tmp_path: Path) -> None:
    text = TIERED_YAML.replace("max_recovery: 0.5", "max_recovry: 0.5")
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "line 9, plans[0].clawback: unknown key 'max_recovry'; "
        "allowed here: on_write_off, after_days_past_due, max_recovery"
    ]


def test_bad_values_say_what_is_allowed(tmp_path: Path) -> None:
    text = TIERED_YAML.replace("level: 1", "level: 5\n    base: profit")
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "line 4, plans[0].level: 5 is not allowed: expected 0, 1, 2, 3 or 4",
        "line 5, plans[0].base: 'profit' is not allowed: expected 'revenue' or 'gross_profit'",
    ]


def test_a_missing_key_is_placed_at_its_mapping(tmp_path: Path) -> None:
    text = "plans:\n  - id: a\n    level: 0\n    rate: '0.1'\n"
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "line 2, plans[0]: key 'currency' is required here"
    ]


def test_a_missing_level_is_one_problem_not_four(tmp_path: Path) -> None:
    # Without a level, the preset terms are missing too; saying so would only be noise.
    text = "plans:\n  - {id: a, currency: USD, rate: '0.1'}\n"
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "line 2, plans[0]: key 'level' is required here"
    ]


def test_an_assignment_to_an_unknown_plan_is_placed(tmp_path: Path) -> None:
    text = TIERED_YAML.replace("plan: ae,", "plan: ea,")
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "line 11, assignments[0].plan: unknown plan 'ea'; plans are ae"
    ]


def test_rules_across_the_file_are_reported_without_a_line(tmp_path: Path) -> None:
    text = TIERED_YAML + "  - {rep: no, plan: ae, from: 2026-01-01}\n"
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "no has two assignments from 2026-01-01"
    ]


def test_a_key_written_twice_is_an_error_not_the_last_one_wins(tmp_path: Path) -> None:
    text = "plans:\n  - id: a\n    rate: '0.1'\n    rate: '0.2'\n"
    assert problems(write(tmp_path, "plans.yaml", text)) == [
        "line 4, plans[0]: key 'rate' is written twice (first on line 3)"
    ]
    json_text = '{"plans": [{"id": "a", "rate": "0.1", "rate": "0.2"}]}'
    assert problems(write(tmp_path, "plans.json", json_text)) == [
        "plans[0]: key 'rate' is written twice"
    ]


def test_json_problems_name_the_key_path(tmp_path: Path) -> None:
    text = json.dumps(
        {"plans": [{"id": "a", "currency": "USD", "level": 1, "rate": "0.1", "clawback": {"x": 1}}]}
    )
    assert problems(write(tmp_path, "plans.json", text)) == [
        "plans[0].clawback: unknown key 'x'; "
        "allowed here: on_write_off, after_days_past_due, max_recovery"
    ]


def test_a_float_is_never_taken_for_money(tmp_path: Path) -> None:
    # An explicit YAML float tag still yields Decimal; the text "0.1" is one tenth exactly.
    text = "plans:\n  - {id: a, currency: USD, level: 0, rate: !!float 0.1}\n"
    assert read_plans(write(tmp_path, "plans.yaml", text)).plan("a").rate == Decimal("0.1")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("plans.yaml", "plans:\n  - id: a\n    rate: [1\n", "line 4: not valid YAML: expected ','"),
        ("plans.json", '{"plans": [}', "line 1: not valid JSON: Expecting value (column 12)"),
        ("plans.yaml", "", "the file is empty; it needs a 'plans' list"),
        ("plans.yaml", "- a\n- b\n", "a list is not allowed here: expected a mapping of plans"),
        ("plans.yaml", "plans: !!set {a}\n", "line 1, plans: unsupported tag"),
    ],
)
def test_unreadable_plan_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    (problem,) = problems(write(tmp_path, name, text))
    assert problem.startswith(expected)


def test_plan_file_kind_and_presence(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"must end in \.yaml, \.yml, \.json .* got '\.toml'"):
        read_plans(write(tmp_path, "plans.toml", ""))
    with pytest.raises(FileError, match=r"cannot read plan file .*: No such file or directory"):
        read_plans(tmp_path / "absent.yaml")


# Event files -----------------------------------------------------------------------------

PAY = {"type": "payment", "date": "2026-01-20", "invoice": "I1", "amount": "10.00"}


def events(path: Path) -> list[Invoice | Rejection | object]:
    return list(read_events(path))


def lines_and_ids(path: Path) -> list[tuple[int | None, str | None]]:
    return [
        (item.line, item.event if isinstance(item, Rejection) else getattr(item, "id", None))
        for item in read_events(path)
    ]


def test_jsonl_lines_are_physical_lines_and_blank_lines_count(tmp_path: Path) -> None:
    text = "\n".join([json.dumps({**PAY, "id": "p1"}), "", "   ", json.dumps({**PAY, "id": "p4"})])
    assert lines_and_ids(write(tmp_path, "e.jsonl", text + "\n")) == [(1, "p1"), (4, "p4")]


def test_jsonl_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    text = "\ufeff" + json.dumps({**PAY, "id": "p1", "invoice": "Café"}) + "\n"
    (payment,) = events(write(tmp_path, "e.jsonl", text))
    assert getattr(payment, "invoice", None) == "Café"


def test_jsonl_reads_amounts_as_decimal_and_null_as_absent(tmp_path: Path) -> None:
    text = '{"type": "invoice", "id": "i1", "date": "2026-01-10", "invoice": "I1", "rep": "a",'
    text += ' "amount": 110.10, "tax": 10.10, "due": null}\n'
    (invoice,) = events(write(tmp_path, "e.jsonl", text))
    assert isinstance(invoice, Invoice)
    assert (str(invoice.amount), str(invoice.tax), invoice.due) == ("110.10", "10.10", None)


def test_jsonl_splits_are_a_list_of_rep_and_share(tmp_path: Path) -> None:
    record = {
        "type": "invoice", "id": "i1", "date": "2026-01-10", "invoice": "I1", "amount": "100",
        "splits": [{"rep": "ana", "share": "0.6"}, {"rep": "bo", "share": "0.4"}],
    }  # fmt: skip
    (invoice,) = events(write(tmp_path, "e.jsonl", json.dumps(record) + "\n"))
    assert isinstance(invoice, Invoice)
    assert invoice.shares() == (("ana", Decimal("0.6")), ("bo", Decimal("0.4")))


def test_unreadable_jsonl_lines_are_rejections_not_crashes(tmp_path: Path) -> None:
    raw = b"\n".join(
        [
            '{"id": "p1", "type": "payment", "invoice": "Café", "amount": '.encode(),  # cut off
            b'["not", "an", "object"]',
            b'{"id": "p3", "type": "payment", "amount": "1", "amount": "100"}',
            b'{"id": "p4", "type": "payment", "invoice": "Caf\xe9"}',
        ]
    )
    rejected = events(write(tmp_path, "e.jsonl", raw + b"\n"))
    assert [(r.line, r.event, r.field, r.reason) for r in rejected] == [  # type: ignore[attr-defined]
        (1, "p1", None, "not valid JSON: Expecting value (at end of line)"),
        (2, None, None, "not a JSON object ({...})"),
        (3, "p3", "amount", "'amount' is written twice"),
        (4, "p4", None, "not UTF-8 text: invalid continuation byte"),
    ]


CSV = """\
type,id,date,invoice,rep,splits,amount,tax,reason
invoice,i1,2026-01-10,I1,,ana=0.6;bo=0.4,110.00,10.00,
payment,p1,2026-01-20,I1,,,55.00,,

adjustment,a1,2026-01-31,,ana,,-5.00,,"two-line
reason"
payment,p2,2026-01-20,I1,,,1;0,,
"""


def test_csv_header_is_line_1_and_a_row_is_reported_at_its_first_line(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", CSV)
    assert lines_and_ids(path) == [(2, "i1"), (3, "p1"), (5, "a1"), (7, "p2")]
    rejected = events(path)[-1]
    assert isinstance(rejected, Rejection)
    assert rejected.message == "line 7: event p2, field amount: '1;0' is not a number"


def test_csv_empty_cells_are_absent_and_splits_read_as_text(tmp_path: Path) -> None:
    invoice, payment, adjustment, _ = events(write(tmp_path, "e.csv", CSV))
    assert isinstance(invoice, Invoice)
    assert invoice.shares() == (("ana", Decimal("0.6")), ("bo", Decimal("0.4")))
    assert getattr(adjustment, "reason", None) == "two-line\nreason"
    assert getattr(payment, "amount", None) == Decimal("55.00")


def test_csv_cells_lose_surrounding_spaces_and_a_byte_order_mark(tmp_path: Path) -> None:
    text = "\ufefftype,id,date,invoice,amount\npayment, p1 ,2026-01-20, I1 , 5.00 \n"
    (payment,) = events(write(tmp_path, "e.csv", text))
    assert (getattr(payment, "id", None), getattr(payment, "invoice", None)) == ("p1", "I1")


def test_unreadable_csv_rows_are_rejections(tmp_path: Path) -> None:
    raw = b"type,id,date,invoice,amount\n"
    raw += b"payment,p1,2026-01-20,I1,5.00,oops\n"
    raw += b"payment,p2,2026-01-20,Caf\xe9,5.00\n"
    assert [(r.line, r.event, r.reason) for r in events(write(tmp_path, "e.csv", raw))] == [  # type: ignore[attr-defined]
        (2, "p1", "the row has 6 cells but the header names 5 columns"),
        (3, "p2", "not UTF-8 text"),
    ]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (
            "type,id,date,amout",
            "unknown column 'amout'; columns are type, id, date, invoice, rep, splits, amount, "
            "tax, cost, currency, due, customer, reason",
        ),
        ("type,id,amount", "column 'date' is missing"),
        ("type,id,date,rep,rep", "column 'rep' appears twice"),
        ("", "it is blank; the first line must name the columns"),
    ],
)
def test_a_bad_csv_header_stops_before_any_event(tmp_path: Path, header: str, problem: str) -> None:
    path = write(tmp_path, "e.csv", header + "\npayment,p1,2026-01-20\n")
    with pytest.raises(FileError) as raised:
        read_events(path)
    assert str(raised.value).startswith(f"{path}, line 1 (the header): {problem}")


def test_an_empty_event_file_has_no_events(tmp_path: Path) -> None:
    assert events(write(tmp_path, "e.csv", "")) == []
    assert events(write(tmp_path, "e.jsonl", "")) == []


def test_event_file_kind_and_presence(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"must end in \.jsonl, \.ndjson, \.csv .* got '\.json'"):
        read_events(write(tmp_path, "e.json", "[]"))
    with pytest.raises(FileError, match=r"cannot read event file .*: No such file or directory"):
        read_events(tmp_path / "absent.csv")


@pytest.mark.parametrize("name", ["e.jsonl", "e.csv"])
def test_event_files_are_streamed_not_read_whole(tmp_path: Path, name: str) -> None:
    # Lines appended after the first event was read are still seen: the reader has not
    # slurped the file (10,000 lines is far beyond any read buffer).
    def line(n: int) -> str:
        if name.endswith(".csv"):
            return f"payment,p{n},2026-01-20,I1,1.00\n"
        return json.dumps({**PAY, "id": f"p{n}"}) + "\n"

    header = "type,id,date,invoice,amount\n" if name.endswith(".csv") else ""
    path = write(tmp_path, name, header + "".join(line(n) for n in range(10_000)))
    stream = read_events(path)
    assert [getattr(event, "id", None) for event in islice(stream, 1)] == ["p0"]
    with path.open("a", encoding="utf-8") as more:
        more.write(line(10_000))
    assert [getattr(event, "id", None) for event in stream][-1] == "p10000"
