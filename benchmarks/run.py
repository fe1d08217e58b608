"""The benchmark report: how long a payroll run takes, and where the time goes.

    python benchmarks/run.py [--sizes 10k,100k,1M] [--formats jsonl,csv]

For each size (generated first by ``benchmarks/generate.py``) and each event file format it
measures, every figure in a fresh child process so that peak memory is that step's alone:

- ``parse``: merely reading and parsing the file, streamed (``json.loads`` per line with
  ``parse_float=Decimal``; ``csv.DictReader`` for CSV): the floor any reader pays;
- ``validate``: the same records, kept in a list, turned into events by ``parse_event``;
- ``read``: the library's own streaming reader, in one process (``read_events``, JSONL
  only), which the command uses: a plainly valid line goes straight to its event (msgspec),
  others through ``json`` and ``parse_event``;
- ``engine``: ``compute(plans, events, processes=N)`` on the list of already-validated events,
  read with the library's streaming reader (JSONL only: the events, and so the engine's work,
  are the same for CSV); its memory is the peak while compute runs (and its forked part's);
- ``cli``: ``commission-engine payouts PLANS EVENTS --format json --lenient`` end to end, wall
  clock, stdout to ``benchmarks/out/`` (interpreter start-up and imports included);
- peak RSS of each child (``ru_maxrss`` from ``os.wait4``), events/s, the ratios the
  performance targets are stated in, and how the time scales with 10x the events.

Each child's statements are digested and compared with the CLI's JSON output, so a faster
engine that changes a result is caught here. The table goes to stdout; every figure, with the
machine and the load average, to ``benchmarks/out/results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import gc
import hashlib
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = HERE / "out"
EXTENSIONS = {"jsonl": "events.jsonl", "csv": "events.csv"}

#: The targets of issue 5, for 1,000,000 events on the 2-core machine.
TARGET_EVENTS_PER_SECOND = 100_000
TARGET_ENGINE_OVER_PARSE = 3.0
TARGET_PEAK_RSS_MB = 1536
TARGET_TEN_X = 11.0
#: Sizes below this many events are measured several times (best run kept); larger, once.
REPEAT_BELOW = 100_000


# Children: each measures one step in its own process and prints one JSON object ------------


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            yield number, json.loads(line, parse_float=Decimal)


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as rows:
        yield from enumerate(csv.DictReader(rows), start=2)  # the header is line 1


def _records(fmt: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return _jsonl_records(path) if fmt == "jsonl" else _csv_records(path)


class Phases:
    """Wall, CPU and cyclic-GC seconds of each named phase of a child's work, and RSS after it.

    The machine is shared, so CPU time is kept beside wall time: it moves less when other
    processes compete for the cores. GC time shows how much of a phase the collector takes.
    """

    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}
        self._gc = 0.0
        self._gc_started = 0.0
        gc.callbacks.append(self._collector)

    def _collector(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self._gc += time.perf_counter() - self._gc_started

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        wall, cpu, collected = time.perf_counter(), time.process_time(), self._gc
        yield
        self.figures[name] = time.perf_counter() - wall
        self.figures[f"{name}_cpu"] = time.process_time() - cpu
        self.figures[f"{name}_gc"] = self._gc - collected
        self.figures[f"{name}_rss_mb"] = _current_rss_mb()


def _engine_rss(engine: dict[str, Any]) -> str:
    """The engine's peak during ``compute``, and its forked part's, as ``1,234 + 567``."""
    if "engine_rss_mb" not in engine:
        return f"{engine['rss_mb']:,.0f}"
    part = engine.get("engine_part_rss_mb", 0)
    return f"{engine['engine_rss_mb']:,.0f}" + (f" + {part:,.0f}" if part else "")


def _current_rss_mb() -> float:
    """Resident memory now (not the peak), from /proc; 0 where there is no /proc."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak_rss() -> bool:
    """Start this process's peak resident memory afresh (Linux 4.0+); False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    """This process's peak resident memory since the last reset (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_parse(fmt: str, path: Path) -> dict[str, Any]:
    """The bare parse: every record read and parsed, nothing kept."""
    phases = Phases()
    with phases.phase("parse"):
        phases.figures["records"] = sum(1 for _ in _records(fmt, path))
    return phases.figures


