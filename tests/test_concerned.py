"""A late event recomputes only the reps it concerns (issue 19): the same runs as today's."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import in_order, ingest, parsed, run_command
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import Stream, book
from strategies import PROPERTY, cases

from commission_engine import compute
from commission_engine.api import Result
from commission_engine.books import concerned
from commission_engine.books.closing import ClosedBook, ClosedRun, close, reopen_and_compute
from commission_engine.books.monthly import close_with_ledger, reopen_with_ledger
from commission_engine.books.store import Ledger
from commission_engine.domain.plans import PlanBook
from commission_engine.domain.statements import last_day
from commission_engine.report.render import write_json

REPS = ("ana", "bo", "cy", "dan", "eve")


def printed(run: ClosedRun, closed_through: str | None) -> str:
    """What ``payouts --format json`` prints of ``run``."""
    out = io.StringIO()
    write_json(
        run.result.model_copy(update={"statements": run.statements}), out, None, closed_through
    )
    return out.getvalue()


def spread(events: list[dict[str, Any]], data: st.DataObject) -> list[dict[str, Any]]:
    """``events`` with their invoices' reps drawn from five, split ones between two of them:
    reps linked by a split invoice, others alone."""
    spread_events = []
    for event in events:
        if event["type"] == "invoice":
            event = dict(event)
            if "rep" in event:
                event["rep"] = data.draw(st.sampled_from(REPS))
            else:
                pair = data.draw(
                    st.lists(st.sampled_from(REPS), min_size=2, max_size=2, unique=True)
                )
                event["splits"] = [
                    {"rep": pair[0], "share": "0.3"},
                    {"rep": pair[1], "share": "0.7"},
                ]
        spread_events.append(event)
    return spread_events


def corrected(event: dict[str, Any]) -> dict[str, Any]:
    """Another content for ``event``, valid too: a different amount (or, without one, date).
    (A correction that is itself rejected leaves a ledger's event as it was, where a file
    that says it instead has the event no more: not the same history, so not drawn here.)"""
    if "amount" in event:
        amount = Decimal(event["amount"]) + 1
        return {**event, "amount": str(amount if amount else amount + 1)}
    return {
        **event,
        "date": (dt.date.fromisoformat(event["date"]) + dt.timedelta(days=1)).isoformat(),
    }


def gross_by_rep(statements: Any) -> dict[str, Decimal]:
    total: dict[str, Decimal] = defaultdict(Decimal)
    for statement in statements:
        total[statement.rep] += statement.gross
    return dict(total)


@settings(PROPERTY, max_examples=40)
@given(cases(), st.data())
def test_late_corrected_and_rejected_events_month_by_month_equal_the_whole_recompute(
    case: tuple[PlanBook, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """Monthly files, each event in its month or late in one of the two after, some
    corrected in a later month, one for an invoice never booked: each month is shown
    (``payouts --ledger``, now recomputing only the reps concerned) and closed as the CLI
    closes. Each run equals today's whole recompute: statements, rejections, changes, the JSON
    printed; each book equals today's close; and over the year each rep is paid the batch's."""
    plans, drawn = case
    events = spread(drawn, data)
    if data.draw(st.booleans()):
        events.append(
            {
                "type": "payment",
                "id": "stray",
                "date": "2026-02-03",
                "invoice": "NONE",
                "amount": "1",
            }
        )
    month = {e["id"]: dt.date.fromisoformat(e["date"]).month for e in events}
    delays = data.draw(st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=len(events)))
    delivered = [min(12, month[e["id"]] + d) for e, d in zip(events, delays, strict=False)]
    fixes = data.draw(st.lists(st.sampled_from(events), max_size=2, unique_by=lambda e: e["id"]))
    when = {e["id"]: m for e, m in zip(events, delivered, strict=False)}
    # Corrected in a later file than the first content's (within one file, the first wins).
    fixes = [e for e in fixes if when[e["id"]] < 12]
    fixed_in = {e["id"]: min(12, when[e["id"]] + data.draw(st.integers(1, 3))) for e in fixes}
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "ledger.sqlite")
        so_far: dict[str, dict[str, Any]] = {}
        closed: ClosedBook | None = None
        for number in range(1, 13):
            period, end = f"2026-{number:02d}", last_day(f"2026-{number:02d}")
            this_month = [e for e, m in zip(events, delivered, strict=False) if m == number]
            this_month += [corrected(e) for e in fixes if fixed_in[e["id"]] == number]
            for event in this_month:
                if event["id"] not in so_far or event != so_far[event["id"]]:
                    # A later delivery is the event's content now, and last, as the ledger has it.
                    so_far.pop(event["id"], None)
                    so_far[event["id"]] = event
            ingest(ledger, this_month)
            whole = list(so_far.values())
            today = reopen_and_compute(plans, whole, closed, through=end)
            for through in (end, None):
                if through is None:
                    today = reopen_and_compute(plans, whole, closed)
                with ledger.reading() as (latest, stored):  # read while the ledger is open
                    shown = reopen_with_ledger(
                        plans, parsed(this_month), latest, stored, through=through
                    )
                    assert shown.statements == today.statements
                    assert shown.changes == today.changes
                    if shown.changes:  # resumed, the events rejected before are not listed
                        assert shown.result.rejected == today.result.rejected
                        assert shown.still_rejected == today.still_rejected
                    assert shown.result.through == today.result.through
                    assert printed(shown, closed and closed.period) == printed(
                        today, closed and closed.period
                    )
            with ledger.held(lazy=True) as held:
                book_now, run = close_with_ledger(plans, parsed(this_month), period, held)
                held.record(book_now)
                closed, today_run = close(plans, whole, period, closed)
                assert run.statements == today_run.statements
                assert in_order(book_now) == in_order(closed)
            latest = ledger.latest()
            assert latest is not None and in_order(latest) == in_order(closed)
    assert closed is not None
    batch = compute(plans, list(so_far.values()), through=dt.date(2026, 12, 31))
    # Late events move closed gross into the next open month; over the year, what was paid is
    # what one run over every event gives.
    assert gross_by_rep(closed.statements) == gross_by_rep(batch.statements)
    if not any(delays) and not fixes:
        assert closed.statements == batch.statements


def folding(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """The runs :mod:`.concerned` computes: whether each recomputes or resumes, and the ids
    of the events it folds."""
    runs: list[tuple[str, list[str]]] = []
    real = concerned.compute

    def counted(plans: PlanBook, events: list[Any], **kw: Any) -> Result:
        runs.append(("resumed" if kw.get("state") else "recomputed", [e.id for e in events]))
        return real(plans, events, **kw)

    monkeypatch.setattr(concerned, "compute", counted)
    return runs


class February:
    """January's events closed on a ledger, February's ingested and shown as ``payouts
    --ledger`` shows them through February's end, beside today's whole recompute."""

    def __init__(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        plans: PlanBook,
        january: list[dict[str, Any]],
        february: list[dict[str, Any]],
        whole: list[dict[str, Any]],
    ) -> None:
        ledger = Ledger(tmp_path / "ledger.sqlite")
        ingest(ledger, january)
        with ledger.held(lazy=True) as held:
            held.record(close_with_ledger(plans, [], "2026-01", held)[0])
        ingest(ledger, february)
        runs = folding(monkeypatch)
        with ledger.reading() as (latest, stored):
            self.shown = reopen_with_ledger(
                plans, parsed(february), latest, stored, through=last_day("2026-02")
            )
            self.shown_json = printed(self.shown, "2026-01")
        #: The runs :mod:`.concerned` folded for the run shown.
        self.runs = runs.copy()
        runs.clear()
        closed = close(plans, january, "2026-01")[0]
        #: Today's run over ``whole``, every event as now known.
        self.today = reopen_and_compute(plans, whole, closed, through=last_day("2026-02"))
        self.today_json = printed(self.today, "2026-01")
        # Then February closed on the ledger, beside today's close over ``whole``.
        with ledger.held(lazy=True) as held:
            book_now = close_with_ledger(plans, parsed(february), "2026-02", held)[0]
            held.record(book_now)
        #: The runs :mod:`.concerned` folded for the close.
        self.close_runs = runs.copy()
        #: The book February's close kept in the ledger, and today's (records in one order).
        latest = ledger.latest()
        assert latest is not None
        self.closed_now = in_order(latest)
        self.closed_today = in_order(close(plans, whole, "2026-02", closed)[0])


def test_a_late_payment_recomputes_only_the_reps_of_its_invoice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ana alone on I1, bo and cy sharing I2, cy alone on I3, dan alone on I4: a late payment
    on I3 recomputes cy, and bo with them (they share I2), from their events only; ana and dan
    resume over their February events. The run is today's whole recompute."""
    plans = book(3)
    split = [{"rep": "bo", "share": "0.5"}, {"rep": "cy", "share": "0.5"}]
    january = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00")
        .invoice("2026-01-06", "I2", "2000.00", splits=split, rep=None)
        .invoice("2026-01-07", "I3", "3000.00", rep="cy")
        .invoice("2026-01-08", "I4", "4000.00", rep="dan")
        .pay("2026-01-20", "I2", "500.00")
    ).events
    late = {
        "type": "payment",
        "id": "late",
        "date": "2026-01-25",
        "invoice": "I3",
        "amount": "3000.00",
    }
    february = [
        late,
        {"type": "payment", "id": "f1", "date": "2026-02-10", "invoice": "I1", "amount": "1000.00"},
        {"type": "payment", "id": "f4", "date": "2026-02-11", "invoice": "I4", "amount": "100.00"},
        {"type": "payment", "id": "f2", "date": "2026-02-12", "invoice": "I2", "amount": "100.00"},
    ]
    run = February(tmp_path, monkeypatch, plans, january, february, january + february)
    assert sorted(run.runs) == [
        ("recomputed", ["e002", "e003", "e005", "late", "f2"]),  # I2 and I3: bo and cy
        ("resumed", ["f1", "f4"]),  # ana's and dan's February
    ]
    assert sorted(run.close_runs) == sorted(run.runs)  # the close too
    assert run.closed_now == run.closed_today
    assert run.shown.statements == run.today.statements
    assert run.shown_json == run.today_json
    [adjustment] = [
        line
        for s in run.shown.open
        if s.rep == "cy"
        for line in s.lines
        if line.kind == "prior_period_adjustment"
    ]
    assert adjustment.detail == "closed periods 2026-01; events late"


