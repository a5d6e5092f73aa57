"""Static checker: overlaps, gaps, unreachable rules, unknown columns, types, allowed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.rules import check_file
from engine.rules.model import Finding


def write(tmp_path: Path, spec: dict[str, Any] | str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False))
    return path


def spec(policy: str, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "decision_table",
        "id": "t",
        "hit_policy": policy,
        "inputs": [
            {"name": "x", "type": "number", "min": 0},
            {"name": "seg", "type": "string", "values": ["A", "B", "C"]},
        ],
        "outputs": [{"name": "y", "type": "string", "allowed": ["p", "q"]}],
        "rules": rules,
    }
    body.update(extra)
    return body


def codes(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.code, f.severity, f.rule_id) for f in findings]


COMPLETE = [
    {"id": "lo", "when": {"x": "< 100"}, "then": {"y": "p"}},
    {"id": "hi", "when": {"x": ">= 100"}, "then": {"y": "q"}},
]


def test_complete_unique_table_is_clean(tmp_path: Path) -> None:
    assert check_file(write(tmp_path, spec("unique", COMPLETE))) == []


def test_overlap_found_analytically(tmp_path: Path) -> None:
    rules = [
        {"id": "a", "when": {"x": "[0..100]", "seg": "A, B"}, "then": {"y": "p"}},
        {"id": "b", "when": {"x": "(100..200]"}, "then": {"y": "q"}},  # touches a, no overlap
        {"id": "c", "when": {"x": "[50..60)", "seg": 'not("A")'}, "then": {"y": "q"}},  # a & B
        {"id": "d", "when": {"x": "> 200", "seg": "C"}, "then": {"y": "p"}},
        {"id": "e", "when": {"x": "> 150", "seg": "A"}, "then": {"y": "p"}},  # overlaps b
    ]
    findings = check_file(write(tmp_path, spec("unique", rules, default={"y": "p"})))
    overlaps = [f for f in findings if f.code == "overlap"]
    assert [(f.rule_id, f.severity) for f in overlaps] == [("c", "error"), ("e", "error")]
    assert "'a' and 'c'" in overlaps[0].message and "'b' and 'e'" in overlaps[1].message
    assert all(f.file and f.table == "t" and f.line for f in overlaps)


def test_any_overlap_only_with_different_outputs(tmp_path: Path) -> None:
    rules = [
        {"id": "a", "when": {"x": "< 10"}, "then": {"y": "p"}},
        {"id": "b", "when": {"x": "< 20"}, "then": {"y": "p"}},
        {"id": "c", "when": {"x": ">= 5"}, "then": {"y": "q"}},
    ]
    findings = check_file(write(tmp_path, spec("any", rules)))
    assert [f.rule_id for f in findings if f.code == "overlap"] == ["c", "c"]


def test_gaps_numeric_and_enumerated(tmp_path: Path) -> None:
    rules = [
        {"id": "a", "when": {"x": "[0..10)"}, "then": {"y": "p"}},
        {"id": "b", "when": {"x": "(10..20]", "seg": "A, B"}, "then": {"y": "q"}},
        {"id": "c", "when": {"x": "> 20"}, "then": {"y": "q"}},
    ]
    findings = check_file(write(tmp_path, spec("first", rules)))
    gaps = [f for f in findings if f.code == "gap"]
    assert len(gaps) == 1 and gaps[0].severity == "error"
    assert gaps[0].message.endswith(
        "x = 10 and seg = 'A'; x = 10 and seg = 'B'; x in [10..20] and seg = 'C'"
    )
    with_default = check_file(write(tmp_path, spec("first", rules, default={"y": "p"})))
    assert [(f.code, f.severity) for f in with_default] == [("gap", "warning")]


def test_shadowed_rule_under_first(tmp_path: Path) -> None:
    rules = [
        {"id": "wide", "when": {"x": ">= 10"}, "then": {"y": "p"}},
        {"id": "narrow", "when": {"x": "[20..30]", "seg": "A"}, "then": {"y": "q"}},
        {"id": "split1", "when": {"x": "< 10", "seg": "A"}, "then": {"y": "q"}},
        {"id": "split2", "when": {"x": "< 10", "seg": 'not("A")'}, "then": {"y": "q"}},
        {"id": "late", "when": {"x": "[1..2]"}, "then": {"y": "p"}},
    ]
    findings = check_file(write(tmp_path, spec("first", rules)))
    assert codes(findings) == [
        ("unreachable", "warning", "narrow"),
        ("unreachable", "warning", "late"),
    ]


def test_rule_that_matches_nothing_and_never_in_effect(tmp_path: Path) -> None:
    rules = [
        *COMPLETE,
        {"id": "empty", "when": {"x": "(5..5)"}, "then": {"y": "p"}},
        {
            "id": "expired",
            "when": {"x": "< 0"},
            "then": {"y": "p"},
            "effective_until": "2020-01-01",
        },
    ]
    findings = check_file(write(tmp_path, spec("first", rules, effective_from="2025-01-01")))
    assert ("unreachable", "warning", "empty") in codes(findings)
    assert ("unreachable", "warning", "expired") in codes(findings)


def test_type_unknown_column_allowed_values_and_syntax(tmp_path: Path) -> None:
    rules = [
        {"id": "t1", "when": {"x": '"ten"'}, "then": {"y": "p"}},
        {"id": "t2", "when": {"sge": "A"}, "then": {"y": "p"}},
        {"id": "t3", "when": {"x": "[1..2"}, "then": {"y": "p"}},
        {"id": "t4", "when": {"seg": "Z"}, "then": {"y": "zz"}},
    ]
    path = write(tmp_path, spec("first", rules, default={"y": "p"}))
    found = {(f.code, f.rule_id) for f in check_file(path)}
    assert {("type", "t1"), ("unknown-column", "t2"), ("syntax", "t3"), ("output", "t4")} <= found
    lines = {f.rule_id: f.line for f in check_file(path)}
    text = path.read_text().splitlines()
    assert "[1..2" in text[lines["t3"] - 1]


def test_unknown_data_columns(tmp_path: Path) -> None:
    body = spec("unique", COMPLETE)
    body["inputs"].append({"name": "z", "type": "number", "expression": "revenue / employees"})
    findings = check_file(write(tmp_path, body), columns=["x", "seg", "revenue"])
    assert [(f.code, f.message) for f in findings if f.code == "unknown-column"] == [
        ("unknown-column", "input 'z' reads column 'employees', which is not in the data")
    ]


def test_periods_are_checked_separately(tmp_path: Path) -> None:
    rules = [
        {"id": "old", "when": {"x": ">= 0"}, "then": {"y": "p"}, "effective_until": "2025-12-31"},
        {"id": "new", "when": {"x": ">= 0"}, "then": {"y": "q"}, "effective_from": "2026-01-01"},
    ]
    assert check_file(write(tmp_path, spec("unique", rules))) == []
    rules[1]["effective_from"] = "2025-06-01"
    assert [f.code for f in check_file(write(tmp_path, spec("unique", rules)))] == ["overlap"]


def test_broken_yaml_is_one_finding(tmp_path: Path) -> None:
    findings = check_file(write(tmp_path, "kind: decision_table\nid: [unclosed\n"))
    assert [(f.code, f.severity) for f in findings] == [("yaml", "error")]
    assert findings[0].line is not None


def test_shipped_tiering_is_clean() -> None:
    root = Path(__file__).resolve().parents[1]
    columns = [
        "id",
        "territory",
        "name",
        "segment",
        "industry",
        "revenue_12m",
        "orders_12m",
        "growth",
        "satisfaction",
        "credit_score",
        "last_order_days",
        "employees",
    ]
    assert check_file(root / "rules" / "tiering.yaml", columns=columns) == []


def test_an_unquoted_input_name_in_a_text_cell_is_flagged(tmp_path: Path) -> None:
    # DMN reads `not(home)` as "not the value of input home"; salesnet reads it as the text
    body: dict[str, Any] = {
        "kind": "decision_table", "id": "t", "hit_policy": "first",
        "inputs": [{"name": "region", "type": "string"}, {"name": "home", "type": "string"}],
        "outputs": [{"name": "same", "type": "boolean"}],
        "rules": [
            {"id": "a", "when": {"region": "not(home)"}, "then": {"same": False}},
            {"id": "b", "when": {"region": '"home", East'}, "then": {"same": True}},
            {"id": "c", "when": {"home": "region"}, "then": {"same": True}},
        ],
        "default": {"same": False},
    }  # fmt: skip
    findings = [f for f in check_file(write(tmp_path, body)) if f.code == "input-reference"]
    assert [(f.rule_id, f.severity) for f in findings] == [("a", "warning"), ("c", "warning")]
    assert "the unquoted 'home' is the text 'home'" in findings[0].message
