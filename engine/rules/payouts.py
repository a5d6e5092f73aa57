"""Payouts on actuals: per plan, payee and period, with a line-by-line explanation.

Vectorised over deals (bincount on payee × period cells); only the draw and balance carry-over
loops, over periods (few), vectorised over payees. The table formats are in
:mod:`engine.rules.payout_data`; the semantics of tiers, gates and caps in
:mod:`engine.rules.incentives`. Beyond those:

* **SPIFFs** pay per qualifying deal row (``amount`` × the row's split, or ``rate`` × its credit),
  capped per payee and period by ``max_per_period``; they are outside gates and the payout cap.
* **Accumulation** (``accumulate: quarter | year``): tiers see the revenue credited since the
  window began (per-period quotas, target incentives and baselines add up the same way; a quota
  given once per payee is the window's); each period pays the commission to date minus what the
  window's earlier periods earned.
* **Clawbacks**: a deal cancelled at most ``days`` after its ``date`` reverses, in the period of the
  cancellation, the SPIFFs it earned and its commission: by default (``recompute``) what the
  cancelled deals added to their credit period's commission — that commission minus the one
  without them — shared by credit; with ``average``, its credit × the credit period's effective
  rate (tiered commission ÷ credited revenue).
* **Balance and draws**: each payee carries a balance owed (``opening_balance`` in the targets,
  else 0). Per period, net = earned − balance; paid = max(draw, net) (draw 0 without one); the new
  balance is paid − net for a recoverable draw (the top-up is owed, recovered from later excess),
  and max(0, −net) for a non-recoverable one (the top-up is forgiven; only negative earnings from
  clawbacks carry). Without a draw, negative earnings are carried and recovered the same way.
  The draw runs from each payee's first period — ``start_period`` in the targets, else the first
  period with a deal or a targets row of its own — for ``max_periods`` periods, and not after an
  ``end_period`` in the targets (a rep who left).
* **Money**: commission, each SPIFF, clawbacks, accruals, what is paid and the balance are rounded
  half up to the file's ``money_decimals`` per payee and period.
* **MDF**: accrual = rate × purchases, capped per period (``cap``) and cumulatively (``total_cap``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.errors import DataError, DataIssue
from engine.rules.commission import TierOutcome, tiered_commission
from engine.rules.incentives import IncentiveFile, MdfPlan, Spiff, TieredPlan
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
    earlier: FloatArray = field(default_factory=lambda: np.zeros(0))  # earned before, in window
    rounding: FloatArray = field(default_factory=lambda: np.zeros(0))  # rounded − exact
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


#: Period labels accumulation understands: 2027, 2027-Q1, 2027-01.
_PERIOD_LABEL = re.compile(r"(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]))?")


def _money(values: FloatArray, decimals: int | None) -> FloatArray:
    """``values`` rounded half up (away from zero on a half) to ``decimals``; None: unchanged.

    The scaled value is first rounded to 6 decimals, so that 905.005 (stored as 905.00499…)
    rounds up to 905.01 as written, not down as its binary value would.
    """
    if decimals is None:
        return values
    factor = 10.0**decimals
    scaled = np.round(np.abs(values) * factor, 6)
    return np.sign(values) * np.floor(scaled + 0.5) / factor + 0.0  # + 0.0: no negative zero


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
    decimals: int | None,
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
            units = _spiff_units(incentives, plan, spiff, rows, mask)
            bonus = np.where(mask, spiff.amount * units * rows["_split"].to_numpy(), 0.0)
        else:
            bonus = np.where(mask, (spiff.rate or 0.0) * credit, 0.0)
        uncapped = _sums(cell, bonus, cells)
        exact = (
            uncapped if spiff.max_per_period is None else np.minimum(uncapped, spiff.max_per_period)
        )
        amount = _money(exact, decimals)
        factor = np.divide(amount, uncapped, out=np.ones(cells), where=uncapped != 0)
        per_row += bonus * factor[cell]
        runs.append(
            SpiffRun(
                spiff.id,
                _sums(cell, mask.astype(np.float64), cells),
                _sums(cell, np.where(mask, credit, 0.0), cells),
                amount,
                exact < uncapped,
            )
        )
    return tuple(runs), per_row


def _spiff_units(
    incentives: IncentiveFile,
    plan: TieredPlan,
    spiff: Spiff,
    rows: pd.DataFrame,
    mask: npt.NDArray[np.bool_],
) -> FloatArray:
    """How many times a SPIFF's amount is paid on each row: 1, or its ``per`` column's value."""
    if spiff.per is None:
        return np.ones(len(rows))
    if spiff.per not in rows.columns:
        raise incentives.rule_error(
            f"SPIFF 'per' names {spiff.per!r}, which is not a column of the actuals",
            spiff.id,
            plan.id,
            spiff.id,
        )
    values = pd.to_numeric(rows[spiff.per], errors="coerce").to_numpy(dtype=np.float64)
    bad = mask & ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataError(
            [
                DataIssue(
                    "the actuals",
                    f"a number >= 0 (SPIFF {spiff.id!r} pays per {spiff.per!r})",
                    row=int(rows.index[position]) + 2,
                    column=spiff.per,
                    value=rows[spiff.per].iloc[position],
                )
            ]
        )
    return np.where(mask, values, 0.0)


def _per_deal(
    plan: TieredPlan,
    credit: FloatArray,
    cell: np.ndarray,
    revenue: FloatArray,
    gates: npt.NDArray[np.bool_],
    kwargs: dict[str, FloatArray],
) -> tuple[TierOutcome, FloatArray]:
    """``tiers_per: deal``: every row tiered on its own credit, summed per cell; the payout cap
    applies to the sum. Returns the cell outcome and each row's commission (before the cap)."""
    cells = len(revenue)
    uncapped = plan.model_copy(update={"payout_cap": None, "payout_cap_target": None})
    per_row = {name: values[cell] for name, values in kwargs.items()}
    rows = tiered_commission(uncapped, credit, gates_passed=gates[cell], **per_row)
    whole = tiered_commission(plan, revenue, gates_passed=gates, **kwargs)  # measure, cap, scale

    def by_cell(values: FloatArray) -> FloatArray:
        out = np.zeros((cells, values.shape[1]))
        np.add.at(out, cell, values)
        return out

    paid = rows.gate_passed[:, None]  # a deal below the threshold adds nothing
    bases = by_cell(np.where(paid, rows.bases, 0.0))
    amounts = by_cell(np.where(paid, rows.amounts, 0.0))
    bonuses = by_cell(np.where(paid, rows.bonuses, 0.0))
    rates = np.divide(amounts, bases, out=np.zeros_like(amounts), where=bases != 0)
    rates = np.where(bases != 0, rates, np.array(plan.tier_rates())[None, :])
    summed = _sums(cell, rows.commission, cells)
    top = np.full(cells, -1, dtype=np.int64)
    np.maximum.at(top, cell, rows.tier_index)
    outcome = replace(
        whole,
        tier_index=top,
        bases=bases,
        rates=rates,
        amounts=amounts,
        bonuses=bonuses,
        gate_passed=gates.copy(),  # the metric gates; the threshold was applied deal by deal
        payout_capped=summed > whole.payout_cap,
        commission=np.minimum(summed, whole.payout_cap),
    )
    return outcome, rows.commission


