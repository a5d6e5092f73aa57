"""Malformed incentive and risk files raise RuleError (with a file) — never another exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RuleError
from engine.rules.incentives import parse_incentives, parse_incentives_text
from engine.rules.risk import parse_risk, parse_risk_text
from engine.rules.risk_register import compile_risk

RULES = Path(__file__).resolve().parents[1] / "rules"
INCENTIVES_TEXT = (RULES / "incentives.yaml").read_text(encoding="utf-8")
RISK_TEXT = (RULES / "risk.yaml").read_text(encoding="utf-8")

scalars = (
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
cells = st.sampled_from(
    ["-", "", ">= 1e6", "[1..2)", '"East", "North"', 'not("Gov")', "true", "null", ">=", "[1..",
     "not(", '"open', "1e999", "..", "((", "< x", "[2..1]"]
) | scalars  # fmt: skip


def mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text) - 1))
        replacement = data.draw(st.sampled_from(["", ":", "-", "{", "]", "'", "\n  ", "x", "0"]))
        text = text[:position] + replacement + text[position + 1 :]
    return text


def only_rule_errors(call: Any) -> None:
    try:
        call()
    except RuleError as error:
        assert error.file == "fuzz.yaml"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_shipped_files_raise_only_rule_errors(data: st.DataObject) -> None:
    only_rule_errors(lambda: parse_incentives_text(mutate(INCENTIVES_TEXT, data), file="fuzz.yaml"))
    only_rule_errors(lambda: parse_risk_text(mutate(RISK_TEXT, data), file="fuzz.yaml"))


@settings(max_examples=200, deadline=None)
@given(values, values)
def test_random_structures_raise_only_rule_errors(plans: Any, rules: Any) -> None:
    only_rule_errors(lambda: parse_incentives({"kind": "incentive_plans", "plans": plans},
                                              file="fuzz.yaml"))  # fmt: skip
    only_rule_errors(lambda: parse_risk({"kind": "risk_responses", "rules": rules},
                                        file="fuzz.yaml"))  # fmt: skip
    only_rule_errors(lambda: parse_incentives(plans, file="fuzz.yaml"))
    only_rule_errors(lambda: parse_risk(rules, file="fuzz.yaml"))


PARTNERS = pd.DataFrame({"id": ["P1", "P2"], "channel": ["agent", "distributor"],
                         "credit_score": [10.0, None], "credit_limit": [1e5, 2e5],
                         "capacity": [1e6, 1e5]})  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["credit_score", "channel", "capacity", "nope"]),
    cells,
    st.sampled_from([None, "capacity > 2 * credit_limit", "channel", "capacity +", "1 / 0 > 1"]),
)
def test_random_conditions_raise_only_rule_errors_with_rule_and_line(
    column: str, cell: Any, expression: str | None
) -> None:
    rule: dict[str, Any] = {"id": "r", "entity": "partner", "when": {column: cell},
                            "response": "avoid"}  # fmt: skip
    if expression is not None:
        rule["expression"] = expression

    def run() -> None:
        try:
            compile_risk(parse_risk({"kind": "risk_responses", "rules": [rule]}, file="fuzz.yaml"),
                         partners=PARTNERS)  # fmt: skip
        except RuleError as error:
            assert error.rule_id == "r"
            raise

    only_rule_errors(run)
