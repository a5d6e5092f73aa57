"""Write a plan (``plan.json``, one CSV per table, ``timings.json``) and summarise it."""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic import write_text_atomic
from engine.plan.model import Plan

__all__ = ["summary", "write_plan"]


def write_plan(plan: Plan, folder: str | Path) -> list[Path]:
    """Write the plan into ``folder`` atomically, file by file; returns the paths written."""
    out = Path(folder)
    written = [out / "plan.json", out / "timings.json"]
    write_text_atomic(written[0], plan.to_json())
    write_text_atomic(written[1], json.dumps(plan.timings, sort_keys=True, indent=1) + "\n")
    for name in sorted(plan.tables):
        path = out / f"{name}.csv"
        write_text_atomic(path, plan.table(name).to_csv(index=False, lineterminator="\n"))
        written.append(path)
    return written


def _money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    return f"{value:,.0f}"


def summary(plan: Plan, currency: str = "") -> str:
    """A short text a sales planner can read."""
    unit = f" {currency}" if currency else ""
    s = plan.solver
    head = f"Plan {plan.name!r}: {plan.status}"
    if s.gap is not None and s.gap > 0:
        stop = "stopped at the time limit; " if s.stop_reason == "time_limit" else ""
        head += f" ({stop}at most {100 * s.gap:.2f} % below the best possible plan)"
    lines = [head, plan.explanation.summary]
    if not plan.has_solution and not plan.tables:
        lines += [f"  - {f.message}" for f in plan.explanation.prechecks]
        return "\n".join(lines) + "\n"
    k = plan.kpis
    lines += [
        f"Revenue {_money(k['revenue'])}{unit}, gross margin {_money(k['gross_margin'])}{unit}, "
        f"contribution {_money(k['contribution'])}{unit}.",
        f"People: {k['reps_placed']:.0f} reps placed ({k['reps_moved']:.0f} move), "
        f"{k['hires']:.0f} new hires; {k['partners_active']:.0f} partners active.",
        f"Coverage: {100 * k['coverage']:.1f} % of {k['calls_demanded']:,.0f} demanded calls.",
        "Budgets (spent / budget):",
    ]
    for category, budget, spent, _ in plan.tables["budgets"].rows:
        limit = "no line" if budget is None else _money(float(budget))
        lines.append(f"  {category:<11} {_money(float(spent)):>10} / {limit}")  # type: ignore[arg-type]
    prices = [b for b in plan.explanation.lines if b.family == "budget" and b.binding]
    for line in prices:
        if line.shadow_price:
            low = f"{line.range_low:,.0f}" if line.range_low is not None else "?"
            high = f"{line.range_high:,.0f}" if line.range_high is not None else "?"
            worth = (
                f"changes the cost by {line.shadow_price:+.2f}"
                if plan.objective == "min_cost"
                else f"is worth {line.shadow_price:.2f} in {plan.objective}"
            )
            lines.append(
                f"  one more unit of {line.key[0]} budget {worth} "
                f"(for a budget between {low} and {high})"
            )
    for relaxation in plan.explanation.relaxations[:10]:
        lines.append(f"  relaxed: {relaxation.message}")
    if len(plan.explanation.relaxations) > 10:
        lines.append(f"  … and {len(plan.explanation.relaxations) - 10} more relaxations")
    lines += [f"Note: {n}" for n in plan.explanation.notes]
    return "\n".join(lines) + "\n"
