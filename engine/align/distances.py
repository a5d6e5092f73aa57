"""The adjacency graph and unit → centre distances, computed only for the pairs that are needed.

Graph distances are shortest paths on the adjacency graph, edge weight = great-circle kilometres
between unit centroids when ``lat``/``lon`` are given, else 1 per border crossed (hops). One
single-source Dijkstra per centre — never all pairs. An explicit distance table replaces them.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from engine.align.inputs import AlignmentInputs

__all__ = ["EARTH_RADIUS_KM", "centre_distances", "edge_lengths", "unit_graph"]

EARTH_RADIUS_KM = 6371.0088


def edge_lengths(inputs: AlignmentInputs) -> np.ndarray:
    """Length of every border edge: great-circle km between centroids, or 1 without coordinates."""
    if inputs.lat is None or inputs.lon is None or len(inputs.edges) == 0:
        return np.ones(len(inputs.edges))
    lat, lon = np.radians(inputs.lat), np.radians(inputs.lon)
    a, b = inputs.edges[:, 0], inputs.edges[:, 1]
    half = (
        np.sin((lat[b] - lat[a]) / 2) ** 2
        + np.cos(lat[a]) * np.cos(lat[b]) * np.sin((lon[b] - lon[a]) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(half, 0, 1)))


def unit_graph(inputs: AlignmentInputs) -> nx.Graph:
    """Undirected graph on unit positions 0..n-1 with ``length`` on each edge."""
    graph = nx.Graph()
    graph.add_nodes_from(range(inputs.num_units))
    lengths = edge_lengths(inputs)
    graph.add_weighted_edges_from(
        ((int(a), int(b), float(w)) for (a, b), w in zip(inputs.edges, lengths, strict=True)),
        weight="length",
    )
    return graph


def centre_distances(
    inputs: AlignmentInputs, graph: nx.Graph, centres: Sequence[int]
) -> np.ndarray:
    """Distances ``(units, centres)``; ``inf`` where a unit cannot reach (or may not join) a centre.

    With an explicit table (rep mode) the table is returned for the given centres' reps.
    """
    if inputs.distance_table is not None and inputs.centre is not None:
        rep_of_centre = {int(home): rep for rep, home in enumerate(inputs.centre)}
        return inputs.distance_table[:, [rep_of_centre[int(c)] for c in centres]].copy()
    if inputs.distance_table is not None:  # count mode: a unit × candidate-centre table
        return inputs.distance_table[:, [int(c) for c in centres]].copy()
    result = np.full((inputs.num_units, len(centres)), np.inf)
    for column, source in enumerate(centres):
        lengths = nx.single_source_dijkstra_path_length(graph, int(source), weight="length")
        units = np.fromiter(lengths.keys(), dtype=np.int64, count=len(lengths))
        result[units, column] = np.fromiter(lengths.values(), dtype=float, count=len(lengths))
    return result
