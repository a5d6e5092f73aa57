"""Batch isolation, hard time limits, atomic results and resume, on jobs that behave as told."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.batch import BatchJob, run_batch
from engine.errors import ScenarioError


def work(payload: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A job: sleeps, fails, hangs or crashes as told, else writes a file and returns a summary."""
    kind = payload.get("kind", "ok")
    if kind == "bad-input":
        raise ScenarioError("budget must be positive", file="broken.yaml", key="budget")
    if kind == "bug":
        raise ZeroDivisionError("oops")
    if kind == "hang":
        time.sleep(60)
    if kind == "die":
        os._exit(7)
    if kind == "ok":
        counter = Path(payload["counter"])
        with counter.open("a", encoding="utf-8") as handle:
            handle.write(payload["name"] + "\n")
    time.sleep(payload.get("sleep", 0.0))
    (folder / "plan.json").write_text(json.dumps({"value": payload["value"]}), encoding="utf-8")
    return {"value": payload["value"]}


def _jobs(tmp_path: Path, kinds: list[str]) -> list[BatchJob]:
    counter = str(tmp_path / "runs.txt")
    return [
        BatchJob(
            f"s{i}-{kind}",
            f"key-{i}",
            {"kind": kind, "value": i, "counter": counter, "name": f"s{i}"},
        )
        for i, kind in enumerate(kinds)
    ]


def test_one_broken_scenario_does_not_stop_the_rest(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, ["ok", "bad-input", "ok", "bug", "die", "ok"])
    result = run_batch(work, jobs, tmp_path / "out", workers=2, timeout=20)
    status = {o.name: o.status for o in result.outcomes}
    assert status == {
        "s0-ok": "done", "s1-bad-input": "failed", "s2-ok": "done",
        "s3-bug": "crashed", "s4-die": "crashed", "s5-ok": "done",
    }  # fmt: skip
    assert "broken.yaml" in result.outcomes[1].message
    assert "ZeroDivisionError" in result.outcomes[3].message
    bug = tmp_path / "out" / "s3-bug.failed"
    assert (bug / "error.txt").exists() and bug.stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "out" / "s1-bad-input.failed").exists()  # it wrote nothing to keep
    for name in ("s0-ok", "s2-ok", "s5-ok"):
        assert json.loads((tmp_path / "out" / name / "plan.json").read_text())["value"] >= 0
    assert not (tmp_path / "out" / "s1-bad-input").exists()  # nothing half-written
    summary = (tmp_path / "out" / "summary.csv").read_text()
    assert "s1-bad-input,key-1,failed" in summary


def test_hard_time_limit_kills_a_hung_job(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, ["hang", "ok"])
    start = time.perf_counter()
    result = run_batch(work, jobs, tmp_path / "out", workers=2, timeout=1.0)
    assert time.perf_counter() - start < 10
    assert [o.status for o in result.outcomes] == ["timeout", "done"]
    assert "1 s limit" in result.outcomes[0].message


def test_resume_skips_what_is_done_and_runs_nothing_twice(tmp_path: Path) -> None:
    jobs = _jobs(tmp_path, ["ok", "ok", "bad-input", "ok"])
    first = run_batch(work, jobs, tmp_path / "out", workers=2, timeout=20)
    assert [o.status for o in first.outcomes] == ["done", "done", "failed", "done"]
    # an interrupted run: one result folder lost its marker (as if killed before the rename)
    (tmp_path / "out" / "s3-ok" / "job.json").unlink()
    second = run_batch(work, jobs, tmp_path / "out", workers=2, timeout=20)
    assert [o.status for o in second.outcomes] == ["skipped", "skipped", "failed", "done"]
    runs = sorted((tmp_path / "runs.txt").read_text().split())
    assert runs == ["s0", "s1", "s3", "s3"]
    assert second.outcomes[0].summary == {"value": 0}
    # a changed input (new key) runs again
    changed = [BatchJob(jobs[0].name, "key-new", jobs[0].payload), *jobs[1:]]
    third = run_batch(work, changed, tmp_path / "out", workers=2, timeout=20)
    assert third.outcomes[0].status == "done"


def test_repeated_or_unsafe_names_get_folders_of_their_own(tmp_path: Path) -> None:
    names = ["a", "a", "../x", "a"]
    jobs = [BatchJob(name, f"k{i}", {"kind": "quiet", "value": i}) for i, name in enumerate(names)]
    result = run_batch(work, jobs, tmp_path / "out", timeout=20)
    assert [(o.name, o.status, o.folder) for o in result.outcomes] == [
        ("a", "done", "a"),
        ("a", "done", "a--2"),
        ("../x", "done", result.outcomes[2].folder),
        ("a", "done", "a--3"),
    ]
    assert result.outcomes[2].folder.lstrip("_").startswith("x--")  # stays in the batch's folder
    assert not (tmp_path / "x").exists()
    for i, outcome in enumerate(result.outcomes):
        plan = tmp_path / "out" / outcome.folder / "plan.json"
        assert json.loads(plan.read_text())["value"] == i  # each job's own result


