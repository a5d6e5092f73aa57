"""Deals -> account metrics: revenue, orders, growth and recency from won deals in a window.

The window is ``(as_of − months, as_of]``; growth compares it with the window before,
``(as_of − 2·months, as_of − months]``: ``revenue / previous − 1``, and 0 when the previous
window has no revenue (growth is undefined for a new account). ``last_order_days`` counts from
the latest won deal up to ``as_of`` in the files, also before the window, so that lapsed accounts
read as lapsed. ``as_of`` defaults to the latest won close date in the files (deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.crm.keys import dedupe, resolve
from engine.crm.report import ImportReport

__all__ = ["Window", "account_metrics", "default_as_of", "link_deals", "won_actuals"]


@dataclass(frozen=True)
class Window:
    """The revenue window ending (inclusive) at ``as_of``."""

    as_of: pd.Timestamp
    months: int = 12

    @property
    def start(self) -> pd.Timestamp:
        return self.as_of - pd.DateOffset(months=self.months)

    @property
    def previous_start(self) -> pd.Timestamp:
        return self.as_of - pd.DateOffset(months=2 * self.months)


def _report(
    deals: pd.DataFrame,
    mask: np.ndarray,
    report: ImportReport,
    column: str,
    values: pd.Series | str,
    why: str,
) -> None:
    shown = values[mask].astype("str").to_numpy() if isinstance(values, pd.Series) else values
    report.add(deals["_file"][mask].to_numpy(), deals["_row"].to_numpy()[mask], column, shown, why)


def link_deals(deals: pd.DataFrame, accounts: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Deals with their ``account`` id and a ``counted`` flag (won, dated, linked).

    Every deal that does not count towards an account's revenue for a reason other than being
    open or lost is reported.
    """
    deals = dedupe(deals, "deal", report)
    account = resolve(deals["account_id"], deals["account_name"], accounts["id"], accounts["name"])
    deals = deals.assign(account=account)
    unlinked = account.isna().to_numpy()
    label = deals["account_id"].where(deals["account_id"].notna(), deals["account_name"])
    _report(
        deals,
        unlinked,
        report,
        "account",
        label.fillna(""),
        "deal not counted: its account is not among the imported accounts",
    )
    status = deals["status"]
    unknown = status.isna().to_numpy() & ~unlinked
    _report(deals, unknown, report, "status", "", "deal not counted: no known stage/status")
    won = (status == "won").fillna(False).to_numpy(dtype=bool) & ~unlinked
    undated = won & deals["close_date"].isna().to_numpy()
    _report(deals, undated, report, "close_date", "", "won deal not counted: no close date")
    no_amount = won & deals["amount"].isna().to_numpy()
    _report(deals, no_amount, report, "amount", "", "won deal counted with amount 0: no amount")
    return deals.assign(counted=won & ~undated, amount=deals["amount"].fillna(0.0))


def default_as_of(deals: pd.DataFrame | None, accounts: pd.DataFrame) -> pd.Timestamp | None:
    """The latest won close date, else the latest last-deal date of an account, else None."""
    if deals is not None and deals["counted"].any():
        return pd.Timestamp(deals.loc[deals["counted"], "close_date"].max()).normalize()
    last = accounts["last_deal_date"].dropna() if "last_deal_date" in accounts else None
    return pd.Timestamp(last.max()).normalize() if last is not None and len(last) else None


def _in_window(deals: pd.DataFrame, window: Window, report: ImportReport) -> pd.DataFrame:
    day = deals["close_date"].dt.normalize()
    future = (deals["counted"] & (day > window.as_of)).to_numpy(dtype=bool)
    report.add(
        deals["_file"][future].to_numpy(),
        deals["_row"].to_numpy()[future],
        "close_date",
        day[future].dt.strftime("%Y-%m-%d").to_numpy(),
        f"won deal not counted: closes after the as-of date {window.as_of:%Y-%m-%d}",
    )
    counted = deals[deals["counted"].to_numpy(dtype=bool) & ~future]
    return counted.assign(day=day[counted.index])


def account_metrics(deals: pd.DataFrame, window: Window, report: ImportReport) -> pd.DataFrame:
    """Per account id: revenue_12m, orders_12m, growth and last_deal (a date)."""
    counted = _in_window(deals, window, report)
    current = counted[counted["day"] > window.start]
    previous = counted[(counted["day"] > window.previous_start) & (counted["day"] <= window.start)]
    metrics = pd.DataFrame(
        {
            "revenue_12m": current.groupby("account")["amount"].sum(),
            "orders_12m": current.groupby("account")["amount"].size(),
            "previous": previous.groupby("account")["amount"].sum(),
            "last_deal": counted.groupby("account")["day"].max(),
        }
    )
    metrics[["revenue_12m", "orders_12m", "previous"]] = metrics[
        ["revenue_12m", "orders_12m", "previous"]
    ].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = metrics["revenue_12m"] / metrics["previous"] - 1.0
    metrics["growth"] = growth.where(metrics["previous"] > 0, 0.0).round(6)
    return metrics.drop(columns="previous")


def won_actuals(
    deals: pd.DataFrame,
    window: Window,
    rep_of_owner: pd.Series,
    partner_ids: pd.Series,
) -> pd.DataFrame:
    """The actuals table: won deals in the window, with the rep and partner credited.

    ``rep_of_owner`` gives each deal's rep id (missing: no rep); ``partner_ids`` lists the
    partners of the dataset.
    """
    day = deals["close_date"].dt.normalize()
    keep = (deals["counted"] & (day > window.start) & (day <= window.as_of)).to_numpy(dtype=bool)
    rows = deals[keep]
    partner = resolve(rows["partner_id"], rows["partner_name"], partner_ids, partner_ids)
    quarter = day[keep].dt.quarter.astype("str")
    actuals = pd.DataFrame(
        {
            "period": day[keep].dt.year.astype("str") + "-Q" + quarter,
            "deal": rows["id"].astype("str"),
            "rep": rep_of_owner[keep].astype("str"),
            "partner": partner,
            "account": rows["account"].astype("str"),
            "amount": rows["amount"].astype("float64"),
            "date": day[keep].dt.strftime("%Y-%m-%d"),
        }
    )
    return actuals.sort_values(["date", "deal"], kind="stable").reset_index(drop=True)
