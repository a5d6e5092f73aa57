"""Names that are not plain folder names: batch job folders stay safe and distinct while the
summary keeps each job's own name; compare tells apart plans that share a name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import engine.batch.dask_executor
from engine.batch import BatchJob, JobOutcome, run_batch
from engine.batch.runner import MAX_FOLDER_BYTES, job_folders
from engine.cli import main
from engine.comparison import compare
from engine.plan.model import Explanation, Plan, Provenance, SolverSummary

#: Every kind of name that once stopped a batch, and some more.
ODD_NAMES = [
    ".draft",  # a hidden scenario file without a name: key
    "binary",
    "binary--053213a5",  # the same file three times: scenario_jobs gives two of these
    "binary--053213a5",
    "p--" + "n" * 300,  # a sweep over a long text value
    "p--" + "n" * 299 + "m",  # … that differs only at the end
    "nul--a\0b",
    "summary.csv",
    "Summary.JSON",
    "a.failed",
    "a",
    "A",  # the same folder on a case-insensitive file system
    "",
    "con",
    "../up",
    "with space/and\nnewline",
    "Zürich--caf\udce9",  # an undecodable file name
]


def record(payload: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A job: writes which job it was and returns it as its summary."""
    (folder / "plan.json").write_text(json.dumps({"index": payload["index"]}), encoding="utf-8")
    return {"index": payload["index"]}


def _jobs(names: list[str]) -> list[BatchJob]:
    return [BatchJob(name, f"key-{i}", {"index": i}) for i, name in enumerate(names)]


def test_job_folders_are_safe_distinct_and_deterministic() -> None:
    folders = job_folders(_jobs(ODD_NAMES))
    for folder in folders:
        assert re.fullmatch(r"[\w.=+-]+", folder), folder
        assert not folder.startswith((".", "-")) and not folder.endswith(".")
        assert len(folder.encode()) <= MAX_FOLDER_BYTES
        assert folder.casefold() not in ("summary.csv", "summary.json", "con")
        assert not folder.endswith((".failed", ".stale"))
    assert len({folder.casefold() for folder in folders}) == len(folders)
    assert job_folders(_jobs(list(ODD_NAMES))) == folders  # a re-run finds the same folders
    # plain names are kept, repeats numbered in order
    plain = ["ri", "marketing-sweep--budget-600000", "x=1.5", "ri", "ri"]
    assert job_folders(_jobs(plain)) == [*plain[:3], "ri--2", "ri--3"]
    by_name = dict(zip(ODD_NAMES, folders, strict=False))
    assert by_name[".draft"].startswith("draft--")
    assert by_name["summary.csv"].startswith("summary.csv--")
    assert folders[2:4] == ["binary--053213a5", "binary--053213a5--2"]


