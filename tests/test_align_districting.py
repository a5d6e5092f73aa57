"""Count mode: the exact districting model (centres chosen by the model) against brute force."""

from __future__ import annotations

import itertools
import random
import time

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import engine.align.api as align_api
import engine.align.districting as districting
from engine.align import UNIT_WEIGHT, AlignmentInfeasible, align, prepare_inputs
from engine.align.distances import unit_graph
from engine.align.districting import DistrictingResult
from engine.align.inputs import AlignmentInputs
from engine.align.model import ModelSpec
from engine.errors import DataError
from engine.solver import SolverSettings
from engine.solver_status import SolverReport, SolveStatus


def _instance(seed: int, n: int = 8) -> tuple[pd.DataFrame, pd.DataFrame, nx.Graph]:
    rng = random.Random(seed)
    graph = nx.random_labeled_tree(n, seed=seed)
    extra = [(rng.randrange(n), rng.randrange(n)) for _ in range(4)]
    graph.add_edges_from((a, b) for a, b in extra if a != b)
    names = [f"u{i}" for i in range(n)]
    edges = pd.DataFrame([(names[a], names[b]) for a, b in sorted(graph.edges)], columns=["a", "b"])
    units = pd.DataFrame({"unit": names, "work": [float(rng.randint(1, 6)) for _ in range(n)]})
    return units, edges, nx.relabel_nodes(graph, dict(enumerate(names)))


