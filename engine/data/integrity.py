"""Checks across tables: references between them and the sanity of the territory graph."""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.data.issues import IssueLog
from engine.data.schema import PARTNER_CHANNEL_KINDS, REP_CHANNEL_KINDS

__all__ = ["check_integrity"]


def _member(values: pd.Series, targets: pd.Series) -> np.ndarray:
    """Whether each value is among ``targets`` (arrow's hash set: fast for a million ids)."""
    value_set = pc.unique(pa.array(targets.astype("str"), from_pandas=True))
    found = pc.is_in(pa.array(values.astype("str"), from_pandas=True), value_set=value_set)
    return np.asarray(found.fill_null(False), dtype=bool)


def _refs(
    log: IssueLog,
    label: str,
    frame: pd.DataFrame,
    column: str,
    targets: pd.Series,
    target_name: str,
    *,
    optional: bool = False,
) -> None:
    if column not in frame.columns or frame.empty:
        return
    values = frame[column]
    missing = ~_member(values, targets)
    if optional:
        missing &= values.notna().to_numpy()
    log.rows(label, missing, values, column=column, expected=f"an id listed in {target_name}")


def _channel_kind(
    log: IssueLog,
    label: str,
    frame: pd.DataFrame,
    channels: pd.DataFrame,
    kinds: frozenset[str],
    what: str,
) -> None:
    kind_of = dict(zip(channels["id"], channels["kind"], strict=True))
    actual = frame["channel"].map(kind_of)
    wrong = (actual.notna() & ~actual.isin(sorted(kinds))).to_numpy()
    log.rows(
        label,
        wrong,
        frame["channel"],
        column="channel",
        expected=f"a channel of kind {' or '.join(sorted(kinds))} ({what})",
    )


def check_integrity(
    tables: Mapping[str, pd.DataFrame], labels: Mapping[str, str], log: IssueLog
) -> None:
    """Record every broken reference and graph problem of a dataset whose tables are typed."""
    territories = tables["territories"]["id"]
    channels = tables["channels"]
    names = {table: f"{labels[table]} (id)" for table in labels}
    for table, column, target, optional in (
        ("territories", "parent", "territories", True),
        ("adjacency", "a", "territories", False),
        ("adjacency", "b", "territories", False),
        ("accounts", "territory", "territories", False),
        ("reps", "home", "territories", False),
        ("reps", "territory", "territories", True),
        ("reps", "channel", "channels", False),
        ("partners", "channel", "channels", False),
        ("coverage", "partner", "partners", False),
        ("coverage", "territory", "territories", False),
        ("response_overrides", "territory", "territories", False),
        ("response_overrides", "channel", "channels", False),
        ("actuals", "rep", "reps", True),
        ("actuals", "partner", "partners", True),
        ("actuals", "account", "accounts", True),
    ):
        if table not in tables:
            continue
        if target in tables:
            ids, name = tables[target]["id"], names[target]
        else:  # a reference to a table the dataset lacks names nothing that exists
            ids, name = pd.Series([], dtype=object), f"{target} (the dataset has no {target} table)"
        _refs(log, labels[table], tables[table], column, ids, name, optional=optional)
    if "reps" in tables:
        _channel_kind(log, labels["reps"], tables["reps"], channels, REP_CHANNEL_KINDS, "reps")
    if "partners" in tables:
        _channel_kind(
            log, labels["partners"], tables["partners"], channels, PARTNER_CHANNEL_KINDS, "partners"
        )
    if "partners" in tables and "coverage" not in tables and not tables["partners"].empty:
        log.error(labels["partners"], "a coverage table listing the territories partners serve")
    if "budgets" in tables and tables["budgets"].empty:  # every spend then goes unlimited
        log.warn(labels["budgets"], "budget lines (the table is empty: no spend is limited)")
    empty_coverage = "coverage" in tables and tables["coverage"].empty
    if empty_coverage and "partners" in tables and not tables["partners"].empty:
        log.warn(labels["coverage"], "rows (the table is empty: no partner serves a territory)")
    if "actuals" in tables and "date" in tables["actuals"]:
        _check_dates(log, labels["actuals"], tables["actuals"]["date"])
    _check_coordinates(log, labels["territories"], tables["territories"])
    _check_graph(log, labels["adjacency"], tables["adjacency"], territories)


def _check_dates(log: IssueLog, label: str, dates: pd.Series) -> None:
    """ISO dates, as documented (2027-03-14, a time after it allowed): 03/04/2027 could be
    March or April."""
    given = dates.notna().to_numpy()
    parsed = pd.to_datetime(dates.where(given, None), format="ISO8601", errors="coerce")
    log.rows(label, given & parsed.isna().to_numpy(), dates, column="date",
             expected="an ISO date (YYYY-MM-DD)")  # fmt: skip


def _check_coordinates(log: IssueLog, label: str, territories: pd.DataFrame) -> None:
    for first, second in (("lat", "lon"), ("x", "y")):
        half = territories[first].isna() != territories[second].isna()
        log.rows(
            label,
            half.to_numpy(),
            territories[first],
            column=first,
            expected=f"{first} and {second} both given or both empty",
        )


def _check_graph(
    log: IssueLog, label: str, adjacency: pd.DataFrame, territories: pd.Series
) -> None:
    a = adjacency["a"].to_numpy(dtype=object)
    b = adjacency["b"].to_numpy(dtype=object)
    loops = a == b
    if loops.any():
        shown = ", ".join(str(log.row_of(label, p)) for p in np.flatnonzero(loops)[:10])
        log.warn(label, f"no border of a territory with itself (ignored; rows {shown})")
    low = np.where(a <= b, a, b)
    high = np.where(a <= b, b, a)
    pairs = pd.DataFrame({"low": low, "high": high, "time": adjacency["travel_time"]})[~loops]
    repeated = pairs.duplicated(subset=["low", "high"], keep=False)
    if repeated.any():
        groups = pairs[repeated].groupby(["low", "high"], sort=True)["time"]
        conflicting = groups.nunique(dropna=False) > 1
        for (first, second), clash in conflicting.items():
            rows = [
                log.row_of(label, p)
                for p in pairs[repeated].index
                if {a[p], b[p]} == {first, second}
            ]
            if clash:
                log.error(
                    label,
                    f"one travel_time per border (border {first}–{second} at rows {rows})",
                    row=rows[1],
                    column="travel_time",
                )
            else:
                log.warn(
                    label, f"each border once (border {first}–{second} repeats at rows {rows})"
                )
    graph = nx.Graph()
    graph.add_nodes_from(territories)
    graph.add_edges_from(zip(pairs["low"], pairs["high"], strict=True))
    if graph.number_of_nodes() == 0:
        return
    components = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
    if len(components) > 1:
        small = [sorted(component) for component in components[1:6]]
        shown = "; ".join(", ".join(ids[:5]) + (" …" if len(ids) > 5 else "") for ids in small)
        log.warn(
            label,
            f"a connected territory graph: {len(components)} components, the largest has "
            f"{len(components[0])} territories; others: {shown}",
        )
