"""Section 11 (issue 17) in what the other commands show: the draw in the payouts tables,
the new line kinds and the draw in the explained statement (issue 16), disputes and
late-payment plans in the overdue list and the aging (issue 18)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Command
from scenario import Stream, book, run

from commission_engine import compute, read_events, read_plans
from commission_engine.modeling.aging import age_receivables
from commission_engine.modeling.overdue import (
    overdue_document,
    overdue_html,
    overdue_list,
    overdue_rows,
)
from commission_engine.report.month_end import write_period_table
from commission_engine.report.render import document, write_json, write_table

# The draw in the payouts tables ---------------------------------------------------------------


def _two_invoices() -> Stream:
    return Stream().invoice("2026-01-10", "I1", "2000.00").invoice("2026-02-10", "I2", "10000")


def test_the_table_shows_a_draw_column_before_the_payout_it_is_part_of() -> None:
    plans = book(0, draw={"amount": "500", "recoverable": True})
    out = io.StringIO()
    write_table(run(plans, _two_invoices(), through="2026-02-28"), out, "en_US")
    assert out.getvalue().splitlines()[2:5] == [
        "rep  period   currency      gross  recovered     draw   payout  debt balance  held "
        "balance",
        "ana  2026-01  USD         $200.00      $0.00  $300.00  $500.00       $300.00         "
        "$0.00",
        "ana  2026-02  USD       $1,000.00    $300.00    $0.00  $700.00         $0.00         "
        "$0.00",
    ]


def test_without_a_draw_the_table_has_no_draw_column() -> None:
    out = io.StringIO()
    write_table(run(book(0), _two_invoices(), through="2026-02-28"), out, "en_US")
    assert out.getvalue().splitlines()[2] == (
        "rep  period   currency      gross  recovered     payout  debt balance  held balance"
    )


@pytest.mark.parametrize(
    ("recoverable", "kind", "locale"),
    [
        (True, "draw (recoverable)", "en_US"),
        (False, "Garantieprovision (nicht rückzahlbar)", "de_DE"),
    ],
)
def test_the_month_end_table_says_what_the_draw_tops_up_and_whether_it_is_owed_back(
    recoverable: bool, kind: str, locale: str
) -> None:
    plans = book(0, draw={"amount": "500", "recoverable": recoverable})
    out = io.StringIO()
    write_period_table(run(plans, _two_invoices(), through="2026-01-31"), out, "2026-01", locale)
    rows = [line.split("  ") for line in out.getvalue().splitlines()[2:6]]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    amounts = ("200.00", "0.00", "300.00", "500.00")
    if locale == "en_US":
        money = [f"${a}" for a in amounts]
    else:  # babel writes a no-break space before the sign
        money = [f"{a.replace('.', ',')}\N{NO-BREAK SPACE}$" for a in amounts]
    money_headings = ("gross", "recovered", "draw", "payout")
    subtotal = "Subtotal" if locale == "en_US" else "Zwischensumme"
    assert cells == [
        [*("rep", "currency", "kind", "date", "invoice", "event"), *money_headings],
        ["ana", "USD", "advance", "2026-01-10", "I1", "e001", money[0]],
        ["ana", "USD", kind, money[2]],
        ["ana", "USD", subtotal, *money],
    ]


# A late-payment plan in the aging's what-if ----------------------------------------------------

LATE = {"late_payment": [{"after_days": 30, "factor": "0.75"}, {"after_days": 90, "factor": "0"}]}


def test_the_clawback_exposure_of_a_late_payment_plan_is_what_the_engine_claws_back() -> None:
    plans = book(2, incentives=LATE)  # half advanced, the past-due clawback at 90 days
    stream = Stream().invoice("2026-01-01", "I1", "1000.00", due="2026-01-31")
    stream.pay("2026-03-05", "I1", "300.00")  # 33 days late: its cash counts at 0.75
    (item,) = age_receivables(plans, stream.events, dt.date(2026, 3, 31), dso=False).items
    # payable now 50 + 0.1 * 0.5 * 0.75 * 300 = 61.25; if due, 0.1 * (0.5 * 300 + 0.5 * 225)
    # = 26.25 (reading paid unscaled it would be 30.00, an exposure of 31.25)
    assert (item.clawback_exposure, item.clawback_date) == (Decimal("35.00"), dt.date(2026, 5, 1))
    clawed = run(plans, stream, through="2026-05-31").lines[-1]
    assert (clawed.kind, clawed.date, -clawed.amount) == (
        "past_due",
        item.clawback_date,
        Decimal("35.00"),
    )


# Disputes in the overdue list ------------------------------------------------------------------


def _disputed(resolved: bool) -> Stream:
    stream = Stream().invoice("2026-01-05", "I1", "2000.00", due="2026-01-31", customer="Acme")
    stream.dispute("2026-02-10", "I1")
    if resolved:  # ten days paused: the clawback (L1: 90 days) moves from May 1 to May 11
        stream.resolve("2026-02-20", "I1")
    return stream


@pytest.mark.parametrize(
    ("as_of", "days", "stage"),
    [("2026-03-11", 29, "rep follows up"), ("2026-03-12", 30, "collections with the rep informed")],
)
def test_a_resolved_dispute_moves_the_handoff_by_the_days_it_paused(
    as_of: str, days: int, stage: str
) -> None:
    # On the calendar 39 and 40 days past due; the clock counts 29 and 30.
    day = dt.date.fromisoformat(as_of)
    (item,) = overdue_list(book(1), _disputed(resolved=True).events, day).items
    assert (item.days_past_due, item.disputed, item.stage) == (days, False, stage)
    # The clawback date is the engine's, moved by the dispute.
    assert (item.clawback_date, item.clawback_exposure) == (dt.date(2026, 5, 11), Decimal("200.00"))
    clawed = run(book(1), _disputed(resolved=True), through="2026-05-31").lines[-1]
    assert (clawed.kind, clawed.date) == ("past_due", item.clawback_date)


def test_an_open_dispute_stops_the_count_and_is_flagged_in_every_format() -> None:
    as_of = dt.date(2026, 3, 20)  # 48 days past due on the calendar; 10 on the clock
    overdue = overdue_list(book(1), _disputed(resolved=False).events, as_of)
    (item,) = overdue.items
    assert (item.days_past_due, item.disputed, item.stage) == (10, True, "rep follows up")
    # At risk still, but no date while the clock is stopped.
    assert (item.clawback_exposure, item.clawback_date) == (Decimal("200.00"), None)
    (entry,) = overdue_document(overdue)["items"]  # type: ignore[index]
    assert (entry["days_past_due"], entry["disputed"], entry["clawback_date"]) == (10, True, None)
    header, row = overdue_rows(overdue.items, flag="true")
    assert dict(zip(header, row, strict=True))["disputed"] == "true"
    assert 'right">disputed</td>' in overdue_html(overdue)


def test_a_dispute_settled_before_the_due_date_pauses_nothing() -> None:
    stream = Stream().invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
    stream.dispute("2026-01-10", "I1").resolve("2026-01-20", "I1")
    (item,) = overdue_list(book(1), stream.events, dt.date(2026, 3, 2)).items
    assert (item.days_past_due, item.disputed, item.clawback_date) == (
        30,
        False,
        dt.date(2026, 5, 1),
    )


# The explained statement of a plan with the section-11 terms ---------------------------------

REWARDED_PLAN = """\
plans:
  - id: rewarded
    currency: USD
    level: 3
    rate: "0.10"
    incentives:
      cash_with_order: {rate: "0.01", within_days: 0}
      late_payment: [{after_days: 30, factor: "0.75"}]
      collection_bonus: {period: month, measure: dso, tiers: [{at_most: 30, amount: "100"}]}
    draw: {amount: "500", recoverable: true}
