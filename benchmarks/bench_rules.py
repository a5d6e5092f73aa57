"""Benchmark: a 10-rule first-hit tiering table over 1M accounts, salesnet vs zen-engine.

Prints records per second for salesnet's vectorised evaluation (outputs plus the matched rule id
per row) and for zen-engine's per-record evaluation of the same table (JDM decision table) on the
same data, and their ratio. zen-engine runs on a sample (default 20k records) and its time for the
full size is extrapolated, printed as such. Medians of several runs. Pinned to one CPU core when the
platform allows it. Also times the shipped ``rules/tiering.yaml`` chain end to end.

    python benchmarks/bench_rules.py [--rows 1000000] [--zen-rows 20000] [--runs 5]

Bars (DESIGN.md §9): >= 5M records/s on one core, >= 100x zen-engine, < 2 GiB peak.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from engine.rules import evaluate, load_rules, parse_rules

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 1)

TABLE = """
kind: decision_table
id: tiering
hit_policy: first
inputs:
  - {name: revenue_12m, type: number}
  - {name: growth, type: number}
  - {name: segment, type: string}
  - {name: credit_score, type: number}
outputs:
  - {name: tier, type: string, allowed: [A, B, C, D]}
  - {name: calls_per_quarter, type: number}
default: {tier: D, calls_per_quarter: 0}
rules:
  - {id: R01, when: {credit_score: "< 20"}, then: {tier: D, calls_per_quarter: 0}}
  - {id: R02, when: {revenue_12m: ">= 250000"}, then: {tier: A, calls_per_quarter: 6}}
  - id: R03
    when: {revenue_12m: "[100000..250000)", segment: "Enterprise, Public"}
    then: {tier: A, calls_per_quarter: 6}
  - {id: R04, when: {revenue_12m: "[100000..250000)"}, then: {tier: B, calls_per_quarter: 3}}
  - id: R05
    when: {revenue_12m: "[40000..100000)", growth: ">= 0.15"}
    then: {tier: B, calls_per_quarter: 3}
  - {id: R06, when: {revenue_12m: "[40000..100000)"}, then: {tier: C, calls_per_quarter: 2}}
  - id: R07
    when: {revenue_12m: "[15000..40000)", growth: ">= 0.25"}
    then: {tier: C, calls_per_quarter: 1}
  - id: R08
    when: {revenue_12m: "[15000..40000)", segment: "Public"}
    then: {tier: C, calls_per_quarter: 1}
  - id: R09
    when: {revenue_12m: "[5000..15000)", growth: ">= 0.4"}
    then: {tier: C, calls_per_quarter: 1}
  - {id: R10, when: {revenue_12m: "< 15000"}, then: {tier: D, calls_per_quarter: 0}}
"""


def accounts(rows: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic accounts with a skewed (lognormal) revenue distribution."""
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.lognormal(np.log(5000.0), 1.5, rows), 2)
    segment = np.where(
        revenue >= 250_000, "Enterprise", np.where(revenue >= 50_000, "Mid-Market", "SMB")
    ).astype(object)
    segment[rng.random(rows) < 0.08] = "Public"
    orders = 1 + rng.poisson(np.sqrt(revenue) / 15.0)
    return pd.DataFrame(
        {
            "id": pd.RangeIndex(rows),
            "segment": pd.Series(segment, dtype="str"),
            "revenue_12m": revenue,
            "orders_12m": orders,
            "growth": np.round(np.clip(rng.normal(0.05, 0.18, rows), -0.9, 2.0), 3),
            "credit_score": np.clip(np.round(rng.beta(5.0, 2.0, rows) * 100), 1, 100),
            "last_order_days": np.clip(rng.exponential(365.0 / (orders + 1)), 0, 730).astype(int),
        }
    )


