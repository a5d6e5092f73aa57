"""Typed inputs of the allocation model: the network plus what the rules engine decided.

The model never reads a rule file. It takes a :class:`PlanningInputs`: the network, an account tier
table (``account, tier, calls_per_quarter, eligible_channels``), an incentive cost curve per
channel and the risk directives. The builders here turn the rules engine's outputs into these
inputs; tests may construct them by hand.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from engine.data.schema import ChannelKind
from engine.errors import DataError, DataIssue
from engine.network import Network
from engine.rules.incentive_curve import IncentiveCurve
from engine.rules.risk_directives import Directive

__all__ = [
    "TIER_COLUMNS",
    "CostCurve",
    "PlanningInputs",
    "curve_from_incentive",
    "default_tier_table",
    "planning_inputs",
    "tier_table",
]

TIER_COLUMNS = ("account", "tier", "calls_per_quarter", "eligible_channels")
_ALL_KINDS = tuple(kind.value for kind in ChannelKind)


IncentiveTreatment = Literal["conservative", "envelope", "exact"]

#: Revenue by which an exact piece stops short of a jump its end does not belong to.
JUMP_MARGIN = 0.01


@dataclass(frozen=True)
class CostCurve:
    """Incentive cost of a channel as a piecewise-linear function of the channel's revenue.

    ``points`` are ``(revenue, cost)`` breakpoints with increasing revenue; beyond the last point
    the last slope continues. The model's epigraph cuts follow :meth:`modelled`, which is the curve
    itself when it is convex. A non-convex curve (thresholds, retroactive tiers, payout caps) needs
    binaries to be exact; ``treatment`` picks how it is modelled:

    * ``conservative`` (default): the line from the cost at zero revenue with the steepest average
      rate of the curve — never below the true cost, so budgets hold at the exact cost too;
    * ``envelope``: the greatest convex minorant — never above the true cost (optimistic; a capped
      plan can come out near zero);
    * ``exact``: the curve itself, one binary per piece (:meth:`pieces`).

    The plan reports the exact cost at the planned revenue next to the modelled one.
    """

    points: tuple[tuple[float, float], ...]
    convex: bool
    label: str = ""
    envelope: tuple[tuple[float, float], ...] = ()
    treatment: IncentiveTreatment = "conservative"
    right_continuous: bool = True  # at a jump, the cost is the value just above (else below)

    @property
    def exact(self) -> bool:
        """True when the model follows the curve itself (convex, or treated exactly)."""
        return self.convex or self.treatment == "exact"

    def modelled(self) -> tuple[tuple[float, float], ...]:
        """The curve the model follows (epigraph cuts when convex, pieces when exact)."""
        if self.exact:
            return self.points
        if self.treatment == "envelope" and self.envelope:
            return self.envelope
        return self.majorant()

    def majorant(self) -> tuple[tuple[float, float], ...]:
        """A line above the whole curve: from (x₀, highest cost at x₀) at the steepest rate."""
        x0 = self.points[0][0]
        y0 = max(y for x, y in self.points if x == x0)
        rates = [(y - y0) / (x - x0) for x, y in self.points if x > x0]
        slope = max([self._last_slope(self.points), *rates, 0.0])
        end = max(x for x, _ in self.points)
        end = end if end > x0 else x0 + 1.0
        return ((x0, y0), (end, y0 + slope * (end - x0)))

    def segments(self) -> list[tuple[float, float, float]]:
        """``(x0, y0, slope)`` of every segment of :meth:`modelled` (tangent cuts)."""
        pts = self.modelled()
        out: list[tuple[float, float, float]] = []
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if x1 > x0:
                out.append((x0, y0, (y1 - y0) / (x1 - x0)))
        if not out:
            out.append((pts[0][0], pts[0][1], 0.0))
        return out

    def pieces(self, top: float) -> list[tuple[float, float, float, float]]:
        """``(low, high, intercept, slope)`` of every piece of the curve on ``[0, top]``: cost =
        intercept + slope·revenue for revenue in [low, high]. At a jump the piece on the side
        whose value :meth:`cost` does not take stops :data:`JUMP_MARGIN` short of it, so that a
        plan at a threshold is charged as the plan's own boundary convention says."""
        pts = list(self.points)
        x_first, y_first = pts[0]
        out: list[tuple[float, float, float, float]] = []
        if x_first > 0:
            out.append((0.0, x_first, y_first, 0.0))
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            if x1 <= x0:
                continue
            slope = (y1 - y0) / (x1 - x0)
            low = x0 if abs(self.cost(x0) - y0) <= 1e-9 * max(1.0, abs(y0)) else x0 + JUMP_MARGIN
            high = x1 if abs(self.cost(x1) - y1) <= 1e-9 * max(1.0, abs(y1)) else x1 - JUMP_MARGIN
            out.append((low, high, y0 - slope * x0, slope))
        x_last, _ = pts[-1]
        y_last = self.cost(x_last)
        slope = self._last_slope(self.points)
        if top > x_last:
            out.append((x_last, top, y_last - slope * x_last, slope))
        return [(lo, hi, a, b) for lo, hi, a, b in out if hi >= lo and lo <= top]

    def cost(self, revenue: float, *, exact: bool = True) -> float:
        """Cost at ``revenue`` (exact curve, or the modelled convex one)."""
        pts = self.points if exact else self.modelled()
        xs = np.array([p[0] for p in pts])
        ys = np.array([p[1] for p in pts])
        value = max(float(revenue), float(xs[0]))
        if len(xs) == 1:
            return float(ys[0])
        at = np.flatnonzero(xs == value)
        if len(at) > 1:  # exactly at a jump
            return float(ys[at[-1]] if self.right_continuous else ys[at[0]])
        if value >= xs[-1]:
            slope = self._last_slope(pts)
            return float(ys[-1] + slope * (value - xs[-1]))
        return float(np.interp(value, xs, ys, right=ys[-1]))

    @staticmethod
    def _last_slope(pts: tuple[tuple[float, float], ...]) -> float:
        for (x0, y0), (x1, y1) in zip(pts[::-1][1:], pts[::-1], strict=False):
            if x1 > x0:
                return (y1 - y0) / (x1 - x0)
        return 0.0


