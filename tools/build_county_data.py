"""Build salesnet's packaged US county tables from the Census files in ../shared/data/us-counties.

Writes ``engine/demo/data/us_counties.csv`` (fips, state, name, lat, lon, population,
population_imputed) and ``engine/demo/data/us_county_adjacency.csv`` (a, b with a < b, no self
borders). A county of the 50 states or DC is kept when the adjacency file and the centroid file
both list it, so the lower-48 graph stays whole (3,109 counties). The population file lacks a few
of them (renamed or merged counties such as 46113/46102, 51515): their population is imputed as
the median of their neighbours' and flagged ``population_imputed = 1``. Every FIPS code left out
or imputed is printed.
Run from the project root: ``python tools/build_county_data.py [SOURCE_DIR]``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "engine" / "demo" / "data"


def main(source: Path) -> None:
    centroids = {}
    with open(source / "county_centroids.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            centroids[row["fips"]] = row
    population = {}
    with open(source / "fips_to_population.tsv", encoding="utf-8") as handle:
        for line in handle:
            fips, count = line.split()
            population[fips] = int(count)
    borders: set[tuple[str, str]] = set()
    adjacency_fips: set[str] = set()
    current = None
    with open(source / "county_adjacency.txt", encoding="latin-1") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if fields[1]:
                current = fields[1]
                adjacency_fips.add(current)
            neighbour = fields[3]
            if current and neighbour and neighbour != current:
                borders.add((min(current, neighbour), max(current, neighbour)))
    # The 50 states and DC (state FIPS below 60); the island areas have no population figures.
    keep = sorted(code for code in set(centroids) & adjacency_fips if code < "60")
    kept = set(keep)
    for name, codes in (("centroids", set(centroids)), ("adjacency", adjacency_fips)):
        dropped = sorted(codes - kept)
        if dropped:
            print(
                f"left out (not in both centroids and adjacency) from {name}: {', '.join(dropped)}"
            )
    unused = sorted(set(population) - kept)
    if unused:
        print(f"population rows with no county kept: {', '.join(unused)}")
    imputed: dict[str, int] = {}
    for fips in keep:
        if fips not in population:
            neighbours = sorted(
                population[other]
                for pair in borders
                if fips in pair
                for other in pair
                if other != fips and other in population
            )
            imputed[fips] = neighbours[len(neighbours) // 2] if neighbours else 0
    if imputed:
        print("population imputed from neighbours (median):", imputed)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "us_counties.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["fips", "state", "name", "lat", "lon", "population", "population_imputed"])
        for fips in keep:
            row = centroids[fips]
            count = population.get(fips, imputed.get(fips, 0))
            flag = int(fips in imputed)
            writer.writerow([fips, row["state"], row["name"], row["lat"], row["lon"], count, flag])
    with open(OUT / "us_county_adjacency.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["a", "b"])
        for a, b in sorted(borders):
            if a in kept and b in kept:
                writer.writerow([a, b])
    written = sum(1 for a, b in borders if a in kept and b in kept)
    print(f"wrote {len(keep)} counties and {written} borders")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "us-counties"
    )
