"""``salesnet data import``: CRM exports (Zoho CRM, Fxiaoke) into a dataset folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from engine.crm import PRESETS, REPORT_NAME, import_crm

__all__ = ["import_"]


@click.command(name="import")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--into",
    "into",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset folder to merge into (territories, channels, budgets come from it).",
)
@click.option(
    "--preset", type=click.Choice(sorted(PRESETS)), help="Shipped mapping of a CRM's exports."
)
@click.option(
    "--mapping",
    "mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Mapping file (YAML); overrides --preset or its own `extends:`.",
)
@click.option(
    "--territories",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Lookup CSV: territory + any of country, state, county, city, postcode.",
)
@click.option(
    "--window-months",
    default=12,
    show_default=True,
    type=click.IntRange(min=1),
    help="Revenue window of won deals (growth compares it with the window before).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="End of the window, YYYY-MM-DD (default: the latest won close date).",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Where to write the report (default: INTO/{REPORT_NAME}).",
)
def import_(
    files: tuple[str, ...],
    into: Path,
    preset: str | None,
    mapping: Path | None,
    territories: Path | None,
    window_months: int,
    as_of: dt.datetime | None,
    report: Path | None,
) -> None:
    """Import CRM export FILES (CSV, XLSX or API JSON) into the dataset folder INTO.

    Each file's module (Accounts, Deals, Users, ...) is detected from its columns; write
    MODULE=FILE to name it. Writes accounts, reps, partners/coverage and actuals (won deals),
    validates the result, and reports every row or value that was not imported as is.
    """
    result = import_crm(
        files,
        into=into,
        preset=preset,
        mapping=mapping,
        territories=territories,
        window_months=window_months,
        as_of=as_of,
        report_path=report,
    )
    for file, module, shape, records in result.files:
        click.echo(f"read {file}: {module} ({shape}, {records} records)")
    counts = result.conversion.counts
    as_of = result.conversion.as_of
    window = (
        f"{counts['won deals in window']} won in the {window_months} months to {as_of:%Y-%m-%d}"
        if as_of is not None
        else "no won deal"
    )
    click.echo(
        f"imported {counts['accounts']} of {counts['account records']} accounts, "
        f"{counts['reps']} reps, {counts['partners']} partners, {counts['deals']} deals "
        f"({window})"
    )
    click.echo(f"report: {len(result.report)} finding(s) in {result.report_path}")
    for warning in result.dataset.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"ok: {result.dataset.manifest.name} validated ({into})")
