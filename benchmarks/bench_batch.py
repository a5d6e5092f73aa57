"""Benchmark: a batch of demo-size scenarios on 2 workers against serial (bar: ≥ 1.7× throughput).

Builds N variants of scenarios/baseline.yaml (a sweep over the marketing budget), runs them with
1 worker and with 2 workers (fresh output folders, no resume), and prints wall times, the speed-up,
and the per-scenario overhead beyond the solve itself (job wall time − build − solve seconds).

    python benchmarks/bench_batch.py [--scenarios 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from engine.batch import run_batch
from engine.pipeline import batch_job, scenario_jobs, thread_cap

ROOT = Path(__file__).resolve().parents[1]


def _sweep(folder: Path, count: int) -> Path:
    values = [2_000_000 + 25_000 * i for i in range(count)]
    text = (
        f"name: bench\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
        "sweep:\n  - parameter: marketing\n    table: budgets\n"
        "    where: {category: marketing}\n    column: amount\n"
        f"    values: {values}\n"
    )
    path = folder / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(jobs: list, out: Path, workers: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    result = run_batch(batch_job, jobs, out, workers=workers, resume=False)
    wall = time.perf_counter() - start
    overheads = []
    for outcome in result.outcomes:
        if outcome.status != "done":
            print(f"  {outcome.name}: {outcome.status} {outcome.message}")
            continue
        timings = json.loads((out / outcome.name / "timings.json").read_text())
        busy = sum(v for k, v in timings.items() if k.endswith("_seconds"))
        overheads.append(outcome.seconds - busy)
    return wall, overheads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sweep = [_sweep(folder, args.scenarios)]
        # each run's jobs get the solver threads the batch gives them (cores ÷ workers)
        jobs = scenario_jobs(sweep, max_threads=thread_cap(1))
        serial, over_serial = _run(jobs, folder / "serial", 1)
        jobs = scenario_jobs(sweep, max_threads=thread_cap(args.workers))
        parallel, over_parallel = _run(jobs, folder / "parallel", args.workers)
    print(f"scenarios                {len(jobs)}")
    rate_serial, rate_parallel = len(jobs) / serial, len(jobs) / parallel
    print(f"serial (1 worker)        {serial:.1f} s  ({rate_serial:.2f} scenarios/s)")
    print(
        f"parallel ({args.workers} workers)     {parallel:.1f} s  ({rate_parallel:.2f} scenarios/s)"
    )
    speedup = serial / parallel
    verdict = "PASS" if speedup >= 1.7 else "FAIL"
    print(f"speed-up                 {speedup:.2f}x  (bar >= 1.7x: {verdict})")
    if over_serial:
        one, two = statistics.median(over_serial), statistics.median(over_parallel)
        print(f"overhead per scenario    median {one:.2f} s serial, {two:.2f} s parallel")


if __name__ == "__main__":
    main()
