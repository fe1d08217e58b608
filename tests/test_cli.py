"""``commission-engine payouts`` through its real entry point: formats, exit codes, messages."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Command

from commission_engine.cli import progress

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PLANS, EVENTS_CSV, EVENTS_JSONL = (
    EXAMPLES / "plans.yaml",
    EXAMPLES / "events.csv",
    EXAMPLES / "events.jsonl",
)
SCRIPT = Path(sys.executable).with_name("commission-engine")

PLAN = "plans:\n  - {id: std, currency: USD, level: 1, rate: '0.10'}\n"
EVENTS = """\
type,id,date,invoice,rep,amount,reason
invoice,e1,2026-01-15,I1,ana,1000.00,
payment,e2,2026-02-10,I1,,400.00,
payment,e3,2026-02-11,I1,,900.00,
adjustment,e4,2026-03-31,,bo,25.00,spot bonus
"""


@pytest.fixture
def cli(command: Command) -> Command:
    """``commission-engine payouts ARGS`` in this process."""
    return lambda *args: command("payouts", *args)


@pytest.fixture
def files(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    def write(
        plan: str = PLAN, events: str = EVENTS, events_name: str = "e.csv"
    ) -> tuple[Path, Path]:
        (tmp_path / "p.yaml").write_text(plan, encoding="utf-8")
        (tmp_path / events_name).write_text(events, encoding="utf-8")
        return tmp_path / "p.yaml", tmp_path / events_name

    return write


# The README's first command, as a user runs it -------------------------------------------


def test_the_readme_first_command_shows_a_meaningful_table() -> None:
    command = "commission-engine payouts examples/plans.yaml examples/events.csv"
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")
    done = subprocess.run(
        [SCRIPT, "payouts", "examples/plans.yaml", "examples/events.csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0] == "Commission statements through 2026-12-31"
    assert lines[2].split() == [
        "rep", "period", "currency", "gross", "recovered", "payout", "debt", "balance", "held",
        "balance",
    ]  # fmt: skip
    for rep in ("alice", "bob", "carol", "dave", "erin"):
        assert any(line.startswith(f"{rep} ") and "2026-12  USD" in line for line in lines)
    assert lines[-1].startswith("Total payout: $")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["examples/plans.yaml", "examples/nowhere.csv"], 2, "No such file or directory"),
        (["examples/events.csv", "examples/events.csv"], 2, "a plan file must end in"),
        (["examples/plans.yaml", "examples/plans.yaml"], 2, "an event file must end in"),
    ],
)
def test_bad_input_never_shows_a_traceback(args: list[str], status: int, message: str) -> None:
    done = subprocess.run(
        [SCRIPT, "payouts", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == status
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


# The formats -----------------------------------------------------------------------------


def test_json_is_the_document_of_formats_md(
    cli: Command, files: Callable[..., tuple[Path, Path]]
) -> None:
    run = cli(*files(), "--format", "json", "--lenient")
    assert run.status == 0
    document = run.json()
    assert list(document) == ["through", "statements", "rejected", "pending"]
    assert document["through"] == "2026-03-31"
    first = document["statements"][0]
    assert first == {
        "rep": "ana", "period": "2026-01", "currency": "USD",
        "gross": "100.00", "recovered": "0.00", "payout": "100.00",
        "debt_balance": "0.00", "held_balance": "0.00", "draw": "0.00",
        "lines": [{"date": "2026-01-15", "event": "e1", "invoice": "I1",
                   "kind": "advance", "amount": "100.00"}],
    }  # fmt: skip
    assert [(s["rep"], s["period"]) for s in document["statements"]] == [
        ("ana", "2026-01"), ("ana", "2026-02"), ("ana", "2026-03"), ("bo", "2026-03"),
    ]  # fmt: skip
    assert document["rejected"] == [
        {
            "line": 4,
            "event": "e3",
            "field": "amount",
            "reason": "payment of 900.00 exceeds open balance plus written-off 600.00 "
            "of invoice I1",
        }
    ]
    assert document["pending"] == 0


def test_csv_and_jsonl_of_the_same_events_give_identical_json(cli: Command) -> None:
    from_csv = cli(PLANS, EVENTS_CSV, "--format", "json")
    from_jsonl = cli(PLANS, EVENTS_JSONL, "--format", "json")
    assert (from_csv.status, from_jsonl.status) == (0, 0)
    assert from_csv.out == from_jsonl.out
    assert len(from_csv.json()["statements"]) == 58


def test_csv_is_one_row_per_statement_with_exact_money(cli: Command) -> None:
    document = cli(PLANS, EVENTS_CSV, "--format", "json").json()
    run = cli(PLANS, EVENTS_CSV, "--format", "csv")
    assert run.status == 0
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert list(rows[0]) == [
        "rep", "period", "currency", "gross", "recovered", "payout", "debt_balance",
        "held_balance", "draw",
    ]  # fmt: skip
    expected = [{k: v for k, v in s.items() if k != "lines"} for s in document["statements"]]
    assert rows == expected


def test_the_table_writes_money_for_the_locale(
    cli: Command, files: Callable[..., tuple[Path, Path]]
) -> None:
    plan = "plans:\n  - {id: eu, currency: EUR, level: 0, rate: '0.10'}\n"
    events = "type,id,date,invoice,rep,amount\ninvoice,e1,2026-05-04,R-1,ana,12345.60\n"
    run = cli(*files(plan, events), "--locale", "de_DE")
    assert run.status == 0
    assert "1.234,56\xa0€" in run.out  # babel puts a no-break space before the symbol
    assert "Auszahlung gesamt: 1.234,56\xa0€" in run.out
    assert "1.234,56\xa0€" not in cli(*files(plan, events)).out  # en_US: €1,234.56


def test_one_rep_shows_each_statement_with_its_lines(cli: Command) -> None:
    run = cli(PLANS, EVENTS_CSV, "--rep", "alice", "--through", "2026-06-30")
    assert run.status == 0
    text = run.out.splitlines()
    assert text[0] == "Commission statements through 2026-06-30, rep alice"
    may = text.index(next(line for line in text if line.startswith("alice  2026-05")))
    assert text[may].split()[3:5] == ["-$3,456.40", "$0.00"]
    assert text[may + 1].split() == ["2026-05-11", "past_due", "INV-0001", "-", "-$2,400.00"]
    assert not any(line.startswith("bob") for line in text)
    assert "events dated after 2026-06-30 not applied yet" in run.out


def test_a_rep_without_statements_is_said_on_stderr(cli: Command) -> None:
    run = cli(PLANS, EVENTS_CSV, "--rep", "alcie")
    assert run.status == 0
    assert "No statements for rep alcie." in run.out
    assert "no statements for rep alcie; reps with statements: alice, bob, carol, dave, erin" in (
        run.err
    )


def test_through_stops_the_computation_and_counts_pending(cli: Command) -> None:
    document = cli(PLANS, EVENTS_CSV, "--format", "json", "--through", "2026-03-31").json()
    assert document["through"] == "2026-03-31"
    assert {s["period"] for s in document["statements"]} == {"2026-01", "2026-02", "2026-03"}
    later = [row for row in csv.DictReader(EVENTS_CSV.open()) if row["date"] > "2026-03-31"]
    assert document["pending"] == len(later) > 0


# Exit status -----------------------------------------------------------------------------


def test_strict_mode_stops_at_a_rejected_event_with_status_1(
    cli: Command, files: Callable[..., tuple[Path, Path]]
) -> None:
    plan, events = files()
    run = cli(plan, events)
    assert (run.status, run.out) == (1, "")
    assert run.err.startswith(
        f"commission-engine payouts: {events}: line 4: event e3, field amount: payment of "
        "900.00 exceeds open balance plus written-off 600.00 of invoice I1\n"
    )
    assert "--lenient" in run.err


def test_lenient_mode_lists_every_rejected_event(
    cli: Command, files: Callable[..., tuple[Path, Path]]
) -> None:
    broken = EVENTS + "payment,e5,2026-03-32,I1,,1.00,\n"
    plan, events = files(events=broken)
    table = cli(plan, events, "--lenient")
    assert table.status == 0
    assert table.out.endswith(
        "Rejected, not applied (2 events):\n"
        "  line 4: event e3, field amount: payment of 900.00 exceeds open balance plus "
        "written-off 600.00 of invoice I1\n"
        "  line 6: event e5, field date: '2026-03-32' is not a calendar date\n"
    )
    as_csv = cli(plan, events, "--lenient", "--format", "csv")
    assert as_csv.status == 0
    assert as_csv.err.count(f"{events}: line ") == 2
    assert len(cli(plan, events, "--lenient", "--format", "json").json()["rejected"]) == 2


def test_a_line_that_is_not_json_is_rejected_with_its_line(
    cli: Command, files: Callable[..., tuple[Path, Path]]
) -> None:
    events = (
        '{"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1", '
        '"rep": "ana", "amount": "1000.00"}\n\n{"type": "payment", "id": "e2", "date": \n'
    )
    run = cli(*files(events=events, events_name="e.jsonl"), "--lenient", "--format", "json")
    assert run.json()["rejected"] == [
        {
            "line": 3,
            "event": "e2",
            "field": None,
            "reason": "not valid JSON: Expecting value (at end of line)",
        }
    ]


def test_a_bad_plan_file_is_status_2_naming_key_and_line(
    cli: Command, files: Callable[..., tuple[Path, Path]]
) -> None:
    plan, events = files(plan=PLAN.replace("rate:", "rates:"))
    run = cli(plan, events)
    assert (run.status, run.out) == (2, "")
    assert run.err.splitlines()[1:] == [
        "  line 2, plans[0]: unknown key 'rates'; allowed here: id, currency, level, earn_on, "
        "advance, clawback, rate, quota, quota_period, tiers, base, payment_terms_days, rounding, "
        "incentives, draw",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--through", "2026-02-30"], "argument --through: '2026-02-30' is not a calendar date"),
        (["--through", "31.12.2026"], "'31.12.2026' is not a date in the form YYYY-MM-DD"),
        (["--locale", "xx_YY"], "argument --locale: unknown locale 'xx_YY'"),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
    ],
)
def test_bad_usage_is_status_2(
    cli: Command, files: Callable[..., tuple[Path, Path]], args: list[str], message: str
) -> None:
    run = cli(*files(), *args)
    assert (run.status, run.out) == (2, "")
    assert message in run.err


def test_missing_files_and_bad_headers_are_status_2(
    cli: Command, files: Callable[..., tuple[Path, Path]], tmp_path: Path
) -> None:
    plan, events = files(events="kind,id,date\n")
    assert cli(plan).status == 2  # EVENT_FILE not given
    missing = cli(tmp_path / "absent.yaml", events)
    assert (missing.status, missing.err) == (
        2,
        f"commission-engine payouts: cannot read plan file {tmp_path / 'absent.yaml'}: "
        "No such file or directory\n",
    )
    header = cli(plan, events)
    assert header.status == 2
    assert "line 1 (the header): unknown column 'kind'" in header.err


# Progress on a terminal ------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only(
    cli: Command, monkeypatch: pytest.MonkeyPatch, files: Callable[..., tuple[Path, Path]]
) -> None:
    plan, events = files(events=EVENTS.replace("900.00", "600.00"))
    quiet = cli(plan, events, "--format", "json")
    assert (quiet.status, quiet.err) == (0, "")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(progress, "REFRESH", 0)  # every event redrawn: the count is seen
    shown = cli(plan, events, "--format", "json")
    assert (shown.status, shown.out) == (0, quiet.out)  # the output is the same
    drawn = terminal.getvalue()
    # Each phase, drawn by tqdm on the terminal: the events counted as they are read, then
    # what is done with them, then writing (stdout here is not the terminal).
    assert "reading e.csv: 4" in drawn
    assert drawn.index("reading e.csv") < drawn.index("computing statements")
    assert drawn.index("computing statements") < drawn.index("writing")
    assert drawn.rstrip(" ").endswith("\r")  # the last line cleared


# The bundled example data ----------------------------------------------------------------


def test_the_example_events_are_what_make_events_writes(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, EXAMPLES / "make_events.py", tmp_path], check=True, capture_output=True
    )
    for name in ("events.csv", "events.jsonl"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


def test_the_example_year_shows_every_rule_at_work(cli: Command) -> None:
    document = cli(PLANS, EVENTS_CSV, "--format", "json").json()
    assert (document["rejected"], document["pending"]) == ([], 0)
    lines = [dict(line, rep=s["rep"]) for s in document["statements"] for line in s["lines"]]

    def kinds(invoice: str) -> list[tuple[str, str, str]]:
        return [(x["rep"], x["date"], x["kind"]) for x in lines if x["invoice"] == invoice]

    # A late payer: clawed back 60 days past due, reinstated when it paid.
    assert kinds("INV-0001") == [
        ("alice", "2026-02-10", "advance"),
        ("alice", "2026-05-11", "past_due"),
        ("alice", "2026-06-15", "reinstatement"),
    ]
    # Partly paid (level 1: nothing to release), written off, then partly recovered.
    assert kinds("INV-0002") == [
        ("alice", "2026-03-05", "advance"),
        ("alice", "2026-05-29", "clawback"),
        ("alice", "2026-11-16", "reinstatement"),
    ]
    assert [k for _, _, k in kinds("INV-0003")] == ["advance", "credit_note", "release"]
    assert {rep for rep, _, _ in kinds("INV-0004")} == {"alice", "bob"}  # a split invoice
    assert "payment_reversal" in [k for _, _, k in kinds("INV-0005")]
    assert {x["rep"] for x in lines if x["kind"] == "adjustment"} == {"bob", "erin"}
    # Partial payments beyond the stories, and netting of debt against later commission.
    payments = [
        row["invoice"] for row in csv.DictReader(EVENTS_CSV.open()) if row["type"] == "payment"
    ]
    assert sum(1 for invoice in set(payments) if payments.count(invoice) >= 3) >= 5
    assert any(s["recovered"] != "0.00" for s in document["statements"])
    levels = {
        line.split("level:")[1].strip()
        for line in PLANS.read_text().splitlines()
        if "level:" in line
    }
    assert levels == {"0", "1", "2", "3", "4"}
