"""Property: random valid tables give the same answers vectorised and per record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules import compile_rules, evaluate, evaluate_record
from engine.rules.model import RuleSet
from engine.rules.testing import normalize_value

DAY = dt.date(2026, 3, 1)
WORDS = ["a", "b", "c"]

number_cells = st.one_of(
    st.just("-"),
    st.sampled_from([">=", ">", "<", "<=", "=", "!="]).flatmap(
        lambda op: st.integers(-3, 3).map(lambda v: f"{op} {v}")
    ),
    st.tuples(
        st.sampled_from("[("), st.integers(-3, 0), st.integers(0, 3), st.sampled_from("])")
    ).map(lambda t: f"{t[0]}{t[1]}..{t[2]}{t[3]}"),
    st.tuples(st.integers(1, 3), st.integers(-3, 0)).map(lambda t: f"[{t[0]}..{t[1]}]"),  # empty
    st.lists(st.integers(-3, 3), min_size=1, max_size=3).map(lambda v: ", ".join(map(str, v))),
    st.just("null"),
    st.just("not(null)"),
    st.tuples(st.integers(-3, 0), st.integers(0, 3)).map(lambda t: f"not([{t[0]}..{t[1]}])"),
    st.lists(st.integers(-3, 3), min_size=1, max_size=2).map(
        lambda v: f"not({', '.join(map(str, v))})"
    ),
    st.integers(-3, 3).map(lambda v: f"not(< {v})"),
    st.integers(-3, 3).map(lambda v: f"!= {v}, < {v - 1}"),
)
text_cells = st.one_of(
    st.just("-"),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=2).map(lambda v: ", ".join(v)),
    st.sampled_from(WORDS).map(lambda w: f'not("{w}")'),
    st.sampled_from(WORDS).map(lambda w: f'!= "{w}"'),
    st.just("null"),
    st.just('null, "a"'),
    st.tuples(st.sampled_from(["<", "<=", ">", ">="]), st.sampled_from(WORDS)).map(
        lambda t: f'{t[0]} "{t[1]}"'
    ),
    st.tuples(
        st.sampled_from("[(]"),
        st.sampled_from(WORDS),
        st.sampled_from(WORDS),
        st.sampled_from("])["),
    ).map(lambda t: f'{t[0]}"{t[1]}".."{t[2]}"{t[3]}'),
    st.sampled_from(WORDS).map(lambda w: f'not(< "{w}", "c")'),
)
bool_cells = st.sampled_from(["-", "true", "false", "null", "not(true)", "!= true", "not(null)"])
CELLS = {"n": number_cells, "s": text_cells, "b": bool_cells}
VALUES = {
    "n": st.one_of(st.none(), st.integers(-4, 4).map(float), st.sampled_from([0.5, -2.5])),
    "s": st.one_of(st.none(), st.sampled_from([*WORDS, "d", "", "ab", "B"])),
    "b": st.one_of(st.none(), st.booleans()),
}
POLICIES = ["unique", "any", "priority", "first", "rule_order", "output_order", "collect"]


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    policy = draw(st.sampled_from(POLICIES))
    aggregation = None
    if policy == "collect":
        aggregation = draw(st.sampled_from([None, "sum", "count", "min", "max"]))
    derived = draw(st.booleans())
    inputs = [
        {"name": "n", "type": "number"},
        {"name": "s", "type": "string"},
        {"name": "b", "type": "boolean"},
    ]
    if derived:
        inputs.append({"name": "d", "type": "number", "expression": "if n > 0 then n * 2 else -1"})
    outputs: list[dict[str, Any]] = [{"name": "y", "type": "number"}]
    if aggregation is None:
        outputs.append({"name": "z", "type": "string", "allowed": ["p", "q", "r"]})
        outputs.append({"name": "l", "type": "list"})
    rules = []
    for number in range(draw(st.integers(1, 6))):
        when = {}
        for item in inputs:
            kind = "n" if item["name"] == "d" else item["name"]
            cell = draw(CELLS[kind])
            if cell != "-":
                when[item["name"]] = cell
        then: dict[str, Any] = {"y": draw(st.one_of(st.integers(0, 3), st.just(0.5), st.none()))}
        if aggregation is None:
            then["z"] = draw(st.sampled_from(["p", "q", "r"]))
            then["l"] = draw(st.lists(st.sampled_from(WORDS), max_size=2))
        rules.append({"id": f"r{number}", "when": when, "then": then})
        if draw(st.integers(0, 9)) == 0:
            rules[-1]["effective_from"] = dt.date(2026, 6, 1)
    spec: dict[str, Any] = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": policy,
        "inputs": inputs,
        "outputs": outputs,
        "rules": rules,
    }
    if aggregation:
        spec["aggregation"] = aggregation
    if draw(st.booleans()):
        spec["default"] = {"y": 9} if aggregation else {"y": 9, "z": "r", "l": ["d"]}
    return spec


records = st.lists(
    st.fixed_dictionaries({k: v for k, v in VALUES.items()}), min_size=1, max_size=12
)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "n": pd.Series([r["n"] for r in rows], dtype="float64"),
            "s": pd.Series([r["s"] for r in rows], dtype=object),
            "b": pd.Series([r["b"] for r in rows], dtype="boolean"),
        }
    )


def _compile(spec: dict[str, Any]) -> RuleSet:
    ruleset, findings = compile_rules(spec, file="random.yaml")
    assert ruleset is not None
    assert not [f for f in findings if f.severity == "error"], findings
    return ruleset


@given(tables(), records)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_vectorised_equals_per_record(spec: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    ruleset = _compile(spec)
    frame = _frame(rows)
    singles: list[dict[str, object] | None] = []
    for row in rows:
        try:
            singles.append(evaluate_record(ruleset, row, as_of=DAY))
        except RuleError:
            singles.append(None)
    try:
        out = evaluate(ruleset, frame, as_of=DAY)
    except RuleError:
        assert any(single is None for single in singles)
        return
    assert all(single is not None for single in singles)
    for position, single in enumerate(singles):
        assert single is not None
        row = {k: normalize_value(v) for k, v in out.iloc[position].items()}
        assert row == {k: normalize_value(v) for k, v in single.items()}, (position, rows[position])


@given(tables(), records)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_violations_null_agrees_and_marks_only_violating_rows(
    spec: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    """With violations="null" nothing raises, vectorised equals per record, and exactly the rows
    that raise by default get null outputs and a null trace."""
    ruleset = _compile(spec)
    out = evaluate(ruleset, _frame(rows), as_of=DAY, violations="null")
    for position, row in enumerate(rows):
        single = evaluate_record(ruleset, row, as_of=DAY, violations="null")
        got = {k: normalize_value(v) for k, v in out.iloc[position].items()}
        assert got == {k: normalize_value(v) for k, v in single.items()}, (position, row)
        try:
            strict = evaluate_record(ruleset, row, as_of=DAY)
        except RuleError:
            assert all(value is None for value in got.values()), (position, row)
        else:
            assert {k: normalize_value(v) for k, v in strict.items()} == got
