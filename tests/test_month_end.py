"""Month end (issue 16): ``payouts --period``, ``--output``, ``--through YYYY-MM``, and
``aging PLAN_FILE EVENT_FILE``."""

from __future__ import annotations

from pathlib import Path

from conftest import Command


def test_period_prints_that_months_statements_with_subtotals(
    command: Command, examples: Path
) -> None:
    run = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--period", "2026-05"
    )
    assert run.status == 0, run.err
    assert run.out.startswith("Payouts for May 2026 (2026-05), through 2026-05-31\n")
    subtotals = [line.split() for line in run.out.splitlines() if " Subtotal " in line]
    assert [row[0] for row in subtotals] == ["alice", "bob", "carol", "dave", "erin"]
    assert subtotals[0][-3:] == ["-$3,456.40", "$0.00", "$0.00"]
    assert run.out.endswith("Total payout: $5,215.58\n")


def test_period_json_holds_only_that_month(command: Command, examples: Path) -> None:
    run = command(
        "payouts", examples / "plans.yaml", examples / "events.csv",
        "--period", "2026-05", "--format", "json",
    )  # fmt: skip
    assert run.status == 0
    doc = run.json()
    assert doc["through"] == "2026-05-31"
    assert {s["period"] for s in doc["statements"]} == {"2026-05"}


def test_through_takes_a_month(command: Command, examples: Path) -> None:
    by_month = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--through", "2026-02",
        "--format", "csv",
    )  # fmt: skip
    by_day = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--through", "2026-02-28",
        "--format", "csv",
    )  # fmt: skip
    assert by_month.status == by_day.status == 0 and by_month.out == by_day.out
    bad = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--through", "2026-13"
    )
    assert bad.status == 2 and "'2026-13' is not a month in the form YYYY-MM" in bad.err


def test_output_is_written_only_once_the_run_succeeded(
    command: Command, examples: Path, tmp_path: Path
) -> None:
    target = tmp_path / "may.csv"
    ok = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--period", "2026-05",
        "--format", "csv", "--output", target,
    )  # fmt: skip
    assert ok.status == 0 and ok.out == ""
    written = target.read_text()
    assert written.startswith("rep,period,currency,gross,")
    broken = tmp_path / "events.csv"
    broken.write_text(
        (examples / "events.csv").read_text() + "payment,E9999,2026-05-30,NOPE,,,,1.00,,,,\n"
    )
    failed = command(
        "payouts", examples / "plans.yaml", broken, "--format", "csv", "--output", target
    )
    assert failed.status == 1
    assert target.read_text() == written  # the earlier file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "may.csv"]  # no leftovers


def test_aging_takes_plan_file_first_and_the_old_form_with_a_note(
    command: Command, examples: Path
) -> None:
    new = command(
        "aging", examples / "plans.yaml", examples / "events.csv", "--as-of", "2026-06-30",
        "--format", "csv",
    )  # fmt: skip
    old = command(
        "aging", examples / "events.csv", "--plans", examples / "plans.yaml",
        "--as-of", "2026-06-30", "--format", "csv",
    )  # fmt: skip
    assert new.status == old.status == 0 and new.out == old.out and new.err == ""
    assert "--plans is deprecated" in old.err


def test_version(command: Command) -> None:
    from commission_engine import __version__

    run = command("--version")
    assert run.status == 0 and run.out == f"commission-engine {__version__}\n"


def test_calendar_months_from_1900_to_2199() -> None:
    import datetime as dt
    from itertools import pairwise

    from commission_engine.domain.statements import last_day, periods_between

    periods = list(periods_between("1900-01", "2199-12"))
    assert len(periods) == 300 * 12 and list(periods_between("2026-03", "2026-02")) == []
    for period, following in pairwise(periods):
        assert last_day(period) + dt.timedelta(days=1) == dt.date.fromisoformat(following + "-01")
    assert last_day("2100-02").day == 28 and last_day("2000-02").day == 29


def test_the_payouts_table_speaks_the_locale(command: Command, examples: Path) -> None:
    # Labels through the catalogues (de_DE, fr_FR); English as written, byte for byte.
    german = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--locale", "de_DE"
    )
    assert german.status == 0
    first, _, headings = german.out.splitlines()[:3]
    assert first == "Provisionsabrechnungen bis 2026-12-31"
    assert headings.split()[:4] == ["Verkäufer", "Zeitraum", "Währung", "brutto"]
    assert "Auszahlung gesamt: " in german.out
    french = command(
        "payouts", examples / "plans.yaml", examples / "events.csv", "--locale", "fr_FR"
    )
    assert french.out.splitlines()[0] == "Relevés de commissions jusqu'au 2026-12-31"
    english = command("payouts", examples / "plans.yaml", examples / "events.csv")
    assert english.out.splitlines()[0] == "Commission statements through 2026-12-31"
