"""Derived-field expressions: grammar, null semantics, column-wise == per record."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules.expressions import parse_expression

FRAME = pd.DataFrame(
    {
        "a": [1.0, 2.0, None, 4.0],
        "b": [0, 2, 3, 5],
        "s": ["x", "y", None, "x"],
        "f": [True, False, True, False],
    }
)


def both(text: str, frame: pd.DataFrame = FRAME) -> tuple[list[object], list[object]]:
    expression = parse_expression(text)
    column = [
        None if isinstance(v, float) and math.isnan(v) else v for v in expression.evaluate(frame)
    ]
    records = [expression.evaluate_record(r) for r in frame.to_dict("records")]
    return column, records


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b", [1.0, 4.0, None, 9.0]),
        ("a - b * 2", [1.0, -2.0, None, -6.0]),
        ("(a - b) * 2", [2.0, 0.0, None, -2.0]),
        ("a / b", [None, 1.0, None, 0.8]),  # division by zero gives null
        ("-a", [-1.0, -2.0, None, -4.0]),
        ("min(a, b)", [0.0, 2.0, None, 4.0]),
        ("max(a, b, 3)", [3.0, 3.0, None, 5.0]),
        ("abs(b - 3)", [3.0, 1.0, 0.0, 2.0]),
        ("round(b / 4)", [0.0, 1.0, 1.0, 1.0]),  # 0.5 rounds away from zero
        ("round(a / 3, 2)", [0.33, 0.67, None, 1.33]),
        ("a > 1", [False, True, False, True]),  # comparison with null is false
        ("a != 4", [True, True, False, False]),
        ("not (a > 1)", [True, False, True, False]),
        ("a >= 2 and s = 'x'", [False, False, False, True]),
        ("f or b > 4", [True, False, True, True]),
        ('if a >= 2 then "big" else "small"', ["small", "big", "small", "big"]),
        ("if f then a else null", [1.0, None, None, None]),
        ("1e3 + 0.5", [1000.5] * 4),
        ("null + 1", [None] * 4),
    ],
)
def test_hand_worked(text: str, expected: list[object]) -> None:
    column, records = both(text)
    assert column == expected
    assert records == expected


def test_columns_and_result_type() -> None:
    expression = parse_expression("if recency <= 90 then r + f else min(m, 2)")
    assert expression.columns == {"recency", "r", "f", "m"}
    assert expression.result_type({"recency": "number"}) == "number"
    with pytest.raises(RuleError):
        expression.result_type({"r": "string"})
    assert parse_expression("segment = 'SMB'").result_type({"segment": "string"}) == "boolean"


def test_missing_field_is_null_and_missing_column_is_error() -> None:
    expression = parse_expression("a + 1")
    assert expression.evaluate_record({}) is None
    with pytest.raises(RuleError, match="unknown column"):
        expression.evaluate(pd.DataFrame({"b": [1]}))


@pytest.mark.parametrize(
    "text",
    [
        "a +",
        '"a" + 1',
        "foo(1)",
        '__import__("os")',
        "a.b",
        "a < b < c",
        "round(a, b)",
        "if a then",
        "1 and 2",
        "",
        "   ",
        "(1",
        "1)",
        "min()",
        "abs(1, 2)",
        "x @ y",
        "not",
        "if true then 1 else 'a'",
        "'a' < 'b'",
        "lambda: 1",
        "a[0]",
        "1e999",
    ],
)
def test_malformed_expressions_raise_rule_error(text: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_expression(text, file="t.yaml", rule_id="R1", line=7)
    assert (info.value.file, info.value.rule_id, info.value.line) == ("t.yaml", "R1", 7)


def test_runtime_type_errors_are_rule_errors() -> None:
    expression = parse_expression("s + 1")
    with pytest.raises(RuleError):
        expression.evaluate(FRAME)
    with pytest.raises(RuleError):
        expression.evaluate_record({"s": "x"})


def test_deep_nesting_is_a_rule_error() -> None:
    with pytest.raises(RuleError):
        parse_expression("(" * 500 + "1" + ")" * 500)
    with pytest.raises(RuleError):
        parse_expression("-" * 500 + "1")


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_fuzz_text_gives_expression_or_rule_error(text: str) -> None:
    try:
        parse_expression(text, file="f.yaml", rule_id="R", line=2)
    except RuleError as error:
        assert (error.file, error.rule_id, error.line) == ("f.yaml", "R", 2)


_leaf = st.one_of(
    st.sampled_from(["a", "b", "c"]),
    st.integers(-3, 3).map(str),
    st.sampled_from(["0.5", "null"]),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    call = st.tuples(st.sampled_from(["min", "max"]), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"
    )
    unary = children.map(lambda c: f"abs(-{c})")
    rounded = children.map(lambda c: f"round({c}, 1)")
    branch = st.tuples(
        children, st.sampled_from(["<", ">=", "=", "!="]), children, children, children
    ).map(lambda t: f"(if {t[0]} {t[1]} {t[2]} then {t[3]} else {t[4]})")
    return st.one_of(binary, call, unary, rounded, branch)


_numbers = st.one_of(st.none(), st.integers(-4, 4).map(float), st.sampled_from([0.5, -1.25, 1e9]))


@given(
    st.recursive(_leaf, _combine, max_leaves=8),
    st.lists(st.tuples(_numbers, _numbers, _numbers), min_size=1, max_size=8),
)
@settings(max_examples=300, deadline=None)
def test_columnwise_agrees_with_per_record(text: str, rows: list[tuple[float, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype="float64")
    column, records = both(text, frame)
    assert column == records