def test_dask_local_cluster_matches_local(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    jobs = _jobs(tmp_path, ["ok", "bad-input", "ok"])
    local = run_batch(work, jobs, tmp_path / "local", workers=2, timeout=30)
    dask = run_batch(work, jobs, tmp_path / "dask", workers=2, timeout=30, executor="dask")
    assert [(o.name, o.status, dict(o.summary)) for o in dask.outcomes] == [
        (o.name, o.status, dict(o.summary)) for o in local.outcomes
    ]
    for name in ("s0-ok", "s2-ok"):
        assert (tmp_path / "dask" / name / "plan.json").read_bytes() == (
            tmp_path / "local" / name / "plan.json"
        ).read_bytes()


def test_a_failed_rerun_moves_the_old_result_aside(tmp_path: Path) -> None:
    (job,) = _jobs(tmp_path, ["ok"])
    run_batch(work, [job], tmp_path / "out", timeout=20)
    changed = BatchJob(job.name, "other-key", {**job.payload, "kind": "bad-input"})
    result = run_batch(work, [changed], tmp_path / "out", timeout=20)
    assert result.outcomes[0].status == "failed"
    assert not (tmp_path / "out" / job.name).exists()  # no plan the summary does not describe
    assert (tmp_path / "out" / f"{job.name}.stale" / "plan.json").exists()
    run_batch(work, [job], tmp_path / "out", timeout=20)
    assert (tmp_path / "out" / job.name / "plan.json").exists()
    assert not (tmp_path / "out" / f"{job.name}.stale").exists()
    assert not (tmp_path / "out" / f"{job.name}.failed").exists()


def test_an_interrupted_batch_still_writes_its_summary(tmp_path: Path) -> None:
    jobs = [
        BatchJob(f"j{i}", f"k{i}", {"kind": "sleep", "value": i, "sleep": 0.3}) for i in range(6)
    ]

    def interrupt(outcome: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(work, jobs, tmp_path / "out", workers=1, timeout=20, progress=interrupt)
    summary = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    statuses = [line.split(",")[2] for line in summary[1:]]
    assert statuses[0] == "done" and statuses[-1] == "cancelled" and len(statuses) == 6


_TERMINATED_BATCH = """
import os, sys, time
from pathlib import Path
from engine.batch import BatchJob, Terminated, run_batch

def slow(payload, folder):
    Path(payload["pids"], str(os.getpid())).write_text("")
    time.sleep(60)
    return {}

out, pids = sys.argv[1], sys.argv[2]
jobs = [BatchJob(f"j{i}", f"k{i}", {"pids": pids}) for i in range(3)]
try:
    run_batch(slow, jobs, out, workers=2, timeout=120)
except Terminated:
    sys.exit(143)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _start_batch(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, list[int]]:
    """A batch of hanging jobs in its own process, once its first two children run."""
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "batch.py"
    script.write_text(_TERMINATED_BATCH, encoding="utf-8")
    out = tmp_path / "out"
    parent = subprocess.Popen([sys.executable, str(script), str(out), str(pids)])
    deadline = time.monotonic() + 30
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    children = [int(path.name) for path in pids.iterdir()]
    assert len(children) == 2
    return parent, out, children


def _gone(pids: list[int], within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


def test_sigterm_stops_the_jobs_and_writes_the_summary(tmp_path: Path) -> None:
    # what timeout, cron, systemd and Kubernetes send: handled as Ctrl-C
    parent, out, children = _start_batch(tmp_path)
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=20) == 143  # raised as Terminated, a KeyboardInterrupt
    assert _gone(children)
    summary = (out / "summary.csv").read_text().splitlines()
    assert [line.split(",")[2] for line in summary[1:]] == ["cancelled"] * 3
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # no work folders


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG)")
def test_jobs_do_not_outlive_a_killed_batch_and_its_leftovers_are_swept(tmp_path: Path) -> None:
    parent, out, children = _start_batch(tmp_path)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=20)
    assert _gone(children)
    left = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    assert len(left) == 2 and all(name.startswith((".j0.", ".j1.")) for name in left)
    mine = out / f".j2.{os.getpid()}-keep"  # a live batch's work folder is left alone
    mine.mkdir()
    jobs = [BatchJob(f"j{i}", f"k{i}", {"kind": "sleep", "value": i}) for i in range(3)]
    result = run_batch(work, jobs, out, workers=2, timeout=20)
    assert [o.status for o in result.outcomes] == ["done"] * 3
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [mine.name]
