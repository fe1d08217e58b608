"""Why ten times the events cost the engine more than ten times the time: the fold per event.

    python benchmarks/scaling.py [--small 100k] [--large 1M] [--parts 10] [--rounds 1]
    python benchmarks/scaling.py --tenths [--small 100k] [--large 1M] [--rounds 1]

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

With ``--rounds N`` the three processes run N times in turn, and each figure is given per
round with its median, then the ratio of the large stream's cost to the small stream's
round by round: on a shared host the speed moves from one minute to the next, and a ratio of
two processes run side by side in time is steadier than either figure.

With ``--tenths`` each stream, whole, is folded once, and the microseconds per event are
given for each tenth of its events in turn: how much of the large stream's cost is there
from its first tenth (nearly as many invoices in flight as later, a heap not grown yet), and how
much comes as its history grows.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import localcontext
from pathlib import Path

from commission_engine import read_events, read_plans
from commission_engine.domain.engine import Engine, arrange
from commission_engine.domain.events import BaseEvent
from commission_engine.domain.money import EXACT
from commission_engine.domain.plans import PlanBook
from commission_engine.domain.run import prepare
from commission_engine.domain.working import WorkingState
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


def per_event_by_tenths(plans: PlanBook, events: list[BaseEvent]) -> list[float]:
    """Microseconds per event of each tenth of ``events`` (distinct), folded once."""
    if len(events) < 10:
        raise SystemExit("--tenths needs a stream of at least ten events")
    _, bookings = arrange(events)
    tenth = len(events) // 10
    marks: list[float] = []

    def timed() -> Iterator[tuple[int, BaseEvent]]:
        # (The clock read at each tenth's first event. This generator adds a little to every
        # event, alike in both streams: compare tenths with tenths, not with per_event's.)
        for number, event in enumerate(events):
            if number % tenth == 0 and len(marks) < 10:
                marks.append(time.perf_counter())
            yield number, event
        marks.append(time.perf_counter())

    engine = Engine(plans, WorkingState(), bookings)
    with localcontext(EXACT):
        engine.fold(timed(), lambda number, rejection: None)
    counts = [tenth] * 9 + [len(events) - 9 * tenth]
    return [
        (b - a) / count * 1e6 for a, b, count in zip(marks[:-1], marks[1:], counts, strict=True)
    ]


def distinct(folder: Path) -> list[BaseEvent]:
    events = read_events(folder / "events.jsonl", processes=2)
    return prepare(events, WorkingState(), None, lambda rejection: None)[0]


def child(case: str, folder: Path, parts: int, part_file: Path) -> None:
    """One case, in this (fresh) process: prints ``name|count|micros`` lines."""
    gc.disable()
    plans = read_plans(folder / "plans.yaml")
    if case == "tenths":
        tenths = per_event_by_tenths(plans, distinct(folder))
        print(f"{folder.name}|" + "|".join(f"{micros}" for micros in tenths))
        return
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
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tenths", action="store_true", help="each tenth of each stream")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tenths and not args.child:
        tenths(args)
        return
    with tempfile.TemporaryDirectory() as scratch:
        part_file = Path(scratch) / "part.pickle"
        if args.child:
            case, folder, file = args.child
            child(case, Path(folder), args.parts, Path(file))
            return
        rounds: list[list[list[str]]] = []
        for _ in range(args.rounds):
            rows = []
            for case, size in (("small", args.small), ("whole", args.large), ("part", args.large)):
                command = [sys.executable, __file__, "--parts", str(args.parts),
                           "--child", case, str(DATA / size), str(part_file)]  # fmt: skip
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                rows += [line.split("|") for line in out.splitlines()]
            rounds.append(rows)
    figures = [[float(micros) for _, _, micros in rows] for rows in rounds]
    heads = " | ".join(f"round {n + 1}" for n in range(len(rounds)))
    median = " | median" if len(rounds) > 1 else ""
    print(f"| events folded | count | {heads}{median} |")
    print("|---|---:|" + "---:|" * (len(rounds) + (len(rounds) > 1)))
    for at, (name, count, _) in enumerate(rounds[0]):
        cells = [figure[at] for figure in figures]
        shown = " | ".join(f"{cell:.2f}" for cell in cells)
        if len(rounds) > 1:
            shown += f" | {statistics.median(cells):.2f}"
        print(f"| {name} | {int(count):,} | {shown} |")
    # The rows: the small stream, then the large stream's part beside the whole, the whole,
    # and the part alone.
    ratios = [figure[2] / figure[0] for figure in figures]
    spread = f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})" if len(ratios) > 1 else ""
    print(
        f"\n{args.large} whole against {args.small} whole, per event: "
        f"{statistics.median(ratios):.2f}x{spread}"
    )


def tenths(args: argparse.Namespace) -> None:
    """Each stream's cost per event, tenth by tenth, each stream in a fresh process."""
    rounds: dict[str, list[list[float]]] = {args.small: [], args.large: []}
    for _ in range(args.rounds):
        for size, figures in rounds.items():
            command = [sys.executable, __file__, "--child", "tenths", str(DATA / size), "-"]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            figures.append([float(micros) for micros in out.strip().split("|")[1:]])
    print("| stream | " + " | ".join(f"tenth {n}" for n in range(1, 11)) + " |")
    print("|---|" + "---:|" * 10)
    # The median of the rounds, tenth by tenth.
    medians = {
        size: [statistics.median(column) for column in zip(*figures, strict=True)]
        for size, figures in rounds.items()
    }
    for size, tenth_costs in medians.items():
        print(f"| {size} | " + " | ".join(f"{micros:.2f}" for micros in tenth_costs) + " |")
    small, large = medians[args.small], medians[args.large]
    ratios = " | ".join(f"{b / a:.2f}x" for a, b in zip(small, large, strict=True))
    print(f"| {args.large} / {args.small} | {ratios} |")


if __name__ == "__main__":
    main()
