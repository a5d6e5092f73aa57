"""Revenue: concave response of effort by tangent cuts, capped by share and territory potential.

Response of a cell (territory t, channel c) with eligible potential P and saturation share s:
``revenue ≤ P·s·(1 − exp(−y))`` where
``y = 1e6/P · (hours/hours_scale + marketing/marketing_scale)`` is effort in curve scales
(hours incl. training boost). Tangents at ``y_k``:
``revenue − P·s·e^{−y_k}·y ≤ P·s·(1 − e^{−y_k}(1 + y_k))``; no binaries, exact at the tangent points
and an over-estimate of at most the curve's chord error between them. Their envelope is built as
bounded segments of effort (:func:`define_response_cuts`), not one row per tangent.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import pulp

from engine.optimize.registry import AllocationModel, Key

__all__ = [
    "define_channel_eligibility",
    "define_effort",
    "define_head_cuts",
    "define_response_cuts",
    "define_territory_potential",
    "head_cut_applies",
    "tangent_segments",
]


def define_effort(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> None:
    """effort[t, c] = 1e6/P·(Σ hours / hours_scale + marketing / marketing_scale)."""
    effort = model.family("effort")
    if not effort:
        return
    cells = model.data.cells.set_index(["territory", "channel"])
    potential = cells["potential"].to_dict()
    hours_scale = cells["hours_scale"].to_dict()
    marketing_scale = cells["marketing_scale"].to_dict()
    marketing = model.family("marketing")
    boost = model.family("boost")
    for key, variable in effort.items():
        scale = 1e6 / float(potential[key])
        terms: list[tuple[pulp.LpVariable, float]] = [(variable, 1.0)]
        if not math.isnan(float(hours_scale[key])):
            per_hour = scale / float(hours_scale[key])
            terms += [(v, -h * per_hour) for v, h in hours.get(key, [])]
            if key in boost:
                terms.append((boost[key], -per_hour))
        if key in marketing:
            terms.append((marketing[key], -scale / float(marketing_scale[key])))
        model.add_row("effort", key, terms, "==", 0.0)


def tangent_segments(points: list[float]) -> tuple[float, list[tuple[float, float]]]:
    """The envelope min_k of the tangents of g(y) = 1 − e^{−y} at ``points`` as segments.

    Returns ``(intercept, [(slope, length), …])`` with slopes decreasing; the last length is
    ``inf``. ``min_k t_k(y) = intercept + Σ slope_j·δ_j`` with the δ_j filled in order (a concave
    function: a maximiser fills them in order by itself).
    """
    ordered = sorted(set(points))
    slopes = [math.exp(-y) for y in ordered]
    heights = [1.0 - math.exp(-y) * (1.0 + y) for y in ordered]
    corners = [0.0]
    for k in range(1, len(ordered)):
        corners.append((heights[k] - heights[k - 1]) / (slopes[k - 1] - slopes[k]))
    lengths = [b - a for a, b in itertools.pairwise(corners)] + [math.inf]
    return heights[0], list(zip(slopes, lengths, strict=True))


def define_response_cuts(model: AllocationModel) -> None:
    """The tangent envelope of the concave response, as bounded segments of effort.

    ``revenue ≤ S·(b_0 + Σ_j e^{−y_j}·δ_j)``, ``effort = Σ_j δ_j``, ``0 ≤ δ_j ≤ length_j``: the same
    set of (effort, revenue) as one tangent row per point (:func:`tangent_segments`), with two rows
    per cell instead of one per point — the simplex handles bounded columns far more cheaply than
    rows (on the national model: 74k fewer rows).
    """
    effort = model.family("effort")
    if not effort:
        return
    revenue = model.family("revenue")
    cells = model.data.cells.set_index(["territory", "channel"])
    top = (cells["potential"] * cells["max_share"]).to_dict()
    intercept, segments = tangent_segments(list(model.settings.response_points))
    keys = [(*key, str(j)) for key in effort for j in range(len(segments))]
    lengths = [None if math.isinf(length) else length for _, length in segments]
    parts = model.add_variables("segment", keys, 0, lengths * len(effort))
    for key, variable in effort.items():
        saturation = float(top[key])
        mine = [parts[(*key, str(j))] for j in range(len(segments))]
        model.add_row(
            "response",
            key,
            [(revenue[key], 1.0)]
            + [(v, -saturation * slope) for v, (slope, _) in zip(mine, segments, strict=True)],
            "<=",
            saturation * intercept,
        )
        model.add_row("segments", key, [(variable, 1.0)] + [(v, -1.0) for v in mine], "==", 0.0)


def define_territory_potential(model: AllocationModel) -> None:
    """Σ_c revenue[t, c] ≤ potential[t] (skipped where the share caps already imply it)."""
    by_territory: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    caps: dict[str, float] = defaultdict(float)
    for (territory, _), variable in model.family("revenue").items():
        by_territory[territory].append((variable, 1.0))
        caps[territory] += float(variable.upBound or 0.0)
    potential = model.data.territories["potential"]
    for territory in sorted(by_territory):
        limit = float(potential[territory])
        if caps[territory] > limit * (1 + 1e-9):
            model.add_row("potential", (territory,), by_territory[territory], "<=", limit)


def define_channel_eligibility(model: AllocationModel) -> None:
    """Σ revenue[t, c] over the channels c of a set of kinds K ≤ the potential of t's accounts
    that may buy through some kind of K, for every K where that is not already implied (by the
    channels' own caps or the territory's potential). One channel's cap holds its eligible share
    already; without these rows, potential only tier A may reach (direct channels) could still be
    earned through partners, a channel at a time. At most 2^5 − 1 sets of kinds per territory,
    however many channels there are."""
    groups = model.data.potential_groups
    if groups is None:
        return
    revenue = model.family("revenue")
    kind = model.data.channels["kind"]
    by_territory: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for territory, channel in revenue:
        by_territory[territory][str(kind[channel])].append(channel)
    held = {
        territory: [
            (set(k.split("|")) - {""}, float(p))
            for k, p in zip(g["kinds"], g["potential"], strict=True)
        ]
        for territory, g in groups.groupby("territory")
    }
    potential = model.data.territories["potential"]
    for territory in sorted(by_territory):
        channels_of = by_territory[territory]
        mine = held.get(territory, [])
        total = float(potential[territory])
        kinds_here = sorted(channels_of)
        for size in range(1, len(kinds_here) + 1):
            for kinds in itertools.combinations(kinds_here, size):
                channels = sorted(c for k in kinds for c in channels_of[k])
                if len(channels) < 2:
                    continue  # one channel: its own cap is the bound
                bound = sum(p for allowed, p in mine if allowed & set(kinds))
                caps = sum(float(revenue[territory, c].upBound or 0.0) for c in channels)
                if bound >= min(caps, total) * (1 - 1e-9):
                    continue  # implied
                terms = [(revenue[territory, c], 1.0) for c in channels]
                model.add_row("eligibility", (territory, *kinds), terms, "<=", bound)


def head_cut_applies(efforts: list[float], point: float) -> bool:
    """Whether the per-head cut at tangent point ``point`` is valid for heads of these efforts
    (one entry per head that can be present, in curve scales): ``point`` ≤ the smallest effort
    and b(point) ≤ g(a) + g(b) − g(a + b) for the two smallest (see :func:`define_head_cuts`)."""
    if not efforts or point > min(efforts) + 1e-12:
        return False
    base = 1.0 - math.exp(-point) * (1.0 + point)
    if len(efforts) < 2:
        return True
    a, b = sorted(efforts)[:2]
    gap = (1 - math.exp(-a)) + (1 - math.exp(-b)) - (1 - math.exp(-a - b))
    return base <= gap + 1e-12


def define_head_cuts(
    model: AllocationModel, hours: dict[Key, list[tuple[pulp.LpVariable, float]]]
) -> None:
    """Per-head cuts, for whole heads (reps, hires) in a cell with response f = S·g, g = 1 − e^{−y}.

    With continuous effort u (marketing, training boost, in curve scales), heads h of effort y_h
    and a tangent point y_k (slope s_k = S·e^{−y_k}, intercept S·b_k, b_k = 1 − e^{−y_k}(1 + y_k)):

        revenue ≤ S·b_k + s_k·u + Σ_h S·(g(y_h) − b_k)·head_h

    holds for every whole-head solution when y_k ≤ min_h y_h (so f(y_h + u) ≤ f(y_h) + s_k·u) and
    b_k ≤ g(a) + g(b) − g(a + b) for the two smallest heads a, b (so that several heads in one cell
    are still over-estimated: by induction f(Σ y) ≤ Σ f(y_h) − (n − 1)·S·b_k). At y_k = 0 it is the
    plain per-head chord. In the relaxation they remove the gain of spreading fractions of reps
    over many territories (and of valuing marketing at its first-dollar slope where a rep already
    saturates the cell) — the reason the LP bound was weak. ``settings.head_cuts`` = "chord" keeps
    only the y_k = 0 member (used to cross-check the others by brute force).
    """
    effort = model.family("effort")
    if not effort or not hours:
        return
    revenue = model.family("revenue")
    cells = model.data.cells.set_index(["territory", "channel"])
    potential = cells["potential"].to_dict()
    share = cells["max_share"].to_dict()
    hours_scale = cells["hours_scale"].to_dict()
    marketing_scale = cells["marketing_scale"].to_dict()
    marketing = model.family("marketing")
    boost = model.family("boost")
    points = sorted(set(model.settings.response_points))
    if model.settings.head_cuts == "chord":
        points = [0.0]
    for key in effort:
        heads = hours.get(key)
        if not heads:
            continue
        saturation = float(potential[key]) * float(share[key])
        per_hour = 1e6 / float(potential[key]) / float(hours_scale[key])
        efforts = [h * per_hour for _, h in heads]
        copies = [y for (v, _), y in zip(heads, efforts, strict=True)
                  for _ in range(max(1, min(2, int(v.upBound or 1))))]  # fmt: skip
        continuous: list[tuple[pulp.LpVariable, float]] = []
        if key in boost:
            continuous.append((boost[key], per_hour))
        if key in marketing:
            continuous.append(
                (marketing[key], 1e6 / float(potential[key]) / float(marketing_scale[key]))
            )
        for point in points:
            decay = math.exp(-point)
            base = 1.0 - decay * (1.0 + point)
            if not head_cut_applies(copies, point):
                break
            terms: list[tuple[pulp.LpVariable, float]] = [(revenue[key], 1.0)]
            terms += [(v, -saturation * ((1.0 - math.exp(-y)) - base))
                      for (v, _), y in zip(heads, efforts, strict=True)]  # fmt: skip
            terms += [(v, -saturation * decay * rate) for v, rate in continuous]
            model.add_row("head_cut", (*key, f"{point:g}"), terms, "<=", saturation * base)
