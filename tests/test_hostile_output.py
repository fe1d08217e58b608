"""Issue 15, items 3 and 4: nothing reaches stdout unless the run succeeded; close fails
before its commit, never after."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hostile import INVOICE, files, run

from commission_engine.books.store import Ledger
from commission_engine.report import render

ADJUSTMENT = (
    '{"type": "adjustment", "id": "a1", "date": "2026-01-20", "rep": "ana", "amount": "%s"}\n'
)
MANY = "".join(
    f'{{"type": "invoice", "id": "i{n}", "date": "2026-01-15", "invoice": "I{n}", '
    f'"rep": "r{n:04d}", "amount": "100.00"}}\n'
    for n in range(300)
)


def failing_after(calls: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Money fails to render after ``calls`` amounts: a failure half-way through the output."""
    count = [0]

    def failing(real: Any) -> Any:
        def written(*args: Any) -> str:
            count[0] += 1
            if count[0] > calls:
                raise RuntimeError("rendering failed half-way")
            return str(real(*args))

        return written

    def failing_each(real: Any) -> Any:
        def written(values: Any, currency: str) -> list[str]:
            values = list(values)
            count[0] += len(values)
            if count[0] > calls:
                raise RuntimeError("rendering failed half-way")
            return list(real(values, currency))

        return written

    monkeypatch.setattr(render, "show", failing(render.show))
    monkeypatch.setattr(render, "show_all", failing_each(render.show_all))
    monkeypatch.setattr(render, "format_money", failing(render.format_money))


@pytest.mark.parametrize("format", ["csv", "json", "table"])
def test_payouts_writes_nothing_when_rendering_fails_half_way(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    format: str,
) -> None:
    plans, events = files(tmp_path, MANY)
    failing_after(500, monkeypatch)
    from commission_engine.cli import main

    with pytest.raises(RuntimeError, match="half-way"):
        main(["payouts", str(plans), str(events), "--lenient", "--format", format])
    assert capsys.readouterr().out == ""


def test_close_fails_before_its_commit_and_a_retry_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plans, events = files(tmp_path, MANY)
    ledger = tmp_path / "ledger.sqlite"
    args = ["close", str(plans), str(events), "--period", "2026-01", "--ledger", str(ledger)]
    failing_after(100, monkeypatch)
    from commission_engine.cli import main

    with pytest.raises(RuntimeError, match="half-way"):
        main([*args, "--format", "csv"])
    assert capsys.readouterr().out == ""
    assert not ledger.exists() or Ledger(ledger).latest() is None
    monkeypatch.undo()
    retry = run(*args, "--format", "csv")
    assert retry.status == 0, retry.err
    assert retry.out.count("\n") == 301


def test_a_close_over_an_amount_out_of_range_rejects_it_and_closes(tmp_path: Path) -> None:
    plans, events = files(tmp_path, INVOICE + ADJUSTMENT % ("9" * 50))
    ledger = tmp_path / "ledger.sqlite"
    args = ("close", plans, events, "--period", "2026-01", "--ledger", ledger)
    strict = run(*args)
    assert strict.status == 1 and strict.out == ""
    lenient = run(*args, "--lenient", "--format", "json")
    assert lenient.status == 0, lenient.err
    assert json.loads(lenient.out)["statements"][0]["payout"] == "50.00"
    assert run(*args, "--lenient").status == 2  # now closed: "already closed"


def test_a_close_whose_output_cannot_be_written_still_says_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from commission_engine.cli import close as close_command

    plans, events = files(tmp_path, INVOICE)
    ledger = tmp_path / "ledger.sqlite"
    monkeypatch.setattr(close_command, "deliver", lambda prog, output: 2)
    result = run("close", plans, events, "--period", "2026-01", "--ledger", ledger)
    assert result.status == 0
    assert Ledger(ledger).latest() is not None
