"""Payouts on actuals: per plan, payee and period, with a line-by-line explanation.

Vectorised over deals (bincount on payee × period cells); only the draw and balance carry-over
loops, over periods (few), vectorised over payees. The table formats are in
:mod:`engine.rules.payout_data`; the semantics of tiers, gates and caps in
:mod:`engine.rules.incentives`. Beyond those:

* **SPIFFs** pay per qualifying deal row (``amount`` × the row's split, or ``rate`` × its credit),
  capped per payee and period by ``max_per_period``; they are outside gates and the payout cap.
* **Clawbacks**: a deal cancelled at most ``days`` after its ``date`` reverses, in the period of the
  cancellation, its commission at the *effective rate* of the period it was credited in (that
  period's tiered commission ÷ credited revenue) plus the SPIFFs it earned.
* **Balance and draws**: each payee carries a balance owed (``opening_balance`` in the targets,
  else 0). Per period, net = earned − balance; paid = max(draw, net) (draw 0 without one); the new
  balance is paid − net for a recoverable draw (the top-up is owed, recovered from later excess),
  and max(0, −net) for a non-recoverable one (the top-up is forgiven; only negative earnings from
  clawbacks carry). Without a draw, negative earnings are carried and recovered the same way.
* **MDF**: accrual = rate × purchases, capped per period (``cap``) and cumulatively (``total_cap``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.errors import DataError, DataIssue
from engine.rules.commission import TierOutcome, tiered_commission
from engine.rules.incentives import IncentiveFile, MdfPlan, TieredPlan
from engine.rules.payout_data import (
    INTERNAL_COLUMNS,
    lookup_targets,
    prepare_actuals,
    prepare_targets,
    required_values,
)

__all__ = ["PayoutResult", "PlanRun", "SpiffRun", "compute_payouts"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SpiffRun:
    """One SPIFF's results per cell (payee × period, flattened)."""

    spiff_id: str
    deals: FloatArray
    base: FloatArray
    amount: FloatArray  # after max_per_period
    capped: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PlanRun:
    """Everything computed for one plan on a payee × period grid (arrays are flattened cells)."""

    plan: TieredPlan | MdfPlan
    payees: tuple[str, ...]
    periods: tuple[str, ...]
    deals: FloatArray
    revenue: FloatArray
    commission: FloatArray
    tiers: TierOutcome | None = None
    spiffs: tuple[SpiffRun, ...] = ()
    clawback: FloatArray = field(default_factory=lambda: np.zeros(0))
    clawback_base: FloatArray = field(default_factory=lambda: np.zeros(0))
    clawback_notes: dict[int, str] = field(default_factory=dict)
    opening: FloatArray = field(default_factory=lambda: np.zeros(0))
    draw: FloatArray = field(default_factory=lambda: np.zeros(0))
    paid: FloatArray = field(default_factory=lambda: np.zeros(0))
    balance: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def earned(self) -> FloatArray:
        """Commission + SPIFFs − clawbacks, per cell."""
        spiffs = sum((s.amount for s in self.spiffs), np.zeros_like(self.commission))
        return self.commission + spiffs - self.clawback


@dataclass(frozen=True)
class PayoutResult:
    """``summary``: one row per plan, payee and period; ``lines``: the explanation, in order."""

    summary: pd.DataFrame
    lines: pd.DataFrame
    runs: tuple[PlanRun, ...] = ()


def _sums(cell: npt.NDArray[np.intp], weights: npt.ArrayLike, cells: int) -> FloatArray:
    """Sum of ``weights`` per cell (float64, length ``cells``)."""
    return np.bincount(cell, weights=weights, minlength=cells).astype(np.float64, copy=False)


def _gates(
    incentives: IncentiveFile,
    plan: TieredPlan,
    targets: pd.DataFrame | None,
    payees: np.ndarray,
    periods: np.ndarray,
) -> npt.NDArray[np.bool_]:
    passed = np.ones(len(payees), dtype=bool)
    for gate in plan.gates:
        condition = incentives.gate_condition(plan, gate)
        values = lookup_targets(targets, gate.metric, payees, periods)
        if values is None:
            raise incentives.rule_error(
                f"gate metric {gate.metric!r} is not a column of the targets table",
                plan.id,
                plan.id,
                "gates",
            )
        passed &= condition.mask(pd.Series(values))
    return passed


