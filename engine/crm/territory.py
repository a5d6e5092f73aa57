"""Territory assignment: CRM address fields -> the dataset's territory ids, through a lookup table.

A lookup table is a CSV with a ``territory`` column and any of ``country, state, county, city,
postcode``. Each row is a rule matching on its non-blank cells; blank cells match anything.
Matching ignores case and spacing, a trailing " County"/" Parish", and a ZIP+4 suffix. A record
takes the most specific rule it matches: postcode rules first, then rules with more columns
(state + county before state + city before state alone). Before the lookup, a record's own
``territory`` field is taken when it names a territory of the dataset by id or by name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.crm.keys import map_keys, member
from engine.data.issues import IssueLog, spreadsheet_row
from engine.data.read import read_table

__all__ = ["ADDRESS_KEYS", "TerritoryLookup", "assign_territories", "load_lookup"]

ADDRESS_KEYS = ("country", "state", "county", "city", "postcode")


def _normal(text: pd.Series, key: str) -> pd.Series:
    spaces = "[ \t\r\n\u00a0\u3000]+"  # literal characters: pandas runs this in Arrow (RE2)
    text = text.astype("str").str.strip().str.lower().str.replace(spaces, " ", regex=True)
    if key == "county":
        text = text.str.replace(r" (county|parish)$", "", regex=True)
    if key == "postcode":
        text = text.str.replace(" ", "", regex=False).str.replace(
            r"^([0-9]+)-[0-9]+$", r"\1", regex=True
        )
    return text.where(text != "")


@dataclass(frozen=True)
class TerritoryLookup:
    """Normalised lookup rules: the address key columns and ``territory``."""

    rules: pd.DataFrame
    file: str | None = None


def load_lookup(path: str | os.PathLike[str], territory_ids: pd.Series) -> TerritoryLookup:
    """Read and check a lookup CSV against the dataset's territory ids (DataError if invalid)."""
    label = str(path)
    log = IssueLog()
    raw = read_table(Path(path), label, log)
    log.raise_if_errors()
    assert raw is not None
    raw = raw.rename(columns=lambda name: str(name).strip().lower())
    if "territory" not in raw.columns:
        log.error(label, "a territory column (the dataset's territory id)", row=1)
    keys = [key for key in ADDRESS_KEYS if key in raw.columns]
    if not keys:
        log.error(label, f"at least one address column: {', '.join(ADDRESS_KEYS)}", row=1)
    for column in raw.columns:
        if column not in (*ADDRESS_KEYS, "territory"):
            log.error(
                label,
                f"only the columns territory, {', '.join(ADDRESS_KEYS)}",
                row=1,
                column=column,
            )
    log.raise_if_errors()
    territory = raw["territory"].astype("str").str.strip()
    known = territory.isin(set(territory_ids.astype("str")))
    log.rows(
        label,
        ~known.to_numpy(),
        territory,
        column="territory",
        expected="a territory id of the dataset",
    )
    rules = pd.DataFrame({key: _normal(raw[key], key) for key in keys})
    empty = rules.isna().all(axis=1).to_numpy()
    log.rows(label, empty, territory, column="territory", expected="at least one address cell")
    for key in ADDRESS_KEYS:
        if key not in rules.columns:
            rules[key] = pd.Series([None] * len(rules), dtype="str")
    rules = rules.loc[:, list(ADDRESS_KEYS)]
    rules["territory"] = territory
    distinct = ~rules.duplicated(keep="first").to_numpy()
    clash = rules.duplicated(subset=list(ADDRESS_KEYS), keep=False).to_numpy()
    conflicting = np.zeros(len(rules), dtype=bool)
    conflicting[distinct] = rules[distinct].duplicated(subset=list(ADDRESS_KEYS), keep=False)
    conflicting &= clash
    for position in np.flatnonzero(conflicting)[: log.room(label)]:
        log.error(
            label,
            "one territory per address (the same address maps to another territory in another row)",
            row=spreadsheet_row(position),
            column="territory",
            value=territory.iloc[position],
        )
    log.raise_if_errors()
    return TerritoryLookup(rules.drop_duplicates().reset_index(drop=True), label)


def _patterns(rules: pd.DataFrame) -> list[tuple[str, ...]]:
    present = rules.loc[:, list(ADDRESS_KEYS)].notna()
    patterns = {
        tuple(key for key, on in zip(ADDRESS_KEYS, row, strict=True) if on)
        for row in present.drop_duplicates().itertuples(index=False)
    }
    return sorted(
        (pattern for pattern in patterns if pattern),
        key=lambda p: ("postcode" not in p, -len(p), [ADDRESS_KEYS.index(k) for k in p]),
    )


def assign_territories(
    records: pd.DataFrame, territories: pd.DataFrame, lookup: TerritoryLookup | None
) -> pd.Series:
    """Territory id per record (missing where nothing matched).

    ``records`` may hold ``territory`` and any of the address keys; ``territories`` is the
    dataset's table (``id``, ``name``).
    """
    result = pd.Series([None] * len(records), index=records.index, dtype="str")
    ids = territories["id"].astype("str").str.strip()
    if "territory" in records.columns:
        given = records["territory"].astype("str").str.strip()
        result = result.where(~member(given, ids), given)
        names = _normal(territories["name"].astype("str"), "name")
        unique = ~names.duplicated(keep=False) & names.notna()
        by_name = dict(zip(names[unique], ids[unique], strict=True))
        named = map_keys(
            _normal(given, "name"),
            pd.Series(list(by_name), dtype="str"),
            pd.Series(list(by_name.values()), dtype="str"),
        )
        result = result.where(result.notna() | named.isna(), named)
    if lookup is None or lookup.rules.empty:
        return result
    keys = {
        key: _normal(records[key], key) if key in records.columns else None for key in ADDRESS_KEYS
    }
    for pattern in _patterns(lookup.rules):
        open_rows = result.isna().to_numpy()
        if any(keys[key] is None for key in pattern) or not open_rows.any():
            continue
        mine = lookup.rules[lookup.rules[list(pattern)].notna().all(axis=1)]
        others = [key for key in ADDRESS_KEYS if key not in pattern]
        mine = mine[mine[others].isna().all(axis=1)]
        left = pd.DataFrame({key: keys[key] for key in pattern})[open_rows]
        left = left.dropna()
        if left.empty or mine.empty:
            continue
        matched = left.reset_index().merge(
            mine[[*pattern, "territory"]], on=list(pattern), how="inner"
        )
        result.loc[matched["index"].to_numpy()] = matched["territory"].to_numpy()
    return result
