"""Alignment inputs and methods on cases a bug hunt and a literature audit found: typos in an
activity column, distance tables unlike the graph or with missing pairs, no contiguity, and
candidate pruning that must not turn into claims about the full problem."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from engine.align import AlignmentInfeasible, align
from engine.cli import cli
from engine.errors import DataError
from engine.solver import SolverSettings, SolveStatus


def _grid(rows: int, cols: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = [f"U{r}{c}" for r in range(rows) for c in range(cols)]
    edges = [(f"U{r}{c}", f"U{r}{c + 1}") for r in range(rows) for c in range(cols - 1)]
    edges += [(f"U{r}{c}", f"U{r + 1}{c}") for r in range(rows - 1) for c in range(cols)]
    rng = np.random.default_rng(4)
    units = pd.DataFrame({"unit": names, "workload": rng.integers(10, 30, len(names))})
    return units, pd.DataFrame(edges, columns=["a", "b"])


CENTRES = {"R1": "U00", "R2": "U04", "R3": "U42"}


def test_a_typo_in_an_activity_column_is_an_error_not_a_dropped_activity() -> None:
    units, adjacency = _grid(5, 5)
    units["accounts"] = units["workload"].astype(object)
    units.loc[3, "accounts"] = "x7"
    with pytest.raises(DataError, match=r"row 5, column 'accounts'.*'x7'"):
        align(units, adjacency, centres=CENTRES, tolerance=0.2)
    units["name"] = "text"  # a text column is not an activity
    units.loc[3, "accounts"] = 7
    result = align(units, adjacency, centres=CENTRES, tolerance=0.2)
    assert {"workload", "accounts"} <= set(result.territories.columns)
    assert any("balanced activities: workload, accounts" in note for note in result.notes)


def _random_table(units: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = [
        (unit, rep, 0.0 if unit == home else float(rng.uniform(1, 10)))
        for unit in units["unit"]
        for rep, home in CENTRES.items()
    ]
    return pd.DataFrame(rows, columns=["unit", "rep", "distance"])


def test_hybrid_solves_a_distance_table_unlike_the_graph_as_the_flow_model_does() -> None:
    # random travel times: the SP restriction (each unit joined through a neighbour closer to its
    # centre) has no balanced answer, and separator-cut rounds chase scattered relaxations
    units, adjacency = _grid(5, 5)
    table = _random_table(units)
    settings = SolverSettings(time_limit=30, mip_gap=0.0)
    hybrid = align(units, adjacency, centres=CENTRES, distances=table, tolerance=0.2,
                   settings=settings)  # fmt: skip
    flow = align(units, adjacency, centres=CENTRES, distances=table, tolerance=0.2,
                 contiguity_method="flow", settings=settings)  # fmt: skip
    assert hybrid.status is SolveStatus.OPTIMAL and flow.status is SolveStatus.OPTIMAL
    assert hybrid.report.objective == pytest.approx(flow.report.objective)
    assert hybrid.check.ok


def test_units_without_any_distance_row_are_explained() -> None:
    units, adjacency = _grid(5, 5)
    table = _random_table(units)
    table = table[~table["unit"].isin(["U12", "U13"])]
    with pytest.raises(AlignmentInfeasible, match="'U12', 'U13' have no row for any rep"):
        align(units, adjacency, centres=CENTRES, distances=table, tolerance=0.2)


@pytest.mark.parametrize("method", ["hybrid", "cuts", "flow"])
def test_without_contiguity_a_unit_may_sit_beyond_another_centre(method: str) -> None:
    # path A–B–C–D, weights 10, 10, 1, 1, centres B and C, exact balance: the only balanced
    # plans put A with C (and D with B), each past the other territory's centre.
    # Compactness: A→C 10·2 + D→B 1·2 = 22.
    units = pd.DataFrame({"unit": list("ABCD"), "w": [10, 10, 1, 1]})
    adjacency = pd.DataFrame({"a": list("ABC"), "b": list("BCD")})
    result = align(units, adjacency, centres={"r1": "B", "r2": "C"}, tolerance=0.0,
                   contiguity=False, contiguity_method=method)  # fmt: skip
    assert result.status is SolveStatus.OPTIMAL
    assert result.objectives["compactness"] == pytest.approx(22)
    rep = dict(zip(result.assignment["unit"], result.assignment["rep"], strict=True))
    assert rep == {"A": "r2", "B": "r1", "C": "r2", "D": "r1"}


@pytest.mark.parametrize("method", ["flow", "cuts"])
def test_pruned_candidates_claim_nothing_about_the_full_problem(method: str) -> None:
    # 4 × 4 grid, centres in two corners and next to one: with only the nearest centre per unit
    # there is no balanced answer, with all pairs the optimum is 406 (hybrid, unpruned)
    rng = np.random.default_rng(2)
    names = [f"u{r}{c}" for r in range(4) for c in range(4)]
    units = pd.DataFrame({"unit": names, "population": rng.integers(50, 150, 16)})
    edges = [(f"u{r}{c}", f"u{r}{c + 1}") for r in range(4) for c in range(3)]
    edges += [(f"u{r}{c}", f"u{r + 1}{c}") for r in range(3) for c in range(4)]
    adjacency = pd.DataFrame(edges, columns=["a", "b"])
    centres = {"R0": "u00", "R1": "u01", "R2": "u33"}
    settings = SolverSettings(time_limit=20, mip_gap=0.0)
    full = align(units, adjacency, centres=centres, tolerance=0.03, settings=settings)
    for nearest in (1, 2):
        pruned = align(units, adjacency, centres=centres, tolerance=0.03, candidates=nearest,
                       contiguity_method=method, settings=settings)  # fmt: skip
        assert pruned.report.objective == pytest.approx(full.report.objective)
        if pruned.status is SolveStatus.OPTIMAL:  # only after solving all pairs
            assert any("all pairs solved" in note for note in pruned.notes)
        else:
            assert pruned.status is SolveStatus.FEASIBLE and pruned.report.bound is None


# --- straight-line distances, the CLI's model options and align check -----------------------

SQUARE = pd.DataFrame({"unit": list("abcd"), "x": [0.0, 0.0, 1.0, 1.0], "y": [0.0, 1.0, 1.0, 0.0],
                       "w": [1.0, 1.0, 1.0, 1.0]})  # fmt: skip
U_PATH = pd.DataFrame({"a": list("abc"), "b": list("bcd")})  # a–b–c–d around three sides


@pytest.mark.parametrize(("metric", "expected"), [("graph", 6.0), ("straight", 2 + 2**0.5)])
def test_straight_line_distances_from_x_y(metric: str, expected: float) -> None:
    # one rep at a: hops 0 + 1 + 2 + 3 along the path; straight 0 + 1 + √2 + 1
    result = align(SQUARE, U_PATH, centres={"R": "a"}, tolerance=1.0, metric=metric)  # type: ignore[arg-type]
    assert result.objectives["compactness"] == pytest.approx(expected)
    counted = align(SQUARE, U_PATH, count=1, tolerance=1.0, metric=metric)  # type: ignore[arg-type]
    # count mode: the 1-median (graph: b or c, 1 + 0 + 1 + 2 = 4; straight: any corner)
    assert counted.objectives["compactness"] == pytest.approx(
        4.0 if metric == "graph" else expected
    )


def test_straight_line_distances_from_lat_lon_are_great_circle_km() -> None:
    units = pd.DataFrame({"unit": ["p", "q"], "lat": [0.0, 0.0], "lon": [0.0, 1.0], "w": [1, 1]})
    result = align(units, pd.DataFrame({"a": ["p"], "b": ["q"]}), centres={"R": "p"},
                   tolerance=1.0, metric="straight", compactness_weight="unit")  # fmt: skip
    assert result.objectives["compactness"] == pytest.approx(111.195, rel=1e-4)  # 1° of equator


def test_straight_metric_needs_coordinates_and_no_table() -> None:
    units = SQUARE.drop(columns=["x", "y"])
    with pytest.raises(DataError, match="'lat' and 'lon' \\(or 'x' and 'y'\\)"):
        align(units, U_PATH, centres={"R": "a"}, tolerance=1.0, metric="straight")
    table = pd.DataFrame({"unit": list("abcd"), "rep": "R", "distance": 1.0})
    with pytest.raises(DataError, match="not both"):
        align(SQUARE, U_PATH, centres={"R": "a"}, distances=table, tolerance=1.0,
              metric="straight")  # fmt: skip


def _write(folder: Path, **tables: pd.DataFrame) -> dict[str, str]:
    paths = {}
    for name, frame in tables.items():
        paths[name] = str(folder / f"{name}.csv")
        frame.to_csv(paths[name], index=False)
    return paths


def test_cli_run_and_check_agree_on_a_squared_straight_line_model(tmp_path: Path) -> None:
    units, adjacency = _grid(5, 5)
    units["x"] = [int(name[1]) for name in units["unit"]]
    units["y"] = [int(name[2]) for name in units["unit"]]
    centres = pd.DataFrame({"rep": list(CENTRES), "unit": list(CENTRES.values())})
    paths = _write(tmp_path, units=units, adj=adjacency, centres=centres)
    model = ["--metric", "straight", "--distance-power", "2", "--weight", "unit",
             "--bounds", "workload=80:220"]  # fmt: skip
    out = tmp_path / "out"
    args = ["align", paths["units"], "--adjacency", paths["adj"], "--centres", paths["centres"],
            *model, "--out", str(out)]  # fmt: skip
    runner = CliRunner()
    ran = runner.invoke(cli, args)
    assert ran.exit_code == 0, ran.output
    territories = pd.read_csv(out / "territories.csv")
    assert territories["workload"].between(80, 220).all()
    compactness = float(ran.output.split("compactness ")[1].split(",")[0])
    check = ["align", "check", paths["units"], "--adjacency", paths["adj"], "--centres",
             paths["centres"], "--assignment", str(out / "assignment.csv"), *model]  # fmt: skip
    checked = runner.invoke(cli, check)
    assert checked.exit_code == 0, checked.output
    assert f"compactness: {compactness:.6g}" in checked.output


def test_check_verifies_the_centre_column(tmp_path: Path) -> None:
    units, adjacency = _grid(5, 5)
    result = align(units, adjacency, centres=CENTRES, tolerance=0.3)
    table = result.assignment.copy()
    centres = pd.DataFrame({"rep": list(CENTRES), "unit": list(CENTRES.values())})
    wrong = table.assign(centre=table["centre"].where(table["rep"] != "R1", "U01"))
    mixed = table.copy()
    mixed.loc[mixed.index[mixed["rep"] == "R2"][0], "centre"] = "U11"
    unknown = table.assign(centre=table["centre"].where(table["rep"] != "R3", "ZZZ"))
    expected = {
        "wrong": "rep 'R1': centre 'U01', but the centres give 'U00'",
        "mixed": "rep 'R2' has more than one centre",
        "unknown": "rep 'R3': centre 'ZZZ' is not in the units table",
    }
    for name, assignment in (("wrong", wrong), ("mixed", mixed), ("unknown", unknown)):
        paths = _write(tmp_path, units=units, adj=adjacency, centres=centres, a=assignment)
        args = ["align", "check", paths["units"], "--adjacency", paths["adj"],
                "--tolerance", "0.3", "--assignment", paths["a"]]  # fmt: skip
        if name == "wrong":
            args += ["--centres", paths["centres"]]
        outcome = CliRunner().invoke(cli, args)
        assert outcome.exit_code == 1 and expected[name] in outcome.output, outcome.output


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "many"])
def test_limits_must_be_finite_and_non_negative(tmp_path: Path, value: str) -> None:
    units, adjacency = _grid(3, 3)
    paths = _write(tmp_path, units=units, adj=adjacency)
    args = ["align", paths["units"], "--adjacency", paths["adj"], "--count", "2",
            "--max-cut-edges", value]  # fmt: skip
    outcome = CliRunner().invoke(cli, args)
    assert outcome.exit_code == 2 and "finite number >= 0" in outcome.output


def test_centres_need_rows_and_rep_ids() -> None:
    units, adjacency = _grid(3, 3)
    with pytest.raises(DataError, match="a non-empty rep id"):
        align(units, adjacency, centres=pd.DataFrame({"rep": ["", "R2"], "unit": ["U00", "U22"]}))
    with pytest.raises(DataError, match=r"at least one row \(rep, unit\)"):
        align(units, adjacency, centres=pd.DataFrame({"rep": [], "unit": []}))


def test_self_borders_are_ignored_with_a_note() -> None:
    # the Census county adjacency file lists every county as its own neighbour
    units, adjacency = _grid(3, 3)
    loops = pd.DataFrame({"a": units["unit"], "b": units["unit"]})
    result = align(units, pd.concat([adjacency, loops]), centres={"R1": "U00", "R2": "U22"},
                   tolerance=0.5, names={"adjacency": "adj.csv"})  # fmt: skip
    assert result.check.ok
    assert any("adj.csv: borders of a unit with itself ignored (rows 14" in n for n in result.notes)


_STRANDED = [[0, 0, 1, 1, 1], [0, 0, 1, 0, 1], [0, 0, 1, 1, 1], [2, 2, 2, 2, 1], [2, 2, 2, 2, 2]]


def _stranded_grid(rows: list[list[int]]) -> tuple[Any, nx.Graph, np.ndarray, Any, Any, Any]:
    """A 5 × 5 grid with three reps, its tables, and an answer given by territory per row and
    column (``_STRANDED``: R1's U13 stranded among R2's units)."""
    from engine.align import prepare_inputs
    from engine.align.distances import centre_distances, unit_graph
    from engine.align.model import candidate_units

    units, adjacency = _grid(5, 5)
    homes = pd.DataFrame({"rep": list(CENTRES), "unit": list(CENTRES.values())})
    inputs = prepare_inputs(units, adjacency, centres=homes, tolerance=0.25)
    graph = unit_graph(inputs)
    centre = np.asarray(inputs.centre)
    distance = centre_distances(inputs, graph, centre.tolist())
    allowed = candidate_units(inputs, graph, centre, distance, nearest=None)
    answer = np.array([rows[int(u[1])][int(u[2])] for u in inputs.units])
    return inputs, graph, answer, centre, distance, allowed


def test_repair_makes_a_scattered_answer_contiguous_and_balanced() -> None:
    # a proof round's answer (no contiguity rows) with a piece of R1 stranded inside R2: the
    # repair re-solves the piece and its surroundings with exact contiguity, the rest kept
    from engine.align.checker import check_alignment
    from engine.align.hybrid import _repair
    from engine.align.model import ModelSpec

    inputs, graph, scattered, centre, distance, allowed = _stranded_grid(_STRANDED)
    position = {name: i for i, name in enumerate(inputs.units)}
    assert scattered[position["U13"]] == 0  # stranded: all its neighbours are R2's
    repaired = _repair(
        inputs,
        graph,
        centre,
        distance,
        allowed,
        ModelSpec(),
        SolverSettings(time_limit=10),
        scattered,
        time.perf_counter() + 10,
    )
    assert repaired is not None
    table = pd.DataFrame({"unit": inputs.units, "rep": [inputs.reps[t] for t in repaired]})
    verdict = check_alignment(inputs, table)
    assert verdict.ok, verdict.problems
    hops = nx.single_source_shortest_path_length(graph, position["U13"])
    far = [u for u, h in hops.items() if h > 4]  # freed: the piece and up to 4 borders around
    assert far and (repaired[far] == scattered[far]).all()


def test_earlier_answers_of_a_round_are_cut_once_each() -> None:
    # a round's earlier, scattered answers (as HiGHS reports them) get their separator cuts too;
    # a piece already cut is not cut again, and a complete contiguous answer adds nothing
    from engine.align.contiguity import add_earlier_cuts
    from engine.align.model import ModelSpec, build_model

    inputs, graph, scattered, centre, distance, allowed = _stranded_grid(_STRANDED)
    model = build_model(inputs, graph, centre, distance, allowed, ModelSpec())
    answer = {v: float(scattered[u] == t) for (u, t), v in model.assign.items()}
    found = model.assignment_of(answer, inputs.num_units)
    assert (found == scattered).all()
    assert add_earlier_cuts(model, graph, [found]) == 1  # U13 stranded in R1
    assert add_earlier_cuts(model, graph, [found, found]) == 0
    mended = [row if r != 1 else [0, 0, 1, 1, 1] for r, row in enumerate(_STRANDED)]
    whole = _stranded_grid(mended)[2]  # U13 given to R2: every territory contiguous
    assert add_earlier_cuts(model, graph, [whole]) == 0
    assert model.cuts_added == 1


def _planar_case(seed: int, units: int, reps: int) -> Any:
    """The benchmark's Ríos-Mercado-style instance (``bench_align --case rm500``), smaller."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_align import _planar

    return _planar(seed, units=units, reps=reps)


