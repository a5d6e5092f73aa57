"""Real geography: single US states partitioned into contiguous territories, population ±5 %."""

from __future__ import annotations

import pytest

from engine.align import align
from engine.demo.counties import load_counties, load_county_adjacency
from engine.solver import SolverSettings, SolveStatus


@pytest.mark.parametrize(("state", "count"), [("ME", 3), ("VT", 2), ("NH", 2), ("SC", 4)])
def test_state_partition(state: str, count: int) -> None:
    counties = load_counties([state]).rename(columns={"fips": "unit"})
    units = counties[["unit", "lat", "lon", "population"]]
    adjacency = load_county_adjacency(units["unit"])
    result = align(
        units, adjacency, count=count, tolerance=0.05, settings=SolverSettings(time_limit=20)
    )
    assert result.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    assert result.check.ok, result.check.problems
    table = result.territories
    assert len(table) == count
    mean = units["population"].sum() / count
    assert ((table["population"] - mean).abs() <= 0.05 * mean + 1e-6).all()
    assert (table["components"] == 1).all()
    assert set(result.assignment["unit"]) == set(units["unit"])
