"""Mapped CRM exports -> the dataset tables accounts, reps, partners, coverage and actuals.

:func:`convert` is pure: exports and the base dataset's territories and channels in, new tables
and a report out. Accounts are required; deals, users and partners are optional. Deals give the
accounts their revenue, orders, growth and recency (see :mod:`engine.crm.deals`) and become the
actuals table (won deals in the window); partners replace the partners and coverage tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from engine.crm.accounts import (
    account_partners,
    build_partners,
    coverage,
    finish_accounts,
    place_accounts,
)
from engine.crm.deals import Window, account_metrics, default_as_of, link_deals, won_actuals
from engine.crm.extract import extract
from engine.crm.keys import dedupe, map_keys, member
from engine.crm.mapping import CrmMapping
from engine.crm.report import ImportReport
from engine.crm.reps import build_reps, channel_defaults, owner_reps
from engine.crm.sources import Export
from engine.crm.territory import TerritoryLookup
from engine.errors import DataError, DataIssue

__all__ = ["Conversion", "convert"]


@dataclass(frozen=True)
class Conversion:
    """New tables (name -> frame), the tables to drop from the base, and what happened."""

    tables: dict[str, pd.DataFrame]
    drop: tuple[str, ...]
    as_of: pd.Timestamp | None
    window_months: int
    counts: dict[str, int]


def _records(
    exports: Sequence[tuple[Export, str]], mapping: CrmMapping, report: ImportReport
) -> dict[str, pd.DataFrame]:
    by_kind: dict[str, list[pd.DataFrame]] = {}
    for export, module in exports:
        kind = mapping.modules[module].kind
        by_kind.setdefault(kind, []).append(extract(export, module, mapping, report))
    return {kind: pd.concat(frames, ignore_index=True) for kind, frames in by_kind.items()}


def _mentions(frame: pd.DataFrame, users: pd.DataFrame | None) -> pd.DataFrame:
    mentions = frame[["owner_id", "owner_name", "_file", "_row"]].reset_index(drop=True)
    return mentions.assign(rep=owner_reps(mentions, users).where(mentions["owner_id"].notna()))


def convert(
    exports: Sequence[tuple[Export, str]],
    mapping: CrmMapping,
    territories: pd.DataFrame,
    channels: pd.DataFrame,
    *,
    lookup: TerritoryLookup | None = None,
    window_months: int = 12,
    as_of: pd.Timestamp | None = None,
    report: ImportReport,
    label: str = "<dataset>",
) -> Conversion:
    """Turn ``exports`` (each with its module name) into dataset tables; findings go to ``report``.

    ``territories`` and ``channels`` are the base dataset's tables (text or typed).
    """
    records = _records(exports, mapping, report)
    if "accounts" not in records:
        modules = [name for name, module in mapping.modules.items() if module.kind == "accounts"]
        raise DataError(
            [
                DataIssue(
                    None,
                    f"an accounts export ({', '.join(modules)}) among the "
                    "files: accounts carry the territories",
                )
            ]
        )
    territories = territories.assign(id=territories["id"].astype("str").str.strip())
    defaults = channel_defaults(channels, mapping.reps, mapping.partners, label)
    accounts = place_accounts(records["accounts"], territories, lookup, report)
    if accounts.empty:
        read = len(records["accounts"])
        hint = "" if lookup is not None or not read else " (no territory lookup table was given)"
        kinds = {name: module.kind for name, module in mapping.modules.items()}
        files = ", ".join(e.file for e, name in exports if kinds[name] == "accounts") or None
        raise DataError(
            [
                DataIssue(
                    files,
                    f"at least one account placed in a territory{hint}; {read} account "
                    "record(s) read, none placed (the import report lists each one)",
                )
            ]
        )
    users = dedupe(records["users"], "user", report) if "users" in records else None

    partners = None
    if "partners" in records:
        if defaults.partner_channel is None:
            raise DataError(
                [
                    DataIssue(
                        label,
                        "a distributor or agent channel for imported "
                        "partners (or partners.channel in the mapping)",
                    )
                ]
            )
        partners = build_partners(
            records["partners"],
            territories,
            lookup,
            defaults.partner_channel,
            defaults.partner_capacity,
            defaults.partner_fixed_cost,
            report,
        )
    partner = account_partners(accounts, partners, report)

    deals = None
    window = None
    metrics = None
    if "deals" in records:
        deals = link_deals(records["deals"], accounts, report)
    as_of = as_of if as_of is not None else default_as_of(deals, accounts)
    if as_of is not None:
        window = Window(pd.Timestamp(as_of).normalize(), window_months)
    if deals is not None and window is not None:
        metrics = account_metrics(deals, window, report)

    account_mentions = _mentions(accounts, users)
    frames = [accounts, *(f for f in (deals, partners) if f is not None)]
    mentions = pd.concat(
        [_mentions(frame, users) for frame in frames if "owner_id" in frame], ignore_index=True
    )
    owned = pd.DataFrame({"rep": account_mentions["rep"], "territory": accounts["territory"]})
    if deals is not None:  # reps owning no account: the territories of their deals' accounts
        deal_reps = _mentions(deals, users)["rep"]
        deal_territory = map_keys(deals["account"], accounts["id"], accounts["territory"])
        only_deals = ~member(deal_reps, owned["rep"].dropna())
        owned = pd.concat(
            [owned, pd.DataFrame({"rep": deal_reps, "territory": deal_territory})[only_deals]]
        )
    reps = build_reps(users, mentions, owned, territories, lookup, defaults, report)

    extras = list(mapping_extras(mapping))
    tables = {
        "accounts": finish_accounts(
            accounts, metrics, window, account_mentions["rep"], partner, extras, report
        ),
        "reps": reps,
    }
    drop: list[str] = []
    if partners is not None:
        tables["coverage"] = coverage(tables["accounts"], partners)
        tables["partners"] = partners.drop(columns=["territory", "_file", "_row"])
    if deals is not None and window is not None:
        deal_reps = _mentions(deals, users)["rep"]
        rep_of_deal = deal_reps.where(member(deal_reps, reps["id"]))
        partner_ids = partners["id"] if partners is not None else pd.Series([], dtype="str")
        tables["actuals"] = won_actuals(deals, window, rep_of_deal, partner_ids)
    else:
        drop.append("actuals")
    counts = {
        "accounts": len(tables["accounts"]),
        "account records": len(records["accounts"]),
        "deals": 0 if deals is None else len(deals),
        "won deals in window": len(tables.get("actuals", ())),
        "reps": len(reps),
        "partners": len(tables.get("partners", ())),
    }
    return Conversion(tables, tuple(drop), window.as_of if window else None, window_months, counts)


def mapping_extras(mapping: CrmMapping) -> dict[str, None]:
    """Names of the extra account columns of every accounts module, in mapping order."""
    names: dict[str, None] = {}
    for module in mapping.modules.values():
        names.update(dict.fromkeys(module.extra_columns))
    return names
