"""The Plan: determinism of its JSON, immutability, the writer, the scenario file and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from test_optimize_fixtures import inputs, network, settings

from engine.cli import SalesnetGroup
from engine.cli.plan import plan as plan_command
from engine.errors import ScenarioError
from engine.optimize import check_plan, solve
from engine.pipeline import scenario_inputs
from engine.plan.io import summary, write_plan
from engine.scenario import load_scenario, resolve_file

ROOT = Path(__file__).resolve().parents[1]


def _mixed_network():  # type: ignore[no-untyped-def]
    channels = [
        {"id": "FIELD", "kind": "direct_field", "hours_scale": 120.0, "marketing_scale": 4e4,
         "hire_cost": 3e4, "hire_capacity_hours": 300.0, "hours_per_call": 2.0},
        {"id": "WEB", "kind": "online", "margin": 0.3, "max_share": 0.1, "marketing_scale": 2e4},
        {"id": "DIST", "kind": "distributor", "margin": 0.25},
    ]  # fmt: skip
    reps = [{"id": f"R{i}", "channel": "FIELD", "home": h, "territory": h,
             "capacity_hours": 300.0, "cost": 2e4} for i, h in enumerate("ACE")]  # fmt: skip
    partners = [
        {"id": "P1", "channel": "DIST", "capacity": 6e5, "fixed_cost": 4e4},
        {"id": "P2", "channel": "DIST", "capacity": 3e5, "fixed_cost": 1e4},
    ]
    coverage = [("P1", t, None) for t in "ABC"] + [("P2", t, 1e5) for t in "CDE"]
    territories = [
        (t, float(i), p)
        for i, (t, p) in enumerate(zip("ABCDE", [5e5, 2e6, 1e6, 3e6, 8e5], strict=True))
    ]
    return network(
        territories,
        channels,
        reps=reps,
        partners=partners,
        coverage=coverage,
        budgets={"marketing": 6e4, "hiring": 6e4, "total": 1e5},
    )


def test_same_inputs_give_byte_identical_json() -> None:
    net, s = _mixed_network(), settings(training={"max_uplift": 0.1})
    first = solve(inputs(net), s, name="mixed").to_json()
    second = solve(inputs(_mixed_network()), s, name="mixed").to_json()
    assert first == second
    data = json.loads(first)
    assert "timings" not in data
    assert list(data) == sorted(data)


def test_plan_is_immutable_and_tables_are_copies() -> None:
    plan = solve(inputs(_mixed_network()), settings())
    with pytest.raises(ValidationError):
        plan.status = "changed"  # type: ignore[misc]
    frame = plan.table("assignments")
    frame.loc[:, "territory"] = "X"
    assert "X" not in set(plan.table("assignments")["territory"])
    assert "timings" in json.loads(plan.to_json(include_timings=True))
    assert check_plan(plan, inputs(_mixed_network()), settings()) == []


def test_writer_and_summary(tmp_path: Path) -> None:
    plan = solve(inputs(_mixed_network()), settings())
    written = write_plan(plan, tmp_path / "out")
    names = {p.name for p in written}
    assert {
        "plan.json",
        "timings.json",
        "assignments.csv",
        "budgets.csv",
        "partners.csv",
        "revenue.csv",
        "coverage.csv",
        "incentives.csv",
        "risk_register.csv",
    } <= names
    assert (tmp_path / "out" / "plan.json").read_text() == plan.to_json()
    text = summary(plan, "USD")
    assert "Revenue" in text and "Budgets" in text and "marketing" in text


def test_scenario_unknown_key_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndataset: demo\nobjectiv: revenue\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.key == "objectiv"


def _cli() -> click.Group:
    @click.group(cls=SalesnetGroup)
    def root() -> None:
        """Test root."""

    root.add_command(plan_command)
    return root


def test_cli_bad_scenario_exits_1_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\noptimize: {objective: nonsense}\n")
    result = CliRunner().invoke(_cli(), ["plan", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "objective" in result.output


def test_demo_baseline_solves_and_checks(tmp_path: Path) -> None:
    """The shipped baseline scenario: a plan (optimal or feasible at its limit) that passes the
    independent checker; the CLI writes its files and a readable summary."""
    (resolved,) = resolve_file(ROOT / "scenarios" / "baseline.yaml")
    scenario = resolved.spec
    planning = scenario_inputs(resolved)
    plan = solve(planning, scenario.optimize, name=scenario.name)
    assert plan.has_solution, plan.solver
    assert plan.solver.gap is not None and plan.solver.gap < 0.15  # time-limited: see report
    assert check_plan(plan, planning, scenario.optimize) == []
    assert plan.provenance.rule_versions.keys() == {"tiering", "incentives", "risk"}
    result = CliRunner().invoke(
        _cli(),
        [
            "plan",
            str(ROOT / "scenarios" / "baseline.yaml"),
            "--out",
            str(tmp_path),
            "--time-limit",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Revenue" in result.output and (tmp_path / "plan.json").is_file()
