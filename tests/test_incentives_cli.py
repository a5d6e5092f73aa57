"""``salesnet payouts`` end to end on small files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from engine.cli.payouts import payouts
from engine.errors import DataError

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    actuals = pd.DataFrame({
        "deal": ["d1", "d2", "d3", "d4", "p1"],
        "rep": ["007", "007", "R2", "R2", None],
        "partner": [None, None, None, None, "P1"],
        "amount": [150_000, 60_000, 30_000, 20_000, 1_200_000],
        "date": ["2027-01-10", "2027-02-10", "2027-01-20", "2027-04-02", "2027-01-31"],
    })  # fmt: skip
    reps = pd.DataFrame({"id": ["007", "R2"], "quota": [200_000, 200_000],
                         "plan": ["field_ae", "field_ae"]})  # fmt: skip
    paths = {"actuals": str(tmp_path / "deals.csv"), "reps": str(tmp_path / "reps.csv"),
             "out": str(tmp_path / "out" / "payouts.csv")}  # fmt: skip
    actuals.to_csv(paths["actuals"], index=False)
    reps.to_csv(paths["reps"], index=False)
    return paths


def test_payouts_command_writes_summary_and_lines(files: dict[str, str]) -> None:
    args = [str(RULES / "incentives.yaml"), "--actuals", files["actuals"], "--quotas",
            files["reps"], "--plan", "field_ae", "--period", "2027-Q1", "--out", files["out"],
            "--explain", "--payee", "007"]  # fmt: skip
    result = CliRunner().invoke(payouts, args)
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(files["out"], dtype={"payee": str})
    # rep 007: 210 000 on a 200 000 quota = 105 %: 200 000 × 5 % + 10 000 × 10 % = 11 000, plus
    # one big-deal SPIFF (150 000 ≥ 100 000) of 750 → 11 750.
    row = summary.set_index("payee").loc["007"]
    assert (row["commission"], row["spiffs"], row["paid"]) == (11_000, 750, 11_750)
    # R2: 15 % attainment, below the 50 % threshold → the 3 000 recoverable draw
    assert summary.set_index("payee").loc["R2", "paid"] == 3_000
    assert set(summary["period"]) == {"2027-Q1"}
    lines = pd.read_csv(files["out"].replace(".csv", ".lines.csv"))
    assert {"tier", "spiff", "gate", "draw", "total"} <= set(lines["step"])
    assert "field_ae · 007 · 2027-Q1" in result.output
    assert "R2" not in result.output.split("wrote")[0]


def test_bad_input_raises_the_package_error(files: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("deal,rep,amount,date\nd1,R1,lots,2027-01-01\n", encoding="utf-8")
    args = [str(RULES / "incentives.yaml"), "--actuals", str(broken), "--plan", "field_ae",
            "--out", files["out"]]  # fmt: skip
    result = CliRunner().invoke(payouts, args)
    assert isinstance(result.exception, DataError)
    assert "row 2" in str(result.exception) and "'amount'" in str(result.exception)
    assert not Path(files["out"]).exists()


DEMO = Path(__file__).resolve().parents[1] / "engine" / "demo" / "data" / "midwest"


def test_the_readme_payouts_command_runs_on_the_demo(tmp_path: Path) -> None:
    # every shipped plan, including the partner plans nobody in the demo actuals is paid by
    out = tmp_path / "payouts.csv"
    args = [str(RULES / "incentives.yaml"), "--actuals", str(DEMO / "actuals.csv"),
            "--quotas", str(DEMO / "reps.csv"), "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(payouts, args)
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out)
    assert {"field_ae", "inside_sales"} <= set(summary["plan"])
    assert (summary["paid"] >= 0).all()


@pytest.mark.parametrize("clash", ["lines", "actuals"])
def test_outputs_never_overwrite_each_other_or_an_input(files: dict[str, str], clash: str) -> None:
    target = files["out"] if clash == "lines" else files["actuals"]
    args = [str(RULES / "incentives.yaml"), "--actuals", files["actuals"], "--quotas",
            files["reps"], "--plan", "field_ae", "--out", files["out"],
            "--lines", target]  # fmt: skip
    if clash == "actuals":
        args[args.index("--out") + 1] = files["actuals"]
        args = args[:-2]
    before = Path(files["actuals"]).read_bytes()
    result = CliRunner().invoke(payouts, args)
    assert result.exit_code == 2
    assert ("same file" if clash == "lines" else "would overwrite the input") in result.output
    assert Path(files["actuals"]).read_bytes() == before


def test_a_period_not_in_the_actuals_is_refused_but_a_later_one_is_not(
    files: dict[str, str],
) -> None:
    base = [str(RULES / "incentives.yaml"), "--actuals", files["actuals"], "--quotas",
            files["reps"], "--plan", "field_ae", "--out", files["out"]]  # fmt: skip
    for typo in ("2027-q1", "2099-Q9", "Q1"):
        with pytest.raises(DataError, match=r"--period: got .* a period of the actuals in "):
            CliRunner().invoke(payouts, [*base, "--period", typo], catch_exceptions=False)
    later = CliRunner().invoke(payouts, [*base, "--period", "2027-Q3"])
    assert later.exit_code == 0, later.output
    summary = pd.read_csv(files["out"], dtype={"payee": str})
    # Q3 has no deals; R2's recoverable draw (max 2 periods from its first, Q1) has ended, and
    # the balance it owes carries: nothing is paid
    assert set(summary["period"]) == {"2027-Q3"} and (summary["paid"] == 0).all()


def test_absurd_amounts_are_refused_with_their_row(files: dict[str, str], tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("deal,rep,amount,date\nd1,R1,1e308,2027-01-01\n", encoding="utf-8")
    args = [str(RULES / "incentives.yaml"), "--actuals", str(big), "--plan", "field_ae",
            "--out", files["out"]]  # fmt: skip
    with pytest.raises(DataError, match="row 2, column 'amount'"):
        CliRunner().invoke(payouts, args, catch_exceptions=False)


def test_missing_quotas_are_one_problem_naming_the_payees(files: dict[str, str]) -> None:
    args = [str(RULES / "incentives.yaml"), "--actuals", files["actuals"], "--plan", "field_ae",
            "--out", files["out"]]  # fmt: skip
    with pytest.raises(DataError) as caught:
        CliRunner().invoke(payouts, args, catch_exceptions=False)
    (issue,) = caught.value.issues
    assert issue.column == "quota" and "'007', 'R2'" in issue.expected


def test_an_unwritable_output_is_named_not_its_temporary_file(tmp_path: Path) -> None:
    from engine.atomic import write_text_atomic

    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(OSError) as caught:
        write_text_atomic(target, "text")
    assert caught.value.filename == str(target)


def test_an_unknown_payee_is_an_error_not_silence(files: dict[str, str]) -> None:
    args = [str(RULES / "incentives.yaml"), "--actuals", files["actuals"], "--quotas",
            files["reps"], "--out", files["out"], "--explain", "--payee", "R9"]  # fmt: skip
    result = CliRunner().invoke(payouts, args)
    assert result.exit_code == 2
    assert "no lines for 'R9' (payees: 007, R2" in result.output
    assert not Path(files["out"]).exists()


def test_explanations_never_show_minus_zero() -> None:
    from engine.rules.payout_explain import _money

    assert [_money(v) for v in (-0.001, -0.0, -1.5, 1234.567)] == [
        "0.00",
        "0.00",
        "-1.50",
        "1,234.57",
    ]
