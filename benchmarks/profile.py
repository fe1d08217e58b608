"""Where the time goes: pyinstrument on the parse path, the engine, and the whole CLI.

    pip install -e '.[bench]'
    python benchmarks/profile.py [--size 100k] [--what parse,engine,cli]

- ``parse``: ``json.loads`` and ``parse_event`` per line of ``events.jsonl`` (what a reader does);
- ``engine``: ``compute(plans, events)`` on events already validated;
- ``cli``: ``commission-engine payouts PLANS events.jsonl --format json --lenient``, in process,
  its output thrown away.

For each it prints the functions with the most time of their own (self) and the most time
including what they call (inclusive), as percentages of the profiled total, and writes
pyinstrument's full call tree to ``benchmarks/out/profile-<what>-<size>.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pyinstrument import Profiler
from pyinstrument.frame import Frame

from commission_engine import PlanBook, compute, parse_event

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            yield number, json.loads(line, parse_float=Decimal)


def _walk(frame: Frame, stack: tuple[str, ...] = ()) -> Iterator[tuple[Frame, bool]]:
    """Every real frame, and whether its function is already on the stack (recursion)."""
    if frame.is_synthetic:
        return
    key = _name(frame)
    yield frame, key in stack
    for child in frame.children:
        yield from _walk(child, (*stack, key))


def _name(frame: Frame) -> str:
    return f"{frame.function} ({frame.file_path_short}:{frame.line_no})"


def hotspots(profiler: Profiler, top: int) -> str:
    """The top functions by self and by inclusive time, as percentages of the total."""
    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is None:
        return "nothing sampled"
    total = root.time
    own: dict[str, float] = {}
    inclusive: dict[str, float] = {}
    for frame, recursive in _walk(root):
        key = _name(frame)
        own[key] = own.get(key, 0.0) + frame.total_self_time
        if not recursive:
            inclusive[key] = inclusive.get(key, 0.0) + frame.time
    lines = [f"total {total:.2f} s sampled", "", "self time:"]
    for key, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * seconds / total:5.1f}%  {seconds:6.2f} s  {key}")
    lines += ["", "inclusive time:"]
    for key, seconds in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * seconds / total:5.1f}%  {seconds:6.2f} s  {key}")
    return "\n".join(lines)


def profile(what: str, size: str, work: Callable[[], Any], top: int) -> None:
    profiler = Profiler(interval=0.001)
    profiler.start()
    work()
    profiler.stop()
    OUT.mkdir(exist_ok=True)
    tree = profiler.output_text(unicode=False, color=False, show_all=False)
    (OUT / f"profile-{what}-{size}.txt").write_text(tree)
    print(f"## {what} ({size})\n\n{hotspots(profiler, top)}\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--what", default="parse,engine,cli")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    folder = HERE / "data" / args.size
    events_file = folder / "events.jsonl"
    plans = PlanBook.model_validate(yaml.safe_load((folder / "plans.yaml").read_text()))
    whats = args.what.split(",")

    if "parse" in whats:
        profile(
            "parse",
            args.size,
            lambda: [parse_event(record, line) for line, record in _records(events_file)],
            args.top,
        )
    if "engine" in whats:
        events = [parse_event(record, line) for line, record in _records(events_file)]
        profile("engine", args.size, lambda: compute(plans, events), args.top)
        del events
    if "cli" in whats:
        from commission_engine.cli import main as cli

        argv_cli = ["payouts", str(folder / "plans.yaml"), str(events_file)]

        def payouts() -> None:
            with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
                cli([*argv_cli, "--format", "json", "--lenient"])

        profile("cli", args.size, payouts, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
