"""``commission-engine statement``: a rep's statements explained, as HTML, JSON and CSV."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Command


def test_json_keeps_version_1_fields_in_order_and_adds_the_explanation(
    command: Command, examples: Path
) -> None:
    run = command(
        "statement", examples / "plans.yaml", examples / "events.csv",
        "--rep", "alice", "--period", "2026-05", "--format", "json",
    )  # fmt: skip
    assert run.status == 0, run.err
    doc = run.json()
    assert list(doc)[:4] == ["through", "statements", "rejected", "pending"]
    assert doc["version"] == 2 and doc["duplicates"] == 0
    (may,) = doc["statements"]
    assert list(may)[:10] == [  # version 1.1's, with the draw (FORMATS.md 1.1)
        "rep", "period", "currency", "gross", "recovered", "payout", "debt_balance",
        "held_balance", "draw", "lines",
    ]  # fmt: skip
    assert may["summary"]["advance"] == "2248.40"
    assert may["summary"]["past_due"] == "-4504.80"
    assert may["summary"]["payout"] == "0.00" and may["summary"]["debt_balance"] == "3456.40"
    assert may["plans"] == [
        {"plan": "ae-standard", "level": 1, "from": "2026-05-01", "to": "2026-05-31"}
    ]
    first = may["lines"][0]
    assert list(first)[:5] == ["date", "event", "invoice", "kind", "amount"]
    assert (first["kind"], first["days_past_due"], first["customer"]) == ("past_due", 60, "Globex")
    # No 28-digit figures: shares have four places, days are whole.
    assert first["share"] == "1.0000"


def test_csv_has_a_statement_row_then_its_lines(command: Command, examples: Path) -> None:
    run = command(
        "statement", examples / "plans.yaml", examples / "events.csv",
        "--rep", "carol", "--period", "2026-08", "--format", "csv",
    )  # fmt: skip
    assert run.status == 0, run.err
    header, statement, *lines = run.csv()
    row = dict(zip(header, statement, strict=True))
    assert (row["record"], row["payout"], row["release"]) == ("statement", "4722.85", "4722.85")
    assert row["attainment"] == "ae-accelerated:2026-Q3:132745.98/150000=0.8850"
    assert lines and all(line[0] == "line" for line in lines)
    first = dict(zip(header, lines[0], strict=True))
    assert (first["kind"], first["tiers"], first["customer"]) == ("release", "0:0.06", "Acme Corp")


def test_html_in_german_has_german_labels_and_money(command: Command, examples: Path) -> None:
    run = command(
        "statement", examples / "plans.yaml", examples / "events.csv",
        "--rep", "alice", "--period", "2026-05", "--locale", "de_DE",
    )  # fmt: skip
    assert run.status == 0, run.err
    page = run.out
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "Provisionsabrechnung" in page and "Auszahlung" in page and "Mai 2026" in page
    assert "-3.456,40\xa0$" in page and "11.05.2026" in page


def test_every_rep_into_a_folder(command: Command, examples: Path, tmp_path: Path) -> None:
    run = command(
        "statement", examples / "plans.yaml", examples / "events.csv",
        "--output-dir", tmp_path / "out", "--period", "2026-05", "--locale", "fr_FR",
    )  # fmt: skip
    assert run.status == 0, run.err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"{rep}-2026-05.html" for rep in ("alice", "bob", "carol", "dave", "erin")]
    assert "Relevé de commissions" in (tmp_path / "out" / "bob-2026-05.html").read_text()


def test_a_rep_is_needed_without_a_folder(command: Command, examples: Path) -> None:
    run = command("statement", examples / "plans.yaml", examples / "events.csv")
    assert run.status == 2 and "give --rep REP" in run.err and run.out == ""


def test_an_unknown_rep_names_those_there_are(command: Command, examples: Path) -> None:
    run = command("statement", examples / "plans.yaml", examples / "events.csv", "--rep", "zoe")
    assert run.status == 2
    assert "no statements for rep zoe; reps with statements: alice, bob" in run.err


def test_a_rep_name_never_leaves_the_folder() -> None:
    from commission_engine.report.statement_page import file_name

    assert file_name("../etc/passwd", "2026-05") == "~2e~2e~2fetc~2fpasswd-2026-05.html"
    assert json.dumps(file_name("a b", None)) == '"a~20b.html"'
