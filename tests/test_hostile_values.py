"""Issue 15, items 2 and 10: values out of range or written oddly are rejected, never a crash."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hostile import CSV_HEADER, CSV_INVOICE, INVOICE, files, run

from commission_engine import Plan, PlanBook, compute
from commission_engine.domain.errors import CommissionEngineError
from commission_engine.files import read_events
from commission_engine.files.event_files import json_line
from commission_engine.files.fast_json import plain_event


def adjustment(**fields: object) -> str:
    record = {"type": "adjustment", "id": "a1", "date": "2026-01-20", "rep": "ana"}
    record.update(fields)
    return json.dumps(record, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (adjustment(amount="9" * 50), "amount", "out of range: numbers must be below 10^15"),
        (adjustment(amount="1e400"), "amount", "out of range"),
        (adjustment(amount="1000000000000000"), "amount", "out of range"),
        (adjustment(amount="-1e15"), "amount", "out of range"),
        (
            '{"type": "adjustment", "id": "a1", "date": "2026-01-20", "rep": "ana", '
            '"amount": 1E+999999999}\n',
            "amount",
            "out of range",
        ),
        (adjustment(amount="5", date="0001-01-01"), "date", "dates go from 1900-01-01"),
        (adjustment(amount="5", date="9999-12-31"), "date", "to 2199-12-31"),
        (adjustment(amount="١٢٣"), "amount", "not a number (only the digits 0-9"),
        (adjustment(amount="\uff11\uff12"), "amount", "not a number"),
        (adjustment(amount="1_000"), "amount", "not a number (only the digits 0-9"),
        (adjustment(amount="NaN"), "amount", "not a number"),
        (adjustment(amount="Infinity"), "amount", "not a number"),
        (adjustment(amount=True), "amount", "expected a number, got true"),
    ],
)
def test_a_value_out_of_range_or_oddly_written_is_a_rejection(
    tmp_path: Path, line: str, field: str, reason: str
) -> None:
    plans, events = files(tmp_path, INVOICE + line)
    strict = run("payouts", plans, events)
    assert strict.status == 1 and strict.out == ""
    assert f"line 2: event a1, field {field}: " in strict.err and reason in strict.err
    lenient = run("payouts", plans, events, "--lenient", "--format", "json")
    assert lenient.status == 0
    document = json.loads(lenient.out)
    assert [(r["line"], r["field"]) for r in document["rejected"]] == [(2, field)]
    assert reason in document["rejected"][0]["reason"]
    assert document["statements"][0]["payout"] == "50.00"


def test_the_fast_path_never_takes_what_the_usual_path_rejects() -> None:
    for text in ("1_000", "١٢٣", "\uff11\uff12", "\\u0661", "1e400", "9" * 20):
        raw = adjustment(amount=text).replace("\\\\u", "\\u").encode()
        assert plain_event(raw, 2) is None, text
        assert json_line(raw, 2).__class__.__name__ == "Rejection", text
    for day in ("0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"):
        assert plain_event(adjustment(amount="5", date=day).encode(), 2) is None
    # Underscores and letters beyond ASCII elsewhere on the line keep it on the fast path.
    fine = adjustment(amount="5", id="a_1", rep="José", reason="per_diem")
    assert plain_event(fine.encode(), 2) is not None


def test_the_same_values_in_csv_are_rejected_too(tmp_path: Path) -> None:
    rows = "".join(
        f"adjustment,a{n},2026-01-20,,ana,{amount},\n"
        for n, amount in enumerate(["1_000", "١٢٣", "1e400", "99999999999999999999"])
    )
    plans, events = files(tmp_path, CSV_HEADER + CSV_INVOICE + rows, "events.csv")
    result = run("payouts", plans, events, "--lenient", "--format", "json")
    assert result.status == 0
    assert [r["line"] for r in json.loads(result.out)["rejected"]] == [3, 4, 5, 6]


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_json_line_nested_deep_is_a_rejection(tmp_path: Path, depth: int) -> None:
    for nested in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        plans, events = files(tmp_path, INVOICE + nested + "\n")
        result = run("payouts", plans, events, "--lenient", "--format", "json")
        assert result.status == 0, result.err
        rejected = json.loads(result.out)["rejected"]
        assert [r["line"] for r in rejected] == [2]


def test_a_json_integer_of_thousands_of_digits_is_a_rejection(tmp_path: Path) -> None:
    line = INVOICE.replace('"1000.00"', "9" * 5000)
    plans, events = files(tmp_path, line)
    result = run("payouts", plans, events)
    assert result.status == 1 and "line 1: event e1: " in result.err


@pytest.mark.parametrize("through", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_through_out_of_range_is_bad_usage(tmp_path: Path, through: str) -> None:
    plans, events = files(tmp_path, INVOICE)
    result = run("payouts", plans, events, "--through", through)
    assert result.status == 2 and "dates go from 1900-01-01 to 2199-12-31" in result.err
    assert (
        run("close", plans, events, "--period", "9999-12", "--ledger", tmp_path / "l").status == 2
    )
    assert not (tmp_path / "l").exists()


def test_compute_through_out_of_range_is_api_misuse() -> None:
    book = PlanBook(plans=[Plan(id="p", currency="USD", level=2, rate="0.1")])
    with pytest.raises(CommissionEngineError, match="dates go from"):
        compute(book, [], through=dt.date(9999, 12, 31))


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        (
            "payment_terms_days: 3000000",
            "payment_terms_days: 3000000 is out of range: it must be at most 3650",
        ),
        ("rate: 1e999999", "rate: 1E+999999 is out of range: numbers must be below 10^15"),
        ("rate: 11", "rate: 11 is out of range: it must be at most 10"),
        ("level: true", "level: expected a number, got true"),
        ("payment_terms_days: true", "payment_terms_days: expected a number, got true"),
        ("clawback: {after_days_past_due: 99999}", "after_days_past_due: 99999 is out of range"),
        ("quota: 1e20", "quota: 1E+20 is out of range"),
        ("rate: '1_0'", "rate: '1_0' is not a number"),
    ],
)
def test_a_plan_value_out_of_range_is_a_plan_file_error(
    tmp_path: Path, term: str, problem: str
) -> None:
    plan = "plans:\n  - id: std\n    currency: USD\n    level: 2\n    rate: '0.10'\n"
    key = term.split(":")[0]
    plan = plan.replace("    rate: '0.10'\n", "") if key in ("rate", "quota") else plan
    if key == "level":
        plan = plan.replace("    level: 2\n", "")
    plan += f"    {term}\n"
    plans, events = files(tmp_path, INVOICE, plan=plan)
    result = run("payouts", plans, events)
    assert result.status == 2, result.err
    assert problem in result.err


def test_an_assignment_dated_out_of_range_is_a_plan_file_error(tmp_path: Path) -> None:
    plan = (
        "plans:\n  - {id: std, currency: USD, level: 2, rate: '0.10'}\n"
        "assignments:\n  - {rep: '*', plan: std, from: '0001-01-01'}\n"
    )
    plans, events = files(tmp_path, INVOICE, plan=plan)
    result = run("payouts", plans, events)
    assert result.status == 2 and "line 4, assignments[0].from: " in result.err
    assert "dates go from 1900-01-01" in result.err


def test_read_events_flags_every_bad_value_with_its_line(tmp_path: Path) -> None:
    lines = [INVOICE, adjustment(amount="1_000"), adjustment(amount="5", id="a2")]
    _, events = files(tmp_path, "".join(lines))
    read = list(read_events(events))
    assert [type(item).__name__ for item in read] == ["Invoice", "Rejection", "Adjustment"]
