"""Scenario files: extends, overrides, sweeps, errors that name file and key, pure hashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.demo import load_demo
from engine.errors import ScenarioError
from engine.scenario import expand_sweep, load_scenario, resolve, resolve_file


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
name: base
description: the demo as it is
dataset: demo
optimize:
  objective: contribution
  solver: {time_limit: 30, mip_gap: 0.005}
overrides:
  - table: budgets
    where: {category: marketing}
    set: {amount: 1000000}
"""


def test_extends_merges_maps_and_concatenates_overrides(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", BASE)
    child = _write(
        tmp_path,
        "child.yaml",
        """
extends: base.yaml
optimize: {solver: {time_limit: 10}}
overrides:
  - table: budgets
    where: {category: marketing}
    scale: {amount: 0.9}
""",
    )
    spec = load_scenario(child)
    assert spec.name == "child"  # names are not inherited
    assert spec.optimize.solver.time_limit == 10 and spec.optimize.solver.mip_gap == 0.005
    assert spec.optimize.objective == "contribution"
    assert [o.set or o.scale for _, _, o in spec.overrides] == [
        {"amount": 1000000},
        {"amount": 0.9},
    ]
    (resolved,) = resolve(spec)
    budgets = resolved.dataset.budgets.set_index("category")["amount"]
    assert budgets["marketing"] == pytest.approx(900_000.0)
    assert budgets["training"] == load_demo().budgets.set_index("category")["amount"]["training"]


def test_overrides_select_by_condition_and_drop_with_references(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "what-if.yaml",
        """
dataset: demo
overrides:
  - {table: territories, where: {region: '"IL"'}, scale: {potential: 1.2}}
  - {table: partners, where: {id: '"P007"'}, drop: true, note: bankrupt}
  - {table: reps, where: {capacity_hours: "< 400", channel: FIELD}, add: {capacity_hours: 10}}
""",
    )
    (resolved,) = resolve_file(path)
    demo = load_demo()
    before = demo.territories.set_index("id")["potential"]
    after = resolved.dataset.territories.set_index("id")["potential"]
    illinois = demo.territories["region"] == "IL"
    ids = demo.territories["id"]
    assert after[ids[illinois]].to_numpy() == pytest.approx(before[ids[illinois]].to_numpy() * 1.2)
    assert after[ids[~illinois]].equals(before[ids[~illinois]])
    assert "P007" not in set(resolved.dataset.partners["id"])
    assert "P007" not in set(resolved.dataset.coverage["partner"])
    hours_before = demo.reps.set_index("id")["capacity_hours"]
    hours_after = resolved.dataset.reps.set_index("id")["capacity_hours"]
    raised = (demo.reps["capacity_hours"] < 400) & (demo.reps["channel"] == "FIELD")
    assert (hours_after - hours_before)[demo.reps["id"][raised]].eq(10).all()
    assert (hours_after - hours_before)[demo.reps["id"][~raised]].eq(0).all()
    assert demo.partners["id"].eq("P007").any()  # the shared demo is untouched


def test_sweep_expands_a_grid_of_named_variants(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "sweep.yaml",
        """
name: mkt
dataset: demo
sweep:
  - parameter: marketing
    table: budgets
    where: {category: marketing}
    column: amount
    values: [2000000, 3000000]
  - parameter: hours
    table: reps
    column: capacity_hours
    action: scale
    values: [0.9, 1.0, 1.1]
""",
    )
    variants = expand_sweep(load_scenario(path))
    assert [v.name for v in variants][:3] == [
        "mkt--marketing-2000000--hours-0.9",
        "mkt--marketing-2000000--hours-1",
        "mkt--marketing-2000000--hours-1.1",
    ]
    assert len(variants) == 6
    assert variants[4].parameters == (("marketing", 3000000), ("hours", 1.0))
    resolved = resolve(load_scenario(path))
    assert len({r.content_hash for r in resolved}) == 6
    amounts = [r.dataset.budgets.set_index("category")["amount"]["marketing"] for r in resolved]
    assert amounts == [2e6, 2e6, 2e6, 3e6, 3e6, 3e6]


def test_hash_is_pure_and_ignores_names(tmp_path: Path) -> None:
    one = _write(tmp_path, "one.yaml", BASE)
    two = _write(tmp_path, "two.yaml", BASE.replace("name: base", "name: other"))
    first = resolve_file(one)[0].content_hash
    assert resolve_file(one)[0].content_hash == first
    assert resolve_file(two)[0].content_hash == first
    three = _write(tmp_path, "three.yaml", BASE.replace("1000000", "1000001"))
    assert resolve_file(three)[0].content_hash != first


def test_cycle_is_reported_with_the_chain(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "extends: b.yaml\ndataset: demo\n")
    _write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="cycle") as caught:
        load_scenario(tmp_path / "a.yaml")
    assert caught.value.key == "extends" and "a.yaml" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("dataset: demo\nbudget: 5\n", "budget", "unknown key .allowed: name, description, "),
        ("dataset: demo\noverrides:\n  - {table: partners, where: {id: P999}, drop: true}\n",
         "overrides[0].where", "matches no row"),
        ("dataset: demo\noverrides:\n  - {table: partners, where: {idd: P001}, drop: true}\n",
         "overrides[0].where.idd", "no column"),
        ("dataset: demo\noverrides:\n  - {table: partners, where: {capacity: '>>5'}, drop: true}\n",
         "overrides[0].where.capacity", None),
        ("dataset: demo\noverrides:\n  - {table: partners, set: {capacity: 1}, drop: true}\n",
         "overrides[0]", "exactly one"),
        ("dataset: demo\noverrides:\n  - {table: partners, wher: {id: P001}, drop: true}\n",
         "overrides[0].wher", "allowed: table, where, set, scale, add, drop, note"),
        ("dataset: demo\noverrides:\n  - {table: territories, where: {region: IL}, drop: true}\n",
         "overrides[0].drop", "cannot be dropped"),
        ("dataset: demo\noverrides:\n  - {table: partners, set: {capacity: -5}}\n",
         "overrides[0]", "this override leaves the dataset invalid: <partners>, row 2"),
        ("dataset: demo\noverrides:\n"
         "  - {table: budgets, where: {category: marketing}, set: {amount: -5}}\n"
         "  - {table: budgets, where: {category: hiring}, scale: {amount: 2}}\n",
         "overrides[0]", "this override leaves the dataset invalid: <budgets>"),
        ("dataset: demo\noptimize: {solver: {time_limit: fast}}\n", "optimize.solver.time_limit",
         None),
        ("optimize: {}\n", "dataset", "no dataset"),
        ("dataset: demo\noptimize: {objective: min_cost}\n", "optimize",
         ": objective min_cost needs a revenue_target"),
        ("dataset: demo\noptimize: {response_points: []}\n", "optimize.response_points",
         "first point must be 0"),
        ("dataset: demo\noptimize: {response_points: [0, -1, 2]}\n", "optimize.response_points",
         "strictly increasing"),
        ("dataset: demo\noptimize: {max_hires: {FIELD: -1}}\n", "optimize.max_hires",
         "headcount ≥ 0"),
        ("dataset: demo\noptimize: {max_hires: {FEILD: 0}}\n", "optimize.max_hires.FEILD",
         "'FEILD' is not a channel of the dataset; max_hires caps rep channels: FIELD, INSIDE"),
        ("dataset: demo\noptimize: {max_hires: {DIST: 3}}\n", "optimize.max_hires.DIST",
         "partner or online channel"),
    ],
)  # fmt: skip
def test_bad_scenarios_name_file_and_key(
    tmp_path: Path, text: str, key: str, message: str | None
) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(ScenarioError, match=message) as caught:
        resolve_file(path)
    assert caught.value.key == key
    assert caught.value.file == str(path) or caught.value.file == str(path.resolve())


