"""The monthly payroll run through the command line, with a ledger of closed periods.

    python benchmarks/monthly.py [--sizes 100k,1M] [--processes N]

For each generated size (``benchmarks/generate.py``), month M being the last whole month of
the stream, it times what a payroll office runs once a month, each in a fresh process:

- ``close M-1``: the ledger as it stood before this month (closing every period through
  M-1 at once; a real ledger got there one month at a time);
- ``payouts --ledger``: the month's statements, closed periods as paid, through the end of M
  (``commission-engine payouts PLANS EVENTS --ledger L --through END --format json``);
- ``close M``: the month-end close that records M as paid;
- ``payouts`` without a ledger, over the same events through the same day, for comparison.

With ``--store``, it then times the monthly run on a ledger that keeps its events (issue 19),
for month M and each month given to ``--months``: the ledger is made ready untimed (the
events dated before the month ingested, and closed through the month before), then it times
``ingest`` of the month's file (the events dated in it), ``payouts --ledger`` given that file,
and ``close`` given it; their sum is compared with the batch (``payouts`` without a ledger
over the whole file through the month's end). With ``--late``, one payment of each month's
file is dated in the month before (closed): a month with one late event.

After ``close M-1`` a row times loading that closed book alone (``Ledger.latest()``, what
the next two commands do first). Each row gives wall and CPU seconds (the command's own
process; its forked readers and parts run beside it), the peak RSS of the command's process,
the size of the ledger file after a close, and an MD5 digest of what the command printed, to
compare two versions of the code. Figures go to stdout as a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from run import DATA, cli_command, code_measured, measure

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}


def months(folder: Path) -> tuple[str, str, dt.date]:
    """M-1, M and M's last day, M being the last whole month of the stream."""
    summary = json.loads((folder / "summary.json").read_text())
    last = dt.date.fromisoformat(summary["last"])
    if (last + dt.timedelta(days=1)).month == last.month:  # not a month's last day
        last = last.replace(day=1) - dt.timedelta(days=1)
    before = last.replace(day=1) - dt.timedelta(days=1)
    return f"{before:%Y-%m}", f"{last:%Y-%m}", last


def bench(size: str, processes: int) -> list[tuple[str, dict[str, float]]]:
    folder = DATA / size
    plans, events = str(folder / "plans.yaml"), str(folder / "events.jsonl")
    previous, month, end = months(folder)
    cli = cli_command()
    common = ["--lenient", "--processes", str(processes)]
    # Older code has no close --processes: measure it as it was.
    close_common = common if _close_takes_processes() else ["--lenient"]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        ledger = str(Path(scratch) / "ledger.sqlite")
        out = Path(scratch) / "out"
        steps = [
            (f"close {previous}", ["close", "--period", previous, "--format", "csv"]),
            ("payouts --ledger", ["payouts", "--through", str(end), "--format", "json"]),
            (f"close {month}", ["close", "--period", month, "--format", "csv"]),
        ]
        for label, argv in steps:
            options = close_common if argv[0] == "close" else common
            figures = measure([*cli, argv[0], plans, events, "--ledger", ledger, *argv[1:],
                               *options], out)  # fmt: skip
            if figures["status"] != 0:
                raise RuntimeError(f"{label} failed:\n{figures['stderr']}")
            size = Path(ledger).stat().st_size / 1e6 if argv[0] == "close" else None
            rows.append((label, {**figures, "digest": _digest(out), "ledger_mb": size}))
            if label == steps[0][0]:
                load = [sys.executable, "-c", LOAD, ledger]
                rows.append(("load the closed book", {**measure(load, out), "digest": ""}))
        batch = ["payouts", plans, events, "--through", str(end), "--format", "json", *common]
        figures = measure([*cli, *batch], out)
        rows.append(("payouts, no ledger", {**figures, "digest": _digest(out)}))
    return rows


#: Loading the latest closed book, as the commands do (the collector off, as in the CLI).
LOAD = (
    "import gc, sys; gc.disable(); from commission_engine.books.store import Ledger; "
    "Ledger(sys.argv[1]).latest()"
)


