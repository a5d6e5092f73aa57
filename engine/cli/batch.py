"""``salesnet batch``: many scenarios in parallel, isolated, resumable, with a summary table."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import click

from engine.batch import BatchJob, JobOutcome, run_batch
from engine.data.dataset import Dataset
from engine.errors import SalesnetError
from engine.pipeline import OUTPUT_FORMATS, BrokenScenario, batch_job
from engine.scenario import expand_sweep, load_scenario
from engine.scenario.resolve import content_hash, load_base, rule_hashes

__all__ = ["batch"]

#: Share of the hard per-scenario limit given to the solver, so it can stop and report in time.
SOLVER_SHARE = 0.8


def _broken(file: Path, error: SalesnetError) -> BatchJob:
    """A job for a scenario file that cannot even be read: it fails with the file's error."""
    key = hashlib.sha256(f"{file}\n{error}".encode()).hexdigest()
    return BatchJob(file.stem, key, BrokenScenario(str(error)))


def _jobs(
    files: tuple[Path, ...], hard_limit: float | None, formats: tuple[str, ...]
) -> list[BatchJob]:
    cache: dict[str, Dataset] = {}
    jobs = []
    for file in files:
        try:
            spec = load_scenario(file)
            rules = rule_hashes(spec)
            variants = [(variant, load_base(variant, cache)) for variant in expand_sweep(spec)]
        except SalesnetError as error:  # one unreadable file must not stop the batch
            jobs.append(_broken(file, error))
            continue
        for variant, base in variants:
            key = content_hash(variant, base, rules)
            limit = variant.optimize.solver.time_limit
            if hard_limit is not None:
                cap = SOLVER_SHARE * hard_limit
                limit = cap if limit is None else min(limit, cap)
            payload = (variant, base, rules, key, limit, formats)
            jobs.append(BatchJob(variant.name, key, payload))
    return jobs


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
    help="Hard limit per scenario in seconds: the job is killed past it (the solver gets 80 %).",
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
    run. Exit code 1 when any scenario failed.
    """
    jobs = _jobs(scenarios, time_limit, formats or ("json", "csv"))
    click.echo(f"{len(jobs)} scenario(s), {workers} worker(s), executor {executor}", err=True)
    with click.progressbar(length=len(jobs), label="planning", file=sys.stderr) as bar:

        def progress(outcome: JobOutcome) -> None:
            bar.update(1)
            if outcome.status not in ("done", "skipped"):
                click.echo(f"\n{outcome.name}: {outcome.status}: {outcome.message}", err=True)

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
