"""The Network: a validated dataset with its territory graph, regions and distances.

Distances follow one metric per network, chosen from what the data gives:

* ``travel_time`` — shortest path over the borders' travel times (every border has one);
* ``great_circle`` — kilometres between centroids (every territory has lat/lon);
* ``euclidean`` — planar distance between x/y coordinates;
* ``hops`` — the number of borders crossed.

They are computed only for the pairs asked for (each territory's k nearest, or those within a
radius), never as an all-pairs matrix: the lower 48 have 3,109 counties.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Literal

import networkx as nx
import numpy as np
import pandas as pd

from engine.data.dataset import Dataset

__all__ = ["EARTH_RADIUS_KM", "Metric", "Network"]

EARTH_RADIUS_KM = 6371.0088
Metric = Literal["travel_time", "great_circle", "euclidean", "hops"]


def great_circle_km(
    lat1: np.ndarray | float, lon1: np.ndarray | float, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Haversine distance in km (vectorised; broadcasting rules apply)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlam = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


@dataclass(frozen=True)
class Network:
    """An immutable planning network. Build it with :meth:`from_dataset`."""

    dataset: Dataset
    graph: nx.Graph
    metric: Metric

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> Network:
        """The territory graph of ``dataset`` (self borders ignored), frozen."""
        territories = dataset.territories
        adjacency = dataset.adjacency
        adjacency = adjacency[adjacency["a"] != adjacency["b"]]
        graph = nx.Graph()
        graph.add_nodes_from(
            (tid, {"region": region})
            for tid, region in zip(territories["id"], territories["region"], strict=True)
        )
        times = adjacency["travel_time"]
        if len(adjacency) and times.notna().all():
            metric: Metric = "travel_time"
        elif len(territories) and territories["lat"].notna().all():
            metric = "great_circle"
        elif len(territories) and territories["x"].notna().all():
            metric = "euclidean"
        else:
            metric = "hops"
        for a, b, time in zip(adjacency["a"], adjacency["b"], times, strict=True):
            graph.add_edge(a, b, travel_time=None if pd.isna(time) else float(time))
        return cls(dataset=dataset, graph=nx.freeze(graph), metric=metric)

    @cached_property
    def territory_ids(self) -> tuple[str, ...]:
        """Territory ids in dataset order."""
        return tuple(self.dataset.territories["id"])

    @cached_property
    def regions(self) -> Mapping[str, tuple[str, ...]]:
        """Region → its territory ids (sorted), regions sorted by name."""
        territories = self.dataset.territories
        grouped = territories.groupby("region", sort=True)["id"]
        return MappingProxyType({str(r): tuple(sorted(ids)) for r, ids in grouped})

    def ancestors(self, territory: str) -> tuple[str, ...]:
        """Parents of ``territory`` from the nearest up (the ``parent`` column)."""
        parent_of = self._parents
        chain: list[str] = []
        current = parent_of.get(territory)
        while current is not None and current not in chain:
            chain.append(current)
            current = parent_of.get(current)
        return tuple(chain)

    @cached_property
    def _parents(self) -> Mapping[str, str]:
        territories = self.dataset.territories
        known = territories[territories["parent"].notna()]
        return MappingProxyType(dict(zip(known["id"], known["parent"], strict=True)))

    @cached_property
    def _coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        territories = self.dataset.territories
        if self.metric == "great_circle":
            return territories["lat"].to_numpy(float), territories["lon"].to_numpy(float)
        return territories["x"].to_numpy(float), territories["y"].to_numpy(float)

    def _direct(self, source_index: int) -> np.ndarray:
        first, second = self._coordinates
        if self.metric == "great_circle":
            return great_circle_km(first[source_index], second[source_index], first, second)
        return np.hypot(first - first[source_index], second - second[source_index])

    def _search(self, source: str, k: int | None, radius: float | None) -> list[tuple[str, float]]:
        """Dijkstra (or BFS for hops) from ``source``, stopping at k settled or past radius."""
        weight = "travel_time" if self.metric == "travel_time" else None
        settled: dict[str, float] = {}
        frontier: list[tuple[float, str]] = [(0.0, source)]
        while frontier:
            distance, node = heapq.heappop(frontier)
            if node in settled:
                continue
            if radius is not None and distance > radius:
                break
            settled[node] = distance
            if k is not None and len(settled) >= k:
                break
            for neighbour, data in self.graph[node].items():
                if neighbour not in settled:
                    step = data[weight] if weight else 1.0
                    heapq.heappush(frontier, (distance + step, neighbour))
        return list(settled.items())

    def nearest(
        self,
        sources: Iterable[str] | None = None,
        *,
        k: int | None = None,
        radius: float | None = None,
    ) -> pd.DataFrame:
        """Distances from each source to its ``k`` nearest territories and/or those within
        ``radius`` (both limits apply when both are given; at least one is required).

        Returns ``source, target, distance`` sorted by source, distance, target; each source is
        its own nearest at distance 0. Units: hours, km, coordinate units or hops by metric.
        """
        if k is None and radius is None:
            raise ValueError("nearest() needs k or radius; an all-pairs matrix is never built")
        ids = self.territory_ids
        chosen = list(ids) if sources is None else list(sources)
        position = {tid: index for index, tid in enumerate(ids)}
        unknown = [tid for tid in chosen if tid not in position]
        if unknown:
            raise KeyError(f"unknown territory id(s): {', '.join(map(str, unknown[:5]))}")
        rows_source: list[str] = []
        rows_target: list[str] = []
        rows_distance: list[float] = []
        id_array = np.asarray(ids, dtype=object)
        for source in chosen:
            if self.metric in ("great_circle", "euclidean"):
                distances = self._direct(position[source])
                order = np.lexsort((id_array, distances))
                if radius is not None:
                    order = order[distances[order] <= radius]
                if k is not None:
                    order = order[:k]
                pairs = [(str(id_array[i]), float(distances[i])) for i in order]
            else:
                pairs = self._search(source, k, radius)
                pairs.sort(key=lambda pair: (pair[1], pair[0]))
            for target, distance in pairs:
                rows_source.append(source)
                rows_target.append(target)
                rows_distance.append(distance)
        return pd.DataFrame(
            {"source": rows_source, "target": rows_target, "distance": rows_distance}
        )

    def distance(self, a: str, b: str) -> float:
        """Distance from ``a`` to ``b`` under the network's metric (``inf`` if unreachable)."""
        ids = self.territory_ids
        if a not in self.graph or b not in self.graph:
            raise KeyError(f"unknown territory id: {a if a not in self.graph else b}")
        if self.metric in ("great_circle", "euclidean"):
            return float(self._direct(ids.index(a))[ids.index(b)])
        try:
            if self.metric == "travel_time":
                return float(nx.dijkstra_path_length(self.graph, a, b, weight="travel_time"))
            return float(nx.shortest_path_length(self.graph, a, b))
        except nx.NetworkXNoPath:
            return float("inf")

    def describe(self) -> dict[str, object]:
        """Counts, totals and graph statistics for ``salesnet data describe``."""
        dataset = self.dataset
        graph = self.graph
        components = list(nx.connected_components(graph)) if len(graph) else []
        degrees = [degree for _, degree in graph.degree()]
        accounts = dataset.accounts
        channels = dataset.channels
        budgets = dataset.budgets
        return {
            "name": dataset.manifest.name,
            "period": dataset.manifest.period,
            "currency": dataset.manifest.currency,
            "territories": len(graph),
            "regions": len(self.regions),
            "borders": graph.number_of_edges(),
            "components": len(components),
            "largest_component": max((len(c) for c in components), default=0),
            "mean_degree": round(float(np.mean(degrees)), 2) if degrees else 0.0,
            "distance_metric": self.metric,
            "potential": float(dataset.territories["potential"].sum()),
            "accounts": len(accounts),
            "revenue_12m": float(accounts["revenue_12m"].sum()),
            "channels": dict(
                sorted(channels.groupby("kind")["id"].count().astype(int).to_dict().items())
            ),
            "reps": len(dataset.reps),
            "rep_capacity_hours": float(dataset.reps["capacity_hours"].sum()),
            "partners": len(dataset.partners),
            "partner_capacity": float(dataset.partners["capacity"].sum()),
            "budgets": {
                str(c): float(a)
                for c, a in zip(budgets["category"], budgets["amount"], strict=True)
            },
            "warnings": len(dataset.warnings),
        }
