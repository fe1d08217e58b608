"""The same stream computed in this process and on a Dask LocalCluster of 1 and 2 workers.

    python benchmarks/cluster.py [--size 1M] [--workers 1,2]

Needs the ``dask`` extra and ``generate.py SIZE`` first. For each way it prints the wall
seconds of reading the JSON Lines file and of ``compute``, the peak RSS of this process and
of each worker, and a digest of the statements and rejections, which must be the same every
way. The cluster reads the file in parts on its workers (``read_events(path, client=...)``)
and folds the run split by rep (``compute(..., client=...)``); the cluster is started before
the timing (about 2 s) and its workers are fresh processes. The in-process run is
``processes=1``, the way a notebook runs it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from commission_engine import compute, read_events, read_plans
from commission_engine.report.render import write_json

DATA = Path(__file__).resolve().parent / "data"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    start = time.perf_counter()
    events = list(read_events(path, client=client))
    read = time.perf_counter() - start
    start = time.perf_counter()
    result = compute(plans, events, strict=False, client=client)
    folded = time.perf_counter() - start
    workers = (
        ""
        if client is None
        else " workers " + ", ".join(f"{mb:,.0f}" for mb in client.run(peak_mb).values())
    )
    print(
        f"{label:>12}: read {read:5.1f} s  compute {folded:5.1f} s  total {read + folded:5.1f} s"
        f"  peak MB here {peak_mb():,.0f}{workers}  {digest(result)}"
        f"  ({len(result.statements):,} statements, {len(result.rejected)} rejected)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    path = DATA / args.size / "events.jsonl"
    plans = read_plans(DATA / args.size / "plans.yaml")
    print(f"{args.size} events; load average {os.getloadavg()}", flush=True)
    timed("in-process", None, path, plans)
    for workers in (int(n) for n in args.workers.split(",")):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            timed(f"{workers} worker{'s' if workers > 1 else ''}", client, path, plans)
    print(f"load average after {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
