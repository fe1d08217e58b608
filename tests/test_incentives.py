"""SEMANTICS.md section 11: cash with order, late payment, collection bonuses, quarterly quotas
rolling through the year, draws and disputes. Golden scenarios written from the spec's words,
then the properties of sections 3 and 9 with the new terms."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenario import Stream, book, line_amounts, run, statement, table
from strategies import PROPERTY, assert_no_commission_created_or_lost, incentive_cases

from commission_engine import EngineState, PlanBook, compute
from commission_engine.files.errors import PlanFileError
from commission_engine.files.plan_files import read_plans

# 11.1 Cash with order ------------------------------------------------------------------------


def test_cash_with_order_is_paid_on_qualifying_cash_and_lowered_by_a_reversal() -> None:
    plans = book(3, incentives={"cash_with_order": {"rate": "0.01", "within_days": 0}})
    stream = (
        Stream()
        .invoice("2026-01-10", "I1", "1000.00")
        .pay("2026-01-10", "I1", "400.00")  # with the order: 1% of 400
        .pay("2026-02-15", "I1", "600.00")  # later: no reward
        .reverse("2026-03-01", "I1", "200.00")  # q = 400 - 200 * 400/1000 = 320
    )
    result = run(plans, stream)
    assert line_amounts(result) == [
        ("release", "40.00"),
        ("cash_with_order", "4.00"),
        ("release", "60.00"),
        ("payment_reversal", "-20.00"),
        ("cash_with_order", "-0.80"),
    ]
    cash = [line for line in result.lines if line.kind == "cash_with_order"]
    assert [(line.event, line.invoice) for line in cash] == [("e002", "I1"), ("e004", "I1")]
    # Not part of held or forfeited: the invoice's targets are those of section 3 alone.
    (position,) = result.state().invoices[0].positions
    assert (position.payable, position.held, position.forfeited) == (
        Decimal("80.00"), Decimal("20.00"), Decimal("0.00"),
    )  # fmt: skip


# 11.2 Late payment ---------------------------------------------------------------------------

LATE = {"late_payment": [{"after_days": 30, "factor": "0.75"}, {"after_days": 90, "factor": "0"}]}


def _late_stream() -> Stream:
    return (
        Stream()
        .invoice("2026-01-01", "I1", "1000.00", due="2026-01-31")
        .pay("2026-02-10", "I1", "500.00")  # 10 days late: factor 1
        .pay("2026-03-05", "I1", "300.00")  # 33 days late: 0.75
        .pay("2026-05-05", "I1", "200.00")  # 94 days late: 0
    )


def test_late_payment_scales_released_commission_and_forfeits_the_rest() -> None:
    result = run(book(3, incentives=LATE), _late_stream())
    assert line_amounts(result) == [("release", "50.00"), ("release", "22.50")]
    (position,) = result.state().invoices[0].positions
    # payable 0.1 * (500 + 0.75*300 + 0*200); forfeited 0.1 * (0.25*300 + 200)
    assert (position.payable, position.held, position.forfeited) == (
        Decimal("72.50"), Decimal("0.00"), Decimal("27.50"),
    )  # fmt: skip


def test_late_payment_scales_only_the_held_share_at_l2() -> None:
    stream = Stream().invoice("2026-01-01", "I1", "1000.00", due="2026-01-31")
    stream.pay("2026-03-05", "I1", "300.00")  # 33 days late, before the 90-day clawback
    result = run(book(2, incentives=LATE), stream)
    # advance 0.5 * 100; release 0.1 * 0.5 * 0.75 * 300; forfeited 0.1 * 0.5 * 0.25 * 300
    assert line_amounts(result) == [("advance", "50.00"), ("release", "11.25")]
    (position,) = result.state().invoices[0].positions
    assert position.forfeited == Decimal("3.75")


def test_late_payment_scales_each_payments_commission_at_l4() -> None:
    result = run(book(4, incentives=LATE), _late_stream())
    assert line_amounts(result) == [("collection", "50.00"), ("collection", "22.50")]


# 11.3 Collection bonus -----------------------------------------------------------------------


def test_dso_bonus_pays_the_first_tier_that_holds_and_explains_its_measure() -> None:
    bonus = {
        "period": "quarter",
        "measure": "dso",
        "tiers": [{"at_most": 30, "amount": "1000"}, {"at_most": 45, "amount": "400"}],
    }
    stream = (
        Stream()
        .invoice("2026-01-10", "I1", "9000.00")
        .invoice("2026-02-10", "I2", "6000.00")
        .invoice("2026-03-20", "I3", "3000.00")
        .pay("2026-02-01", "I1", "9000.00")
        .pay("2026-03-15", "I2", "6000.00")
        .invoice("2026-04-10", "I4", "3000.00")
    )
    result = run(book(0, incentives={"collection_bonus": bonus}), stream, through="2026-06-30")
    bonuses = [line for line in result.lines if line.kind == "collection_bonus"]
    # Q1: open 3,000 at March 31, sales 18,000, 90 days: DSO 15, at most 30.
    # Q2: open 6,000, sales 3,000, 91 days: DSO 182, no tier holds: no bonus.
    assert [(str(b.date), str(b.amount), b.event, b.detail) for b in bonuses] == [
        (
            "2026-03-31",
            "1000.00",
            None,
            "2026-Q1: DSO 15.00 days (open 3000.00 / sales 18000.00 x 90 days)",
        )
    ]
    assert statement(result, "2026-03").gross == Decimal("300.00") + Decimal("1000.00")


def test_share_current_bonus_and_no_sales_no_bonus() -> None:
    bonus = {
        "period": "month",
        "measure": "current",
        "tiers": [{"at_least": "0.9", "amount": "500"}, {"at_least": "0.5", "amount": "100"}],
    }
    stream = (
        Stream()
        .invoice("2026-01-02", "I1", "1000.00", due="2026-01-15")  # past due at Jan 31
        .invoice("2026-01-05", "I2", "1000.00")  # due Feb 4: current
    )
    result = run(book(3, incentives={"collection_bonus": bonus}), stream, through="2026-02-28")
    bonuses = [(str(x.date), str(x.amount), x.detail) for x in result.lines]
    assert bonuses == [
        ("2026-01-31", "100.00", "2026-01: 50.00% current (1000.00 of 2000.00 open not past due)")
    ]  # February: no sales, no bonus


# 11.4 Quarterly quota rolling through the year ----------------------------------------------


@pytest.mark.parametrize(
    ("quota_period", "second_quarter"), [("quarter", "16000.00"), ("quarter_ytd", "15600.00")]
)
def test_quarter_ytd_measures_the_quarterly_quota_year_to_date(
    quota_period: str, second_quarter: str
) -> None:
    tiers = [{"from": "0", "rate": "0.10"}, {"from": "1", "rate": "0.12"}]
    plans = book(0, rate=None, quota="100000", tiers=tiers, quota_period=quota_period)
    stream = Stream().invoice("2026-02-01", "I1", "80000.00").invoice("2026-05-01", "I2", "150000")
    result = run(plans, stream)
    # quarter_ytd: Q2's thresholds are 200,000 year to date; 80,000 + 150,000 crosses it at
    # 120,000 of the new credit: 12,000 + 30,000 x 12%. A plain quarter starts Q2 at zero.
    assert line_amounts(result) == [("advance", "8000.00"), ("advance", second_quarter)]


# 11.5 Draw -----------------------------------------------------------------------------------


@pytest.mark.parametrize("recoverable", [True, False])
def test_draw_tops_the_payout_up_and_a_recoverable_one_becomes_debt(recoverable: bool) -> None:
    plans = book(0, draw={"amount": "500", "recoverable": recoverable})
    stream = Stream().invoice("2026-01-10", "I1", "2000.00").invoice("2026-02-10", "I2", "10000")
    result = run(plans, stream, through="2026-03-31")
    if recoverable:
        assert table(result) == [
            ("2026-01", "200.00", "0.00", "500.00", "300.00"),
            ("2026-02", "1000.00", "300.00", "700.00", "0.00"),
            ("2026-03", "0.00", "0.00", "500.00", "500.00"),
        ]
    else:
        assert table(result) == [
            ("2026-01", "200.00", "0.00", "500.00", "0.00"),
            ("2026-02", "1000.00", "0.00", "1000.00", "0.00"),
            ("2026-03", "0.00", "0.00", "500.00", "0.00"),
        ]
    draws = [(str(s.draw), s.draw_recoverable) for s in result.statements]
    assert draws == [("300.00", recoverable), ("0.00", False), ("500.00", recoverable)]


# 11.6 Disputes -------------------------------------------------------------------------------


def _l1() -> PlanBook:
    return book(1, clawback={"after_days_past_due": 30})


def test_a_dispute_pauses_the_past_due_clock() -> None:
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .dispute("2026-02-10", "I1")
        .resolve("2026-02-20", "I1")  # ten days paused: the clawback moves from Mar 2 to Mar 12
        .pay("2026-04-20", "I1", "2000.00")
    )
    result = run(_l1(), stream)
    assert [(str(x.date), x.kind, str(x.amount)) for x in result.lines] == [
        ("2026-01-05", "advance", "200.00"),
        ("2026-03-12", "past_due", "-200.00"),
        ("2026-04-20", "reinstatement", "200.00"),
    ]


def test_a_dispute_on_the_clawback_day_stops_it_until_resolved() -> None:
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .dispute("2026-03-02", "I1")  # would have been the clawback day
        .pay("2026-03-02", "I1", "100.00")  # same day: the dispute ranks before it
    )
    assert [x.kind for x in run(_l1(), stream, through="2026-03-31").lines] == ["advance"]
    stream.resolve("2026-04-01", "I1")  # 30 days paused: the count reaches 30 again that day
    lines = run(_l1(), stream, through="2026-04-30").lines
    assert [(str(x.date), x.kind, str(x.amount)) for x in lines][-1] == (
        "2026-04-01", "past_due", "-190.00",
    )  # fmt: skip


def test_a_dispute_after_the_clawback_changes_nothing() -> None:
    stream = Stream().invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
    before = run(_l1(), stream, through="2026-04-30")
    stream.dispute("2026-03-05", "I1").resolve("2026-03-25", "I1")
    assert run(_l1(), stream, through="2026-04-30").statements == before.statements


def test_disputes_are_rejected_with_reasons() -> None:
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "100.00")
        .dispute("2026-01-06", "I9")
        .resolve("2026-01-06", "I1")
        .dispute("2026-01-07", "I1")
        .dispute("2026-01-08", "I1")
    )
    result = run(_l1(), stream)
    assert [(r.event, r.field, r.reason) for r in result.rejected] == [
        ("e002", "invoice", "unknown invoice I9"),
        ("e003", "invoice", "invoice I1 has no open dispute to resolve"),
        ("e005", "invoice", "invoice I1 is already in dispute since 2026-01-07"),
    ]


def test_disputes_read_from_csv_and_json_lines(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(
        "type,id,date,invoice,rep,amount,reason\n"
        "invoice,e1,2026-01-05,I1,ana,100.00,\n"
        "dispute,e2,2026-01-06,I1,,,wrong price\n"
        "dispute_resolved,e3,2026-01-09,I1,,,\n"
    )
    (tmp_path / "e.jsonl").write_text(
        '{"type": "invoice", "id": "e1", "date": "2026-01-05", "invoice": "I1", "rep": "ana",'
        ' "amount": "100.00"}\n'
        '{"type": "dispute", "id": "e2", "date": "2026-01-06", "invoice": "I1",'
        ' "reason": "wrong price"}\n'
        '{"type": "dispute_resolved", "id": "e3", "date": "2026-01-09", "invoice": "I1"}\n'
    )
    from commission_engine.files.event_files import read_events

    csv_events = list(read_events(tmp_path / "e.csv"))
    json_events = list(read_events(tmp_path / "e.jsonl"))
    assert [type(e).__name__ for e in csv_events] == ["Invoice", "Dispute", "DisputeResolved"]
    assert [e.digest() for e in csv_events] == [e.digest() for e in json_events]  # type: ignore[union-attr]


# Plan files ----------------------------------------------------------------------------------


def test_plan_files_name_the_key_path_and_line_of_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "plans.yaml"
    path.write_text(
        "plans:\n"
        "  - id: p\n"
        "    currency: USD\n"
        "    level: 3\n"
        '    rate: "0.1"\n'
        "    incentives:\n"
        "      late_payment:\n"
        "        - {after_days: 30, factor: '1.5'}\n"
        "      collection_bonus:\n"
        "        period: quarter\n"
        "        measure: current\n"
        "        tiers:\n"
        "          - {at_most: 30, amount: '100'}\n"
    )
    with pytest.raises(PlanFileError) as error:
        read_plans(path)
    text = str(error.value)
    assert "line 8" in text and "plans[0].incentives.late_payment[0].factor" in text
    assert "at most 1" in text
    assert "line 13" in text and "plans[0].incentives.collection_bonus.tiers[0].at_most" in text
    assert "a current tier takes at_least, not at_most" in text


@pytest.mark.parametrize(
    ("terms", "where", "reason"),
    [
        (
            {"incentives": {"late_payment": [{"after_days": 60, "factor": "0.5"},
                                             {"after_days": 30, "factor": "0"}]}},
            "plans[0].incentives.late_payment[1].after_days",
            "after_days must be strictly increasing, got 60 then 30",
        ),
        (
            {"incentives": {"collection_bonus": {"period": "month", "measure": "dso", "tiers": [
                {"at_most": 45, "amount": "400"}, {"at_most": 30, "amount": "1000"}]}}},
            "plans[0].incentives.collection_bonus.tiers[1].at_most",
            "tiers out of order",
        ),
        (
            {"draw": {"amount": "100.005", "recoverable": True}},
            "plans[0].draw.amount",
            "100.005 is not a whole number of USD minor units",
        ),
    ],
)  # fmt: skip
def test_plan_file_errors_of_section_11(
    tmp_path: Path, terms: dict[str, Any], where: str, reason: str
) -> None:
    import json

    plan = {"id": "p", "currency": "USD", "level": 3, "rate": "0.1", **terms}
    path = tmp_path / "plans.json"
    path.write_text(json.dumps({"plans": [plan]}))
    with pytest.raises(PlanFileError) as error:
        read_plans(path)
    assert where in str(error.value) and reason in str(error.value)


# Properties ----------------------------------------------------------------------------------

END = dt.date(2026, 12, 31)


@PROPERTY
@given(incentive_cases())
def test_identity_holds_with_the_late_payment_forfeit(
    case: tuple[PlanBook, list[dict[str, Any]]],
) -> None:
    plans, events = case
    state = compute(plans, events, through=END).state()
    assert_no_commission_created_or_lost(plans.plans[0], state)


@PROPERTY
@given(incentive_cases())
def test_input_order_irrelevant_and_netting_balances_with_draws(
    case: tuple[PlanBook, list[dict[str, Any]]],
) -> None:
    plans, events = case
    first = compute(plans, events, through=END)
    assert compute(plans, events[::-1], through=END).statements == first.statements
    by_rep = defaultdict(list)
    for s in first.statements:
        assert s.payout >= 0 and s.debt_balance >= 0 and s.draw >= 0
        assert s.gross == sum((line.amount for line in s.lines), Decimal(0))
        by_rep[s.rep].append(s)
    for statements in by_rep.values():
        kept = sum(s.draw for s in statements if not s.draw_recoverable)
        paid = sum(s.payout for s in statements) - statements[-1].debt_balance
        assert paid == sum(s.gross for s in statements) + kept


@PROPERTY
@given(incentive_cases(), st.integers(1, 11))
def test_resume_equals_batch_with_the_new_terms(
    case: tuple[PlanBook, list[dict[str, Any]]], month: int
) -> None:
    plans, events = case
    cut = dt.date(2026, month + 1, 1) - dt.timedelta(days=1)  # the last day of ``month``
    batch = compute(plans, events, through=END)
    early = [e for e in events if e["date"] <= cut.isoformat()]
    later = [e for e in events if e["date"] > cut.isoformat()]
    first = compute(plans, early, through=cut)
    saved = EngineState.model_validate_json(first.state().model_dump_json())
    resumed = compute(plans, later, through=END, state=saved)
    assert resumed.statements == batch.statements
    assert resumed.state().model_dump() == batch.state().model_dump()
