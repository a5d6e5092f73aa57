"""Condition grammar: parsing, boundary semantics, null semantics, mask == matches."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules.conditions import Interval, parse_condition


def cond(cell: object) -> object:
    return parse_condition(cell, column="x")  # type: ignore[arg-type]


# cells that a null input passes (FEEL: null != 5 is true, not(false) is true)
NULL_PASSES = {"!= 5", "not(1, 2)", 'not("Gov")', '!= "a", "b"'}


@pytest.mark.parametrize(
    ("cell", "inside", "outside"),
    [
        (">= 1e6", [1e6, 2e6], [999_999.99, -1]),
        ("> 5", [5.0001], [5, 4]),
        ("< 0.2", [0.19, -3], [0.2, 1]),
        ("<= 0.2", [0.2], [0.2001]),
        ("= 5", [5], [5.1]),
        ("5", [5.0], [6]),
        ("!= 5", [4, 6], [5]),
        ("[250000..1000000)", [250000, 999999.99], [249999.99, 1000000]),
        ("(250000..1000000]", [1000000, 250000.5], [250000, 1000000.01]),
        ("]1..2[", [1.5], [1, 2]),
        ("[1..1]", [1], [1.0001]),
        ("1, 2, 3", [1, 2, 3], [4, 1.5]),
        ("< 5, > 10", [4, 11], [5, 10, 7]),
        ("not(1, 2)", [0, 1.5, 3], [1, 2]),
        ("not([1..5])", [0.99, 5.01], [1, 3, 5]),
        ("-1e3", [-1000], [1000]),
        (7, [7], [7.5]),
        ([1, 2], [1, 2], [3]),
    ],
)
def test_numeric_boundaries(cell: object, inside: list[float], outside: list[float]) -> None:
    condition = cond(cell)
    for value in inside:
        assert condition.matches(value), (cell, value)
    for value in outside:
        assert not condition.matches(value), (cell, value)
    null = isinstance(cell, str) and cell in NULL_PASSES
    assert condition.matches(None) is null
    values = pd.Series(inside + outside + [None], dtype="float64")
    expected = [True] * len(inside) + [False] * len(outside) + [null]
    assert condition.mask(values).tolist() == expected


@pytest.mark.parametrize(
    ("cell", "inside", "outside"),
    [
        ('"East", "North"', ["East", "North"], ["South", "east"]),
        ("East, North", ["East", "North"], ["South"]),
        ("Mid-Market", ["Mid-Market"], ["Mid"]),
        ('not("Gov")', ["Bank", "gov"], ["Gov"]),
        ('!= "a", "b"', ["b", "c"], ["a"]),
        ("'single quoted'", ["single quoted"], ["x"]),
        (["East", "North"], ["East"], ["West"]),
        ('"a, b"', ["a, b"], ["a"]),
    ],
)
def test_text_sets(cell: object, inside: list[str], outside: list[str]) -> None:
    condition = cond(cell)
    for value in inside:
        assert condition.matches(value)
    for value in outside:
        assert not condition.matches(value)
    series = pd.Series([*inside, *outside, None])
    expected = (
        [True] * len(inside)
        + [False] * len(outside)
        + [isinstance(cell, str) and cell in NULL_PASSES]
    )
    assert condition.mask(series).tolist() == expected
    assert condition.mask(series.astype("category")).tolist() == expected
    assert condition.mask(series.astype("str")).tolist() == expected


def test_any_null_and_booleans() -> None:
    for cell in ("-", "", None, "  -  "):
        condition = cond(cell)
        assert condition.is_any
        assert condition.matches(None) and condition.matches(3) and condition.matches("x")
    assert cond("null").matches(None) and not cond("null").matches(0)
    assert cond("not(null)").matches(0) and not cond("not(null)").matches(math.nan)
    assert cond('null, "East"').matches(None) and cond('null, "East"').matches("East")
    assert not cond('not(null, "East")').matches(None)
    assert cond("true").matches(True) and not cond("true").matches(False)
    assert cond(False).matches(False) and not cond(False).matches(None)
    assert cond("not(true)").matches(False)
    flags = pd.Series([True, False, None], dtype="boolean")
    assert cond("true").mask(flags).tolist() == [True, False, False]
    assert cond("null").mask(flags).tolist() == [False, False, True]


@pytest.mark.parametrize(
    ("cell", "passes"),
    [
        # DMN/FEEL: the cell is a unary test of ?; null = x is false, null = null true,
        # null != x true, null < x and null in [a..b] null (unknown: no match)
        ("-", True),
        ("null", True),
        ("!= 5", True),
        ('!= "Gov"', True),
        ("!= true", True),
        ('not("Gov")', True),
        ("not(5)", True),
        ("not(= 5)", True),
        ("not(1, 2)", True),
        ("not(true)", True),
        ('"Gov", null', True),
        ("!= 5, < 3", True),  # true or null is true
        ("5", False),
        ("= 5", False),
        ('"Gov"', False),
        ("true", False),
        ("< 5", False),
        (">= 0", False),
        ("[1..5]", False),
        ("not(null)", False),
        ("not(< 5)", False),  # not(null) is null
        ("not([1..5])", False),
        ("not(null, 5)", False),
        ("not(5, < 3)", False),  # not(false or null) = not(null) = null
        ('not(!= "Gov")', False),
        (5, False),
        (["East", None], True),
        (["East"], False),
    ],
)
def test_null_semantics_follow_feel(cell: object, passes: bool) -> None:
    condition = cond(cell)
    for null in (None, math.nan, pd.NA, pd.NaT):
        assert condition.matches(null) is passes, (cell, null)
    assert condition.null is passes


def test_null_masks_agree_with_matches() -> None:
    numbers = pd.Series([1.0, None, 5.0], dtype="float64")
    texts = pd.Series(["Gov", None, "Bank"], dtype=object)
    flags = pd.Series([True, None, False], dtype="boolean")
    assert cond("!= 5").mask(numbers).tolist() == [True, True, False]
    assert cond("not(5)").mask(numbers.astype("Float64")).tolist() == [True, True, False]
    assert cond("not([1..5])").mask(numbers).tolist() == [False, False, False]
    assert cond('not("Gov")').mask(texts).tolist() == [False, True, True]
    assert cond('not("Gov")').mask(texts.astype("category")).tolist() == [False, True, True]
    assert cond('not("Gov")').mask(texts.astype("string")).tolist() == [False, True, True]
    assert cond("!= true").mask(flags).tolist() == [False, True, True]
    assert cond("not(null)").mask(texts).tolist() == [True, False, True]


def test_analytic_form() -> None:
    assert cond("not([1..5])").intervals == (
        Interval(-math.inf, 1, False, False),
        Interval(5, math.inf, False, False),
    )
    assert cond("[1..3], [2..6)").intervals == (Interval(1, 6, True, False),)
    assert cond("[1..2), [2..3]").intervals == (Interval(1, 3, True, True),)
    text = cond('not("a", "b")')
    assert text.value_type == "string" and text.negated and text.values == {"a", "b"}


@pytest.mark.parametrize(
    "cell",
    [
        ">=",
        "[1..",
        '"a", 1',
        "not(1",
        ">= a",
        '["a"..1]',
        "1 2",
        "@",
        "not(not(1))",
        "[1..2",
        '"open',
        "> true",
        ">= 1e999",
        {"a": 1},
        [[1]],
        float("nan"),
    ],
)
def test_malformed_cells_raise_rule_error(cell: object) -> None:
    with pytest.raises(RuleError) as info:
        parse_condition(cell, column="x", file="t.yaml", rule_id="R9", line=12)  # type: ignore[arg-type]
    error = info.value
    assert (error.file, error.rule_id, error.line) == ("t.yaml", "R9", 12)
    assert "t.yaml:12" in str(error) and "R9" in str(error)


def test_type_mismatch_raises() -> None:
    with pytest.raises(RuleError):
        cond(">= 5").matches("five")
    with pytest.raises(RuleError):
        cond(">= 5").mask(pd.Series(["a", "b"]))
    with pytest.raises(RuleError):
        cond('"East"').mask(pd.Series([1.0, 2.0]))
    with pytest.raises(RuleError):
        cond('"East"').matches(3)


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_fuzz_any_text_gives_condition_or_rule_error(text: str) -> None:
    try:
        condition = parse_condition(text, column="x", file="f.yaml", rule_id="R", line=4)
    except RuleError as error:
        assert error.file == "f.yaml" and error.rule_id == "R" and error.line == 4
    else:
        assert condition.column == "x"


_numbers = st.one_of(
    st.none(),
    st.integers(-5, 5).map(float),
    st.floats(-10, 10, allow_nan=False).map(lambda v: round(v, 1)),
)
_atoms = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from([">=", ">", "<", "<=", "=", "!="]).flatmap(
        lambda op: st.integers(-5, 5).map(lambda v: f"{op} {v}")
    ),
    st.tuples(
        st.sampled_from("[(]"), st.integers(-5, 3), st.integers(-3, 5), st.sampled_from("])[")
    ).map(lambda t: f"{t[0]}{t[1]}..{t[2]}{t[3]}"),
    st.just("null"),
)


@given(
    st.lists(_atoms, min_size=1, max_size=3),
    st.booleans(),
    st.lists(_numbers, min_size=1, max_size=20),
)
@settings(max_examples=300, deadline=None)
def test_mask_agrees_with_matches(atoms: list[str], negate: bool, values: list[float]) -> None:
    text = ", ".join(atoms)
    if negate:
        text = f"not({text})"
    condition = cond(text)
    series = pd.Series(values, dtype="float64")
    expected = np.array([condition.matches(v) for v in values], dtype=bool)
    assert condition.mask(series).tolist() == expected.tolist()
    if condition.value_type != "number":
        return
    direct = [any(iv.contains(v) for iv in condition.intervals) for v in values if v is not None]
    assert direct == [condition.matches(v) for v in values if v is not None]
