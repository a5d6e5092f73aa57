"""The territory graph, regions and distances under each metric."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest

from engine.data import dataset_from_frames
from engine.demo import load_demo
from engine.network import Network, great_circle_km


def _network(
    edges: list[tuple[str, str, float | None]], coords: dict[str, tuple[float, float]] | None = None
) -> Network:
    ids = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges})
    territories = pd.DataFrame(
        {
            "id": ids,
            "region": ["R1" if tid < "c" else "R2" for tid in ids],
            "potential": [1.0] * len(ids),
            "lat": [coords[tid][0] for tid in ids] if coords else None,
            "lon": [coords[tid][1] for tid in ids] if coords else None,
            "parent": [None, "a"] + [None] * (len(ids) - 2),
        }
    )
    frames = {
        "territories": territories,
        "adjacency": pd.DataFrame(edges, columns=["a", "b", "travel_time"]),
        "channels": pd.DataFrame(
            {"id": ["F"], "kind": ["direct_field"], "margin": [0.4], "max_share": [0.3]}
        ),
        "accounts": pd.DataFrame({"id": ["x"], "territory": [ids[0]], "revenue_12m": [1.0]}),
        "reps": pd.DataFrame(
            {
                "id": ["r"],
                "channel": ["F"],
                "home": [ids[0]],
                "capacity_hours": [1.0],
                "cost": [1.0],
            }
        ),
        "budgets": pd.DataFrame({"category": ["total"], "amount": [1.0]}),
    }
    return Network.from_dataset(dataset_from_frames(frames))


# a - b - c - d in a line, plus a shortcut a - d that is slow
LINE = [("a", "b", 1.0), ("b", "c", 2.0), ("c", "d", 1.5), ("a", "d", 10.0)]


def test_travel_time_is_shortest_path() -> None:
    network = _network(LINE)
    assert network.metric == "travel_time"
    assert network.distance("a", "d") == pytest.approx(4.5)
    assert network.distance("d", "a") == pytest.approx(4.5)
    near = network.nearest(["a"], k=3)
    assert list(near["target"]) == ["a", "b", "c"]
    assert list(near["distance"]) == pytest.approx([0.0, 1.0, 3.0])


def test_radius_and_k_both_apply() -> None:
    network = _network(LINE)
    assert list(network.nearest(["b"], radius=2.0)["target"]) == ["b", "a", "c"]
    assert list(network.nearest(["b"], radius=2.0, k=2)["target"]) == ["b", "a"]
    with pytest.raises(ValueError, match="all-pairs"):
        network.nearest(["a"])


def test_hops_when_no_travel_time_or_coordinates() -> None:
    network = _network([(a, b, None) for a, b, _ in LINE])
    assert network.metric == "hops"
    assert network.distance("a", "c") == 2
    assert network.distance("a", "d") == 1
    ring = network.nearest(None, k=4)
    assert len(ring) == 16


def test_great_circle_from_coordinates() -> None:
    coords = {"a": (40.0, -90.0), "b": (41.0, -90.0), "c": (41.0, -89.0), "d": (40.0, -89.0)}
    network = _network([(a, b, None) for a, b, _ in LINE], coords)
    assert network.metric == "great_circle"
    # one degree of latitude is 111.2 km on the mean-radius sphere
    assert network.distance("a", "b") == pytest.approx(math.radians(1) * 6371.0088, rel=1e-9)
    # one degree of longitude at 40°N is only about 85 km
    near = network.nearest(["a"], radius=100.0)
    assert list(near["target"]) == ["a", "d"]


def test_great_circle_matches_a_known_distance() -> None:
    # Chicago (41.8781, -87.6298) to Indianapolis (39.7684, -86.1581): about 265 km
    km = float(great_circle_km(41.8781, -87.6298, 39.7684, -86.1581))
    assert km == pytest.approx(265.0, abs=3.0)


def test_regions_hierarchy_and_frozen_graph() -> None:
    network = _network(LINE)
    assert dict(network.regions) == {"R1": ("a", "b"), "R2": ("c", "d")}
    assert network.ancestors("b") == ("a",)
    assert network.ancestors("a") == ()
    with pytest.raises(nx.NetworkXError):
        network.graph.add_edge("a", "c")


def test_unknown_territory_is_a_clear_error() -> None:
    network = _network(LINE)
    with pytest.raises(KeyError, match="zz"):
        network.distance("a", "zz")
    with pytest.raises(KeyError, match="zz"):
        network.nearest(["zz"], k=2)


def test_demo_network_neighbourhoods_agree_with_networkx() -> None:
    network = Network.from_dataset(load_demo())
    assert network.metric == "travel_time"
    assert nx.is_connected(network.graph)
    cook = "17031"
    near = network.nearest([cook], k=20)
    reference = nx.single_source_dijkstra_path_length(network.graph, cook, weight="travel_time")
    cutoff = near["distance"].max()
    expected = sorted(d for d in reference.values() if d <= cutoff)
    assert sorted(near["distance"]) == pytest.approx(expected[: len(near)])
    assert near["distance"].is_monotonic_increasing