def test_a_corrected_payment_recomputes_only_the_reps_of_its_invoice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A payment of a closed month corrected in February: the reps of its invoice (ana) are
    recomputed from their events; bo resumes over his February events. The run is today's
    whole recompute, the change reported as a change."""
    plans = book(3)
    january = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00")
        .invoice("2026-01-06", "I2", "500.00", rep="bo")
        .pay("2026-01-20", "I1", "10.00")
    ).events
    february = [
        {**january[2], "amount": "20.00"},
        {"type": "payment", "id": "f2", "date": "2026-02-10", "invoice": "I2", "amount": "50.00"},
    ]
    whole = [january[0], january[1], *february]
    run = February(tmp_path, monkeypatch, plans, january, february, whole)
    assert sorted(run.runs) == [("recomputed", ["e001", "e003"]), ("resumed", ["f2"])]
    assert sorted(run.close_runs) == sorted(run.runs)
    assert run.closed_now == run.closed_today
    assert [(c.event, c.change) for c in run.shown.changes] == [("e003", "changed")]
    assert run.shown.statements == run.today.statements
    assert run.shown_json == run.today_json


def test_a_correction_moving_an_invoice_to_another_rep_recomputes_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """I1 was booked to ana; corrected, it is bo's. What it said before (kept by the store)
    concerns ana, what it says now bo: both are recomputed, and ana's commission on it is
    taken back in February while bo is credited. cy resumes. (A tiered plan: what ana had
    attained goes too.)"""
    plans = book(
        1, quota="10000", tiers=[{"from": "0", "rate": "0.10"}, {"from": "1", "rate": "0.20"}]
    )
    january = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00")
        .invoice("2026-01-06", "I3", "300.00", rep="cy")
    ).events
    february = [
        {**january[0], "rep": "bo"},
        {"type": "payment", "id": "f3", "date": "2026-02-10", "invoice": "I3", "amount": "30.00"},
    ]
    whole = [february[0], january[1], february[1]]
    run = February(tmp_path, monkeypatch, plans, january, february, whole)
    assert sorted(run.runs) == [("recomputed", ["e001"]), ("resumed", ["f3"])]
    assert sorted(run.close_runs) == sorted(run.runs)
    assert run.closed_now == run.closed_today
    assert run.shown.statements == run.today.statements
    assert run.shown_json == run.today_json
    february_gross = {s.rep: s.gross for s in run.shown.open if s.period == "2026-02"}
    assert february_gross["ana"] == Decimal("-100.00") and february_gross["bo"] == Decimal("100.00")
    # Recomputed, ana never had a commission: the state keeps no ledger of hers (what she
    # was paid, and owes back, is in her closed statements), as today's close.
    assert {x.rep for x in run.closed_now.state.ledgers} == {"bo", "cy"}
    assert {a.rep for a in run.closed_now.state.attainment} == {"bo", "cy"}


def test_a_correction_booking_another_invoice_drops_the_first_from_the_closed_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The booking of I1 (ana's) is corrected to book I9 instead, with its payment: the
    close recomputes ana alone, and the state it keeps holds I9 and no I1 any more, as
    today's close over every event does; bo resumes."""
    plans = book(1)
    january = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00")
        .invoice("2026-01-06", "I2", "300.00", rep="bo")
        .pay("2026-01-20", "I1", "100.00")
    ).events
    february = [
        {**january[0], "invoice": "I9"},
        {**january[2], "invoice": "I9"},
        {"type": "payment", "id": "f2", "date": "2026-02-10", "invoice": "I2", "amount": "30.00"},
    ]
    whole = [february[0], january[1], february[1], february[2]]
    run = February(tmp_path, monkeypatch, plans, january, february, whole)
    assert sorted(run.close_runs) == [("recomputed", ["e001", "e003"]), ("resumed", ["f2"])]
    assert [r.id for r in run.closed_now.state.invoices] == ["I2", "I9"]
    assert run.closed_now == run.closed_today


