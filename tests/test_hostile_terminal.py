"""Issue 15, item 7: what was read never reaches a terminal as control characters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile import INVOICE, files, run

FAKE = "zed\n\nTotal payout: $0.00\n\x1b[8m"
CONTROLS = {chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))} - {"\n"}


def lines(rep: str) -> str:
    invoice = {"type": "invoice", "id": "e2", "date": "2026-01-16", "invoice": "I2", "rep": rep}
    return INVOICE + json.dumps({**invoice, "amount": "500.00"}) + "\n"


@pytest.mark.parametrize("format", ["table", "csv"])
def test_a_rep_name_cannot_fake_a_total_or_hide_a_row(tmp_path: Path, format: str) -> None:
    plans, events = files(tmp_path, lines(FAKE))
    result = run("payouts", plans, events, "--format", format)
    assert result.status == 0, result.err
    assert not CONTROLS & set(result.out)
    assert "\nTotal payout: $0.00" not in result.out
    assert "zed\\x0a\\x0aTotal payout: $0.00\\x0a\\x1b[8m" in result.out


def test_the_json_document_keeps_the_name_escaped_by_json(tmp_path: Path) -> None:
    plans, events = files(tmp_path, lines(FAKE))
    result = run("payouts", plans, events, "--format", "json")
    assert "\x1b" not in result.out
    assert FAKE in [s["rep"] for s in json.loads(result.out)["statements"]]


def test_rejection_messages_escape_what_they_quote(tmp_path: Path) -> None:
    bad = '{"type": "pay\\u001b[31mment", "id": "x\\u001b[2J", "date": "2026-01-20"}\n'
    unreadable = '{"type": "payment", "id": "y\x1b[2J", "date": \n'
    plans, events = files(tmp_path, INVOICE + bad + unreadable)
    for args in ((), ("--lenient",), ("--lenient", "--format", "csv")):
        result = run("payouts", plans, events, *args)
        assert "\x1b" not in result.err + result.out, args
    lenient = run("payouts", plans, events, "--lenient")
    assert "event x\\x1b[2J, field type: unknown event type 'pay\\x1b[31mment'" in lenient.out


def test_a_plan_file_problem_escapes_what_it_quotes(tmp_path: Path) -> None:
    plan = 'plans:\n  - {id: std, currency: USD, level: 2, rate: "0.10", "r\\e[2Jx": 1}\n'
    plans, events = files(tmp_path, INVOICE, plan=plan)
    result = run("payouts", plans, events)
    assert result.status == 2 and "\x1b" not in result.err
    assert "unknown key 'r\\x1b[2Jx'" in result.err


@pytest.mark.parametrize("command", ["aging", "compare"])
def test_the_other_tables_escape_names_too(tmp_path: Path, command: str) -> None:
    plans, events = files(tmp_path, lines(FAKE))
    args = (
        ("aging", events, "--as-of", "2026-02-10", "--plans", plans)
        if command == "aging"
        else ("compare", plans, events)
    )
    result = run(*args)
    assert result.status == 0, result.err
    assert not CONTROLS & set(result.out)
