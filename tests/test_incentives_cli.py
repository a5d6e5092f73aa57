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
