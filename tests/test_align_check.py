"""The independent checker, input validation, brute-force cross-check and the CLI."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import click
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from engine.align import UNIT_WEIGHT, AlignmentInfeasible, align, check_alignment, prepare_inputs
from engine.cli import SalesnetGroup
from engine.cli.align import align as align_command
from engine.errors import DataError
from engine.solver import SolveStatus


def _path(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = [f"u{i}" for i in range(n)]
    units = pd.DataFrame({"unit": names, "work": 1.0, "accounts": [1.0 + i % 2 for i in range(n)]})
    return units, pd.DataFrame({"a": names[:-1], "b": names[1:]})


def test_checker_finds_every_problem() -> None:
    units, edges = _path(4)
    inputs = prepare_inputs(
        units,
        edges,
        centres=pd.DataFrame({"rep": ["A", "B"], "unit": ["u0", "u3"]}),
        activities=["work"],
        tolerance=0.0,
    )
    bad = pd.DataFrame({"unit": ["u0", "u2", "u3", "u3"], "rep": ["A", "A", "B", "B"]})
    verdict = check_alignment(inputs, bad)
    text = " | ".join(verdict.problems)
    assert not verdict.ok
    assert "more than once" in text and "not assigned" in text and "not contiguous" in text
    good = pd.DataFrame({"unit": ["u0", "u1", "u2", "u3"], "rep": ["A", "A", "B", "B"]})
    verdict = check_alignment(inputs, good)
    assert verdict.ok, verdict.problems
    assert verdict.objectives["cut_edges"] == 1
    assert verdict.objectives["compactness"] == 2  # hops u1→u0 and u2→u3


def test_bad_tables_name_file_row_column_value() -> None:
    units, edges = _path(3)
    units = units.astype({"work": object})
    units.loc[1, "work"] = "lots"
    edges.loc[1, "b"] = "nowhere"
    with pytest.raises(DataError) as caught:
        prepare_inputs(units, edges, count=2, names={"units": "units.csv", "adjacency": "adj.csv"})
    issues = {(i.file, i.row, i.column) for i in caught.value.issues}
    # without --activity, a mostly numeric 'work' is still an activity, with a typo in row 3
    assert ("units.csv", 3, "work") in issues
    with pytest.raises(DataError) as caught:
        prepare_inputs(units, edges, count=2, activities=["work"], names={"units": "units.csv"})
    assert "units.csv, row 3, column 'work': got 'lots'" in str(caught.value)
    units.loc[1, "work"] = 1.0
    with pytest.raises(DataError) as caught:
        prepare_inputs(units, edges, count=2, names={"units": "units.csv", "adjacency": "adj.csv"})
    text = str(caught.value)
    assert "adj.csv, row 3, column 'b': got 'nowhere'" in text


def _brute_force(
    units: pd.DataFrame, edges: pd.DataFrame, centres: dict[str, str], tolerance: float
) -> float | None:
    names = list(units["unit"])
    reps = sorted(centres)
    inputs = prepare_inputs(
        units,
        edges,
        centres=pd.DataFrame({"rep": reps, "unit": [centres[r] for r in reps]}),
        activities=["work"],
        tolerance=tolerance,
    )
    best = None
    graph = nx.Graph(list(zip(edges["a"], edges["b"], strict=True)))
    lengths = {r: nx.single_source_shortest_path_length(graph, centres[r]) for r in reps}
    weight = dict(zip(units["unit"], units["work"], strict=True))
    work = units["work"].to_numpy()
    low, high = float(inputs.lower[0]), float(inputs.upper[0])
    for combo in itertools.product(reps, repeat=len(names)):
        members = {r: [u for u, c in zip(names, combo, strict=True) if c == r] for r in reps}
        loads = [sum(work[names.index(u)] for u in members[r]) for r in reps]
        if any(not low - 1e-9 <= load <= high + 1e-9 for load in loads):
            continue
        if any(
            centres[r] not in members[r] or not nx.is_connected(graph.subgraph(members[r]))
            for r in reps
        ):
            continue
        value = sum(weight[u] * lengths[r][u] for u, r in zip(names, combo, strict=True))
        best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_brute_force_cross_check(seed: int) -> None:
    rng = random.Random(seed)
    n = 7
    graph = nx.random_labeled_tree(n, seed=seed)
    extra = [(rng.randrange(n), rng.randrange(n)) for _ in range(3)]
    graph.add_edges_from((a, b) for a, b in extra if a != b)
    names = [f"u{i}" for i in range(n)]
    edges = pd.DataFrame([(names[a], names[b]) for a, b in sorted(graph.edges)], columns=["a", "b"])
    units = pd.DataFrame({"unit": names, "work": [float(rng.randint(1, 5)) for _ in range(n)]})
    homes = rng.sample(names, 3 if seed % 2 else 2)
    centres = {f"R{i}": home for i, home in enumerate(homes)}
    expected = _brute_force(units, edges, centres, tolerance=0.5)
    if expected is None:
        with pytest.raises(AlignmentInfeasible):
            align(units, edges, centres=centres, tolerance=0.5)
        return
    result = align(units, edges, centres=centres, tolerance=0.5, settings=None)
    assert result.check.ok
    assert result.objectives["compactness"] == pytest.approx(expected)
    assert result.report.bound is not None and result.report.bound <= expected + 1e-6
    for method in ("flow", "cuts"):
        exact = align(units, edges, centres=centres, tolerance=0.5, contiguity_method=method)
        assert exact.objectives["compactness"] == pytest.approx(expected), method
    # the SP restriction: contiguous and balanced, never better than the optimum, an honest bound
    sp = align(units, edges, centres=centres, tolerance=0.5, contiguity_method="sp")
    assert sp.check.ok, sp.check.problems
    assert sp.objectives["compactness"] >= expected - 1e-6
    assert sp.report.bound is not None and sp.report.bound <= expected + 1e-6
    if sp.status is SolveStatus.OPTIMAL:
        assert sp.objectives["compactness"] == pytest.approx(expected)


def _root() -> click.Group:
    root = SalesnetGroup(name="salesnet")
    root.add_command(align_command)
    return root


def _write(directory: Path, name: str, table: pd.DataFrame) -> str:
    path = directory / name
    table.to_csv(path, index=False)
    return str(path)


def test_cli_run_and_check(tmp_path: Path) -> None:
    units, edges = _path(6)
    u = _write(tmp_path, "units.csv", units)
    a = _write(tmp_path, "adj.csv", edges)
    c = _write(tmp_path, "centres.csv", pd.DataFrame({"rep": ["A", "B"], "unit": ["u1", "u4"]}))
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(
        _root(),
        [
            "align",
            u,
            "--adjacency",
            a,
            "--centres",
            c,
            "--activity",
            "work",
            "--tolerance",
            "0",
            "--weight",
            UNIT_WEIGHT,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "optimal" in result.output
    table = pd.read_csv(out / "assignment.csv", dtype=str)
    assert list(table.columns) == ["unit", "rep", "centre"]
    assert set(table.loc[table["rep"] == "A", "unit"]) == {"u0", "u1", "u2"}
    territories = (out / "territories.csv").read_text()
    assert "000000" not in territories and "99999" not in territories  # no float noise
    check = runner.invoke(
        _root(),
        [
            "align",
            "check",
            u,
            "--adjacency",
            a,
            "--centres",
            c,
            "--activity",
            "work",
            "--tolerance",
            "0",
            "--assignment",
            str(out / "assignment.csv"),
        ],
    )
    assert check.exit_code == 0, check.output
    assert "cut_edges: 1" in check.output
    table.loc[0, "rep"] = "B"
    broken = _write(tmp_path, "broken.csv", table)
    check = runner.invoke(
        _root(),
        [
            "align",
            "check",
            u,
            "--adjacency",
            a,
            "--centres",
            c,
            "--activity",
            "work",
            "--tolerance",
            "0",
            "--assignment",
            broken,
        ],
    )
    assert check.exit_code == 1


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    units, edges = _path(4)
    units = units.astype({"work": object})
    units.loc[2, "work"] = "-3"
    u = _write(tmp_path, "units.csv", units)
    a = _write(tmp_path, "adj.csv", edges)
    runner = CliRunner()
    result = runner.invoke(_root(), ["align", u, "--adjacency", a, "--count", "2"])
    assert result.exit_code == 1
    assert "units.csv, row 4, column 'work'" in result.output
    assert "Traceback" not in result.output
    # blank lines are skipped but counted: the row is the one an editor shows
    text = Path(u).read_text().replace("\n", "\n\n", 2)
    Path(u).write_text(text)
    result = runner.invoke(_root(), ["align", u, "--adjacency", a, "--count", "2"])
    assert result.exit_code == 1 and "units.csv, row 6, column 'work'" in result.output
    units, _ = _path(4)
    units["work"] = [1, 1, 1, 9]
    u = _write(tmp_path, "units2.csv", units)
    result = runner.invoke(
        _root(), ["align", u, "--adjacency", a, "--count", "2", "--activity", "work"]
    )
    assert result.exit_code == 1 and "alone" in result.output
    assert "it needs a tolerance of at least 50.0 %, or fewer territories" in result.output
    usage = runner.invoke(_root(), ["align", u, "--adjacency", a])
    assert usage.exit_code == 2


def test_deterministic() -> None:
    units, edges = _path(8)
    first = align(units, edges, count=2, activities=["work", "accounts"], tolerance=0.25)
    second = align(units, edges, count=2, activities=["work", "accounts"], tolerance=0.25)
    pd.testing.assert_frame_equal(first.assignment, second.assignment)
    assert np.allclose(first.territories["work"], second.territories["work"])


@pytest.mark.parametrize(("weight", "expected"), [(None, "1"), ("accounts", "2")])
def test_cli_disruption_weight(tmp_path: Path, weight: str | None, expected: str) -> None:
    # today A holds u0..u3 and B u4, u5; balanced halves move u3 (accounts 2) to B
    units, edges = _path(6)
    u = _write(tmp_path, "units.csv", units)
    a = _write(tmp_path, "adj.csv", edges)
    c = _write(tmp_path, "centres.csv", pd.DataFrame({"rep": ["A", "B"], "unit": ["u1", "u4"]}))
    today = pd.DataFrame({"unit": [f"u{i}" for i in range(6)], "rep": list("AAAABB")})
    current = _write(tmp_path, "current.csv", today)
    options = ["--activity", "work", "--activity", "accounts", "--tolerance", "work=0"]
    options += ["--tolerance", "accounts=0.2", "--current", current]
    options += [] if weight is None else ["--disruption-weight", weight]
    runner = CliRunner()
    out = tmp_path / "out"
    common = [u, "--adjacency", a, "--centres", c, *options]
    result = runner.invoke(_root(), ["align", *common, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"disruption {expected}\n" in result.output
    assignment = str(out / "assignment.csv")
    check = runner.invoke(_root(), ["align", "check", *common, "--assignment", assignment])
    assert check.exit_code == 0, check.output
    assert f"disruption: {expected}\n" in check.output