def zen_decision(table_yaml: str) -> object:
    """The same table as a zen-engine JDM decision table."""
    import yaml
    import zen

    spec = yaml.safe_load(table_yaml)
    inputs = [item["name"] for item in spec["inputs"]]
    text_inputs = {item["name"] for item in spec["inputs"] if item["type"] == "string"}
    outputs = [item["name"] for item in spec["outputs"]]
    rules = []
    for rule in spec["rules"]:
        row = {"_id": rule["id"]}
        for name in inputs:
            cell = str(rule["when"].get(name, ""))
            if name in text_inputs and cell:  # zen-engine needs quoted text
                cell = ", ".join(json.dumps(word.strip()) for word in cell.split(","))
            row[f"i_{name}"] = cell
        row.update({f"o_{name}": json.dumps(rule["then"][name]) for name in outputs})
        rules.append(row)
    content = {
        "hitPolicy": "first",
        "inputs": [{"id": f"i_{name}", "name": name, "field": name} for name in inputs],
        "outputs": [{"id": f"o_{name}", "name": name, "field": name} for name in outputs],
        "rules": rules,
    }
    jdm = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "dt",
                "type": "decisionTableNode",
                "name": "tiering",
                "position": {"x": 1, "y": 0},
                "content": content,
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "dt", "type": "edge"},
            {"id": "e2", "sourceId": "dt", "targetId": "out", "type": "edge"},
        ],
    }
    return zen.ZenEngine().create_decision(json.dumps(jdm))


def peak_rss_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def timed(function: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--zen-rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        print("pinned to one CPU core")
    data = accounts(args.rows)
    ruleset = parse_rules(TABLE, file="bench")
    result = evaluate(ruleset, data, as_of=AS_OF)
    share = result["tier"].value_counts(normalize=True).sort_index()
    print(f"tiers: {', '.join(f'{k} {v:.1%}' for k, v in share.items())}")

    seconds = timed(lambda: evaluate(ruleset, data, as_of=AS_OF), args.runs)
    ours = args.rows / seconds
    print(
        f"salesnet vectorised: {args.rows:,} rows in {seconds:.3f} s (median of {args.runs}) "
        f"= {ours / 1e6:.2f}M rows/s (outputs + matched rule id per row)"
    )

    tracemalloc.start()
    evaluate(ruleset, data, as_of=AS_OF)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  allocated at peak during one evaluation: {peak / 2**20:.0f} MiB; "
        f"process peak RSS so far: {peak_rss_mib():.0f} MiB"
    )

    chain = load_rules(ROOT / "rules" / "tiering.yaml")
    seconds_chain = timed(lambda: evaluate(chain, data, as_of=AS_OF), max(1, args.runs // 2))
    print(
        f"shipped rules/tiering.yaml (3 chained tables, 26 rules): {seconds_chain:.3f} s for "
        f"{args.rows:,} rows (median) = {args.rows / seconds_chain / 1e6:.2f}M rows/s"
    )

    try:
        decision = zen_decision(TABLE)
    except ImportError:
        print("zen-engine is not installed: no comparison")
        return 0
    sample = data.head(args.zen_rows)
    records = [
        {k: v for k, v in row.items() if k in ("revenue_12m", "growth", "segment", "credit_score")}
        for row in sample.to_dict("records")
    ]
    mismatches = sum(
        # zen-engine tables have no default outputs: no match gives {}, salesnet the default D
        decision.evaluate(record)["result"].get("tier", "D") != tier  # type: ignore[attr-defined]
        for record, tier in zip(records[:2000], result["tier"].head(2000), strict=True)
    )
    print(f"zen-engine agrees on {2000 - mismatches}/2000 sampled tiers")

    def run_zen() -> None:
        for record in records:
            decision.evaluate(record)  # type: ignore[attr-defined]

    zen_seconds = timed(run_zen, max(1, min(3, args.runs)))
    theirs = len(records) / zen_seconds
    print(
        f"zen-engine per record: {len(records):,} rows in {zen_seconds:.3f} s (median) = "
        f"{theirs:,.0f} rows/s; extrapolated to {args.rows:,} rows: "
        f"{args.rows / theirs:.1f} s"
    )
    print(f"ratio salesnet / zen-engine: {ours / theirs:,.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