def _spiffs(
    incentives: IncentiveFile,
    plan: TieredPlan,
    rows: pd.DataFrame,
    cell: np.ndarray,
    cells: int,
) -> tuple[tuple[SpiffRun, ...], FloatArray]:
    """Each SPIFF per cell, and the SPIFF amount each deal row earned (after caps)."""
    runs: list[SpiffRun] = []
    per_row = np.zeros(len(rows))
    for spiff in plan.spiffs:
        mask = np.ones(len(rows), dtype=bool)
        for condition in incentives.spiff_conditions(plan, spiff):
            if condition.column not in rows.columns:
                known = ", ".join(str(c) for c in rows.columns if c not in INTERNAL_COLUMNS)
                raise incentives.rule_error(
                    f"SPIFF condition on unknown column {condition.column!r} (actuals have: "
                    f"{known})",
                    spiff.id,
                    plan.id,
                    spiff.id,
                    condition.column,
                )
            mask &= condition.mask(rows[condition.column])
        if spiff.periods is not None:
            mask &= np.isin(rows["_period"].to_numpy(dtype=object), spiff.periods)
        credit = rows["_credit"].to_numpy()
        if spiff.amount is not None:
            bonus = np.where(mask, spiff.amount * rows["_split"].to_numpy(), 0.0)
        else:
            bonus = np.where(mask, (spiff.rate or 0.0) * credit, 0.0)
        uncapped = _sums(cell, bonus, cells)
        amount = (
            uncapped if spiff.max_per_period is None else np.minimum(uncapped, spiff.max_per_period)
        )
        factor = np.divide(amount, uncapped, out=np.ones(cells), where=uncapped != 0)
        per_row += bonus * factor[cell]
        runs.append(
            SpiffRun(
                spiff.id,
                _sums(cell, mask.astype(np.float64), cells),
                _sums(cell, np.where(mask, credit, 0.0), cells),
                amount,
                amount < uncapped,
            )
        )
    return tuple(runs), per_row