def child_pipeline(fmt: str, folder: Path, engine: bool, processes: int = 1) -> dict[str, Any]:
    """Parse into a list, validate into events, and (``engine``) compute on those events."""
    import yaml

    from commission_engine import PlanBook, compute, parse_event

    plans = PlanBook.model_validate(yaml.safe_load((folder / "plans.yaml").read_text()))
    path = folder / EXTENSIONS[fmt]
    phases = Phases()
    figures = phases.figures
    if engine:
        # Events as the command reads them, streamed: no list of records behind them, so
        # the memory measured during compute is the engine's and its input's.
        from commission_engine.files import read_events

        with phases.phase("read"):
            events = list(read_events(path))
        figures["events"] = len(events)
        gc.collect()
    else:
        with phases.phase("parse_kept"):
            records = list(_records(fmt, path))
        with phases.phase("validate"):
            if fmt == "csv":  # an empty cell is a field not given (FORMATS.md)
                events = [
                    parse_event({k: v for k, v in record.items() if v != ""}, line)
                    for line, record in records
                ]
            else:
                events = [parse_event(record, line) for line, record in records]
        figures["events"] = len(events)
        return figures

    peak_reset = _reset_peak_rss()  # the engine's own peak, not the validation's records
    with phases.phase("engine"):
        result = compute(plans, events, processes=processes)
    if peak_reset:
        figures["engine_rss_mb"] = _peak_rss_mb()
        # A run split across processes: the largest forked part's peak, beside this one's.
        figures["engine_part_rss_mb"] = (
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        )
    figures["statements"] = len(result.statements)
    figures["lines"] = sum(len(s.lines) for s in result.statements)
    figures["rejected"] = len(result.rejected)
    figures["pending"] = result.pending
    if result._book is not None:  # a run split across processes keeps no book
        figures["open_invoices"] = sum(1 for i in result._book.invoices.values() if i.open > 0)
        figures["invoices"] = len(result._book.invoices)
    figures["digest"] = statements_digest(_engine_rows(result.statements))
    return figures


def _engine_rows(statements: Iterable[Any]) -> Iterator[tuple[str, ...]]:
    from commission_engine.domain.money import show

    for s in statements:
        money = (s.gross, s.recovered, s.payout, s.debt_balance, s.held_balance)
        yield (
            s.rep,
            s.period,
            s.currency,
            *(show(amount, s.currency) for amount in money),
            *(f"{line.kind}:{line.event}:{show(line.amount, s.currency)}" for line in s.lines),
        )


def _cli_rows(document: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    for s in document["statements"]:
        money = ("gross", "recovered", "payout", "debt_balance", "held_balance")
        yield (
            s["rep"],
            s["period"],
            s["currency"],
            *(s[name] for name in money),
            *(f"{line['kind']}:{line['event']}:{line['amount']}" for line in s["lines"]),
        )


def statements_digest(rows: Iterable[tuple[str, ...]]) -> str:
    """A digest of every statement and line, the same for the engine and the CLI's JSON."""
    digest = hashlib.blake2b(digest_size=16)
    for row in rows:
        digest.update("|".join(row).encode() + b"\n")
    return digest.hexdigest()


# The parent: run the children, time them, tabulate -------------------------------------------


#: Children run without PYTHONUNBUFFERED (set in some containers and CI images): unbuffered,
#: the CLI's JSON output costs a write system call per token (2.2 million at 100k events).
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def best(runs: int, argv: list[str], stdout_path: Path | None = None) -> dict[str, Any]:
    """The fastest of ``runs`` runs of ``argv`` (see :func:`measure`)."""
    return min((measure(argv, stdout_path) for _ in range(runs)), key=lambda m: m["wall"])


def measure(argv: list[str], stdout_path: Path | None = None) -> dict[str, Any]:
    """Run ``argv``; its wall time, peak RSS (MB), exit status, and its stdout as JSON if any."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as captured:
        out = stdout_path.open("wb") if stdout_path else captured
        try:
            started = time.perf_counter()
            process = subprocess.Popen(argv, stdout=out, stderr=err, env=CHILD_ENV)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
        finally:
            if stdout_path:
                out.close()
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        captured.seek(0)
        figures: dict[str, Any] = {
            "wall": wall,
            "rss_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
            "status": process.returncode,
            "cpu": usage.ru_utime + usage.ru_stime,
        }
        if process.returncode not in (0, None) and stdout_path is None:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{err.read().decode()[-3000:]}")
        if stdout_path is None:
            figures.update(json.loads(captured.read() or b"{}"))
        else:
            figures["stderr"] = err.read().decode()[-2000:]
        return figures


def cli_command() -> list[str]:
    """The installed ``commission-engine`` next to this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("commission-engine")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "commission_engine.cli"]


