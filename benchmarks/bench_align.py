"""Territory alignment benchmark on real US counties (prints numbers; not a timed test).

    python benchmarks/bench_align.py                 # every case once
    python benchmarks/bench_align.py --case block500 --repeat 3
    python benchmarks/bench_align.py --compare       # hybrid, sp, flow and cuts
    python benchmarks/bench_align.py --case block2000 --method sp --notes
    python benchmarks/bench_align.py --case rm500 --no-contiguity   # balance only

Cases (DESIGN.md §9 bars: 500 units × 10 reps to optimality in seconds; 2,000 × 50, contiguous,
within a 1 % gap in 180 s on 2 cores):

- ``block500``: IA, MO, KS, NE, SD, ND (531 counties), 10 reps, population ±5 %;
- ``block2000``: a block of central and southern states (~2,000 counties), 50 reps; balanced on a
  workload of √population ±5 % (population alone cannot be balanced: Harris County, TX, holds more
  than 1/50 of the block), compactness weighted by that workload;
- ``rm500``: Ríos-Mercado-style synthetic territories (Ríos-Mercado & Fernández 2009), seeds
  1..``--seeds`` (20; a summary line gives how many were proven optimal and the median time):
  500 units uniform in a 500 × 500 square, borders of their Gabriel graph (a planar subgraph of the
  Delaunay triangulation, without scipy), a workload drawn uniformly from 15..100 per unit, ±5 %,
  Euclidean distances; the 10 reps live at k-means centres of the units (snapped to the nearest
  unit), as reps live where the work is;
- ``state-XX``: single states, k territories balanced on population ±5 % (count mode: centres
  chosen by the exact districting model up to 200 counties, by location–allocation beyond, whose
  gap is then to the exact model's bound, or unknown).

Centres for the block cases are spread deterministically (``engine.align.centres.seed_centres``).
Medians are over ``--repeat`` runs. The default method is ``hybrid`` (exact contiguity; its gap is
to a bound valid for exact contiguity; every incumbent is polished by the solver-free local search
of ``engine.align.local``); ``sp`` reports its gap against the same bound.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from engine.align import AlignmentInfeasible, align, prepare_inputs
from engine.align.centres import seed_centres
from engine.align.distances import unit_graph
from engine.demo.counties import load_counties, load_county_adjacency
from engine.errors import SolveError
from engine.solver import SolverSettings

BLOCK_500 = ["IA", "MO", "KS", "NE", "SD", "ND"]
BLOCK_2000 = [
    "TX",
    "OK",
    "KS",
    "NE",
    "IA",
    "MO",
    "AR",
    "LA",
    "MS",
    "AL",
    "TN",
    "KY",
    "GA",
    "SD",
    "ND",
    "MN",
    "WI",
    "IN",
    "CO",
    "NM",
    "WV",
    "VA",
    "NC",
    "SC",
    "OH",
    "MI",
    "IL",
    "FL",
    "WY",
    "MT",
]
STATES = [("ME", 3), ("NH", 2), ("VT", 2), ("SC", 4), ("IA", 6), ("NC", 8), ("GA", 8), ("TX", 6)]


@dataclass
class Case:
    name: str
    units: pd.DataFrame
    adjacency: pd.DataFrame
    centres: dict[str, str] | None
    count: int | None
    activities: list[str]
    time_limit: float
    gap: float
    metric: str = "graph"


def _counties(states: list[str], limit: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = load_counties(states).rename(columns={"fips": "unit"})
    table["workload"] = np.sqrt(table["population"].to_numpy(dtype=float)).round(3)
    adjacency = load_county_adjacency(table["unit"])
    graph = nx.Graph(list(zip(adjacency["a"], adjacency["b"], strict=True)))
    biggest = max(nx.connected_components(graph), key=len)
    table = table[table["unit"].isin(biggest)]
    if limit is not None and len(table) > limit:
        # keep a connected block of `limit` counties: BFS from the first state's first county
        order = list(nx.bfs_tree(graph, sorted(biggest)[0]))[:limit]
        table = table[table["unit"].isin(set(order))]
    table = table[["unit", "lat", "lon", "population", "workload"]].reset_index(drop=True)
    return table, load_county_adjacency(table["unit"])


def _block(
    name: str, states: list[str], reps: int, limit: int | None, activity: str, time_limit: float
) -> Case:
    units, adjacency = _counties(states, limit)
    inputs = prepare_inputs(units, adjacency, count=reps, activities=[activity])
    centre = seed_centres(inputs, unit_graph(inputs), reps)
    centres = {f"R{t + 1:02d}": inputs.units[c] for t, c in enumerate(centre)}
    return Case(
        name, units, adjacency, centres, None, [activity], time_limit, 1e-4 if reps <= 10 else 0.01
    )


def _gabriel(xy: np.ndarray) -> list[tuple[int, int]]:
    """Edges (i, j) with no other point in the circle whose diameter is i–j."""
    edges = []
    for i in range(len(xy) - 1):
        others = xy[i + 1 :]
        middle = (xy[i] + others) / 2
        radius2 = ((xy[i] - others) ** 2).sum(axis=1) / 4
        inside = ((xy[None, :, :] - middle[:, None, :]) ** 2).sum(axis=2) < radius2[:, None] - 1e-9
        inside[:, i] = False
        inside[np.arange(len(others)), np.arange(i + 1, len(xy))] = False
        edges += [(i, i + 1 + j) for j in np.flatnonzero(~inside.any(axis=1))]
    return edges


def _kmeans_units(xy: np.ndarray, k: int, rng: np.random.Generator) -> list[int]:
    """k distinct units nearest to the centres of Lloyd's k-means (k-means++ start)."""
    centres = [xy[rng.integers(len(xy))]]
    for _ in range(k - 1):
        d2 = np.min([((xy - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(xy[rng.choice(len(xy), p=d2 / d2.sum())])
    points = np.array(centres)
    for _ in range(50):
        label = np.argmin(((xy[:, None, :] - points[None]) ** 2).sum(axis=2), axis=1)
        points = np.array([xy[label == t].mean(axis=0) for t in range(k)])
    chosen: list[int] = []
    for point in points:
        order = np.argsort(((xy - point) ** 2).sum(axis=1))
        chosen.append(int(next(u for u in order if u not in chosen)))
    return chosen


def _planar(seed: int, units: int = 500, reps: int = 10) -> Case:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 500, size=(units, 2))
    names = [f"U{i:03d}" for i in range(units)]
    table = pd.DataFrame(
        {"unit": names, "x": xy[:, 0], "y": xy[:, 1], "workload": rng.integers(15, 101, units)}
    )
    edges = _gabriel(xy)
    adjacency = pd.DataFrame({"a": [names[a] for a, _ in edges], "b": [names[b] for _, b in edges]})
    homes = _kmeans_units(xy, reps, rng)
    centres = {f"R{t + 1:02d}": names[u] for t, u in enumerate(homes)}
    name = f"rm500-{seed}"
    return Case(name, table, adjacency, centres, None, ["workload"], 60, 1e-4, "straight")


def cases(selected: str | None, seeds: int = 20) -> list[Case]:
    result: list[Case] = []
    if selected in (None, "block500"):
        result.append(_block("block500", BLOCK_500, 10, None, "population", 120))
    if selected in (None, "rm500"):
        result.extend(_planar(seed) for seed in range(1, seeds + 1))
    if selected in (None, "block2000"):
        result.append(_block("block2000", BLOCK_2000, 50, 2000, "workload", 180))
    for state, k in STATES:
        if selected in (None, f"state-{state}", "states"):
            units, adjacency = _counties([state])
            result.append(
                Case(f"state-{state}", units, adjacency, None, k, ["population"], 120, 1e-4)
            )
    return result


def run(case: Case, method: str, contiguity: bool = True) -> dict[str, object]:
    started = time.perf_counter()
    try:
        result = align(
            case.units,
            case.adjacency,
            centres=case.centres,
            count=case.count,
            activities=case.activities,
            tolerance=0.05,
            metric=case.metric,  # type: ignore[arg-type]
            contiguity=contiguity,
            contiguity_method=method if contiguity else "hybrid",  # type: ignore[arg-type]
            settings=SolverSettings(time_limit=case.time_limit, mip_gap=case.gap, threads=2),
        )
    except AlignmentInfeasible as error:
        return {
            "status": "infeasible",
            "note": str(error).splitlines()[1].strip(),
            "total": time.perf_counter() - started,
        }
    except SolveError as error:
        return {"status": "no-answer", "note": str(error), "total": time.perf_counter() - started}
    report = result.report
    cuts = next((n.split(":")[1].strip() for n in result.notes if n.startswith("contiguity")), "")
    return {
        "status": report.status.value,
        "objective": report.objective,
        "bound": report.bound,
        "gap": report.gap,
        "build": report.build_seconds,
        "load": report.load_seconds,
        "solve": report.solve_seconds,
        "total": time.perf_counter() - started,
        "check": result.check.ok,
        "cuts": cuts,
        "heuristic": any(
            n.startswith("heuristic start used") or "region-growing" in n for n in result.notes
        ),
        "notes": result.notes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--case", default=None, help="block500, rm500, block2000, states or state-XX"
    )
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=20, help="rm500: how many random instances")
    parser.add_argument(
        "--method", default="hybrid", choices=["hybrid", "sp", "flow", "cuts"], help="contiguity"
    )
    parser.add_argument("--compare", action="store_true", help="run hybrid, sp, flow and cuts")
    parser.add_argument(
        "--no-contiguity",
        dest="contiguity",
        action="store_false",
        help="balance only: territories need not be contiguous",
    )
    parser.add_argument("--notes", action="store_true", help="print each run's notes")
    args = parser.parse_args()
    methods = ["hybrid", "sp", "flow", "cuts"] if args.compare else [args.method]
    if not args.contiguity:
        methods = ["none"]  # (the contiguity method is not used)
    print(
        f"{'case':<12}{'units':>6}{'reps':>5} {'method':<7}{'status':<10}{'objective':>14}"
        f"{'gap%':>8}{'build':>7}{'load':>7}{'solve':>8}{'total':>8}  check  notes"
    )
    synthetic: list[tuple[float, float | None]] = []  # rm500: (median seconds, gap or None)
    for case in cases(args.case, args.seeds):
        reps = len(case.centres) if case.centres else case.count
        for method in methods:
            runs = [run(case, method, args.contiguity) for _ in range(args.repeat)]
            totals = [float(r["total"]) for r in runs]  # type: ignore[arg-type]
            median = runs[int(np.argsort(totals)[len(totals) // 2])]
            gap = median.get("gap")
            objective = median.get("objective")
            print(
                f"{case.name:<12}{len(case.units):>6}{reps:>5} {method:<7}{median['status']!s:<10}"
                f"{objective if objective is None else f'{objective:.6g}'!s:>14}"
                f"{'' if gap is None else f'{100 * gap:.3f}':>8}"  # type: ignore[operator]
                f"{median.get('build', 0):>7.2f}{median.get('load', 0):>7.2f}"
                f"{median.get('solve', 0):>8.2f}{statistics.median(totals):>8.2f}  "
                f"{median.get('check', '')!s:<6} {median.get('cuts', '')} "
                f"{'heuristic-start' if median.get('heuristic') else ''} {median.get('note', '')}",
                flush=True,
            )
            if args.notes:
                for note in median.get("notes", ()):  # type: ignore[attr-defined]
                    print(f"    {note}")
            if case.name.startswith("rm500-") and method == methods[0]:
                proven = median["status"] == "optimal"
                synthetic.append((statistics.median(totals), None if proven else gap))  # type: ignore[arg-type]
    if synthetic:
        print(summary(synthetic))


def summary(runs: list[tuple[float, float | None]]) -> str:
    """rm500 over its seeds: how many proven optimal, the median time (an unproven run counts as
    slower than every proven one), and the gaps left."""
    proven = sorted(seconds for seconds, gap in runs if gap is None)
    left = sorted(gap for _, gap in runs if gap is not None)
    ranked = proven + [math.inf] * len(left)
    middle = ranked[(len(ranked) - 1) // 2], ranked[len(ranked) // 2]
    median = "unproven" if math.inf in middle else f"{sum(middle) / 2:.1f} s"
    return (
        f"rm500 summary: {len(proven)} of {len(runs)} seeds proven optimal "
        f"(median time {median}; {sum(s <= 10 for s in proven)} within 10 s, "
        f"{sum(s <= 30 for s in proven)} within 30 s)"
        + (f"; gaps left: {', '.join(f'{100 * g:.3f} %' for g in left)}" if left else "")
    )


if __name__ == "__main__":
    main()
