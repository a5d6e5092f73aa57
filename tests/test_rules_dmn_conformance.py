"""DMN conformance: the decision-table cases of the public DMN TCK, and DMN/FEEL null semantics.

Each ``tests/fixtures/dmn/<case>.yaml`` is the decision table of the TCK case of that name
(github.com/dmn-tck/tck, ``TestCases/compliance-level-2/<case>/``, or ``compliance-level-3`` for
0020), written by hand in salesnet's format. ``TCK`` below lists, per case, every test of the
case's ``<case>-test-01.xml``: the input values and the expected decision result in DMN's shape —
a value for a single-output single-hit table, a context (dict) for several outputs, a list (of
values or contexts) for a multi-hit table, a number for an aggregated collect. Output names that
are not identifiers in our format are renamed (``Approved/Declined`` -> ``approved_declined``).

Every case is evaluated vectorised (all tests of a case in one frame) and per record; both must
give the TCK's result, and the fixture's own ``tests:`` must pass.

Not covered: the TCK's compliance-level-2 cases 0117-multi-min-collect, 0118-multi-sum-collect
and 0119-multi-count-collect were deleted from the TCK in 2018 (an aggregated collect has a
single output in DMN, as in salesnet); the level-3 cases need FEEL beyond decision tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.errors import RuleError
from engine.rules import (
    CompiledTable,
    evaluate,
    evaluate_record,
    load_rules,
    parse_condition,
    parse_rules,
    run_tests,
)
from engine.rules.testing import normalize_value

FIXTURES = Path(__file__).parent / "fixtures" / "dmn"
DAY = dt.date(2026, 1, 1)

APPROVAL = ("Age", "RiskCategory", "isAffordable")

# case -> [(test id, inputs, expected DMN result)], from <case>-test-01.xml
TCK: dict[str, list[tuple[str, dict[str, Any], Any]]] = {
    "0004-simpletable-U": [
        ("001", dict(zip(APPROVAL, (18, "Medium", True), strict=True)), "Approved"),
        ("002", dict(zip(APPROVAL, (17, "Medium", True), strict=True)), "Declined"),
        ("003", dict(zip(APPROVAL, (18, "High", True), strict=True)), "Declined"),
    ],
    "0005-simpletable-A": [
        ("001", dict(zip(APPROVAL, (18, "Medium", True), strict=True)), "Approved"),
        ("002", dict(zip(APPROVAL, (17, "Medium", True), strict=True)), "Declined"),
        ("003", dict(zip(APPROVAL, (18, "High", True), strict=True)), "Declined"),
    ],
    "0006-simpletable-P1": [
        ("001", dict(zip(APPROVAL, (18, "Medium", True), strict=True)), "Approved"),
        ("002", dict(zip(APPROVAL, (17, "Medium", True), strict=True)), "Declined"),
        ("003", dict(zip(APPROVAL, (18, "High", True), strict=True)), "Declined"),
    ],
    "0007-simpletable-P2": [
        ("001", dict(zip(APPROVAL, (18, "Medium", True), strict=True)), "Approved"),
        ("002", dict(zip(APPROVAL, (17, "Medium", True), strict=True)), "Declined"),
        ("003", dict(zip(APPROVAL, (18, "High", True), strict=True)), "Declined"),
    ],
    "0010-multi-output-U": [
        (
            "001",
            dict(zip(APPROVAL, (18, "Medium", True), strict=True)),
            {"Status": "Approved", "Rate": "Standard"},
        ),
        (
            "002",
            dict(zip(APPROVAL, (17, "Medium", True), strict=True)),
            {"Status": "Declined", "Rate": "Standard"},
        ),
        (
            "003",
            dict(zip(APPROVAL, (18, "High", True), strict=True)),
            {"Status": "Declined", "Rate": "Standard"},
        ),
    ],
    "0108-first-hitpolicy": [
        (
            "001",
            dict(zip(APPROVAL, (19, "Medium", True), strict=True)),
            {"Status": "Approved", "Rate": "Best"},
        ),
        (
            "002",
            dict(zip(APPROVAL, (13, "Medium", True), strict=True)),
            {"Status": "Approved", "Rate": "Standard"},
        ),
        (
            "003",
            dict(zip(APPROVAL, (10, "Low", True), strict=True)),
            {"Status": "Declined", "Rate": "Standard"},
        ),
    ],
    "0109-ruleOrder-hitpolicy": [
        (
            "001",
            dict(zip(APPROVAL, (19, "Medium", True), strict=True)),
            [{"Status": "Approved", "Rate": "Best"}, {"Status": "Approved", "Rate": "Standard"}],
        ),
        (
            "002",
            dict(zip(APPROVAL, (13, "Medium", True), strict=True)),
            [{"Status": "Approved", "Rate": "Standard"}],
        ),
        (
            "003",
            dict(zip(APPROVAL, (10, "Low", True), strict=True)),
            [{"Status": "Declined", "Rate": "Standard"}],
        ),
    ],
    "0110-outputOrder-hitpolicy": [
        (
            "001",
            dict(zip(APPROVAL, (17, "High", True), strict=True)),
            [
                {"approved_declined": "Approved", "Rate": "Standard"},
                {"approved_declined": "Declined", "Rate": "Standard"},
            ],
        ),
        (
            "002",
            dict(zip(APPROVAL, (19, "Low", True), strict=True)),
            [{"approved_declined": "Approved", "Rate": "Basic"}],
        ),
        (
            "003",
            dict(zip(APPROVAL, (10, "Low", True), strict=True)),
            [{"approved_declined": "Declined", "Rate": "Standard"}],
        ),
    ],
    "0111-first-hitpolicy-singleoutputcol": [
        ("001", {"age": 19}, "Cars"),
        ("002", {"age": 13}, "Videogames"),
        ("003", {"age": 5}, "Toys"),
    ],
    "0112-ruleOrder-hitpolicy-singleinoutcol": [
        ("001", {"Age": 19}, ["Best", "Standard"]),
        ("002", {"Age": 13}, ["Standard"]),
        ("003", {"Age": 10}, ["Standard"]),
    ],
    "0113-outputOrder-hitpolicy-singleinoutcol": [
        ("001", {"Age": 17}, ["Approved", "Declined"]),
        ("002", {"Age": 19}, ["Approved", "Approved"]),
        ("003", {"Age": 10}, ["Approved", "Declined"]),
    ],
    "0114-min-collect-hitpolicy": [
        ("001", {"NumOfYears": 5}, 64.32),
        ("002", {"NumOfYears": 3}, 98.83),
        ("003", {"NumOfYears": 4}, 98.83),
    ],
    "0115-sum-collect-hitpolicy": [
        ("001", {"NumOfYears": 6}, 1100),
        ("002", {"NumOfYears": 3}, 300),
        ("003", {"NumOfYears": 2}, 100),
    ],
    "0116-count-collect-hitpolicy": [
        ("001", {"NumOfYears": 6}, 4),
        ("002", {"NumOfYears": 2}, 1),
        ("003", {"NumOfYears": 3}, 2),
    ],
    "0117-multi-any-hitpolicy": [
        (
            "001",
            dict(zip(APPROVAL, (19, "Low", True), strict=True)),
            {"Status": "Approved", "Rate": "Best"},
        ),
        (
            "002",
            dict(zip(APPROVAL, (17, "High", True), strict=True)),
            {"Status": "Declined", "Rate": "Standard"},
        ),
        (
            "003",
            dict(zip(APPROVAL, (19, "Medium", True), strict=True)),
            {"Status": "Approved", "Rate": "Standard"},
        ),
    ],
    "0118-multi-priority-hitpolicy": [
        (
            "001",
            dict(zip(APPROVAL, (17, "High", True), strict=True)),
            {"approved_declined": "Approved", "Rate": "Standard"},
        ),
        (
            "002",
            dict(zip(APPROVAL, (19, "Low", True), strict=True)),
            {"approved_declined": "Approved", "Rate": "Basic"},
        ),
        (
            "003",
            dict(zip(APPROVAL, (10, "Low", True), strict=True)),
            {"approved_declined": "Declined", "Rate": "Standard"},
        ),
    ],
    "0119-multi-collect-hitpolicy": [
        (
            "001",
            dict(zip(APPROVAL, (17, "High", True), strict=True)),
            [
                {"approved_declined": "Declined", "Rate": "Standard"},
                {"approved_declined": "Approved", "Rate": "Standard"},
            ],
        ),
        (
            "002",
            dict(zip(APPROVAL, (19, "Low", True), strict=True)),
            [{"approved_declined": "Approved", "Rate": "Basic"}],
        ),
        (
            "003",
            dict(zip(APPROVAL, (10, "Low", True), strict=True)),
            [{"approved_declined": "Declined", "Rate": "Standard"}],
        ),
    ],
}

# compliance-level-3/0020-vacation-days: Total Vacation Days for (Age, Years of Service)
VACATION_DAYS = [
    ("001", 16, 1, 27),
    ("002", 25, 5, 22),
    ("003", 25, 20, 24),
    ("004", 44, 30, 30),
    ("005", 50, 20, 24),
    ("006", 50, 30, 30),
    ("007", 60, 20, 30),
]


def _table(case: str) -> CompiledTable:
    ruleset = load_rules(FIXTURES / f"{case}.yaml")
    assert len(ruleset.tables) == 1
    return ruleset.tables[0]


def dmn_result(table: CompiledTable, row: dict[str, Any]) -> Any:
    """Our columnar result for one row in DMN's shape (value, context, list, list of contexts)."""
    names = [output.name for output in table.outputs]
    values = {name: normalize_value(row[name]) for name in names}
    if table.hit_policy.single or table.aggregation is not None:
        return values[names[0]] if len(names) == 1 else values
    if len(names) == 1:
        return values[names[0]]
    if not isinstance(values[names[0]], list):  # no match: the default outputs or null
        return values if any(v is not None for v in values.values()) else None
    return [dict(zip(names, items, strict=True)) for items in zip(*values.values(), strict=True)]


