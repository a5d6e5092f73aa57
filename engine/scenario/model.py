"""The scenario file: pydantic models (unknown keys rejected) that also give its JSON Schema.

A scenario names a dataset, rule files and the optimizer's settings (objective, model knobs,
solver), and changes the data with overrides; ``extends`` inherits from another scenario file;
``sweep`` expands a grid of values into named variants.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.data.schema import TABLES
from engine.optimize.settings import OptimizeSettings

__all__ = ["Override", "RuleFiles", "ScenarioFile", "SweepParameter"]

TableName = Literal[
    "territories", "adjacency", "channels", "accounts", "reps", "partners", "coverage",
    "budgets", "response_overrides", "actuals",
]  # fmt: skip
assert set(TableName.__args__) == set(TABLES)  # type: ignore[attr-defined]

Cell = str | int | float | bool | None | list[str | int | float | bool | None]
Value = float | int | str | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleFiles(_Strict):
    """Rule files, each a path relative to the scenario file that names it."""

    tiering: str | None = Field(None, description="Decision table(s) that tier accounts.")
    incentives: str | None = Field(None, description="Incentive plans.")
    risk: str | None = Field(None, description="Risk response rules.")
    incentive_plans: dict[str, str] = Field(
        default_factory=dict,
        description="Channel id → incentive plan id whose cost curve the optimizer uses.",
        examples=[{"FIELD": "field_ae", "INSIDE": "inside_sales"}],
    )
    incentive_treatment: Literal["conservative", "envelope", "exact"] = Field(
        "conservative",
        description="How a non-convex plan is modelled: a line above its cost (conservative: "
        "budgets hold at the exact cost), its greatest convex minorant (envelope: optimistic), "
        "or the curve itself with one binary per piece (exact).",
    )


class Override(_Strict):
    """Select rows of a table by condition and change them: set, scale, add to, or drop."""

    table: TableName = Field(description="The table whose rows change.")
    where: dict[str, Cell] = Field(
        default_factory=dict,
        description="Column → condition in the rules' grammar (ANDed); empty selects every row. "
        "A selector that matches no row is an error.",
        examples=[{"region": '"IL", "IN"'}, {"id": "P007"}, {"potential": ">= 1e6"}],
    )
    set: dict[str, Value] | None = Field(None, description="Column → new value.")
    scale: dict[str, float] | None = Field(None, description="Column → factor.")
    add: dict[str, float] | None = Field(None, description="Column → amount added.")
    drop: bool = Field(
        False, description="Remove the selected rows (and rows that reference them)."
    )
    note: str = Field("", description="Why: shown in the plan's provenance.")

    @model_validator(mode="after")
    def _one_action(self) -> Override:
        actions = [self.set, self.scale, self.add]
        count = sum(action is not None for action in actions) + int(self.drop)
        if count != 1:
            raise ValueError("give exactly one of set, scale, add or drop: true")
        return self


class SweepParameter(_Strict):
    """One axis of a sweep: the variants take each value in turn (grids multiply)."""

    parameter: str = Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Name used in the variants' names."
    )
    table: TableName = Field(description="Table to change.")
    where: dict[str, Cell] = Field(default_factory=dict, description="Rows to change.")
    column: str = Field(description="Column to change.")
    action: Literal["set", "scale", "add"] = Field("set", description="How each value applies.")
    values: list[Value] = Field(min_length=1, description="The values, one variant each.")

    @model_validator(mode="after")
    def _numbers_to_scale_or_add(self) -> SweepParameter:
        if self.action != "set":
            for value in self.values:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"{self.action} takes numbers; got {value!r}")
        labels = [value_label(value) for value in self.values]
        if len(set(labels)) != len(labels):
            raise ValueError(f"values must give distinct variant names; got {labels}")
        return self


def value_label(value: Value) -> str:
    """How a sweep value appears in a variant's name (``2000000.0`` → ``2000000``)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("/", "_").replace(" ", "_")


class ScenarioFile(_Strict):
    """A scenario as written in ``scenarios/*.yaml``."""

    name: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.=-]*$", description="Defaults to the file name."
    )
    description: str = Field("", description="One line: what this scenario asks.")
    extends: str | None = Field(None, description="Scenario file this one starts from.")
    dataset: str | None = Field(
        None, description="Dataset folder relative to this file, or `demo` for the shipped demo."
    )
    rules: RuleFiles = Field(default_factory=RuleFiles)
    as_of: dt.date | None = Field(None, description="Date rules' effective dates are checked at.")
    optimize: OptimizeSettings = Field(
        default_factory=OptimizeSettings,
        description="Objective, model knobs and solver settings of the allocation optimizer.",
    )
    overrides: list[Override] = Field(default_factory=list, description="Applied in order.")
    sweep: list[SweepParameter] = Field(
        default_factory=list, description="Axes of a grid of variants (cross product)."
    )
