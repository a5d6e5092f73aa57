"""CLI (rules check/test/eval, schema), safe YAML loading, and every shipped rule file's tests."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from engine.cli import SalesnetGroup
from engine.cli.rules import rules
from engine.cli.schema import KINDS, rule_schemas, schema
from engine.errors import RuleError, ScenarioError
from engine.rules import load_rules, run_tests
from engine.yamlio import LineDict, LineList, line_at, load_yaml

ROOT = Path(__file__).resolve().parents[1]
TIERING = ROOT / "rules" / "tiering.yaml"


@click.group(cls=SalesnetGroup)
def cli() -> None:
    """Test harness: the real root group registers the same commands."""


cli.add_command(rules)
cli.add_command(schema)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _decision_table_files() -> list[Path]:
    files = []
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        head = path.read_text()
        if "kind: decision_table" in head:
            files.append(path)
    return files


@pytest.mark.parametrize("path", _decision_table_files(), ids=lambda p: p.name)
def test_shipped_rule_files_pass_their_embedded_tests(path: Path) -> None:
    outcomes = run_tests(load_rules(path))
    assert outcomes and all(o.passed for o in outcomes), [str(o) for o in outcomes if not o.passed]


def test_check_exit_codes(tmp_path: Path) -> None:
    code, output = invoke("rules", "check", str(TIERING))
    assert code == 0 and "ok" in output
    bad = tmp_path / "bad.yaml"
    bad.write_text(TIERING.read_text().replace("then: {tier: A}", "then: {tier: Z}", 1))
    code, output = invoke("rules", "check", str(TIERING), str(bad))
    assert code == 1 and "bad.yaml:" in output and "error[output]" in output
    warn = tmp_path / "warn.yaml"
    warn.write_text(
        TIERING.read_text()
        .replace("      - id: D-REST\n", "      - id: D-REST\n        description: x\n", 1)
        .replace('revenue_12m: "< 10000"', 'revenue_12m: "< 5000"')
    )
    code, output = invoke("rules", "check", str(warn))
    assert code == 0 and "warning[gap]" in output


def test_check_against_data_columns(tmp_path: Path) -> None:
    data = tmp_path / "accounts.csv"
    data.write_text("id,revenue_12m\nA,1\n")
    code, output = invoke("rules", "check", str(TIERING), "--data", str(data))
    assert code == 1 and "unknown-column" in output and "credit_score" in output


def test_test_command(tmp_path: Path) -> None:
    code, output = invoke("rules", "test", str(TIERING))
    assert code == 0 and "ok key account end to end" in output
    failing = tmp_path / "fail.yaml"
    failing.write_text(
        TIERING.read_text().replace("expect: {rfm_score: 3}", "expect: {rfm_score: 4}")
    )
    code, output = invoke("rules", "test", str(failing))
    assert code == 1 and "FAILED" in output and "expected 4, got 3" in output
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: decision_table\nid: [\n")
    code, output = invoke("rules", "test", str(broken))
    assert code == 1 and "broken.yaml:" in output


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_eval_writes_outputs_and_trace(tmp_path: Path, suffix: str) -> None:
    accounts = pd.DataFrame(
        {
            "id": ["a1", "a2"],
            "revenue_12m": [400_000.0, 900.0],
            "orders_12m": [30, 1],
            "last_order_days": [5, 500],
            "growth": [0.1, 0.0],
            "credit_score": [90.0, 90.0],
            "segment": ["Enterprise", "SMB"],
        }
    )
    data = tmp_path / f"accounts{suffix}"
    if suffix == ".csv":
        accounts.to_csv(data, index=False)
    else:
        accounts.to_parquet(data, index=False)
    out = tmp_path / f"tiers{suffix}"
    code, output = invoke(
        "rules",
        "eval",
        str(TIERING),
        "--data",
        str(data),
        "--out",
        str(out),
        "--as-of",
        "2026-01-01",
    )
    assert code == 0, output
    result = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert result["id"].tolist() == ["a1", "a2"]
    assert result["tier"].tolist() == ["A", "D"]
    assert result["tiering_rule"].tolist() == ["A-VALUE", "D-REST"]
    channels = result["eligible_channels"].tolist()
    if suffix == ".csv":
        channels = [json.loads(c) for c in channels]
    assert [list(c) for c in channels] == [
        ["direct_field", "inside"],
        ["online", "distributor", "agent"],
    ]


def test_eval_errors_exit_1(tmp_path: Path) -> None:
    data = tmp_path / "accounts.csv"
    data.write_text("id,revenue_12m\nA,1\n")
    code, output = invoke(
        "rules", "eval", str(TIERING), "--data", str(data), "--out", str(tmp_path / "o.csv")
    )
    assert code == 1 and "missing" in output
    assert not (tmp_path / "o.csv").exists()


CLASH = """\
kind: decision_table
id: t
hit_policy: unique
inputs: [{name: x, type: number}]
outputs: [{name: y, type: string}]
rules:
  - {id: low, when: {x: "<= 5"}, then: {y: low}}
  - {id: five, when: {x: "[5..10]"}, then: {y: five}}