def test_hybrid_finds_contiguous_answers_the_sp_restriction_misses() -> None:
    # straight-line distances on a sparse planar graph: SP-contiguity (a neighbour strictly
    # closer to the centre) is a poor restriction; the proof rounds' answers (contiguous ones
    # HiGHS met on the way, or scattered ones repaired) do better, and are checked contiguous
    case = _planar_case(5, units=120, reps=4)
    settings = SolverSettings(time_limit=20, threads=1)
    common = dict(centres=case.centres, activities=case.activities, metric="straight")
    sp = align(case.units, case.adjacency, contiguity_method="sp", settings=settings, **common)
    hybrid = align(case.units, case.adjacency, settings=settings, **common)
    assert hybrid.check.ok and sp.check.ok
    assert hybrid.status is SolveStatus.OPTIMAL
    assert hybrid.report.objective < 0.999 * sp.report.objective  # 695,664 vs 698,950
    proof = ("repaired answer", "answer of the exact model")
    assert any(what in note for note in hybrid.notes for what in proof)


def test_hybrid_skips_an_sp_search_whose_lp_bound_cannot_beat_the_incumbent() -> None:
    # the SP model's LP bound is above the heuristic's plan: no SP-contiguous plan can help, so
    # the time goes to the proof — whose answer must still be the exact (flow model's) optimum
    case = _planar_case(4, units=150, reps=5)
    settings = SolverSettings(time_limit=30, threads=1)
    common = dict(centres=case.centres, activities=case.activities, metric="straight")
    hybrid = align(case.units, case.adjacency, settings=settings, **common)
    flow = align(case.units, case.adjacency, contiguity_method="flow", settings=settings, **common)
    assert hybrid.status is SolveStatus.OPTIMAL and flow.status is SolveStatus.OPTIMAL
    assert any("no SP-contiguous answer can improve it" in note for note in hybrid.notes)
    assert hybrid.report.objective == pytest.approx(flow.report.objective, rel=2e-4)
    assert hybrid.check.ok


