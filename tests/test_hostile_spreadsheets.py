"""Issue 15, item 6: CSV output never hands a spreadsheet a formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hostile import files, run

NAMES = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "-5"]


def events() -> str:
    lines = []
    for n, rep in enumerate(NAMES):
        invoice = {"type": "invoice", "id": f"e{n}", "date": "2026-01-15", "invoice": f"I{n}"}
        lines.append(json.dumps({**invoice, "rep": rep, "amount": "1000.00"}))
        lines.append(
            json.dumps(
                {"type": "adjustment", "id": f"a{n}", "date": "2026-02-01", "rep": rep}
                | {"amount": "-300.00"}
            )
        )
    return "\n".join(lines) + "\n"


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe(text: str) -> None:
    found = cells(text)
    for cell in found:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert cell.lstrip("-").replace(".", "", 1).isdigit(), cell  # a plain number
    assert "'=cmd|' /C calc'!A0" in found and "'-2+3" in found and "'\\x09x" in found
    assert "-5" in found  # a rep named -5 is a number to a spreadsheet, not a formula


@pytest.mark.parametrize("command", ["payouts", "close", "aging", "compare"])
def test_every_csv_output_neutralises_formulas(tmp_path: Path, command: str) -> None:
    plans, path = files(tmp_path, events())
    args = {
        "payouts": ("payouts", plans, path),
        "close": ("close", plans, path, "--period", "2026-02", "--ledger", tmp_path / "l"),
        "aging": ("aging", path, "--as-of", "2026-02-10", "--plans", plans),
        "compare": ("compare", plans, path),
    }[command]
    result = run(*args, "--format", "csv")
    assert result.status == 0, result.err
    if command == "compare":  # no rep names in it; money may be negative
        assert all(not c.startswith(("=", "+", "@")) for c in cells(result.out))
        return
    assert_safe(result.out)
    if command in ("payouts", "close"):
        assert "-300.00" in cells(result.out)  # a negative amount is left a number
