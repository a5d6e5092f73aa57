"""Run many jobs: in parallel, isolated, resumable, with a summary of every run.

Each job runs in its own child process (:func:`~engine.batch.isolate.run_isolated`) with a hard
time limit; one failure never stops the others. A job whose folder already holds a finished result
with the same key (the content hash of its inputs) is skipped, so an interrupted batch re-run does
only what is missing. Locally, a pool of threads each supervises one child process at a time; with
``executor="dask"`` the same supervision runs on Dask workers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from engine.atomic import atomic_path, write_text_atomic
from engine.batch.isolate import JOB_MARKER, BatchJob, JobFunction, JobOutcome, run_isolated

__all__ = ["BatchResult", "run_batch"]

Executor = Literal["local", "dask"]
Progress = Callable[[JobOutcome], None]


@dataclass(frozen=True)
class BatchResult:
    """Every job's outcome, in the order the jobs were given."""

    outcomes: tuple[JobOutcome, ...]

    @property
    def failed(self) -> tuple[JobOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status not in ("done", "skipped"))

    def summary(self) -> pd.DataFrame:
        """One row per job: name, key, status, seconds, message, then the job's own summary
        fields in alphabetical order (the same columns whether a job ran now or was resumed)."""
        base = ["name", "key", "status", "seconds", "message"]
        extra = sorted({key for outcome in self.outcomes for key in outcome.summary} - set(base))
        rows = []
        for outcome in self.outcomes:
            row = {k: v for k, v in asdict(outcome).items() if k != "summary"}
            row["seconds"] = round(float(row["seconds"]), 3)
            row.update(outcome.summary)
            rows.append(row)
        return pd.DataFrame(rows, columns=[*base, *extra])


def _finished(folder: Path, key: str) -> dict[str, Any] | None:
    marker = folder / JOB_MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("key") == key else None


def _check_names(jobs: Sequence[BatchJob]) -> None:
    seen: set[str] = set()
    for job in jobs:
        if job.name in seen or not job.name or os.sep in job.name or job.name.startswith("."):
            raise ValueError(f"job names must be unique plain folder names; got {job.name!r}")
        seen.add(job.name)


def _run_dask(
    fn: JobFunction,
    jobs: Sequence[BatchJob],
    out: Path,
    timeout: float | None,
    workers: int,
    scheduler: str | None,
    progress: Progress | None,
) -> dict[str, JobOutcome]:
    from engine.batch.dask_executor import dask_map

    return dask_map(fn, jobs, out, timeout, workers, scheduler, progress)


def run_batch(
    fn: JobFunction,
    jobs: Sequence[BatchJob],
    out: str | Path,
    *,
    workers: int = 2,
    timeout: float | None = None,
    executor: Executor = "local",
    scheduler: str | None = None,
    resume: bool = True,
    progress: Progress | None = None,
) -> BatchResult:
    """Run ``fn`` on every job; each job's files go to ``out/<job name>/``.

    Writes ``out/summary.csv`` and ``out/summary.json`` (atomically) and returns the outcomes.
    ``fn`` must be a module-level function (it is pickled for Dask).
    """
    _check_names(jobs)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, JobOutcome] = {}
    interrupted = False
    todo: list[BatchJob] = []
    for job in jobs:
        done = _finished(folder / job.name, job.key) if resume else None
        if done is not None:
            outcome = JobOutcome(job.name, job.key, "skipped", 0.0, "already done", done["summary"])
            outcomes[job.name] = outcome
            if progress:
                progress(outcome)
        else:
            todo.append(job)
    if executor == "dask":
        outcomes.update(_run_dask(fn, todo, folder, timeout, workers, scheduler, progress))
    else:
        interrupted = _run_local(fn, todo, folder, timeout, workers, progress, outcomes)
    for job in jobs:  # after an interruption: what never ran
        outcomes.setdefault(job.name, JobOutcome(job.name, job.key, "cancelled", 0.0, "not run"))
    result = BatchResult(tuple(outcomes[job.name] for job in jobs))
    table = result.summary()
    with atomic_path(folder / "summary.csv") as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")
    records = table.to_dict(orient="records")
    write_text_atomic(folder / "summary.json", json.dumps(records, indent=2, default=str) + "\n")
    if interrupted:
        raise KeyboardInterrupt
    return result


def _run_local(
    fn: JobFunction,
    todo: Sequence[BatchJob],
    folder: Path,
    timeout: float | None,
    workers: int,
    progress: Progress | None,
    outcomes: dict[str, JobOutcome],
) -> bool:
    """Run ``todo`` on a thread pool (one child process per job); True when interrupted.

    On Ctrl-C the queued jobs are cancelled, the running ones stop (the interrupt reaches their
    processes too), and the caller still writes the summary.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    futures: dict[Future[JobOutcome], BatchJob] = {
        pool.submit(run_isolated, fn, job, folder / job.name, timeout): job for job in todo
    }
    try:
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[outcome.name] = outcome
            if progress:
                progress(outcome)
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                outcome = future.result()
                outcomes.setdefault(outcome.name, outcome)
        return True
    pool.shutdown(wait=True)
    return False
