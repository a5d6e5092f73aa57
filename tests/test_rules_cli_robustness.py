"""`salesnet rules` on awkward input: ids keep leading zeros, corrupt Parquet, and every rule-file
kind (decision tables, incentive plans, risk responses) handled by check, test and eval."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from engine.cli.rules import read_table
from engine.errors import DataError
from engine.rules import load_rules
from engine.rules.check import check_file

ROOT = Path(__file__).resolve().parents[1]
TIERING = ROOT / "rules" / "tiering.yaml"
INCENTIVES = ROOT / "rules" / "incentives.yaml"
RISK = ROOT / "rules" / "risk.yaml"

HEADER = (
    "id,territory,name,segment,industry,revenue_12m,orders_12m,growth,satisfaction,"
    "credit_score,last_order_days,employees,zip\n"
)
ROWS = (
    "000000001,01001,A Co,SMB,Energy,703.0,3,-0.085,8.6,50.0,18,14,02134\n"
    "000000002,18089,B Co,Enterprise,Manufacturing,250000,30,0.3,9.6,85.0,3,155,60601\n"
    "000000010,39045,C Co,SMB,Construction,9363.05,10,0.194,8.2,51.0,129,119,10001\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text and "internal error" not in text, text
    return code, text


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


# --- M1: ids stay text ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_eval_keeps_leading_zeros_in_ids(
    capsys: pytest.CaptureFixture[str], accounts: Path, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"tiers{suffix}"
    code, _ = run(
        capsys, "rules", "eval", str(TIERING), "--data", str(accounts), "--out", str(out),
        "--as-of", "2027-01-01",
    )  # fmt: skip
    assert code == 0
    result = pd.read_csv(out, dtype=str) if suffix == ".csv" else pd.read_parquet(out)
    assert result["id"].tolist() == ["000000001", "000000002", "000000010"]
    assert result["tier"].tolist()[1] == "A"  # numbers were still compared as numbers


def test_read_table_ids_text_numbers_numeric(accounts: Path) -> None:
    ruleset = load_rules(TIERING)
    frame = read_table(str(accounts), ruleset)
    assert frame["id"].tolist() == ["000000001", "000000002", "000000010"]
    assert frame["territory"].tolist() == ["01001", "18089", "39045"]  # a reference: text
    assert frame["zip"].tolist() == ["02134", "60601", "10001"]  # leading zeros: text
    for column in ("revenue_12m", "orders_12m", "credit_score", "last_order_days", "employees"):
        assert pd.api.types.is_numeric_dtype(frame[column]), column
    assert frame["segment"].tolist() == ["SMB", "Enterprise", "SMB"]


def test_read_table_column_the_rules_test_as_number_stays_numeric(tmp_path: Path) -> None:
    rules = tmp_path / "zip.yaml"
    rules.write_text(
        "kind: decision_table\nid: z\nhit_policy: first\n"
        "inputs: [{name: zip, type: number}, {name: id, type: string}]\n"
        "outputs: [{name: east, type: boolean}]\n"
        "default: {east: false}\n"
        'rules:\n  - {id: E, when: {zip: "< 20000"}, then: {east: true}}\n'
    )
    data = tmp_path / "d.csv"
    data.write_text("id,zip\n007,02134\n008,60601\n")
    ruleset = load_rules(rules)
    frame = read_table(str(data), ruleset)
    assert frame["id"].tolist() == ["007", "008"]
    assert pd.api.types.is_numeric_dtype(frame["zip"])
    from engine.rules.evaluate import evaluate

    result = evaluate(ruleset, frame, as_of=dt.date(2027, 1, 1))
    assert result["east"].tolist() == [True, False]


def test_read_table_blank_id_is_null_not_nan(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("id,revenue_12m\n0001,5\n,6\n")
    frame = read_table(str(data))
    assert frame["id"].tolist() == ["0001", None]


# --- M2: corrupt Parquet is a data error --------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "eval"])
def test_corrupt_parquet_is_a_clean_data_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"PAR1 this is not parquet at all")
    args = ["rules", command, str(TIERING), "--data", str(fake)]
    if command == "eval":
        args += ["--out", str(tmp_path / "o.csv")]
    code, text = run(capsys, *args)
    assert code == 1
    assert str(fake) in text and "readable Parquet" in text
    assert not (tmp_path / "o.csv").exists()


def test_read_table_corrupt_parquet_raises_data_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"fake\.parquet"):
        read_table(str(fake))


# --- M11: check / test / eval dispatch on kind -------------------------------------------------


def test_check_understands_incentive_and_risk_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rules", "check", str(INCENTIVES), str(RISK), str(TIERING))
    assert code == 0, text
    assert f"{INCENTIVES}: ok" in text and f"{RISK}: ok" in text
    assert "0 error(s)" in text and "decision_table" not in text


def test_check_lists_every_incentive_problem_with_line_and_plan(tmp_path: Path) -> None:
    text = INCENTIVES.read_text()
    bad = tmp_path / "inc.yaml"
    assert "method: marginal" in text
    bad_text = text.replace("method: marginal", "method: sideways", 1)
    bad.write_text(bad_text)
    findings = check_file(bad)
    assert findings and all(f.severity == "error" for f in findings)
    first = findings[0]
    assert first.file == str(bad) and first.line is not None and first.rule_id
    assert "method" in first.message
    lines = bad_text.splitlines()
    assert "sideways" in lines[first.line - 1]


def test_check_reports_several_incentive_errors(tmp_path: Path) -> None:
    bad = tmp_path / "inc.yaml"
    bad.write_text(
        "kind: incentive_plans\n"
        "plans:\n"
        "  - id: p1\n"
        "    kind: commission\n"
        "    method: marginal\n"
        "    tiers: [{from: 0, rate: -1}]\n"
        "  - id: p2\n"
        "    kind: commission\n"
        "    method: marginal\n"
        "    tiers: [{from: 0, rate: 0.1}]\n"
        "    bogus: 1\n"
    )
    findings = check_file(bad)
    assert [(f.line, f.rule_id) for f in findings] == [(6, "p1"), (11, "p2")]


def test_check_incentive_conditions_and_examples(tmp_path: Path) -> None:
    bad = tmp_path / "inc.yaml"
    bad.write_text(
        "kind: incentive_plans\n"
        "plans:\n"
        "  - id: p1\n"
        "    kind: commission\n"
        "    tier_basis: volume\n"
        "    method: marginal\n"
        "    tiers: [{from: 0, rate: 0.1}]\n"
        "    spiffs:\n"
        "      - id: big\n"
        "        when: {amount: '>= x1'}\n"
        "        amount: 100\n"
        "      - id: new\n"
        "        when: {kind: '[1..'}\n"
        "        amount: 50\n"
        "tests:\n"
        "  - input: {plan: nope, revenue: 10}\n"
        "    expect: {payout: 1}\n"
    )
    findings = check_file(bad)
    assert [(f.code, f.line, f.rule_id) for f in findings] == [
        ("syntax", 10, "big"),
        ("syntax", 13, "new"),
        ("test", 16, None),
    ]
    assert "no plan 'nope'" in findings[2].message


def test_check_risk_errors_name_rule_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "risk.yaml"
    bad.write_text(
        "kind: risk_responses\n"
        "rules:\n"
        "  - id: r1\n"
        "    entity: partner\n"
        "    when: {credit_score: '< x'}\n"
        "    response: avoid\n"
        "  - id: r2\n"
        "    entity: partner\n"
        "    expression: 'capacity >'\n"
        "    response: accept\n"
    )
    findings = check_file(bad)
    assert [(f.code, f.line, f.rule_id) for f in findings] == [
        ("syntax", 5, "r1"),
        ("expression", 9, "r2"),
    ]
    wrong = tmp_path / "risk2.yaml"
    wrong.write_text(
        "kind: risk_responses\nrules:\n  - id: r1\n    entity: planet\n    response: avoid\n"
    )
    (finding,) = check_file(wrong)
    assert (finding.line, finding.rule_id) == (4, "r1") and "entity" in finding.message


def test_check_cli_exit_code_for_bad_risk_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "risk.yaml"
    bad.write_text(RISK.read_text().replace("    response: avoid", "    responze: avoid", 1))
    code, text = run(capsys, "rules", "check", str(bad))
    assert code == 1 and f"{bad}:" in text and "error[schema]" in text


def test_unknown_kind_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text("kind: tarot_cards\nid: x\n")
    (finding,) = check_file(odd)
    assert finding.line == 1 and "tarot_cards" in finding.message
    assert "incentive_plans" in finding.message
    code, text = run(capsys, "rules", "test", str(odd))
    assert code == 1 and "tarot_cards" in text and "odd.yaml:1" in text


@pytest.mark.parametrize(("path", "hint"), [(INCENTIVES, "salesnet payouts"), (RISK, "scenario")])
def test_eval_on_other_kinds_names_the_right_command(
    capsys: pytest.CaptureFixture[str], accounts: Path, tmp_path: Path, path: Path, hint: str
) -> None:
    out = tmp_path / "o.csv"
    code, text = run(capsys, "rules", "eval", str(path), "--data", str(accounts), "--out", str(out))
    assert code == 2
    assert hint in text and "not decision tables" in text
    assert "Input should be 'decision_table'" not in text
    assert not out.exists()


def test_test_command_runs_all_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(capsys, "rules", "test", str(TIERING), str(INCENTIVES), str(RISK))
    assert code == 0, text
    assert " 0 failed" in text


def test_check_incentive_gate_condition(tmp_path: Path) -> None:
    bad = tmp_path / "inc.yaml"
    bad.write_text(
        "kind: incentive_plans\n"
        "plans:\n"
        "  - id: p1\n"
        "    kind: commission\n"
        "    method: marginal\n"
        "    tiers: [{from: 0, rate: 0.1}]\n"
        "    gates:\n"
        "      - metric: new_logos\n"
        "        when: '>= lots'\n"
    )
    (finding,) = check_file(bad)
    assert (finding.code, finding.line, finding.rule_id) == ("syntax", 9, "p1")
