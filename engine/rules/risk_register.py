"""Compile risk rules against entity tables into optimizer directives and a risk register.

Conflicts on one entity are resolved by a fixed rule, and every loser stays in the register with
its status and the reason:

1. ``avoid`` beats everything: the first avoid rule (file order) applies; the entity's transfers and
   mitigations, and later avoids, are ``superseded``.
2. Otherwise, within one kind of response on one entity — the same transfer instrument, or the same
   mitigation constraint (and scope) — the *strictest* applies: the highest cost rate (then fixed
   cost), the lowest max share, the lowest HHI ceiling, the most reps, the lowest volume bound
   (credit_limit × limit_factor / factor). Ties go to the earlier rule. Different instruments or
   constraints all apply.
3. ``accept`` is always ``recorded`` and never changes the model. A ``credit_exposure`` on a partner
   without a credit_limit is ``skipped`` (noted).

Constraints on different entities (a partner cap and a territory cap that both bind one partner's
share) are not conflicts: the optimizer applies all, so the tighter one binds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd

from engine.errors import DataError, DataIssue
from engine.rules.risk import (
    ENTITY_KINDS,
    AvoidResponse,
    CreditExposureResponse,
    HhiCeilingResponse,
    MaxPartnerShareResponse,
    MinRepsResponse,
    RiskFile,
    RiskRule,
    TransferResponse,
)
from engine.rules.risk_directives import (
    CostUplift,
    CreditExposure,
    Directive,
    Exclude,
    HhiCeiling,
    MaxPartnerShare,
    MinReps,
)

__all__ = ["REGISTER_COLUMNS", "RiskPlan", "compile_for_dataset", "compile_risk"]

REGISTER_COLUMNS = [
    "rule_id", "entity_kind", "entity_id", "response", "action", "status", "why", "effect", "note",
]  # fmt: skip
_D = TypeVar("_D")

if TYPE_CHECKING:
    from engine.data.dataset import Dataset


@dataclass(frozen=True)
class RiskPlan:
    """Directives for the optimizer (applied responses only) and the full risk register."""

    directives: tuple[Directive, ...]
    register: pd.DataFrame
    skipped_rules: tuple[str, ...] = ()  # rules whose entity table was not given

    def excluded(self, entity_kind: str) -> frozenset[str]:
        """Ids of the entities of a kind that ``avoid`` excludes."""
        return frozenset(
            d.entity_id
            for d in self.directives
            if isinstance(d, Exclude) and d.entity_kind == entity_kind
        )

    def of_type(self, kind: type[_D]) -> tuple[_D, ...]:
        """The directives of one class, in register order."""
        return tuple(d for d in self.directives if isinstance(d, kind))


def _matches(rules: RiskFile, rule: RiskRule, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the rows the rule matches, and why (the values that fired) for each."""
    columns = set(map(str, frame.columns))
    mask = np.ones(len(frame), dtype=bool)
    conditions = rules.conditions(rule)
    for condition in conditions:
        if condition.column not in columns:
            raise rules.rule_error(
                f"unknown column {condition.column!r} for {rule.entity} "
                f"(columns: {', '.join(sorted(columns))})",
                rule,
                "when",
                condition.column,
            )
        mask &= condition.mask(frame[condition.column])
    expression = rules.expression(rule)
    if expression is not None:
        unknown = sorted(expression.columns - columns)
        if unknown:
            raise rules.rule_error(
                f"unknown column(s) {', '.join(unknown)} in expression for {rule.entity}",
                rule,
                "expression",
            )
        values = expression.evaluate(frame)
        if not pd.api.types.is_bool_dtype(values.dtype):
            raise rules.rule_error("expression must be true or false", rule, "expression")
        mask &= values.to_numpy(dtype=bool)
    positions = np.flatnonzero(mask)
    reasons = [
        f"{c.column}="
        + frame[c.column].to_numpy(dtype=object)[positions].astype(str).astype(object)
        + f" ({c.source})"
        for c in conditions
        if not c.is_any
    ]
    if expression is not None:
        reasons.append(np.full(len(positions), f"{expression.source} is true", dtype=object))
    if not reasons:
        return positions, np.full(len(positions), "always (no condition)", dtype=object)
    why = reasons[0]
    for part in reasons[1:]:
        why = why + "; " + part
    return positions, why