def test_a_batch_of_odd_names_runs_every_job_and_keeps_the_real_names(tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen: list[str] = []
    result = run_batch(
        record, _jobs(ODD_NAMES), out, workers=4, timeout=30, progress=lambda o: seen.append(o.name)
    )
    assert [o.status for o in result.outcomes] == ["done"] * len(ODD_NAMES)
    assert [o.name for o in result.outcomes] == ODD_NAMES and sorted(seen) == sorted(ODD_NAMES)
    for i, outcome in enumerate(result.outcomes):  # each job's files in its own folder
        assert json.loads((out / outcome.folder / "plan.json").read_text())["index"] == i
    expected = {o.folder for o in result.outcomes} | {"summary.csv", "summary.json"}
    assert {path.name for path in out.iterdir()} == expected  # no leftovers
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # nothing outside
    # the summary keeps the real names (an undecodable byte as an escape)
    names = [*ODD_NAMES[:-1], "Zürich--caf\\xe9"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [row["name"] for row in summary] == names
    assert [row["folder"] for row in summary] == [o.folder for o in result.outcomes]
    table = pd.read_csv(out / "summary.csv", keep_default_na=False, encoding="utf-8")
    assert table["name"].tolist() == names
    assert table["status"].tolist() == ["done"] * len(ODD_NAMES)
    # a re-run finds every result where it left it
    again = run_batch(record, _jobs(ODD_NAMES), out, workers=4, timeout=30)
    assert [o.status for o in again.outcomes] == ["skipped"] * len(ODD_NAMES)
    assert [dict(o.summary) for o in again.outcomes] == [
        {"index": i} for i in range(len(ODD_NAMES))
    ]


def test_a_job_whose_folder_cannot_be_used_fails_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "blocked").write_text("a file where the job's folder should go\n")
    result = run_batch(record, _jobs(["first", "blocked", "last"]), out, workers=2, timeout=30)
    assert [o.status for o in result.outcomes] == ["done", "failed", "done"]
    message = result.outcomes[1].message
    assert "'blocked'" in message and "cannot write the results" in message
    assert (out / "blocked").read_text() == "a file where the job's folder should go\n"
    assert not [path for path in out.iterdir() if path.name.startswith(".")]  # no work folders
    rows = pd.read_csv(out / "summary.csv")
    assert rows["status"].tolist() == ["done", "failed", "done"]
    assert "'blocked'" in rows["message"][1]


def test_the_summary_is_written_when_the_executor_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    run_batch(record, _jobs(["old"]), out, timeout=30)

    def broken(*args: object) -> dict[str, JobOutcome]:
        raise RuntimeError("no cluster")

    monkeypatch.setattr(engine.batch.dask_executor, "dask_map", broken)
    with pytest.raises(RuntimeError, match="no cluster"):
        run_batch(record, _jobs(["old", "new"]), out, executor="dask")
    rows = pd.read_csv(out / "summary.csv")
    assert rows[["name", "status"]].values.tolist() == [["old", "skipped"], ["new", "cancelled"]]


def test_the_summary_is_written_when_the_progress_callback_fails(tmp_path: Path) -> None:
    def progress(outcome: JobOutcome) -> None:
        raise ValueError(f"cannot show {outcome.name}")

    jobs = _jobs([f"j{i}" for i in range(4)])
    with pytest.raises(ValueError, match="cannot show"):
        run_batch(record, jobs, tmp_path / "out", workers=1, timeout=30, progress=progress)
    statuses = pd.read_csv(tmp_path / "out" / "summary.csv")["status"].tolist()
    assert len(statuses) == 4 and statuses[0] == "done" and statuses[-1] == "cancelled"


def test_dask_maps_folders_back_to_the_real_names(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    names = [".draft", "a", "a", "summary.csv"]
    seen: list[str] = []
    result = run_batch(
        record,
        _jobs(names),
        tmp_path / "out",
        workers=2,
        timeout=30,
        executor="dask",
        progress=lambda o: seen.append(o.name),
    )
    assert [(o.name, o.status) for o in result.outcomes] == [(n, "done") for n in names]
    assert [o.folder for o in result.outcomes] == job_folders(_jobs(names))
    assert sorted(seen) == sorted(names)
    for i, outcome in enumerate(result.outcomes):
        plan = tmp_path / "out" / outcome.folder / "plan.json"
        assert json.loads(plan.read_text())["index"] == i


def test_cli_batch_of_repeated_and_hidden_files_reports_each_and_writes_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "binary.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    hidden = tmp_path / ".draft.yaml"
    hidden.write_text("dataset: [\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(bad), str(bad), str(bad), str(hidden), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    rows = pd.read_csv(out / "summary.csv")
    assert rows["status"].tolist() == ["failed"] * 4
    assert rows["name"].tolist()[0] == "binary" and rows["name"].tolist()[3] == ".draft"
    assert rows["message"].str.contains("binary.yaml").tolist() == [True, True, True, False]
    assert "draft.yaml" in rows["message"][3]
    assert len(set(rows["folder"])) == 4
    assert (out / "summary.json").exists()


def _plan(name: str, revenue: float) -> Plan:
    solver = SolverSummary(
        status="optimal",
        objective=revenue,
        bound=revenue,
        gap=0.0,
        solver="stub",
        solver_version="0",
        is_mip=False,
        num_variables=1,
        num_constraints=1,
    )
    provenance = Provenance(
        scenario=name,
        inputs_hash="0",
        dataset_hash="0",
        settings_hash="0",
        rule_versions={},
        seed=0,
        package_version="0",
    )
    return Plan(
        name=name,
        status="optimal",
        objective="contribution",
        kpis={"revenue": revenue, "contribution": revenue / 2},
        tables={},
        explanation=Explanation(),
        solver=solver,
        provenance=provenance,
    )


def _kpi(frame: pd.DataFrame, kpi: str, column: str) -> float:
    return float(frame.loc[frame["kpi"] == kpi, column].iloc[0])


def test_compare_tells_apart_plans_that_share_a_name() -> None:
    result = compare([_plan("ri", 100.0), _plan("ri", 150.0), _plan("ri", 90.0)])
    assert result.names == ("ri", "ri#2", "ri#3")
    assert _kpi(result.kpis, "revenue", "Δ ri#2") == 50.0
    assert _kpi(result.kpis, "revenue", "Δ% ri#3") == pytest.approx(-10.0)
    # names that are the tables' own columns
    clash = compare([_plan("kpi", 1.0), _plan("a", 2.0), _plan("Δ a", 3.0)])
    assert clash.names == ("kpi#2", "a", "Δ a#2")
    assert clash.kpis.columns[0] == "kpi" and _kpi(clash.kpis, "revenue", "Δ a") == 1.0
    labelled = compare([_plan("ri", 1.0), _plan("ri", 2.0)], labels=["before", "before"])
    assert labelled.names == ("before", "before#2")
    with pytest.raises(ValueError, match="2 plans"):
        compare([_plan("ri", 1.0), _plan("ri", 2.0)], labels=["one"])


def test_cli_compare_of_one_scenario_from_two_runs_labels_them_by_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for run, revenue in (("b6", 100.0), ("b1", 120.0)):
        folder = tmp_path / run / "ri"
        folder.mkdir(parents=True)
        (folder / "plan.json").write_text(_plan("ri", revenue).to_json(), encoding="utf-8")
    before, after = tmp_path / "b6" / "ri", tmp_path / "b1" / "ri"
    out = tmp_path / "cmp"
    assert main(["compare", str(before), str(after / "plan.json"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Δ b1/ri" in captured.out and "error" not in captured.err
    # plan files cannot show regions or inputs: said, not left out silently
    assert "note: plan files carry no scenario: reps and hires by region" in captured.err
    status = next(line for line in captured.out.splitlines() if line.split()[0] == "status")
    assert "NaN" not in status
    kpis = pd.read_csv(out / "compare_kpis.csv")
    assert kpis.columns.tolist() == ["kpi", "b6/ri", "b1/ri", "Δ b1/ri", "Δ% b1/ri"]
    assert _kpi(kpis, "revenue", "Δ b1/ri") == 20.0
    assert "b6/ri vs b1/ri" in (out / "compare.html").read_text(encoding="utf-8")
    # the same plan twice: nothing in the paths tells them apart
    assert main(["compare", str(before), str(before / "plan.json")]) == 0
    assert "Δ ri#2" in capsys.readouterr().out
