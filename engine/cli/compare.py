"""``salesnet compare``: plans side by side with deltas, key allocations and differing inputs."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from engine.atomic import atomic_path
from engine.comparison import Comparison, compare
from engine.errors import ScenarioError
from engine.pipeline import plan_scenario
from engine.plan.model import Plan
from engine.report import Report, bar_chart, write_html
from engine.scenario import ResolvedScenario, resolve_file

__all__ = ["compare_command"]

#: Money KPIs drawn in the comparison chart (others differ in scale).
CHART_KPIS = ("revenue", "gross_margin", "contribution")


def _load_plan(path: Path) -> Plan:
    file = path / "plan.json" if path.is_dir() else path
    try:
        return Plan.model_validate_json(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ScenarioError(
            f"not a plan.json written by salesnet ({error})", file=str(file)
        ) from None


def _text(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if isinstance(value, float):
            return (
                "" if value != value else f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
            )
        return str(value)

    return frame.to_string(index=False, formatters={c: cell for c in frame.columns}, na_rep="")


def _origin(item: Path, plan: Plan) -> Path:
    """Where a plan came from, as a path ending in something that names it: a plan folder, a
    plan file's folder (or the file without its suffix), a scenario file's folder / variant."""
    item = item.resolve()
    if item.suffix.lower() in (".yaml", ".yml"):
        return item.parent / plan.name
    if item.is_dir():
        return item
    return item.parent if item.name == "plan.json" else item.with_suffix("")


def _labels(plans: list[Plan], origins: list[Path]) -> list[str]:
    """A column label per plan: its name, or for plans that share a name (the same scenario from
    two runs) the shortest ending of their paths that tells them apart (``b1/ri``, ``b6/ri``).
    Plans from one path keep their name (:func:`engine.comparison.compare` adds ``#2``)."""
    labels = [plan.name for plan in plans]
    groups: dict[str, list[int]] = {}
    for index, plan in enumerate(plans):
        groups.setdefault(plan.name, []).append(index)
    for members in groups.values():
        parts = [origins[index].parts for index in members]
        distinct = len(set(parts))
        if distinct < 2:
            continue
        for depth in range(1, max(map(len, parts)) + 1):
            endings = [Path(*p[-depth:]).as_posix() for p in parts]
            if len(set(endings)) == distinct:
                break
        for index, ending in zip(members, endings, strict=True):
            labels[index] = ending
    return labels


def _chart(result: Comparison) -> str:
    kpis = result.kpis[result.kpis["kpi"].isin(CHART_KPIS)]
    long = pd.DataFrame(
        [
            (kpi, name, value)
            for name in result.names
            for kpi, value in zip(kpis["kpi"], kpis[name], strict=True)
        ],
        columns=["kpi", "scenario", "value"],
    )
    long["value"] = long["value"].astype(float)
    return bar_chart(
        long, category="kpi", series="scenario", value="value", title="KPIs by scenario"
    )


@click.command("compare")
@click.argument("items", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write compare_*.csv and compare.html here.",
)
@click.option(
    "--time-limit", type=click.FloatRange(min=0.1), help="Solver time limit per scenario (s)."
)
def compare_command(items: tuple[Path, ...], out: Path | None, time_limit: float | None) -> None:
    """Compare plans: ITEMS are scenario files (solved now; sweeps expand) or plan.json files or
    plan folders. The first is the reference for the deltas. Plans that share a name (the same
    scenario from two runs) are labelled by their paths (run1/baseline, run2/baseline)."""
    plans: list[Plan] = []
    origins: list[Path] = []
    scenarios: list[ResolvedScenario] = []
    for item in items:
        if item.suffix.lower() in (".yaml", ".yml"):
            for resolved in resolve_file(item):
                plan, _ = plan_scenario(resolved, time_limit=time_limit)
                plans.append(plan)
                origins.append(_origin(item, plan))
                scenarios.append(resolved)
        else:
            plans.append(_load_plan(item))
            origins.append(_origin(item, plans[-1]))
    every = len(scenarios) == len(plans)
    dataset = scenarios[0].dataset if scenarios else None
    result = compare(
        plans,
        dataset=dataset,
        scenarios=scenarios if every else (),
        labels=_labels(plans, origins),
    )
    if not every:  # say what plan files cannot show, rather than leave it out silently
        missing = "" if dataset else "reps and hires by region, and "
        click.echo(
            f"note: plan files carry no scenario: {missing}the inputs that differ need "
            "scenario files",
            err=True,
        )
    click.echo(_text(result.kpis))
    if not result.allocations.empty:
        click.echo("\nKey allocations")
        click.echo(_text(result.allocations))
    if not result.inputs.empty:
        click.echo("\nInputs that differ")
        click.echo(_text(result.inputs))
    if out is not None:
        for name, frame in (
            ("kpis", result.kpis),
            ("allocations", result.allocations),
            ("inputs", result.inputs),
        ):
            with atomic_path(out / f"compare_{name}.csv") as tmp:
                frame.to_csv(tmp, index=False, lineterminator="\n")
        report = Report(
            "Scenario comparison: " + " vs ".join(result.names),
            {"scenarios": len(result.names)},
            {
                "KPIs": result.kpis,
                "Key allocations": result.allocations,
                "Inputs that differ": result.inputs,
            },
            [("KPIs by scenario", _chart(result))],
        )
        write_html(report, out / "compare.html")
        click.echo(f"wrote {out}/compare_*.csv and compare.html", err=True)
