"""Run many jobs: in parallel, isolated, resumable, with a summary of every run.

Each job runs in its own child process (:func:`~engine.batch.isolate.run_isolated`) with a hard
time limit; one failure never stops the others. A job whose folder already holds a finished result
with the same key (the content hash of its inputs) is skipped, so an interrupted batch re-run does
only what is missing. Locally, a pool of threads each supervises one child process at a time; with
``executor="dask"`` the same supervision runs on Dask workers.

A job's folder is named after the job (:func:`job_folders`): a name that is not a safe, plain
folder name (a leading dot, a path separator, NUL, too long, ``summary.*``) or that repeats an
earlier one is adjusted, while the summary keeps the job's own name.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import threading
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from engine.atomic import atomic_path, write_text_atomic
from engine.batch.isolate import (
    JOB_MARKER,
    BatchJob,
    JobFunction,
    JobOutcome,
    run_isolated,
    sweep_work_folders,
)

__all__ = ["MAX_FOLDER_BYTES", "BatchResult", "Terminated", "job_folders", "run_batch"]

Executor = Literal["local", "dask"]
Progress = Callable[[JobOutcome], None]

#: Longest job folder name, in UTF-8 bytes: well below the usual 255-byte limit of a file name,
#: leaving room for the ``.<name>.<random>`` work folder and the ``.failed`` / ``.stale`` ones.
MAX_FOLDER_BYTES = 120

#: Runs of characters other than letters, digits and ``_ . = + -`` become one ``_``.
_UNSAFE = re.compile(r"[^\w.=+-]+")
#: Names the batch uses itself or a file system refuses (Windows device names), by lower-case stem.
_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _reserved(name: str) -> bool:
    """A name that would clash with the batch's own files or is refused by a file system."""
    lower = name.casefold()
    stem = lower.split(".", 1)[0]
    return (
        stem in _DEVICES
        or (stem == "summary" and "." in lower)  # summary.csv, summary.json (and any later one)
        or lower.endswith((".failed", ".stale"))  # another job's set-aside folders
    )


def _folder_name(name: str) -> str:
    """``name`` as a plain folder name: safe characters, no leading dot or dash, not reserved,
    at most :data:`MAX_FOLDER_BYTES`; a changed name ends in ``--<hash of the name>``."""
    safe = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).lstrip(".-").rstrip(".")
    if safe and safe == name and not _reserved(safe) and len(safe.encode()) <= MAX_FOLDER_BYTES:
        return safe
    return _fit(safe or "job", f"--{_digest(name)}")


def _fit(head: str, tail: str) -> str:
    """``head`` cut short enough (at a character) that ``head + tail`` fits the limit."""
    room = MAX_FOLDER_BYTES - len(tail.encode())
    return (head.encode()[:room].decode("utf-8", "ignore").rstrip(".") or "job") + tail


def job_folders(jobs: Sequence[BatchJob]) -> list[str]:
    """The folder name of each job, in order: the job's name when it is a safe plain folder name,
    else a safe version of it ending in a short hash of the name; a name that repeats an earlier
    folder (ignoring case) gets ``--2``, ``--3``, … Deterministic: the same jobs in the same order
    get the same folders, so a re-run finds its finished results."""
    taken: set[str] = set()
    folders = []
    for job in jobs:
        base = _folder_name(job.name)
        folder, copy = base, 1
        while unicodedata.normalize("NFC", folder).casefold() in taken:
            copy += 1
            folder = _fit(base, f"--{copy}")
        taken.add(unicodedata.normalize("NFC", folder).casefold())
        folders.append(folder)
    return folders


@dataclass(frozen=True)
class BatchResult:
    """Every job's outcome, in the order the jobs were given."""

    outcomes: tuple[JobOutcome, ...]

    @property
    def failed(self) -> tuple[JobOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status not in ("done", "skipped"))

    def summary(self) -> pd.DataFrame:
        """One row per job: name, key, status, seconds, message, folder, then the job's own
        summary fields in alphabetical order (the same columns whether a job ran now or was
        resumed)."""
        base = ["name", "key", "status", "seconds", "message", "folder"]
        extra = sorted({key for outcome in self.outcomes for key in outcome.summary} - set(base))
        rows = []
        for outcome in self.outcomes:
            row = {k: v for k, v in asdict(outcome).items() if k != "summary"}
            row["seconds"] = round(float(row["seconds"]), 3)
            row.update({k: v for k, v in outcome.summary.items() if k not in base})
            rows.append({k: _encodable(v) for k, v in row.items()})
        return pd.DataFrame(rows, columns=[*base, *extra])


