"""Benchmark: load and validate a 1M-account Parquet dataset (bar: < 3 s, < 2 GiB peak).

Generates the dataset once (lower 48, 1,000,000 accounts, Parquet) into a temporary folder, then
loads it in fresh processes so every run pays the full cost, and prints the median wall time and the
peak resident memory of the loading process.

    python benchmarks/bench_load.py [--accounts 1000000] [--runs 5] [--states L48]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from engine.data import load_dataset
t1 = time.perf_counter()
dataset = load_dataset(sys.argv[1])
t2 = time.perf_counter()
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "peak_mib": peak_kib / 1024,
                  "accounts": len(dataset.frames["accounts"])}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--states", default="L48")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        subprocess.run(
            [sys.executable, "-m", "engine.cli", "data", "generate", str(folder),
             "--states", args.states, "--accounts", str(args.accounts), "--format", "parquet"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        results = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(out.stdout))
    load = statistics.median(r["load_s"] for r in results)
    peak = statistics.median(r["peak_mib"] for r in results)
    print(f"accounts            {results[0]['accounts']:,}")
    runs = ", ".join(f"{r['load_s']:.2f}" for r in results)
    print(f"load+validate       median {load:.2f} s  (runs: {runs})")
    print(f"peak memory (RSS)   median {peak:,.0f} MiB (includes the Python + pandas import)")
    verdict = {True: "PASS", False: "FAIL"}
    print(f"bar                 < 3 s: {verdict[load < 3]};  < 2048 MiB: {verdict[peak < 2048]}")


if __name__ == "__main__":
    main()
