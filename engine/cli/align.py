"""``salesnet align``: draw territories (``salesnet align UNITS.csv ...``) or check them.

Exit codes: 0 done (or check passed), 1 invalid input, infeasible alignment or failed check (the
message says which file/row or which activity and why), 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pandas as pd

from engine.align import align as run_alignment
from engine.align import check_alignment, prepare_inputs
from engine.align.api import UNIT_WEIGHT
from engine.align.io import read_table, write_alignment
from engine.errors import DataError, DataIssue
from engine.solver import SolverSettings

__all__ = ["align"]


class AlignGroup(click.Group):
    """A group whose first argument is a subcommand (``check``) or else the default ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _tolerance(values: tuple[str, ...]) -> float | dict[str, float]:
    if not values:
        return 0.05
    plain = [v for v in values if "=" not in v]
    named = dict(v.split("=", 1) for v in values if "=" in v)
    try:
        if plain and not named and len(plain) == 1:
            return float(plain[0])
        if not plain:
            return {key.strip(): float(value) for key, value in named.items()}
    except ValueError:
        pass
    raise click.BadParameter(
        "use one number (0.05) or ACTIVITY=NUMBER pairs", param_hint="--tolerance"
    )


def _optional(path: str | None) -> pd.DataFrame | None:
    return read_table(path) if path else None


def _names(**paths: str | None) -> dict[str, str]:
    return {key: str(value) for key, value in paths.items() if value}