def _carry(
    plan: TieredPlan, earned: FloatArray, opening: FloatArray, shape: tuple[int, int]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Paid and balance after each period, and the balance before it; payees × periods."""
    earned2 = earned.reshape(shape)
    paid = np.zeros(shape)
    before = np.zeros(shape)
    after = np.zeros(shape)
    if not shape[0] or not shape[1]:
        return paid.ravel(), before.ravel(), after.ravel()
    balance = opening.reshape(shape)[:, 0].copy()
    for period in range(shape[1]):
        before[:, period] = balance
        draw = 0.0
        if plan.draw is not None and (
            plan.draw.max_periods is None or period < plan.draw.max_periods
        ):
            draw = plan.draw.amount
        net = earned2[:, period] - balance
        paid[:, period] = np.maximum(draw, net)
        recoverable = plan.draw is None or plan.draw.type == "recoverable"
        balance = paid[:, period] - net if recoverable else np.maximum(0.0, -net)
        after[:, period] = balance
    return paid.ravel(), before.ravel(), after.ravel()


def _run_plan(
    incentives: IncentiveFile,
    plan: TieredPlan | MdfPlan,
    actuals: pd.DataFrame,
    targets: pd.DataFrame | None,
    through: str | None,
    actuals_file: str | None,
    targets_file: str | None,
) -> PlanRun:
    if plan.payee not in actuals.columns:
        raise DataError([DataIssue(actuals_file, f"a column {plan.payee!r} (payee of {plan.id})")])
    payee_values = actuals[plan.payee]
    rows = actuals[payee_values.notna().to_numpy()]
    payee_ids = rows[plan.payee].astype(str).to_numpy(dtype=object)
    listed: list[str] = []
    if targets is not None:
        targets_ids = targets.index.get_level_values(0).astype(str)
        if "plan" in targets.columns:
            on_plan = (targets["plan"].astype(str) == plan.id).to_numpy()
            targets_ids = targets_ids[on_plan]
            keep = np.isin(payee_ids, targets_ids.to_numpy(dtype=object))
            rows, payee_ids = rows[keep], payee_ids[keep]
        ids = targets_ids.to_numpy(dtype=object)
        # a table keyed by plain 'id' lists this plan's payees only if some of them sold in it
        # (so reps.csv adds reps without deals to a rep plan, but nobody to a partner plan)
        explicit = "plan" in targets.columns or plan.payee in targets.columns
        if explicit or np.isin(ids, payee_ids).any():
            listed = sorted(set(ids.tolist()))
    period_labels = rows["_period"].to_numpy(dtype=object)
    labels = set(pd.unique(period_labels).tolist())
    within = np.zeros(len(rows), dtype=bool)
    if isinstance(plan, TieredPlan) and plan.clawback is not None and "_cancel_period" in rows:
        days = rows["_days_to_cancel"].to_numpy(dtype=np.float64)
        cancel_labels = rows["_cancel_period"].to_numpy(dtype=object)
        within = ~np.isnan(days) & (days <= plan.clawback.days)
        labels |= set(cancel_labels[within].tolist())
    if through is not None:
        labels = {label for label in labels if label <= through} | {through}
    periods = np.array(sorted(labels), dtype=object)
    payees = np.array(sorted(set(pd.unique(payee_ids).tolist()) | set(listed)), dtype=object)
    shape = (len(payees), len(periods))
    cells = shape[0] * shape[1]
    in_range = np.isin(period_labels, periods)
    rows, payee_ids, period_labels = rows[in_range], payee_ids[in_range], period_labels[in_range]
    within = within[in_range]
    period_index = pd.Index(periods)
    cell = pd.Index(payees).get_indexer(payee_ids) * shape[1] + period_index.get_indexer(
        period_labels
    )
    cell_payees = np.repeat(payees, shape[1])
    cell_periods = np.tile(periods, shape[0])
    credit = rows["_credit"].to_numpy(dtype=np.float64)
    revenue = _sums(cell, credit, cells)
    deals = _sums(cell, np.ones(len(cell)), cells)
    zeros = np.zeros(cells)
    if isinstance(plan, MdfPlan):
        accrual = np.maximum(revenue, 0.0) * plan.rate
        if plan.cap is not None:
            accrual = np.minimum(accrual, plan.cap)
        if plan.total_cap is not None:
            cumulative = np.minimum(np.cumsum(accrual.reshape(shape), axis=1), plan.total_cap)
            accrual = np.diff(cumulative, axis=1, prepend=0.0).ravel()
        return PlanRun(
            plan,
            tuple(payees),
            tuple(periods),
            deals,
            revenue,
            accrual,
            clawback=zeros,
            clawback_base=zeros,
            opening=zeros,
            draw=zeros,
            paid=accrual,
            balance=zeros,
        )
    look = {
        name: lookup_targets(targets, name, cell_payees, cell_periods)
        for name in ("quota", "target_incentive", "baseline", "opening_balance")
    }
    kwargs: dict[str, FloatArray] = {}
    if plan.tier_basis == "attainment":
        kwargs["quota"] = required_values(
            look["quota"], plan.quota, revenue, "quota", cell_payees, targets_file
        )
    if plan.tier_basis == "growth":
        kwargs["baseline"] = required_values(
            look["baseline"], None, revenue, "baseline", cell_payees, targets_file
        )
    if plan.rate_basis == "target_incentive":
        kwargs["target_incentive"] = required_values(
            look["target_incentive"],
            plan.target_incentive,
            revenue,
            "target_incentive",
            cell_payees,
            targets_file,
        )
    gates = _gates(incentives, plan, targets, cell_payees, cell_periods)
    tiers = tiered_commission(plan, revenue, gates_passed=gates, **kwargs)
    spiffs, row_spiff = _spiffs(incentives, plan, rows, cell, cells)
    clawback = np.zeros(cells)
    clawback_base = np.zeros(cells)
    notes: dict[int, str] = {}
    if within.any():
        rate = np.divide(tiers.commission, revenue, out=np.zeros(cells), where=revenue > 0)
        reversed_amount = (credit * rate[cell] + row_spiff)[within]
        cancel_labels = rows["_cancel_period"].to_numpy(dtype=object)[within]
        target_cell = (
            cell[within] - cell[within] % shape[1] + period_index.get_indexer(cancel_labels)
        )
        clawback = _sums(target_cell, reversed_amount, cells)
        clawback_base = _sums(target_cell, credit[within], cells)
        deal_ids = (rows["deal"] if "deal" in rows else rows.index.to_series()).astype(str)
        grouped = pd.Series(deal_ids.to_numpy()[within]).groupby(target_cell, sort=True)
        notes = {int(k): ", ".join(sorted(v)) for k, v in grouped}
    opening = look["opening_balance"]
    opening = np.nan_to_num(opening) if opening is not None else zeros
    run = PlanRun(
        plan,
        tuple(payees),
        tuple(periods),
        deals,
        revenue,
        tiers.commission,
        tiers,
        spiffs,
        clawback,
        clawback_base,
        notes,
    )
    paid, before, after = _carry(plan, run.earned, opening, shape)
    return replace(run, opening=before, draw=paid - run.earned, paid=paid, balance=after)


def compute_payouts(
    incentives: IncentiveFile,
    actuals: pd.DataFrame,
    *,
    targets: pd.DataFrame | None = None,
    plans: Sequence[str] | None = None,
    through: str | None = None,
    actuals_file: str | None = None,
    targets_file: str | None = None,
) -> PayoutResult:
    """Payouts of ``plans`` (default: all) for every period up to ``through`` (default: all).

    Draws and balances carry from the first period in the data: pass the history to be carried.
    The inputs are not modified.
    """
    from engine.rules.payout_explain import explain, summarize

    chosen = [incentives.plan(p) for p in plans] if plans is not None else list(incentives.plans)
    prepared = prepare_actuals(actuals, incentives.period, actuals_file)
    runs = []
    for plan in chosen:
        table = None if targets is None else prepare_targets(targets, plan.payee, targets_file)
        runs.append(
            _run_plan(incentives, plan, prepared, table, through, actuals_file, targets_file)
        )
    summary = pd.concat([summarize(run) for run in runs], ignore_index=True)
    lines = pd.concat([explain(run) for run in runs], ignore_index=True)
    return PayoutResult(summary, lines, tuple(runs))
