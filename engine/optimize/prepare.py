"""Derived tables the model builders read: one pass of pandas over the inputs, no PuLP here.

* ``cells`` — every (territory, channel) that can earn revenue, with the potential its eligible
  tiers hold and its response-curve parameters (overrides applied);
* ``candidates`` — the territories each rep may be assigned to, with the move distance;
* ``lanes`` — every (partner, territory) a partner may serve, with its per-territory volume bound.

Channel eligibility aggregate: a channel may address the share of a territory's potential held by
accounts whose tier lists the channel's kind (shares by last-12-month revenue, by account count when
that is all zero; a territory without accounts is open to every channel).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from engine.data.schema import PARTNER_CHANNEL_KINDS, REP_CHANNEL_KINDS
from engine.optimize.inputs import CostCurve, PlanningInputs
from engine.optimize.settings import OptimizeSettings
from engine.rules.risk_directives import CostUplift, Directive, Exclude

__all__ = ["ModelData", "at", "prepare", "records"]

_REP_KINDS = {k.value for k in REP_CHANNEL_KINDS}
_PARTNER_KINDS = {k.value for k in PARTNER_CHANNEL_KINDS}


def at(frame: pd.DataFrame | pd.Series) -> Any:
    """``frame.at`` typed loosely (cells of mixed-type tables are read as plain Python values)."""
    return frame.at


def records(frame: pd.DataFrame) -> Iterator[Any]:
    """Rows of ``frame`` as named tuples (typed loosely, like :func:`at`)."""
    return iter(frame.itertuples(index=False))


@dataclass(frozen=True)
class ModelData:
    """Model-ready tables (all sorted by id for deterministic builds)."""

    territories: pd.DataFrame  # index id: potential, calls, hours_demand_field
    call_groups: pd.DataFrame  # territory, kinds ("|"-joined eligible rep kinds), calls > 0
    channels: pd.DataFrame  # index id: kind, margin, cost_to_serve, ...
    cells: pd.DataFrame  # territory, channel, kind, potential, max_share, hours_scale, ...
    reps: pd.DataFrame  # index id: channel, home, today, capacity_hours, cost, active
    candidates: pd.DataFrame  # rep, territory, distance, moved
    partners: pd.DataFrame  # index id: channel, capacity, fixed_cost
    lanes: pd.DataFrame  # partner, territory, channel, bound
    budgets: Mapping[str, float]
    excluded: Mapping[str, frozenset[str]]
    uplifts: tuple[CostUplift, ...]
    curves: Mapping[str, CostCurve]
    directives: tuple[Directive, ...]
    risk_register: pd.DataFrame | None = None  # every response that fired (see PlanningInputs)
    #: territory, kinds ("|"-joined channel kinds a group of accounts may buy through), potential
    potential_groups: pd.DataFrame | None = None

    def rep_channels(self) -> list[str]:
        """Ids of channels served by reps."""
        return [str(c) for c, k in self.channels["kind"].items() if k in _REP_KINDS]


def _eligible_shares(inputs: PlanningInputs, excluded_accounts: frozenset[str]) -> pd.DataFrame:
    """Per territory × channel kind: the share of potential eligible tiers hold; and ``open``,
    the share the accounts not avoided hold (an avoided account's potential leaves the plan).
    Shares are by last year's revenue, or by count where a territory's accounts have none."""
    accounts = inputs.network.dataset.accounts[["id", "territory", "revenue_12m"]]
    tiers = inputs.tiers.set_index("account")
    frame = accounts.assign(
        id=accounts["id"].astype(str), territory=accounts["territory"].astype(str)
    )
    kept = ~frame["id"].isin(excluded_accounts).to_numpy()
    eligible = tiers["eligible_channels"].reindex(frame["id"]).to_numpy(dtype=object)
    kinds = sorted(_REP_KINDS | _PARTNER_KINDS | {"online"})
    weight = frame["revenue_12m"].to_numpy(float)
    totals = frame.assign(w=weight).groupby("territory")["w"].transform("sum").to_numpy(float)
    weight = np.where(totals > 0, weight, 1.0)
    columns = {"open": kept * weight}
    for kind in kinds:
        hit = np.array([isinstance(e, tuple | list) and kind in e for e in eligible], dtype=float)
        columns[kind] = hit * kept * weight
    shares = pd.DataFrame(columns).assign(territory=frame["territory"].to_numpy(), w=weight)
    grouped = shares.groupby("territory").sum()
    return grouped[["open", *kinds]].div(grouped["w"].where(grouped["w"] > 0, 1.0), axis=0)


def potential_groups(
    inputs: PlanningInputs, excluded_accounts: frozenset[str], potential: pd.Series
) -> pd.DataFrame:
    """Per territory and set of channel kinds its accounts' tiers allow: the potential they hold
    (a territory's ``potential`` split by last year's revenue, or by count where it has none;
    avoided accounts hold theirs out of the plan). Territories without accounts: one group of
    every kind."""
    accounts = inputs.network.dataset.accounts
    tiers = inputs.tiers.set_index("account")
    ids = accounts["id"].astype(str)
    frame = pd.DataFrame(
        {
            "territory": accounts["territory"].astype(str).to_numpy(),
            "w": accounts["revenue_12m"].to_numpy(float),
            "kept": ~ids.isin(excluded_accounts).to_numpy(),
        }
    )
    totals = frame.groupby("territory")["w"].transform("sum").to_numpy(float)
    frame["w"] = np.where(totals > 0, frame["w"], 1.0)
    frame["share"] = frame["w"] / frame.groupby("territory")["w"].transform("sum")
    eligible = tiers["eligible_channels"].reindex(ids)
    codes, distinct = pd.factorize(eligible.map(lambda e: tuple(e) if isinstance(e, list) else e))
    names = np.array(
        ["|".join(sorted(e)) if isinstance(e, tuple) else "" for e in distinct] + [""], dtype=object
    )
    frame["kinds"] = names[codes]  # (code -1, no tier: the last, empty name)
    frame = frame[frame["kept"]]
    held = frame.groupby(["territory", "kinds"])["share"].sum().reset_index()
    every = "|".join(sorted(_REP_KINDS | _PARTNER_KINDS | {"online"}))
    empty = sorted(set(potential.index) - set(accounts["territory"].astype(str)))
    whole = pd.DataFrame({"territory": empty, "kinds": every, "share": 1.0})
    groups = pd.concat([held, whole], ignore_index=True)
    original = potential.reindex(groups["territory"]).to_numpy(float)
    groups["potential"] = groups["share"].to_numpy(float) * original
    out = groups[groups["potential"] > 0][["territory", "kinds", "potential"]]
    return out.sort_values(["territory", "kinds"], ignore_index=True)


def _calls(inputs: PlanningInputs, excluded_accounts: frozenset[str]) -> pd.Series:
    accounts = inputs.network.dataset.accounts
    calls = inputs.tiers.set_index("account")["calls_per_quarter"]
    ids = accounts["id"].astype(str)
    keep = ~ids.isin(excluded_accounts)
    per_account = calls.reindex(ids[keep]).fillna(0.0).to_numpy(float)
    return (
        pd.Series(per_account, index=accounts["territory"].astype(str)[keep].to_numpy())
        .groupby(level=0)
        .sum()
    )


def call_groups(
    inputs: PlanningInputs, excluded_accounts: frozenset[str], excluded_territories: frozenset[str]
) -> pd.DataFrame:
    """Demanded calls per territory and set of rep channel kinds the account's tier allows.

    ``kinds`` joins the eligible rep kinds with "|" ("" when no rep channel may serve the tier);
    a tier table without ``eligible_channels`` lets every rep channel serve every call.
    """
    accounts = inputs.network.dataset.accounts
    tiers = inputs.tiers.set_index("account")
    ids = accounts["id"].astype(str)
    where = accounts["territory"].astype(str)
    keep = (~ids.isin(excluded_accounts) & ~where.isin(excluded_territories)).to_numpy()
    calls = tiers["calls_per_quarter"].reindex(ids[keep]).fillna(0.0).to_numpy(float)
    if "eligible_channels" in tiers:
        eligible = tiers["eligible_channels"].reindex(ids[keep]).to_numpy(dtype=object)
    else:
        eligible = np.full(int(keep.sum()), None, dtype=object)
    kinds = sorted(_REP_KINDS)
    groups = [
        "|".join(k for k in kinds if not isinstance(e, tuple | list) or k in e) for e in eligible
    ]
    frame = pd.DataFrame({"territory": where[keep].to_numpy(), "kinds": groups, "calls": calls})
    frame = frame[frame["calls"] > 0]
    return frame.groupby(["territory", "kinds"], sort=True)["calls"].sum().reset_index()


def _cells(
    inputs: PlanningInputs,
    territories: pd.DataFrame,
    channels: pd.DataFrame,
    shares: pd.DataFrame,
    excluded: Mapping[str, frozenset[str]],
) -> pd.DataFrame:
    live_t = territories[
        (territories["potential"] > 0) & ~territories.index.isin(excluded["territory"])
    ]
    live_c = channels[~channels.index.isin(excluded["channel"])]
    cells = pd.MultiIndex.from_product([live_t.index, live_c.index], names=["territory", "channel"])
    frame = cells.to_frame(index=False)
    frame["kind"] = live_c["kind"].reindex(frame["channel"]).to_numpy(dtype=object)
    # eligible share among the open accounts: live_t's potential is already the open part
    share = shares.drop(columns="open").div(shares["open"].where(shares["open"] > 0, 1.0), axis=0)
    share = share.reindex(live_t.index).fillna(1.0)
    frame["share"] = [
        at(share)[t, k] for t, k in zip(frame["territory"], frame["kind"], strict=True)
    ]
    frame["potential"] = live_t["potential"].reindex(frame["territory"]).to_numpy(float) * frame[
        "share"
    ].to_numpy(float)
    for column in ("max_share", "hours_scale", "marketing_scale"):
        frame[column] = live_c[column].reindex(frame["channel"]).to_numpy(float)
    dataset = inputs.network.dataset
    if dataset.has("response_overrides"):
        overrides = dataset.table("response_overrides").set_index(["territory", "channel"])
        key = pd.MultiIndex.from_frame(frame[["territory", "channel"]])
        for column in ("max_share", "hours_scale", "marketing_scale"):
            over = overrides[column].reindex(key).to_numpy(float)
            frame[column] = np.where(np.isnan(over), frame[column], over)
    keep = (frame["potential"] > 0) & (frame["max_share"] > 0)
    return frame[keep].reset_index(drop=True)


def _candidates(
    inputs: PlanningInputs, reps: pd.DataFrame, allowed: pd.Index, k: int
) -> pd.DataFrame:
    """Each rep's k nearest territories to home (among the allowed ones) plus today's."""
    if reps.empty:
        return pd.DataFrame({"rep": pd.Series([], dtype=object),
                             "territory": pd.Series([], dtype=object),
                             "distance": pd.Series([], dtype=float),
                             "moved": pd.Series([], dtype=bool)})  # fmt: skip
    near = inputs.network.nearest(sorted(set(reps["home"])), k=k)
    near = near[near["target"].isin(allowed)]
    by_home = near.rename(columns={"source": "home", "target": "territory"})
    candidates = reps[["home"]].reset_index(names="rep").merge(by_home, on="home", how="left")
    candidates = candidates.dropna(subset=["territory"])
    today = reps[["home", "today"]].reset_index(names="rep")
    today = today[today["today"].isin(allowed)]
    missing = today.merge(
        candidates[["rep", "territory"]],
        left_on=["rep", "today"],
        right_on=["rep", "territory"],
        how="left",
        indicator=True,
    )
    missing = missing[missing["_merge"] == "left_only"]
    extra = pd.DataFrame(
        {
            "rep": missing["rep"].to_numpy(dtype=object),
            "territory": missing["today"].to_numpy(dtype=object),
            "distance": [
                inputs.network.distance(h, t)
                for h, t in zip(missing["home"], missing["today"], strict=True)
            ],
        }
    )
    candidates = pd.concat([candidates[["rep", "territory", "distance"]], extra], ignore_index=True)
    candidates = candidates.sort_values(["rep", "territory"], ignore_index=True)
    today_of = reps["today"].reindex(candidates["rep"]).to_numpy(dtype=object)
    candidates["moved"] = candidates["territory"].to_numpy(dtype=object) != today_of
    candidates["distance"] = candidates["distance"].astype(float).replace(np.inf, 0.0)
    return candidates


def prepare(inputs: PlanningInputs, settings: OptimizeSettings) -> ModelData:
    """Derive the model's tables from the inputs and settings."""
    dataset = inputs.network.dataset
    excluded = {
        kind: frozenset(
            d.entity_id
            for d in inputs.directives
            if isinstance(d, Exclude) and d.entity_kind == kind
        )
        for kind in ("partner", "territory", "channel", "account")
    }
    territories = dataset.territories.assign(id=lambda f: f["id"].astype(str)).set_index("id")
    territories = territories[["potential"]].sort_index()
    territories["calls"] = (
        _calls(inputs, excluded["account"]).reindex(territories.index).fillna(0.0)
    )
    territories.loc[territories.index.isin(excluded["territory"]), "calls"] = 0.0
    channels = (
        dataset.channels.assign(id=lambda f: f["id"].astype(str)).set_index("id").sort_index()
    )
    channels["kind"] = channels["kind"].astype(str)
    shares = _eligible_shares(inputs, excluded["account"])
    groups_of_potential = potential_groups(inputs, excluded["account"], territories["potential"])
    # the avoided accounts' share of a territory's potential is not on offer (none left: closed)
    open_share = shares["open"].reindex(territories.index).fillna(1.0)
    territories["potential"] = territories["potential"] * open_share
    cells = _cells(inputs, territories, channels, shares, excluded)

    reps = dataset.reps.assign(id=lambda f: f["id"].astype(str)).set_index("id").sort_index()
    reps["today"] = reps["territory"].where(reps["territory"].notna(), reps["home"]).astype(str)
    reps["home"] = reps["home"].astype(str)
    reps["active"] = reps["status"].astype(str) == "active"
    reps = reps[~reps["channel"].isin(excluded["channel"])]
    allowed = territories.index[~territories.index.isin(excluded["territory"])]
    candidates = _candidates(inputs, reps, allowed, settings.candidates)

    partners = (
        dataset.partners.assign(id=lambda f: f["id"].astype(str)).set_index("id").sort_index()
    )
    partners = partners[
        ~partners.index.isin(excluded["partner"]) & ~partners["channel"].isin(excluded["channel"])
    ]
    lanes = dataset.coverage.assign(
        partner=lambda f: f["partner"].astype(str), territory=lambda f: f["territory"].astype(str)
    )
    lanes = lanes[lanes["partner"].isin(partners.index)]
    lanes["channel"] = partners["channel"].reindex(lanes["partner"]).to_numpy(dtype=object)
    cell_cap = cells.assign(cap=cells["potential"] * cells["max_share"]).set_index(
        ["territory", "channel"]
    )["cap"]
    key = pd.MultiIndex.from_frame(lanes[["territory", "channel"]])
    bound = cell_cap.reindex(key).fillna(0.0).to_numpy(float)
    bound = np.minimum(bound, partners["capacity"].reindex(lanes["partner"]).to_numpy(float))
    bound = np.minimum(bound, lanes["max_volume"].fillna(np.inf).to_numpy(float))
    lanes = lanes.assign(bound=bound)
    lanes = lanes[lanes["bound"] > 0][["partner", "territory", "channel", "bound"]]
    lanes = lanes.sort_values(["partner", "territory"], ignore_index=True)

    budgets = {
        str(c): float(a)
        for c, a in zip(dataset.budgets["category"], dataset.budgets["amount"], strict=True)
    }
    uplifts = tuple(d for d in inputs.directives if isinstance(d, CostUplift))
    groups = call_groups(inputs, excluded["account"], excluded["territory"])
    return ModelData(
        territories=territories, call_groups=groups, channels=channels, cells=cells, reps=reps,
        candidates=candidates, partners=partners, lanes=lanes,
        budgets=MappingProxyType(dict(sorted(budgets.items()))),
        excluded=MappingProxyType(excluded), uplifts=uplifts,
        curves=inputs.curves, directives=inputs.directives, risk_register=inputs.risk_register,
        potential_groups=groups_of_potential,
    )  # fmt: skip
