"""US Census counties shipped as package data: centroids, 2019 population and adjacency.

Built by ``tools/build_county_data.py`` from the Census county adjacency file, the 2019 population
estimates and TIGER centroids (public domain). FIPS codes are strings (``"01001"``).
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["LOWER_48_EXCLUDED_STATES", "load_counties", "load_county_adjacency"]

#: States outside the contiguous lower 48 (plus DC, which is included in the lower-48 network).
LOWER_48_EXCLUDED_STATES = frozenset({"AK", "HI"})


def _read(name: str) -> pd.DataFrame:
    with resources.files("engine.demo").joinpath("data", name).open("rb") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def load_counties(states: list[str] | None = None) -> pd.DataFrame:
    """Counties with ``fips, state, name, lat, lon, population, population_imputed``.

    ``states`` (two-letter codes) selects states; ``["L48"]`` means the contiguous lower 48 + DC.
    Rows are sorted by FIPS code.
    """
    table = _read("us_counties.csv")
    table = table.astype(
        {"lat": "float64", "lon": "float64", "population": "int64", "population_imputed": "bool"}
    )
    if states:
        wanted = {code.strip().upper() for code in states}
        if "L48" in wanted:
            mask = ~table["state"].isin(LOWER_48_EXCLUDED_STATES)
            wanted.discard("L48")
            mask |= table["state"].isin(wanted)
        else:
            mask = table["state"].isin(wanted)
        table = table[mask]
    return table.reset_index(drop=True)


def load_county_adjacency(fips: pd.Series | None = None) -> pd.DataFrame:
    """County borders ``a, b`` (``a < b``); restricted to borders between ``fips`` when given."""
    table = _read("us_county_adjacency.csv")
    if fips is not None:
        keep = set(fips)
        table = table[table["a"].isin(keep) & table["b"].isin(keep)].reset_index(drop=True)
    return table
