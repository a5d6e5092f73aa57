"""The dataset schema: one pydantic model per table row, the single source of truth.

Each model declares a table's columns — name, type, unit, default, range and description. The
loader validates whole columns at once from :func:`columns_of` (pydantic per row would be far too
slow for a million accounts); the README's dataset section and the JSON Schemas are generated from
the same models. Money is in the dataset's currency; flows (potential, capacity, cost, quota,
budget) are per planning period, which the manifest names (e.g. ``2027-Q1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

__all__ = [
    "TABLES",
    "Account",
    "Actual",
    "Adjacency",
    "Budget",
    "BudgetCategory",
    "Channel",
    "ChannelKind",
    "ColumnSpec",
    "Coverage",
    "Partner",
    "Rep",
    "ResponseOverride",
    "TableSpec",
    "Territory",
    "columns_of",
]


class ChannelKind(StrEnum):
    """How a channel reaches customers."""

    DIRECT_FIELD = "direct_field"
    INSIDE = "inside"
    DISTRIBUTOR = "distributor"
    AGENT = "agent"
    ONLINE = "online"


#: Channels served by the company's own reps (they have hours); partners carry the others.
REP_CHANNEL_KINDS = frozenset({ChannelKind.DIRECT_FIELD, ChannelKind.INSIDE})
PARTNER_CHANNEL_KINDS = frozenset({ChannelKind.DISTRIBUTOR, ChannelKind.AGENT})


class BudgetCategory(StrEnum):
    """Budget lines; ``total`` caps the sum of the others."""

    MARKETING = "marketing"
    INCENTIVES = "incentives"
    TRAINING = "training"
    HIRING = "hiring"
    TOTAL = "total"


def _unit(unit: str) -> dict[str, Any]:
    return {"unit": unit}


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Territory(_Row):
    """A sales coverage unit (a county, a postcode area, a brick)."""

    id: str = Field(description="Unique territory id (kept as text: leading zeros matter).")
    name: str = Field("", description="Display name; any script (UTF-8).")
    region: str = Field(description="Sales region the territory belongs to.")
    parent: str | None = Field(None, description="Parent territory id, for nested hierarchies.")
    potential: float = Field(
        ge=0, description="Revenue potential per period.", json_schema_extra=_unit("currency")
    )
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude of the centroid.")
    lon: float | None = Field(None, ge=-180, le=180, description="Longitude of the centroid.")
    x: float | None = Field(None, description="Planar x coordinate (when no lat/lon).")
    y: float | None = Field(None, description="Planar y coordinate (when no lat/lon).")


class Adjacency(_Row):
    """A border between two territories (undirected; list each pair once)."""

    a: str = Field(description="One territory id.")
    b: str = Field(description="The other territory id.")
    travel_time: float | None = Field(
        None, ge=0, description="Travel time across the border.", json_schema_extra=_unit("hours")
    )


class Channel(_Row):
    """A route to market with its economics and response curve.

    Revenue a channel wins in a territory follows a concave response to effort:
    ``potential · max_share · (1 − exp(−effort / scale))``, where effort is rep hours (rep
    channels) or marketing spend (online), and ``scale`` is given per 1 M of potential.
    """

    id: str = Field(description="Unique channel id.")
    name: str = Field("", description="Display name.")
    kind: ChannelKind = Field(description="direct_field, inside, distributor, agent or online.")
    margin: float = Field(ge=0, le=1, description="Gross margin as a fraction of revenue.")
    cost_to_serve: float = Field(
        0.0, ge=0, le=1, description="Variable cost to serve as a fraction of revenue."
    )
    hours_per_call: float | None = Field(
        None, ge=0, description="Rep hours one call takes.", json_schema_extra=_unit("hours")
    )
    max_share: float = Field(
        ge=0, le=1, description="Share of a territory's potential the channel wins at saturation."
    )
    hours_scale: float | None = Field(
        None,
        gt=0,
        description="Rep hours per 1 M of potential that win 63 % (1 − 1/e) of max_share.",
        json_schema_extra=_unit("hours"),
    )
    marketing_scale: float | None = Field(
        None,
        gt=0,
        description="Marketing spend per 1 M of potential that wins 63 % of max_share.",
        json_schema_extra=_unit("currency"),
    )
    hire_cost: float | None = Field(
        None,
        ge=0,
        description="Cost of one new rep per period.",
        json_schema_extra=_unit("currency"),
    )
    hire_capacity_hours: float | None = Field(
        None,
        ge=0,
        description="Hours one new rep works per period.",
        json_schema_extra=_unit("hours"),
    )


class ResponseOverride(_Row):
    """Per-territory override of a channel's response curve (empty cells keep the channel's)."""

    territory: str = Field(description="Territory id.")
    channel: str = Field(description="Channel id.")
    max_share: float | None = Field(None, ge=0, le=1, description="Overrides Channel.max_share.")
    hours_scale: float | None = Field(None, gt=0, description="Overrides Channel.hours_scale.")
    marketing_scale: float | None = Field(
        None, gt=0, description="Overrides Channel.marketing_scale."
    )


class Account(_Row):
    """A customer. Extra columns are allowed and kept (tiering rules may use them)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(description="Unique account id.")
    territory: str = Field(description="Territory id the account is in.")
    name: str = Field("", description="Account name; any script.")
    segment: str = Field("", description="Segment, e.g. Enterprise, Mid-Market, SMB, Public.")
    industry: str = Field("", description="Industry.")
    revenue_12m: float = Field(
        ge=0, description="Revenue over the last 12 months.", json_schema_extra=_unit("currency")
    )
    orders_12m: int = Field(0, ge=0, description="Orders over the last 12 months.")
    growth: float = Field(0.0, description="Year-on-year revenue growth as a fraction (0.12).")
    satisfaction: float | None = Field(None, ge=0, le=10, description="Satisfaction score 0–10.")
    credit_score: float | None = Field(
        None, ge=0, le=100, description="Credit score 0–100, higher is safer."
    )
    last_order_days: int | None = Field(
        None, ge=0, description="Days since the last order.", json_schema_extra=_unit("days")
    )
    employees: int | None = Field(None, ge=0, description="Number of employees.")


