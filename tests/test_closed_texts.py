"""The closed statements' printed texts kept in the ledger (issue 19, fourth pass): ``payouts
--ledger`` prints the closed statements by copying their texts in among the open ones, and
prints the very bytes it printed when it rendered them."""

from __future__ import annotations

import io
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ingest, ledger_rows, month_of, parsed
from conftest import run_command as command
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import book
from strategies import PROPERTY, cases

from commission_engine.books.closing import KeptStatements, by_rep
from commission_engine.books.monthly import close_with_ledger, reopen_with_ledger
from commission_engine.books.store import Ledger
from commission_engine.books.texts import KeptTexts, TextForms
from commission_engine.cli import close as close_command
from commission_engine.cli import payouts as payouts_command
from commission_engine.domain.statements import last_day
from commission_engine.report.render import write_csv, write_json

EXAMPLES = Path(__file__).parent.parent / "examples"
TEXTS = close_command.TEXTS


def _example_closed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], months: int, first: int = 1
) -> Path:
    """The example's months ``first`` .. ``months`` ingested and closed one by one by the
    commands."""
    ledger = tmp_path / "ledger.sqlite"
    lines = (EXAMPLES / "events.jsonl").read_text().splitlines(keepends=True)
    for month in range(first, months + 1):
        period = f"2026-{month:02d}"
        given = tmp_path / f"{period}.jsonl"
        given.write_text("".join(line for line in lines if f'"date": "{period}' in line))
        status, _, err = command(capsys, "ingest", given, "--ledger", ledger)
        assert status == 0, err
        status, _, err = command(
            capsys, "close", EXAMPLES / "plans.yaml", given, "--period", period,
            "--ledger", ledger, "--format", "csv",
        )  # fmt: skip
        assert status == 0, err
    return ledger


def _both_ways(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: object
) -> tuple[str, str]:
    """What ``payouts`` prints from the kept texts, and what it prints rendering every
    closed statement (today's path, the texts left aside)."""
    status, copied, err = command(capsys, "payouts", *args)
    assert status == 0, err
    with monkeypatch.context() as patched:
        patched.setattr(payouts_command, "_texts", lambda run, args: None)
        status, rendered, err = command(capsys, "payouts", *args)
    assert status == 0, err
    return copied, rendered


@pytest.mark.parametrize("form", ["json", "csv"])
def test_the_example_printed_from_the_texts_is_the_rendered_output(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    form: str,
) -> None:
    ledger = _example_closed(tmp_path, capsys, 7)
    everything = (EXAMPLES / "plans.yaml", EXAMPLES / "events.jsonl", "--ledger", ledger)
    for options in ([], ["--through", "2026-09-30"], ["--period", "2026-05"], ["--lenient"]):
        copied, rendered = _both_ways(capsys, monkeypatch, *everything, "--format", form, *options)
        assert copied == rendered
    copied, _ = _both_ways(capsys, monkeypatch, *everything, "--format", form)
    assert "2026-07" in copied and "2026-12" in copied  # closed and open statements, both
    if form == "json":
        periods = {s["period"] for s in json.loads(copied)["statements"] if s["closed"]}
        assert periods == {f"2026-{month:02d}" for month in range(1, 8)}


def test_period_reads_only_that_periods_texts_and_every_read_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = _example_closed(tmp_path, capsys, 4)

    def alter(period: str) -> None:  # one JSON text of the period altered inside the file
        with sqlite3.connect(ledger) as connection:
            connection.execute(
                "UPDATE closed_texts SET json = replace(json, '\"closed\": true', '\"closed\": 1')"
                " WHERE rowid = (SELECT MIN(rowid) FROM closed_texts WHERE period = ?)",
                (period,),
            )

    everything = (EXAMPLES / "plans.yaml", EXAMPLES / "events.jsonl", "--ledger", ledger)
    alter("2026-03")
    status, out, err = command(capsys, "payouts", *everything, "--format", "json")
    assert (status, out) == (2, "")  # nothing printed
    assert "the closed statements of 2026-03 were changed after the close of 2026-04" in err
    status, out, err = command(capsys, "payouts", *everything, "--format", "csv")
    assert status == 0, err  # the CSV texts are untouched
    for period in ("2026-04", "2026-06"):  # the last closed month, an open one: March unread
        status, out, err = command(
            capsys, "payouts", *everything, "--format", "json", "--period", period
        )
        assert status == 0, err
        assert {s["period"] for s in json.loads(out)["statements"]} == {period}
    alter("2026-04")
    status, out, err = command(
        capsys, "payouts", *everything, "--format", "json", "--period", "2026-04"
    )
    assert (status, out) == (2, "")
    assert "the closed statements of 2026-04 were changed" in err