def _frame(table: CompiledTable, records: list[dict[str, Any]]) -> pd.DataFrame:
    columns: dict[str, pd.Series] = {}
    for item in table.inputs:
        dtype = {"number": "float64", "string": object, "boolean": "boolean"}[item.type]
        columns[item.name] = pd.Series([r.get(item.name) for r in records], dtype=dtype)
    return pd.DataFrame(columns)


def _both(table: CompiledTable, records: list[dict[str, Any]], **options: Any) -> list[Any]:
    """DMN-shaped results per record, vectorised and per record (which must agree)."""
    frame = evaluate(table, _frame(table, records), as_of=DAY, **options)
    vector = [dmn_result(table, row) for row in frame.to_dict("records")]
    single = [
        dmn_result(table, evaluate_record(table, record, as_of=DAY, **options))
        for record in records
    ]
    assert vector == single
    return vector


def _same(got: Any, expected: Any) -> bool:
    if isinstance(expected, float):
        return isinstance(got, int | float) and got == pytest.approx(expected)
    return bool(got == expected)


@pytest.mark.parametrize("case", sorted(TCK))
def test_tck_case(case: str) -> None:
    table = _table(case)
    tests = TCK[case]
    got = _both(table, [inputs for _, inputs, _ in tests])
    for (test_id, inputs, expected), result in zip(tests, got, strict=True):
        assert _same(result, expected), (case, test_id, inputs, result, expected)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_fixture_embedded_tests_pass(path: Path) -> None:
    outcomes = run_tests(load_rules(path))
    assert outcomes and all(o.passed for o in outcomes), [str(o) for o in outcomes]