class Rep(_Row):
    """A named rep, or open headcount (status ``open``)."""

    id: str = Field(description="Unique rep id.")
    name: str = Field("", description="Rep name; any script.")
    channel: str = Field(description="Channel id; must be a direct_field or inside channel.")
    home: str = Field(description="Home territory id (where the rep lives).")
    territory: str | None = Field(
        None, description="Territory the rep covers today (defaults to home)."
    )
    capacity_hours: float = Field(
        ge=0, description="Selling hours per period.", json_schema_extra=_unit("hours")
    )
    cost: float = Field(
        ge=0, description="Loaded cost per period.", json_schema_extra=_unit("currency")
    )
    quota: float = Field(
        0.0, ge=0, description="Revenue quota per period.", json_schema_extra=_unit("currency")
    )
    status: Literal["active", "open"] = Field("active", description="active, or open headcount.")


class Partner(_Row):
    """A distributor or agent; the territories it can serve are in the coverage table."""

    id: str = Field(description="Unique partner id.")
    name: str = Field("", description="Partner name; any script.")
    channel: str = Field(description="Channel id; must be a distributor or agent channel.")
    capacity: float = Field(
        ge=0, description="Revenue it can carry per period.", json_schema_extra=_unit("currency")
    )
    fixed_cost: float = Field(
        0.0,
        ge=0,
        description="Cost per period of keeping it active.",
        json_schema_extra=_unit("currency"),
    )
    credit_limit: float | None = Field(
        None, ge=0, description="Credit extended to it.", json_schema_extra=_unit("currency")
    )
    credit_score: float | None = Field(
        None, ge=0, le=100, description="Credit score 0–100, higher is safer."
    )


class Coverage(_Row):
    """A territory a partner may serve."""

    partner: str = Field(description="Partner id.")
    territory: str = Field(description="Territory id.")
    max_volume: float | None = Field(
        None,
        ge=0,
        description="Most revenue the partner can carry in this territory per period.",
        json_schema_extra=_unit("currency"),
    )


class Budget(_Row):
    """A budget line for the period."""

    category: BudgetCategory = Field(
        description="marketing, incentives, training, hiring or total."
    )
    amount: float = Field(
        ge=0, description="Amount for the period.", json_schema_extra=_unit("currency")
    )