def test_a_ledger_closed_without_texts_prints_as_before_and_gets_them_at_its_next_close(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before:  # closed as the code before the texts did
        before.setattr(close_command, "TEXTS", None)
        ledger = _example_closed(tmp_path, capsys, 3)
    with Ledger(ledger).reading() as (book, _):
        assert book is not None and isinstance(book.statements, KeptStatements)
        assert book.statements.texts is None
    everything = (EXAMPLES / "plans.yaml", EXAMPLES / "events.jsonl", "--ledger", ledger)
    old = command(capsys, "payouts", *everything, "--format", "json")[1]
    _example_closed(tmp_path, capsys, 4, first=4)
    with Ledger(ledger).reading() as (book, _):
        assert book is not None and isinstance(book.statements, KeptStatements)
        assert isinstance(book.statements.texts, KeptTexts)
        counts = {p: c for p, (c, _, _) in book.statements.texts.digests.periods.items()}
        assert sum(counts.values()) == len(book.statements)
        assert sorted(counts) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    copied, rendered = _both_ways(capsys, monkeypatch, *everything, "--format", "json")
    assert copied == rendered
    assert old.count('"closed": true') < copied.count('"closed": true')


def test_texts_of_another_version_are_not_printed_but_written_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as older:
        older.setattr(
            close_command, "TEXTS", TextForms(version="0", json=lambda s: "?", csv=lambda s: "?")
        )
        ledger = _example_closed(tmp_path, capsys, 2)
    everything = (EXAMPLES / "plans.yaml", EXAMPLES / "events.jsonl", "--ledger", ledger)
    copied, rendered = _both_ways(capsys, monkeypatch, *everything, "--format", "csv")
    assert copied == rendered and "?" not in copied
    _example_closed(tmp_path, capsys, 3, first=3)
    with sqlite3.connect(ledger) as connection:
        left = connection.execute("SELECT COUNT(*) FROM closed_texts WHERE csv = '?'").fetchone()
    assert left == (0,)  # every text written again by this version
    copied, rendered = _both_ways(capsys, monkeypatch, *everything, "--format", "csv")
    assert copied == rendered


def _printed(result: Any, closed_through: str, kept: Any = None, form: str = "json") -> str:
    out = io.StringIO()
    (write_json if form == "json" else write_csv)(result, out, None, closed_through, kept=kept)
    return out.getvalue()


@settings(PROPERTY, max_examples=30)
@given(cases(), st.data())
def test_closed_monthly_the_texts_print_what_rendering_prints(
    case: tuple[Any, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """Each month of a generated stream (some events late) ingested, shown and closed with
    texts: the output printed from the texts equals the one rendered, in both forms, for the
    whole run and for a period."""
    plans, events = case
    delays = data.draw(st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=len(events)))
    delivered = [min(6, month_of(e) + delay) for e, delay in zip(events, delays, strict=False)]
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "ledger.sqlite")
        for month in range(1, 7):
            period, end = f"2026-{month:02d}", last_day(f"2026-{month:02d}")
            this_month = [e for e, m in zip(events, delivered, strict=False) if m == month]
            ingest(ledger, this_month)
            with ledger.reading(statements_after=False) as (latest, stored):
                run = reopen_with_ledger(plans, [], latest, stored, through=end)
                if latest is not None:
                    kept = run.closed
                    assert isinstance(kept, KeptStatements)
                    assert isinstance(kept.texts, KeptTexts)
                    opened = run.result.model_copy(
                        update={"statements": tuple(sorted(run.open, key=by_rep))}
                    )
                    whole = run.result.model_copy(update={"statements": run.statements})
                    for form in ("json", "csv"):
                        texts = kept.texts.texts(form)
                        assert _printed(opened, latest.period, texts, form) == _printed(
                            whole, latest.period, form=form
                        )
                    first = f"2026-{data.draw(st.integers(1, month)):02d}"
                    only = whole.model_copy(
                        update={
                            "statements": tuple(s for s in whole.statements if s.period == first)
                        }
                    )
                    opened_only = opened.model_copy(
                        update={
                            "statements": tuple(s for s in opened.statements if s.period == first)
                        }
                    )
                    assert _printed(
                        opened_only, latest.period, kept.texts.texts("json", first)
                    ) == _printed(only, latest.period)
            with ledger.held(lazy=True, texts=TEXTS) as held:
                held.record(close_with_ledger(plans, parsed(this_month), period, held)[0])


def test_a_text_that_cannot_be_kept_leaves_the_close_without_texts(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    events = [
        {"type": "invoice", "id": "e1", "date": "2026-01-10", "invoice": "I1", "rep": "ana",
         "amount": "100.00"},
    ]  # fmt: skip
    ingest(ledger, events)
    half = TextForms(version=TEXTS.version, json=lambda s: "\ud800", csv=TEXTS.csv)
    with ledger.held(lazy=True, texts=half) as held:
        held.record(close_with_ledger(book(3), [], "2026-01", held)[0])
    with ledger.reading() as (closed, _):
        assert closed is not None and isinstance(closed.statements, KeptStatements)
        assert closed.statements.texts is None  # printed by rendering, as before
        assert len(closed.statements) == 1


def test_a_form_not_kept_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = _example_closed(tmp_path, capsys, 1)
    with Ledger(ledger).reading() as (closed, _):
        assert closed is not None and isinstance(closed.statements, KeptStatements)
        texts = closed.statements.texts
        assert isinstance(texts, KeptTexts)
        with pytest.raises(ValueError, match="no texts in the form 'table'"):
            next(texts.texts("table"))


def _worker(path: Path, period: str, invoices: int, way: str) -> subprocess.Popen[str]:
    worker = Path(__file__).with_name("close_worker.py")
    return subprocess.Popen(
        [sys.executable, str(worker), str(path), period, str(invoices), "0", way, "texts"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ready(path: Path) -> None:
    for period, invoices, way in (
        ("2026-01", 200, "ingest"),
        ("2026-01", 200, "store"),
        ("2026-02", 3000, "ingest"),
    ):
        assert _worker(path, period, invoices, way).wait(timeout=60) == 0


def test_a_close_killed_while_keeping_texts_leaves_the_ledger_before_or_after(
    tmp_path: Path,
) -> None:
    seed = 7  # a point other than those test_close_killed.py kills its closes at
    path = tmp_path / "ledger.sqlite"
    _ready(path)
    before = ledger_rows(path)
    child = _worker(path, "2026-02", 3000, "store")
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(random.Random(seed).uniform(0.0, 1.5))
    child.kill()
    child.wait(timeout=60)
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    now = ledger_rows(path)
    if now != before:  # killed after the commit: the rows are those of a whole close
        again = tmp_path / "again.sqlite"
        _ready(again)
        assert _worker(again, "2026-02", 3000, "store").wait(timeout=60) == 0
        assert now == ledger_rows(again)
    assert _worker(path, "2026-03", 10, "store").wait(timeout=60) == 0
    with Ledger(path).reading() as (book, _):
        assert book is not None and isinstance(book.statements, KeptStatements)
        assert isinstance(book.statements.texts, KeptTexts)
        assert sum(1 for _ in book.statements.texts.texts("csv")) == len(book.statements)


def test_output_to_a_file_is_what_stdout_gets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = _example_closed(tmp_path, capsys, 3)
    everything = (EXAMPLES / "plans.yaml", EXAMPLES / "events.jsonl", "--ledger", ledger)
    for form in ("json", "csv"):
        status, printed, err = command(capsys, "payouts", *everything, "--format", form)
        assert status == 0, err
        written = tmp_path / f"out.{form}"
        status, out, err = command(
            capsys, "payouts", *everything, "--format", form, "--output", written
        )
        assert (status, out) == (0, ""), err
        assert written.read_text() == printed and "2026-03" in printed
