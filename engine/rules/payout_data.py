"""Checking and preparing the actuals and targets tables that payouts are computed from.

Actuals (one row per deal credit, or per partner purchase):

* the payee column each plan names (``rep``, ``partner``); a row where it is empty is not the
  plan's;
* ``amount`` — revenue credited (negative for returns);
* ``period`` (a label that sorts chronologically: ``2027-Q1``, ``2027-01``) or ``date`` (the label
  is derived from it with the file's ``period`` length, in that format);
* optional ``deal`` (id), ``split`` (fraction, 0–1) or ``split_pct`` (percent): a deal split between
  payees has one row per payee and its splits must sum to 100 %; the credit is amount × split;
* optional ``cancelled_on`` (date; with ``date``, for clawbacks) — recorded in the period of the
  cancellation, or in ``cancel_period`` if that column is given;
* any other columns, for SPIFF conditions.

Targets (``--quotas``; one row per payee, or per payee and ``period``): the payee id in ``id`` or
in a column named like the plan's payee; ``quota``, ``target_incentive``, ``baseline``, optional
``plan`` (which plan pays this payee; without it every plan pays everyone it lists),
``opening_balance`` (owed at the start), ``start_period`` / ``end_period`` (the payee's first and
last period on the plan, for draws), and metric columns for gates. Payees listed get a row
even without deals (for draws); a table keyed by ``id`` only does so for plans some of its ids
sold in, so ``reps.csv`` adds no one to a partner plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from engine.errors import DataError, DataIssue

__all__ = [
    "INTERNAL_COLUMNS",
    "lookup_targets",
    "prepare_actuals",
    "prepare_targets",
    "required_values",
]

INTERNAL_COLUMNS = frozenset({"_split", "_credit", "_period", "_days_to_cancel", "_cancel_period"})

FloatArray = npt.NDArray[np.float64]
_FREQ = {"month": "M", "quarter": "Q", "year": "Y"}
_MAX_ISSUES = 20
_SPLIT_TOL = 1e-6


def _fail(issues: Sequence[DataIssue]) -> DataError:
    return DataError(issues[:_MAX_ISSUES], omitted=max(0, len(issues) - _MAX_ISSUES))


def _row_issues(
    frame: pd.DataFrame, bad: np.ndarray, column: str, expected: str, file: str | None
) -> list[DataIssue]:
    positions = np.flatnonzero(bad)
    values = frame[column].to_numpy(dtype=object)
    return [
        DataIssue(file, expected, row=int(pos) + 2, column=column, value=values[pos])
        for pos in positions[: _MAX_ISSUES + 1]
    ]


#: Largest amount accepted: a larger one is a typo, and float64 sums of such lose the cents.
_MAX_AMOUNT = 1e12


def _numbers(frame: pd.DataFrame, column: str, file: str | None) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~(np.abs(values) <= _MAX_AMOUNT)  # NaN and ±inf included
    if bad.any():
        expected = f"a number between {-_MAX_AMOUNT:,.0f} and {_MAX_AMOUNT:,.0f}"
        raise _fail(_row_issues(frame, bad, column, expected, file))
    return values


def _dates(frame: pd.DataFrame, column: str, file: str | None, *, optional: bool) -> pd.Series:
    raw = frame[column]
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy() & (raw.notna().to_numpy() if optional else True)
    if bad.any():
        raise _fail(_row_issues(frame, bad, column, "a date (YYYY-MM-DD)", file))
    return parsed


def _labels(dates: pd.Series, period: str) -> pd.Series:
    """Period labels as the dataset writes them: 2027-Q1, 2027-01 or 2027."""
    labels = dates.dt.to_period(_FREQ[period]).astype("string").str.replace("Q", "-Q", regex=False)
    return labels.astype(object).where(dates.notna(), None)


def _splits(frame: pd.DataFrame, file: str | None) -> np.ndarray:
    if "split" in frame.columns and "split_pct" in frame.columns:
        raise DataError([DataIssue(file, "either a 'split' or a 'split_pct' column, not both")])
    column = "split" if "split" in frame.columns else "split_pct"
    if column not in frame.columns:
        return np.ones(len(frame))
    if "deal" not in frame.columns:
        raise DataError([DataIssue(file, f"a 'deal' column to go with {column!r}")])
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    given = frame[column].notna().to_numpy()
    scale = 100.0 if column == "split_pct" else 1.0
    bad = given & ~((values > 0) & (values <= scale))
    if bad.any():
        expected = "a percentage in (0, 100]" if scale == 100.0 else "a fraction in (0, 1]"
        raise _fail(_row_issues(frame, bad, column, expected, file))
    splits = np.where(given, values / scale, 1.0)
    deals = frame["deal"].astype(str).to_numpy()
    totals = pd.Series(splits).groupby(deals, sort=False).transform("sum").to_numpy()
    off = np.abs(totals - 1.0) > _SPLIT_TOL
    if off.any():
        first = ~pd.Series(deals).duplicated().to_numpy() & off
        issues = [
            DataIssue(
                file,
                "the splits of a deal to sum to 100 %",
                row=int(pos) + 2,
                column=column,
                value=f"deal {deals[pos]}: {totals[pos] * 100:g} %",
            )
            for pos in np.flatnonzero(first)
        ]
        raise _fail(issues)
    return splits


def prepare_actuals(actuals: pd.DataFrame, period: str, file: str | None = None) -> pd.DataFrame:
    """A checked copy of the actuals with ``_credit``, ``_split``, ``_period`` and, when
    cancellations are given, ``_cancel_period`` and ``_days_to_cancel`` (NaN if not cancelled)."""
    missing = [c for c in ("amount",) if c not in actuals.columns]
    if "period" not in actuals.columns and "date" not in actuals.columns:
        missing.append("period or date")
    if missing:
        raise DataError([DataIssue(file, f"a column {name!r}") for name in missing])
    frame = actuals.reset_index(drop=True)
    amount = _numbers(frame, "amount", file)
    split = _splits(frame, file)
    extra: dict[str, Any] = {"_split": split, "_credit": amount * split}
    dates = _dates(frame, "date", file, optional=False) if "date" in frame.columns else None
    if "period" in frame.columns:
        bad = frame["period"].isna().to_numpy()
        if bad.any():
            raise _fail(_row_issues(frame, bad, "period", "a period label", file))
        extra["_period"] = frame["period"].astype(str).to_numpy(dtype=object)
    else:
        assert dates is not None
        extra["_period"] = _labels(dates, period).to_numpy(dtype=object)
    if "cancelled_on" in frame.columns:
        cancelled = _dates(frame, "cancelled_on", file, optional=True)
        if dates is None:
            raise DataError([DataIssue(file, "a 'date' column to go with 'cancelled_on'")])
        days = (cancelled - dates).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
        if (days < 0).any():
            issues = _row_issues(frame, days < 0, "cancelled_on", "a date on or after 'date'", file)
            raise _fail(issues)
        extra["_days_to_cancel"] = days
        if "cancel_period" in frame.columns:
            labels = frame["cancel_period"].astype(object).where(frame["cancel_period"].notna())
            extra["_cancel_period"] = labels.map(lambda v: None if pd.isna(v) else str(v))
        else:
            extra["_cancel_period"] = _labels(cancelled, period).to_numpy(dtype=object)
    return frame.assign(**extra)


def prepare_targets(targets: pd.DataFrame, payee: str, file: str | None = None) -> pd.DataFrame:
    """Targets indexed by payee id (as text), or by (payee, period) when a period column exists."""
    key = payee if payee in targets.columns else "id"
    if key not in targets.columns:
        raise DataError([DataIssue(file, f"a column 'id' or {payee!r} naming the payee")])
    frame = targets.reset_index(drop=True)
    bad = frame[key].isna().to_numpy()
    if bad.any():
        raise _fail(_row_issues(frame, bad, key, "a payee id", file))
    ids = frame[key].astype(str)
    columns = [ids.rename("_payee")]
    if "period" in frame.columns:
        columns.append(frame["period"].astype(str).rename("_period"))
    index = pd.MultiIndex.from_arrays(columns) if len(columns) > 1 else pd.Index(columns[0])
    duplicated = index.duplicated()
    if duplicated.any():
        raise _fail(_row_issues(frame, duplicated, key, "one row per payee (and period)", file))
    for column in ("quota", "target_incentive", "baseline", "opening_balance"):
        if column in frame.columns:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = frame[column].notna().to_numpy() & values.isna().to_numpy()
            if bad.any():
                raise _fail(_row_issues(frame, bad, column, "a number", file))
            frame[column] = values
    return frame.set_axis(index, axis=0)


def lookup_targets(
    targets: pd.DataFrame | None, column: str, payees: np.ndarray, periods: np.ndarray
) -> FloatArray | None:
    """Per cell value of a targets column (NaN where missing), or None without the column."""
    if targets is None or column not in targets.columns:
        return None
    if isinstance(targets.index, pd.MultiIndex):
        keys = pd.MultiIndex.from_arrays([payees, periods])
    else:
        keys = pd.Index(payees)
    values = pd.to_numeric(targets[column].reindex(keys), errors="coerce")
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def required_values(
    values: FloatArray | None,
    default: float | None,
    revenue: FloatArray,
    name: str,
    payees: np.ndarray,
    file: str | None,
) -> FloatArray:
    """A positive value per cell; missing or non-positive only where nothing was credited
    (open headcount with quota 0), where 1.0 stands in harmlessly."""
    array = np.full(len(revenue), np.nan) if values is None else values.copy()
    if default is not None:
        array = np.where(np.isnan(array), default, array)
    invalid = np.isnan(array) | (array <= 0)
    bad = invalid & (revenue != 0)
    array = np.where(invalid, 1.0, array)
    if bad.any():
        names = sorted(set(payees[bad].tolist()))
        shown = ", ".join(repr(p) for p in names[:10])
        more = f" and {len(names) - 10} more" if len(names) > 10 else ""
        where = "a column" if values is None else "a value"
        expected = (
            f"{where} {name!r} with a positive {name} for every payee with credited revenue "
            f"(missing or not positive for {shown}{more})"
        )
        raise DataError([DataIssue(file or "the targets (--quotas)", expected, column=name)])
    return array
