"""``salesnet plan SCENARIO.yaml [--out DIR]``: solve the allocation plan of a scenario.

The scenario goes through the scenario layer (:mod:`engine.scenario`: extends, overrides) and the
pipeline (:mod:`engine.pipeline`: rules → inputs → solve → outputs); a sweep is a job for
``salesnet batch``.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.errors import ScenarioError
from engine.pipeline import check_output_folder, plan_scenario, write_outputs
from engine.plan.io import summary
from engine.scenario.resolve import resolve_file

__all__ = ["plan"]


@click.command("plan")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for plan.json, the tables (CSV), the workbook and the report; default: none.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Override the scenario's solver time limit (seconds).",
)
def plan(scenario: Path, out: Path | None, time_limit: float | None) -> None:
    """Recommend reps, budgets and partners for SCENARIO and print a summary."""
    resolved = resolve_file(scenario)
    if len(resolved) != 1:
        raise ScenarioError(
            f"the file defines {len(resolved)} variants (a sweep): run it with `salesnet batch`",
            file=str(scenario),
        )
    if out is not None:
        check_output_folder(out)  # before solving: a refused folder must not cost a solve
    result, inputs = plan_scenario(resolved[0], time_limit=time_limit)
    click.echo(summary(result, inputs.network.dataset.manifest.currency), nl=False)
    if out is not None:
        written = write_outputs(result, resolved[0].dataset, out)
        click.echo(f"wrote {len(written)} files to {out}", err=True)
    if not result.has_solution:
        raise click.exceptions.Exit(1)
