"""Vectorised parsing of CRM text cells: numbers and currency, dates, ids, picklist values.

Every parser takes a column of text (blank = missing) and returns the parsed column plus a mask
of the cells that held something but could not be parsed, so the caller can report them with
their rows. Nothing loops over rows in Python.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.crm.mapping import ValueMap

__all__ = ["blank_mask", "map_values", "parse_date", "parse_number", "strip_prefix"]

#: An optional sign, an optional "(", a currency prefix (symbols or letters), the number, a suffix
#: (currency code, "%"), an optional ")". Thousands separators and spaces are removed beforehand.
_NUMBER = (
    r"^(?P<sign>[-+])?(?P<open>\()?[^0-9+.()-]*(?P<number>[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
    r"(?:[eE][-+]?[0-9]+)?)[^0-9()]*(?P<close>\))?$"
)
#: A plain number once separators and currency are gone (what Arrow may cast to float).
_PLAIN = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_ISO = (
    r"^(?P<date>[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2})"
    r"(?:[T ](?P<hm>[0-9]{1,2}:[0-9]{2})(?P<s>:[0-9]{2})?(?:\.[0-9]+)?)? *"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_EPOCH = r"^-?[0-9]{11,13}$"
#: Thousands separators and spaces (ASCII, no-break, ideographic, full-width comma). Patterns here
#: avoid \s, \d and \u escapes so that pandas runs them in Arrow (RE2), not row by row in Python.
_SEPARATORS = "[, \t\u00a0\u3000\uff0c]"
#: A thousands separator is followed by three digits (or, in Indian lakh grouping, by two and
#: another separator); anything else is a decimal comma (``1.234,50``, ``1,5``) or a trailing
#: minus (``20000-``), which would be misread. RE2 syntax, for Arrow: no look-arounds.
_GROUP = "[, \u00a0\u3000\uff0c]"
_AMBIGUOUS = (
    f"[0-9]{_GROUP}([0-9]([^0-9]|$)|[0-9]{{2}}([^0-9,]|$)|[0-9]{{4}})"
    f"|\\.[0-9]*{_GROUP}[0-9]"
    "|[0-9][ \t]*-[ \t]*$"
)


def blank_mask(text: pd.Series) -> np.ndarray:
    """Cells that hold nothing (missing or only spaces)."""
    return np.asarray((text.isna() | (text.str.strip() == "")).to_numpy(), dtype=bool)


def parse_number(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numbers as text: ``"1,234.5"``, ``"¥1,234.50"``, ``"$ 12,000"``, ``"(300)"``, ``"12%"``.

    Returns float64 values (NaN where blank or bad) and the mask of bad cells. A decimal comma
    (``"1.234,50"``, ``"1,5"``) or a trailing minus is bad, not misread as another number.
    """
    blank = blank_mask(text)
    found = pc.match_substring_regex(pa.array(text, type=pa.string(), from_pandas=True), _AMBIGUOUS)
    ambiguous = np.asarray(found.fill_null(False), dtype=bool)
    # fast path, one whole-column regex replace + to_numeric: drop thousands separators and
    # spaces, a currency symbol or code before the number, a code or % after it
    plain = text.str.replace(_SEPARATORS + r"|^[^0-9+.()-]+|[^0-9().]+$", "", regex=True)
    cells = pa.array(plain, type=pa.string(), from_pandas=True)
    numbers = pc.cast(
        pc.if_else(pc.match_substring_regex(cells, _PLAIN), cells, None), pa.float64()
    )
    out = numbers.to_numpy(zero_copy_only=False).astype("float64", copy=True)
    slow = np.isnan(out) & ~blank
    if slow.any():  # signs before symbols, (negatives in parentheses), and the bad cells
        cleaned = text[slow].str.replace(_SEPARATORS, "", regex=True)
        parts = cleaned.str.extract(_NUMBER)
        values = pd.to_numeric(parts["number"], errors="coerce").astype("float64").to_numpy()
        negative = (parts["sign"] == "-").fillna(False).to_numpy(dtype=bool)
        paren = (parts["open"].notna() & parts["close"].notna()).to_numpy(dtype=bool)
        unbalanced = (parts["open"].notna() != parts["close"].notna()).to_numpy(dtype=bool)
        values = np.where(negative ^ paren, -values, values)
        out[slow] = np.where(unbalanced, np.nan, values)
    out[ambiguous] = np.nan
    bad = np.isnan(out) & ~blank
    return pd.Series(out, index=text.index, dtype="float64"), bad


