"""Decision tables: each hit policy and aggregation by hand, defaults, dates, chains."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import yaml

from engine.errors import RuleError
from engine.rules import evaluate, evaluate_record, parse_rules
from engine.rules.model import RuleSet
from engine.rules.testing import normalize_value

DAY = dt.date(2026, 6, 1)


def table(policy: str, rules: list[dict[str, Any]], **extra: Any) -> RuleSet:
    """A one-input table on `x` (number) with output `y` (number) or the outputs given."""
    spec: dict[str, Any] = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": policy,
        "inputs": [{"name": "x", "type": "number"}],
        "outputs": [{"name": "y", "type": "number"}],
        "rules": rules,
    }
    spec.update(extra)
    return parse_rules(yaml.safe_dump(spec, sort_keys=False), file="t.yaml")


def run(ruleset: RuleSet, xs: list[Any], column: str = "y") -> list[Any]:
    """Vectorised results for rows x=xs, checked against per-record evaluation."""
    frame = pd.DataFrame({"x": pd.Series(xs, dtype="float64")})
    out = evaluate(ruleset, frame, as_of=DAY)
    vector = [normalize_value(v) for v in out[column]]
    single = [normalize_value(evaluate_record(ruleset, {"x": x}, as_of=DAY)[column]) for x in xs]
    assert vector == single
    return vector


R = [
    {"id": "low", "when": {"x": "< 10"}, "then": {"y": 1}},
    {"id": "mid", "when": {"x": "[5..20]"}, "then": {"y": 2}},
    {"id": "any", "when": {}, "then": {"y": 3}},
]


def test_first() -> None:
    ruleset = table("first", R)
    assert run(ruleset, [1, 7, 15, 30, None]) == [1, 1, 2, 3, 3]
    assert run(ruleset, [1, 7, 15, 30, None], "t_rule") == ["low", "low", "mid", "any", "any"]


def test_rule_order_and_collect_keep_rule_order() -> None:
    for policy in ("rule_order", "collect"):
        ruleset = table(policy, R)
        assert run(ruleset, [1, 7, 30]) == [[1, 3], [1, 2, 3], [3]]
        assert run(ruleset, [7], "t_rule") == [["low", "mid", "any"]]


def test_collect_aggregations() -> None:
    assert run(table("collect", R, aggregation="sum"), [1, 7, 15, 30]) == [4, 6, 5, 3]
    assert run(table("collect", R, aggregation="count"), [1, 7, 15, 30]) == [2, 3, 2, 1]
    assert run(table("collect", R, aggregation="min"), [1, 7, 15, 30]) == [1, 1, 2, 3]
    assert run(table("collect", R, aggregation="max"), [1, 7, 15, 30]) == [3, 3, 3, 3]
    narrow = R[:2]
    # no match: FEEL sum([]), min([]), max([]) are null; count([]) is 0 (DMN C#); a default wins
    for aggregation in ("sum", "min", "max"):
        assert run(table("collect", narrow, aggregation=aggregation), [30]) == [None]
    assert run(table("collect", narrow, aggregation="count"), [30, 7]) == [0, 2]
    assert run(table("collect", narrow, aggregation="count", default={"y": 9}), [30, 7]) == [9, 2]
    assert run(table("collect", narrow, aggregation="max", default={"y": 0}), [30, 7]) == [0, 2]
    halves = [
        {"id": "a", "when": {"x": "> 0"}, "then": {"y": 0.5}},
        {"id": "b", "when": {"x": "> 1"}, "then": {"y": 0.25}},
        {"id": "c", "when": {"x": "> 2"}},
    ]  # a matched null output makes sum/min/max null (FEEL sum([0.5, null]) is null)
    assert run(table("collect", halves, aggregation="sum"), [0, 1, 2, 3]) == [None, 0.5, 0.75, None]
    assert run(table("collect", halves, aggregation="min"), [2, 3]) == [0.25, None]
    assert run(table("collect", halves, aggregation="count"), [0, 3]) == [0, 3]
    assert run(table("collect", halves[2:], aggregation="sum"), [3]) == [None]


def test_unique_ok_and_violation_names_rules_and_row() -> None:
    rules = [
        {"id": "a", "when": {"x": "< 10"}, "then": {"y": 1}},
        {"id": "b", "when": {"x": ">= 10"}, "then": {"y": 2}},
    ]
    assert run(table("unique", rules), [9.99, 10, None]) == [1, 2, None]
    clash = table("unique", R[:2])
    with pytest.raises(RuleError) as info:
        evaluate(clash, pd.DataFrame({"x": [1.0, 7.0]}, index=["r1", "r2"]), as_of=DAY)
    message = str(info.value)
    assert "'low'" in message and "'mid'" in message and "'r2'" in message
    assert info.value.table == "t" and info.value.file == "t.yaml" and info.value.line
    with pytest.raises(RuleError, match="unique"):
        evaluate_record(clash, {"x": 7}, as_of=DAY)


def test_any_requires_equal_outputs() -> None:
    same = [
        {"id": "a", "when": {"x": "< 10"}, "then": {"y": 1}},
        {"id": "b", "when": {"x": "> 5"}, "then": {"y": 1}},
    ]
    assert run(table("any", same), [7, 1, 20, None]) == [1, 1, 1, None]
    assert run(table("any", same), [7], "t_rule") == ["a"]
    with pytest.raises(RuleError, match=r"any violated.*'low', 'mid'"):
        evaluate(table("any", R), pd.DataFrame({"x": [7.0]}), as_of=DAY)
    with pytest.raises(RuleError, match="any violated"):
        evaluate_record(table("any", R), {"x": 7}, as_of=DAY)


PRIORITY_RULES = [
    {"id": "r1", "when": {"x": "> 0"}, "then": {"level": "low", "n": 1}},
    {"id": "r2", "when": {"x": "> 5"}, "then": {"level": "high", "n": 2}},
    {"id": "r3", "when": {"x": "> 8"}, "then": {"level": "medium", "n": 3}},
    {"id": "r4", "when": {"x": "> 9"}, "then": {"level": "high", "n": 4}},
]
PRIORITY_OUTPUTS = [
    {"name": "level", "type": "string", "allowed": ["high", "medium", "low"]},
    {"name": "n", "type": "number"},
]


def test_priority_uses_allowed_order_then_rule_order() -> None:
    ruleset = table("priority", PRIORITY_RULES, outputs=PRIORITY_OUTPUTS)
    assert run(ruleset, [1, 6, 9, 10, -1], "level") == ["low", "high", "high", "high", None]
    assert run(ruleset, [1, 6, 9, 10], "n") == [1, 2, 2, 2]
    assert run(ruleset, [10], "t_rule") == ["r2"]


def test_output_order_lists_by_priority() -> None:
    ruleset = table("output_order", PRIORITY_RULES, outputs=PRIORITY_OUTPUTS)
    assert run(ruleset, [9, 10, 1], "level") == [
        ["high", "medium", "low"],
        ["high", "high", "medium", "low"],
        ["low"],
    ]
    assert run(ruleset, [10], "t_rule") == [["r2", "r4", "r3", "r1"]]
    assert run(ruleset, [-1], "t_rule") == [[]]


def test_defaults() -> None:
    rules = [{"id": "a", "when": {"x": ">= 1"}, "then": {"y": 1}}]
    assert run(table("first", rules, default={"y": 0}), [0, 1, None]) == [0, 1, 0]
    assert run(table("first", rules, default={"y": 0}), [0], "t_rule") == [None]
    assert run(table("first", rules), [0]) == [None]
    assert run(table("collect", rules, default={"y": 0}), [0, 2]) == [0, [1]]
    assert run(table("collect", rules), [0]) == [None]


def test_interval_boundaries_in_tables() -> None:
    rules = [
        {"id": "a", "when": {"x": "[0..10)"}, "then": {"y": 1}},
        {"id": "b", "when": {"x": "[10..20]"}, "then": {"y": 2}},
        {"id": "c", "when": {"x": "(20..30)"}, "then": {"y": 3}},
    ]
    assert run(table("unique", rules), [0, 9.999, 10, 20, 20.001, 30, -0.001]) == [
        1,
        1,
        2,
        2,
        3,
        None,
        None,
    ]


def test_effective_dates_on_rules_and_table_versions() -> None:
    rules = [
        {"id": "old", "when": {}, "then": {"y": 1}, "effective_until": "2025-12-31"},
        {"id": "new", "when": {}, "then": {"y": 2}, "effective_from": "2026-01-01"},
    ]
    ruleset = table("unique", rules)
    frame = pd.DataFrame({"x": [1.0]})
    assert evaluate(ruleset, frame, as_of=dt.date(2025, 12, 31))["y"].tolist() == [1]
    assert evaluate(ruleset, frame, as_of=dt.date(2026, 1, 1))["y"].tolist() == [2]
    versions = """
