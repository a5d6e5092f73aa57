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

__all__ = ["KINDS", "rule_schemas", "schema"]


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
            **{k: v for k, v in body.items() if k not in ("title", "description")},
        }
    return result


#: The file kinds, as ``salesnet schema KIND`` names them (``KIND.schema.json``).
KINDS = ("crm-mapping", "dataset", "decision-tables", "incentives", "risk", "scenario")


@click.command()
@click.argument("kind", required=False, type=click.Choice(KINDS))
@click.option(
    "--out",
    "out_dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder to write the *.schema.json files to (created if needed).",
)
def schema(kind: str | None, out_dir: str | None) -> None:
    """JSON Schemas of rule, scenario, dataset and CRM mapping files, for editors.

    salesnet schema                  # the kinds
    salesnet schema scenario         # one schema, printed
    salesnet schema --out schemas/   # every schema (or KIND's) written to a folder
    """
    schemas = rule_schemas()
    chosen = {n: b for n, b in schemas.items() if kind is None or n == f"{kind}.schema.json"}
    if out_dir is not None:
        folder = Path(out_dir)
        for name, body in sorted(chosen.items()):
            write_text_atomic(folder / name, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
            click.echo(str(folder / name))
    elif kind is not None:
        (body,) = chosen.values()
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        for name, body in sorted(schemas.items()):
            click.echo(f"{name.removesuffix('.schema.json'):<16} {body['description']}")
        click.echo("salesnet schema KIND prints one; --out DIR writes them as KIND.schema.json")
