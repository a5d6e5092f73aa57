"""Shortest-path (SP) contiguity for fixed centres — a compact *restriction* of exact contiguity.

Zoltners & Sinha (1983); Validi, Buchanan & Lykhovyd (2022): a unit u ≠ centre may join territory t
only together with one of its neighbours that is strictly closer to t's centre,

    x[u, t] ≤ Σ_{v ∈ N(u), d_t(v) < d_t(u)} x[v, t].

Following strictly closer neighbours from any member always ends at the centre, so every territory
that satisfies these rows is contiguous — for any distance (graph or an explicit table). The rows
are few (one per candidate pair) and make the LP relaxation tight, but they exclude contiguous
territories in which some unit is reached only through units farther from the centre: the optimum
of the SP model is an upper bound on the exactly-contiguous optimum, not the optimum itself.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pulp

from engine.align.model import AlignmentModel

__all__ = ["add_sp_contiguity", "sp_candidates", "sp_contiguous"]


def sp_candidates(
    graph: nx.Graph, centre: np.ndarray, distance: np.ndarray, candidates: list[np.ndarray]
) -> list[np.ndarray]:
    """Each territory's candidates cut to those with a chain of strictly closer candidates to the
    centre (the others cannot join under the SP rows)."""
    result = []
    for t, members in enumerate(candidates):
        home = int(centre[t])
        allowed = set(members.tolist())
        column = distance[:, t]
        kept = {home}
        for u in sorted(allowed - {home}, key=lambda u: (column[u], u)):
            if any(v in kept and column[v] < column[u] for v in graph.neighbors(u)):
                kept.add(u)
        result.append(np.asarray(sorted(kept), dtype=np.int64))
    return result


def add_sp_contiguity(model: AlignmentModel, graph: nx.Graph, distance: np.ndarray) -> int:
    """Add the SP rows for every candidate pair (candidates from :func:`sp_candidates`)."""
    added = 0
    for t, members in enumerate(model.candidates):
        home = int(model.centre[t])
        column = distance[:, t]
        for u in members.tolist():
            if u == home:
                continue
            closer = [
                (model.assign[v, t], -1.0)
                for v in sorted(graph.neighbors(u))
                if (v, t) in model.assign and column[v] < column[u]
            ]
            model.problem.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression([(model.assign[u, t], 1.0), *closer]),
                    pulp.LpConstraintLE,
                    f"sp_{t}_{u}",
                    0,
                )
            )
            added += 1
    return added


def sp_contiguous(
    graph: nx.Graph, assignment: np.ndarray, centre: np.ndarray, distance: np.ndarray
) -> bool:
    """True when every member of every territory has a strictly closer neighbour in it (so the
    assignment is feasible for the SP rows)."""
    for u, t in enumerate(assignment.tolist()):
        if t < 0 or u == int(centre[t]):
            continue
        if not any(
            assignment[v] == t and distance[v, t] < distance[u, t] for v in graph.neighbors(u)
        ):
            return False
    return True
