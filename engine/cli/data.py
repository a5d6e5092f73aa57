"""``salesnet data``: validate, describe and generate datasets."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.data.dataset import Dataset, load_dataset
from engine.data.write import write_dataset
from engine.demo import DEMO_NAME, demo_path
from engine.demo.generate import GeneratorSettings, generate_dataset
from engine.network import Network


def resolve_dataset_path(path: str) -> Path:
    """``demo`` names the shipped demo dataset unless a file or folder of that name exists."""
    if path == DEMO_NAME and not Path(path).exists():
        return demo_path()
    return Path(path)


def _load(path: str) -> Dataset:
    return load_dataset(resolve_dataset_path(path))


@click.group()
def data() -> None:
    """Validate, describe and generate datasets."""


@data.command()
@click.argument("path")
def validate(path: str) -> None:
    """Check the dataset in folder PATH (or `demo`); exit 1 with every problem found."""
    dataset = _load(path)
    for warning in dataset.warnings:
        click.echo(f"warning: {warning}", err=True)
    counts = ", ".join(f"{len(frame)} {name}" for name, frame in sorted(dataset.frames.items()))
    click.echo(f"ok: {dataset.manifest.name} ({counts})")


@data.command()
@click.argument("path")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def describe(path: str, as_json: bool) -> None:
    """Counts, totals and graph statistics of the dataset in PATH (or `demo`)."""
    network = Network.from_dataset(_load(path))
    summary = network.describe()
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {_number(v)}" for k, v in value.items())
        click.echo(f"{key.replace('_', ' '):<{width}}  {_number(value)}")


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@data.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--states", required=True, help="Comma-separated US state codes, or L48.")
@click.option("--accounts", default=20_000, show_default=True, type=click.IntRange(min=1))
@click.option("--reps", type=click.IntRange(min=1), help="Default: one per ~4.7 counties.")
@click.option("--partners", type=click.IntRange(min=1), help="Default: one per ~9.4 counties.")
@click.option("--seed", default=7, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--period", default="2027-Q1", show_default=True, help="Quarter of the actuals (2027-Q1)."
)
@click.option("--name", help="Dataset name (default: us-<states>).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
def generate(
    out: Path,
    states: str,
    accounts: int,
    reps: int | None,
    partners: int | None,
    seed: int,
    period: str,
    name: str | None,
    fmt: str,
) -> None:
    """Generate a seeded synthetic network on real US counties into folder OUT."""
    codes = tuple(code.strip().upper() for code in states.split(",") if code.strip())
    if not codes:
        raise click.BadParameter(
            "give at least one state code, e.g. TX,OK or L48", param_hint="--states"
        )
    settings = GeneratorSettings(
        states=codes,
        accounts=accounts,
        reps=reps,
        partners=partners,
        seed=seed,
        period=period,
        name=name,
    )
    dataset = generate_dataset(settings)
    manifest = write_dataset(dataset, out, fmt="parquet" if fmt == "parquet" else "csv")
    click.echo(
        f"wrote {manifest}: {len(dataset.frames['territories'])} territories, "
        f"{len(dataset.frames['accounts'])} accounts, {len(dataset.frames['reps'])} reps, "
        f"{len(dataset.frames['partners'])} partners"
    )


def _attach_import() -> None:
    from engine.cli.data_import import import_

    data.add_command(import_)


_attach_import()