@pytest.mark.parametrize("method", ["hybrid", "flow"])
def test_a_given_start_is_taken_and_only_improved(method: str) -> None:
    # count mode re-allocates a plan at its centres for another objective starting from it: the
    # plan is the first incumbent (hybrid) or the MIP start (flow), and the answer is no worse
    from engine.align.model import ModelSpec
    from engine.align.search import _objective, solve_fixed_centres

    mended = [row if r != 1 else [0, 0, 1, 1, 1] for r, row in enumerate(_STRANDED)]
    inputs, graph, start, centre, distance, _ = _stranded_grid(mended)
    spec = ModelSpec(objective="cut_edges", contiguity=method)  # type: ignore[arg-type]
    given = _objective(inputs, graph, start, centre, spec, distance)
    result = solve_fixed_centres(
        inputs,
        graph,
        centre,
        distance,
        spec,
        SolverSettings(time_limit=20, threads=1),
        nearest=None,
        use_heuristic=False,
        initial=(start, "the plan given"),
    )
    source = "incumbent from the plan given" if method == "hybrid" else "start from the plan given"
    assert any(note.startswith(source) for note in result.notes)
    assert result.report.status is SolveStatus.OPTIMAL
    assert _objective(inputs, graph, result.assignment, centre, spec, distance) <= given


