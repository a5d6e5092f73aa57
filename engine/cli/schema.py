"""``salesnet schema``: JSON Schemas of rule, scenario and dataset files, from pydantic models.

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
from engine.crm import mapping_schema
from engine.data.dataset import DatasetManifest
from engine.rules.incentives import IncentiveFile
from engine.rules.risk import RiskFile
from engine.rules.tables import DecisionTable, DecisionTableSet
from engine.scenario.model import ScenarioFile

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
        "incentives.schema.json": (
            IncentiveFile.model_json_schema(),
            "salesnet incentive plan file",
            "Commission, rebate and MDF plans (kind: incentive_plans).",
        ),
        "risk.schema.json": (
            RiskFile.model_json_schema(),
            "salesnet risk response file",
            "Risk rules and their responses (kind: risk_responses).",
        ),
        "scenario.schema.json": (
            ScenarioFile.model_json_schema(),
            "salesnet scenario file",
            "A what-if scenario: dataset, rules, objective, solver, overrides, sweep.",
        ),
        "crm-mapping.schema.json": (
            mapping_schema(),
            "salesnet CRM import mapping",
            "Maps a CRM export's columns and values onto salesnet tables.",
        ),
        "dataset.schema.json": (
            DatasetManifest.model_json_schema(),
            "salesnet dataset manifest (dataset.yaml)",
            "Names the dataset and which file holds which table.",
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
    """Write JSON Schemas of rule, scenario, dataset and CRM mapping files, for editors."""
    folder = Path(out_dir)
    for name, body in sorted(rule_schemas().items()):
        write_text_atomic(folder / name, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        click.echo(str(folder / name))