def _directive(rule: RiskRule, entity_id: str, credit_limit: float) -> Directive | None:
    """The directive a rule gives an entity (None for accept, or credit exposure without limit)."""
    kind, response = rule.entity, rule.response
    if isinstance(response, AvoidResponse):
        return Exclude(kind, entity_id, rule.id)
    if isinstance(response, TransferResponse):
        return CostUplift(
            kind, entity_id, rule.id, response.instrument, response.cost_rate, response.fixed_cost
        )
    if isinstance(response, MaxPartnerShareResponse):
        scope = "channel" if kind == "channel" else response.scope
        return MaxPartnerShare(kind, entity_id, rule.id, response.max_share, scope)
    if isinstance(response, CreditExposureResponse):
        if not np.isfinite(credit_limit):
            return None
        factor = response.payment_days / response.period_days
        return CreditExposure(
            kind, entity_id, rule.id, factor, credit_limit * response.limit_factor
        )
    if isinstance(response, MinRepsResponse):
        return MinReps(kind, entity_id, rule.id, response.min_reps)
    if isinstance(response, HhiCeilingResponse):
        return HhiCeiling(kind, entity_id, rule.id, response.max_hhi)
    return None  # accept


def _strictness(rule: RiskRule) -> tuple[str, float, float]:
    """Conflict group and sort keys of a rule's response (smaller is stricter); credit exposure
    is ranked per entity by its volume bound instead (see :func:`_rows`)."""
    response = rule.response
    if isinstance(response, AvoidResponse):
        return "avoid", 0.0, 0.0
    if isinstance(response, TransferResponse):
        return f"transfer:{response.instrument}", -response.cost_rate, -response.fixed_cost
    if isinstance(response, MaxPartnerShareResponse):
        return f"max_partner_share:{response.scope}", response.max_share, 0.0
    if isinstance(response, MinRepsResponse):
        return "min_reps", -float(response.min_reps), 0.0
    if isinstance(response, HhiCeilingResponse):
        return "hhi_ceiling", response.max_hhi, 0.0
    if isinstance(response, CreditExposureResponse):
        return "credit_exposure", 0.0, 0.0
    return f"accept:{rule.id}", 0.0, 0.0


_COLUMNS = [*REGISTER_COLUMNS, "order", "code", "group", "key", "tie", "limit"]


