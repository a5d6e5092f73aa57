"""Alignment on tiny graphs whose optima are derived by hand (paths and grids)."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.align import UNIT_WEIGHT, AlignmentInfeasible, align
from engine.solver import SolveStatus

PATH6 = list("abcdef")


def _path_units(values: list[float] | None = None, names: list[str] = PATH6) -> pd.DataFrame:
    return pd.DataFrame({"unit": names, "work": values or [1.0] * len(names)})


def _path_edges(names: list[str] = PATH6) -> pd.DataFrame:
    return pd.DataFrame({"a": names[:-1], "b": names[1:]})


def _grid(rows: int, cols: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = [f"r{r}c{c}" for r in range(rows) for c in range(cols)]
    edges = [(f"r{r}c{c}", f"r{r}c{c + 1}") for r in range(rows) for c in range(cols - 1)]
    edges += [(f"r{r}c{c}", f"r{r + 1}c{c}") for r in range(rows - 1) for c in range(cols)]
    units = pd.DataFrame({"unit": names, "work": 1.0})
    return units, pd.DataFrame(edges, columns=["a", "b"])


def _members(result, rep: str) -> set[str]:  # type: ignore[no-untyped-def]
    table = result.assignment
    return set(table.loc[table["rep"] == rep, "unit"])


def test_path_compactness_optimum() -> None:
    # centres b and e, 3 units each: {a,b,c} and {d,e,f}; hop distances 1+0+1 + 1+0+1 = 4
    result = align(_path_units(), _path_edges(), centres={"R1": "b", "R2": "e"}, tolerance=0.0)
    assert result.status is SolveStatus.OPTIMAL
    assert _members(result, "R1") == {"a", "b", "c"}
    assert result.objectives["compactness"] == pytest.approx(4)
    assert result.objectives["cut_edges"] == 1
    assert result.report.objective == pytest.approx(4)
    assert result.check.ok


def test_weighted_compactness_uses_primary_activity() -> None:
    # weights 1,1,1,1,1,5 on f: f sits next to e, so the split is unchanged but the value is
    # 1·1 + 0 + 1·1 + 1·1 + 0 + 5·1 = 8 (with ±100 % the balance does not bind)
    units = _path_units([1, 1, 1, 1, 1, 5])
    result = align(units, _path_edges(), centres={"R1": "b", "R2": "e"}, tolerance=1.0)
    assert result.objectives["compactness"] == pytest.approx(8)
    plain = align(
        units,
        _path_edges(),
        centres={"R1": "b", "R2": "e"},
        tolerance=1.0,
        compactness_weight=UNIT_WEIGHT,
    )
    assert plain.objectives["compactness"] == pytest.approx(4)


def test_contiguity_changes_the_optimum() -> None:
    # path a-b-c-d, centres a (R1) and d (R2); an explicit table makes b near R2 and c near R1
    names = list("abcd")
    table = pd.DataFrame(
        [
            ("a", "R1", 0),
            ("a", "R2", 9),
            ("b", "R1", 5),
            ("b", "R2", 1),
            ("c", "R1", 1),
            ("c", "R2", 5),
            ("d", "R1", 9),
            ("d", "R2", 0),
        ],
        columns=["unit", "rep", "distance"],
    )
    common = dict(
        centres={"R1": "a", "R2": "d"},
        distances=table,
        tolerance=0.0,
        compactness_weight=UNIT_WEIGHT,
    )
    loose = align(_path_units(names=names), _path_edges(names), contiguity=False, **common)
    assert loose.report.objective == pytest.approx(2)
    assert _members(loose, "R1") == {"a", "c"}
    for method in ("hybrid", "sp", "cuts", "flow"):
        tight = align(
            _path_units(names=names), _path_edges(names), contiguity_method=method, **common
        )
        assert tight.report.objective == pytest.approx(10), method
        assert _members(tight, "R1") == {"a", "b"}
        assert tight.check.ok


def test_grid_cut_edges_optimum() -> None:
    # 2×4 grid, centres in the two top corners, 4 units each: the best border is the middle
    # column line, 2 edges
    units, edges = _grid(2, 4)
    for method in ("hybrid", "cuts", "flow"):
        result = align(
            units,
            edges,
            centres={"L": "r0c0", "R": "r0c3"},
            tolerance=0.0,
            objective="cut_edges",
            contiguity_method=method,
        )
        assert result.status is SolveStatus.OPTIMAL
        assert result.report.objective == pytest.approx(2)
        assert _members(result, "L") == {"r0c0", "r0c1", "r1c0", "r1c1"}


def test_disruption_objective_and_weights() -> None:
    current = {"a": "R1", "b": "R1", "c": "R1", "d": "R1", "e": "R2", "f": "R2"}
    result = align(
        _path_units(),
        _path_edges(),
        centres={"R1": "b", "R2": "e"},
        tolerance=0.0,
        current=current,
        objective="disruption",
    )
    assert result.report.objective == pytest.approx(1)  # only d moves
    assert _members(result, "R2") == {"d", "e", "f"}
    weighted = align(
        _path_units([1, 1, 1, 7, 1, 1]),
        _path_edges(),
        centres={"R1": "b", "R2": "e"},
        tolerance=1.0,
        current=current,
        objective="disruption",
        disruption_weight="work",
    )
    assert weighted.report.objective == pytest.approx(0)


def test_disruption_limit_as_epsilon_constraint() -> None:
    current = {"a": "R1", "b": "R1", "c": "R1", "d": "R1", "e": "R2", "f": "R2"}
    common = dict(centres={"R1": "b", "R2": "e"}, tolerance=1.0, current=current)
    free = align(_path_units(), _path_edges(), **common)
    assert free.objectives["compactness"] == pytest.approx(4)
    assert free.objectives["disruption"] == pytest.approx(1)
    kept = align(_path_units(), _path_edges(), max_disruption=0, **common)
    assert kept.objectives["compactness"] == pytest.approx(5)  # d stays with R1 at distance 2
    assert kept.objectives["disruption"] == 0


def test_cut_edge_limit_as_epsilon_constraint() -> None:
    units, edges = _grid(2, 4)
    result = align(
        units,
        edges,
        centres={"L": "r0c0", "R": "r0c3"},
        tolerance=0.0,
        compactness_weight=UNIT_WEIGHT,
        max_cut_edges=2,
    )
    assert result.objectives["cut_edges"] == 2
    assert result.check.ok


def test_locked_unit() -> None:
    # lock c to R2 (centre e): with contiguity R2 must hold c, d, e; f follows; R1 = {a, b}
    result = align(
        _path_units(),
        _path_edges(),
        centres={"R1": "b", "R2": "e"},
        tolerance=1.0,
        locks={"c": "R2"},
    )
    assert _members(result, "R1") == {"a", "b"}
    assert result.objectives["compactness"] == pytest.approx(1 + 0 + 2 + 1 + 0 + 1)
    assert result.check.ok


def test_tolerance_a_single_unit_cannot_meet_is_explained() -> None:
    with pytest.raises(AlignmentInfeasible) as caught:
        align(
            _path_units([1, 1, 1, 1, 1, 20]),
            _path_edges(),
            centres={"R1": "b", "R2": "e"},
            tolerance=0.05,
        )
    message = str(caught.value)
    assert "work" in message and "'f'" in message and "alone" in message


def test_tolerance_needing_more_is_explained_by_elastic_resolve() -> None:
    # path 3,3,1,3 (mean 5, ±10 % = [4.5, 5.5]): no contiguous split fits; the best split
    # {a,b} = 6 | {c,d} = 4 needs ±20 %
    names = list("abcd")
    with pytest.raises(AlignmentInfeasible) as caught:
        align(
            _path_units([3, 3, 1, 3], names),
            _path_edges(names),
            centres={"R1": "a", "R2": "d"},
            tolerance=0.1,
        )
    assert caught.value.needed_tolerance["work"] == pytest.approx(0.2, abs=1e-6)
    assert "20.0 %" in str(caught.value)


def test_count_mode_on_a_path() -> None:
    # 6 units, 2 territories, equal work: {a,b,c} | {d,e,f} with centres b and e is optimal
    result = align(
        _path_units(), _path_edges(), count=2, tolerance=0.0, compactness_weight=UNIT_WEIGHT
    )
    assert result.objectives["compactness"] == pytest.approx(4)
    assert set(result.assignment["centre"]) == {"b", "e"}
    assert result.check.ok


def test_inputs_are_not_mutated() -> None:
    units, edges = _path_units(), _path_edges()
    before = units.copy(), edges.copy()
    align(units, edges, centres={"R1": "b", "R2": "e"}, tolerance=0.0)
    pd.testing.assert_frame_equal(units, before[0])
    pd.testing.assert_frame_equal(edges, before[1])


def _sp_table(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "rep", "distance"])


def test_sp_restriction_is_contiguous_and_its_gap_is_honest() -> None:
    # path a-b-c-d, centres a (R1) and d (R2), 1 to 3 units each. For R2, b (1) is as close as
    # c (1), so {b, c, d} is contiguous but not SP-contiguous. Exact optimum {a} | {b, c, d} = 2;
    # the SP optimum {a, b} | {c, d} = 3 + 1 = 4
    names = list("abcd")
    table = _sp_table(
        [
            ("a", "R1", 0),
            ("b", "R1", 3),
            ("c", "R1", 2),
            ("d", "R1", 9),
            ("a", "R2", 9),
            ("b", "R2", 1),
            ("c", "R2", 1),
            ("d", "R2", 0),
        ]
    )
    common = dict(
        centres={"R1": "a", "R2": "d"},
        distances=table,
        tolerance=0.5,
        compactness_weight=UNIT_WEIGHT,
    )
    exact = align(_path_units(names=names), _path_edges(names), **common)  # hybrid (default)
    assert exact.status is SolveStatus.OPTIMAL
    assert exact.report.objective == pytest.approx(2)
    assert _members(exact, "R2") == {"b", "c", "d"}
    assert exact.check.ok
    sp = align(_path_units(names=names), _path_edges(names), contiguity_method="sp", **common)
    assert sp.check.ok
    assert sp.report.objective == pytest.approx(4)
    assert _members(sp, "R1") == {"a", "b"}
    assert sp.status is SolveStatus.FEASIBLE  # not optimal for exact contiguity …
    assert sp.report.bound is not None and sp.report.bound <= 2 + 1e-9  # … and the bound says so
    assert sp.report.gap is not None and sp.report.gap >= 0.5 - 1e-9
    assert any("SP-contiguous" in note for note in sp.notes)


def test_sp_mode_falls_back_when_the_restriction_is_infeasible() -> None:
    # work 1,1,1,3 with ±0: R1 must be {a, b, c}; c (2 from a) has no neighbour closer to a than
    # itself (b is 3), so no SP-contiguous alignment exists; the exact one is still found
    names = list("abcd")
    table = _sp_table(
        [
            ("a", "R1", 0),
            ("b", "R1", 3),
            ("c", "R1", 2),
            ("d", "R1", 9),
            ("a", "R2", 9),
            ("b", "R2", 2),
            ("c", "R2", 1),
            ("d", "R2", 0),
        ]
    )
    for method in ("sp", "hybrid"):
        result = align(
            _path_units([1, 1, 1, 3], names),
            _path_edges(names),
            centres={"R1": "a", "R2": "d"},
            distances=table,
            tolerance=0.0,
            compactness_weight=UNIT_WEIGHT,
            contiguity_method=method,
        )
        assert result.check.ok, method
        assert _members(result, "R1") == {"a", "b", "c"}
        assert result.report.objective == pytest.approx(5)


def test_new_methods_on_the_grid_and_with_locks() -> None:
    units, edges = _grid(2, 4)
    for method in ("hybrid", "sp"):
        result = align(
            units,
            edges,
            centres={"L": "r0c0", "R": "r0c3"},
            tolerance=0.0,
            compactness_weight=UNIT_WEIGHT,
            contiguity_method=method,
        )
        assert result.check.ok
        # hop distances: 0+1+1+2 per side = 8 in total; exact and SP agree here
        assert result.report.objective == pytest.approx(8), method
        assert result.status is SolveStatus.OPTIMAL
        locked = align(
            _path_units(),
            _path_edges(),
            centres={"R1": "b", "R2": "e"},
            tolerance=1.0,
            locks={"c": "R2"},
            contiguity_method=method,
        )
        assert _members(locked, "R1") == {"a", "b"}
        assert locked.check.ok