def payouts_available() -> bool:
    probe = subprocess.run(
        [*cli_command(), "payouts", "--help"],
        capture_output=True,
        check=False,
        timeout=120,
        env=CHILD_ENV,
    )
    return probe.returncode == 0


def bench_size(
    label: str, formats: list[str], compare: bool, repeat: int, processes: int
) -> dict[str, Any]:
    folder = DATA / label
    if not (folder / "events.jsonl").exists():
        raise SystemExit(f"{folder} has no events: run python benchmarks/generate.py {label}")
    summary = json.loads((folder / "summary.json").read_text())
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    row: dict[str, Any] = {
        "size": label,
        "events": summary["events"],
        "reps": summary["reps"],
        "load_before": os.getloadavg(),
    }
    runs = repeat if summary["events"] < REPEAT_BELOW else 1
    print(f"[{label}] engine on pre-parsed events ...", file=sys.stderr, flush=True)
    engine = [*me, "pipeline", "jsonl", str(folder), "--engine", f"--processes={processes}"]
    row["engine"] = best(runs, engine)
    row["formats"] = {}
    for fmt in formats:
        path = folder / EXTENSIONS[fmt]
        figures: dict[str, Any] = {"file_mb": path.stat().st_size / 2**20}
        print(f"[{label}] {fmt}: parse, validate, CLI ...", file=sys.stderr, flush=True)
        figures["parse"] = best(runs, [*me, "parse", fmt, str(path)])
        figures["validate"] = best(runs, [*me, "pipeline", fmt, str(folder)])
        if payouts_available():
            OUT.mkdir(exist_ok=True)
            output = OUT / f"payouts-{label}-{fmt}.json"
            argv = [*cli_command(), "payouts", str(folder / "plans.yaml"), str(path)]
            argv += ["--processes", str(processes)]
            figures["cli"] = best(runs, [*argv, "--format", "json", "--lenient"], output)
            figures["cli"]["output_mb"] = output.stat().st_size / 2**20
            if compare and figures["cli"]["status"] == 0:
                # In a child too: a child's ru_maxrss includes the parent's peak at the fork,
                # so the parent never loads anything big.
                check = measure([*me, "digest", "json", str(output)])
                figures["cli"]["rejected"] = check["rejected"]
                figures["cli"]["same_as_engine"] = check["digest"] == row["engine"]["digest"]
        else:
            figures["cli"] = None
        row["formats"][fmt] = figures
    return row


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "code": code_measured(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def code_measured() -> str:
    """Which commission_engine the children import (PYTHONPATH may point elsewhere), and its
    commit, marked ``dirty`` when its source differs from the commit."""
    probe = subprocess.run(
        [sys.executable, "-c", "import commission_engine as c; print(c.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    package = Path(probe.stdout.strip()).parent

    def git(*args: str) -> str:
        run = subprocess.run(
            ["git", "-C", str(package), *args], capture_output=True, text=True, check=False
        )
        return run.stdout.strip() if run.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"{package} (not a git checkout)"
    dirty = " + uncommitted changes" if git("status", "--porcelain", "--", ".") else ""
    return f"{package} at commit {commit}{dirty}"


# The report -----------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "pending" if value is None else f"{value:.2f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _rate(events: int, seconds: float | None) -> str:
    return "pending" if not seconds else f"{events / seconds:,.0f}"


def report(rows: list[dict[str, Any]], host: dict[str, Any]) -> str:
    """The results as Markdown tables: figures per size and format, scaling, targets."""
    loads = ", ".join(
        f"{row['size']} {'/'.join(f'{x:.1f}' for x in row['load_before'])}" for row in rows
    )
    lines = [
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['memory_gb']} GB, "
        f"Python {host['python']}, {host['platform']}, {host['date']}.",
        f"Code: {host['code']}. Processes per run: {host.get('processes', 1)}. "
        "CLI start-up (payouts --help): "
        f"{host['cli_startup']['wall'] if 'cli_startup' in host else 0:.2f} s.",
        f"Load average before each size: {loads}. Times in seconds, best of {host['repeat']} "
        f"runs under {REPEAT_BELOW:,} events, one run above; ratios are to the bare parse. "
        "RSS engine: the peak while compute runs, of the process holding the validated events "
        "(+ the largest part it forked); RSS CLI: the command's largest process.",
        "",
        "| events | reps | format | file MB | parse | validate | read | engine | CLI end to end "
        "| CLI CPU | CLI events/s | engine events/s | engine / parse | CLI / parse "
        "| RSS engine MB | RSS CLI MB |",
        "|" + "---:|" * 16,
    ]
    for row in rows:
        engine = row["engine"]
        for fmt, figures in row["formats"].items():
            parse = figures["parse"]["parse"]
            cli = figures["cli"]["wall"] if figures["cli"] else None
            lines.append(
                f"| {row['events']:,} | {row['reps']:,} | {fmt} | {figures['file_mb']:.1f} "
                f"| {parse:.2f} | {figures['validate']['validate']:.2f} "
                f"| {_s(engine.get('read')) if fmt == 'jsonl' else '-'} | {engine['engine']:.2f} "
                f"| {_s(cli)} | {_s(figures['cli']['cpu'] if figures['cli'] else None)} "
                f"| {_rate(row['events'], cli)} "
                f"| {_rate(row['events'], engine['engine'])} "
                f"| {_x(engine['engine'] / parse)} | {_x(cli / parse if cli else None)} "
                f"| {_engine_rss(engine)} "
                f"| {figures['cli']['rss_mb'] if figures['cli'] else 0:,.0f} |"
            )
    lines += ["", "| from | to | parse | validate | engine | CLI (jsonl) | CLI (csv) |"]
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for small, large in itertools.pairwise(rows):

        def ratio(pick: Any, small: dict[str, Any] = small, large: dict[str, Any] = large) -> str:
            try:
                return _x(pick(large) / pick(small))
            except (KeyError, TypeError):
                return "pending"

        lines.append(
            f"| {small['events']:,} | {large['events']:,} "
            f"| {ratio(lambda r: r['formats']['jsonl']['parse']['parse'])} "
            f"| {ratio(lambda r: r['formats']['jsonl']['validate']['validate'])} "
            f"| {ratio(lambda r: r['engine']['engine'])} "
            f"| {ratio(lambda r: r['formats']['jsonl']['cli']['wall'])} "
            f"| {ratio(lambda r: r['formats']['csv']['cli']['wall'])} |"
        )
    lines += ["", *targets(rows)]
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """Each target of issue 5 against the largest size measured: met, missed or pending."""
    row = rows[-1]
    engine, jsonl = row["engine"], row["formats"].get("jsonl")
    if jsonl is None:
        return []
    cli = jsonl["cli"]

    def verdict(ok: bool | None) -> str:
        return "pending" if ok is None else "met" if ok else "MISSED"

    rate = row["events"] / cli["wall"] if cli else None
    over_parse = engine["engine"] / jsonl["parse"]["parse"]
    rss = max(engine.get("engine_rss_mb", engine["rss_mb"]), cli["rss_mb"] if cli else 0)
    out = [
        f"Targets at {row['events']:,} events (jsonl):",
        f"- end to end >= {TARGET_EVENTS_PER_SECOND:,} events/s: "
        f"{_rate(row['events'], cli['wall'] if cli else None)} events/s, "
        f"{verdict(None if rate is None else rate >= TARGET_EVENTS_PER_SECOND)}",
        f"- engine <= {TARGET_ENGINE_OVER_PARSE:.0f}x bare parse: {over_parse:.1f}x, "
        f"{verdict(over_parse <= TARGET_ENGINE_OVER_PARSE)}",
        f"- peak RSS < {TARGET_PEAK_RSS_MB} MB (the largest process; a split run's processes "
        f"together hold more, see treerss.py): {rss:,.0f} MB, {verdict(rss < TARGET_PEAK_RSS_MB)}"
        + (
            f" ({engine['open_invoices']:,} of {engine['invoices']:,} invoices open at the end)"
            if "open_invoices" in engine
            else ""
        ),
    ]
    if len(rows) > 1:
        before = rows[-2]
        engine_x = engine["engine"] / before["engine"]["engine"]
        before_cli = before["formats"]["jsonl"]["cli"]
        cli_x = cli["wall"] / before_cli["wall"] if cli and before_cli else None
        worst = max(engine_x, cli_x or 0)
        out.append(
            f"- 10x events <= {TARGET_TEN_X:.0f}x time: engine {engine_x:.1f}x, CLI {_x(cli_x)}, "
            f"{verdict(worst <= TARGET_TEN_X)}"
        )
    for fmt, figures in row["formats"].items():
        if figures["cli"] and "same_as_engine" in figures["cli"]:
            same = "same" if figures["cli"]["same_as_engine"] else "DIFFERENT"
            out.append(f"- CLI ({fmt}) statements and lines vs engine: {same}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated, as generated")
    parser.add_argument("--formats", default="jsonl,csv", help="jsonl, csv or both")
    parser.add_argument(
        "--no-compare", action="store_true", help="skip checking the CLI output against the engine"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help=f"runs per figure under {REPEAT_BELOW:,} events"
    )
    parser.add_argument(
        "--code", help="what the measured code is, for the report (e.g. 'git archive of 96ede17')"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1,
        help="processes the engine and the CLI may split a run across (default: every core)",
    )
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, fmt, where, *flags = args.child
        if mode == "parse":
            figures = child_parse(fmt, Path(where))
        elif mode == "digest":
            document = json.loads(Path(where).read_text())
            figures = {
                "rejected": len(document["rejected"]),
                "digest": statements_digest(_cli_rows(document)),
            }
        else:
            processes = [int(flag.split("=")[1]) for flag in flags if flag.startswith("--proc")]
            figures = child_pipeline(fmt, Path(where), "--engine" in flags, *processes)
        print(json.dumps(figures))
        return 0

    host = {**machine(), "repeat": args.repeat, "processes": args.processes}
    if args.code:
        host["code"] = f"{host['code']}: {args.code}"
    if payouts_available():  # start-up and imports, the fixed cost in every CLI figure
        host["cli_startup"] = best(3, [*cli_command(), "payouts", "--help"], Path(os.devnull))
    if not payouts_available():
        print("commission-engine payouts is not available: CLI column pending", file=sys.stderr)
    rows = [
        bench_size(label, args.formats.split(","), not args.no_compare, args.repeat, args.processes)
        for label in args.sizes.split(",")
    ]
    text = report(rows, host)
    print(text)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(
        json.dumps({"machine": host, "sizes": rows, "report": text}, indent=2, default=str)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
