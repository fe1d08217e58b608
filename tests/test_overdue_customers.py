"""The overdue list and the customer P&L (issue 18): hand-computed golden cases on the handoff
boundaries and the carrying cost, reconciliation with ``payouts`` and ``aging`` on the
bundled example, and the two commands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Command

from commission_engine import Plan, PlanBook, compute
from commission_engine.domain.errors import CommissionEngineError
from commission_engine.files import read_events, read_plans
from commission_engine.modeling import Stages, age_receivables, customer_pnl, overdue_list
from commission_engine.modeling.applied import NO_CUSTOMER

ROOT = Path(__file__).resolve().parent.parent
PLANS, EVENTS = ROOT / "examples" / "plans.yaml", ROOT / "examples" / "events.csv"
L1 = PlanBook(plans=[Plan(id="L1", currency="USD", level=1, rate="0.10")])
L3 = PlanBook(plans=[Plan(id="L3", currency="USD", level=3, rate="0.10")])


def invoice(event: str, day: str, number: str, amount: str, **more: Any) -> dict[str, Any]:
    return {"type": "invoice", "id": event, "date": day, "invoice": number,
            "rep": "ana", "amount": amount, **more}  # fmt: skip


def cash(kind: str, event: str, day: str, number: str, amount: str) -> dict[str, Any]:
    return {"type": kind, "id": event, "date": day, "invoice": number, "amount": amount}


# The handoff: 29 the rep's, 30 and 60 collections with the rep informed, 61 collections -----

AS_OF = dt.date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days", "stage"),
    [
        (1, "rep follows up"),
        (29, "rep follows up"),
        (30, "collections with the rep informed"),
        (60, "collections with the rep informed"),
        (61, "collections"),
    ],
)
def test_the_stage_on_each_boundary(days: int, stage: str) -> None:
    due = AS_OF - dt.timedelta(days=days)
    events = [invoice("e1", "2026-01-02", "I1", "1000.00", due=due.isoformat(), customer="Acme")]
    (item,) = overdue_list(L1, events, AS_OF).items
    assert (item.days_past_due, item.stage, item.customer) == (days, stage, "Acme")


def test_an_invoice_due_today_is_not_on_the_list() -> None:
    events = [invoice("e1", "2026-01-02", "I1", "1000.00", due=AS_OF.isoformat())]
    assert overdue_list(L1, events, AS_OF).items == ()


def test_the_thresholds_are_configurable() -> None:
    stages = Stages(informed_from=15, collections_from=46)
    assert [stages.stage_of(d) for d in (14, 15, 45, 46)] == [
        "rep follows up",
        "collections with the rep informed",
        "collections with the rep informed",
        "collections",
    ]
    with pytest.raises(CommissionEngineError, match="the handoff days must rise"):
        Stages(informed_from=60, collections_from=30)


def test_the_commission_at_risk_is_the_clawback_the_plan_would_take_and_when() -> None:
    # L1, 10%: 100.00 advanced on 1000.00; 400.00 paid, so 60.00 would go back on due + 90.
    events = [
        invoice("e1", "2026-01-01", "I1", "1000.00", due="2026-01-31"),
        cash("payment", "e2", "2026-02-10", "I1", "400.00"),
    ]
    (item,) = overdue_list(L1, events, dt.date(2026, 3, 31)).items
    assert (item.open, item.held, item.clawback_exposure) == (
        Decimal("600.00"), Decimal("0.00"), Decimal("60.00"),
    )  # fmt: skip
    assert item.clawback_date == dt.date(2026, 5, 1)
    assert item.customer == NO_CUSTOMER


def test_the_list_is_worked_customer_by_customer_the_oldest_first() -> None:
    events = [
        invoice("e1", "2026-01-01", "I1", "100.00", due="2026-05-01", customer="Zeta"),
        invoice("e2", "2026-01-01", "I2", "900.00", due="2026-06-20", customer="Alpha"),
        invoice("e3", "2026-01-01", "I3", "100.00", due="2026-06-25", customer="Zeta"),
        invoice("e4", "2026-01-01", "I4", "100.00", due="2026-06-01", customer="Alpha"),
    ]
    items = overdue_list(L3, events, AS_OF).items
    assert [item.invoice for item in items] == ["I1", "I3", "I4", "I2"]


# The carrying cost and days to pay, by hand ----------------------------------------------


def test_the_carrying_cost_is_each_days_open_balance_at_a_365th_of_the_rate() -> None:
    # 1000.00 open for 30 days (Jan 1 to 30), then 600.00 for 29 (Jan 31 to Feb 28), paid
    # Mar 1: 30 * 1000 + 29 * 600 = 47,400 balance-days; * 0.08 / 365 = 10.3890... -> 10.39.
    events = [
        invoice("e1", "2026-01-01", "I1", "1000.00", customer="Acme", cost="700.00"),
        cash("payment", "e2", "2026-01-31", "I1", "400.00"),
        cash("payment", "e3", "2026-03-01", "I1", "600.00"),
    ]
    acme = customer_pnl(L3, events).customer("Acme")
    assert acme.carrying_cost == Decimal("10.39")
    # Weighted: (400 * 30 + 600 * 59) / 1000 = 47.4 days; paid in full on day 59.
    assert (acme.weighted_days, acme.average_days) == (Decimal("47.4000"), Decimal("59.0000"))
    # 300.00 gross profit - 10.39 carrying - 100.00 commission.
    assert (acme.gross_profit, acme.commission_paid) == (Decimal("300.00"), Decimal("100.00"))
    assert acme.contribution == Decimal("189.61")


def test_an_open_balance_is_carried_through_the_last_day() -> None:
    # 1000.00 open at the end of Jan 1 .. Jan 10: 10 days * 1000 * 0.365 / 365 = 10.00.
    events = [invoice("e1", "2026-01-01", "I1", "1000.00", customer="Acme")]
    pnl = customer_pnl(L3, events, through=dt.date(2026, 1, 10), cost_of_capital="0.365")
    assert pnl.customer("Acme").carrying_cost == Decimal("10.00")
    assert pnl.customer("Acme").average_days is None


def test_a_split_invoice_is_shared_by_rep_and_rounded_once_per_row() -> None:
    events = [
        {"type": "invoice", "id": "e1", "date": "2026-01-01", "invoice": "I1",
         "splits": [{"rep": "ana", "share": "0.5"}, {"rep": "bo", "share": "0.5"}],
         "amount": "1000.01", "customer": "Acme"},
    ]  # fmt: skip
    pnl = customer_pnl(L3, events, through=dt.date(2026, 1, 1), cost_of_capital="0.365")
    acme, ana, bo = pnl.rows
    assert (acme.rep, ana.rep, bo.rep) == (None, "ana", "bo")
    assert acme.carrying_cost == Decimal("1.00")  # 1000.01 * 1 day * 0.001
    assert ana.invoiced == bo.invoiced == Decimal("500.01")  # 500.005, half up, in each row


def test_credit_notes_and_write_offs_cost_their_part_net_of_tax() -> None:
    # 108.25 incl. 8.25 tax; a 21.65 credit note and a 10.825 write-off... in whole cents:
    # credited 21.65 and written off 86.60 -> lost (21.65 + 86.60) * 100 / 108.25 = 100.00.
    events = [
        invoice("e1", "2026-01-01", "I1", "108.25", tax="8.25", customer="Acme"),
        cash("credit_note", "e2", "2026-01-01", "I1", "21.65"),
        {"type": "write_off", "id": "e3", "date": "2026-01-01", "invoice": "I1"},
    ]
    acme = customer_pnl(L3, events, cost_of_capital="0").customer("Acme")
    assert (acme.invoiced, acme.credited, acme.written_off) == (
        Decimal("100.00"), Decimal("21.65"), Decimal("86.60"),
    )  # fmt: skip
    assert acme.net_margin == Decimal("0.00")


def test_a_reversal_takes_back_cash_at_the_average_days_so_far() -> None:
    # Paid 500 on day 10 and 500 on day 30 (average 20), 500 bounced: 500 left at 20 days.
    events = [
        invoice("e1", "2026-01-01", "I1", "1000.00", customer="Acme"),
        cash("payment", "e2", "2026-01-11", "I1", "500.00"),
        cash("payment", "e3", "2026-01-31", "I1", "500.00"),
        cash("payment_reversal", "e4", "2026-02-05", "I1", "500.00"),
    ]
    acme = customer_pnl(L3, events).customer("Acme")
    assert (acme.collected, acme.weighted_days, acme.average_days) == (
        Decimal("500.00"), Decimal("20.0000"), None,
    )  # fmt: skip


def test_a_rejected_event_counts_for_nothing() -> None:
    events = [
        invoice("e1", "2026-01-01", "I1", "100.00", customer="Acme"),
        cash("payment", "e2", "2026-01-05", "I1", "900.00"),  # above what is open: rejected
    ]
    pnl = customer_pnl(L3, events)
    assert pnl.through == dt.date(2026, 1, 1)
    assert pnl.customer("Acme").weighted_days is None
    assert [r.event for r in pnl.rejected] == ["e2"]


def test_the_cost_of_capital_must_be_a_yearly_rate() -> None:
    with pytest.raises(CommissionEngineError, match="yearly rate from 0 to 1"):
        customer_pnl(L3, [], cost_of_capital="8")


# Reconciliation with payouts and aging on the bundled example ------------------------------


@pytest.fixture(scope="module")
def example() -> tuple[PlanBook, list[Any]]:
    return read_plans(PLANS), list(read_events(EVENTS))


def test_the_pnl_reconciles_with_the_engine(example: tuple[PlanBook, list[Any]]) -> None:
    plans, events = example
    through = dt.date(2026, 12, 31)
    pnl = customer_pnl(plans, events, through=through)
    result = compute(plans, events, through=through)
    invoices = result.invoices()
    customers = pnl.customers
    assert sum(row.collected for row in customers) == sum(i.paid for i in invoices)
    assert sum(row.written_off for row in customers) == sum(i.written_off for i in invoices)
    assert sum(row.credited for row in customers) == sum(i.credited for i in invoices)
    commission = sum(row.commission_paid - row.commission_clawed_back for row in customers)
    adjustments = sum(line.amount for line in result.lines if line.kind == "adjustment")
    assert commission == sum(s.gross for s in result.statements) - adjustments
    aging = age_receivables(plans, events, through, dso=False)
    assert sum(row.open for row in customers) == sum(rep.open for rep in aging.reps)
    for customer in customers:  # the reps' rows add up to the customer's (no split here)
        reps = [r for r in pnl.rows if r.rep is not None and r.customer == customer.customer]
        assert sum(r.collected for r in reps) == customer.collected
        assert sum(r.contribution for r in reps) - customer.contribution in (
            Decimal(0),
            Decimal("0.01"),
            Decimal("-0.01"),
            Decimal("0.02"),
            Decimal("-0.02"),
        )


def test_the_overdue_list_is_the_aging_past_due(example: tuple[PlanBook, list[Any]]) -> None:
    plans, events = example
    as_of = dt.date(2026, 9, 30)
    overdue = overdue_list(plans, events, as_of)
    aging = age_receivables(plans, events, as_of, dso=False)
    past_due = [item for item in aging.items if item.days_past_due > 0]
    assert sorted(i.invoice for i in overdue.items) == sorted(i.invoice for i in past_due)
    assert sum(i.open for i in overdue.items) == sum(i.open for i in past_due)
    assert sum(i.at_risk for i in overdue.items) == sum(i.at_risk for i in past_due)
    assert {i.customer for i in overdue.items} <= {"Cyberdyne", "Globex", "Umbrella",
        "Vandelay Imports", "Tyrell Corp", "Acme Corp", "Initech", "Soylent"}  # fmt: skip


# The commands -----------------------------------------------------------------------------


def test_overdue_in_every_format(command: Command) -> None:
    run = command("overdue", PLANS, EVENTS, "--as-of", "2026-09-30", "--format", "json")
    assert run.status == 0, run.err
    first = run.json()["items"][0]
    assert (first["rep"], first["stage"]) == ("alice", "collections")
    rows = command("overdue", PLANS, EVENTS, "--as-of", "2026-09-30", "--format", "csv").csv()
    assert rows[0][:3] == ["rep", "customer", "invoice"] and len(rows) == 1 + len(
        run.json()["items"]
    )
    page = command("overdue", PLANS, EVENTS, "--as-of", "2026-09-30", "--format", "html").out
    assert page.startswith("<!DOCTYPE html>") and '<table class="commission-engine">' in page
    table = command("overdue", PLANS, EVENTS, "--as-of", "2026-09-30", "--handoff", "15,46").out
    assert "Invoices past due on 2026-09-30" in table


def test_overdue_refuses_a_bad_handoff(command: Command) -> None:
    run = command("overdue", PLANS, EVENTS, "--as-of", "2026-09-30", "--handoff", "60,30")
    assert run.status == 2 and "the handoff days must rise" in run.err


def test_customers_in_every_format(command: Command, tmp_path: Path) -> None:
    run = command("customers", PLANS, EVENTS, "--through", "2026-06-30", "--format", "json")
    assert run.status == 0, run.err
    assert run.json()["through"] == "2026-06-30"
    assert command("customers", PLANS, EVENTS, "--format", "csv").csv()[0][0] == "customer"
    assert "Customer P&L through 2026-12-31" in command("customers", PLANS, EVENTS).out
    bad = command("customers", PLANS, EVENTS, "--cost-of-capital", "eight")
    assert bad.status == 2 and "yearly rate" in bad.err


def test_csv_cells_are_neutralised(command: Command, tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "type,id,date,invoice,rep,customer,amount,due\n"
        "invoice,e1,2026-01-01,I1,ana,=HYPERLINK(1),100.00,2026-01-31\n"
    )
    plans = tmp_path / "plans.yaml"
    plans.write_text("plans:\n  - {id: p, currency: USD, level: 1, rate: '0.10'}\n")
    rows = command("overdue", plans, events, "--as-of", "2026-03-01", "--format", "csv").csv()
    assert rows[1][1] == "'=HYPERLINK(1)"
    rows = command("customers", plans, events, "--format", "csv").csv()
    assert rows[1][0] == "'=HYPERLINK(1)"
