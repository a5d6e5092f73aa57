"""Round and improve: a quick plan from the LP relaxation, handed to HiGHS as a MIP start.

1. Solve the LP relaxation (every integer variable continuous); its value bounds the optimum.
2. Round: each active rep to the candidate territory it holds most of (open headcount only where
   it is at least half filled); hires down, then up where the fraction is ≥ ½, largest fractions
   first, while a channel's whole hires stay within the total the relaxation hired (so hire costs
   stay within its budget); partners on where the relaxation opens them by at least
   ``partner_threshold``; then mend whole-head rows the rounding broke (minimum reps: add hires;
   hire caps and budget lines: drop the most rounded-up hires).
3. Fix those integers and re-solve the LP for the rest (if that fails: hires rounded down).
4. Improve (first improvement, in a fixed order): move a rep to another territory the relaxation
   gave it a share of, take the other rounding of a fractional hire, flip a partner the
   relaxation opened by a fraction; each trial is one warm LP re-solve (:class:`LpSession`), kept
   when it raises the objective. It stops when the list is done or the time is up.

:func:`engine.optimize.run.solve` skips the MIP when the result is already within the requested gap
of the LP bound. The list is fixed by the relaxation, so the result is deterministic unless the
time runs out (large models). Exact incentive pieces are chosen after the rounding (per channel, the
piece that holds its revenue then) and switched first among the trials.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pulp

from engine.optimize.registry import AllocationModel
from engine.solver import SolverSettings
from engine.solver_lp import LpSession

__all__ = ["Start", "round_and_improve"]

_FRACTIONAL = 1e-3


@dataclass(frozen=True, eq=False)
class Start:
    """A feasible plan from the heuristic and the LP bound it was rounded from."""

    values: dict[pulp.LpVariable, float]
    objective: float
    bound: float
    trials: int
    improvements: int
    seconds: float
    solver_version: str


def _rounded(
    model: AllocationModel, session: LpSession, x: np.ndarray, partner_threshold: float, up: float
) -> dict[int, float]:
    column = session.column
    fixed: dict[int, float] = {}
    best: dict[str, tuple[float, int]] = {}
    share: dict[str, float] = defaultdict(float)
    for (rep, _), variable in model.family("assign").items():
        c = column[variable]
        share[rep] += x[c]
        fixed[c] = 0.0
        if rep not in best or x[c] > best[rep][0] + 1e-9:
            best[rep] = (float(x[c]), c)
    active = model.data.reps["active"]
    for rep, (_, c) in best.items():
        if active[rep] or share[rep] >= 0.5:
            fixed[c] = 1.0
    by_channel: dict[str, list[int]] = defaultdict(list)
    for (_, channel), variable in model.family("hire").items():
        c = column[variable]
        fixed[c] = float(math.floor(x[c] + 1e-9))
        by_channel[channel].append(c)
    for channel in sorted(by_channel):  # round up the largest fractions, no more than the LP hired
        cells = by_channel[channel]
        spare = math.floor(sum(x[c] for c in cells) + 1e-6) - sum(fixed[c] for c in cells)
        for c in sorted(cells, key=lambda c: (fixed[c] - x[c], c)):
            if spare < 1 or x[c] - fixed[c] < up:
                break
            fixed[c] += 1.0
            spare -= 1
    for variable in model.family("activate").values():
        fixed[column[variable]] = 1.0 if x[column[variable]] >= partner_threshold else 0.0
    _mend(model, session, x, fixed)
    return fixed


def _mend(
    model: AllocationModel, session: LpSession, x: np.ndarray, fixed: dict[int, float]
) -> None:
    """Repair whole-head rows the rounding broke: minimum reps (add hires), then hire caps and
    budget lines (drop hires, the most rounded-up first, never below a minimum-reps row; the
    other terms there are spend ≥ 0)."""
    column = session.column
    hires = {column[v] for v in model.family("hire").values()}
    upper = session.matrix.col_upper
    slack: list[float] = []
    needed_by: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for constraint in model.rows("min_reps").values():
        terms = {column[v]: a for v, a in constraint.items() if column[v] in fixed}
        short = -float(constraint.constant) - sum(fixed[c] * a for c, a in terms.items())
        add = sorted((c for c in terms if c in hires and terms[c] > 0), key=lambda c: (-x[c], c))
        for c in add:
            while short > 1e-9 and fixed[c] < upper[c]:
                fixed[c] += 1.0
                short -= terms[c]
        for c, a in terms.items():
            needed_by[c].append((len(slack), a))
        slack.append(-short)
    for family in ("hire_cap", "budget"):
        for constraint in model.rows(family).values():
            terms = {column[v]: a for v, a in constraint.items() if column[v] in fixed}
            over = sum(fixed[c] * a for c, a in terms.items()) + float(constraint.constant)
            drop = sorted((c for c, a in terms.items() if c in hires and a > 0),
                          key=lambda c: (x[c] - fixed[c], c))  # fmt: skip
            for c in drop:
                while over > 1e-6 and fixed[c] > 0:
                    if any(slack[row] < a - 1e-9 for row, a in needed_by[c]):
                        break
                    for row, a in needed_by[c]:
                        slack[row] -= a
                    fixed[c] -= 1.0
                    over -= terms[c]


Change = dict[int, float]
_ROUNDED = ("assign", "hire", "activate")


def _piece_choice(model: AllocationModel, session: LpSession, y: np.ndarray) -> Change:
    """Per channel with exact incentive pieces: the piece whose revenue range holds the channel's
    revenue in ``y`` (the nearest one when it falls in the gap at a jump)."""
    column = session.column
    choose = model.family("incentive_piece")
    low, high = model.rows("incentive_low"), model.rows("incentive_high")
    totals = model.family("channel_revenue")
    choice: Change = {}
    for channel, cols in _pieces(model, session).items():
        revenue = float(y[column[totals[channel,]]])
        keys = [key for key in choose if key[0] == channel]
        ranges = [(-low[key][choose[key]], -high[key][choose[key]]) for key in keys]
        miss = [max(lo - revenue, revenue - hi, 0.0) for lo, hi in ranges]
        pick = cols[int(np.argmin(miss))]
        choice.update({c: float(c == pick) for c in cols})
    return choice


def _pieces(model: AllocationModel, session: LpSession) -> dict[str, list[int]]:
    """Per channel: the columns of its exact incentive pieces, in piece order."""
    out: dict[str, list[int]] = defaultdict(list)
    for (channel, _), variable in model.family("incentive_piece").items():
        out[channel].append(session.column[variable])
    return dict(out)


def _trials(model: AllocationModel, session: LpSession, x: np.ndarray) -> list[Change]:
    """Changes to try, each a set of column values (applied on top of the current plan); swaps of
    two reps were tried too and never paid on the demo."""
    column = session.column
    out: list[tuple[float, Change]] = []
    mine: dict[str, list[int]] = defaultdict(list)
    for (rep, _), variable in model.family("assign").items():
        mine[rep].append(column[variable])
    for rep in sorted(mine):
        for c in mine[rep]:
            if x[c] > _FRACTIONAL:
                out.append((-float(x[c]), {**{o: 0.0 for o in mine[rep]}, c: 1.0}))
    for variable in model.family("hire").values():
        c = column[variable]
        if abs(x[c] - round(x[c])) > _FRACTIONAL:  # both roundings: the current one is skipped
            for whole in (math.floor(x[c]), math.ceil(x[c])):
                out.append((-abs(x[c] - whole), {c: float(whole)}))
    for variable in model.family("activate").values():
        c = column[variable]
        if _FRACTIONAL < x[c] < 1 - _FRACTIONAL:
            out.append((-min(x[c], 1 - x[c]), {c: -1.0}))  # -1: flip
    out.sort(key=lambda item: item[0])
    return [change for _, change in out]


def round_and_improve(
    model: AllocationModel,
    settings: SolverSettings,
    seconds: float,
    *,
    partner_threshold: float = 0.2,
) -> Start | None:
    """A feasible start for ``model`` within about ``seconds``, or None (the MIP then runs cold)."""
    started = time.perf_counter()
    deadline = started + seconds
    try:
        session = LpSession(model.problem, settings)
    except RuntimeError:
        return None
    rounded = sum(len(model.family(f)) for f in (*_ROUNDED, "incentive_piece"))
    if int(session.matrix.integrality.sum()) != rounded:  # integers it does not know
        return None
    maximise = session.matrix.maximize
    bound = session.run(seconds, cold=True)
    if bound is None:
        return None
    x = session.values()
    pieces = _pieces(model, session)
    spread = np.array([c for cols in pieces.values() for c in cols], dtype=np.int32)
    best: float | None = None
    for up in (0.5, 1e-6):  # hires to the nearest head; if that breaks a line, down
        matrix = session.matrix
        session.set_bounds(spread, matrix.col_lower[spread], matrix.col_upper[spread])
        plan = _rounded(model, session, x, partner_threshold, up)
        session.fix(plan)
        best = session.run(deadline - time.perf_counter())
        if best is not None and pieces:  # then each channel's incentive piece: its revenue's
            choice = _piece_choice(model, session, session.values())
            plan.update(choice)
            session.fix(choice)
            best = session.run(deadline - time.perf_counter())
        if best is not None:
            break
    if best is None:
        return None
    values = session.values()
    trials = improvements = 0
    better = (lambda a, b: a > b) if maximise else (lambda a, b: a < b)
    incumbent: float = best

    def attempt(change: Change) -> bool:
        nonlocal incumbent, values, trials
        applied = {c: (1.0 - plan[c] if v < 0 else v) for c, v in change.items()}
        if all(plan[c] == v for c, v in applied.items()):
            return False
        previous = {c: plan[c] for c in applied}
        session.fix(applied)
        trials += 1
        value = session.run(deadline - time.perf_counter())
        margin = 1e-9 * max(1.0, abs(incumbent)) * (1 if maximise else -1)
        if value is not None and better(value, incumbent + margin):
            incumbent, values = value, session.values()
            plan.update(applied)
            return True
        session.fix(previous)
        return False

    switches = [{**{o: 0.0 for o in cols}, c: 1.0} for cols in pieces.values() for c in cols]
    for change in switches + _trials(model, session, x):  # one pass (a second found nothing)
        if time.perf_counter() >= deadline:
            break
        improvements += attempt(change)
    return Start(
        values=dict(zip(session.matrix.variables, (float(v) for v in values), strict=True)),
        objective=incumbent,
        bound=bound,
        trials=trials,
        improvements=improvements,
        seconds=time.perf_counter() - started,
        solver_version=session.version,
    )