def curve_from_incentive(
    curve: IncentiveCurve, treatment: IncentiveTreatment = "conservative"
) -> CostCurve:
    """Adopt the rules engine's :class:`IncentiveCurve` (see :class:`CostCurve` on non-convex)."""
    envelope = () if curve.convex else curve.convex_envelope().points
    return CostCurve(
        points=tuple((float(x), float(y)) for x, y in curve.points),
        convex=bool(curve.convex),
        label=curve.plan_id,
        envelope=tuple((float(x), float(y)) for x, y in envelope),
        treatment=treatment,
        right_continuous=bool(curve.right_continuous),
    )


def default_tier_table(accounts: pd.DataFrame) -> pd.DataFrame:
    """No tiering: every account tier ``-``, no calls demanded, every channel eligible."""
    return pd.DataFrame(
        {
            "account": accounts["id"].astype(str).to_numpy(dtype=object),
            "tier": "-",
            "calls_per_quarter": 0.0,
            "eligible_channels": [_ALL_KINDS] * len(accounts),
        }
    )


def tier_table(accounts: pd.DataFrame, evaluated: pd.DataFrame) -> pd.DataFrame:
    """The tier table from a tiering evaluation (rows aligned with ``accounts``)."""
    missing = [c for c in ("tier", "calls_per_quarter", "eligible_channels") if c not in evaluated]
    if missing:
        raise DataError([DataIssue("<tiering>", f"tiering outputs {', '.join(missing)}")])
    eligible = [
        tuple(str(v) for v in value) if isinstance(value, list | tuple) else _ALL_KINDS
        for value in evaluated["eligible_channels"]
    ]
    return pd.DataFrame(
        {
            "account": accounts["id"].astype(str).to_numpy(dtype=object),
            "tier": evaluated["tier"].astype(str).to_numpy(dtype=object),
            "calls_per_quarter": pd.to_numeric(evaluated["calls_per_quarter"])
            .fillna(0.0)
            .to_numpy(dtype=float),
            "eligible_channels": eligible,
        }
    )


@dataclass(frozen=True)
class PlanningInputs:
    """Everything the allocation model reads; immutable. Build it with :func:`planning_inputs`."""

    network: Network
    tiers: pd.DataFrame
    curves: Mapping[str, CostCurve] = field(default_factory=lambda: MappingProxyType({}))
    directives: tuple[Directive, ...] = ()
    rule_versions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: every response that fired (applied, superseded, recorded, skipped) with why, from
    #: :func:`engine.rules.risk_register.compile_risk`; None: the directives alone
    risk_register: pd.DataFrame | None = None

    def content_hash(self) -> str:
        """SHA-256 over the dataset hash, the tier table, the curves and the directives."""
        digest = hashlib.sha256(self.network.dataset.content_hash.encode())
        tiers = self.tiers.assign(
            eligible_channels=[",".join(v) for v in self.tiers["eligible_channels"]]
        )
        digest.update(pd.util.hash_pandas_object(tiers, index=False).to_numpy().tobytes())
        curves = {c: [list(map(list, v.points)), v.convex] for c, v in sorted(self.curves.items())}
        digest.update(json.dumps(curves, sort_keys=True).encode())
        digest.update(json.dumps([repr(d) for d in self.directives]).encode())
        return digest.hexdigest()


def planning_inputs(
    network: Network,
    tiers: pd.DataFrame | None = None,
    curves: Mapping[str, CostCurve | IncentiveCurve] | None = None,
    directives: Iterable[Directive] = (),
    rule_versions: Mapping[str, str] | None = None,
    risk_register: pd.DataFrame | None = None,
) -> PlanningInputs:
    """Check and freeze the inputs (tiers default to :func:`default_tier_table`)."""
    dataset = network.dataset
    accounts = dataset.accounts
    table = default_tier_table(accounts) if tiers is None else tiers.copy()
    issues: list[DataIssue] = []
    missing = [c for c in TIER_COLUMNS if c not in table.columns]
    if missing:
        issues.append(DataIssue("<tiers>", f"columns {', '.join(TIER_COLUMNS)}", value=missing))
    else:
        unknown = sorted(set(table["account"].astype(str)) - set(accounts["id"].astype(str)))
        if unknown:
            issues.append(DataIssue("<tiers>", "account ids of the dataset", value=unknown[:5]))
    channel_ids = set(dataset.channels["id"].astype(str))
    adopted: dict[str, CostCurve] = {}
    for channel, curve in sorted((curves or {}).items()):
        if channel not in channel_ids:
            issues.append(DataIssue("<curves>", "a channel id of the dataset", value=channel))
            continue
        adopted[channel] = curve if isinstance(curve, CostCurve) else curve_from_incentive(curve)
    if issues:
        raise DataError(issues)
    return PlanningInputs(
        network=network,
        tiers=table.reset_index(drop=True),
        curves=MappingProxyType(adopted),
        directives=tuple(directives),
        rule_versions=MappingProxyType(dict(sorted((rule_versions or {}).items()))),
        risk_register=None if risk_register is None else risk_register.reset_index(drop=True),
    )