kind: decision_tables
tables:
  - {id: v, effective_until: 2025-12-31, inputs: [{name: x, type: number}],
     outputs: [{name: y, type: number}], rules: [{id: a, then: {y: 1}}]}
  - {id: v, effective_from: 2026-01-01, effective_until: 2026-12-31,
     inputs: [{name: x, type: number}], outputs: [{name: y, type: number}],
     rules: [{id: b, then: {y: 2}}]}
"""
    chained = parse_rules(versions, file="v.yaml")
    assert evaluate_record(chained, {"x": 1}, as_of=dt.date(2025, 6, 1))["y"] == 1
    assert evaluate_record(chained, {"x": 1}, as_of=dt.date(2026, 6, 1))["y"] == 2
    after = evaluate(chained, frame, as_of=dt.date(2027, 1, 1))  # no version in effect
    assert [normalize_value(v) for v in after.iloc[0]] == [None, None]
    whole = table(
        "first",
        [{"id": "a", "then": {"y": 1}}],
        default={"y": 0},
        effective_from="2026-01-01",
        effective_until="2026-12-31",
    )
    assert evaluate_record(whole, {"x": 1}, as_of=dt.date(2026, 12, 31))["y"] == 1
    assert evaluate_record(whole, {"x": 1}, as_of=dt.date(2027, 1, 1)) == {"y": 0, "t_rule": None}
    with pytest.raises(RuleError, match="overlap"):
        parse_rules(versions.replace("effective_from: 2026-01-01", "effective_from: 2025-12-31"))


CHAIN = """
kind: decision_tables
tables:
  - id: service
    hit_policy: unique
    inputs: [{name: tier, type: string}]
    outputs: [{name: calls, type: number}, {name: channels, type: list}]
    rules:
      - {id: SA, when: {tier: A}, then: {calls: 6, channels: [field, inside]}}
      - {id: SB, when: {tier: B}, then: {calls: 2, channels: [inside]}}
  - id: score
    hit_policy: first
    inputs:
      - {name: value, type: number, expression: "revenue / 1000 + if vip then 100 else 0"}
      - {name: region, type: string}
    outputs: [{name: tier, type: string, allowed: [A, B]}]
    default: {tier: B}
    rules:
      - {id: big, when: {value: ">= 100", region: 'not("Gov")'}, then: {tier: A}}
