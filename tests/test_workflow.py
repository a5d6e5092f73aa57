"""Scenario → plan → outputs, end to end through the CLI: plan, compare and batch on a small
real-county network (Rhode Island and Connecticut) that solves to optimality in a second."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from engine import pipeline
from engine.cli import main
from engine.pipeline import scenario_jobs, solver_cap, thread_cap

ROOT = Path(__file__).resolve().parents[1]

BASE = """
name: small
dataset: data
as_of: 2027-01-01
rules:
  tiering: {rules}/tiering.yaml
  incentives: {rules}/incentives.yaml
  incentive_plans: {{FIELD: field_ae, INSIDE: inside_sales}}
  risk: {rules}/risk.yaml
optimize:
  solver: {{time_limit: 60, mip_gap: 0.0, threads: 1}}
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    args = ["data", "generate", str(folder / "data"), "--states", "RI,CT", "--accounts", "800"]
    assert main([*args, "--seed", "3"]) == 0
    (folder / "base.yaml").write_text(BASE.format(rules=ROOT / "rules"), encoding="utf-8")
    (folder / "cut.yaml").write_text(
        "extends: base.yaml\noverrides:\n"
        "  - {table: budgets, where: {category: marketing}, scale: {amount: 0.5}}\n",
        encoding="utf-8",
    )
    (folder / "broken.yaml").write_text(
        "extends: base.yaml\noverrides:\n  - {table: partners, where: {id: NOPE}, drop: true}\n",
        encoding="utf-8",
    )
    (folder / "unreadable.yaml").write_text("extends: base.yaml\nbudget: [\n", encoding="utf-8")
    return folder


