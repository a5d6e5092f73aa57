"""The payout summary table and its line-by-line explanation.

``lines`` has one row per step of the calculation of a payee's payout in a period, in order
(``seq``): ``credit`` (what was credited; information only), ``attainment_cap``, ``gate``, ``tier``
(one per tier paid: base × rate = amount), ``bonus`` (a tier's fixed amount), ``payout_cap``,
``rounding`` (to ``money_decimals``, half up), ``earlier`` (an accumulating plan: the commission
earlier periods of the window earned), ``spiff`` (one per SPIFF rule id), ``clawback``, ``draw``
(top-up or recovery of the balance carried) and ``total`` (= paid). For MDF plans: ``credit``,
``accrual``, ``cap``, ``total_cap``, ``rounding``, ``total``. ``amount`` is empty on information
lines; the amounts of all steps before ``total`` add up to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.rules.incentives import MdfPlan, TieredPlan
from engine.rules.payouts import PlanRun

__all__ = ["LINE_COLUMNS", "SUMMARY_COLUMNS", "explain", "format_lines", "summarize"]

SUMMARY_COLUMNS = [
    "plan", "payee", "period", "deals", "revenue", "measure", "tier", "commission", "spiffs",
    "clawbacks", "earned", "balance_before", "adjustment", "paid", "balance",
]  # fmt: skip
LINE_COLUMNS = ["plan", "payee", "period", "seq", "step", "rule", "base", "rate", "amount", "note"]
_NAN = float("nan")


def _money(value: float) -> str:
    return f"{round(value, 2) + 0.0:,.2f}"  # (+ 0.0: no "-0.00" for a rounding of -0.001)


def _measure_text(plan: TieredPlan, value: float) -> str:
    if plan.tier_basis == "volume":
        return _money(value)
    return f"{value * 100:.1f} %"


def _speed(multiplier: float) -> str:
    name = "accelerator" if multiplier > 1 else "decelerator" if multiplier < 1 else "base"
    return f"{name} {multiplier:g}× base rate"


def summarize(run: PlanRun) -> pd.DataFrame:
    """One row per payee and period of a plan run (columns :data:`SUMMARY_COLUMNS`)."""
    cells = len(run.revenue)
    tiers = run.tiers
    tier_names: list[object] = [None] * cells
    measure = np.full(cells, _NAN)
    if tiers is not None and isinstance(run.plan, TieredPlan):
        ids = run.plan.tier_ids()
        tier_names = [ids[i] if i >= 0 else None for i in tiers.tier_index.tolist()]
        measure = tiers.measure
    spiffs = sum((s.amount for s in run.spiffs), np.zeros(cells))
    return pd.DataFrame(
        {
            "plan": run.plan.id,
            "payee": np.repeat(np.array(run.payees, dtype=object), len(run.periods)),
            "period": np.tile(np.array(run.periods, dtype=object), len(run.payees)),
            "deals": run.deals.astype(np.int64),
            "revenue": run.revenue,
            "measure": measure,
            "tier": pd.Series(tier_names, dtype=object),
            "commission": run.commission,
            "spiffs": spiffs,
            "clawbacks": run.clawback,
            "earned": run.earned,
            "balance_before": run.opening,
            "adjustment": run.draw,
            "paid": run.paid,
            "balance": run.balance,
        },
        columns=SUMMARY_COLUMNS,
    )


class _Lines:
    """Collects explanation lines step by step; only masked cells get a line."""

    def __init__(self, run: PlanRun) -> None:
        self.run = run
        self.chunks: list[pd.DataFrame] = []

    def add(
        self,
        seq: int,
        step: str,
        mask: npt.NDArray[np.bool_],
        *,
        rule: str | None = None,
        base: npt.ArrayLike = _NAN,
        rate: npt.ArrayLike = _NAN,
        amount: npt.ArrayLike = _NAN,
        note: Callable[[int], str] | str = "",
    ) -> None:
        cells = np.flatnonzero(mask)
        if not len(cells):
            return
        periods = len(self.run.periods)

        def pick(value: npt.ArrayLike) -> np.ndarray:
            array = np.asarray(value, dtype=np.float64)
            return (
                np.broadcast_to(array, mask.shape)[cells]
                if array.ndim
                else np.full(len(cells), float(array))
            )

        notes = [note(int(c)) for c in cells] if callable(note) else [note] * len(cells)
        self.chunks.append(
            pd.DataFrame(
                {
                    "plan": self.run.plan.id,
                    "payee": np.array(self.run.payees, dtype=object)[cells // periods],
                    "period": np.array(self.run.periods, dtype=object)[cells % periods],
                    "seq": seq,
                    "step": step,
                    "rule": rule,
                    "base": pick(base),
                    "rate": pick(rate),
                    "amount": pick(amount),
                    "note": pd.Series(notes, dtype=object),
                    "_cell": cells,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.chunks:
            return pd.DataFrame(columns=LINE_COLUMNS)
        frame = pd.concat(self.chunks, ignore_index=True)
        frame = frame.sort_values(["_cell", "seq"], kind="stable")
        return frame[LINE_COLUMNS].reset_index(drop=True)


def _tier_note(how: str, applied: npt.NDArray[np.float64], own: float) -> Callable[[int], str]:
    """The note of a tier line; it says so where a retroactive tier's rate replaced the tier's."""

    def note(cell: int) -> str:
        if applied[cell] == own:
            return how
        return how + "; paid at the rate of the retroactive tier reached"

    return note


def _tier_lines(lines: _Lines, plan: TieredPlan, run: PlanRun) -> None:
    tiers = run.tiers
    assert tiers is not None
    gate = tiers.gate_passed
    measure, counted = tiers.measure, tiers.counted
    cap = np.isfinite(counted) & tiers.attainment_capped
    lines.add(
        1,
        "attainment_cap",
        cap,
        note=lambda c: (
            f"{_measure_text(plan, measure[c])} counted as {_measure_text(plan, counted[c])}"
        ),
    )
    if plan.threshold is not None or plan.gates:
        rule = plan.threshold
        limit = "" if rule is None else f"threshold {_measure_text(plan, rule)}"
        if rule is not None and plan.tiers_per == "deal":
            limit += " on each deal"
        lines.add(2, "gate", gate, note=f"passed {limit}".strip())
        lines.add(
            2,
            "gate",
            ~gate,
            amount=0.0,
            note=lambda c: (
                f"{_measure_text(plan, measure[c])}: "
                f"{limit or 'a metric gate'} not passed; no commission"
            ),
        )
    ids, rates = plan.tier_ids(), plan.tier_rates()
    for index, tier in enumerate(plan.tiers):
        upper = "∞" if tier.upper is None else _measure_text(plan, tier.upper)
        span = f"[{_measure_text(plan, tier.lower)}, {upper})"
        kind = "" if tier.multiplier is None else f"; {_speed(tier.multiplier)}"
        if plan.method == "marginal":
            how = f"marginal: the part in {span}{kind}"
        else:
            how = f"retroactive: tier {span} reached, its rate on all from zero{kind}"
        lines.add(
            3,
            "tier",
            gate & (tiers.bases[:, index] > 0),
            rule=ids[index],
            base=tiers.bases[:, index],
            rate=tiers.rates[:, index],
            amount=tiers.amounts[:, index],
            note=_tier_note(how, tiers.rates[:, index], rates[index]),
        )
        if tier.bonus:
            lines.add(
                3,
                "bonus",
                gate & (tiers.bonuses[:, index] > 0),
                rule=ids[index],
                amount=tiers.bonuses[:, index],
                note=f"fixed amount for reaching tier {span}",
            )
    uncapped = np.where(gate, tiers.amounts.sum(axis=1) + tiers.bonuses.sum(axis=1), 0.0)
    window = "" if plan.accumulate == "period" else f" to date ({plan.accumulate})"
    lines.add(
        4,
        "payout_cap",
        tiers.payout_capped,
        amount=tiers.commission - uncapped,
        note=lambda c: f"commission{window} capped at {_money(float(tiers.payout_cap[c]))}",
    )
    lines.add(4, "rounding", run.rounding != 0, amount=run.rounding, note="rounded half up")
    lines.add(
        4,
        "earlier",
        run.earlier != 0,
        amount=-run.earlier,
        note=f"commission earned earlier this {plan.accumulate}",
    )


def _money_flow_lines(lines: _Lines, plan: TieredPlan, run: PlanRun) -> None:
    for spiff, result in zip(plan.spiffs, run.spiffs, strict=True):
        per = (
            f"{spiff.amount:g} per deal" if spiff.amount is not None else f"{spiff.rate:g} × credit"
        )
        capped = result.capped

        def spiff_note(
            c: int,
            deals: np.ndarray = result.deals,
            per: str = per,
            capped: np.ndarray = capped,
            limit: float | None = spiff.max_per_period,
        ) -> str:
            text = f"{deals[c]:g} qualifying deal row(s), {per}"
            return text + (f"; capped at {_money(limit or 0.0)}" if capped[c] else "")

        rate = spiff.rate if spiff.rate is not None else _NAN
        lines.add(
            5,
            "spiff",
            result.deals > 0,
            rule=spiff.id,
            base=result.base,
            rate=rate,
            amount=result.amount,
            note=spiff_note,
        )
    days = plan.clawback.days if plan.clawback is not None else 0
    how = (
        "commission at the credit period's effective rate"
        if plan.clawback is not None and plan.clawback.method == "average"
        else "the commission they added to their credit period"
    )
    lines.add(
        6,
        "clawback",
        run.clawback_base != 0,
        rule="clawback",
        base=run.clawback_base,
        amount=-run.clawback,
        note=lambda c: (
            f"deal(s) {run.clawback_notes.get(c, '')} cancelled within {days} days: {how} "
            "and SPIFFs reversed"
        ),
    )
    draw = plan.draw
    earned, opening, balance = run.earned, run.opening, run.balance

    def draw_note(c: int) -> str:
        parts = []
        if run.draw[c] > 0 and draw is not None:
            kind = "recoverable" if draw.type == "recoverable" else "non-recoverable, forgiven"
            parts.append(f"draw {_money(draw.amount)} ({kind}): top-up {_money(run.draw[c])}")
        elif run.draw[c] < 0:
            parts.append(f"recovered {_money(-run.draw[c])} of balance {_money(opening[c])}")
        elif opening[c] > 0:
            parts.append(f"earned {_money(earned[c])} did not exceed the draw; nothing recovered")
        if balance[c] > 0:
            parts.append(f"balance {_money(balance[c])} carried to the next period")
        elif opening[c] > 0:
            parts.append("balance cleared")
        return "; ".join(parts)

    lines.add(
        7,
        "draw",
        (run.draw != 0) | (opening > 0) | (balance > 0),
        rule="draw",
        amount=run.draw,
        note=draw_note,
    )


def explain(run: PlanRun) -> pd.DataFrame:
    """The explanation lines of a plan run (columns :data:`LINE_COLUMNS`)."""
    lines = _Lines(run)
    plan = run.plan
    cells = np.ones(len(run.revenue), dtype=bool)
    if isinstance(plan, MdfPlan):
        accrual = np.maximum(run.revenue, 0.0) * plan.rate
        per_period = accrual if plan.cap is None else np.minimum(accrual, plan.cap)
        lines.add(
            0, "credit", cells, base=run.revenue, note=lambda c: f"{run.deals[c]:g} purchase row(s)"
        )
        lines.add(
            3,
            "accrual",
            accrual != 0,
            rule=plan.id,
            base=run.revenue,
            rate=plan.rate,
            amount=accrual,
            note="MDF accrual on purchases",
        )
        lines.add(
            4,
            "cap",
            per_period < accrual,
            amount=per_period - accrual,
            note=f"accrual capped at {_money(plan.cap or 0.0)} per period",
        )
        lines.add(
            4,
            "total_cap",
            run.commission - run.rounding < per_period - 1e-9,
            amount=run.commission - run.rounding - per_period,
            note=f"cumulative accrual capped at {_money(plan.total_cap or 0.0)}",
        )
        lines.add(4, "rounding", run.rounding != 0, amount=run.rounding, note="rounded half up")
    else:
        tiers = run.tiers
        assert tiers is not None

        def credit_note(c: int) -> str:
            text = f"{run.deals[c]:g} deal row(s)"
            to_date = "" if plan.accumulate == "period" else f" {plan.accumulate} to date"
            if plan.tier_basis == "attainment":
                return text + f"; attainment{to_date} {tiers.measure[c] * 100:.1f} %"
            if plan.tier_basis == "growth":
                return text + f"; growth{to_date} {tiers.measure[c] * 100:.1f} % over baseline"
            if to_date:
                return text + f"; volume{to_date} {_money(tiers.measure[c])}"
            return text

        lines.add(0, "credit", cells, base=run.revenue, note=credit_note)
        _tier_lines(lines, plan, run)
        _money_flow_lines(lines, plan, run)
    lines.add(
        8,
        "total",
        cells,
        amount=run.paid,
        note=lambda c: f"earned {_money(run.earned[c])}, paid {_money(run.paid[c])}",
    )
    return lines.frame()


def format_lines(lines: pd.DataFrame, payees: Sequence[str] | None = None) -> str:
    """Human-readable explanation text, one block per plan, payee and period."""
    selected = lines if payees is None else lines[lines["payee"].isin(list(payees))]
    out: list[str] = []
    for (plan, payee, period), block in selected.groupby(["plan", "payee", "period"], sort=False):
        out.append(f"{plan} · {payee} · {period}")
        columns = ["step", "rule", "base", "rate", "amount", "note"]
        for step, rule, base, rate, amount, note in block[columns].itertuples(
            index=False, name=None
        ):
            figures = []
            if pd.notna(base):
                figures.append(f"base {_money(float(base))}")
            if pd.notna(rate):
                figures.append(f"rate {float(rate):g}")
            if pd.notna(amount):
                figures.append(f"amount {_money(float(amount))}")
            label = str(step) + (f" {rule}" if isinstance(rule, str) else "")
            out.append(f"  {label:<20} {'  '.join(figures):<55} {note}".rstrip())
    return "\n".join(out)
