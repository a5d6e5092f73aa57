"""``salesnet batch``: many scenarios in parallel, isolated, resumable, with a summary table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from engine.batch import JobOutcome, run_batch
from engine.pipeline import OUTPUT_FORMATS, batch_job, scenario_jobs, thread_cap

__all__ = ["batch"]


@click.command()
@click.argument(
    "scenarios",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Results folder."
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=1),
    help="Hard limit per scenario in seconds: the job is killed past it. The solver gets it less "
    "a reserve for rules and outputs (a fifth, at least 8 s, at most half); a scenario's own, "
    "lower time limit stays.",
)
@click.option(
    "--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True
)
@click.option(
    "--scheduler",
    help="Dask scheduler address (default: DASK_SCHEDULER_ADDRESS, else a local cluster).",
)
@click.option(
    "--resume/--no-resume",
    default=True,
    show_default=True,
    help="Skip scenarios whose result is done.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(OUTPUT_FORMATS),
    help="Outputs per scenario (repeat; default json, csv).",
)
def batch(
    scenarios: tuple[Path, ...],
    out: Path,
    workers: int,
    time_limit: float | None,
    executor: str,
    scheduler: str | None,
    resume: bool,
    formats: tuple[str, ...],
) -> None:
    """Run SCENARIOS (sweeps expanded) and write each plan to OUT/<scenario>/.

    A failing scenario is reported and the others finish; results appear atomically; a re-run
    skips scenarios whose inputs (content hash) already have a result. OUT/summary.csv lists every
    run, with its folder: a name that is not a safe folder name (a leading dot, odd characters,
    too long, summary.*) or that repeats gets a suffix. Exit code 1 when any scenario failed.
    """
    jobs = scenario_jobs(
        scenarios,
        time_limit=time_limit,
        formats=formats or ("json", "csv"),
        max_threads=thread_cap(workers, executor),
    )
    click.echo(f"{len(jobs)} scenario(s), {workers} worker(s), executor {executor}", err=True)
    with click.progressbar(length=len(jobs), label="planning", file=sys.stderr) as bar:

        def progress(outcome: JobOutcome) -> None:
            bar.update(1)
            if outcome.status not in ("done", "skipped"):
                name = outcome.name if outcome.name.isprintable() else repr(outcome.name)
                click.echo(f"\n{name}: {outcome.status}: {outcome.message}", err=True)

        result = run_batch(
            batch_job,
            jobs,
            out,
            workers=workers,
            timeout=time_limit,
            executor="dask" if executor == "dask" else "local",
            scheduler=scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS"),
            resume=resume,
            progress=progress,
        )
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    click.echo(
        ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + f"; summary: {out / 'summary.csv'}"
    )
    if result.failed:
        raise click.exceptions.Exit(1)
