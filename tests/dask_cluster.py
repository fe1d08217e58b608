"""A LocalCluster of two worker processes, in a process of its own, for ``test_dask.py``.

Started by the test module and stopped when its stdin closes: the cluster's processes (and
the multiprocessing helpers Dask starts) are then children of this process, never of the
test process, which other tests check has no child left. Its workers inherit this folder
on their path, so they can run functions of the test modules.
"""

from __future__ import annotations

import sys

from dask.distributed import LocalCluster

if __name__ == "__main__":
    with LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        print(cluster.scheduler_address, flush=True)
        sys.stdin.read()  # until the test module is done