def _id_ranks(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The ids of a table as text, and each row's rank in id order (for a stable register)."""
    ids = frame["id"].astype(str)
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[np.argsort(ids.to_numpy(dtype=object), kind="stable")] = np.arange(len(ids))
    return ids.to_numpy(dtype=object), ranks


def _rows(
    order: int, rule: RiskRule, frame: pd.DataFrame, rules: RiskFile, kind_rank: int
) -> dict[str, np.ndarray]:
    """The register rows of one rule (before conflict resolution), as column arrays."""
    positions, why = _matches(rules, rule, frame)
    all_ids, ranks = _id_ranks(frame)
    ids = all_ids[positions]
    size = len(positions)
    limits = np.full(size, np.nan)
    if "credit_limit" in frame.columns:
        numbers = pd.to_numeric(frame["credit_limit"], errors="coerce")
        limits = numbers.to_numpy(dtype=np.float64, na_value=np.nan)[positions]
    group, key, tie = _strictness(rule)
    status = np.full(size, "recorded" if rule.response.type == "accept" else "applied", object)
    keys = np.full(size, key)
    template = _directive(rule, "\0", 1.0)  # its effect text, with a placeholder for the id
    if isinstance(rule.response, CreditExposureResponse):  # numbers differ per partner
        made = [_directive(rule, i, limit) for i, limit in zip(ids, limits, strict=True)]
        effects = np.array([d.effect() if d else "none" for d in made], dtype=object)
        keys = np.array([d.max_volume if isinstance(d, CreditExposure) else 0.0 for d in made])
        status[np.isnan(limits)] = "skipped"
    elif template is None:
        effects = np.full(size, "recorded only; no change to the model", dtype=object)
    else:
        before, after = template.effect().split("\0", 1)
        effects = before + ids + after
    action = (
        getattr(rule.response, "constraint", None)
        or getattr(rule.response, "instrument", None)
        or rule.response.type
    )
    note = np.where(status == "skipped", "no credit_limit for this partner", "").astype(object)
    constant = {
        "rule_id": rule.id, "entity_kind": rule.entity, "response": rule.response.type,
        "action": action, "group": group,
    }  # fmt: skip
    columns: dict[str, np.ndarray] = {
        k: np.full(size, v, dtype=object) for k, v in constant.items()
    }
    columns.update(
        entity_id=ids, status=status, why=why, effect=effects, note=note,
        order=np.full(size, order), code=(kind_rank << 40) + ranks[positions], key=keys,
        tie=np.full(size, tie), limit=limits,
    )  # fmt: skip
    return columns


def compile_for_dataset(rules: RiskFile, dataset: Dataset) -> RiskPlan:
    """:func:`compile_risk` on a dataset's partner, territory, channel and account tables."""
    return compile_risk(
        rules,
        partners=dataset.partners,
        territories=dataset.territories,
        channels=dataset.channels.assign(kind=lambda f: f["kind"].astype(str)),
        accounts=dataset.accounts,
    )


def compile_risk(
    rules: RiskFile,
    *,
    partners: pd.DataFrame | None = None,
    territories: pd.DataFrame | None = None,
    channels: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
) -> RiskPlan:
    """Evaluate every rule on its entity table; rules on a table not given are skipped."""
    tables = {"partner": partners, "territory": territories, "channel": channels,
              "account": accounts}  # fmt: skip
    parts: list[dict[str, np.ndarray]] = []
    skipped: list[str] = []
    for order, rule in enumerate(rules.rules):
        frame = tables[rule.entity]
        if frame is None:
            skipped.append(rule.id)
            continue
        if "id" not in frame.columns:
            raise DataError([DataIssue(None, f"an 'id' column in the {rule.entity} table")])
        parts.append(_rows(order, rule, frame, rules, ENTITY_KINDS.index(rule.entity)))
    rows = {
        name: np.concatenate([part[name] for part in parts]) if parts else np.zeros(0, object)
        for name in _COLUMNS
    }
    _resolve(rows)
    sequence = np.lexsort((rows["order"], rows["code"]))
    rows = {name: values[sequence] for name, values in rows.items()}
    directives = [
        _directive(rules.rules[int(order)], entity_id, float(limit))
        for order, entity_id, limit, status in zip(
            rows["order"], rows["entity_id"], rows["limit"], rows["status"], strict=True
        )
        if status == "applied"
    ]
    register = pd.DataFrame(
        {name: pd.Series(rows[name], dtype=object) for name in REGISTER_COLUMNS}
    )
    return RiskPlan(tuple(d for d in directives if d is not None), register, tuple(skipped))


def _resolve(rows: dict[str, np.ndarray]) -> None:
    """Mark superseded rows in place: avoid first, then the strictest per entity and group."""
    size = len(rows["order"])
    status, note, rule_ids = rows["status"], rows["note"], rows["rule_id"]
    codes, orders = rows["code"].astype(np.int64), rows["order"].astype(np.int64)
    applied = status == "applied"
    # the first avoid (in file order) of each entity beats every other applied row on it
    by_entity = np.lexsort((orders, codes))
    avoids = by_entity[(applied & (rows["response"] == "avoid"))[by_entity]]
    first = avoids[np.r_[True, np.diff(codes[avoids]) != 0]] if len(avoids) else avoids
    slot = np.minimum(np.searchsorted(codes[first], codes), max(len(first) - 1, 0))
    found = (codes[first][slot] == codes) if len(first) else np.zeros(size, dtype=bool)
    winners = np.where(found, first[slot] if len(first) else 0, -1)
    beaten = applied & (winners >= 0) & (winners != np.arange(size))
    status[beaten] = "superseded"
    note[beaten] = "entity avoided by rule " + rule_ids[winners[beaten]]
    # otherwise the strictest row per entity and conflict group applies
    contest = np.flatnonzero(applied & (winners < 0))
    if not len(contest):
        return
    groups = pd.factorize(rows["group"])[0]
    ranked = contest[
        np.lexsort((orders[contest], rows["tie"][contest].astype(float),
                    rows["key"][contest].astype(float), groups[contest], codes[contest]))
    ]  # fmt: skip
    starts = np.r_[True, (np.diff(codes[ranked]) != 0) | (np.diff(groups[ranked]) != 0)]
    leader = ranked[np.maximum.accumulate(np.where(starts, np.arange(len(ranked)), 0))]
    lost = ~starts
    status[ranked[lost]] = "superseded"
    note[ranked[lost]] = "stricter rule " + rule_ids[leader[lost]] + " applies"