def bench_store(
    size: str, processes: int, chosen: list[str], late: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """The month's ingest, payouts --ledger and close on a ledger that keeps its events.
    ``late``: the month's first payment on an invoice booked before it is dated on the
    last day of the month before instead, a late event for the closed periods."""
    folder = DATA / size
    plans, events = str(folder / "plans.yaml"), folder / "events.jsonl"
    cli = cli_command()
    common = ["--lenient", "--processes", str(processes)]
    rows = []
    for month in chosen:
        first = dt.date.fromisoformat(f"{month}-01")
        end = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        before = first - dt.timedelta(days=1)
        with tempfile.TemporaryDirectory() as scratch:
            history, this_month = Path(scratch) / "history.jsonl", Path(scratch) / "month.jsonl"
            # Line by line: a command started from this process counts this process's memory
            # at the fork in its peak RSS (Linux keeps the larger at exec), so it holds little.
            with (
                events.open("rb") as lines,
                history.open("wb") as old,
                this_month.open("wb") as new,
            ):
                booked: set[str] = set()
                moved = not late  # this month's late event made yet
                for line in lines:
                    event = json.loads(line)
                    dated = str(event["date"])[:7]
                    if dated < month:
                        old.write(line)
                        if not moved and event["type"] == "invoice":
                            booked.add(event["invoice"])
                    elif dated == month:
                        if not moved and event["type"] == "payment" and event["invoice"] in booked:
                            moved, event["date"] = True, before.isoformat()
                            line = json.dumps(event).encode() + b"\n"
                        new.write(line)
            ledger = str(Path(scratch) / "ledger.sqlite")
            out = Path(scratch) / "out"
            for argv in (
                ["ingest", str(history), "--ledger", ledger, *common],
                ["close", plans, str(history), "--period", f"{before:%Y-%m}", "--ledger", ledger,
                 "--format", "csv", *common],
            ):  # fmt: skip
                if measure([*cli, *argv], out)["status"] != 0:
                    raise RuntimeError(f"could not make the ledger ready: {argv}")
            count = len(this_month.read_bytes().splitlines())
            total: dict[str, Any] = {"wall": 0.0, "cpu": 0.0, "rss_mb": 0.0, "digest": ""}
            for label, argv in (
                ("ingest", ["ingest", str(this_month), "--ledger", ledger, *common]),
                ("payouts --ledger", ["payouts", plans, str(this_month), "--ledger", ledger,
                                      "--through", str(end), "--format", "json", *common]),
                ("close", ["close", plans, str(this_month), "--period", month, "--ledger", ledger,
                           "--format", "csv", *common]),
            ):  # fmt: skip
                figures = measure([*cli, *argv], out)
                if figures["status"] != 0:
                    raise RuntimeError(f"{label} failed:\n{figures['stderr']}")
                size = Path(ledger).stat().st_size / 1e6 if argv[0] != "payouts" else None
                rows.append((f"{month} ({count:,} events): {label}",
                             {**figures, "digest": _digest(out), "ledger_mb": size}))  # fmt: skip
                total["wall"] += figures["wall"]
                total["cpu"] += figures["cpu"]
                total["rss_mb"] = max(total["rss_mb"], figures["rss_mb"])
            rows.append((f"{month}: the three together", total))
            batch = ["payouts", plans, str(events), "--through", str(end), "--format", "json"]
            figures = measure([*cli, *batch, *common], out)
            rows.append((f"{month}: payouts, no ledger, through {end}",
                         {**figures, "digest": _digest(out)}))  # fmt: skip
    return rows


def _mb(figures: dict[str, Any]) -> str:
    size = figures.get("ledger_mb")
    return "" if size is None else f"{size:,.0f}"


def _digest(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _close_takes_processes() -> bool:
    usage = subprocess.run(
        [*cli_command(), "close", "--help"], capture_output=True, text=True, check=True
    )
    return "--processes" in usage.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--store", action="store_true", help="also the monthly run on a ledger keeping events"
    )
    parser.add_argument(
        "--months", default="", help="with --store, the months to time besides M, e.g. 2024-12"
    )
    parser.add_argument("--no-today", action="store_true", help="skip the whole-file steps")
    parser.add_argument(
        "--late", action="store_true", help="with --store, one of each month's events is late"
    )
    args = parser.parse_args()
    print(f"code: {code_measured()}; --processes {args.processes}\n")
    print("| events | step | wall s | CPU s | peak RSS MB | ledger file MB | output MD5 |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for size in args.sizes.split(","):
        rows = [] if args.no_today else bench(size, args.processes)
        if args.store:
            chosen = [m for m in args.months.split(",") if m] + [months(DATA / size)[1]]
            rows += bench_store(size, args.processes, chosen, args.late)
        for label, figures in rows:
            print(
                f"| {SIZES.get(size, size):,} | {label} | {figures['wall']:.2f} | "
                f"{figures['cpu']:.2f} | {figures['rss_mb']:,.0f} | {_mb(figures)} | "
                f"{figures['digest']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