"""


def test_chaining_in_dependency_order_with_derived_input() -> None:
    ruleset = parse_rules(CHAIN, file="chain.yaml")
    frame = pd.DataFrame(
        {
            "revenue": [150_000.0, 5_000.0, 5_000.0, 150_000.0],
            "vip": [False, True, False, False],
            "region": ["East", "East", "East", "Gov"],
        }
    )
    out = evaluate(ruleset, frame, as_of=DAY)
    assert list(out.columns) == ["tier", "score_rule", "calls", "channels", "service_rule"]
    assert out["tier"].tolist() == ["A", "A", "B", "B"]
    assert out["calls"].tolist() == [6, 6, 2, 2]
    assert out["channels"].tolist() == [("field", "inside")] * 2 + [("inside",)] * 2
    assert [normalize_value(v) for v in out["score_rule"]] == ["big", "big", None, None]
    for row, record in zip(out.to_dict("records"), frame.to_dict("records"), strict=True):
        single = evaluate_record(ruleset, record, as_of=DAY)
        assert {k: normalize_value(v) for k, v in single.items()} == {
            k: normalize_value(v) for k, v in row.items()
        }


def test_cycle_is_rejected() -> None:
    cyclic = """
kind: decision_tables
tables:
  - {id: a, inputs: [{name: q, type: number}], outputs: [{name: p, type: number}],
     rules: [{id: r, then: {p: 1}}]}
  - {id: b, inputs: [{name: p, type: number}], outputs: [{name: q, type: number}],
     rules: [{id: r, then: {q: 1}}]}
