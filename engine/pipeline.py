"""From a resolved scenario to a written plan: rules → model inputs → solve → outputs.

This is the data flow of DESIGN.md §2 end to end, one function per arrow: the scenario layer
resolves files into a dataset with overrides applied; :func:`scenario_inputs` runs the rule files
on it; :func:`plan_scenario` solves; :func:`write_outputs` writes the plan JSON, its tables, an
Excel workbook and an HTML report, each file atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from engine.batch import BatchJob, BatchResult, run_batch
from engine.data.dataset import Dataset
from engine.errors import OutputError, SalesnetError, ScenarioError
from engine.optimize.inputs import PlanningInputs
from engine.optimize.rule_inputs import rule_inputs
from engine.optimize.run import solve
from engine.plan.io import write_plan
from engine.plan.model import Plan
from engine.report import Report, bar_chart, point_map, write_excel, write_html
from engine.scenario import ResolvedScenario, expand_sweep, load_scenario
from engine.scenario.resolve import content_hash, load_base, resolve_variant, rule_hashes

__all__ = [
    "OUTPUT_FORMATS",
    "BrokenScenario",
    "batch_job",
    "check_output_folder",
    "plan_report",
    "plan_scenario",
    "run_scenarios",
    "scenario_inputs",
    "scenario_jobs",
    "solve_scenario",
    "write_outputs",
]

OUTPUT_FORMATS = ("json", "csv", "parquet", "xlsx", "html")


def _as_of(resolved: ResolvedScenario) -> dt.date:
    """The scenario's as-of date, else the start of the dataset's period (2027-Q1, 2027-06 or
    2027), never today: results must not depend on the day they are computed."""
    if resolved.spec.as_of is not None:
        return resolved.spec.as_of
    period = resolved.dataset.manifest.period
    for text, freq in ((period.replace("-", ""), "Q"), (period, "M"), (period, "Y")):
        try:
            return pd.Period(text, freq=freq).start_time.date()
        except ValueError:
            continue
    raise ScenarioError(
        f"the dataset's period {period!r} is not a quarter, month or year (2027-Q1, 2027-06, "
        "2027): give the date the rules apply at as `as_of:`",
        file=resolved.spec.file,
        key="as_of",
    )


def scenario_inputs(resolved: ResolvedScenario) -> PlanningInputs:
    """Run the scenario's rule files on its dataset: the optimizer's typed inputs."""
    spec = resolved.spec
    try:
        return rule_inputs(resolved.dataset, spec.rules, Path(spec.file).parent, _as_of(resolved))
    except ScenarioError as error:
        if error.file is not None:
            raise
        raise ScenarioError(error.message, file=spec.file, key=error.key, line=error.line) from None


def plan_scenario(
    resolved: ResolvedScenario, *, time_limit: float | None = None, max_threads: int | None = None
) -> tuple[Plan, PlanningInputs]:
    """Solve ``resolved``; ``time_limit`` (seconds) overrides the scenario's solver setting,
    ``max_threads`` caps its solver threads."""
    settings = resolved.spec.optimize
    update: dict[str, Any] = {}
    if time_limit is not None:
        update["time_limit"] = time_limit
    threads = settings.solver.threads
    if max_threads is not None and (threads is None or threads > max_threads):
        update["threads"] = max_threads
    if update:
        solver = settings.solver.model_copy(update=update)
        settings = settings.model_copy(update={"solver": solver})
    inputs = scenario_inputs(resolved)
    return solve(inputs, settings, name=resolved.name), inputs


def _with_region(frame: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    regions = dataset.territories.set_index("id")["region"]
    return frame.assign(region=frame["territory"].map(regions))


def plan_report(plan: Plan, dataset: Dataset) -> Report:
    """The plan as a report: KPIs, charts (revenue and spend by region and channel, headcount on
    a map of the territories) and every table."""
    tables = {name: plan.table(name) for name in sorted(plan.tables)}
    charts: list[tuple[str, str]] = []
    if "revenue" in tables and not tables["revenue"].empty:
        revenue = _with_region(tables["revenue"], dataset)
        charts.append(
            (
                "Revenue by region and channel",
                bar_chart(revenue, category="region", series="channel", value="revenue",
                          title="Revenue"),
            )
        )  # fmt: skip
        charts.append(
            (
                "Marketing spend by region and channel",
                bar_chart(revenue, category="region", series="channel", value="marketing",
                          title="Marketing spend"),
            )
        )  # fmt: skip
    if "assignments" in tables:
        territories = dataset.territories
        placed = tables["assignments"].groupby("territory").size()
        hired = (
            tables["hires"].groupby("territory")["hires"].sum()
            if "hires" in tables and not tables["hires"].empty
            else pd.Series(dtype=float)
        )
        heads = placed.add(hired, fill_value=0.0)
        frame = territories.assign(headcount=territories["id"].map(heads).fillna(0.0))
        charts.append(
            (
                "Headcount by territory (reps placed + hires)",
                point_map(frame, lat="lat", lon="lon", size="headcount", label="name",
                          title="Headcount"),
            )
        )  # fmt: skip
    solver = plan.solver
    notes = [plan.explanation.summary, *plan.explanation.notes]
    if solver.gap:
        notes.append(f"Solver: {solver.status}, gap {100 * solver.gap:.2f} % ({solver.solver} "
                     f"{solver.solver_version}).")  # fmt: skip
    kpis: dict[str, object] = {"status": plan.status, **plan.kpis}
    return Report(f"Plan: {plan.name}", kpis, tables, charts, [n for n in notes if n])


def write_outputs(
    plan: Plan,
    dataset: Dataset,
    folder: str | Path,
    *,
    formats: Sequence[str] = ("json", "csv", "xlsx", "html"),
) -> list[Path]:
    """Write the plan in ``formats`` (see :data:`OUTPUT_FORMATS`) into ``folder``.

    Files an earlier plan wrote there and this one does not (a table it no longer has, a format
    not asked for now) are removed afterwards, so the folder never mixes two plans; other files
    are left alone.
    """
    out = Path(folder)
    check_output_folder(out)
    earlier = _earlier_outputs(out)
    written: list[Path] = []
    if "json" in formats or "csv" in formats:
        written += write_plan(plan, out)
    if "parquet" in formats:
        from engine.atomic import atomic_path

        for name in sorted(plan.tables):
            with atomic_path(out / f"{name}.parquet") as tmp:
                plan.table(name).to_parquet(tmp, index=False)
            written.append(out / f"{name}.parquet")
    if "xlsx" in formats or "html" in formats:
        report = plan_report(plan, dataset)
        if "xlsx" in formats:
            written.append(write_excel(report, out / "plan.xlsx"))
        if "html" in formats:
            written.append(write_html(report, out / "report.html"))
    for stale in sorted(earlier - set(written)):
        stale.unlink(missing_ok=True)
    return written


def check_output_folder(folder: str | Path) -> None:
    """Refuse, before any work, a plan folder that is a file, holds a dataset (the plan's
    ``partners.csv`` or ``budgets.csv`` would replace the data's) or cannot be written."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(str(out), "is a file; expected a folder for the plan's files")
    if (out / "dataset.yaml").exists():
        raise OutputError(
            str(out),
            "holds a dataset (dataset.yaml): the plan's tables would overwrite its files; "
            "choose another --out folder",
        )
    existing = next((p for p in (out, *out.absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputError(str(out), f"cannot be created: {existing} is a file")
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(str(out), f"cannot be written: no write permission on {existing}")


def _earlier_outputs(out: Path) -> set[Path]:
    """Files an earlier :func:`write_outputs` left in ``out`` (tables named in its plan.json)."""
    fixed = {out / name for name in ("plan.json", "timings.json", "plan.xlsx", "report.html")}
    found = {path for path in fixed if path.is_file()}
    try:
        tables = json.loads((out / "plan.json").read_text(encoding="utf-8")).get("tables", {})
    except (OSError, ValueError, AttributeError):
        return found
    for name in tables if isinstance(tables, dict) else ():
        if isinstance(name, str) and name and Path(name).name == name:
            found |= {p for p in (out / f"{name}.csv", out / f"{name}.parquet") if p.is_file()}
    return found


#: KPIs copied into a batch's summary table, when the plan has them.
SUMMARY_KPIS = ("revenue", "contribution", "hires", "reps_moved", "partners_active", "coverage")


@dataclass(frozen=True)
class BrokenScenario:
    """The payload of a batch job whose scenario file could not be read: the job fails with it."""

    message: str


def batch_job(payload: tuple[Any, ...] | BrokenScenario, folder: Path) -> dict[str, Any]:
    """One batch job (run in a child process): resolve a variant, solve it, write its outputs.

    A variant without a plan (infeasible, or no answer within the time limit) fails the job —
    the batch exits 1 and a re-run tries it again — with its outputs and explanation kept in the
    job's ``.failed`` folder.

    ``payload`` is (variant spec, base dataset, rule hashes, key, solver time limit, formats,
    solver thread cap).
    """
    if isinstance(payload, BrokenScenario):
        raise SalesnetError(payload.message)
    variant, base, rules, key, time_limit, formats, threads = payload
    resolved = resolve_variant(variant, base, rules, key)
    plan, _ = plan_scenario(resolved, time_limit=time_limit, max_threads=threads)
    write_outputs(plan, resolved.dataset, folder, formats=formats)
    if not plan.has_solution:  # a failed job: a re-run tries again; its files are kept aside
        why = plan.explanation.summary or plan.solver.message
        raise SalesnetError(
            f"no plan ({plan.status})" + (f": {why}" if why else "")
            + "; the explanation is in the job's .failed folder"
        )  # fmt: skip
    row: dict[str, Any] = {
        "scenario": plan.name,
        "plan_status": plan.status,
        "gap": plan.solver.gap,
        "objective": plan.solver.objective,
    }
    row.update({name: plan.kpis[name] for name in SUMMARY_KPIS if name in plan.kpis})
    return row


def solver_cap(hard_limit: float) -> float:
    """The solver's time limit under a hard per-scenario limit: what is left after a reserve for
    the rules, the model build and writing the outputs — a fifth of the limit, at least 8 s, but
    never more than half (120 s → 96 s; 30 s → 22 s; 10 s → 5 s)."""
    reserve = min(max(0.2 * hard_limit, 8.0), 0.5 * hard_limit)
    return hard_limit - reserve


def thread_cap(workers: int, executor: str = "local") -> int | None:
    """Solver threads per job when ``workers`` jobs share this machine: its cores ÷ workers
    (None on Dask, whose workers are elsewhere). HiGHS' worker threads spin while they wait, so
    more threads than cores made each demo sweep job 5-7× slower (2 workers × 2 threads on 2
    cores: 22-31 s a job, not 4.5 s)."""
    if executor == "dask":
        return None
    affinity = getattr(os, "sched_getaffinity", None)  # the cores this process may use
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return max(1, cores // max(1, workers))


def _broken(file: Path, error: SalesnetError) -> BatchJob:
    """A job for a scenario file that cannot even be read: it fails with the file's error."""
    key = hashlib.sha256(f"{file}\n{error}".encode()).hexdigest()
    return BatchJob(file.stem, key, BrokenScenario(str(error)))


def scenario_jobs(
    files: Sequence[str | Path],
    *,
    time_limit: float | None = None,
    formats: Sequence[str] = ("json", "csv"),
    max_threads: int | None = None,
) -> list[BatchJob]:
    """One batch job per scenario variant of ``files`` (sweeps expanded).

    A job's key is the variant's content hash together with its effective solver time limit and
    the output formats, so a re-run with other limits or formats is not taken as done. A file that
    cannot be read becomes a job that fails with its error, so one bad file never stops a batch.
    ``time_limit`` is the hard per-scenario limit; it caps the solver's time limit
    (:func:`solver_cap`; a scenario's own, lower limit stays). ``max_threads`` caps each job's
    solver threads (not part of the key: a re-run with other workers resumes). Two variants with
    the same name (two files both named ``baseline``) are told apart by a suffix from their key.
    """
    cache: dict[str, Dataset] = {}
    jobs: list[BatchJob] = []
    for name in files:
        file = Path(name)
        try:
            spec = load_scenario(file)
            rules = rule_hashes(spec)
            variants = [(variant, load_base(variant, cache)) for variant in expand_sweep(spec)]
        except SalesnetError as error:
            jobs.append(_broken(file, error))
            continue
        for variant, base in variants:
            content = content_hash(variant, base, rules)
            limit = variant.optimize.solver.time_limit
            if time_limit is not None:
                cap = solver_cap(time_limit)
                limit = cap if limit is None else min(limit, cap)
            key = hashlib.sha256(f"{content}|{limit}|{','.join(formats)}".encode()).hexdigest()
            payload = (variant, base, rules, content, limit, tuple(formats), max_threads)
            jobs.append(BatchJob(variant.name, key, payload))
    return _unique_names(jobs)


def _unique_names(jobs: list[BatchJob]) -> list[BatchJob]:
    seen: set[str] = set()
    unique = []
    for job in jobs:
        name = job.name
        if name in seen:
            name = f"{job.name}--{job.key[:8]}"
        seen.add(name)
        unique.append(job if name == job.name else BatchJob(name, job.key, job.payload))
    return unique


def run_scenarios(
    files: Sequence[str | Path] | str | Path,
    out: str | Path,
    *,
    workers: int = 2,
    time_limit: float | None = None,
    executor: Literal["local", "dask"] = "local",
    scheduler: str | None = None,
    resume: bool = True,
    formats: Sequence[str] = ("json", "csv"),
) -> BatchResult:
    """Plan every scenario of ``files`` into ``out/<scenario>/`` (:func:`engine.batch.run_batch`).

    ``files`` is a list of scenario files (or one). Isolated processes, a hard ``time_limit`` per
    scenario, atomic results, resume by content hash, and ``out/summary.csv``.
    """
    if isinstance(files, str | Path):  # one file, not its characters
        files = [files]
    threads = thread_cap(workers, executor)
    jobs = scenario_jobs(files, time_limit=time_limit, formats=formats, max_threads=threads)
    return run_batch(
        batch_job,
        jobs,
        out,
        workers=workers,
        timeout=time_limit,
        executor=executor,
        scheduler=scheduler,
        resume=resume,
    )


def solve_scenario(resolved: ResolvedScenario, *, time_limit: float | None = None) -> Plan:
    """The plan of a resolved scenario (see :func:`plan_scenario` for its model inputs too)."""
    return plan_scenario(resolved, time_limit=time_limit)[0]