def _shared(function: Any) -> Any:
    options = [
        click.argument("units", type=click.Path(dir_okay=False)),
        click.option(
            "--adjacency",
            required=True,
            type=click.Path(dir_okay=False),
            help="CSV with columns a, b (one row per border).",
        ),
        click.option(
            "--centres",
            type=click.Path(dir_okay=False),
            help="CSV rep, unit: each rep's home unit.",
        ),
        click.option("--count", type=click.IntRange(min=1), help="Number of territories to form."),
        click.option("--current", type=click.Path(dir_okay=False), help="CSV unit, rep: today."),
        click.option(
            "--locks", type=click.Path(dir_okay=False), help="CSV unit, rep: fixed units."
        ),
        click.option(
            "--activity",
            "activities",
            multiple=True,
            help="Activity column to balance (repeat; first = primary). Default: all.",
        ),
        click.option(
            "--tolerance",
            multiple=True,
            help="±share of the mean, e.g. 0.05, or ACTIVITY=0.05 (repeat).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(cls=AlignGroup)
def align() -> None:
    """Territory alignment: contiguous, balanced, compact rep territories.

    salesnet align UNITS.csv --adjacency ADJ.csv (--centres C.csv | --count K) [options]

    salesnet align check UNITS.csv --adjacency ADJ.csv --assignment A.csv [options]
    """


@align.command("run")
@_shared
@click.option(
    "--distances",
    type=click.Path(dir_okay=False),
    help="CSV unit, rep, distance replacing graph distances (count mode: unit, centre, distance).",
)
@click.option(
    "--objective",
    type=click.Choice(["compactness", "cut_edges", "disruption"]),
    default="compactness",
    show_default=True,
)
@click.option(
    "--weight",
    "compactness_weight",
    default=None,
    help=f"Activity weighing compactness (default: primary; '{UNIT_WEIGHT}': plain sum).",
)
@click.option("--max-cut-edges", type=float, help="ε-limit on cut edges.")
@click.option("--max-disruption", type=float, help="ε-limit on disruption.")
@click.option("--max-compactness", type=float, help="ε-limit on compactness.")
@click.option("--contiguity/--no-contiguity", default=True, show_default=True)
@click.option(
    "--method",
    "contiguity_method",
    type=click.Choice(["hybrid", "sp", "cuts", "flow"]),
    default="hybrid",
    show_default=True,
    help="Contiguity: hybrid (SP-contiguous start + exact bound; default), sp (SP-contiguous "
    "territories only, gap vs exact), flow or lazy separator cuts (plain exact models).",
)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True)
@click.option("--gap", type=click.FloatRange(min=0.0), default=1e-4, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="out/align", show_default=True)
def run(
    units: str,
    adjacency: str,
    centres: str | None,
    count: int | None,
    current: str | None,
    locks: str | None,
    activities: tuple[str, ...],
    tolerance: tuple[str, ...],
    distances: str | None,
    objective: str,
    compactness_weight: str | None,
    max_cut_edges: float | None,
    max_disruption: float | None,
    max_compactness: float | None,
    contiguity: bool,
    contiguity_method: str,
    time_limit: float,
    gap: float,
    threads: int | None,
    seed: int,
    out: str,
) -> None:
    """Draw territories and write assignment.csv, territories.csv and alignment.json to --out."""
    if (centres is None) == (count is None):
        raise click.UsageError("give exactly one of --centres and --count")
    settings = SolverSettings(time_limit=time_limit, mip_gap=gap, threads=threads, random_seed=seed)
    result = run_alignment(
        read_table(units),
        read_table(adjacency),
        centres=_optional(centres),
        count=count,
        distances=_optional(distances),
        current=_optional(current),
        locks=_optional(locks),
        activities=activities or None,
        tolerance=_tolerance(tolerance),
        objective=objective,  # type: ignore[arg-type]
        compactness_weight=compactness_weight,
        max_compactness=max_compactness,
        max_cut_edges=max_cut_edges,
        max_disruption=max_disruption,
        contiguity=contiguity,
        contiguity_method=contiguity_method,  # type: ignore[arg-type]
        settings=settings,
        names=_names(
            units=units,
            adjacency=adjacency,
            centres=centres,
            distances=distances,
            current=current,
            locks=locks,
        ),
    )
    paths = write_alignment(result, out)
    click.echo(f"{result.report.summary()}")
    values = ", ".join(
        f"{k} {v:.6g}" for k, v in sorted(result.objectives.items()) if v is not None
    )
    click.echo(f"objectives: {values}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo("wrote " + ", ".join(str(p) for p in paths))


@align.command("check")
@_shared
@click.option(
    "--assignment",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV unit, rep (optional centre) to verify.",
)
@click.option("--contiguity/--no-contiguity", default=True, show_default=True)
def check(
    units: str,
    adjacency: str,
    centres: str | None,
    count: int | None,
    current: str | None,
    locks: str | None,
    activities: tuple[str, ...],
    tolerance: tuple[str, ...],
    assignment: str,
    contiguity: bool,
) -> None:
    """Verify an alignment: coverage, balance, contiguity; print the three objectives."""
    table = read_table(assignment)
    if centres is None and count is None:
        if "rep" not in table.columns:
            raise DataError([DataIssue(assignment, "a column 'rep'", 1, "rep")])
        count = int(table["rep"].nunique())
    inputs = prepare_inputs(
        read_table(units),
        read_table(adjacency),
        centres=_optional(centres),
        count=None if centres else count,
        current=_optional(current),
        locks=_optional(locks),
        activities=activities or None,
        tolerance=_tolerance(tolerance),
        names=_names(
            units=units, adjacency=adjacency, centres=centres, current=current, locks=locks
        ),
    )
    verdict = check_alignment(
        inputs, table, contiguity=contiguity, compactness_weight=inputs.activity[:, 0]
    )
    for key in sorted(verdict.objectives):
        value = verdict.objectives[key]
        click.echo(f"{key}: {'n/a' if value is None else f'{value:.6g}'}")
    if verdict.ok:
        click.echo(f"ok: {len(verdict.territories)} territories, all checks passed")
        return
    for problem in verdict.problems:
        click.echo(f"problem: {problem}", err=True)
    raise click.exceptions.Exit(1)


def output_files(directory: str) -> list[Path]:
    """The files ``run`` writes into ``directory``."""
    return [
        Path(directory) / name for name in ("assignment.csv", "territories.csv", "alignment.json")
    ]