class Actual(_Row):
    """A booked deal or period result, for payouts and plan-vs-actual."""

    period: str = Field(description="Period label, e.g. 2027-Q1.")
    deal: str = Field("", description="Deal id.")
    rep: str | None = Field(None, description="Rep id credited.")
    partner: str | None = Field(None, description="Partner id credited.")
    account: str | None = Field(None, description="Account id.")
    amount: float = Field(
        description="Amount (negative for refunds).", json_schema_extra=_unit("currency")
    )
    date: str | None = Field(None, description="Booking date, ISO yyyy-mm-dd.")


ColumnKind = Literal["string", "number", "integer", "boolean", "enum"]


@dataclass(frozen=True)
class ColumnSpec:
    """What the loader checks for one column, derived from a model field."""

    name: str
    kind: ColumnKind
    required: bool
    nullable: bool
    default: Any
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    unit: str | None = None
    description: str = ""

    def expected(self) -> str:
        """Human words for what a valid cell holds."""
        if self.kind == "enum":
            text = "one of " + ", ".join(self.choices)
        else:
            text = {"string": "text", "number": "a number", "integer": "a whole number"}.get(
                self.kind, "true or false"
            )
        bounds = self.bounds()
        return text + (" " + " and ".join(bounds) if bounds else "")

    def bounds(self, ge: str = ">=", le: str = "<=") -> list[str]:
        """The range limits as text, e.g. ``[">= 0", "<= 1"]`` (symbols may be replaced)."""
        limits = ((ge, self.ge), (">", self.gt), (le, self.le))
        return [f"{symbol} {limit:g}" for symbol, limit in limits if limit is not None]


@dataclass(frozen=True)
class TableSpec:
    """A table of the dataset: its row model, key and whether a dataset must have it."""

    name: str
    model: type[BaseModel]
    key: tuple[str, ...]
    required: bool
    extra_columns: bool = False


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("territories", Territory, ("id",), True),
        TableSpec("adjacency", Adjacency, ("a", "b"), True),
        TableSpec("channels", Channel, ("id",), True),
        TableSpec("accounts", Account, ("id",), True, extra_columns=True),
        TableSpec("reps", Rep, ("id",), True),
        TableSpec("partners", Partner, ("id",), False),
        TableSpec("coverage", Coverage, ("partner", "territory"), False),
        TableSpec("budgets", Budget, ("category",), True),
        TableSpec("response_overrides", ResponseOverride, ("territory", "channel"), False),
        TableSpec("actuals", Actual, (), False),
    )
}


def _kind_and_choices(annotation: Any) -> tuple[ColumnKind, tuple[str, ...], bool]:
    args = get_args(annotation)
    nullable = type(None) in args
    if nullable:
        (annotation,) = [arg for arg in args if arg is not type(None)]
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "enum", tuple(member.value for member in annotation), nullable
    if get_origin(annotation) is Literal:
        return "enum", tuple(str(arg) for arg in get_args(annotation)), nullable
    kinds: dict[Any, ColumnKind] = {str: "string", float: "number", int: "integer", bool: "boolean"}
    return kinds[annotation], (), nullable


def _column(name: str, field: FieldInfo) -> ColumnSpec:
    kind, choices, nullable = _kind_and_choices(field.annotation)
    bounds: dict[str, float] = {}
    for item in field.metadata:
        for attr, cls in (
            ("ge", annotated_types.Ge),
            ("gt", annotated_types.Gt),
            ("le", annotated_types.Le),
        ):
            if isinstance(item, cls):
                bounds[attr] = float(getattr(item, attr))
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    unit = extra.get("unit")
    return ColumnSpec(
        name=name,
        kind=kind,
        required=field.is_required(),
        nullable=nullable,
        default=None if field.is_required() else field.default,
        choices=choices,
        unit=str(unit) if unit is not None else None,
        description=field.description or "",
        **bounds,
    )


def columns_of(model: type[BaseModel]) -> tuple[ColumnSpec, ...]:
    """The column specs of a row model, in declaration order."""
    return tuple(_column(name, field) for name, field in model.model_fields.items())
