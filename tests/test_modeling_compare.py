"""Comparing plans on the same events: every figure checked against statements computed directly."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from scenario import Stream, book

from commission_engine import Plan, PlanBook, PlanError, StateError, compute
from commission_engine.modeling import Comparison, compare_plans

LEVELS = [Plan(id=f"L{n}", currency="USD", level=n, rate="0.10") for n in range(5)]


def a_quarter_of_business() -> Stream:
    """Paid on time, paid late after a clawback, written off, credited, reversed, adjusted."""
    return (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .invoice("2026-01-10", "I2", "1100.00", tax="100.00")
        .pay("2026-01-25", "I2", "550.00")
        .invoice("2026-02-01", "I3", "3000.00")
        .invoice("2026-02-03", "I4", "1500.00", splits="ana=0.6;bo=0.4")
        .pay("2026-02-20", "I2", "550.00")
        .write_off("2026-03-15", "I3")
        .credit("2026-03-16", "I4", "500.00")
        .pay("2026-03-20", "I4", "600.00")
        .reverse("2026-03-25", "I4", "100.00")
        .adjust("2026-04-01", "-25.00", "overpaid in March")
        .pay("2026-06-20", "I1", "2000.00")
        .invoice("2026-06-25", "I5", "800.00")
    )


@pytest.mark.parametrize("plan", LEVELS, ids=lambda p: p.id)
def test_every_figure_matches_the_statements_of_a_direct_run(plan: Plan) -> None:
    events = a_quarter_of_business().events
    outcome = compare_plans(LEVELS, events)[plan.id]
    direct = compute(PlanBook(plans=[plan]), events)

    assert outcome.result.statements == direct.statements
    assert outcome.payout == sum(s.payout for s in direct.statements)
    assert outcome.gross == sum(s.gross for s in direct.statements)
    taken = [x.amount for x in direct.lines if x.kind in ("past_due", "clawback") and x.amount < 0]
    assert outcome.clawed_back == -sum(taken)
    assert outcome.reinstated == sum(x.amount for x in direct.lines if x.kind == "reinstatement")
    last = {s.rep: s for s in direct.statements}  # each rep's last statement
    assert outcome.final_debt == sum(s.debt_balance for s in last.values())
    assert outcome.held == sum(s.held_balance for s in last.values())
    debt_by_period: dict[str, Decimal] = {}
    for s in direct.statements:
        debt_by_period[s.period] = debt_by_period.get(s.period, Decimal(0)) + s.debt_balance
    assert outcome.peak_debt == max(debt_by_period.values())
    assert outcome.collected == Decimal("3600.00")  # 1100 + 600 - 100 + 2000, at every level
    assert outcome.cost_share == outcome.payout / outcome.collected
    assert [p.period for p in outcome.periods] == sorted(debt_by_period)
    assert outcome.periods[-1].cumulative_payout == outcome.payout
    assert sum(p.payout for p in outcome.periods) == outcome.payout


def test_the_level_1_figures_of_worked_example_3() -> None:
    """Paid 200 in January, clawed back on 2026-03-02, reinstated when paid on 2026-04-20."""
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .pay("2026-04-20", "I1", "2000.00")
    )
    l1 = book(1, clawback={"after_days_past_due": 30}).plans[0]
    outcome = compare_plans([l1], events.events)["L1"]
    assert (outcome.payout, outcome.gross) == (Decimal("200.00"), Decimal("200.00"))
    assert (outcome.clawed_back, outcome.reinstated) == (Decimal("200.00"), Decimal("200.00"))
    assert (outcome.peak_debt, outcome.peak_debt_period) == (Decimal("200.00"), "2026-03")
    assert (outcome.final_debt, outcome.held) == (Decimal("0.00"), Decimal("0.00"))
    assert outcome.cost_share == Decimal("0.1")
    # 200 payable on the invoice date, 200 more 105 days later: (0*200 + 105*200) / 400.
    assert outcome.weighted_days == Decimal("52.5")
    assert [(p.period, str(p.payout), str(p.debt)) for p in outcome.periods] == [
        ("2026-01", "200.00", "0.00"),
        ("2026-02", "0.00", "0.00"),
        ("2026-03", "0.00", "200.00"),
        ("2026-04", "0.00", "0.00"),
    ]
    assert outcome.periods[2].clawed_back == Decimal("200.00")


def test_holdback_timing_weighs_each_release_by_its_amount() -> None:
    """Worked example 2 at level 2: 50.00 at once, then 16.67, 16.66, 16.67 on cash."""
    events = (
        Stream()
        .invoice("2026-01-15", "I1", "1000.00")
        .pay("2026-02-10", "I1", "333.33")
        .pay("2026-03-10", "I1", "333.33")
        .pay("2026-04-10", "I1", "333.34")
    )
    outcome = compare_plans([LEVELS[2]], events.events)["L2"]
    days = 26 * Decimal("16.67") + 54 * Decimal("16.66") + 85 * Decimal("16.67")
    assert outcome.weighted_days == days / Decimal("100.00")
    assert outcome.held == Decimal("0.00")


def test_all_levels_run_through_the_same_date() -> None:
    events = a_quarter_of_business().events
    comparison = compare_plans(LEVELS, events)
    assert comparison.through == dt.date(2026, 6, 25)
    assert {o.result.through for o in comparison.outcomes} == {comparison.through}
    cut = compare_plans(LEVELS, events, through=dt.date(2026, 3, 31))
    assert all(o.periods[-1].period == "2026-03" for o in cut.outcomes)
    assert all(o.result.pending == 3 for o in cut.outcomes)


def test_level_0_pays_at_invoicing_and_level_4_only_on_cash() -> None:
    comparison = compare_plans(LEVELS, a_quarter_of_business().events)
    assert comparison["L0"].weighted_days == 0
    assert comparison["L4"].held == Decimal("0.00")
    assert comparison["L3"].held > 0
    assert comparison["L0"].payout > comparison["L3"].payout


def test_current_book_against_a_proposed_plan() -> None:
    current = PlanBook(
        plans=[LEVELS[0], LEVELS[3]],
        assignments=[
            {"rep": "ana", "plan": "L0", "from": "2026-01-01"},
            {"rep": "*", "plan": "L3", "from": "2026-01-01"},
        ],
    )
    events = a_quarter_of_business().events
    comparison = compare_plans({"current": current, "proposed": LEVELS[2]}, events)
    assert comparison.names == ("current", "proposed")
    assert comparison["current"].result.statements == compute(current, events).statements


def test_an_event_one_plan_cannot_apply_is_listed_for_that_plan_only() -> None:
    euro = Plan(id="EUR", currency="EUR", level=0, rate="0.10")
    events = Stream().invoice("2026-01-05", "I1", "100.00", currency="USD").events
    comparison = compare_plans([LEVELS[0], euro], events)
    assert comparison["L0"].rejected == ()
    assert [r.field for r in comparison["EUR"].rejected] == ["currency"]
    assert comparison["EUR"].payout == Decimal("0.00")
    assert (comparison["EUR"].cost_share, comparison["EUR"].weighted_days) == (None, None)


def test_scenarios_need_distinct_names_and_one_currency() -> None:
    events = a_quarter_of_business().events
    with pytest.raises(PlanError, match="two scenarios are named L0"):
        compare_plans([LEVELS[0], LEVELS[0]], events)
    mixed = PlanBook(
        plans=[LEVELS[0], Plan(id="EUR", currency="EUR", level=0, rate="0.10")],
        assignments=[
            {"rep": "ana", "plan": "L0", "from": "2026-01-01"},
            {"rep": "*", "plan": "EUR", "from": "2026-01-01"},
        ],
    )
    with pytest.raises(PlanError, match="pays in EUR, USD"):
        compare_plans({"mixed": mixed}, events)
    with pytest.raises(PlanError, match="at least one plan"):
        compare_plans([], events)
    with pytest.raises(KeyError, match="the scenarios are L0"):
        compare_plans([LEVELS[0]], events)["L9"]


def test_events_may_be_a_single_use_iterator() -> None:
    events = a_quarter_of_business().events
    comparison = compare_plans(LEVELS, iter(events))
    assert all(o.result.statements for o in comparison.outcomes)
    assert comparison["L4"].payout == compare_plans([LEVELS[4]], events)["L4"].payout


def _figures(comparison: Comparison) -> list[tuple[object, ...]]:
    """Every figure of every outcome, and its run's statements, rejections and counts."""
    return [
        (
            *(getattr(o, f.name) for f in dataclasses.fields(o) if f.name != "result"),
            o.result.through, o.result.statements, o.result.rejected, o.result.pending,
            o.result.duplicates,
        )
        for o in comparison.outcomes
    ]  # fmt: skip


