"""Allocation optimizer benchmark (prints numbers; not a timed test).

    python benchmarks/bench_allocation.py                  # demo, TX, L48 once each
    python benchmarks/bench_allocation.py --case demo --repeat 3
    python benchmarks/bench_allocation.py --case l48 --time-limit 120

Cases (DESIGN.md §9 bars: build + load ≤ 25 % of solve time where the solve takes ≥ 2 s, < 0.5 s
otherwise; the demo within 0.5 % in ≤ 5 s; a national plan to 1 % within 120 s on 2 cores, < 4 GiB):

- ``demo``: the shipped demo (IL, IN, OH: 282 counties, 60 reps, 30 partners);
- ``tx``: Texas generated (254 counties, 60 000 accounts);
- ``l48``: the lower 48 generated (3,109 counties, 200 000 accounts, 300 reps, 200 partners).

Every case runs the demo rule files (tiering, incentives, risk) and the baseline scenario's
settings. Each run happens in a fresh subprocess so that peak memory (ru_maxrss) is per case.
Medians are over ``--repeat`` runs. ``heuristic_s`` is the start heuristic (LP relaxation, rounding,
warm re-solves); ``solve_s`` is 0 when its plan was already within the gap of the LP bound.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ("demo", "tx", "l48")


def _dataset(case: str):  # type: ignore[no-untyped-def]
    from engine.demo import load_demo
    from engine.demo.generate import GeneratorSettings, generate_dataset

    if case == "demo":
        return load_demo()
    if case == "tx":
        return generate_dataset(GeneratorSettings(states=("TX",), accounts=60_000))
    return generate_dataset(
        GeneratorSettings(states=("L48",), accounts=200_000, reps=300, partners=200)
    )


def run_once(case: str, time_limit: float, gap: float) -> dict[str, float | str]:
    """One solve of ``case``: seconds per stage, gap, status, peak memory."""
    from engine.optimize import solve
    from engine.optimize.rule_inputs import rule_inputs
    from engine.scenario import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    started = time.perf_counter()
    as_of = scenario.as_of or dt.date(2027, 1, 1)
    inputs = rule_inputs(_dataset(case), scenario.rules, Path(scenario.file).parent, as_of)
    prepare_seconds = time.perf_counter() - started
    solver = scenario.optimize.solver.model_copy(update={"time_limit": time_limit, "mip_gap": gap})
    settings = scenario.optimize.model_copy(update={"solver": solver})
    started = time.perf_counter()
    plan = solve(inputs, settings, name=case)
    total = time.perf_counter() - started
    timings = plan.timings
    return {
        "case": case,
        "status": plan.status,
        "variables": plan.solver.num_variables,
        "constraints": plan.solver.num_constraints,
        "data_and_rules_s": prepare_seconds,
        "build_s": timings.get("build_seconds", 0.0),
        "heuristic_s": timings.get("heuristic_seconds", 0.0),
        "load_s": timings.get("load_seconds", 0.0),
        "solve_s": timings.get("solve_seconds", 0.0),
        "total_s": total,
        "gap": plan.solver.gap if plan.solver.gap is not None else float("nan"),
        "objective": plan.solver.objective or float("nan"),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Run the cases, each in a subprocess, and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES, action="append")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="Solver limit incl. the start heuristic (default: demo 5 s, tx 30 s, l48 120 s).",
    )
    parser.add_argument(
        "--gap", type=float, default=None, help="Relative gap (default: demo 0.005, others 0.01)."
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, limit, gap = args.child.split(",")
        print(json.dumps(run_once(case, float(limit), float(gap))))
        return
    limits = {"demo": 5.0, "tx": 30.0, "l48": 120.0}
    gaps = {"demo": 0.005, "tx": 0.01, "l48": 0.01}
    header = ("case", "status", "variables", "constraints", "build_s", "heuristic_s", "load_s",
              "solve_s", "total_s", "gap", "peak_mib", "build+load/(heuristic+solve)")  # fmt: skip
    print(" | ".join(header))
    for case in args.case or CASES:
        limit = args.time_limit or limits[case]
        gap = args.gap if args.gap is not None else gaps[case]
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--child", f"{case},{limit},{gap}"],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]
               if isinstance(runs[0][k], int | float)}  # fmt: skip
        # the start heuristic solves LPs: it is solving time (and the whole of it when its plan
        # is within the gap of the LP bound and branch-and-bound is skipped)
        ratio = (med["build_s"] + med["load_s"]) / max(med["solve_s"] + med["heuristic_s"], 1e-9)
        print(" | ".join([case, runs[-1]["status"], f"{med['variables']:.0f}",
                          f"{med['constraints']:.0f}", f"{med['build_s']:.2f}",
                          f"{med['heuristic_s']:.2f}", f"{med['load_s']:.2f}",
                          f"{med['solve_s']:.2f}", f"{med['total_s']:.2f}",
                          f"{100 * med['gap']:.2f}%", f"{med['peak_mib']:.0f}",
                          f"{100 * ratio:.1f}%"]), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
