"""Why ten times the events cost the engine more than ten times the time: the fold per event.

    python benchmarks/scaling.py [--small 100k] [--large 1M] [--parts 10]

Folds, each in a fresh process with the collector off (as the command runs), and prints the
microseconds per event (the best of three folds):

- the small stream, whole;
- one part of the large stream's reps (``--parts`` parts, dealt out as a split run deals
  them): about as many reps and events as the small stream, in a process that holds only
  them (they are pickled to a temporary file and loaded there);
- the same part, in the process that read the whole large stream;
- the large stream, whole.

Where the part alone folds as fast as the small stream, the work per event is the same, and
what the large stream adds is the memory each event touches: the company books ten times as
many invoices a day, so ten times as many are in flight while their payments come in.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import subprocess
import sys
import tempfile
import time
from decimal import localcontext
from pathlib import Path

from commission_engine import read_events, read_plans
from commission_engine.domain.engine import Engine, arrange
from commission_engine.domain.events import BaseEvent
from commission_engine.domain.money import EXACT
from commission_engine.domain.plans import PlanBook
from commission_engine.domain.run import prepare
from commission_engine.domain.state import WorkingState
from commission_engine.parallel.by_rep import Partition

DATA = Path(__file__).resolve().parent / "data"


def per_event(plans: PlanBook, events: list[BaseEvent]) -> float:
    """Microseconds per event of folding ``events`` (distinct), best of three."""
    _, bookings = arrange(events)
    best = float("inf")
    for _ in range(3):
        engine = Engine(plans, WorkingState(), bookings)
        with localcontext(EXACT):
            start = time.perf_counter()
            engine.fold(enumerate(events), lambda number, rejection: None)
            best = min(best, time.perf_counter() - start)
    return best / len(events) * 1e6


def distinct(folder: Path) -> list[BaseEvent]:
    events = read_events(folder / "events.jsonl", processes=2)
    return prepare(events, WorkingState(), None, lambda rejection: None)[0]


def child(case: str, folder: Path, parts: int, part_file: Path) -> None:
    """One case, in this (fresh) process: prints ``name|count|micros`` lines."""
    gc.disable()
    plans = read_plans(folder / "plans.yaml")
    if case == "whole":
        events = distinct(folder)
        invoices, _ = arrange(events)
        part = [e for _, e in Partition(invoices, [1.0] * parts).events_of(0, events)]
        part_file.write_bytes(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
        print(f"{folder.name}, 1/{parts} of reps, beside the whole|{len(part)}|"
              f"{per_event(plans, part)}")  # fmt: skip
        del part
        print(f"{folder.name}, whole|{len(events)}|{per_event(plans, events)}")
    elif case == "part":
        part = pickle.loads(part_file.read_bytes())
        print(f"{folder.name}, 1/{parts} of reps, alone|{len(part)}|{per_event(plans, part)}")
    else:
        events = distinct(folder)
        print(f"{folder.name}, whole|{len(events)}|{per_event(plans, events)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", default="100k")
    parser.add_argument("--large", default="1M")
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        part_file = Path(scratch) / "part.pickle"
        if args.child:
            case, folder, file = args.child
            child(case, Path(folder), args.parts, Path(file))
            return
        rows = []
        for case, size in (("small", args.small), ("whole", args.large), ("part", args.large)):
            command = [sys.executable, __file__, "--parts", str(args.parts),
                       "--child", case, str(DATA / size), str(part_file)]  # fmt: skip
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows += [line.split("|") for line in out.splitlines()]
    print("| events folded | count | microseconds per event |")
    print("|---|---:|---:|")
    for name, count, micros in rows:
        print(f"| {name} | {int(count):,} | {float(micros):.2f} |")


if __name__ == "__main__":
    main()