@pytest.mark.parametrize("processes", [2, 3, 8])
def test_scenarios_computed_side_by_side_are_those_computed_one_after_another(
    processes: int,
) -> None:
    events = a_quarter_of_business().events
    one = compare_plans(LEVELS, events)
    several = compare_plans(LEVELS, events, processes=processes)
    assert several.through == one.through and _figures(several) == _figures(one)
    assert one["L4"].result.state().invoices
    for name in ("L0", "L4"):  # computed here, and in a child
        with pytest.raises(StateError, match="keeps no engine state"):
            several[name].result.state()


def test_when_the_first_scenario_ends_early_the_others_end_with_it() -> None:
    # The latest event is one the first plan cannot apply: every scenario is computed
    # through the first one's last applied day, and the later event is pending in each.
    events = [*a_quarter_of_business().events,
              {"type": "invoice", "id": "e999", "date": "2026-07-01", "invoice": "I9",
               "rep": "ana", "amount": "10.00", "currency": "EUR"}]  # fmt: skip
    one = compare_plans(LEVELS, events)
    several = compare_plans(LEVELS, events, processes=2)
    assert one.through == dt.date(2026, 6, 25) and [o.result.pending for o in one.outcomes] == [
        0,
        1,
        1,
        1,
        1,
    ]
    assert several.through == one.through and _figures(several) == _figures(one)
