"""The same statements computed on a Dask cluster: byte-identical JSON to one process.

One LocalCluster of two worker processes serves the whole module (starting one takes
seconds), run in a process of its own (``dask_cluster.py``), so that no process of it is a
child of the test process. Dask is in the ``dev`` extra, so CI always runs these; elsewhere
they are skipped only when Dask is not installed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from strategies import cases
from test_many_files import write_parts

if os.environ.get("CI") is None:
    pytest.importorskip("dask.distributed")

from dask.distributed import Client

from commission_engine import PlanBook, RejectedEventError, compute, read_plans
from commission_engine.api import read_events
from commission_engine.cli import options
from commission_engine.domain.errors import StateError
from commission_engine.files import FileError
from commission_engine.modeling import compare_plans
from commission_engine.modeling.aging import age_receivables
from commission_engine.modeling.comparison import outcome_document
from commission_engine.modeling.receivables import aging_document
from commission_engine.parallel import dask_read
from commission_engine.report.render import write_json

ON_CLUSTER = settings(max_examples=25, deadline=None)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A client of a LocalCluster of two worker processes (``dask_cluster.py``)."""
    cluster = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("dask_cluster.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert cluster.stdout is not None
        address = cluster.stdout.readline().strip()
        with Client(address) as client:
            client.wait_for_workers(2)
            yield client
    finally:
        assert cluster.stdin is not None
        cluster.stdin.close()
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cluster.kill()
            cluster.wait()


def _json(result: Any) -> str:
    out = io.StringIO()
    write_json(result, out)
    return out.getvalue()


def _awkward(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events``, with the events a partition could get wrong and lines that are bad."""
    return [
        *events,
        # An invoice nobody booked: rejected, in the first part.
        {"type": "payment", "id": "lost", "date": "2026-02-01", "invoice": "NOPE",
         "amount": "1"},
        # An invoice id booked twice with another rep: the second is rejected.
        {"type": "invoice", "id": "again", "date": "2026-06-01", "invoice": "I0",
         "rep": "dee", "amount": "5"},
        # A rep with adjustments only.
        {"type": "adjustment", "id": "only-adj", "date": "2026-04-02", "rep": "eve",
         "amount": "7"},
        # Bad lines: a negative amount, an id reused for other content.
        {"type": "payment", "id": "neg", "date": "2026-03-01", "invoice": "I0",
         "amount": "-3"},
        {"type": "adjustment", "id": "only-adj", "date": "2026-04-03", "rep": "eve",
         "amount": "8"},
    ]  # fmt: skip


def test_the_example_gives_byte_identical_json(client: Client, examples: Path) -> None:
    plans = read_plans(examples / "plans.yaml")
    for name in ("events.jsonl", "events.csv"):
        here = compute(plans, read_events(examples / name), strict=True)
        there = compute(plans, read_events(examples / name), strict=True, client=client)
        assert _json(there) == _json(here)
        assert there.lines == here.lines


@ON_CLUSTER
@given(cases())
def test_generated_streams_with_splits_and_bad_lines(
    client: Client, case: tuple[PlanBook, list[dict[str, Any]]]
) -> None:
    book, events = case
    events = _awkward(events)
    here = compute(book, events)
    there = compute(book, events, client=client)
    assert there.rejected, "the stream holds bad lines"
    assert _json(there) == _json(here)
    assert (there.pending, there.duplicates) == (here.pending, here.duplicates)
    with pytest.raises(RejectedEventError) as local:
        compute(book, events, strict=True)
    with pytest.raises(RejectedEventError) as far:
        compute(book, events, strict=True, client=client)
    assert far.value.rejection == local.value.rejection


def _written(events: list[dict[str, Any]], folder: Path) -> list[Path]:
    """``events`` as two JSON Lines files, with an identical re-delivery of the first event
    in the second and a line that is not JSON in each."""
    lines = [json.dumps(event) for event in events]
    half = len(lines) // 2
    first = [*lines[:half], "{not json"]
    second = ["[1, 2", *lines[half:], *lines[:1]]
    files = [folder / "a.jsonl", folder / "b.jsonl"]
    for path, part in zip(files, (first, second), strict=True):
        path.write_text("\n".join(part) + "\n")
    return files


@contextlib.contextmanager
def _small_parts(client: Client) -> Iterator[None]:
    """The workers cut JSON Lines files into parts of about 2,000 bytes."""
    usual = dask_read.PART_BYTES
    client.run(setattr, dask_read, "PART_BYTES", 2_000)  # survey() runs on the workers
    try:
        yield
    finally:
        client.run(setattr, dask_read, "PART_BYTES", usual)


@pytest.fixture
def small_parts(client: Client) -> Iterator[None]:
    with _small_parts(client):
        yield


@ON_CLUSTER
@given(cases())
def test_events_left_on_the_workers_give_byte_identical_json(
    client: Client, case: tuple[PlanBook, list[dict[str, Any]]]
) -> None:
    book, events = case
    with tempfile.TemporaryDirectory() as folder, _small_parts(client):
        files = _written(_awkward(events), Path(folder))
        through = dt.date(2026, 3, 31)
        for given in ({}, {"through": through}):
            here = compute(book, read_events(files), **given)  # type: ignore[arg-type]
            read = read_events(files, client=client)
            there = compute(book, read, client=client, **given)  # type: ignore[arg-type]
            assert there.rejected, "the stream holds bad lines"
            assert _json(there) == _json(here)
            assert (there.pending, there.duplicates) == (here.pending, here.duplicates)
            assert there.duplicates >= (1 if events else 0)
            # The run was computed there: the stream here was never read, and still can be.
            assert list(read) == list(read_events(files))
        with pytest.raises(RejectedEventError) as local:
            compute(book, read_events(files), strict=True)
        with pytest.raises(RejectedEventError) as far:
            compute(book, read_events(files, client=client), strict=True, client=client)
        assert far.value.rejection == local.value.rejection


def test_the_fold_of_events_left_on_the_workers_rejects_in_strict_mode(
    client: Client, examples: Path, tmp_path: Path
) -> None:
    lines = (examples / "events.jsonl").read_text().splitlines()
    late = {"type": "payment", "id": "late-pay", "date": "2026-01-02", "invoice": "NOPE",
            "amount": "1"}  # fmt: skip
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([*lines, json.dumps(late)]) + "\n")
    plans = read_plans(examples / "plans.yaml")
    with pytest.raises(RejectedEventError) as local:
        compute(plans, read_events(path), strict=True)
    with pytest.raises(RejectedEventError) as far:
        compute(plans, read_events(path, client=client), strict=True, client=client)
    assert far.value.rejection == local.value.rejection
    assert far.value.rejection.event == "late-pay"


def test_a_cluster_run_keeps_no_state_and_resumes_none(client: Client, examples: Path) -> None:
    plans = read_plans(examples / "plans.yaml")
    result = compute(plans, read_events(examples / "events.jsonl"), client=client)
    with pytest.raises(StateError, match="keeps no engine state"):
        result.state()
    saved = compute(plans, read_events(examples / "events.jsonl")).state()
    with pytest.raises(StateError, match="cannot resume one either"):
        compute(plans, [], state=saved, client=client)


def test_plans_compared_on_the_cluster(client: Client, examples: Path) -> None:
    plans = read_plans(examples / "plans.yaml")
    events = list(read_events(examples / "events.jsonl"))
    here = compare_plans(plans.plans, events)
    there = compare_plans(plans.plans, events, client=client)
    assert there.through == here.through
    assert [json.dumps(outcome_document(o)) for o in there.outcomes] == [
        json.dumps(outcome_document(o)) for o in here.outcomes
    ]
    assert [_json(o.result) for o in there.outcomes] == [_json(o.result) for o in here.outcomes]


def test_aging_on_the_cluster(client: Client, examples: Path) -> None:
    plans = read_plans(examples / "plans.yaml")
    events = list(read_events(examples / "events.jsonl"))
    as_of = max(e.date for e in events)  # type: ignore[union-attr]
    here = age_receivables(plans, events, as_of)
    there = age_receivables(plans, events, as_of, client=client)
    assert aging_document(there) == aging_document(here)


def test_files_read_in_parts_by_the_workers(client: Client, examples: Path, tmp_path: Path) -> None:
    usual = dask_read.PART_BYTES
    client.run(setattr, dask_read, "PART_BYTES", 3_000)  # survey() runs on the workers
    try:
        plans = read_plans(examples / "plans.yaml")
        files = write_parts(examples, tmp_path)
        for given in (files, str(tmp_path / "*.*"), examples / "events.jsonl"):
            here = compute(plans, read_events(given))
            there = compute(plans, read_events(given, client=client), client=client)
            assert len(there.rejected) == (0 if given == examples / "events.jsonl" else 3)
            assert _json(there) == _json(here)
        parts = client.submit(dask_read.survey, str(files[0])).result()
    finally:
        client.run(setattr, dask_read, "PART_BYTES", usual)
    assert len(parts) > 3, "the JSON Lines file was read in parts"
    assert sum(lines for _, _, lines in parts) == 101


def _dies_once(marker: str) -> None:
    """On a worker: the next fold of a part, on whichever worker takes it first, kills that
    worker's process mid-run (its nanny starts a fresh one, unpatched)."""
    from commission_engine.parallel import dask_run

    fold = dask_run.fold_part

    def dying(*args: Any) -> Any:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return fold(*args)
        os._exit(1)

    dask_run.fold_part = dying  # type: ignore[assignment]


def test_a_worker_killed_mid_run_gives_the_same_statements(
    client: Client, examples: Path, tmp_path: Path
) -> None:
    plans = read_plans(examples / "plans.yaml")
    events = list(read_events(examples / "events.jsonl"))
    here = compute(plans, events)
    marker = tmp_path / "killed"
    client.run(_dies_once, str(marker))
    there = compute(plans, events, client=client)
    assert marker.exists(), "a worker died"
    assert _json(there) == _json(here)
    client.wait_for_workers(2)


def test_a_worker_killed_with_the_events_it_read_gives_the_same_statements(
    client: Client, examples: Path, tmp_path: Path, small_parts: None
) -> None:
    plans = read_plans(examples / "plans.yaml")
    files = write_parts(examples, tmp_path)
    here = compute(plans, read_events(files))
    marker = tmp_path / "killed"
    client.run(_dies_once, str(marker))
    there = compute(plans, read_events(files, client=client), client=client)
    assert marker.exists(), "a worker died"
    assert _json(there) == _json(here)
    client.wait_for_workers(2)


def test_the_commands_take_a_scheduler(client: Client, command: Any, examples: Path) -> None:
    address = client.scheduler.address
    files = (examples / "plans.yaml", examples / "events.jsonl")
    for args in (
        ("payouts", *files, "--format", "json"),
        ("compare", *files, "--format", "json"),
        ("aging", files[1], "--plans", files[0], "--as-of", "2026-12-31", "--format", "json"),
    ):
        here = command(*args)
        there = command(*args, "--scheduler", address)
        assert (there.status, there.out) == (here.status, here.out)
        assert here.status == 0


def test_an_unreachable_scheduler_is_bad_usage(
    command: Any, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(options, "SCHEDULER_TIMEOUT", "1s")
    run = command(
        "payouts", examples / "plans.yaml", examples / "events.jsonl",
        "--scheduler", "tcp://127.0.0.1:9",
    )  # fmt: skip
    assert run.status == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.err


def test_without_dask_the_scheduler_option_says_how_to_install_it(
    command: Any, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    run = command("payouts", examples / "plans.yaml", examples / "events.jsonl",
                  "--scheduler", "local")  # fmt: skip
    assert run.status == 2
    assert (
        "--scheduler needs dask, which is not installed; "
        "install it with: pip install 'commission-engine[dask]'"
    ) in run.err


def _read_by_both_workers(client: Client, files: list[Path]) -> dask_read.ClusterEvents:
    """``read_events(files, client=client)``, each file one part, read by the two workers in
    turn (the first by one, the second by the other, ...)."""
    workers = sorted(client.scheduler_info()["workers"])
    names = [str(path) for path in files]
    surveys = client.gather([client.submit(dask_read.survey, name) for name in names])
    parts, starts, before = [], [], 0
    for name, found in zip(names, surveys, strict=True):
        starts.append(before)
        for start, end, lines in found:
            worker = workers[len(parts) % len(workers)]
            parts.append(
                client.submit(dask_read.read, name, start, end, before + 1, workers=[worker])
            )
            before += lines
    client.gather(parts)
    return dask_read.ClusterEvents(client, parts, names, starts)


def test_ids_used_again_in_parts_read_by_other_workers(
    client: Client, examples: Path, tmp_path: Path
) -> None:
    """The first use of an id in stream order wins, wherever the parts were read: the
    re-deliveries are dropped and the other contents rejected, in the local run's order and
    words, though the date of a later use is earlier."""
    lines = (examples / "events.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    second = json.loads(lines[1])
    bonus = {
        "type": "adjustment",
        "id": "P-first",
        "date": "2026-06-01",
        "rep": "bob",
        "amount": "1.00",
    }
    adj = {
        "type": "adjustment",
        "id": "adj-x",
        "date": "2026-09-01",
        "rep": "alice",
        "amount": "50",
    }
    uses = [
        [*lines[:150], json.dumps(bonus), json.dumps(adj)],
        [
            *lines[150:],
            lines[0],  # an identical re-delivery
            json.dumps({**bonus, "amount": "2.00"}),  # other content: rejected
            json.dumps({**adj, "date": "2026-01-15", "amount": "70"}),  # earlier, but later
            json.dumps({**second, "rep": "zed"}),  # an invoice booked again, to another rep
        ],
        [
            json.dumps({**bonus, "amount": "1.0"}),  # the same amount: a re-delivery
            lines[1],
            json.dumps({**bonus, "amount": "2.00"}),  # rejected again, against the first
            json.dumps({**first, "id": "new-id", "invoice": "INV-NEW"}),
        ],
    ]  # fmt: skip
    files = []
    for name, part in zip("abc", uses, strict=True):
        files.append(tmp_path / f"{name}.jsonl")
        files[-1].write_text("\n".join(part) + "\n")
    plans = read_plans(examples / "plans.yaml")
    here = compute(plans, read_events(files))
    read = _read_by_both_workers(client, files)
    held = client.who_has(read.parts)
    assert len({worker for part in read.parts for worker in held[part.key]}) == 2
    there = compute(plans, read, client=client)
    assert _json(there) == _json(here)
    assert list(read) == list(read_events(files))  # the stream the helper read is the files'
    assert there.duplicates == here.duplicates == 3
    assert [r.event for r in there.rejected] == ["P-first", "adj-x", "E0002", "P-first"]
    applied = [line for s in there.statements for line in s.lines if line.event == "P-first"]
    assert [(line.rep, line.amount) for line in applied] == [("bob", Decimal("1.00"))]
    assert there.rejected[0].reason == (
        f"{files[1]}: event id P-first was already used on line 151 of {files[0]} "
        "for different content; give the correction a new id"
    )
    with pytest.raises(RejectedEventError) as local:
        compute(plans, read_events(files), strict=True)
    with pytest.raises(RejectedEventError) as far:
        compute(plans, _read_by_both_workers(client, files), strict=True, client=client)
    assert far.value.rejection == local.value.rejection == there.rejected[0]


def test_the_empty_file_check_asks_the_workers(
    client: Client, examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(FileError, match="holds no events"):
        options.with_events(read_events(empty, client=client), empty)
    path = examples / "events.jsonl"
    events = read_events(path, client=client)

    def brought_here(self: Any) -> Any:
        raise AssertionError("an event was brought to the calling process")

    with monkeypatch.context() as patched:
        patched.setattr(dask_read.ClusterEvents, "__next__", brought_here)
        assert options.with_events(events, path) is events
    assert events.whole()
    assert list(events) == list(read_events(path))
