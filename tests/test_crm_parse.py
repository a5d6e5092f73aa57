"""Parsing CRM text cells: numbers and currency, dates, value maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from engine.crm.mapping import ValueMap
from engine.crm.parse import map_values, parse_date, parse_number


def text(*cells: str | None) -> pd.Series:
    return pd.Series(list(cells), dtype="str")


def test_numbers_with_currency_symbols_and_separators() -> None:
    cells = text("¥1,234.50", "$ 12,000", "USD 1,200", "1200 EUR", "(300)", "-¥5", "12%", " 7 ")
    values, bad = parse_number(cells)
    assert values.tolist() == [1234.5, 12000.0, 1200.0, 1200.0, -300.0, -5.0, 12.0, 7.0]
    assert not bad.any()


def test_bad_and_blank_numbers() -> None:
    values, bad = parse_number(text("n/a", "1.2.3", "", None, "(5"))
    assert np.isnan(values).all()
    assert bad.tolist() == [True, True, False, False, True]


def test_a_decimal_comma_or_trailing_minus_is_bad_not_misread() -> None:
    # "€ 20.000,00" was read as 20.0, "1,5" as 15, "20000-" as +20000
    cells = text("€ 20.000,00", "1.234,50", "1,5", "1 234,50", "20000-", "1,2345")
    values, bad = parse_number(cells)
    assert bad.all() and np.isnan(values).all()
    grouped, bad = parse_number(
        text("1,234,567.89", " 1 234 567 ", "1\u00a0234.5", "12 %", "₹1,23,456.00", "12,34,56,789")
    )
    assert grouped.tolist() == [1234567.89, 1234567.0, 1234.5, 12.0, 123456.0, 123456789.0]
    assert not bad.any()  # (the last two: Indian lakh grouping)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_formatted_money_reads_back(amount: object) -> None:
    number = float(amount)  # type: ignore[arg-type]
    cell = f"{'-' if number < 0 else ''}¥{abs(number):,.2f}"
    values, bad = parse_number(text(cell))
    assert not bad.any()
    assert values.iloc[0] == round(number, 2)


def test_dates_in_every_shape() -> None:
    cells = text(
        "2026-03-14",
        "2026-03-14T23:30:00+08:00",  # the local date is kept, not the UTC one
        "2026-03-14 10:20:30",
        "2026/3/4 10:20",
        "1773451800000",  # epoch ms: 2026-03-14 09:30 in Shanghai
        "2026-02-30",
        "soon",
        "",
    )
    values, bad = parse_date(cells, timezone="Asia/Shanghai")
    assert [str(v.date()) if pd.notna(v) else None for v in values] == [
        "2026-03-14", "2026-03-14", "2026-03-14", "2026-03-04", "2026-03-14", None, None, None,
    ]  # fmt: skip
    assert values.iloc[4] == pd.Timestamp("2026-03-14 09:30")
    assert bad.tolist() == [False] * 5 + [True, True, False]


def test_custom_date_format() -> None:
    values, bad = parse_date(text("14/03/2026", "2026-03-15"), date_format="%d/%m/%Y")
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2026-03-14", "2026-03-15"]
    assert not bad.any()


def test_value_map_ignores_case_and_reports_misses() -> None:
    stage = ValueMap(values={"Closed Won": "won", "Closed Lost": "lost"})
    mapped, missed = map_values(text("Closed Won", " closed lost ", "Verbal Commit", ""), stage)
    assert mapped.tolist()[:2] == ["won", "lost"]
    assert mapped.isna().tolist() == [False, False, True, True]
    assert missed.tolist() == [False, False, True, False]
    with_default = ValueMap(values={"Closed Won": "won"}, default="open")
    mapped, missed = map_values(text("Closed Won", "Anything"), with_default)
    assert mapped.tolist() == ["won", "open"]
    assert not missed.any()