default: {y: none}
"""


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_eval_violations_option(tmp_path: Path, suffix: str) -> None:
    rules_file = tmp_path / "clash.yaml"
    rules_file.write_text(CLASH)
    data = tmp_path / "accounts.csv"
    data.write_text("id,x\nA,1\nB,5\nC,7\nD,20\n")
    out = tmp_path / f"o{suffix}"
    base = ("rules", "eval", str(rules_file), "--data", str(data), "--out", str(out))
    for extra in ((), ("--violations", "error")):
        code, output = invoke(*base, *extra)
        assert code == 1 and "'low'" in output and "'five'" in output, output
        assert not out.exists()
    code, output = invoke(*base, "--violations", "null")
    assert code == 0, output
    result = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert result["id"].tolist() == ["A", "B", "C", "D"]
    # the violating row gets null outputs and a null trace, not the default
    assert result["y"].astype(object).fillna("<null>").tolist() == ["low", "<null>", "five", "none"]
    assert result["t_rule"].astype(object).fillna("<null>").tolist() == [
        "low",
        "<null>",
        "five",
        "<null>",
    ]
    code, output = invoke(*base, "--violations", "skip")
    assert code == 2 and "--violations" in output


def test_schema_command_writes_valid_json(tmp_path: Path) -> None:
    code, _ = invoke("schema", "--out", str(tmp_path / "schemas"))
    assert code == 0
    written = json.loads((tmp_path / "schemas" / "decision-tables.schema.json").read_text())
    assert written == json.loads(json.dumps(rule_schemas()["decision-tables.schema.json"]))
    table = written["$defs"]["DecisionTable"]
    assert table["additionalProperties"] is False
    assert "hit_policy" in table["properties"]


def test_yaml_lines_and_safety() -> None:
    data = load_yaml("a: 1\nb:\n  - x\n  - {c: 2}\n", file="f.yaml")
    assert isinstance(data, LineDict) and isinstance(data["b"], LineList)
    assert data.lines == {"a": 1, "b": 2}
    assert line_at(data, ("b", 1, "c")) == 4
    assert line_at(data, ("b", 7)) == 2
    with pytest.raises(RuleError, match="duplicate key"):
        load_yaml("a: 1\na: 2\n", file="f.yaml")
    with pytest.raises(ScenarioError) as info:
        load_yaml("a: !!python/name:os.system\n", file="s.yaml", error=ScenarioError)
    assert info.value.line == 1 and info.value.file == "s.yaml"
    with pytest.raises(RuleError):
        load_yaml(b"\xff\xfe", file="f.yaml")


def test_schema_command_lists_prints_and_writes_one_kind(tmp_path: Path) -> None:
    code, output = invoke("schema")
    assert code == 0
    assert sorted(line.split()[0] for line in output.splitlines()[:-1]) == list(KINDS)
    assert {f"{kind}.schema.json" for kind in KINDS} == set(rule_schemas())
    code, output = invoke("schema", "scenario")
    printed = json.loads(output)
    assert printed["title"] == "salesnet scenario file" and "optimize" in printed["properties"]
    code, _ = invoke("schema", "risk", "--out", str(tmp_path))
    assert code == 0 and [p.name for p in tmp_path.iterdir()] == ["risk.schema.json"]
    code, output = invoke("schema", "bogus")
    assert code == 2 and "scenario" in output


def test_check_runs_risk_rules_on_a_dataset(tmp_path: Path) -> None:
    # an unknown column was caught only when a plan ran the rules
    risk = tmp_path / "risk.yaml"
    risk.write_text(
        "kind: risk_responses\nrules:\n  - id: shaky\n    entity: partner\n"
        "    when: {credit_rating: '< 30'}\n    response: avoid\n",
        encoding="utf-8",
    )
    code, output = invoke("rules", "check", str(risk))
    assert code == 0  # alone, the file is well formed
    code, output = invoke("rules", "check", str(risk), "--data", "demo")
    assert code == 1
    assert f"{risk}:5 error[column] rule 'shaky': unknown column 'credit_rating'" in output
    code, output = invoke("rules", "check", str(ROOT / "rules" / "risk.yaml"), "--data", "demo")
    assert code == 0, output
