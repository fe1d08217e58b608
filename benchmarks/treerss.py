"""Peak memory of a command and every process it forks, summed, sampled from /proc (Linux).

    python benchmarks/treerss.py [--every 0.02] -- COMMAND [ARGS...]

``ru_maxrss`` (what ``run.py`` reports) is the peak of the largest single process; a run split
across processes holds memory in each of them at once. This samples the resident set of the
command and its descendants every ``--every`` seconds and prints the peak of their sum and of
the largest one, in MB, with the wall time. Pages a forked child still shares with its parent
count in both, so the sum overstates what the machine gives up; ``Pss`` (proportional set
size, from ``smaps_rollup``) shares them out and is printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from pathlib import Path


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += _children(current)
    return pids


def _kb(pid: int, name: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=0.02, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak_sum = peak_one = peak_pss = processes = 0
    while process.poll() is None:
        pids = _tree(process.pid)
        rss = [_kb(pid, "status", "VmRSS:") for pid in pids]
        pss = sum(_kb(pid, "smaps_rollup", "Pss:") for pid in pids)
        peak_sum, peak_one = max(peak_sum, sum(rss)), max(peak_one, max(rss, default=0))
        peak_pss, processes = max(peak_pss, pss), max(processes, len(pids))
        time.sleep(args.every)
    wall = time.perf_counter() - start
    print(
        f"wall {wall:.2f} s, exit {process.returncode}, up to {processes} processes; peak RSS "
        f"summed {peak_sum / 1024:,.0f} MB, largest process {peak_one / 1024:,.0f} MB, "
        f"PSS summed {peak_pss / 1024:,.0f} MB"
    )
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
