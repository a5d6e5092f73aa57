"""Reps from CRM users and record owners.

A rep is every active user, and every owner of an imported account, deal or partner who is not
an inactive user. Owners are matched to users by id, then by a unique name (Excel exports often
carry only the owner's name). A rep's home is the territory of its user's address, else the
territory where it owns the most imported accounts (ties: the smallest id); a rep with neither is
skipped and reported. Channel, hours, cost and quota come from the user record where the mapping
maps them, else from the mapping's ``reps`` defaults, else from the dataset's rep channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from engine.crm.accounts import place
from engine.crm.keys import resolve
from engine.crm.mapping import PartnerDefaults, RepDefaults
from engine.crm.report import ImportReport
from engine.crm.territory import TerritoryLookup
from engine.errors import DataError, DataIssue

__all__ = ["ChannelDefaults", "build_reps", "channel_defaults", "owner_reps"]

_FALLBACK_HOURS = 400.0


@dataclass(frozen=True)
class ChannelDefaults:
    """Resolved defaults for imported reps and partners."""

    rep_channel: str
    capacity_hours: float
    cost: float
    quota: float
    partner_channel: str | None
    partner_capacity: float
    partner_fixed_cost: float


def _first_of(channels: pd.DataFrame, kinds: tuple[str, ...]) -> str | None:
    for kind in kinds:
        ids = sorted(channels.loc[channels["kind"].astype("str").str.strip() == kind, "id"])
        if ids:
            return str(ids[0]).strip()
    return None


def _channel_number(row: pd.DataFrame, column: str) -> float | None:
    if column not in row.columns or row.empty:
        return None
    value = pd.to_numeric(row[column], errors="coerce").iloc[0]
    return None if pd.isna(value) else float(value)


def channel_defaults(
    channels: pd.DataFrame, reps: RepDefaults, partners: PartnerDefaults, label: str
) -> ChannelDefaults:
    """Fill the mapping's rep/partner defaults from the dataset's channels table."""
    rep_channel = reps.channel or _first_of(channels, ("direct_field", "inside"))
    if rep_channel is None:
        raise DataError(
            [
                DataIssue(
                    label,
                    "a direct_field or inside channel for imported reps "
                    "(or reps.channel in the mapping)",
                )
            ]
        )
    row = channels[channels["id"].astype("str").str.strip() == rep_channel]
    hours = reps.capacity_hours
    if hours is None:
        hours = _channel_number(row, "hire_capacity_hours")
    cost = reps.cost
    if cost is None:
        cost = _channel_number(row, "hire_cost")
    return ChannelDefaults(
        rep_channel=rep_channel,
        capacity_hours=_FALLBACK_HOURS if hours is None else hours,
        cost=0.0 if cost is None else cost,
        quota=reps.quota,
        partner_channel=partners.channel or _first_of(channels, ("distributor", "agent")),
        partner_capacity=partners.capacity,
        partner_fixed_cost=partners.fixed_cost,
    )


def owner_reps(owners: pd.DataFrame, users: pd.DataFrame | None) -> pd.Series:
    """Rep id of each owner mention (``owner_id``, ``owner_name``): a user's id, else its own."""
    if users is None or users.empty:
        return owners["owner_id"].astype("str")
    found = resolve(owners["owner_id"], owners["owner_name"], users["id"], users["name"])
    return found.where(found.notna(), owners["owner_id"]).astype("str")


def _homes(pairs: pd.DataFrame) -> pd.Series:
    counts = pairs.dropna().groupby(["rep", "territory"]).size().rename("n").reset_index()
    counts = counts.sort_values(["rep", "n", "territory"], ascending=[True, False, True])
    return counts.drop_duplicates("rep").set_index("rep")["territory"]


def build_reps(
    users: pd.DataFrame | None,
    mentions: pd.DataFrame,
    owned: pd.DataFrame,
    territories: pd.DataFrame,
    lookup: TerritoryLookup | None,
    defaults: ChannelDefaults,
    report: ImportReport,
) -> pd.DataFrame:
    """The reps table (``users`` already deduplicated).

    ``mentions``: rep, owner_name, _file, _row of every owner mention (first mention of a rep is
    where a problem is reported); ``owned``: rep, territory of every imported account or deal.
    """
    inactive: set[str] = set()
    if users is not None:
        off = (users["status"] == "inactive").fillna(False).to_numpy(dtype=bool)
        report.add(
            users["_file"][off].to_numpy(),
            users["_row"].to_numpy()[off],
            "status",
            "inactive",
            "user inactive: not imported as a rep",
        )
        inactive = set(users.loc[off, "id"])
        users = place(users[~off], "user", territories, lookup, report, required=False)
    mentioned = mentions.dropna(subset=["rep"]).drop_duplicates("rep")
    mentioned = mentioned[~mentioned["rep"].isin(inactive)]
    base = pd.DataFrame(
        {
            "id": mentioned["rep"],
            "name": mentioned["owner_name"],
            "territory": None,
            "_file": mentioned["_file"],
            "_row": mentioned["_row"],
        }
    )
    for column in ("channel", "capacity_hours", "cost", "quota"):
        base[column] = None
    if users is not None:
        base = pd.concat(
            [
                users[
                    [
                        "id",
                        "name",
                        "territory",
                        "channel",
                        "capacity_hours",
                        "cost",
                        "quota",
                        "_file",
                        "_row",
                    ]
                ],
                base[~base["id"].isin(set(users["id"]))],
            ],
            ignore_index=True,
        )
    home = base["territory"].where(base["territory"].notna(), base["id"].map(_homes(owned)))
    lost = home.isna().to_numpy()
    report.add(
        base["_file"][lost].to_numpy(),
        base["_row"].to_numpy()[lost],
        "owner",
        base["id"].to_numpy()[lost],
        "rep skipped: no home territory (no address, owns no imported account)",
    )
    base = base.assign(home=home)[~lost]
    reps = pd.DataFrame(
        {
            "id": base["id"].astype("str"),
            "name": base["name"].fillna("").astype("str"),
            "channel": base["channel"].fillna(defaults.rep_channel).astype("str"),
            "home": base["home"].astype("str"),
            "territory": base["home"].astype("str"),
            "capacity_hours": pd.to_numeric(base["capacity_hours"]).fillna(defaults.capacity_hours),
            "cost": pd.to_numeric(base["cost"]).fillna(defaults.cost),
            "quota": pd.to_numeric(base["quota"]).fillna(defaults.quota),
            "status": "active",
        }
    )
    return reps.sort_values("id", kind="stable").reset_index(drop=True)
