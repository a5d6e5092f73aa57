"""Fuzz: malformed YAML, tables, conditions and expressions raise RuleError with a location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules import parse_rules

TIERING = (Path(__file__).resolve().parents[1] / "rules" / "tiering.yaml").read_text()
SMALL = """kind: decision_table
id: t
hit_policy: first
inputs:
  - {name: x, type: number}
  - {name: s, type: string}
  - {name: d, type: number, expression: "x * 2"}
outputs:
  - {name: y, type: string, allowed: [A, B]}
rules:
  - id: R1
    when: {x: ">= 5", s: "East, North"}
    then: {y: A}
  - id: R2
    when:
      x: "[1..5)"
    then: {y: B}
"""


def _load(text: str) -> None:
    try:
        parse_rules(text, file="fuzz.yaml")
    except RuleError as error:
        assert error.file == "fuzz.yaml"
        assert str(error).startswith("fuzz.yaml")


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_random_text(text: str) -> None:
    _load(text)


@given(st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_files(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from([SMALL, TIERING]))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        piece = data.draw(
            st.sampled_from(
                [
                    ":",
                    "-",
                    "[",
                    "]",
                    "{",
                    "}",
                    '"',
                    "'",
                    "\n",
                    " ",
                    "x",
                    "1",
                    "!!python/object:os.system",
                    "&a",
                    "*a",
                    "\t",
                    "id: R1\n",
                    "null",
                    "<<: *a",
                ]
            )
        )
        if action == "delete":
            text = text[:position] + text[position + 1 :]
        elif action == "insert":
            text = text[:position] + piece + text[position:]
        else:
            text = text[:position] + piece + text[position + len(piece) :]
    _load(text)


@given(st.text(max_size=30))
@settings(max_examples=300, deadline=None)
def test_bad_condition_cell_names_rule_and_line(cell: str) -> None:
    text = SMALL.replace('x: "[1..5)"', f"x: {json.dumps(cell)}")
    try:
        parse_rules(text, file="fuzz.yaml")
    except RuleError as error:
        assert (error.file, error.rule_id, error.line, error.table) == ("fuzz.yaml", "R2", 16, "t")


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_bad_expression_names_line(expression: str) -> None:
    text = SMALL.replace('"x * 2"', json.dumps(expression))
    try:
        parse_rules(text, file="fuzz.yaml")
    except RuleError as error:
        assert (error.file, error.line, error.table) == ("fuzz.yaml", 7, "t")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("kind: decision_table\nid: t\nid: u\n", 3, "duplicate key"),
        ("a: !!python/object/apply:os.system ['ls']\n", 1, "unsafe"),
        ("a: !custom 1\n", 1, "unsafe"),
        ("- just\n- a list\n", 1, "mapping"),
        ("kind: decision_table\nid: t\n  bad: indent\n", 3, "invalid YAML"),
        (SMALL.replace("    then: {y: B}", "    then: {y: B}\n    extra: 1"), 18, "extra"),
        (SMALL.replace("hit_policy: first", "hit_policy: 3"), 3, "hit_policy"),
        (SMALL.replace("{name: x, type: number}", "{name: x, type: integer}"), 5, "type"),
    ],
)
def test_specific_yaml_problems(text: str, line: int, fragment: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rules(text, file="bad.yaml")
    assert info.value.line == line
    assert fragment.lower() in str(info.value).lower()


def test_schema_error_inside_rule_names_rule() -> None:
    text = SMALL.replace("  - id: R2\n    when:", "  - id: R2\n    whenn: {}\n    when:")
    with pytest.raises(RuleError) as info:
        parse_rules(text, file="bad.yaml")
    assert (info.value.rule_id, info.value.table, info.value.line) == ("R2", "t", 15)
