"""Running one job in a child process with a hard time limit and atomic output.

The child writes its files into a fresh temporary folder beside the job's final folder; only when
it succeeds does the parent rename that folder into place, so a reader (or a resumed batch) sees
either a complete result or none. A job that outlives its time limit is killed — even a solver stuck
inside compiled code cannot hold a batch up.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from engine.errors import SalesnetError

__all__ = ["JOB_MARKER", "BatchJob", "JobFunction", "JobOutcome", "run_isolated"]

#: Written last into a finished job's folder: it records the job's key (content hash).
JOB_MARKER = "job.json"

JobStatus = Literal["done", "skipped", "failed", "timeout", "crashed", "cancelled"]
#: ``fn(payload, folder) -> summary``: writes its files into ``folder``, returns a flat summary.
JobFunction = Callable[[Any, Path], Mapping[str, Any]]


@dataclass(frozen=True)
class BatchJob:
    """One unit of batch work: a unique name, a content key for resume, and its input."""

    name: str
    key: str
    payload: Any


@dataclass(frozen=True)
class JobOutcome:
    """What happened to one job."""

    name: str
    key: str
    status: JobStatus
    seconds: float
    message: str = ""
    summary: Mapping[str, Any] = field(default_factory=dict)


def _child(fn: JobFunction, payload: Any, folder: str, conn: Connection) -> None:
    try:
        summary = dict(fn(payload, Path(folder)))
        conn.send(("done", "", summary))
    except SalesnetError as error:
        conn.send(("failed", str(error), {}))
    except KeyboardInterrupt:  # the batch was interrupted (Ctrl-C reaches the whole group)
        conn.send(("cancelled", "interrupted", {}))
    except BaseException as error:  # a bug: keep the traceback with the job
        text = traceback.format_exc()
        Path(folder, "error.txt").write_text(text, encoding="utf-8")
        conn.send(("crashed", f"{type(error).__name__}: {error}", {}))
    finally:
        conn.close()


def _context() -> Any:
    # fork starts a job in milliseconds with every module already imported; elsewhere spawn.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def run_isolated(fn: JobFunction, job: BatchJob, final: Path, timeout: float | None) -> JobOutcome:
    """Run ``fn`` on ``job`` in a child process; its files land in ``final`` only on success."""
    start = time.perf_counter()
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    receive, send = _context().Pipe(duplex=False)
    process = _context().Process(target=_child, args=(fn, job.payload, str(work), send))
    process.start()
    send.close()
    ready = receive.poll(timeout)  # data, or the child's end closed (it died)
    message: tuple[str, str, dict[str, Any]] | None = None
    if ready:
        try:
            message = receive.recv()
        except EOFError:
            message = None
    process.join(5 if ready else 0)
    if process.is_alive():
        process.terminate()
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join()
    receive.close()
    seconds = time.perf_counter() - start
    if message is None or message[0] != "done":
        _set_aside_stale(final, job.key)
    if message is None:
        shutil.rmtree(work, ignore_errors=True)
        if not ready:
            text = f"stopped at the {timeout:g} s limit"
            return JobOutcome(job.name, job.key, "timeout", seconds, text)
        text = f"the job's process died (exit code {process.exitcode})"
        return JobOutcome(job.name, job.key, "crashed", seconds, text)
    status, text, summary = message
    if status == "cancelled":
        shutil.rmtree(work, ignore_errors=True)
        return JobOutcome(job.name, job.key, "cancelled", seconds, text)
    if status != "done":
        failed = final.with_name(final.name + ".failed")
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(work, failed)
        return JobOutcome(job.name, job.key, status, seconds, text)  # type: ignore[arg-type]
    marker = {"name": job.name, "key": job.key, "summary": summary}
    (work / JOB_MARKER).write_text(
        json.dumps(marker, sort_keys=True, default=str), encoding="utf-8"
    )
    os.chmod(work, 0o755)
    if final.exists():
        shutil.rmtree(final)
    os.replace(work, final)
    for leftover in (".failed", ".stale"):
        shutil.rmtree(final.with_name(final.name + leftover), ignore_errors=True)
    return JobOutcome(job.name, job.key, "done", seconds, "", summary)


def _set_aside_stale(final: Path, key: str) -> None:
    """Move an earlier result of other inputs out of ``final`` (to ``<name>.stale``), so the
    folder never shows a plan that the summary does not describe."""
    marker = final / JOB_MARKER
    if not final.exists():
        return
    try:
        same = json.loads(marker.read_text(encoding="utf-8")).get("key") == key
    except (OSError, ValueError):
        same = False
    if not same:
        stale = final.with_name(final.name + ".stale")
        shutil.rmtree(stale, ignore_errors=True)
        os.replace(final, stale)
