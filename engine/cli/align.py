"""``salesnet align``: draw territories (``salesnet align UNITS.csv ...``) or check them.

Exit codes: 0 done (or check passed), 1 invalid input, infeasible alignment or failed check (the
message says which file/row or which activity and why), 2 usage error.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from engine.align import align as run_alignment
from engine.align import check_alignment, prepare_inputs
from engine.align.api import UNIT_WEIGHT, weights
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


def _bounds(values: tuple[str, ...]) -> dict[str, tuple[float, float]] | None:
    result = {}
    for value in values:
        name, _, band = value.partition("=")
        low, _, high = band.partition(":")
        try:
            pair = (float(low), float(high))
        except ValueError:
            pair = (math.nan, math.nan)
        if not name.strip() or not all(math.isfinite(v) for v in pair):
            raise click.BadParameter(f"use ACTIVITY=LOW:HIGH, got {value!r}", param_hint="--bounds")
        result[name.strip()] = pair
    return result or None


class _Limit(click.ParamType):
    """A finite number ≥ 0 (an ε-limit)."""

    name = "number"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and number >= 0):
            self.fail(f"{value!r} is not a finite number >= 0", param, ctx)
        return number


_LIMIT = _Limit()


def _tables(
    units: str,
    adjacency: str,
    centres: str | None,
    distances: str | None,
    current: str | None,
    locks: str | None,
) -> dict[str, Any]:
    """Read the input tables both commands take, plus ``names``: the file each came from."""
    paths = {
        "units": units,
        "adjacency": adjacency,
        "centres": centres,
        "distances": distances,
        "current": current,
        "locks": locks,
    }
    tables: dict[str, Any] = {key: read_table(p) if p else None for key, p in paths.items()}
    tables["names"] = {key: str(path) for key, path in paths.items() if path}
    return tables


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
            help="±share of the mean per territory, e.g. 0.05, or ACTIVITY=0.05 (repeat). "
            "Districting papers quote the total deviation: their 1 % is 0.005 here.",
        ),
        click.option(
            "--bounds",
            multiple=True,
            help="Explicit band per territory, ACTIVITY=LOW:HIGH (repeat; replaces --tolerance "
            "for that activity).",
        ),
        click.option(
            "--distances",
            type=click.Path(dir_okay=False),
            help="CSV unit, rep, distance replacing graph distances (count mode: unit, centre, "
            "distance).",
        ),
        click.option(
            "--metric",
            type=click.Choice(["graph", "straight"]),
            default="graph",
            show_default=True,
            help="Without --distances: along shared borders (graph) or straight-line between "
            "centroids (great-circle from lat/lon, else Euclidean from x/y).",
        ),
        click.option(
            "--weight",
            "compactness_weight",
            default=None,
            help=f"Activity weighing compactness (default: primary; '{UNIT_WEIGHT}': plain sum).",
        ),
        click.option(
            "--disruption-weight",
            default=UNIT_WEIGHT,
            show_default=True,
            help=f"Activity weighing each unit that changes rep ('{UNIT_WEIGHT}': count units).",
        ),
        click.option(
            "--distance-power",
            type=click.Choice(["1", "2"]),
            default="1",
            show_default=True,
            help="2: squared distances (Hess's moment of inertia).",
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
    "--objective",
    type=click.Choice(["compactness", "cut_edges", "disruption"]),
    default="compactness",
    show_default=True,
)
@click.option("--max-cut-edges", type=_LIMIT, help="ε-limit on cut edges.")
@click.option("--max-disruption", type=_LIMIT, help="ε-limit on disruption.")
@click.option("--max-compactness", type=_LIMIT, help="ε-limit on compactness.")
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
    bounds: tuple[str, ...],
    distances: str | None,
    metric: str,
    compactness_weight: str | None,
    disruption_weight: str,
    distance_power: str,
    objective: str,
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
        **_tables(units, adjacency, centres, distances, current, locks),
        count=count,
        activities=activities or None,
        tolerance=_tolerance(tolerance),
        bounds=_bounds(bounds),
        metric=metric,  # type: ignore[arg-type]
        objective=objective,  # type: ignore[arg-type]
        compactness_weight=compactness_weight,
        disruption_weight=disruption_weight,
        distance_power=int(distance_power),  # type: ignore[arg-type]
        max_compactness=max_compactness,
        max_cut_edges=max_cut_edges,
        max_disruption=max_disruption,
        contiguity=contiguity,
        contiguity_method=contiguity_method,  # type: ignore[arg-type]
        settings=settings,
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
    bounds: tuple[str, ...],
    distances: str | None,
    metric: str,
    compactness_weight: str | None,
    disruption_weight: str,
    distance_power: str,
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
        **_tables(units, adjacency, centres, distances, current, locks),
        count=None if centres else count,
        activities=activities or None,
        tolerance=_tolerance(tolerance),
        bounds=_bounds(bounds),
        metric=metric,  # type: ignore[arg-type]
    )
    verdict = check_alignment(
        inputs,
        table,
        contiguity=contiguity,
        compactness_weight=weights(inputs, compactness_weight),
        disruption_weight=weights(inputs, disruption_weight),
        distance_power=int(distance_power),
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
