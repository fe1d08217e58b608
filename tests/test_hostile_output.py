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


# The rendered output, held as the strings written ----------------------------------------

TEXTS = ["ab", "", "cdefghij", "k", "lmnopqrstuvwxyz0123", "é€", "45", "6789abcdefghijklmnopq", "r"]


class _Writes:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)


@pytest.mark.parametrize("piece", [1, 3, 7, 64])
@pytest.mark.parametrize("in_memory", [1 << 20, 10])
def test_rendered_output_is_copied_in_the_pieces_copying_a_file_writes(
    monkeypatch: pytest.MonkeyPatch, piece: int, in_memory: int
) -> None:
    # Where stdout cannot encode a character, what was written before the failure depends
    # on the pieces: the same as copying the text from a file (a temporary file past
    # SPOOL_IN_MEMORY characters, the strings themselves below).
    import io
    import shutil

    from commission_engine.cli import options

    monkeypatch.setattr(options, "_PIECE", piece)
    monkeypatch.setattr(options, "SPOOL_IN_MEMORY", in_memory)
    held = options.rendered(lambda out: [out.write(text) for text in TEXTS])
    copied, expected = _Writes(), _Writes()
    with held:
        held.copy_to(copied)  # type: ignore[arg-type]
    shutil.copyfileobj(io.StringIO("".join(TEXTS)), expected, piece)  # type: ignore[misc]
    assert copied.writes == expected.writes


def test_rendered_output_that_cannot_be_encoded_fails_while_rendered() -> None:
    # As writing a UTF-8 file: a lone surrogate (a JSON escape ``\ud800`` read) is refused
    # while the output is rendered, before any of it is written.
    from commission_engine.cli import options

    with pytest.raises(UnicodeEncodeError):
        options.rendered(lambda out: [out.write("fine"), out.write("odd \ud800")])
