"""Accounts and partners tables from mapped CRM records.

An account needs an id and a territory; one without either is skipped and reported.
Accounts carry, besides the schema's columns, ``owner`` (rep id), ``level`` (the mapped account
level, a tiering input), ``partner`` (partner id, or the CRM's partner text when no partners were
imported), ``last_deal_date`` and the mapping's extra columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.crm.deals import Window
from engine.crm.keys import dedupe, map_keys, member, resolve
from engine.crm.report import ImportReport
from engine.crm.territory import ADDRESS_KEYS, TerritoryLookup, assign_territories

__all__ = [
    "account_partners",
    "build_partners",
    "coverage",
    "finish_accounts",
    "place",
    "place_accounts",
]


def _address(frame: pd.DataFrame) -> pd.Series:
    """The address fields of each record as ``key=value; ...`` (for the report)."""
    joined = pd.Series("", index=frame.index, dtype="str")
    for key in ("territory", *ADDRESS_KEYS):
        if key not in frame.columns:
            continue
        cell = frame[key].fillna("").astype("str")
        piece = (key + "=" + cell).where(cell != "", "")
        separator = pd.Series("; ", index=frame.index).where((joined != "") & (piece != ""), "")
        joined = joined + separator + piece
    return joined


def place(
    frame: pd.DataFrame,
    what: str,
    territories: pd.DataFrame,
    lookup: TerritoryLookup | None,
    report: ImportReport,
    *,
    required: bool,
) -> pd.DataFrame:
    """``frame`` with a ``territory`` from its address; unplaced records reported (and dropped
    when ``required``)."""
    territory = assign_territories(frame, territories, lookup)
    missing = territory.isna().to_numpy(copy=True)
    address = _address(frame[missing]).to_numpy() if missing.any() else np.array([], dtype=object)
    if not required:  # a record without any address is simply not placed
        keep = address != ""
        missing[np.flatnonzero(missing)[~keep]] = False
        address = address[keep]
    if missing.any():
        consequence = "skipped" if required else "has no territory"
        reason = np.where(
            address == "", "it has no territory or address", "its address maps to no territory"
        )
        report.add(
            frame["_file"][missing].to_numpy(),
            frame["_row"].to_numpy()[missing],
            "territory",
            address,
            np.char.add(f"{what} {consequence}: ", reason.astype(str)).astype(object),
        )
    missing = territory.isna().to_numpy()
    frame = frame.assign(territory=territory)
    return frame[~missing].reset_index(drop=True) if required else frame


def place_accounts(
    records: pd.DataFrame,
    territories: pd.DataFrame,
    lookup: TerritoryLookup | None,
    report: ImportReport,
) -> pd.DataFrame:
    """Deduplicated accounts with a territory."""
    accounts = dedupe(records, "account", report)
    accounts = place(accounts, "account", territories, lookup, report, required=True)
    return accounts


def finish_accounts(
    accounts: pd.DataFrame,
    metrics: pd.DataFrame | None,
    window: Window | None,
    owner: pd.Series,
    partner: pd.Series,
    extras: list[str],
    report: ImportReport,
) -> pd.DataFrame:
    """The accounts table: schema columns, then the import's and the mapping's extra columns."""
    ids = accounts["id"]
    revenue = pd.Series(0.0, index=accounts.index)
    orders = pd.Series(0, index=accounts.index, dtype="int64")
    growth = pd.Series(0.0, index=accounts.index)
    last = accounts["last_deal_date"].dt.normalize()
    if metrics is not None:
        keys = metrics.index.to_series()
        revenue = map_keys(ids, keys, metrics["revenue_12m"]).fillna(0.0).astype("float64")
        orders = map_keys(ids, keys, metrics["orders_12m"]).fillna(0).astype("int64")
        growth = map_keys(ids, keys, metrics["growth"]).fillna(0.0).astype("float64")
        from_deals = map_keys(ids, keys, metrics["last_deal"])
        last = from_deals.where(from_deals.notna(), last)
    negative = (revenue < 0).to_numpy()
    if negative.any():
        report.add(
            accounts["_file"][negative].to_numpy(),
            accounts["_row"].to_numpy()[negative],
            "revenue_12m",
            revenue[negative].to_numpy(),
            "revenue_12m negative (refunds exceed sales in the window): set to 0",
        )
        revenue = revenue.clip(lower=0.0)
    days = pd.Series(pd.NA, index=accounts.index, dtype="Int64")
    if window is not None:
        last = last.where(last <= window.as_of)
        days = (window.as_of - last).dt.days.astype("Int64")
    table = pd.DataFrame(
        {
            "id": ids.astype("str"),
            "territory": accounts["territory"].astype("str"),
            "name": accounts["name"].fillna("").astype("str"),
            "segment": accounts["segment"].fillna("").astype("str"),
            "industry": accounts["industry"].fillna("").astype("str"),
            "revenue_12m": revenue.round(2),
            "orders_12m": orders,
            "growth": growth,
            "satisfaction": accounts["satisfaction"],
            "credit_score": accounts["credit_score"],
            "last_order_days": days,
            "employees": accounts["employees"].round().astype("Int64"),
            "owner": owner.astype("str"),
            "level": accounts["level"].astype("str"),
            "partner": partner.astype("str"),
            "last_deal_date": last.dt.strftime("%Y-%m-%d"),
        }
    )
    for name in extras:
        if name not in accounts.columns:
            continue
        column = accounts[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            column = column.dt.strftime("%Y-%m-%d")
        table[name] = column
    return table.sort_values("id", kind="stable").reset_index(drop=True)


def build_partners(
    records: pd.DataFrame,
    territories: pd.DataFrame,
    lookup: TerritoryLookup | None,
    channel: str,
    capacity: float,
    fixed_cost: float,
    report: ImportReport,
) -> pd.DataFrame:
    """Deduplicated partners with the schema's columns plus ``territory`` (of their address)."""
    partners = dedupe(records, "partner", report)
    partners = place(partners, "partner", territories, lookup, report, required=False)
    return pd.DataFrame(
        {
            "id": partners["id"].astype("str"),
            "name": partners["name"].fillna("").astype("str"),
            "channel": partners["channel"].fillna(channel).astype("str"),
            "capacity": partners["capacity"].fillna(capacity),
            "fixed_cost": partners["fixed_cost"].fillna(fixed_cost),
            "credit_limit": partners["credit_limit"],
            "credit_score": partners["credit_score"],
            "territory": partners["territory"],
            "_file": partners["_file"],
            "_row": partners["_row"],
        }
    )


