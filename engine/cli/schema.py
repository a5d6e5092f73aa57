"""``salesnet schema``: JSON Schemas of the rule files, generated from their pydantic models.

Point an editor at them (e.g. a first line
``# yaml-language-server: $schema=schemas/decision-tables.schema.json`` in a rule file)
to get validation and completion while editing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter

from engine.atomic import write_text_atomic
from engine.rules.tables import DecisionTable, DecisionTableSet

__all__ = ["rule_schemas", "schema"]


def rule_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema of every rule file kind this package reads."""
    tables: TypeAdapter[Any] = TypeAdapter(DecisionTable | DecisionTableSet)
    schemas = {
        "decision-tables.schema.json": (
            tables.json_schema(),
            "salesnet decision table file",
            "A decision table (kind: decision_table) or a chain of them (kind: decision_tables).",
        ),
    }
    result = {}
    for name, (body, title, description) in schemas.items():
        result[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": name,
            "title": title,
            "description": description,
            **body,
        }
    return result


@click.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the *.schema.json files to (created if needed).",
)
def schema(out_dir: str) -> None:
    """Write JSON Schemas of the rule files to a folder, for editor validation and completion."""
    folder = Path(out_dir)
    for name, body in sorted(rule_schemas().items()):
        write_text_atomic(folder / name, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        click.echo(str(folder / name))
