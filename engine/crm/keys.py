"""Record keys: dropping records without an id or with a repeated one, and resolving references
given by id or by display name (CRM exports often carry only the name of a lookup)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.crm.report import ImportReport

__all__ = ["dedupe", "map_keys", "member", "resolve"]


def _arrow(series: pd.Series) -> pa.Array:
    return pa.array(series.astype("str"), from_pandas=True)


def member(values: pd.Series, targets: pd.Series) -> np.ndarray:
    """Whether each value is among ``targets`` (arrow hash sets: fast for millions of ids)."""
    found = pc.is_in(_arrow(values), value_set=pc.unique(_arrow(targets)))
    return np.asarray(found.fill_null(False), dtype=bool)


def map_keys(values: pd.Series, keys: pd.Series, results: pd.Series) -> pd.Series:
    """``results`` at the position of each value in ``keys`` (first match), else missing."""
    where = pc.index_in(_arrow(values), value_set=_arrow(keys))
    if pd.api.types.is_string_dtype(results.dtype) or results.dtype == object:
        source = _arrow(results)
    else:  # numbers and datetimes keep their type (integers become floats: misses are NaN)
        source = pa.array(results.to_numpy(), from_pandas=True)
        if pa.types.is_integer(source.type):
            source = source.cast(pa.float64())
    out = source.take(where).to_pandas()
    if pd.api.types.is_string_dtype(results.dtype):
        out = out.astype("str")
    return pd.Series(out.to_numpy(), index=values.index, dtype=out.dtype)


def dedupe(frame: pd.DataFrame, what: str, report: ImportReport) -> pd.DataFrame:
    """``frame`` without records lacking an id and without repeats of an id (first kept).

    Every dropped record is reported with its file and row.
    """
    missing = frame["id"].isna().to_numpy()
    report.add(
        frame["_file"][missing].to_numpy(),
        frame["_row"].to_numpy()[missing],
        "id",
        "",
        f"{what} skipped: no id",
    )
    frame = frame[~missing]
    # a spreadsheet that shows a long numeric id as 4.15087E+18 saves it so: every such id is lost
    rounded = frame["id"].astype("str").str.fullmatch(_SCIENTIFIC).fillna(False).to_numpy(bool)
    report.add(
        frame["_file"][rounded].to_numpy(),
        frame["_row"].to_numpy()[rounded],
        "id",
        frame["id"].to_numpy()[rounded],
        f"{what} skipped: id rounded by a spreadsheet (scientific notation); export ids as text",
    )
    frame = frame[~rounded]
    repeated = frame["id"].duplicated(keep="first").to_numpy()
    if repeated.any():
        first = frame[~repeated]
        again = frame[repeated]
        seen_file = map_keys(again["id"], first["id"], first["_file"].astype("str"))
        seen_row = map_keys(again["id"], first["id"], first["_row"]).astype("int64")
        why = f"{what} skipped: id repeats " + seen_file + " row " + seen_row.astype("str")
        report.add(
            again["_file"].to_numpy(),
            again["_row"].to_numpy(),
            "id",
            again["id"].to_numpy(),
            why.to_numpy(dtype=object),
        )
    return frame[~repeated].reset_index(drop=True)


_SCIENTIFIC = r"[0-9](?:\.[0-9]+)?[eE]\+[0-9]+"


def _casefold(text: pd.Series) -> pd.Series:
    """Stripped, case-folded text (computed once per distinct value)."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    folded = pa.array([str(value).strip().casefold() for value in uniques], type=pa.string())
    taken = folded.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype="str"), index=text.index)


def resolve(
    ids: pd.Series, names: pd.Series, target_ids: pd.Series, target_names: pd.Series
) -> pd.Series:
    """The target id each record refers to: by id first, then by a name that is unique among
    the targets (ignoring case); missing where neither matches."""
    found = ids.where(member(ids, target_ids.dropna())).astype("str")
    open_rows = found.isna().to_numpy()
    if not open_rows.any():
        return found
    folded = _casefold(target_names)
    unique = ~folded.duplicated(keep=False) & folded.notna()
    keys, targets = folded[unique], target_ids[unique].astype("str")
    by_name = map_keys(_casefold(names[open_rows]), keys, targets)
    by_id_as_name = map_keys(_casefold(ids[open_rows]), keys, targets)
    found[open_rows] = by_name.where(by_name.notna(), by_id_as_name).astype("str")
    return found
