"""Typed, immutable directives the optimizer applies for the risk responses that fired.

Every directive names the entity (``entity_kind``, ``entity_id``) and the rule that produced it, and
carries resolved numbers only (the optimizer never re-reads a rule file). :meth:`effect` is the
sentence the risk register shows for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "CostUplift",
    "CreditExposure",
    "Directive",
    "Exclude",
    "HhiCeiling",
    "MaxPartnerShare",
    "MinReps",
]


@dataclass(frozen=True)
class _Target:
    """What every directive names: the entity it acts on and the rule it came from."""

    entity_kind: str
    entity_id: str
    rule_id: str


@dataclass(frozen=True)
class Exclude(_Target):
    """``avoid``: the entity takes no part in the plan (no volume, no reps, no accounts served)."""

    response: ClassVar[str] = "avoid"

    def effect(self) -> str:
        """What it does to the model."""
        return f"{self.entity_kind} {self.entity_id} excluded from the plan"


@dataclass(frozen=True)
class CostUplift(_Target):
    """``transfer``: cost += cost_rate × the entity's volume + fixed_cost (per period)."""

    instrument: str
    cost_rate: float
    fixed_cost: float = 0.0
    response: ClassVar[str] = "transfer"

    def effect(self) -> str:
        """What it does to the model."""
        text = f"cost + {self.cost_rate:.4g} × volume of {self.entity_kind} {self.entity_id}"
        if self.fixed_cost:
            text += f" + {self.fixed_cost:,.2f} per period"
        return f"{text} ({self.instrument.replace('_', ' ')})"


@dataclass(frozen=True)
class MaxPartnerShare(_Target):
    """``mitigate``: no partner above ``max_share`` of the revenue in scope.

    ``scope`` is ``territory`` (entity a territory: every partner's share of it; entity a partner:
    its share of each territory it serves), ``channel`` (every partner's share of that channel's
    revenue) or ``total`` (a partner's share of the whole network's revenue).
    """

    max_share: float
    scope: str
    response: ClassVar[str] = "mitigate"

    def effect(self) -> str:
        """What it does to the model."""
        share = f"{self.max_share:.4g}"
        if self.entity_kind == "partner":
            where = "the total revenue" if self.scope == "total" else "each territory's revenue"
            return f"partner {self.entity_id} carries at most {share} of {where}"
        return (
            f"no partner carries more than {share} of {self.entity_kind} {self.entity_id}'s revenue"
        )


@dataclass(frozen=True)
class CreditExposure(_Target):
    """``mitigate``: volume × factor ≤ credit_limit (factor = payment_days / period_days, and the
    limit already scaled by limit_factor); ``max_volume`` = credit_limit / factor."""

    factor: float
    credit_limit: float
    response: ClassVar[str] = "mitigate"

    @property
    def max_volume(self) -> float:
        """The volume bound the constraint amounts to."""
        return self.credit_limit / self.factor

    def effect(self) -> str:
        """What it does to the model."""
        return (
            f"volume of partner {self.entity_id} × {self.factor:.4g} ≤ credit limit "
            f"{self.credit_limit:,.2f} (volume ≤ {self.max_volume:,.2f})"
        )


@dataclass(frozen=True)
class MinReps(_Target):
    """``mitigate``: at least ``min_reps`` reps assigned to the territory."""

    min_reps: int
    response: ClassVar[str] = "mitigate"

    def effect(self) -> str:
        """What it does to the model."""
        return f"at least {self.min_reps} rep(s) in territory {self.entity_id}"


@dataclass(frozen=True)
class HhiCeiling(_Target):
    """``mitigate``: Σ (partner share of the entity's partner revenue)² ≤ ``max_hhi``."""

    max_hhi: float
    response: ClassVar[str] = "mitigate"

    def effect(self) -> str:
        """What it does to the model."""
        return f"HHI of partner shares in {self.entity_kind} {self.entity_id} ≤ {self.max_hhi:.4g}"


Directive = Exclude | CostUplift | MaxPartnerShare | CreditExposure | MinReps | HhiCeiling