def test_a_plan_paying_collection_bonuses_recomputes_everyone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = book(
        3,
        incentives={
            "collection_bonus": {
                "period": "month",
                "measure": "dso",
                "tiers": [{"at_most": "20", "amount": "300"}, {"at_most": "60", "amount": "7"}],
            }
        },
    )
    january = Stream().invoice("2026-01-05", "I1", "1000.00").events
    late = [
        {
            "type": "payment",
            "id": "late",
            "date": "2026-01-25",
            "invoice": "I1",
            "amount": "1000.00",
        }
    ]
    run = February(tmp_path, monkeypatch, plans, january, late, january + late)
    assert run.runs == [] and run.close_runs == []
    assert run.closed_now == run.closed_today
    assert run.shown.statements == run.today.statements


def test_payouts_with_a_late_event_prints_what_the_whole_recompute_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command line (JSON and CSV copied from the ledger's texts, the table, one
    rep, no --through): byte for byte what today's whole recompute prints, stderr too."""
    from commission_engine.books import closing

    (tmp_path / "plans.yaml").write_text(
        "plans:\n  - {id: t, currency: USD, level: 3, quota: '1000', quota_period: quarter,"
        " tiers: [{from: '0', rate: '0.05'}, {from: '1', rate: '0.0875'}]}\n"
    )
    header = "type,id,date,invoice,rep,amount\n"
    (tmp_path / "january.csv").write_text(
        header + "invoice,e1,2026-01-10,I1,ana,1000.00\n"
        "invoice,e2,2026-01-11,I2,bo,800.00\ninvoice,e3,2026-01-12,I3,cy,600.00\n"
        "payment,e4,2026-01-13,NOPE,,5.00\n"  # rejected, and again by a whole recompute
    )
    (tmp_path / "february.csv").write_text(
        header + "payment,late,2026-01-30,I2,,800.00\n"
        "invoice,e5,2026-02-03,I4,bo,900.00\npayment,e6,2026-02-04,I1,,1000.00\n"
    )
    plans, ledger = tmp_path / "plans.yaml", tmp_path / "ledger.sqlite"

    def run(*args: object) -> tuple[int, str, str]:
        return run_command(capsys, *args)

    for month, period in (("january.csv", "2026-01"), ("february.csv", None)):
        assert run("ingest", tmp_path / month, "--ledger", ledger, "--lenient")[0] == 0
        if period:
            closing_args = ("close", plans, tmp_path / month, "--period", period)
            assert run(*closing_args, "--ledger", ledger, "--lenient")[0] == 0
    shown = [
        ("--format", "json"),
        ("--format", "csv"),
        ("--format", "table"),
        ("--format", "json", "--rep", "bo"),
        ("--format", "json", "--through", "2026-02-28"),
    ]
    runs = folding(monkeypatch)
    printed_now = [
        run("payouts", plans, tmp_path / "february.csv", "--ledger", ledger, "--lenient", *args)
        for args in shown
    ]
    # bo's events, and the event rejected at the close (rejected again), are recomputed; ana's
    # February is resumed; cy's history is not folded.
    assert {(kind, tuple(events)) for kind, events in runs} == {
        ("recomputed", ("e2", "e4", "late", "e5")),
        ("resumed", ("e6",)),
    }
    monkeypatch.setattr(closing, "_reopen_concerned", lambda *args: None)  # today's path
    printed_before = [
        run("payouts", plans, tmp_path / "february.csv", "--ledger", ledger, "--lenient", *args)
        for args in shown
    ]
    assert printed_now == printed_before
    assert all(status == 0 for status, _, _ in printed_now)
    statements = json.loads(printed_now[0][1])["statements"]
    [adjustment] = [
        (s["rep"], line["amount"])
        for s in statements
        for line in s["lines"]
        if line["kind"] == "prior_period_adjustment"
    ]
    assert adjustment[0] == "bo"
