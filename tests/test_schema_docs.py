"""The dataset schema is the single source of truth: the README section is generated from it."""

from __future__ import annotations

from pathlib import Path

from engine.data.docs import END, START, dataset_reference
from engine.data.schema import TABLES, Channel, Rep, columns_of

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_dataset_reference_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert section == dataset_reference(), "run: python -m engine.data.docs README.md"


def test_column_specs_come_from_the_models() -> None:
    specs = {spec.name: spec for spec in columns_of(Rep)}
    assert specs["id"].required and specs["id"].kind == "string"
    assert specs["capacity_hours"].ge == 0 and specs["capacity_hours"].unit == "hours"
    assert specs["status"].kind == "enum" and specs["status"].choices == ("active", "open")
    assert specs["territory"].nullable and not specs["territory"].required
    channel = {spec.name: spec for spec in columns_of(Channel)}
    assert channel["kind"].choices == ("direct_field", "inside", "distributor", "agent", "online")
    assert channel["margin"].expected() == "a number >= 0 and <= 1"


def test_every_table_has_a_key_or_says_why_not() -> None:
    assert {name for name, spec in TABLES.items() if not spec.key} == {"actuals"}
    assert {name for name, spec in TABLES.items() if spec.required} == {
        "territories", "adjacency", "channels", "accounts", "reps", "budgets",
    }  # fmt: skip