def test_tck_0020_vacation_days_collect_max_default() -> None:
    """Level 3, 0020: C> tables whose default output entry 0 applies when no rule matches."""
    ruleset = load_rules(FIXTURES / "0020-vacation-days.yaml")
    frame = pd.DataFrame(
        {
            "Age": [float(age) for _, age, _, _ in VACATION_DAYS],
            "YearsOfService": [float(years) for _, _, years, _ in VACATION_DAYS],
        }
    )
    out = evaluate(ruleset, frame, as_of=DAY)
    for position, (test_id, age, years, expected) in enumerate(VACATION_DAYS):
        record = evaluate_record(ruleset, {"Age": age, "YearsOfService": years}, as_of=DAY)
        for extras in (record, out.iloc[position].to_dict()):
            one, two, three = (normalize_value(extras[f"extra_days_{k}"]) for k in (1, 2, 3))
            assert 22 + max(one, three) + two == expected, test_id


# -- beyond the TCK's tests: the same tables on null inputs and on policy edge cases ----------


def test_null_inputs_follow_feel() -> None:
    """0004 (unique): `-` matches null; `>=18`, `<18`, `"Medium","Low"`, `true` do not."""
    table = _table("0004-simpletable-U")
    records = [
        {"Age": None, "RiskCategory": "High", "isAffordable": True},  # r3: Age is "-"
        {"Age": None, "RiskCategory": "Medium", "isAffordable": True},  # null >= 18 is null
        {"Age": 30, "RiskCategory": None, "isAffordable": False},  # r4
        {"Age": 30, "RiskCategory": "Low", "isAffordable": None},  # null = true is false
        {},  # every input missing
    ]
    assert _both(table, records) == ["Declined", None, "Declined", None, None]


