"""FEEL cells: text comparisons and ranges (``< "m"``, ``["a".."m")``) on both evaluation paths,
empty (backwards) ranges, and the checker's warnings for cells DMN reads differently."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules import check_file, evaluate, evaluate_record, parse_condition, parse_rules
from engine.rules.testing import normalize_value
from engine.rules.text_ranges import TextRange, complement, union

DAY = dt.date(2026, 1, 1)
DTYPES: list[Any] = [object, "string", "string[pyarrow]", "category"]


def cond(cell: str) -> Any:
    return parse_condition(cell, column="x")


@pytest.mark.parametrize(
    ("cell", "inside", "outside"),
    [
        ('< "m"', ["", "a", "lzzz", "M"], ["m", "ma", "z"]),
        ('<= "m"', ["m", "a"], ["ma", "n"]),
        ('> "m"', ["m\x00", "ma", "z"], ["m", "a", "M"]),
        ('>= "b"', ["b", "ba", "é"], ["a", "B", ""]),
        ('["a".."m"]', ["a", "m", "b"], ["", "ma", "A"]),
        ('["a".."m")', ["a", "lz"], ["m", "ma"]),
        ('("a".."m"]', ["a\x00", "m"], ["a", "ma"]),
        ('("a".."m")', ["b"], ["a", "m"]),
        (']"a".."m"[', ["b", "aa"], ["a", "m"]),
        ('not(["a".."m"])', ["", "z", "ma"], ["a", "m", "c"]),
        ('"zz", < "b"', ["zz", "a"], ["b", "z"]),
        ('!= "c", < "b"', ["a", "d"], ["c"]),
        ('not("c", >= "x")', ["a", "d"], ["c", "x", "xy"]),
        ('["m".."a"]', [], ["a", "m", "c", ""]),  # backwards: empty in FEEL
        ('"a" , ["m".."a"]', ["a"], ["c"]),
    ],
)
def test_text_ordering_both_paths(cell: str, inside: list[str], outside: list[str]) -> None:
    condition = cond(cell)
    assert condition.value_type == "string"
    for value in inside:
        assert condition.matches(value), (cell, value)
    for value in outside:
        assert not condition.matches(value), (cell, value)
    expected = [True] * len(inside) + [False] * len(outside) + [condition.null]
    for dtype in DTYPES:
        series = pd.Series([*inside, *outside, None], dtype=dtype)
        assert condition.mask(series).tolist() == expected, (cell, dtype)


@pytest.mark.parametrize(
    ("cell", "passes"),
    [
        ('< "m"', False),  # null < "m" is null
        ('["a".."m"]', False),
        ('not(< "m")', False),  # not(null) is null
        ('!= "a", < "m"', True),  # true or null
        ('"a", < "m"', False),  # false or null
        ('not("a", < "m")', False),
        ('null, < "m"', True),
    ],
)
def test_text_ordering_null_is_three_valued(cell: str, passes: bool) -> None:
    condition = cond(cell)
    for null in (None, float("nan"), pd.NA):
        assert condition.matches(null) is passes
    assert condition.mask(pd.Series([None, "a"], dtype=object)).tolist()[0] is passes


def test_code_point_order_not_locale_or_case() -> None:
    # "Z" (U+005A) < "a" (U+0061) < "é" (U+00E9) < "😀" (U+1F600)
    assert cond('< "a"').matches("Z") and not cond('< "a"').matches("é")
    assert cond('["a".."😀"]').matches("é")
    assert cond('< "ab"').matches("a") and not cond('< "ab"').matches("b")


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("< Complex.aNumber", "would be a FEEL name"),
        (">= Passenger2.Miles", "would be a FEEL name"),
        ("[numB..numC]", "would be a FEEL name"),
        ('["a"..5]', "two numbers or two quoted texts"),
        ('[1.."b"]', "two numbers or two quoted texts"),
        ('< "a" , 5', "mixes number and string"),
    ],
)
def test_text_ordering_errors(cell: str, message: str) -> None:
    with pytest.raises(RuleError, match=message) as info:
        parse_condition(cell, column="x", file="t.yaml", rule_id="R1", line=3)
    assert (info.value.file, info.value.rule_id, info.value.line) == ("t.yaml", "R1", 3)


def table(rules: list[dict[str, Any]], kind: str = "string", policy: str = "first") -> Any:
    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": policy,
        "inputs": [{"name": "name", "type": kind}],
        "outputs": [{"name": "y", "type": "string"}],
        "rules": rules,
    }
    return parse_rules(yaml.safe_dump(spec, sort_keys=False), file="t.yaml")


HALVES = [
    {"id": "lo", "when": {"name": '< "m"'}, "then": {"y": "A-L"}},
    {"id": "mid", "when": {"name": '["m".."t"]'}, "then": {"y": "M-T"}},
    {"id": "hi", "when": {"name": '> "t"'}, "then": {"y": "U-"}},
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_table_paths_agree(dtype: Any) -> None:
    rules = table(HALVES, policy="unique")
    names = ["apple", "m", "t", "tz", None, "", "Zed", "mango"]
    frame = evaluate(rules, pd.DataFrame({"name": pd.Series(names, dtype=dtype)}), as_of=DAY)
    per_record = [evaluate_record(rules, {"name": n}, as_of=DAY)["y"] for n in names]
    assert [normalize_value(v) for v in frame["y"]] == per_record
    assert per_record == ["A-L", "M-T", "M-T", "U-", None, "A-L", "A-L", "M-T"]


def test_text_bound_against_number_input_is_an_error() -> None:
    with pytest.raises(RuleError, match=r"is number but condition .* tests string"):
        table([{"id": "r", "when": {"name": '< "m"'}, "then": {"y": "a"}}], kind="number")
    rules = table(HALVES)
    with pytest.raises(RuleError, match="expects a string value"):
        evaluate_record(rules, {"name": 5}, as_of=DAY)
    with pytest.raises(RuleError, match="expects string values"):
        evaluate(rules, pd.DataFrame({"name": [1.0, 2.0]}), as_of=DAY)


def test_check_finds_text_gaps_and_overlaps(tmp_path: Path) -> None:
    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": "unique",
        "inputs": [{"name": "name", "type": "string"}],
        "outputs": [{"name": "y", "type": "string"}],
        "rules": [
            {"id": "lo", "when": {"name": '< "m"'}, "then": {"y": "a"}},
            {"id": "mid", "when": {"name": '["m".."t")'}, "then": {"y": "b"}},
            {"id": "hi", "when": {"name": '> "t"'}, "then": {"y": "c"}},
            {"id": "zz", "when": {"name": '"zz"'}, "then": {"y": "d"}},
        ],
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    findings = {(f.code, f.rule_id): f.message for f in check_file(path)}
    assert set(findings) == {("gap", None), ("overlap", "zz")}
    assert findings[("gap", None)].endswith('name = "t"')
    assert "'hi' and 'zz'" in findings[("overlap", "zz")]
    spec["rules"][1]["when"]["name"] = '["m".."t"]'
    spec["rules"].pop()
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert check_file(path) == []


def test_text_range_algebra() -> None:
    a = TextRange("a", "m", True, False)
    assert union([a, TextRange("m", "t")]) == (TextRange("a", "t"),)
    assert union([TextRange("a", "m", True, False), TextRange("m", "t", False)]) == (
        TextRange("a", "m", True, False),
        TextRange("m", "t", False, True),
    )
    assert complement([TextRange(None, None)]) == ()
    assert complement([]) == (TextRange(None, None),)
    assert complement([a]) == (TextRange(None, "a", True, False), TextRange("m", None))
    assert TextRange("a", "a\x00", False, False).is_empty()
    assert TextRange(None, "", True, False).is_empty()
    assert not TextRange("a", "a\x01", False, False).is_empty()


# -- property: both paths agree with a direct reading of FEEL's three-valued logic -------------

_OPS: dict[str, Callable[[str, str], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_words = st.text(alphabet="abc", max_size=2)


def _atom() -> st.SearchStrategy[tuple[str, Callable[[str | None], bool | None]]]:
    def equal(w: str) -> tuple[str, Callable[[str | None], bool | None]]:
        return f'"{w}"', lambda v: False if v is None else v == w

    def unequal(w: str) -> tuple[str, Callable[[str | None], bool | None]]:
        return f'!= "{w}"', lambda v: True if v is None else v != w

    def compare(op: str, w: str) -> tuple[str, Callable[[str | None], bool | None]]:
        return f'{op} "{w}"', lambda v: None if v is None else _OPS[op](v, w)

    def between(
        lo: str, hi: str, left: str, right: str
    ) -> tuple[str, Callable[[str | None], bool | None]]:
        def test(v: str | None) -> bool | None:
            if v is None:
                return None
            above = v >= lo if left == "[" else v > lo
            below = v <= hi if right == "]" else v < hi
            return above and below

        return f'{left}"{lo}".."{hi}"{right}', test

    return st.one_of(
        _words.map(equal),
        _words.map(unequal),
        st.builds(compare, st.sampled_from(sorted(_OPS)), _words),
        st.builds(between, _words, _words, st.sampled_from("[(]"), st.sampled_from("])[")),
    )


@given(
    st.lists(_atom(), min_size=1, max_size=3),
    st.booleans(),
    st.lists(st.one_of(st.none(), _words), min_size=1, max_size=12),
)
@settings(max_examples=400, deadline=None)
def test_text_cells_follow_feel(atoms: list[Any], negate: bool, values: list[str | None]) -> None:
    text = ", ".join(source for source, _ in atoms)
    if negate:
        text = f"not({text})"
    condition = cond(text)

    def feel(v: str | None) -> bool:
        results = [test(v) for _, test in atoms]
        union_: bool | None = True if True in results else (None if None in results else False)
        if negate and union_ is not None:
            union_ = not union_
        return union_ is True

    expected = [feel(v) for v in values]
    assert [condition.matches(v) for v in values] == expected, text
    for dtype in (object, "string", "category"):
        assert condition.mask(pd.Series(values, dtype=dtype)).tolist() == expected, text


# -- empty (backwards) ranges -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "empty", "inside", "outside"),
    [
        ("[10..1]", "[10..1]", [], [1, 5, 10, -1, 11]),
        ("]10..1[", "]10..1[", [], [5]),
        ("(5..5)", "(5..5)", [], [5]),
        ("[10..1], 20", "[10..1]", [20], [5, 10]),
        ("not([10..1])", "[10..1]", [1, 5, 10, -1e9], []),
        ("not([10..1], 20)", "[10..1]", [5], [20]),
    ],
)
def test_backwards_range_is_empty(
    cell: str, empty: str, inside: list[float], outside: list[float]
) -> None:
    condition = cond(cell)
    assert condition.empty_ranges == (empty,)
    values = [*inside, *outside, None]
    expected = [True] * len(inside) + [False] * len(outside) + [False]
    assert [condition.matches(v) for v in values] == expected
    assert condition.mask(pd.Series(values, dtype="float64")).tolist() == expected
    assert condition.mask(pd.Series(values, dtype="Int64")).tolist() == expected


def test_backwards_range_rule_never_fires_on_both_paths() -> None:
    rules = parse_rules(
        yaml.safe_dump(
            {
                "kind": "decision_table",
                "id": "t",
                "hit_policy": "first",
                "inputs": [{"name": "x", "type": "number"}],
                "outputs": [{"name": "y", "type": "string"}],
                "rules": [
                    {"id": "back", "when": {"x": "[10..1]"}, "then": {"y": "never"}},
                    {"id": "rest", "when": {"x": "-"}, "then": {"y": "rest"}},
                ],
            }
        ),
        file="t.yaml",
    )
    xs = [1, 5, 10, None]
    frame = evaluate(rules, pd.DataFrame({"x": pd.Series(xs, dtype="float64")}), as_of=DAY)
    assert frame["t_rule"].tolist() == ["rest"] * 4
    assert [evaluate_record(rules, {"x": x}, as_of=DAY)["t_rule"] for x in xs] == ["rest"] * 4


def _check(tmp_path: Path, rules: list[dict[str, Any]], **inputs: str) -> list[Any]:
    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": "rule_order",
        "inputs": [{"name": n, "type": t} for n, t in (inputs or {"x": "number"}).items()],
        "outputs": [{"name": "y", "type": "string"}],
        "rules": [*rules, {"id": "rest", "when": {}, "then": {"y": "rest"}}],
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return check_file(path)


def test_check_warns_for_empty_ranges(tmp_path: Path) -> None:
    rules = [
        {"id": "back", "when": {"x": "[10..1]"}, "then": {"y": "a"}},
        {"id": "part", "when": {"x": "[10..1], 20"}, "then": {"y": "b"}},
        {"id": "neg", "when": {"x": "not([10..1])"}, "then": {"y": "c"}},
        {"id": "fine", "when": {"x": "[1..10]"}, "then": {"y": "d"}},
    ]
    findings = _check(tmp_path, rules)
    got = [(f.severity, f.code, f.rule_id) for f in findings]
    assert got == [
        ("warning", "unreachable", "back"),
        ("warning", "empty-range", "part"),
        ("warning", "empty-range", "neg"),
    ]
    assert all(f.file.endswith("t.yaml") and f.table == "t" and f.line for f in findings)
    assert "can never fire" in findings[0].message
    assert findings[0].message.startswith("rule 'back' can never fire: a condition matches")
    assert "it has an empty range in x: [10..1], which matches no value" in findings[0].message
    assert findings[1].message.startswith("rule 'part' has an empty range in x: [10..1], which")
    text = _check(
        tmp_path, [{"id": "s", "when": {"s": '["m".."a"]'}, "then": {"y": "a"}}], s="string"
    )
    assert [(f.code, f.rule_id) for f in text] == [("unreachable", "s")]


def test_check_warns_for_empty_ranges_in_plan_files(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    source = Path(__file__).parents[1] / "rules" / "risk.yaml"
    path.write_text(source.read_text().replace('"[30..60)"', '"[60..30)"'))
    findings = check_file(path)
    assert [(f.severity, f.code) for f in findings] == [("warning", "empty-range")]
    assert findings[0].rule_id == "partner_weak_credit" and findings[0].line


# -- cells DMN reads differently: names and YAML nulls --------------------------------------------


def test_check_warns_for_qualified_names(tmp_path: Path) -> None:
    rules = [
        {"id": "same", "when": {"s": "Complex.aString"}, "then": {"y": "a"}},
        {"id": "diff", "when": {"s": "not(Complex.aString)"}, "then": {"y": "b"}},
        {"id": "mixed", "when": {"s": '"x", != Order.status, < "b"'}, "then": {"y": "c"}},
        {"id": "quoted", "when": {"s": '"Complex.aString"'}, "then": {"y": "d"}},
        {"id": "text", "when": {"s": "Mid-Market, U.S, v1.2, East"}, "then": {"y": "e"}},
        {"id": "list", "when": {"s": ["Complex.aString"]}, "then": {"y": "f"}},
    ]
    findings = [f for f in _check(tmp_path, rules, s="string") if f.code == "name-reference"]
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("same", "warning"),
        ("diff", "warning"),
        ("mixed", "warning"),
        ("text", "warning"),  # U.S reads as a qualified name
    ]
    assert findings[0].message.startswith(
        "s: the unquoted 'Complex.aString' is the text 'Complex.aString', not a qualified name"
    )
    assert "'Order.status'" in findings[2].message and "'U.S'" in findings[3].message
    # behaviour is unchanged: the word is text
    assert cond("Complex.aString").matches("Complex.aString")


def test_input_reference_also_found_beside_text_ranges(tmp_path: Path) -> None:
    rules = [{"id": "r", "when": {"s": 'other, < "b"'}, "then": {"y": "a"}}]
    findings = _check(tmp_path, rules, s="string", other="string")
    assert [(f.code, f.rule_id) for f in findings] == [("input-reference", "r")]


@pytest.mark.parametrize("cell", ["null", "~", ""])
def test_check_warns_for_yaml_null_cells(tmp_path: Path, cell: str) -> None:
    text = f"""\
