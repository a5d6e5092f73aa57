"""Differential test: first and collect tables agree with zen-engine on thousands of records.

Cells are drawn from the grammar both engines share (comparisons, intervals, lists, ``!=`` on
numbers, text and booleans, booleans, any), and a tenth of the values are null, so the DMN/FEEL
null semantics are compared too: ``!= 5`` matches null in both engines (``null != 5`` is true).

Left out, because zen-engine deviates from DMN there (checked empirically, zen-engine 2.1):
``not(...)``. zen reads a cell ``not(x)`` as the expression ``? = not(x)`` (boolean negation of
``x``) rather than as DMN's negated unary tests, so ``not(5)``, ``not("Gov")`` and
``not([1..5])`` match nothing, null included, and ``not(true)`` matches only false (DMN:
``not(5)`` matches every number but 5, and null). Our ``not(...)`` is covered against the FEEL
rules in test_rules_conditions.py and by the property tests instead.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.rules import compile_rules, evaluate
from engine.rules.testing import normalize_value

zen = pytest.importorskip("zen")

WORDS = ["East", "North", "South", "West"]
DAY = dt.date(2026, 1, 1)


def _number_cell(rng: np.random.Generator) -> str:
    kind = rng.integers(0, 7)
    a, b = sorted(rng.integers(-5, 6, size=2).tolist())
    if kind == 0:
        return ""
    if kind == 5:
        return f"!= {a}"
    if kind == 6:
        return f"!= {a}, < {b}"
    if kind == 1:
        op = [">=", ">", "<", "<="][rng.integers(0, 4)]
        return f"{op} {a}"
    if kind == 2:
        return f"{'[('[rng.integers(0, 2)]}{a}..{b}{'])'[rng.integers(0, 2)]}"
    if kind == 3:
        return ", ".join(str(v) for v in sorted(set(rng.integers(-5, 6, size=2).tolist())))
    return str(a)


def _text_cell(rng: np.random.Generator) -> str:
    kind = rng.integers(0, 4)
    if kind == 0:
        return ""
    if kind == 1:
        return f'!= "{rng.choice(WORDS)}"'
    chosen = rng.choice(WORDS, size=rng.integers(1, 3), replace=False)
    return ", ".join(f'"{w}"' for w in chosen)


def _bool_cell(rng: np.random.Generator) -> str:
    return ["", "", "true", "false", "!= true", "!= false"][rng.integers(0, 6)]


def _random_table(rng: np.random.Generator, policy: str) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs = [
        ("x", "number", _number_cell),
        ("y", "number", _number_cell),
        ("region", "string", _text_cell),
        ("flag", "boolean", _bool_cell),
    ]
    rules = []
    zen_rules = []
    for number in range(int(rng.integers(2, 9))):
        cells = {name: make(rng) for name, _, make in inputs}
        score = int(rng.integers(0, 100))
        label = str(rng.choice(["A", "B", "C"]))
        rules.append(
            {
                "id": f"r{number}",
                "when": {k: v for k, v in cells.items() if v},
                "then": {"score": score, "label": label},
            }
        )
        zen_rules.append(
            {
                "_id": f"r{number}",
                **{f"i_{k}": v for k, v in cells.items()},
                "o_score": str(score),
                "o_label": json.dumps(label),
            }
        )
    spec = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": policy,
        "inputs": [{"name": n, "type": t} for n, t, _ in inputs],
        "outputs": [{"name": "score", "type": "number"}, {"name": "label", "type": "string"}],
        "rules": rules,
    }
    jdm = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "dt",
                "type": "decisionTableNode",
                "name": "t",
                "position": {"x": 1, "y": 0},
                "content": {
                    "hitPolicy": policy,
                    "inputs": [{"id": f"i_{n}", "name": n, "field": n} for n, _, _ in inputs],
                    "outputs": [
                        {"id": "o_score", "name": "score", "field": "score"},
                        {"id": "o_label", "name": "label", "field": "label"},
                    ],
                    "rules": zen_rules,
                },
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "dt", "type": "edge"},
            {"id": "e2", "sourceId": "dt", "targetId": "out", "type": "edge"},
        ],
    }
    return spec, jdm


def _random_records(rng: np.random.Generator, count: int) -> pd.DataFrame:
    def maybe_null(values: np.ndarray) -> list[Any]:
        nulls = rng.random(count) < 0.1
        return [None if null else v for v, null in zip(values.tolist(), nulls, strict=True)]

    return pd.DataFrame(
        {
            "x": pd.Series(
                maybe_null(rng.integers(-6, 7, count) + rng.choice([0, 0.5], count)),
                dtype="float64",
            ),
            "y": pd.Series(maybe_null(rng.integers(-6, 7, count).astype(float)), dtype="float64"),
            "region": pd.Series(maybe_null(rng.choice([*WORDS, "Gov"], count)), dtype=object),
            "flag": pd.Series(maybe_null(rng.random(count) < 0.5), dtype="boolean"),
        }
    )


def _zen_context(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if pd.isna(v) else (bool(v) if k == "flag" else v)) for k, v in row.items()}


@pytest.mark.parametrize("policy", ["first", "collect"])
def test_same_results_as_zen_engine(policy: str) -> None:
    rng = np.random.default_rng(20260101 if policy == "first" else 7)
    engine = zen.ZenEngine()
    compared = 0
    for _ in range(20):
        spec, jdm = _random_table(rng, policy)
        ruleset, findings = compile_rules(spec, file="random.yaml")
        assert ruleset is not None and not [f for f in findings if f.severity == "error"]
        decision = engine.create_decision(json.dumps(jdm))
        frame = _random_records(rng, 150)
        ours = evaluate(ruleset, frame, as_of=DAY)
        for position, row in enumerate(frame.to_dict("records")):
            theirs = decision.evaluate(_zen_context(row))["result"]
            if policy == "first":
                expected = {"score": theirs.get("score"), "label": theirs.get("label")}
                got = {k: normalize_value(ours[k].iloc[position]) for k in ("score", "label")}
            else:
                expected = {
                    "score": [hit["score"] for hit in theirs] or None,
                    "label": [hit["label"] for hit in theirs] or None,
                }
                got = {k: normalize_value(ours[k].iloc[position]) for k in ("score", "label")}
            assert got == expected, (spec, row)
            compared += 1
    assert compared == 3000