def _encodable(value: Any) -> Any:
    """``value``, with the lone surrogates of an undecodable file name written as ``\\xe9``
    escapes, so that the summary can be stored as UTF-8."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "backslashreplace")
    return value


def _finished(folder: Path, key: str) -> dict[str, Any] | None:
    """The marker of a finished result of ``key`` in ``folder``, else None."""
    try:
        data = json.loads((folder / JOB_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data if isinstance(data.get("summary"), dict) else None


def _run_dask(
    fn: JobFunction,
    jobs: Sequence[BatchJob],
    folders: Sequence[str],
    todo: Sequence[int],
    out: Path,
    timeout: float | None,
    workers: int,
    scheduler: str | None,
    progress: Progress | None,
    outcomes: dict[int, JobOutcome],
) -> None:
    """Run the jobs ``todo`` on Dask, recording their outcomes (by position) as they finish."""
    from engine.batch.dask_executor import dask_map

    # dask_map puts a job's files in out/<job name>: hand it the jobs named by their folders.
    where = {folders[i]: i for i in todo}
    staged = [replace(jobs[i], name=folders[i]) for i in todo]

    def record(outcome: JobOutcome) -> JobOutcome:
        i = where[outcome.name]
        outcomes[i] = replace(outcome, name=jobs[i].name, folder=folders[i])
        return outcomes[i]

    def report(outcome: JobOutcome) -> None:
        named = record(outcome)
        if progress:
            progress(named)

    for outcome in dask_map(fn, staged, out, timeout, workers, scheduler, report).values():
        record(outcome)


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
    """Run ``fn`` on every job; each job's files go to ``out/<folder>/``, where the folder is the
    job's name when that is a safe plain folder name (see :func:`job_folders`).

    Writes ``out/summary.csv`` and ``out/summary.json`` (atomically), even when the batch is
    interrupted or the executor fails, and returns the outcomes. A job whose folder cannot be
    used fails on its own. ``fn`` must be a module-level function (it is pickled for Dask).
    """
    folders = job_folders(jobs)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    sweep_work_folders(root, folders)
    outcomes: dict[int, JobOutcome] = {}  # by the job's position
    interrupted: KeyboardInterrupt | None = None
    previous = _terminate_as_interrupt()
    try:
        todo: list[int] = []
        for i, job in enumerate(jobs):
            done = _finished(root / folders[i], job.key) if resume else None
            if done is None:
                todo.append(i)
                continue
            outcomes[i] = JobOutcome(
                job.name, job.key, "skipped", 0.0, "already done", done["summary"], folders[i]
            )
            if progress:
                progress(outcomes[i])
        if executor == "dask":
            _run_dask(
                fn, jobs, folders, todo, root, timeout, workers, scheduler, progress, outcomes
            )
        else:
            interrupted = _run_local(
                fn, jobs, folders, todo, root, timeout, workers, progress, outcomes
            )
    finally:  # also when the executor fails: mark what never ran, then write the summary
        for i, job in enumerate(jobs):
            outcomes.setdefault(
                i, JobOutcome(job.name, job.key, "cancelled", 0.0, "not run", {}, folders[i])
            )
        result = BatchResult(tuple(outcomes[i] for i in range(len(jobs))))
        _write_summary(root, result)
        if previous is not _NOT_SET:  # (None: a handler set outside Python; the default then)
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    if interrupted is not None:
        raise interrupted
    return result


_NOT_SET = object()


class Terminated(KeyboardInterrupt):
    """The batch got SIGTERM: stopped as on Ctrl-C (the command line exits 143, not 130)."""


def _terminate_as_interrupt() -> Any:
    """SIGTERM (``timeout``, cron, systemd, Kubernetes) handled as Ctrl-C: running jobs stop, the
    summary is written. Returns the handler to restore (``_NOT_SET`` off the main thread, where
    Python cannot set one)."""
    if threading.current_thread() is not threading.main_thread():
        return _NOT_SET

    def interrupt(signum: int, frame: Any) -> None:
        raise Terminated

    return signal.signal(signal.SIGTERM, interrupt)


def _write_summary(root: Path, result: BatchResult) -> None:
    table = result.summary()
    with atomic_path(root / "summary.csv") as tmp:
        table.to_csv(tmp, index=False, lineterminator="\n")
    records = table.to_dict(orient="records")
    write_text_atomic(root / "summary.json", json.dumps(records, indent=2, default=str) + "\n")


def _run_local(
    fn: JobFunction,
    jobs: Sequence[BatchJob],
    folders: Sequence[str],
    todo: Sequence[int],
    root: Path,
    timeout: float | None,
    workers: int,
    progress: Progress | None,
    outcomes: dict[int, JobOutcome],
) -> KeyboardInterrupt | None:
    """Run the jobs ``todo`` on a thread pool (one child process per job), recording their
    outcomes by position; the interrupt (Ctrl-C or SIGTERM) when interrupted, else None.

    On Ctrl-C or SIGTERM the queued jobs are cancelled, the running ones stopped (their child
    processes ended), and the caller still writes the summary.
    """
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    stop = threading.Event()
    futures: dict[Future[JobOutcome], int] = {
        pool.submit(run_isolated, fn, jobs[i], root / folders[i], timeout, stop): i for i in todo
    }

    def record(future: Future[JobOutcome], i: int) -> JobOutcome:
        try:
            outcome = replace(future.result(), folder=folders[i])
        except Exception as error:  # run_isolated reports its own failures; this is a bug
            text = f"{jobs[i].name!r}: {type(error).__name__}: {error}"
            outcome = JobOutcome(jobs[i].name, jobs[i].key, "crashed", 0.0, text, {}, folders[i])
        outcomes[i] = outcome
        return outcome

    try:
        for future in as_completed(futures):
            outcome = record(future, futures[future])
            if progress:
                progress(outcome)
    except BaseException as error:  # Ctrl-C or SIGTERM, or the progress callback failed
        stop.set()  # the running jobs end now, not when they finish
        pool.shutdown(wait=True, cancel_futures=True)
        for future, i in futures.items():
            if i not in outcomes and future.done() and not future.cancelled():
                record(future, i)
        if isinstance(error, KeyboardInterrupt):
            return error
        raise
    pool.shutdown(wait=True)
    return None
