"""``close`` and ``payouts --ledger`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_command as command

PLAN = "plans:\n  - {id: l3, currency: USD, level: 3, rate: '0.10'}\n"
EVENTS = """\
type,id,date,invoice,rep,amount
invoice,e1,2026-01-10,I1,ana,1000.00
invoice,e2,2026-02-03,I2,ana,200.00
"""
LATE = "payment,e3,2026-01-20,I1,,1000.00\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "plans.yaml").write_text(PLAN)
    (tmp_path / "events.csv").write_text(EVENTS)
    return tmp_path


def test_close_then_a_late_payment_rolls_forward(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans, events, ledger = files / "plans.yaml", files / "events.csv", files / "ledger.sqlite"
    status, out, err = command(
        capsys, "close", plans, events, "--period", "2026-01", "--ledger", ledger, "--format", "csv"
    )
    assert status == 0, err
    assert out.splitlines() == [
        "rep,period,currency,gross,recovered,payout,debt_balance,held_balance,draw,closed",
        "ana,2026-01,USD,0.00,0.00,0.00,0.00,100.00,0.00,true",
    ]
    with events.open("a") as more:
        more.write(LATE)
    status, out, err = command(
        capsys, "payouts", plans, events, "--ledger", ledger, "--format", "json",
        "--through", "2026-02-28",
    )  # fmt: skip
    assert status == 0, err
    document = json.loads(out)
    assert [
        (s["period"], s["gross"], s["payout"], s["closed"]) for s in document["statements"]
    ] == [
        ("2026-01", "0.00", "0.00", True),
        ("2026-02", "100.00", "100.00", False),
    ]
    assert document["statements"][1]["lines"][0]["kind"] == "prior_period_adjustment"
    assert "line 4: event e3 is new but dated in a closed period" in err


def test_closing_again_or_out_of_order_is_refused(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = (files / "plans.yaml", files / "events.csv", "--ledger", files / "ledger.sqlite")
    assert command(capsys, "close", *args, "--period", "2026-02")[0] == 0
    status, out, err = command(capsys, "close", *args, "--period", "2026-01")
    assert (status, out) == (2, "")
    assert "2026-01 cannot be closed: periods through 2026-02 are already closed" in err


def test_bad_period_and_bad_ledger(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = (files / "plans.yaml", files / "events.csv")
    status, _, err = command(capsys, "close", *args, "--period", "2026-13", "--ledger", "x")
    assert status == 2
    assert "'2026-13' is not a month in the form YYYY-MM" in err
    not_a_ledger = files / "notes.sqlite"
    not_a_ledger.write_text("plain text, not SQLite " * 50)
    status, _, err = command(capsys, "payouts", *args, "--ledger", not_a_ledger)
    assert status == 2
    assert "is not a usable ledger" in err


def test_a_rejected_event_closes_nothing(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = files / "events.csv"
    with events.open("a") as more:
        more.write("payment,e9,2026-01-20,I9,,5.00\n")
    ledger = files / "ledger.sqlite"
    status, out, err = command(
        capsys, "close", files / "plans.yaml", events, "--period", "2026-01", "--ledger", ledger
    )
    assert (status, out) == (1, "")
    assert "line 4: event e9, field invoice: unknown invoice I9" in err
    from commission_engine.books.store import Ledger

    assert Ledger(ledger).latest() is None


def test_ingest_then_payouts_and_close_fold_the_month(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plans, ledger = files / "plans.yaml", files / "ledger.sqlite"
    january, february = files / "january.csv", files / "february.csv"
    january.write_text("type,id,date,invoice,rep,amount\ninvoice,e1,2026-01-10,I1,ana,1000.00\n")
    february.write_text(
        "type,id,date,invoice,rep,amount\n"
        "invoice,e1,2026-01-10,I1,ana,1000.00\n"  # delivered again: ignored
        "invoice,e2,2026-02-03,I2,ana,200.00\n" + LATE
    )
    status, out, err = command(capsys, "ingest", january, "--ledger", ledger)
    assert (status, out) == (0, "")
    assert "kept 1 events" in err
    status, _, err = command(
        capsys, "close", plans, january, "--period", "2026-01", "--ledger", ledger
    )
    assert status == 0, err
    status, out, err = command(capsys, "ingest", february, "--ledger", ledger)
    assert status == 0
    assert "line 4: event e3 is new but dated in a closed period" in err
    assert "kept 2 events" in err and "1 already kept were ignored" in err
    for command_args in (
        ("payouts", plans, february, "--ledger", ledger, "--format", "csv"),
        ("close", plans, february, "--period", "2026-02", "--ledger", ledger, "--format", "csv"),
    ):
        status, out, err = command(capsys, *command_args)
        assert status == 0, err
        assert "ana,2026-02,USD,100.00,0.00,100.00,0.00,20.00" in out
        assert "event e3 is new but dated in a closed period" in err


def test_ingest_refuses_a_file_with_a_bad_line(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = files / "bad.csv"
    bad.write_text("type,id,date,invoice,rep,amount\ninvoice,e1,2026-01-10,I1,ana,-5\n")
    ledger = files / "ledger.sqlite"
    status, _, err = command(capsys, "ingest", bad, "--ledger", ledger)
    assert status == 1
    assert "Nothing was kept" in err
    assert not ledger.exists()