def test_unknown_key_reports_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", "dataset: demo\n\noptimize:\n  solver:\n    time_limt: 5\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.line == 5 and caught.value.key == "optimize.solver.time_limt"
    assert "allowed: solver, time_limit, mip_gap" in str(caught.value)


def test_text_ids_select_without_nested_quotes(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ids.yaml",
        "dataset: demo\noverrides:\n"
        "  - {table: territories, where: {id: '17031'}, scale: {potential: 2}}\n"
        "  - {table: budgets, where: {category: marketing}, set: {amount: 1e6}}\n",
    )
    (resolved,) = resolve_file(path)
    demo = load_demo().territories.set_index("id")["potential"]
    assert resolved.dataset.territories.set_index("id")["potential"]["17031"] == 2 * demo["17031"]
    assert resolved.dataset.budgets.set_index("category")["amount"]["marketing"] == 1e6


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ("{parameter: m, table: budgets, column: amount, action: scale, values: [0.5, abc]}",
         "scale takes numbers"),
        ("{parameter: m, table: budgets, column: amount, values: [1, 1.0]}", "distinct"),
    ],
)  # fmt: skip
def test_bad_sweeps_are_scenario_errors(tmp_path: Path, sweep: str, message: str) -> None:
    path = _write(tmp_path, "sweep.yaml", f"dataset: demo\nsweep:\n  - {sweep}\n")
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(path)
    assert caught.value.key is not None and caught.value.key.startswith("sweep")


def test_sweep_errors_name_the_sweep(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "sweep.yaml",
        "dataset: demo\nsweep:\n"
        "  - {parameter: m, table: budgets, where: {category: nothing}, column: amount,"
        " values: [1]}\n",
    )
    with pytest.raises(ScenarioError, match="matches no row") as caught:
        resolve_file(path)
    assert caught.value.key == "sweep[0].where"


def test_an_impossible_date_is_a_scenario_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "date.yaml", "dataset: demo\nas_of: 2027-02-30\n")
    with pytest.raises(ScenarioError, match="invalid YAML value"):
        load_scenario(path)