def test_not_equal_and_negation_match_null() -> None:
    """DMN: `!= x` is `? != x`, true for null; `not(x)` negates a false test, so null passes;
    `not(<5)` negates null and stays null; `not(null)` fails for null."""
    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": "collect",
        "inputs": [{"name": "x", "type": "number"}, {"name": "s", "type": "string"}],
        "outputs": [{"name": "hit", "type": "string"}],
        "rules": [
            {"id": "ne", "when": {"x": "!= 5"}, "then": {"hit": "ne"}},
            {"id": "not5", "when": {"x": "not(5)"}, "then": {"hit": "not5"}},
            {"id": "notlt", "when": {"x": "not(< 5)"}, "then": {"hit": "notlt"}},
            {"id": "notrange", "when": {"x": "not([1..9])"}, "then": {"hit": "notrange"}},
            {"id": "notnull", "when": {"x": "not(null)"}, "then": {"hit": "notnull"}},
            {"id": "isnull", "when": {"x": "null"}, "then": {"hit": "isnull"}},
            {"id": "gov", "when": {"s": 'not("Gov")'}, "then": {"hit": "gov"}},
            {"id": "negov", "when": {"s": '!= "Gov"'}, "then": {"hit": "negov"}},
        ],
    }
    from engine.rules import compile_rules

    ruleset, findings = compile_rules(spec, file="t.yaml")
    assert ruleset is not None and not [f for f in findings if f.severity == "error"]
    table = ruleset.tables[0]
    got = _both(
        table,
        [{"x": None, "s": None}, {"x": 5, "s": "Gov"}, {"x": 7, "s": "Bank"}],
    )
    assert got == [
        ["ne", "not5", "isnull", "gov", "negov"],
        ["notlt", "notnull"],
        ["ne", "not5", "notlt", "notnull", "gov", "negov"],
    ]
    assert parse_condition("not(5, < 3)", column="x").matches(None) is False


def test_aggregations_without_match() -> None:
    """FEEL count([]) is 0 (C#); sum([]), min([]) and max([]) are null (C+, C<, C>)."""
    none = [{"NumOfYears": 1}, {"NumOfYears": None}]
    assert _both(_table("0116-count-collect-hitpolicy"), none) == [0, 0]
    assert _both(_table("0115-sum-collect-hitpolicy"), none) == [None, None]
    assert _both(_table("0114-min-collect-hitpolicy"), none) == [None, None]