def parse_date(
    text: pd.Series, *, timezone: str = "UTC", date_format: str | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Dates as ISO (``2026-03-14``, with a time and offset or not), ``yyyy-MM-dd HH:mm:ss``,
    epoch milliseconds (read in ``timezone``) or ``date_format`` (strftime).

    Returns naive datetimes in local time (an offset is dropped, not converted: a close date of
    ``2026-03-14T23:30:00+08:00`` is 14 March) and the mask of bad cells.
    """
    blank = blank_mask(text)
    stripped = text.str.strip()
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if date_format is not None:
        custom = pd.to_datetime(stripped, format=date_format, errors="coerce")
        result = result.where(custom.isna(), custom)
    for fast in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):  # whole-column parses of the usual shapes
        open_rows = result.isna().to_numpy() & ~blank
        if not open_rows.any():
            break
        parsed = pd.to_datetime(stripped[open_rows], format=fast, errors="coerce")
        result.loc[open_rows] = parsed.astype("datetime64[ns]")
    open_rows = result.isna().to_numpy() & ~blank
    iso = stripped[open_rows].str.extract(_ISO)
    has_iso = np.zeros(len(text), dtype=bool)
    has_iso[open_rows] = iso["date"].notna().to_numpy(dtype=bool)
    if has_iso.any():
        rows = iso[iso["date"].notna()]
        day = rows["date"].str.replace("/", "-", regex=False)
        clock = rows["hm"].fillna("00:00") + rows["s"].fillna(":00")
        parsed = pd.to_datetime(day + " " + clock, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        result.loc[has_iso] = parsed.astype("datetime64[ns]")
    epoch = stripped.str.fullmatch(_EPOCH).fillna(False).to_numpy(dtype=bool)
    epoch = epoch & result.isna().to_numpy()
    if epoch.any():
        millis = stripped[epoch].astype("int64")
        stamps = pd.to_datetime(millis, unit="ms", utc=True).dt.tz_convert(timezone)
        result.loc[epoch] = stamps.dt.tz_localize(None).astype("datetime64[ns]")
    bad = result.isna().to_numpy() & ~blank
    return result, bad


def strip_prefix(text: pd.Series, prefix: str) -> pd.Series:
    """``text`` without a leading ``prefix`` (e.g. Zoho's ``zcrm_``) where it has one."""
    return text.str.replace("^" + re.escape(prefix), "", regex=True)


def map_values(text: pd.Series, value_map: ValueMap) -> tuple[pd.Series, np.ndarray]:
    """Map picklist values (ignoring case and outer spaces); returns mapped text and misses.

    A miss is a non-blank value not in the map when the map has no default; it maps to missing.
    """
    blank = blank_mask(text)
    lookup = {key.strip().casefold(): value for key, value in value_map.values.items()}
    codes, uniques = pd.factorize(text, use_na_sentinel=True)  # few distinct picklist values
    found = pa.array([lookup.get(str(value).strip().casefold()) for value in uniques], pa.string())
    taken = found.take(pa.array(codes, mask=codes < 0))
    mapped = pd.Series(pd.array(taken, dtype="str"), index=text.index)
    missing = mapped.isna().to_numpy() & ~blank
    if value_map.default is not None:
        mapped = mapped.where(~missing, value_map.default)
        missing = np.zeros(len(text), dtype=bool)
    return mapped.astype("str"), missing