def account_partners(
    accounts: pd.DataFrame, partners: pd.DataFrame | None, report: ImportReport
) -> pd.Series:
    """Each account's partner id (resolved by id or name when partners were imported)."""
    given = accounts["partner_id"].where(accounts["partner_id"].notna(), accounts["partner_name"])
    if partners is None:
        return given.astype("str")
    found = resolve(
        accounts["partner_id"], accounts["partner_name"], partners["id"], partners["name"]
    )
    missing = (found.isna() & given.notna()).to_numpy()
    report.add(
        accounts["_file"][missing].to_numpy(),
        accounts["_row"].to_numpy()[missing],
        "partner",
        given[missing].astype("str").to_numpy(),
        "partner not among the imported partners (left empty)",
    )
    return found


def coverage(accounts: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """Territories each partner serves: those of its accounts and of its own address."""
    pairs = pd.concat(
        [
            pd.DataFrame({"partner": accounts["partner"], "territory": accounts["territory"]}),
            pd.DataFrame({"partner": partners["id"], "territory": partners["territory"]}),
        ],
        ignore_index=True,
    ).dropna()
    pairs = pairs[member(pairs["partner"], partners["id"])].drop_duplicates()
    table = pairs.sort_values(["partner", "territory"], kind="stable").reset_index(drop=True)
    return table.assign(max_volume=np.nan).astype({"partner": "str", "territory": "str"})