"""
    with pytest.raises(RuleError, match="cycle"):
        parse_rules(cyclic, file="c.yaml")


def test_missing_column_and_wrong_dtype_are_rule_errors() -> None:
    ruleset = table("first", R)
    with pytest.raises(RuleError, match="missing"):
        evaluate(ruleset, pd.DataFrame({"z": [1]}), as_of=DAY)
    with pytest.raises(RuleError, match="expects numbers") as info:
        evaluate(ruleset, pd.DataFrame({"x": ["a"]}), as_of=DAY)
    assert info.value.table == "t"


def test_input_frame_is_not_modified_and_index_kept() -> None:
    frame = pd.DataFrame({"x": [1.0, 30.0]}, index=[10, 20])
    before = frame.copy()
    out = evaluate(table("first", R), frame, as_of=DAY)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.index) == [10, 20]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aggregation": "sum", "hit_policy": "first"}, "needs hit_policy collect"),
        ({"hit_policy": "priority"}, "allowed"),
        ({"rules": [{"id": "a", "then": {"y": "x"}}]}, "expects a number"),
        ({"rules": [{"id": "a", "when": {"x": '"text"'}}]}, "tests string"),
        ({"rules": [{"id": "a"}, {"id": "a"}]}, "used twice"),
        ({"rules": [{"id": "a", "when": {"nope": 1}}]}, "not an input"),
        ({"rules": [{"id": "a", "then": {"nope": 1}}]}, "not an output"),
        ({"default": {"y": [1]}}, "expects a number"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
        ({"hit_policy": "sometimes"}, "hit_policy"),
    ],
)
def test_invalid_tables_raise_rule_error_with_location(
    change: dict[str, Any], message: str
) -> None:
    spec: dict[str, Any] = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": "first",
        "inputs": [{"name": "x", "type": "number"}],
        "outputs": [{"name": "y", "type": "number"}],
        "rules": [{"id": "a", "then": {"y": 1}}],
    }
    spec.update(change)
    with pytest.raises(RuleError, match=message) as info:
        parse_rules(yaml.safe_dump(spec, sort_keys=False), file="bad.yaml")
    assert info.value.file == "bad.yaml" and info.value.line is not None


def test_types_inferred_when_omitted() -> None:
    text = """
kind: decision_table
id: tiering
hit_policy: first
inputs: [{name: revenue_12m}, {name: segment}, {name: rfm, expression: "r + f + m"}]
outputs: [{name: tier, allowed: [A, B, C, D]}, {name: calls}, {name: channels}]
default: {tier: D, calls: 0, channels: [online]}
rules:
  - {id: A1, when: {revenue_12m: ">= 1e6"}, then: {tier: A, calls: 6, channels: [direct_field]}}
  - {id: B1, when: {segment: "East, North", rfm: ">= 10"}, then: {tier: B, calls: 3}}
"""
    ruleset = parse_rules(text, file="t.yaml")
    table_ = ruleset.tables[0]
    assert [i.type for i in table_.inputs] == ["number", "string", "number"]
    assert [o.type for o in table_.outputs] == ["string", "number", "list"]
    frame = pd.DataFrame(
        {
            "revenue_12m": [2e6, 5.0, 5.0],
            "segment": ["East", "East", "West"],
            "r": [5, 5, 5],
            "f": [5, 5, 5],
            "m": [1, 1, 1],
        }
    )
    out = evaluate(ruleset, frame, as_of=DAY)
    assert out["tier"].tolist() == ["A", "B", "D"]
    assert [normalize_value(v) for v in out["channels"]] == [["direct_field"], None, ["online"]]
    with pytest.raises(RuleError, match="mixes number and string"):
        parse_rules(
            text.replace('"East, North"', "5").replace('revenue_12m: ">= 1e6"', 'segment: "East"')
        )