def test_multi_hit_without_match_is_null() -> None:
    assert _both(_table("0112-ruleOrder-hitpolicy-singleinoutcol"), [{"Age": None}]) == [None]
    table = _table("0119-multi-collect-hitpolicy")
    assert _both(table, [{"Age": 20, "RiskCategory": "Medium", "isAffordable": False}]) == [None]


def test_rule_order_without_match_uses_default_output_entries() -> None:
    """0109 declares default output entries; they apply when no rule matches."""
    table = _table("0109-ruleOrder-hitpolicy")
    record = {"Age": 30, "RiskCategory": "High", "isAffordable": True}
    assert _both(table, [record]) == [{"Status": "Declined", "Rate": "Standard"}]


def test_default_hit_policy_is_unique() -> None:
    from engine.rules import parse_rules

    ruleset = parse_rules(
        "kind: decision_table\nid: t\ninputs: [{name: x, type: number}]\n"
        "outputs: [{name: y, type: number}]\n"
        "rules:\n  - {id: a, when: {x: '< 5'}, then: {y: 1}}\n"
        "  - {id: b, when: {x: '> 3'}, then: {y: 2}}\n"
    )
    assert ruleset.tables[0].hit_policy == "unique"
    with pytest.raises(RuleError, match="unique violated"):
        evaluate_record(ruleset, {"x": 4}, as_of=DAY)


def _clash(policy: str) -> CompiledTable:
    from engine.rules import compile_rules

    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": policy,
        "inputs": [{"name": "x", "type": "number"}],
        "outputs": [{"name": "y", "type": "number"}, {"name": "z", "type": "string"}],
        "default": {"y": 0, "z": "none"},
        "rules": [
            {"id": "a", "when": {"x": "< 5"}, "then": {"y": 1, "z": "a"}},
            {"id": "b", "when": {"x": "> 3"}, "then": {"y": 2, "z": "b"}},
        ],
    }
    ruleset, _ = compile_rules(spec, file="t.yaml")
    assert ruleset is not None
    return ruleset.tables[0]


@pytest.mark.parametrize("policy", ["unique", "any"])
def test_violated_policy_raises_or_gives_null(policy: str) -> None:
    """A violated unique/any policy raises RuleError by default; ``violations="null"`` gives
    null outputs and a null trace on the violating rows only (what DMN engines return for a
    hit-policy error), and the default still applies where no rule matches."""
    table = _clash(policy)
    with pytest.raises(RuleError, match=f"{policy} violated"):
        evaluate(table, pd.DataFrame({"x": [4.0]}), as_of=DAY)
    with pytest.raises(RuleError, match=f"{policy} violated"):
        evaluate_record(table, {"x": 4}, as_of=DAY)
    records = [{"x": 1}, {"x": 4}, {"x": 9}, {"x": None}]
    assert _both(table, records, violations="null") == [
        {"y": 1, "z": "a"},
        {"y": None, "z": None},
        {"y": 2, "z": "b"},
        {"y": 0, "z": "none"},
    ]
    frame = evaluate(table, _frame(table, records), as_of=DAY, violations="null")
    assert [normalize_value(v) for v in frame["t_rule"]] == ["a", None, "b", None]
    assert evaluate_record(table, {"x": 4}, as_of=DAY, violations="null")["t_rule"] is None


