"""Benchmark: import a Zoho CRM UI export of 100k accounts and 500k deals (CSV) into the demo.

Writes synthetic exports (label headers, ``zcrm_`` ids, "$ 12,345.67" amounts, a BOM, a few
unknown stages and unplaceable addresses) and a city lookup table once, then imports them into a
fresh copy of the demo dataset in fresh processes (so every run pays the full cost: reading,
mapping, metrics, merging, validating, writing and re-validating the folder). Prints the median
wall time and peak resident memory of the importing process. Not a timed test.

    python benchmarks/bench_import.py [--accounts 100000] [--deals 500000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.demo import demo_path
from engine.demo.counties import load_counties

CHILD = """
import json, resource, shutil, sys, time
from pathlib import Path
t0 = time.perf_counter()
from engine.crm import import_crm
t1 = time.perf_counter()
folder, demo, into = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
shutil.copytree(demo, into)
t2 = time.perf_counter()
result = import_crm([folder / "Accounts.csv", folder / "Deals.csv"], preset="zoho-crm",
                    into=into, territories=folder / "lookup.csv")
t3 = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import_s": t3 - t2, "module_s": t1 - t0, "peak_mib": usage.ru_maxrss / 1024,
                  "cpu_s": usage.ru_utime + usage.ru_stime,
                  "accounts": len(result.dataset.frames["accounts"]),
                  "report": len(result.report)}))
"""

STAGES = np.array(
    ["Closed Won"] * 6
    + ["Closed Lost", "Closed Lost to Competition", "Qualification", "Negotiation/Review"]
)


def write_exports(folder: Path, accounts: int, deals: int, seed: int = 7) -> None:
    """Synthetic Zoho exports and a (state, city) lookup onto the demo's counties."""
    rng = np.random.default_rng(seed)
    counties = load_counties(["IL", "IN", "OH"])
    cities = counties["name"] + " City"
    pd.DataFrame(
        {"state": counties["state"], "city": cities, "territory": counties["fips"]}
    ).to_csv(folder / "lookup.csv", index=False)
    where = rng.integers(0, len(counties), accounts)
    state = counties["state"].to_numpy()[where].astype(object)
    city = cities.to_numpy()[where].astype(object)
    city[rng.random(accounts) < 0.001] = "Atlantis"  # a few addresses that map nowhere
    owners = rng.integers(0, 300, accounts)
    owner_ids = np.char.add("zcrm_41508680000001", np.char.zfill(owners.astype(str), 5))
    account_ids = np.char.add(
        "zcrm_41508680000002", np.char.zfill(np.arange(accounts).astype(str), 5)
    )
    frame = pd.DataFrame(
        {
            "Record Id": account_ids,
            "Account Owner.id": owner_ids,
            "Account Owner": np.char.add("Rep ", owners.astype(str)),
            "Account Name": np.char.add("Account ", np.arange(accounts).astype(str)),
            "Industry": rng.choice(["Manufacturing", "Retail", "Energy"], accounts),
            "Employees": rng.integers(1, 5000, accounts),
            "Rating": rng.choice(["Active", "Acquired", "Market Failed"], accounts),
            "Billing City": city,
            "Billing State": state,
        }
    )
    with open(folder / "Accounts.csv", "w", encoding="utf-8-sig", newline="") as handle:
        frame.to_csv(handle, index=False)
    of_deal = rng.integers(0, accounts, deals)
    days = rng.integers(0, 3 * 365, deals)
    close = (pd.Timestamp("2026-10-31") - pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    stage = rng.choice(STAGES, deals).astype(object)
    stage[rng.random(deals) < 0.0005] = "Verbal Commit"  # a few unknown stages
    amounts = pd.Series(rng.lognormal(9, 1.2, deals).round(2)).map("$ {:,.2f}".format)
    pd.DataFrame(
        {
            "Record Id": np.char.add(
                "zcrm_4150868000000", np.char.zfill(np.arange(deals).astype(str), 7)
            ),
            "Deal Owner.id": owner_ids[of_deal],
            "Deal Owner": np.char.add("Rep ", owners[of_deal].astype(str)),
            "Deal Name": np.char.add("Deal ", np.arange(deals).astype(str)),
            "Account Name.id": account_ids[of_deal],
            "Account Name": np.char.add("Account ", of_deal.astype(str)),
            "Amount": amounts,
            "Stage": stage,
            "Closing Date": close,
        }
    ).to_csv(folder / "Deals.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_exports(folder, args.accounts, args.deals)
        results = []
        for run in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(folder), str(demo_path()),
                 str(folder / f"into{run}")],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            results.append(json.loads(out.stdout))
    seconds = statistics.median(r["import_s"] for r in results)
    peak = statistics.median(r["peak_mib"] for r in results)
    cpu = statistics.median(r["cpu_s"] for r in results)
    runs = ", ".join(f"{r['import_s']:.2f}" for r in results)
    print(f"exports             {args.accounts:,} accounts, {args.deals:,} deals (CSV)")
    print(
        f"imported            {results[0]['accounts']:,} accounts, {results[0]['report']} findings"
    )
    print(f"import              median {seconds:.2f} s  (runs: {runs})")
    print(
        f"CPU time            median {cpu:.2f} s  (user + system, whole process; wall time "
        "suffers from other load on the machine, CPU time less so)"
    )
    print(f"peak memory (RSS)   median {peak:,.0f} MiB (includes the Python + pandas import)")


if __name__ == "__main__":
    main()
