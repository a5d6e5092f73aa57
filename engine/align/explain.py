"""Why an alignment is infeasible, in a planner's words: cheap pre-checks, then an elastic re-solve.

Pre-checks catch the obvious: a unit whose activity alone exceeds the upper bound of the band, a
rep's locked units exceeding it, a part of the map with no centre while contiguity is required, a
band that the territory count cannot meet at all. When those pass and the model is still
infeasible, the elastic re-solve (balance bounds widened by slack variables, total slack
minimised) reports the tolerance each activity would need.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import networkx as nx
import numpy as np

from engine.align.inputs import AlignmentInputs
from engine.errors import SolveError

__all__ = ["AlignmentInfeasible", "prechecks"]


class AlignmentInfeasible(SolveError):
    """No alignment satisfies the constraints; ``reasons`` say why, ``needed_tolerance`` (from the
    elastic re-solve, when run) gives per activity the smallest ±τ that would work."""

    def __init__(
        self, reasons: list[str], needed_tolerance: Mapping[str, float] | None = None
    ) -> None:
        self.reasons = tuple(reasons)
        self.needed_tolerance = MappingProxyType(dict(needed_tolerance or {}))
        super().__init__("no feasible alignment:\n  " + "\n  ".join(self.reasons))


def prechecks(inputs: AlignmentInputs, graph: nx.Graph, *, contiguity: bool) -> list[str]:
    """Reasons the alignment is certainly infeasible (empty when none is found)."""
    reasons: list[str] = []
    count = inputs.count
    totals = inputs.activity.sum(axis=0)
    for a, name in enumerate(inputs.activity_names):
        low, high = float(inputs.lower[a]), float(inputs.upper[a])
        mean = totals[a] / max(count, 1)
        tau = (high / mean - 1) if mean else 0.0
        biggest = int(np.argmax(inputs.activity[:, a]))
        value = float(inputs.activity[biggest, a])
        if value > high + 1e-9:
            reasons.append(
                f"{name}: unit {inputs.units[biggest]!r} alone has {value:.6g}, above the upper "
                f"bound {high:.6g} per territory (mean {mean:.6g}, ±{100 * tau:.1f} %); it needs a "
                f"tolerance of at least {100 * (value / mean - 1):.1f} %, or fewer territories"
            )
        if count * low > totals[a] + 1e-9 or count * high < totals[a] - 1e-9:
            reasons.append(
                f"{name}: {count} territories × [{low:.6g}, {high:.6g}] cannot hold the total "
                f"{totals[a]:.6g}"
            )
        if inputs.reps is not None:
            locked = np.zeros(count)
            for unit, rep in inputs.locks.items():
                locked[rep] += inputs.activity[unit, a]
            if inputs.centre is not None:
                for rep, home in enumerate(inputs.centre):
                    if home not in inputs.locks:
                        locked[rep] += inputs.activity[home, a]
            for rep in np.flatnonzero(locked > high + 1e-9).tolist():
                reasons.append(
                    f"{name}: the home and locked units of rep {inputs.reps[rep]!r} already have "
                    f"{locked[rep]:.6g}, above the upper bound {high:.6g}"
                )
    if inputs.distance_table is not None and inputs.reps is not None:
        allowed = np.isfinite(inputs.distance_table)
        stranded = np.flatnonzero(~allowed.any(axis=1))
        if len(stranded):
            names = ", ".join(repr(inputs.units[u]) for u in stranded[:5].tolist())
            more = f" and {len(stranded) - 5} more" if len(stranded) > 5 else ""
            reasons.append(
                f"distances: unit(s) {names}{more} have no row for any rep in the distance table "
                "(a missing (unit, rep) pair is not allowed)"
            )
        for unit, rep in inputs.locks.items():
            if not allowed[unit, rep]:
                reasons.append(
                    f"distances: unit {inputs.units[unit]!r} is locked to rep "
                    f"{inputs.reps[rep]!r} but the distance table has no row for that pair"
                )
    if contiguity:
        centres = set() if inputs.centre is None else {int(c) for c in inputs.centre}
        parts = sorted((sorted(p) for p in nx.connected_components(graph)), key=lambda p: p[0])
        if inputs.centre is not None:
            for part in parts:
                if not centres & set(part):
                    reasons.append(
                        f"contiguity: {len(part)} unit(s) around {inputs.units[part[0]]!r} are not "
                        "connected to any rep's home (check the adjacency table)"
                    )
        elif len(parts) > count:
            reasons.append(
                f"contiguity: the map has {len(parts)} separate parts but {count} territories"
            )
    return reasons


def needed_tolerance(
    inputs: AlignmentInputs, slack: Mapping[tuple[int, str], float]
) -> dict[str, float]:
    """The ±τ per activity that the elastic solution needs (relative to the mean)."""
    totals = inputs.activity.sum(axis=0)
    result = {}
    for a, name in enumerate(inputs.activity_names):
        mean = totals[a] / max(inputs.count, 1)
        if not mean:
            continue
        tau_low = 1 - (inputs.lower[a] / mean) + slack.get((a, "low"), 0.0)
        tau_high = inputs.upper[a] / mean - 1 + slack.get((a, "high"), 0.0)
        result[name] = float(max(tau_low, tau_high))
    return result
