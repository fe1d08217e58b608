"""The same stream computed in this process and on a Dask LocalCluster of 1 and 2 workers.

    python benchmarks/cluster.py [--size 1M] [--workers 1,2]

Needs the ``dask`` extra and ``generate.py SIZE`` first. Each way runs in a fresh process of
its own, so that each peak is its own. For each it prints the wall seconds of reading the
JSON Lines file and of ``compute``, the CPU seconds of both in the calling process and in
the workers (on a shared machine, the figure to compare), the load average after, the peak
RSS of the calling process and of each worker, and a digest of the statements and
rejections, which must be the same every way. The
cluster reads the file in parts on its workers (``read_events(path, client=...)``; "read"
is until every part is read), the events stay there, and the run is computed from them
(``compute(..., client=...)``); the cluster is started before the timing (about 2 s) and its
workers are fresh processes. The in-process run is ``processes=1``, the way a notebook runs
it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from commission_engine import compute, read_events, read_plans
from commission_engine.report.render import write_json

DATA = Path(__file__).resolve().parent / "data"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def digest(result: Any) -> str:
    class Hashing:
        def __init__(self) -> None:
            self.md5 = hashlib.md5()

        def write(self, text: str) -> None:
            self.md5.update(text.encode())

    out = Hashing()
    write_json(result, out)  # type: ignore[arg-type]
    return out.md5.hexdigest()[:12]


def timed(label: str, client: Any, path: Path, plans: Any) -> None:
    workers_cpu = 0.0 if client is None else sum(client.run(cpu_s).values())
    here_cpu = cpu_s()
    start = time.perf_counter()
    if client is None:
        events: Any = list(read_events(path))
    else:
        from dask.distributed import wait

        events = read_events(path, client=client)
        wait(events.parts)  # left on the workers
    read = time.perf_counter() - start
    before = peak_mb()  # the peak of compute alone is the peak after, less this
    start = time.perf_counter()
    result = compute(plans, events, strict=False, client=client)
    folded = time.perf_counter() - start
    here_cpu = cpu_s() - here_cpu
    if client is not None:
        workers_cpu = sum(client.run(cpu_s).values()) - workers_cpu
    workers = (
        ""
        if client is None
        else " workers " + ", ".join(f"{mb:,.0f}" for mb in client.run(peak_mb).values())
    )
    print(
        f"{label:>12}: read {read:5.1f} s  compute {folded:5.1f} s  total {read + folded:5.1f} s"
        f"  cpu here {here_cpu:5.1f} s, workers {workers_cpu:5.1f} s"
        f"  load {os.getloadavg()[0]:.1f}"
        f"  peak MB here {peak_mb():,.0f} (before compute {before:,.0f}){workers}"
        f"  {digest(result)}"
        f"  ({len(result.statements):,} statements, {len(result.rejected)} rejected)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--way", type=int, help=argparse.SUPPRESS)  # 0: in-process
    args = parser.parse_args()
    path = DATA / args.size / "events.jsonl"
    plans = read_plans(DATA / args.size / "plans.yaml")
    if args.way is None:
        print(f"{args.size} events; load average {os.getloadavg()}", flush=True)
        for way in (0, *(int(n) for n in args.workers.split(","))):
            own = [sys.executable, __file__, "--size", args.size, "--way", str(way)]
            subprocess.run(own, check=True)
        print(f"load average after {os.getloadavg()}", flush=True)
        return 0
    if args.way == 0:
        timed("in-process", None, path, plans)
        return 0
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=args.way, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        timed(f"{args.way} worker{'s' if args.way > 1 else ''}", client, path, plans)
    return 0


if __name__ == "__main__":
    sys.exit(main())
