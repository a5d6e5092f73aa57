"""The batch on a Dask cluster: same isolation and time limit, jobs spread over its workers.

The scheduler comes from the caller, else ``DASK_SCHEDULER_ADDRESS``; with neither, a local
cluster is started for the batch. Each task supervises its job in a child process, so Dask workers
must be allowed to start processes: on a cluster of your own, start workers with
``--no-nanny`` or set ``distributed.worker.daemon: false``. The local cluster uses thread workers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from engine.batch.isolate import BatchJob, JobFunction, JobOutcome, run_isolated

__all__ = ["dask_map"]


def dask_map(
    fn: JobFunction,
    jobs: Sequence[BatchJob],
    out: Path,
    timeout: float | None,
    workers: int,
    scheduler: str | None,
    progress: Callable[[JobOutcome], None] | None,
) -> dict[str, JobOutcome]:
    """Run the jobs on Dask; outcomes by job name."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as error:  # pragma: no cover - depends on the install
        raise RuntimeError("the dask executor needs: pip install 'dask[distributed]'") from error
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    cluster = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=False, dashboard_address=None
        )
        client = Client(cluster)
    outcomes: dict[str, JobOutcome] = {}
    try:
        futures = [
            client.submit(
                run_isolated,
                fn,
                job,
                out / job.name,
                timeout,
                pure=False,
                key=f"job-{job.name}-{job.key[:16]}-{uuid.uuid4().hex}",
            )
            for job in jobs
        ]
        for future in as_completed(futures):
            outcome: JobOutcome = future.result()
            outcomes[outcome.name] = outcome
            if progress:
                progress(outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return outcomes