kind: decision_table
id: t
hit_policy: rule_order
inputs: [{{name: x, type: number}}]
outputs: [{{name: y, type: string}}]
rules:
  - {{id: yaml_null, when: {{x: {cell}}}, then: {{y: a}}}}
  - {{id: quoted, when: {{x: "null"}}, then: {{y: b}}}}
  - {{id: dash, when: {{x: "-"}}, then: {{y: c}}}}
  - {{id: missing, when: {{}}, then: {{y: d}}}}
"""
    path = tmp_path / "t.yaml"
    path.write_text(text)
    findings = check_file(path)
    assert [(f.severity, f.code, f.rule_id, f.line) for f in findings] == [
        ("warning", "null-cell", "yaml_null", 7)
    ]
    assert '"-" for any value, or the quoted "null"' in findings[0].message
    # the meaning is unchanged (any value), on both paths
    rules = parse_rules(text, file="t.yaml")
    assert evaluate_record(rules, {"x": 5}, as_of=DAY)["t_rule"] == ("yaml_null", "dash", "missing")
    frame = evaluate(rules, pd.DataFrame({"x": [5.0, None]}), as_of=DAY)
    assert frame["t_rule"].tolist() == [
        ("yaml_null", "dash", "missing"),
        ("yaml_null", "quoted", "dash", "missing"),
    ]


def test_check_warns_for_yaml_null_cells_in_plan_files(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    source = Path(__file__).parents[1] / "rules" / "risk.yaml"
    path.write_text(source.read_text().replace('"[30..60)"', "~"))
    findings = check_file(path)
    assert [(f.code, f.rule_id) for f in findings] == [("null-cell", "partner_weak_credit")]


def test_shipped_rules_have_no_null_cells() -> None:
    root = Path(__file__).parents[1] / "rules"
    for path in sorted(root.glob("*.yaml")):
        assert not [f for f in check_file(path) if f.code in ("null-cell", "name-reference")]


def test_text_bounds_print_control_characters_as_feel_escapes() -> None:
    # the checker names gaps like "just after m" as "m\u0000": printed visibly, read back the same
    from engine.rules.conditions import parse_condition
    from engine.rules.text_ranges import quote

    assert quote("m\x00") == '"m\\u0000"'
    assert quote('a"b\\') == '"a\\"b\\\\"'
    condition = parse_condition(f"< {quote('m' + chr(0))}", column="name")
    assert condition.matches("m") and not condition.matches("m\x00")


def test_check_names_text_ranges_outside_the_declared_values(tmp_path: Path) -> None:
    # with declared values, a misspelt value next to a range, and a range that holds none of the
    # values, are flagged as for plain value lists; a range over some of them is fine
    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": "first",
        "inputs": [{"name": "region", "type": "string", "values": ["East", "West", "North"]}],
        "outputs": [{"name": "y", "type": "string"}],
        "default": {"y": "none"},
        "rules": [
            {"id": "typo", "when": {"region": '"Est", >= "W"'}, "then": {"y": "a"}},
            {"id": "none", "when": {"region": '< "A"'}, "then": {"y": "b"}},
            {"id": "some", "when": {"region": '["E".."N")'}, "then": {"y": "c"}},
        ],
    }
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    found = [(f.rule_id, f.message) for f in check_file(path) if f.code == "unknown-value"]
    assert found == [
        ("typo", "region: 'Est' not among the input's values"),
        ("none", "region: '< \"A\"' matches none of the input's values"),
    ]
