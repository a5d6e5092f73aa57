"""Running one job in a child process with a hard time limit and atomic output.

The child writes its files into a fresh temporary folder beside the job's final folder; only when
it succeeds does the parent rename that folder into place, so a reader (or a resumed batch) sees
either a complete result or none. A job that outlives its time limit is killed — even a solver stuck
inside compiled code cannot hold a batch up.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from engine.errors import SalesnetError

__all__ = [
    "JOB_MARKER",
    "BatchJob",
    "JobFunction",
    "JobOutcome",
    "run_isolated",
    "sweep_work_folders",
]

#: Written last into a finished job's folder: it records the job's key (content hash).
JOB_MARKER = "job.json"

JobStatus = Literal["done", "skipped", "failed", "timeout", "crashed", "cancelled"]
#: ``fn(payload, folder) -> summary``: writes its files into ``folder``, returns a flat summary.
JobFunction = Callable[[Any, Path], Mapping[str, Any]]
#: How often (seconds) a supervisor looks whether the batch was stopped.
_POLL = 0.2


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
    #: The job's folder in the batch's folder (see :func:`engine.batch.runner.job_folders`).
    folder: str = ""


def _tie_to_parent() -> None:
    """The child ends with the batch: SIGTERM restored to its default (the parent's handler was
    inherited by fork) and, on Linux, delivered when the parent dies."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # no prctl: the parent's supervision still applies
            pass


#: prctl option: the signal a process gets when its parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _child(fn: JobFunction, payload: Any, folder: str, conn: Connection) -> None:
    _tie_to_parent()
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


def run_isolated(
    fn: JobFunction,
    job: BatchJob,
    final: Path,
    timeout: float | None,
    stop: threading.Event | None = None,
) -> JobOutcome:
    """Run ``fn`` on ``job`` in a child process; its files land in ``final`` only on success.

    Never raises for one job's trouble: a folder that cannot be made or written (a name the file
    system refuses, no space, no permission) fails the job with a message naming it. Setting
    ``stop`` ends the child within a fraction of a second (the job is ``cancelled``).
    """
    start = time.perf_counter()
    try:
        return _run_isolated(fn, job, final, timeout, start, stop)
    except (OSError, ValueError) as error:  # the job's folder, not its work
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        text = f"cannot write the results of {job.name!r} to {_shown(final)}: {reason}"
        status: JobStatus = "failed"
    except Exception as error:  # a bug in the supervision: keep it with the job
        text = f"{job.name!r}: {type(error).__name__}: {error}"
        status = "crashed"
    return JobOutcome(job.name, job.key, status, time.perf_counter() - start, text, {}, final.name)


def _shown(path: Path) -> str:
    """``path`` for a message: control characters escaped, long names shortened."""
    text = repr(str(path))[1:-1]
    return text if len(text) <= 200 else text[:120] + "…" + text[-40:]


def _run_isolated(
    fn: JobFunction,
    job: BatchJob,
    final: Path,
    timeout: float | None,
    start: float,
    stop: threading.Event | None,
) -> JobOutcome:
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{final.name}.{os.getpid()}-"  # the owner's pid: see sweep_work_folders
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=final.parent))
    try:
        message, ready, exitcode = _supervise(fn, job, work, timeout, stop)
        seconds = time.perf_counter() - start
        if message is None and stop is not None and stop.is_set():
            text = "interrupted"
            return JobOutcome(job.name, job.key, "cancelled", seconds, text, {}, final.name)
        return _settle(job, final, work, message, ready, exitcode, timeout, seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # gone already unless something went wrong


def sweep_work_folders(root: Path, folders: Sequence[str]) -> None:
    """Remove work folders (``.<folder>.<pid>-<random>``) of ``folders`` left in ``root`` by a
    batch that was killed: those whose owning process is gone."""
    wanted = set(folders)
    for path in root.glob(".*"):
        match = _WORK.match(path.name)
        if match is None or match["name"] not in wanted or not path.is_dir():
            continue
        if not _alive(int(match["pid"])):
            shutil.rmtree(path, ignore_errors=True)


_WORK = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[^.]+$")


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would send Ctrl-C on Windows: keep the folder
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


def _supervise(
    fn: JobFunction,
    job: BatchJob,
    work: Path,
    timeout: float | None,
    stop: threading.Event | None = None,
) -> tuple[tuple[str, str, dict[str, Any]] | None, bool, int | None]:
    """Run the child; (its message or None, whether it answered in time, its exit code)."""
    receive, send = _context().Pipe(duplex=False)
    process = _context().Process(target=_child, args=(fn, job.payload, str(work), send))
    ready = False
    message: tuple[str, str, dict[str, Any]] | None = None
    try:
        process.start()
        send.close()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not ready:  # data, or the child's end closed (it died); in slices, to see `stop`
            left = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if left <= 0 or (stop is not None and stop.is_set()):
                break
            ready = receive.poll(left)
        if ready:
            try:
                message = receive.recv()
            except EOFError:
                message = None
        process.join(5 if ready else 0)
    finally:
        if process.is_alive():
            process.terminate()
            process.join(2)
            if process.is_alive():
                process.kill()
                process.join()
        send.close()
        receive.close()
    return message, ready, process.exitcode


def _settle(
    job: BatchJob,
    final: Path,
    work: Path,
    message: tuple[str, str, dict[str, Any]] | None,
    ready: bool,
    exitcode: int | None,
    timeout: float | None,
    seconds: float,
) -> JobOutcome:
    """Move the child's files into place (or aside) and describe what happened."""
    folder = final.name
    if message is None or message[0] != "done":
        _set_aside_stale(final, job.key)
    if message is None:
        if not ready:
            text = f"stopped at the {timeout:g} s limit"
            return JobOutcome(job.name, job.key, "timeout", seconds, text, {}, folder)
        text = f"the job's process died (exit code {exitcode})"
        return JobOutcome(job.name, job.key, "crashed", seconds, text, {}, folder)
    status, text, summary = message
    if status == "cancelled":
        return JobOutcome(job.name, job.key, "cancelled", seconds, text, {}, folder)
    if status != "done":
        failed = final.with_name(final.name + ".failed")
        try:
            shutil.rmtree(failed, ignore_errors=True)
            if any(work.iterdir()):  # what the job wrote before failing, kept for a look
                os.chmod(work, 0o755)
                os.replace(work, failed)
        except OSError as error:  # keep the job's own message; its files are lost
            text += f" (its files could not be kept in {_shown(failed)}: {error.strerror or error})"
        return JobOutcome(job.name, job.key, status, seconds, text, {}, folder)  # type: ignore[arg-type]
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
    return JobOutcome(job.name, job.key, "done", seconds, "", summary, folder)


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