def _path6() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units a..f on a path, one work each."""
    names = list("abcdef")
    units = pd.DataFrame({"unit": names, "work": 1.0})
    return units, pd.DataFrame({"a": names[:-1], "b": names[1:]})


def _no_answer(
    inputs: AlignmentInputs, report: SolverReport, notes: tuple[str, ...] = ()
) -> DistrictingResult:
    """What the exact districting model returns when it found nothing."""
    empty = np.zeros(0, dtype=np.int64)
    return DistrictingResult(empty, np.full(inputs.num_units, -1), report, notes)


def _brute_force(
    units: pd.DataFrame,
    edges: pd.DataFrame,
    graph: nx.Graph,
    k: int,
    tolerance: float,
    *,
    contiguity: bool,
    objective: str,
    power: int = 1,
) -> float | None:
    """Best value over every partition into k territories, each with its best member as centre."""
    names = list(units["unit"])
    inputs = prepare_inputs(units, edges, count=k, activities=["work"], tolerance=tolerance)
    low, high = float(inputs.lower[0]), float(inputs.upper[0])
    work = dict(zip(names, units["work"], strict=True))
    hops = dict(nx.all_pairs_shortest_path_length(graph))
    best = None
    for labels in itertools.product(range(k), repeat=len(names)):
        if sorted(set(labels)) != list(range(k)) or labels[0] != 0:
            continue  # each partition once (labels in order of first use would be stricter)
        parts = [[u for u, t in zip(names, labels, strict=True) if t == p] for p in range(k)]
        if any(not low - 1e-9 <= sum(work[u] for u in part) <= high + 1e-9 for part in parts):
            continue
        if contiguity and not all(nx.is_connected(graph.subgraph(part)) for part in parts):
            continue
        if objective == "compactness":
            value = sum(
                min(sum(work[u] * hops[u][c] ** power for u in part) for c in part)
                for part in parts
            )
        else:
            label = dict(zip(names, labels, strict=True))
            value = sum(1 for a, b in graph.edges if label[a] != label[b])
        best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_exact_count_mode_matches_brute_force(seed: int) -> None:
    units, edges, graph = _instance(seed)
    k = 2 + seed % 2
    for contiguity, objective, power in (
        (True, "compactness", 1),
        (False, "compactness", 1),
        (True, "compactness", 2),
        (True, "cut_edges", 1),
    ):
        expected = _brute_force(
            units, edges, graph, k, 0.3, contiguity=contiguity, objective=objective, power=power
        )
        kwargs = dict(count=k, tolerance=0.3, contiguity=contiguity, objective=objective)
        if expected is None:
            with pytest.raises(AlignmentInfeasible):
                align(units, edges, distance_power=power, **kwargs)  # type: ignore[arg-type]
            continue
        result = align(units, edges, distance_power=power, **kwargs)  # type: ignore[arg-type]
        label = (seed, contiguity, objective, power)
        assert result.check.ok, (label, result.check.problems)
        assert result.status is SolveStatus.OPTIMAL, label
        assert result.objectives[objective] == pytest.approx(expected), label
        assert result.report.bound is not None and result.report.bound <= expected + 1e-6
        assert any("exact districting model" in note for note in result.notes)


def test_flow_rows_keep_count_mode_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    # Shirabe's flow from the start (it normally comes after six cut rounds without a contiguous
    # answer): the brute-force optima, contiguous in one round
    monkeypatch.setattr(districting, "_CUT_ROUNDS", 0)
    for seed in range(10):
        units, edges, graph = _instance(seed)
        k = 2 + seed % 2
        for objective, power in (("compactness", 1), ("compactness", 2), ("cut_edges", 1)):
            expected = _brute_force(
                units, edges, graph, k, 0.3, contiguity=True, objective=objective, power=power
            )
            kwargs = dict(count=k, tolerance=0.3, objective=objective, distance_power=power)
            if expected is None:
                with pytest.raises(AlignmentInfeasible):
                    align(units, edges, **kwargs)  # type: ignore[arg-type]
                continue
            result = align(units, edges, **kwargs)  # type: ignore[arg-type]
            label = (seed, objective, power)
            assert result.check.ok and result.status is SolveStatus.OPTIMAL, label
            assert result.objectives[objective] == pytest.approx(expected), label
            note = next(n for n in result.notes if "exact districting model" in n)
            assert "in 1 solve round(s), Shirabe's flow" in note and "from round 1" in note


def test_exact_count_mode_picks_the_best_centres_on_a_weighted_path() -> None:
    # path a-b-c-d-e-f-g-h, weights 1 except the heavy ends; two territories of equal work.
    # The exact model chooses the medians of the optimal halves whatever the seed would be.
    names = list("abcdefgh")
    units = pd.DataFrame({"unit": names, "work": [4.0, 1, 1, 1, 1, 1, 1, 4.0]})
    edges = pd.DataFrame({"a": names[:-1], "b": names[1:]})
    result = align(units, edges, count=2, tolerance=0.0)
    # halves {a,b,c,d} and {e,f,g,h}, centres b (1·4 + 0 + 1 + 2 = 7) or a (0+1+2+3 = 6): a and h
    assert set(result.assignment["centre"]) == {"a", "h"}
    assert result.objectives["compactness"] == pytest.approx(12)
    assert result.status is SolveStatus.OPTIMAL


def test_large_count_mode_is_bounded_by_the_lp_relaxation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # beyond the exact model's size, location–allocation answers (a local optimum: feasible) and
    # the districting model's LP relaxation over every choice of centres bounds it
    monkeypatch.setattr(align_api, "EXACT_UNITS", 3)
    units, edges = _path6()
    result = align(units, edges, count=2, tolerance=0.0, compactness_weight=UNIT_WEIGHT)
    assert result.status is SolveStatus.FEASIBLE
    assert result.objectives["compactness"] == pytest.approx(4)  # location–allocation finds it
    # halves {a,b,c} and {d,e,f} around b and e: 4, and the LP relaxation reaches 4 too
    assert result.report.bound == pytest.approx(4)
    assert result.report.gap == pytest.approx(0, abs=1e-9)
    assert any("LP relaxation over all 6 centre choices" in note for note in result.notes)
    assert any("from the LP relaxation's 2 most-open units" in note for note in result.notes)


@pytest.mark.parametrize("why", ["cut_edges", "too large"])
def test_large_count_mode_without_a_bound_says_why(
    monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    monkeypatch.setattr(align_api, "EXACT_UNITS", 3)
    if why == "too large":
        monkeypatch.setattr(align_api, "BOUND_UNITS", 5)
    units, edges = _path6()
    objective = "cut_edges" if why == "cut_edges" else "compactness"
    result = align(units, edges, count=2, tolerance=0.0, objective=objective)
    assert result.status is SolveStatus.FEASIBLE
    assert result.report.bound is None and result.report.gap is None
    note = next(n for n in result.notes if "no bound over all centre choices" in n)
    assert ("objective cut_edges" if why == "cut_edges" else "not tried beyond 5") in note


def test_relaxation_bound_is_below_every_count_mode_optimum() -> None:
    for seed in range(10):
        units, edges, graph = _instance(seed)
        k = 2 + seed % 2
        inputs = prepare_inputs(units, edges, count=k, activities=["work"], tolerance=0.3)
        expected = _brute_force(
            units, edges, graph, k, 0.3, contiguity=False, objective="compactness"
        )
        relaxed = districting.relaxation_bound(
            inputs,
            unit_graph(inputs),
            ModelSpec(compactness_weight=align_api.weights(inputs, None)),
            SolverSettings(time_limit=10),
        )
        assert relaxed is not None, seed
        assert relaxed.opening.sum() == pytest.approx(k)  # k territories, fractionally
        if expected is not None:
            assert 0 < relaxed.bound <= expected + 1e-6, seed


def test_count_mode_falls_back_when_the_exact_model_runs_out_of_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def out_of_time(inputs, graph, spec, settings, *, distance=None):  # type: ignore[no-untyped-def]
        report = SolverReport(status=SolveStatus.TIME_LIMIT_NO_SOLUTION, bound=3.5)
        return _no_answer(inputs, report, ("exact ran",))

    monkeypatch.setattr(align_api, "solve_districting", out_of_time)
    units, edges = _path6()
    result = align(units, edges, count=2, tolerance=0.0, compactness_weight=UNIT_WEIGHT)
    assert result.status is SolveStatus.FEASIBLE
    assert result.report.bound == pytest.approx(3.5)
    assert result.report.gap == pytest.approx((4 - 3.5) / 4)
    assert "the exact districting model found no contiguous answer in time" in result.notes


def test_count_mode_report_times_the_whole_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # the exact rounds that found nothing still took time: the report's solve time includes them
    def slow_out_of_time(inputs, graph, spec, settings, *, distance=None):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        report = SolverReport(status=SolveStatus.TIME_LIMIT_NO_SOLUTION, solve_seconds=0.0)
        return _no_answer(inputs, report)

    monkeypatch.setattr(align_api, "solve_districting", slow_out_of_time)
    units, edges = _path6()
    started = time.perf_counter()
    result = align(units, edges, count=2, tolerance=0.0)
    wall = time.perf_counter() - started
    assert 0.3 <= result.report.total_seconds <= wall


@pytest.mark.parametrize(
    ("centres", "start"),
    [([1, 5], "the exact model's last, scattered answer"), ([0, 1], "a spread seed")],
)
def test_location_allocation_starts_from_the_exact_models_centres_when_they_look_better(
    monkeypatch: pytest.MonkeyPatch, centres: list[int], start: str
) -> None:
    # the exact model ran out of time on a scattered answer with these centres; the allocation
    # LP (unit weights, 4 units each) is 2 × (1 + 0 + 1 + 2) = 8 at b and f, 12 at the spread
    # seed's ends a and h, and none at a and b (a contiguous territory at a holds a alone):
    # location–allocation starts from the lower
    def scattered(inputs, graph, spec, settings, *, distance=None):  # type: ignore[no-untyped-def]
        report = SolverReport(status=SolveStatus.TIME_LIMIT_NO_SOLUTION, bound=3.5)
        centre = np.array(centres, dtype=np.int64)
        return DistrictingResult(centre, np.full(inputs.num_units, -1), report, ("exact ran",))

    monkeypatch.setattr(align_api, "solve_districting", scattered)
    names = list("abcdefgh")
    units = pd.DataFrame({"unit": names, "work": 1.0})
    edges = pd.DataFrame({"a": names[:-1], "b": names[1:]})
    result = align(units, edges, count=2, tolerance=0.0, compactness_weight=UNIT_WEIGHT)
    lp = {(1, 5): "8", (0, 1): "inf"}[tuple(centres)]
    source = "the exact model's last, scattered answer"
    assert f"allocation LP at the centres of {source} {lp}, at spread centres 12" in " ".join(
        result.notes
    )
    assert any(f"location–allocation (Hess et al. 1965) from {start}" in n for n in result.notes)
    assert result.status is SolveStatus.FEASIBLE and result.check.ok
    assert result.objectives["compactness"] == pytest.approx(8)  # the optimum, either way


def test_time_the_exact_model_leaves_re_allocates_its_centres(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the exact model stops early with centres b and e but a poor split ({a,b,c,d}, {e,f} at
    # ±50 %: 1+0+1+2 + 0+1 = 5); with those centres fixed the best split is {a,b,c}, {d,e,f}: 4
    def early(inputs, graph, spec, settings, *, distance=None):  # type: ignore[no-untyped-def]
        report = SolverReport(status=SolveStatus.FEASIBLE, objective=5.0, bound=3.5, gap=0.3)
        centre = np.array([1, 4], dtype=np.int64)
        assignment = np.array([0, 0, 0, 0, 1, 1], dtype=np.int64)
        return DistrictingResult(centre, assignment, report, ("exact stopped early",))

    monkeypatch.setattr(align_api, "solve_districting", early)
    units, edges = _path6()
    result = align(units, edges, count=2, tolerance=0.5, compactness_weight=UNIT_WEIGHT)
    assert result.status is SolveStatus.FEASIBLE  # the centres are still the exact model's
    assert result.objectives["compactness"] == pytest.approx(4)
    assert result.report.objective == pytest.approx(4)
    assert result.report.bound == pytest.approx(3.5)
    assert any("re-allocated for compactness in the time left: 5 → 4" in n for n in result.notes)


@pytest.mark.parametrize(
    ("compact_model_answers", "expected"),
    [
        (True, ["compactness districting model's plan (cut_edges 1)"]),
        (
            False,
            [
                "compactness model found no contiguous answer either",
                "location–allocation's compact plan (cut_edges 1)",
            ],
        ),
    ],
)
def test_cut_edges_without_an_exact_answer_start_from_compact_districts(
    monkeypatch: pytest.MonkeyPatch, compact_model_answers: bool, expected: list[str]
) -> None:
    # the cut-edge model finds nothing in time (Louisiana at ±0.5 %): the compactness model's
    # districts — here the halves of a path, one cut edge — are answered, feasible, with the
    # cut-edge model's bound; when that model finds nothing either (Alabama, k=7, had no plan at
    # all in 60 s), location–allocation for compactness draws them
    real = align_api.solve_districting

    def times_out(inputs, graph, spec, settings, *, distance=None):  # type: ignore[no-untyped-def]
        if spec.objective == "compactness" and compact_model_answers:
            return real(inputs, graph, spec, settings, distance=distance)
        bound = 0.5 if spec.objective == "cut_edges" else 0.0
        report = SolverReport(status=SolveStatus.TIME_LIMIT_NO_SOLUTION, bound=bound)
        return _no_answer(inputs, report)

    monkeypatch.setattr(align_api, "solve_districting", times_out)
    units, edges = _path6()
    result = align(units, edges, count=2, tolerance=0.0, objective="cut_edges")
    assert result.status is SolveStatus.FEASIBLE and result.check.ok
    assert result.objectives["cut_edges"] == 1 and result.report.objective == 1
    assert result.report.bound == pytest.approx(0.5)
    for text in expected:
        assert any(text in note for note in result.notes), text


def test_count_mode_tolerance_that_cannot_be_met_is_explained() -> None:
    names = list("abcd")
    units = pd.DataFrame({"unit": names, "work": [5.0, 1, 1, 1]})
    edges = pd.DataFrame({"a": names[:-1], "b": names[1:]})
    with pytest.raises(AlignmentInfeasible) as caught:
        align(units, edges, count=2, tolerance=0.05, settings=SolverSettings(time_limit=10))
    assert "work" in str(caught.value)


def test_count_mode_with_a_unit_by_centre_distance_table() -> None:
    # a 2 × 4 grid with straight-line distances (as in the districting literature) instead of paths
    rng = random.Random(7)
    names = [f"r{r}c{c}" for r in range(2) for c in range(4)]
    xy = {n: (int(n[3]) + rng.random() / 3, int(n[1]) + rng.random() / 3) for n in names}
    edges = [(f"r{r}c{c}", f"r{r}c{c + 1}") for r in range(2) for c in range(3)]
    edges += [(f"r0c{c}", f"r1c{c}") for c in range(4)]
    adjacency = pd.DataFrame(edges, columns=["a", "b"])
    units = pd.DataFrame({"unit": names, "work": [float(rng.randint(1, 4)) for _ in names]})
    table = pd.DataFrame(
        [(u, c, float(np.hypot(*np.subtract(xy[u], xy[c])))) for u in names for c in names],
        columns=["unit", "centre", "distance"],
    )
    graph = nx.Graph(edges)
    work = dict(zip(names, units["work"], strict=True))
    distance = {(u, c): d for u, c, d in table.itertuples(index=False)}
    inputs = prepare_inputs(units, adjacency, count=2, tolerance=0.25)
    low, high = float(inputs.lower[0]), float(inputs.upper[0])
    best = None
    for labels in itertools.product(range(2), repeat=len(names)):
        parts = [[u for u, t in zip(names, labels, strict=True) if t == p] for p in range(2)]
        if not all(parts) or labels[0] != 0:
            continue
        if any(not low - 1e-9 <= sum(work[u] for u in part) <= high + 1e-9 for part in parts):
            continue
        if not all(nx.is_connected(graph.subgraph(part)) for part in parts):
            continue
        value = sum(
            min(sum(work[u] * distance[u, c] for u in part) for c in part) for part in parts
        )
        best = value if best is None else min(best, value)
    assert best is not None
    result = align(units, adjacency, count=2, tolerance=0.25, distances=table)
    assert result.status is SolveStatus.OPTIMAL
    assert result.check.ok
    assert result.objectives["compactness"] == pytest.approx(best)


def test_count_mode_distance_table_errors_name_the_row() -> None:
    names = list("abcd")
    units = pd.DataFrame({"unit": names, "work": 1.0})
    edges = pd.DataFrame({"a": names[:-1], "b": names[1:]})
    table = pd.DataFrame({"unit": ["a", "b"], "centre": ["b", "zz"], "distance": [1.0, 2.0]})
    with pytest.raises(DataError) as caught:
        prepare_inputs(units, edges, count=2, distances=table, names={"distances": "d.csv"})
    assert "d.csv, row 3, column 'centre'" in str(caught.value)
    with pytest.raises(DataError) as caught:
        prepare_inputs(units, edges, count=2, distances=table.drop(columns="centre"))
    assert "centre" in str(caught.value)


def test_a_contiguous_answer_met_on_the_way_is_kept_when_time_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # every round of the exact model ends on a scattered answer ({a, c} | {b, d}), but HiGHS met
    # the contiguous {a, b} | {c, d} on the way: that one is answered, feasible, not lost
    contiguous = {(0, 1), (1, 1), (2, 2), (3, 2)}  # (unit, centre): centres b and c
    scattered = {(0, 0), (2, 0), (1, 1), (3, 1)}  # centres a and b
    starts = []

    def fake_solve(problem, settings, *, start=None, on_solution=None):  # type: ignore[no-untyped-def]
        starts.append(start)
        columns = {v.name: v for v in problem.variables()}
        for name, variable in columns.items():
            u, c = (
                (int(part) for part in name.split("_")[1:]) if name.startswith("x_") else (-1, -1)
            )
            variable.varValue = float((u, c) in scattered)
        met = {
            v: float((int(n.split("_")[1]), int(n.split("_")[2])) in contiguous)
            for n, v in columns.items()
            if n.startswith("x_")
        }
        on_solution(met)
        on_solution({v: v.varValue for v in columns.values()})
        return SolverReport(status=SolveStatus.FEASIBLE, objective=2.0, bound=1.0)

    monkeypatch.setattr(districting, "solve", fake_solve)
    names = list("abcd")
    units = pd.DataFrame({"unit": names, "work": 1.0})
    edges = pd.DataFrame({"a": names[:-1], "b": names[1:]})
    inputs = prepare_inputs(units, edges, count=2, tolerance=0.0)
    graph = nx.path_graph(4)
    spec = align_api.ModelSpec(compactness_weight=np.ones(4))
    result = districting.solve_districting(inputs, graph, spec, SolverSettings(time_limit=0.2))
    assert result.report.status is SolveStatus.FEASIBLE
    assert list(result.centre) == [1, 2] and list(result.assignment) == [0, 0, 1, 1]
    assert result.report.objective == pytest.approx(2.0)  # a → b and d → c, one hop each
    assert starts[0] is None and starts[1] is not None  # the kept answer starts the next round


def test_relaxation_bound_counts_building_in_its_time_limit() -> None:
    units, edges, _ = _instance(0)
    inputs = prepare_inputs(units, edges, count=2, activities=["work"], tolerance=0.3)
    spec = ModelSpec(compactness_weight=align_api.weights(inputs, None))
    quick = SolverSettings(time_limit=1e-9)  # spent on building: no LP, no claim
    assert districting.relaxation_bound(inputs, unit_graph(inputs), spec, quick) is None


def test_a_unit_too_big_to_share_a_centres_territory_gets_no_column() -> None:
    # works 5, 1, 1, 5 in two territories of exactly 6: a and d can never share one (5 + 5 > 6);
    # every other pair can (5 + 1 = 6)
    names = list("abcd")
    units = pd.DataFrame({"unit": names, "work": [5.0, 1, 1, 5]})
    edges = pd.DataFrame({"a": names[:-1], "b": names[1:]})
    inputs = prepare_inputs(units, edges, count=2, activities=["work"], tolerance=0.0)
    graph = unit_graph(inputs)
    distance = districting.centre_distances(inputs, graph, range(4))
    model = districting._build(inputs, graph, distance, ModelSpec())
    assert (0, 3) not in model.x and (3, 0) not in model.x
    assert {(0, 1), (1, 0), (2, 3), (3, 2), (0, 0), (1, 3)} <= set(model.x)
    result = align(units, edges, count=2, tolerance=0.0)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objectives["compactness"] == pytest.approx(2)  # b → a, c → d: 1 each