@pytest.mark.parametrize("objective", ["cut_edges", "disruption"])
def test_weak_objectives_start_from_compact_territories(objective: str) -> None:
    # cut edges and disruption have weak LPs: without a heuristic plan, the compactness SP model
    # gives the first incumbent (block500 at ±5 %, cut edges, had no plan at all in 60 s); the
    # answer is still the exact optimum (flow model's)
    units, adjacency = _grid(5, 5)
    current = pd.DataFrame({"unit": units["unit"], "rep": ["R1"] * 10 + ["R2"] * 5 + ["R3"] * 10})
    settings = SolverSettings(time_limit=20, threads=1)
    common: dict[str, Any] = dict(
        centres=CENTRES, tolerance=0.1, objective=objective, current=current, settings=settings
    )
    hybrid = align(units, adjacency, heuristic=False, **common)
    flow = align(units, adjacency, contiguity_method="flow", **common)
    assert any(n.startswith("incumbent from the compact start") for n in hybrid.notes)
    assert hybrid.check.ok and hybrid.status is SolveStatus.OPTIMAL
    assert flow.status is SolveStatus.OPTIMAL
    assert hybrid.report.objective == pytest.approx(flow.report.objective)


def test_prepare_inputs_takes_mappings_as_align_does() -> None:
    # {rep: unit} centres and {unit: rep} locks, as `align` takes them (an AttributeError before)
    from engine.align import prepare_inputs

    units, adjacency = _grid(5, 5)
    table = pd.DataFrame({"rep": list(CENTRES), "unit": list(CENTRES.values())})
    by_table = prepare_inputs(
        units, adjacency, centres=table, locks=pd.DataFrame({"unit": ["U22"], "rep": ["R2"]})
    )
    by_mapping = prepare_inputs(units, adjacency, centres=CENTRES, locks={"U22": "R2"})
    assert by_mapping.reps == by_table.reps
    assert by_mapping.centre is not None and by_table.centre is not None
    assert by_mapping.centre.tolist() == by_table.centre.tolist()
    assert dict(by_mapping.locks) == dict(by_table.locks) != {}