def test_plan_writes_every_output_and_is_deterministic(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for run in ("one", "two"):
        assert main(["plan", str(small / "base.yaml"), "--out", str(small / run)]) == 0
    out = capsys.readouterr().out
    assert "Plan 'small': optimal" in out and "Revenue" in out
    one, two = small / "one", small / "two"
    assert (one / "plan.json").read_bytes() == (two / "plan.json").read_bytes()
    for name in ("plan.json", "plan.xlsx", "report.html", "assignments.csv", "budgets.csv"):
        assert (one / name).stat().st_size > 0, name
    plan = json.loads((one / "plan.json").read_text())
    assert plan["status"] == "optimal" and plan["solver"]["gap"] in (0, 0.0, None)
    html = (one / "report.html").read_text()
    assert html.count("<svg") == 3 and "Revenue by region and channel" in html


def test_plan_into_an_earlier_folder_removes_what_the_new_plan_does_not_write(small: Path) -> None:
    folder = small / "rerun"
    assert main(["plan", str(small / "base.yaml"), "--out", str(folder)]) == 0
    earlier = json.loads((folder / "plan.json").read_text())
    earlier["tables"]["gone"] = {"columns": [], "rows": []}  # a table the new plan lacks
    (folder / "plan.json").write_text(json.dumps(earlier))
    (folder / "gone.csv").write_text("a\n1\n")
    (folder / "mine.csv").write_text("a user's file\n")
    assert main(["plan", str(small / "base.yaml"), "--out", str(folder)]) == 0
    assert not (folder / "gone.csv").exists()
    assert (folder / "mine.csv").exists() and (folder / "assignments.csv").exists()
    assert "gone" not in json.loads((folder / "plan.json").read_text())["tables"]


def test_plan_refuses_a_dataset_folder_before_solving(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small / "data"
    before = {path.name: path.read_bytes() for path in data.iterdir()}
    assert main(["plan", str(small / "base.yaml"), "--out", str(data)]) == 1
    err = capsys.readouterr().err
    assert "holds a dataset (dataset.yaml)" in err and "Traceback" not in err
    assert {path.name: path.read_bytes() for path in data.iterdir()} == before
    assert main(["plan", str(small / "base.yaml"), "--out", str(small / "base.yaml")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_compare_shows_deltas_and_the_inputs_that_differ(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = small / "compare"
    args = ["compare", str(small / "base.yaml"), str(small / "cut.yaml"), "--out", str(out_dir)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Δ cut" in text and "Inputs that differ" in text and "overrides[0]" in text
    kpis = (out_dir / "compare_kpis.csv").read_text()
    assert kpis.splitlines()[0].startswith("kpi,small,cut,Δ cut,Δ% cut")
    assert "<svg" in (out_dir / "compare.html").read_text()


def test_batch_isolates_failures_and_resumes(small: Path) -> None:
    files = [
        str(small / name) for name in ("base.yaml", "broken.yaml", "unreadable.yaml", "cut.yaml")
    ]
    out = small / "batch"
    assert main(["batch", *files, "--out", str(out), "--workers", "2", "--time-limit", "120"]) == 1
    summary = (out / "summary.csv").read_text()
    assert "small," in summary and ",done," in summary
    assert "broken," in summary and "matches no row" in summary
    assert "unreadable," in summary and "failed" in summary
    assert (out / "small" / "plan.json").exists() and (out / "cut" / "plan.json").exists()
    assert not (out / "broken").exists()
    first = (out / "small" / "plan.json").read_bytes()
    # resume: the finished scenarios are skipped, the broken ones are tried again
    (out / "cut" / "job.json").unlink()  # as if the batch had been killed before cut finished
    assert main(["batch", *files, "--out", str(out), "--workers", "2"]) == 1
    again = (out / "summary.csv").read_text()
    rows = {line.split(",")[0]: line.split(",")[2] for line in again.splitlines()[1:]}
    assert rows["small"] == "skipped" and rows["cut"] == "done"
    assert (out / "small" / "plan.json").read_bytes() == first


def test_dask_batch_equals_the_local_one(small: Path) -> None:
    pytest.importorskip("distributed")
    files = [str(small / "base.yaml"), str(small / "cut.yaml")]
    assert main(["batch", *files, "--out", str(small / "local"), "--workers", "1"]) == 0
    args = ["batch", *files, "--out", str(small / "dask"), "--executor", "dask", "--workers", "2"]
    assert main(args) == 0
    for name in ("small", "cut"):
        local = (small / "local" / name / "plan.json").read_bytes()
        assert (small / "dask" / name / "plan.json").read_bytes() == local


def test_library_api_matches_the_cli(small: Path) -> None:
    import engine

    (base,) = engine.resolve(engine.load_scenario(small / "base.yaml"))
    (cut,) = engine.resolve_file(small / "cut.yaml")
    plans = [engine.solve(base), engine.solve(cut)]
    assert plans[0].to_json() == (small / "one" / "plan.json").read_text()
    comparison = engine.compare(plans, scenarios=[base, cut])
    row = comparison.kpis.set_index("kpi").loc["cost_marketing"]
    assert row["cut"] <= row["small"] and "Δ cut" in comparison.kpis.columns
    assert any(comparison.inputs["input"].str.startswith("overrides"))
    result = engine.run_batch(small / "base.yaml", small / "api-batch", workers=1)  # one file
    assert [o.status for o in result.outcomes] == ["done"]
    assert (small / "api-batch" / "small" / "plan.json").read_text() == plans[0].to_json()


def test_a_batch_variant_without_a_plan_fails_and_keeps_its_explanation(small: Path) -> None:
    (small / "impossible.yaml").write_text(
        "extends: base.yaml\nname: impossible\n"
        "optimize: {objective: min_cost, revenue_target: 1.0e+12}\n",
        encoding="utf-8",
    )
    out = small / "batch-impossible"
    args = ["batch", str(small / "impossible.yaml"), "--out", str(out), "--workers", "1"]
    assert main(args) == 1
    summary = (out / "summary.csv").read_text()
    assert summary.splitlines()[1].startswith("impossible,")
    assert ",failed," in summary and "no plan (infeasible)" in summary
    assert "revenue target" in summary
    kept = json.loads((out / "impossible.failed" / "plan.json").read_text())
    assert kept["status"] == "infeasible" and kept["explanation"]["relaxations"]
    assert not (out / "impossible").exists()
    assert main(args) == 1  # tried again, not skipped
    assert ",failed," in (out / "summary.csv").read_text()


@pytest.mark.parametrize(("hard", "solver"), [(120, 96), (30, 22), (10, 5), (4, 2)])
def test_the_hard_limit_leaves_a_reserve_for_rules_and_outputs(hard: float, solver: float) -> None:
    assert solver_cap(hard) == pytest.approx(solver)


def test_a_batch_limit_caps_the_scenario_limit_never_raises_it(small: Path) -> None:
    (job,) = scenario_jobs([small / "base.yaml"], time_limit=30)  # the scenario says 60
    assert job.payload[4] == pytest.approx(22)
    (job,) = scenario_jobs([small / "base.yaml"], time_limit=600)
    assert job.payload[4] == 60


def test_batch_jobs_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    # HiGHS' threads spin: 2 workers on 2 cores get 1 solver thread each, not the scenario's 2
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert thread_cap(2) == 1 and thread_cap(1) == 2 and thread_cap(8) == 1
    assert thread_cap(2, "dask") is None  # a cluster's workers are elsewhere


def test_plan_scenario_caps_the_solver_threads(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.scenario import resolve_file

    seen: list[int | None] = []

    def record(inputs, settings, *, name):  # type: ignore[no-untyped-def]
        seen.append(settings.solver.threads)
        raise RuntimeError("enough")

    monkeypatch.setattr(pipeline, "solve", record)
    (one,) = resolve_file(small / "base.yaml")  # the scenario says 1 thread
    optimize = one.spec.optimize
    solver = optimize.solver.model_copy(update={"threads": 2})
    two = replace(
        one, spec=replace(one.spec, optimize=optimize.model_copy(update={"solver": solver}))
    )
    for resolved, cap in ((one, None), (one, 4), (two, 1), (two, None)):
        with pytest.raises(RuntimeError):
            pipeline.plan_scenario(resolved, max_threads=cap)
    assert seen == [1, 1, 1, 2]