def test_priority_and_output_order_rank_by_output_values() -> None:
    """A value missing from `allowed` cannot occur (load error); ties keep rule order; the
    second output with output values breaks ties of the first (DMN: outputs in order)."""
    from engine.rules import compile_rules

    def table(policy: str) -> CompiledTable:
        spec = {
            "kind": "decision_table",
            "id": "t",
            "hit_policy": policy,
            "inputs": [{"name": "x", "type": "number"}],
            "outputs": [
                {"name": "grade", "type": "string", "allowed": ["high", "low"]},
                {"name": "note", "type": "string"},
                {"name": "level", "type": "number", "allowed": [3, 2, 1]},
            ],
            "rules": [
                {
                    "id": "a",
                    "when": {"x": "> 0"},
                    "then": {"grade": "low", "note": "a", "level": 3},
                },
                {
                    "id": "b",
                    "when": {"x": "> 1"},
                    "then": {"grade": "high", "note": "b", "level": 1},
                },
                {
                    "id": "c",
                    "when": {"x": "> 2"},
                    "then": {"grade": "high", "note": "c", "level": 2},
                },
                {
                    "id": "d",
                    "when": {"x": "> 3"},
                    "then": {"grade": "high", "note": "d", "level": 2},
                },
            ],
        }
        ruleset, findings = compile_rules(spec, file="t.yaml")
        assert ruleset is not None and not [f for f in findings if f.severity == "error"]
        return ruleset.tables[0]

    records = [{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}]
    notes = [r["note"] for r in _both(table("priority"), records)]
    assert notes == ["a", "b", "c", "c"]
    ordered = _both(table("output_order"), records)
    assert [[r["note"] for r in row] for row in ordered] == [
        ["a"],
        ["b", "a"],
        ["c", "b", "a"],
        ["c", "d", "b", "a"],
    ]


# FEEL: e in (t1, t2) is e in t1 or e in t2 — a union keeps a closed end from either test
UNIONS = [
    (">= 5, > 5", {5: True, 4.9: False, 6: True}),
    ("[1..10], (1..5]", {1: True, 0.5: False, 10: True, 10.5: False}),
    ("(1..5], [1..10]", {1: True, 10: True}),
    ("[1..5), [1..5]", {5: True, 1: True}),
    (">= 2, != 2", {2: True, -100: True, 1e9: True}),
    ("< 3, <= 3", {3: True, 3.1: False}),
    ("not([1..10], (1..5])", {1: False, 10: False, 0: True, 11: True}),
    ("not(>= 5, > 5)", {5: False, 4: True}),
]


@pytest.mark.parametrize(("cell", "expected"), UNIONS)
def test_unions_of_unary_tests_keep_closed_ends(cell: str, expected: dict[float, bool]) -> None:
    condition = parse_condition(cell, column="x")
    for value, matches in expected.items():
        assert condition.matches(value) is matches, (cell, value)
    mask = condition.mask(pd.Series(list(expected), dtype=float))
    assert mask.tolist() == list(expected.values())


@pytest.mark.parametrize(
    ("spelled", "policy", "aggregation"),
    [("UNIQUE", "unique", None), ("U", "unique", None), ("RULE ORDER", "rule_order", None),
     ("Any", "any", None), ("F", "first", None), ("C", "collect", None),
     ("C+", "collect", "sum"), ("C#", "collect", "count"), ("C<", "collect", "min"),
     ("C>", "collect", "max"), ("COLLECT", "collect", None)],
)  # fmt: skip
def test_dmn_spellings_of_hit_policies(spelled: str, policy: str, aggregation: str | None) -> None:
    text = (
        "kind: decision_table\nid: t\n"
        f"hit_policy: {spelled!r}\n"
        "inputs: [{name: x, type: number}]\noutputs: [{name: y, type: number}]\n"
        "rules:\n  - {id: a, when: {x: '>= 0'}, then: {y: 1}}\n"
        "  - {id: b, when: {x: '>= 1'}, then: {y: 2}}\n"
    )
    (table,) = parse_rules(text).tables
    assert (table.hit_policy.value, getattr(table.aggregation, "value", None)) == (
        policy,
        aggregation,
    )


def test_decimal_inputs_are_numbers_on_both_paths() -> None:
    condition = parse_condition("[1..5)", column="x")
    assert condition.matches(Decimal("1")) and not condition.matches(Decimal("5"))
    assert condition.mask(pd.Series([Decimal("1"), Decimal("5")])).tolist() == [True, False]


def test_feel_unicode_escapes_in_string_literals() -> None:
    condition = parse_condition('"\\u0041bc", "\\U01F600"', column="s")
    assert condition.matches("Abc") and condition.matches("😀")
    assert not condition.matches("\\u0041bc")