"""
REWARDED_EVENTS = """\
type,id,date,invoice,rep,customer,amount,due
invoice,e1,2026-01-10,I1,ana,Acme,1000.00,2026-01-31
payment,e2,2026-01-10,I1,,,400.00,
payment,e3,2026-03-05,I1,,,600.00,
"""


def _rewarded(tmp_path: Path) -> tuple[Path, Path]:
    plans, events = tmp_path / "plans.yaml", tmp_path / "events.csv"
    plans.write_text(REWARDED_PLAN)
    events.write_text(REWARDED_EVENTS)
    return plans, events


def test_the_json_of_payouts_writes_a_bonus_line_with_its_detail(tmp_path: Path) -> None:
    # A bonus line is written with its detail (the other kinds without), as document() has it.
    plans, events = _rewarded(tmp_path)
    result = compute(read_plans(plans), read_events(events))
    out = io.StringIO()
    write_json(result, out)
    written = json.loads(out.getvalue())
    assert written == document(result)
    january = written["statements"][0]["lines"]
    assert [(x["kind"], "detail" in x) for x in january] == [
        ("release", False), ("cash_with_order", False), ("collection_bonus", True),
    ]  # fmt: skip
    assert january[2]["detail"].startswith("2026-01: DSO 18.60 days")


def test_the_explained_statement_explains_the_section_11_lines_and_the_draw(
    command: Command, tmp_path: Path
) -> None:
    plans, events = _rewarded(tmp_path)
    run_ = command("statement", plans, events, "--rep", "ana", "--format", "json")
    assert run_.status == 0, run_.err
    january, february, march = run_.json()["statements"]
    # January: 10% of 400 released, 1% of it paid with the order, and a month's DSO of
    # 600 / 1000 x 31 = 18.6 days, within 30: the bonus. 144 earned, the draw tops up 356.
    lines = [(x["kind"], x["amount"], x["rate"], x["reason"]) for x in january["lines"]]
    assert lines == [
        ("release", "40.00", "0.10", None),
        ("cash_with_order", "4.00", "0.01", None),
        ("collection_bonus", "100.00", None,
         "2026-01: DSO 18.60 days (open 600.00 / sales 1000.00 x 31 days)"),
    ]  # fmt: skip
    assert (january["draw"], january["draw_recoverable"]) == ("356.00", True)
    summary = january["summary"]
    assert (summary["release"], summary["cash_with_order"], summary["collection_bonus"]) == (
        "40.00", "4.00", "100.00",
    )  # fmt: skip
    figures = ("gross", "recovered", "draw", "payout", "debt_balance")
    assert [summary[f] for f in figures] == ["144.00", "0.00", "356.00", "500.00", "356.00"]
    # February: nothing earned, no sales (no bonus); the draw pays all 500, owed back.
    assert [february["summary"][f] for f in figures] == [
        "0.00", "0.00", "500.00", "500.00", "856.00",
    ]  # fmt: skip
    # March: 600 paid 33 days late counts at 0.75: 45 released (15 forfeited), all of it
    # recovered against the draws; the draw tops up again. 856 - 45 + 500 = 1311 owed.
    (late,) = march["lines"]
    assert (late["kind"], late["amount"], late["days_late"], late["late_factor"]) == (
        "release", "45.00", 33, "0.75",
    )  # fmt: skip
    assert [march["summary"][f] for f in figures] == [
        "45.00", "45.00", "500.00", "500.00", "1311.00",
    ]  # fmt: skip
    assert january["lines"][0]["days_late"] is None  # paid before its due date


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en_US", ["Cash with order", "Collection bonus", "Draw top-up (recoverable)",
                   "paid 33 days late: factor 0.75", "$1,311.00", "bonus period"]),
        ("de_DE", ["Prämie für Zahlung bei Bestellung", "Inkassobonus",
                   "Aufstockung auf die Garantieprovision (rückzahlbar)",
                   "33 Tage verspätet bezahlt: Faktor 0,75", "1.311,00", "Bonuszeitraum"]),
        ("fr_FR", ["Prime de paiement à la commande", "Prime d&#39;encaissement",
                   "Complément du minimum garanti (récupérable)",
                   "payé avec 33 jours de retard : facteur 0,75", "1\u202f311,00"]),
    ],
)  # fmt: skip
def test_the_statement_page_explains_them_in_the_reader_s_language(
    command: Command, tmp_path: Path, locale: str, words: list[str]
) -> None:
    plans, events = _rewarded(tmp_path)
    run_ = command("statement", plans, events, "--rep", "ana", "--locale", locale)
    assert run_.status == 0, run_.err
    for word in words:
        assert word in run_.out, word
    assert run_.out.count('data-figure="draw"') == 3  # a top-up in each month