def _carry(
    plan: TieredPlan,
    earned: FloatArray,
    opening: FloatArray,
    start: npt.NDArray[np.intp],
    end: npt.NDArray[np.intp],
    shape: tuple[int, int],
    decimals: int | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Paid and balance after each period, and the balance before it; payees × periods.

    A draw is paid from each payee's ``start`` period (for ``max_periods`` periods) through its
    ``end`` period.
    """
    earned2 = earned.reshape(shape)
    paid = np.zeros(shape)
    before = np.zeros(shape)
    after = np.zeros(shape)
    if not shape[0] or not shape[1]:
        return paid.ravel(), before.ravel(), after.ravel()
    balance = opening.reshape(shape)[:, 0].copy()
    recoverable = plan.draw is None or plan.draw.type == "recoverable"
    for period in range(shape[1]):
        before[:, period] = balance
        draw = np.zeros(shape[0])
        if plan.draw is not None:
            since = period - start
            on = (since >= 0) & (period <= end)
            if plan.draw.max_periods is not None:
                on &= since < plan.draw.max_periods
            draw = np.where(on, plan.draw.amount, 0.0)
        net = _money(earned2[:, period] - balance, decimals)
        paid[:, period] = np.maximum(draw, net)
        balance = _money(paid[:, period] - net if recoverable else np.maximum(0.0, -net), decimals)
        after[:, period] = balance
    return paid.ravel(), before.ravel(), after.ravel()


def _calendar(labels: list[str]) -> list[str]:
    """Every period from the first label to the last when all are years, quarters or months of
    one kind (2027-Q1 … 2027-Q4: a quarter without deals still pays a draw); else ``labels``."""
    matches = [_PERIOD_LABEL.fullmatch(str(label)) for label in labels]
    if not labels or any(m is None for m in matches):
        return labels
    kinds = {_label_kind(m) for m in matches if m}
    if len(kinds) != 1:
        return labels
    kind = kinds.pop()
    freq = {"year": "Y", "quarter": "Q", "month": "M"}[kind]
    spans = pd.PeriodIndex([str(label).replace("-Q", "Q") for label in labels], freq=freq)
    every = pd.period_range(spans.min(), spans.max(), freq=freq).astype(str)
    return [label.replace("Q", "-Q") for label in every] if kind == "quarter" else list(every)


def _windows(
    incentives: IncentiveFile, plan: TieredPlan, periods: np.ndarray
) -> npt.NDArray[np.intp]:
    """Index of the accumulation window (quarter or year) of each period label."""
    if plan.accumulate == "period":
        return np.arange(len(periods))
    keys = []
    for label in periods.tolist():
        match = _PERIOD_LABEL.fullmatch(str(label))
        part = match.group(2) if match else None
        if match is None or (plan.accumulate == "quarter" and part is None):
            raise incentives.rule_error(
                f"accumulate: {plan.accumulate} needs period labels like 2027-Q1 or 2027-01"
                + (" or 2027" if plan.accumulate == "year" else "")
                + f"; got {label!r}",
                plan.id,
                plan.id,
            )
        year = match.group(1)
        if plan.accumulate == "year":
            keys.append(year)
        elif part is not None and part.startswith("Q"):
            keys.append(f"{year}-{part}")
        else:
            keys.append(f"{year}-Q{(int(part or 1) - 1) // 3 + 1}")
    return pd.factorize(pd.Series(keys, dtype=object))[0].astype(np.intp)


def _to_date(
    values: FloatArray, window: npt.NDArray[np.intp], shape: tuple[int, int]
) -> FloatArray:
    """Running sums of per-cell ``values`` along each payee's periods, restarting per window."""
    grid = values.reshape(shape)
    out = np.empty(shape)
    for key in np.unique(window):
        columns = np.flatnonzero(window == key)
        out[:, columns] = np.cumsum(grid[:, columns], axis=1)
    return out.ravel()


def _before(values: FloatArray, window: npt.NDArray[np.intp], shape: tuple[int, int]) -> FloatArray:
    """Per cell, the value of the previous period of the same window (0 where a window begins)."""
    grid = values.reshape(shape)
    out = np.zeros(shape)
    same = np.flatnonzero(window[1:] == window[:-1]) + 1
    out[:, same] = grid[:, same - 1]
    return out.ravel()


def _period_of(
    targets: pd.DataFrame, column: str, payees: np.ndarray, periods: np.ndarray, side: str
) -> npt.NDArray[np.intp] | None:
    """Per payee, the grid position of a period label in ``column`` of the targets (``side``:
    where a label between grid periods falls); -1 where none is given; None without the column."""
    if column not in targets.columns:
        return None
    given = targets[column].groupby(level=0).first()
    labels = given.reindex(pd.Index(payees)).to_numpy(dtype=object)
    positions = np.full(len(payees), -1, dtype=np.intp)
    for row, label in enumerate(labels.tolist()):
        if label is None or (isinstance(label, float) and np.isnan(label)):
            continue
        positions[row] = int(np.searchsorted(periods, str(label), side=side))  # type: ignore[call-overload]
    return positions


def _span(
    targets: pd.DataFrame | None,
    payees: np.ndarray,
    periods: np.ndarray,
    deals: FloatArray,
    shape: tuple[int, int],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Each payee's first and last period on the plan (grid positions). First: ``start_period``
    in the targets, else the first period with a deal or a targets row of its own, else the
    grid's first. Last: ``end_period`` in the targets (inclusive), else the grid's last."""
    start = np.zeros(shape[0], dtype=np.intp)
    end = np.full(shape[0], shape[1] - 1, dtype=np.intp)
    if not shape[0] or not shape[1]:
        return start, end
    active = deals.reshape(shape) > 0
    if targets is not None and isinstance(targets.index, pd.MultiIndex):
        keys = pd.MultiIndex.from_arrays([np.repeat(payees, shape[1]), np.tile(periods, shape[0])])
        active |= keys.isin(targets.index).reshape(shape)
    start = np.where(active.any(axis=1), active.argmax(axis=1), 0).astype(np.intp)
    if targets is not None:
        first = _period_of(targets, "start_period", payees, periods, "left")
        if first is not None:
            start = np.where(first >= 0, first, start)
        last = _period_of(targets, "end_period", payees, periods, "right")
        if last is not None:
            end = np.where(last >= 0, last - 1, end)
    return start, end


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
    periods = np.array(_calendar(sorted(labels)), dtype=object)
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
    decimals = incentives.money_decimals
    if isinstance(plan, MdfPlan):
        exact = np.maximum(revenue, 0.0) * plan.rate
        if plan.cap is not None:
            exact = np.minimum(exact, plan.cap)
        accrual = _money(exact, decimals)
        if plan.total_cap is not None:
            cumulative = np.minimum(np.cumsum(accrual.reshape(shape), axis=1), plan.total_cap)
            capped = np.diff(cumulative, axis=1, prepend=0.0).ravel()
            exact = exact + (capped - accrual)
            accrual = _money(capped, decimals)
        return PlanRun(
            plan,
            tuple(payees),
            tuple(periods),
            deals,
            revenue,
            accrual,
            clawback=zeros,
            clawback_base=zeros,
            earlier=zeros,
            rounding=accrual - exact,
            opening=zeros,
            draw=zeros,
            paid=accrual,
            balance=zeros,
        )
    look = {
        name: lookup_targets(targets, name, cell_payees, cell_periods)
        for name in ("quota", "target_incentive", "baseline", "opening_balance")
    }
    window = _windows(incentives, plan, periods)
    to_date = plan.accumulate != "period"
    per_period_targets = targets is not None and isinstance(targets.index, pd.MultiIndex)
    measured = _to_date(revenue, window, shape) if to_date else revenue

    def values(name: str) -> FloatArray | None:
        # per-period quotas (and the like) accumulate with the revenue: quota-to-date
        found = look[name]
        if found is None or not (to_date and per_period_targets):
            return found
        return _to_date(np.nan_to_num(found), window, shape)

    kwargs: dict[str, FloatArray] = {}
    if plan.tier_basis == "attainment":
        kwargs["quota"] = required_values(
            values("quota"), plan.quota, measured, "quota", cell_payees, targets_file
        )
    if plan.tier_basis == "growth":
        kwargs["baseline"] = required_values(
            values("baseline"), None, measured, "baseline", cell_payees, targets_file
        )
    if plan.rate_basis == "target_incentive" or plan.payout_cap_target is not None:
        kwargs["target_incentive"] = required_values(
            values("target_incentive"),
            plan.target_incentive,
            measured,
            "target_incentive",
            cell_payees,
            targets_file,
        )
    gates = _gates(incentives, plan, targets, cell_payees, cell_periods)
    if plan.tiers_per == "deal":
        tiers, row_commission = _per_deal(plan, credit, cell, measured, gates, kwargs)
    else:
        tiers = tiered_commission(plan, measured, gates_passed=gates, **kwargs)
    total = _money(tiers.commission, decimals)  # to date when accumulating
    earlier = _before(total, window, shape) if to_date else zeros
    commission = _money(total - earlier, decimals)
    spiffs, row_spiff = _spiffs(incentives, plan, rows, cell, cells, decimals)
    clawback = np.zeros(cells)
    clawback_base = np.zeros(cells)
    notes: dict[int, str] = {}
    if within.any():
        if plan.tiers_per == "deal":  # each deal's own commission
            deal_commission = row_commission
        elif plan.clawback is not None and plan.clawback.method == "average":
            rate = np.divide(tiers.commission, measured, out=np.zeros(cells), where=measured > 0)
            deal_commission = credit * rate[cell]
        else:  # what the cancelled deals added to their credit period's commission
            cancelled = _sums(cell, np.where(within, credit, 0.0), cells)
            without = tiered_commission(plan, measured - cancelled, gates_passed=gates, **kwargs)
            added = tiers.commission - without.commission
            count = _sums(cell, within.astype(np.float64), cells)
            share = np.where(
                cancelled[cell] != 0,
                np.divide(
                    credit, cancelled[cell], out=np.zeros(len(cell)), where=cancelled[cell] != 0
                ),
                1.0 / np.maximum(count[cell], 1.0),
            )
            deal_commission = added[cell] * share
        reversed_amount = (deal_commission + row_spiff)[within]
        cancel_labels = rows["_cancel_period"].to_numpy(dtype=object)[within]
        target_cell = (
            cell[within] - cell[within] % shape[1] + period_index.get_indexer(cancel_labels)
        )
        clawback = _money(_sums(target_cell, reversed_amount, cells), decimals)
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
        commission,
        tiers,
        spiffs,
        clawback,
        clawback_base,
        notes,
        earlier=earlier,
        rounding=total - tiers.commission,
    )
    start, end = _span(targets, payees, periods, deals, shape)
    earned = _money(run.earned, decimals)
    paid, before, after = _carry(plan, earned, opening, start, end, shape, decimals)
    return replace(
        run, opening=before, draw=_money(paid - earned, decimals), paid=paid, balance=after
    )


def _check_through(through: str, labels: pd.Series, file: str | None) -> None:
    """``through`` must be a period of the actuals, or a later one written the same way (a
    period without deals yet still pays draws); a typo must not invent a period."""
    known = sorted(set(labels.dropna().astype(str)))
    if through in known:
        return
    form = _PERIOD_LABEL.fullmatch(through)
    forms = [_PERIOD_LABEL.fullmatch(label) for label in known]
    same_form = (
        form is not None
        and all(m is not None for m in forms)
        and {_label_kind(m) for m in forms if m} == {_label_kind(form)}
    )
    if same_form and (not known or through >= known[0]):
        return
    span = f"{known[0]} … {known[-1]}" if known else "none"
    raise DataError(
        [
            DataIssue(
                "--period",
                f"a period of the actuals{f' in {file}' if file else ''} ({span}) or a later one "
                "in the same form",
                value=through,
            )
        ]
    )


def _label_kind(match: re.Match[str]) -> str:
    part = match.group(2)
    return "year" if part is None else "quarter" if part.startswith("Q") else "month"


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
    if through is not None:
        _check_through(through, prepared["_period"], actuals_file)
    runs = []
    for plan in chosen:
        table = None if targets is None else prepare_targets(targets, plan.payee, targets_file)
        runs.append(
            _run_plan(incentives, plan, prepared, table, through, actuals_file, targets_file)
        )
    summary = pd.concat([summarize(run) for run in runs], ignore_index=True)
    lines = pd.concat([explain(run) for run in runs], ignore_index=True)
    return PayoutResult(summary, lines, tuple(runs))
