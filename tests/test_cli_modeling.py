"""``commission-engine compare`` and ``aging`` through the real entry point."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Command

from commission_engine import compute
from commission_engine.domain.money import round_ratio
from commission_engine.files import read_events, read_plans
from commission_engine.modeling import age_receivables

ROOT = Path(__file__).resolve().parent.parent
PLANS, EVENTS = ROOT / "examples" / "plans.yaml", ROOT / "examples" / "events.csv"

TWO_PLANS = """\
plans:
  - {id: now, currency: USD, level: 0, rate: '0.10'}
  - {id: proposed, currency: USD, level: 3, rate: '0.10'}
assignments:
  - {rep: '*', plan: now, from: 2026-01-01}
"""
EVENT_ROWS = """\
type,id,date,invoice,rep,amount,due
invoice,e1,2026-01-15,I1,ana,1000.00,2026-02-14
payment,e2,2026-02-10,I1,,400.00,
invoice,e3,2026-03-01,I2,bo,500.00,
"""


Cli = Command


@pytest.fixture
def cli(command: Command) -> Command:
    return command


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    plans, events = tmp_path / "plans.yaml", tmp_path / "events.csv"
    plans.write_text(TWO_PLANS)
    events.write_text(EVENT_ROWS)
    return plans, events


# compare -------------------------------------------------------------------------------


def test_compare_prints_one_column_per_plan(cli: Cli, files: tuple[Path, Path]) -> None:
    run = cli("compare", *files)
    assert run.status == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "Plans compared on the same events, through 2026-03-01"
    assert lines[2].split() == ["figure", "now", "proposed"]
    payout = next(line for line in lines if line.startswith("total payout"))
    assert payout.split()[-2:] == ["$150.00", "$40.00"]


def test_compare_json_matches_a_direct_run_of_each_plan(cli: Cli) -> None:
    run = cli("compare", PLANS, EVENTS, "--format", "json")
    assert run.status == 0, run.err
    document = run.json()
    book = read_plans(PLANS)
    assert [p["plan"] for p in document["plans"]] == [plan.id for plan in book.plans]
    events = list(read_events(EVENTS))
    for plan, figures in zip(book.plans, document["plans"], strict=True):
        direct = compute(type(book)(plans=[plan]), events)
        assert figures["payout"] == str(sum(s.payout for s in direct.statements))
        assert figures["periods"][-1]["cumulative_payout"] == figures["payout"]
        assert figures["rejected"] == [] and figures["pending"] == 0
        assert Decimal(figures["cost_share"]) == Decimal(figures["payout"]) / Decimal(
            figures["collected"]
        )
    assert document["through"] == "2026-12-31"


def test_compare_csv_has_field_names_and_exact_figures(cli: Cli, files: tuple[Path, Path]) -> None:
    rows = cli("compare", *files, "--format", "csv").csv()
    assert rows[0] == ["figure", "now", "proposed"]
    figures = {row[0]: row[1:] for row in rows[1:]}
    assert figures["payout"] == ["150.00", "40.00"]
    assert figures["held"] == ["0.00", "110.00"]
    assert figures["weighted_days"] == ["0", "26"]  # 40.00 released 26 days after I1
    assert figures["cost_share"] == ["0.375", "0.1"]


def test_compare_through_a_date(cli: Cli, files: tuple[Path, Path]) -> None:
    document = cli("compare", *files, "--format", "json", "--through", "2026-01-31").json()
    assert document["through"] == "2026-01-31"
    assert [p["pending"] for p in document["plans"]] == [2, 2]


def test_compare_stops_on_a_rejected_event_unless_lenient(
    cli: Cli, files: tuple[Path, Path]
) -> None:
    plans, events = files
    events.write_text(EVENT_ROWS + "payment,e4,2026-03-02,NOPE,,10.00,\n")
    strict = cli("compare", plans, events)
    assert strict.status == 1
    assert strict.out == ""
    assert "(plan now): line 5: event e4, field invoice: unknown invoice NOPE" in strict.err
    lenient = cli("compare", plans, events, "--lenient")
    assert lenient.status == 0
    assert "now: rejected, not applied (1):" in lenient.out
    as_json = cli("compare", plans, events, "--lenient", "--format", "json").json()
    assert as_json["plans"][0]["rejected"][0]["event"] == "e4"


def test_compare_bad_files_exit_2(cli: Cli, files: tuple[Path, Path], tmp_path: Path) -> None:
    plans, events = files
    missing = cli("compare", tmp_path / "nope.yaml", events)
    assert missing.status == 2 and missing.out == ""
    assert missing.err.startswith("commission-engine compare: ")
    assert cli("compare", plans).status == 2  # usage


def test_compare_table_formats_money_for_a_locale(cli: Cli, files: tuple[Path, Path]) -> None:
    run = cli("compare", *files, "--locale", "de_DE")
    assert "150,00\xa0$" in run.out


# aging ---------------------------------------------------------------------------------


def test_aging_table_lists_each_rep_and_dso(cli: Cli, files: tuple[Path, Path]) -> None:
    plans, events = files
    run = cli("aging", events, "--as-of", "2026-03-31", "--plans", plans)
    assert run.status == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "Receivables and commission at risk as of 2026-03-31"
    ana = next(line for line in lines if line.startswith("ana"))
    heading = next(line for line in lines if line.startswith("rep"))
    for spaced in ("over 90", "clawback exposure", "at risk"):
        heading = heading.replace(spaced, spaced.replace(" ", "_"))
    row = dict(zip(heading.split(), ana.split(), strict=True))
    assert row == {
        "rep": "ana",
        "currency": "USD",
        "current": "$0.00",
        "1-30": "$0.00",
        "31-60": "$600.00",  # due 2026-02-14: 45 days past due
        "61-90": "$0.00",
        "over_90": "$0.00",
        "open": "$600.00",
        "held": "$0.00",
        "clawback_exposure": "$0.00",
        "at_risk": "$0.00",
    }
    assert "Days sales outstanding" in run.out


def test_aging_json_equals_the_library(cli: Cli) -> None:
    run = cli("aging", EVENTS, "--as-of", "2026-09-30", "--plans", PLANS, "--format", "json")
    assert run.status == 0, run.err
    document = run.json()
    aging = age_receivables(read_plans(PLANS), read_events(EVENTS), dt.date(2026, 9, 30))
    assert [r["rep"] for r in document["reps"]] == [r.rep for r in aging.reps]
    for row, rep in zip(document["reps"], aging.reps, strict=True):
        assert row["at_risk"] == str(rep.at_risk)
        assert row["buckets"]["over_90"] == str(rep.over_90)  # snake_case, as every name
    assert len(document["invoices"]) == len(aging.items)
    assert len(document["dso"]) == len(aging.dso)
    assert document["pending"] == aging.pending > 0


def test_aging_csv_is_one_row_per_rep(cli: Cli, files: tuple[Path, Path]) -> None:
    plans, events = files
    rows = cli("aging", events, "--as-of", "2026-03-31", "--plans", plans, "--format", "csv").csv()
    assert rows[0] == [  # the JSON's snake_case names, and each rep's DSO of as_of's period
        "rep", "currency", "current", "days_1_30", "days_31_60", "days_61_90", "over_90",
        "open", "held", "clawback_exposure", "at_risk", "dso_period", "dso",
    ]  # fmt: skip
    assert [row[0] for row in rows[1:]] == ["ana", "bo"]
    assert rows[2][2] == "500.00"  # bo's I2 is due 2026-03-31: current
    aging = age_receivables(read_plans(plans), read_events(events), dt.date(2026, 3, 31))
    march = {d.rep: d for d in aging.dso if d.period == "2026-03"}
    for row in rows[1:]:
        dso = march[row[0]].dso
        assert row[-2:] == ["2026-03", "" if dso is None else str(round_ratio(dso))]


def test_aging_needs_as_of_and_plans(cli: Cli, files: tuple[Path, Path]) -> None:
    plans, events = files
    no_plans = cli("aging", events, "--as-of", "2026-03-31")
    assert no_plans.status == 2 and "--plans" in no_plans.err
    assert cli("aging", events, "--plans", plans).status == 2
    bad_date = cli("aging", events, "--as-of", "31/03/2026", "--plans", plans)
    assert bad_date.status == 2 and "YYYY-MM-DD" in bad_date.err


def test_aging_stops_on_a_rejected_event_unless_lenient(cli: Cli, files: tuple[Path, Path]) -> None:
    plans, events = files
    events.write_text(EVENT_ROWS + "payment,e4,2026-03-02,I1,,9999.00,\n")
    strict = cli("aging", events, "--as-of", "2026-03-31", "--plans", plans)
    assert strict.status == 1 and strict.out == ""
    assert "events.csv: line 5: event e4, field amount: payment of 9999.00" in strict.err
    lenient = cli("aging", events, "--as-of", "2026-03-31", "--plans", plans, "--lenient")
    assert lenient.status == 0
    assert "Rejected, not applied (1):" in lenient.out


def test_aging_without_dso(cli: Cli, files: tuple[Path, Path]) -> None:
    plans, events = files
    args = ("aging", events, "--as-of", "2026-03-31", "--plans", plans)
    quick = cli(*args, "--no-dso")
    assert quick.status == 0 and "Days sales outstanding" not in quick.out
    assert quick.out.splitlines()[:5] == cli(*args).out.splitlines()[:5]
    assert cli(*args, "--no-dso", "--format", "json").json()["dso"] == []


def test_compare_gives_the_same_figures_in_one_process_or_several(cli: Cli) -> None:
    one = cli("compare", PLANS, EVENTS, "--lenient", "--format", "json", "--processes", "1")
    several = cli("compare", PLANS, EVENTS, "--lenient", "--format", "json", "--processes", "3")
    assert one.status == several.status == 0
    assert one.out == several.out and len(one.json()["plans"]) > 2


# what every modeling command does with a rejected event ----------------------------------

REJECTED_E4 = "line 5: event e4, field invoice: unknown invoice NOPE"


@pytest.mark.parametrize(
    ("args", "stopped", "unlisted"),
    [
        (("compare", "{plans}", "{events}"),
         "Nothing was compared: events were rejected. Correct them, or give --lenient to "
         "compare on the events each plan could apply.", ("csv",)),
        (("aging", "{events}", "--plans", "{plans}", "--as-of", "2026-03-31"),
         "Nothing was aged: events were rejected. Correct them, or give --lenient to age the "
         "events that could be applied.", ("csv",)),
        (("overdue", "{plans}", "{events}", "--as-of", "2026-03-31"),
         "Nothing was listed: events were rejected. Correct them, or give --lenient to list "
         "from the events that could be applied.", ("csv", "html")),
        (("customers", "{plans}", "{events}"),
         "Nothing was computed: events were rejected. Correct them, or give --lenient to "
         "compute from the events that could be applied.", ("csv", "html")),
    ],
    ids=["compare", "aging", "overdue", "customers"],
)  # fmt: skip
def test_a_rejected_event_stops_a_modeling_command_unless_lenient(
    cli: Cli, files: tuple[Path, Path], args: tuple[str, ...], stopped: str,
    unlisted: tuple[str, ...],
) -> None:  # fmt: skip
    plans, events = files
    events.write_text(EVENT_ROWS + "payment,e4,2026-03-02,NOPE,,10.00,\n")
    argv = [arg.format(plans=plans, events=events) for arg in args]
    strict = cli(*argv)
    assert strict.status == 1 and strict.out == ""
    assert REJECTED_E4 in strict.err and strict.err.rstrip().endswith(stopped)
    for format_ in ("json", "csv", "html", "table"):
        lenient = cli(*argv, "--lenient", "--format", format_)
        if lenient.status == 2:  # a format this command does not write
            assert "invalid choice" in lenient.err
            continue
        assert lenient.status == 0 and lenient.out
        # On stderr only where the output has no place for them.
        assert (REJECTED_E4 in lenient.err) == (format_ in unlisted), format_
