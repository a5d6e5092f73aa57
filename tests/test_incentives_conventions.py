"""Commission conventions from published worked examples: exact boundaries reached by sums of
cents, half-up rounding to cents, quarter- and year-to-date accumulation, draws that start with
the payee, and the shipped plans on those edge cases."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.errors import DataError, RuleError
from engine.rules.commission import plan_payout
from engine.rules.incentive_curve import incentive_curve
from engine.rules.incentives import IncentiveFile, TieredPlan, load_incentives, parse_incentives
from engine.rules.payouts import _money, compute_payouts

SHIPPED = Path(__file__).resolve().parents[1] / "rules" / "incentives.yaml"


def plans(money_decimals: int | None = 2, **fields: Any) -> IncentiveFile:
    body: dict[str, Any] = {"id": "p", "kind": "commission", "method": "marginal",
                            "tier_basis": "volume", "tiers": [{"from": 0, "rate": 0.1}],
                            **fields}  # fmt: skip
    return parse_incentives(
        {"kind": "incentive_plans", "money_decimals": money_decimals, "plans": [body]}
    )


def summary_of(result: Any, column: str, payee: str = "A") -> list[float]:
    table = result.summary
    return table.loc[table["payee"] == payee, column].tolist()


# --- exact boundaries ---------------------------------------------------------------------------


def test_three_invoices_adding_up_to_a_boundary_reach_the_tier_starting_there() -> None:
    # Oracle "Equal Tier Values": an amount equal to the To of one tier and the From of the next
    # uses the higher tier. 29 465.07 + 573 948.07 + 396 586.86 = 1 000 000.00 (in decimal; the
    # binary sum is 999 999.9999999999): gold, 3 % of all purchases.
    shipped = load_incentives(SHIPPED)
    actuals = pd.DataFrame({"partner": ["P"] * 3, "period": ["2027-Q1"] * 3,
                            "amount": [29_465.07, 573_948.07, 396_586.86]})  # fmt: skip
    result = compute_payouts(shipped, actuals, plans=["distributor_volume_rebate"])
    assert summary_of(result, "tier", "P") == ["gold"]
    assert summary_of(result, "paid", "P") == [30_000.0]


def test_a_threshold_met_exactly_by_a_sum_of_deals_pays() -> None:
    # field_ae: threshold 50 % of a 200 000 quota; three deals add up to exactly 100 000.
    shipped = load_incentives(SHIPPED)
    actuals = pd.DataFrame({"rep": ["A"] * 3, "period": ["2027-Q1"] * 3,
                            "amount": [40_766.49, 53_489.22, 5_744.29]})  # fmt: skip
    targets = pd.DataFrame({"id": ["A"], "quota": [200_000.0]})
    result = compute_payouts(shipped, actuals, targets=targets, plans=["field_ae"])
    assert summary_of(result, "commission") == [5_000.0]


@pytest.mark.parametrize("quota", [513_836.0, 100.0, 7.0, 123_457.0])
def test_an_attainment_ratio_on_a_boundary_is_on_it(quota: float) -> None:
    # 411 068.80 / 513 836 = 0.7999999999999999 in binary; exactly 80 % in decimal.
    revenue = round(0.8 * quota, 2)
    tiers = [{"id": "low", "from": 0, "to": 0.8, "rate": 0.01},
             {"id": "high", "from": 0.8, "rate": 0.02}]  # fmt: skip
    plan = plans(tier_basis="attainment", method="retroactive", tiers=tiers).plans[0]
    assert isinstance(plan, TieredPlan)
    assert plan_payout(plan, revenue, quota=quota) == pytest.approx(0.02 * revenue)


@pytest.mark.parametrize(
    ("revenue", "baseline"), [(575_000, 500_000), (115, 100), (230_000, 200_000)]
)
def test_growth_of_exactly_fifteen_percent_reaches_the_fifteen_percent_tier(
    revenue: float, baseline: float
) -> None:
    # 575 000 / 500 000 − 1 = 0.1499999999999999 in binary.
    tiers = [{"from": 0.05, "to": 0.15, "rate": 0.02}, {"from": 0.15, "rate": 0.04}]
    plan = plans(tier_basis="growth", method="retroactive", tiers=tiers, threshold=0.15).plans[0]
    assert isinstance(plan, TieredPlan)
    assert plan_payout(plan, revenue, baseline=baseline) == pytest.approx(0.04 * revenue)


def test_a_measure_clearly_below_a_boundary_stays_below() -> None:
    tiers = [{"from": 0, "to": 1, "rate": 0.01}, {"from": 1, "rate": 0.02}]
    plan = plans(tier_basis="attainment", method="retroactive", tiers=tiers).plans[0]
    assert isinstance(plan, TieredPlan)
    assert plan_payout(plan, 99_999.99, quota=100_000) == pytest.approx(999.9999)


# --- rounding -----------------------------------------------------------------------------------


def test_amounts_round_half_up_to_cents_per_line() -> None:
    # 10 % of 9 050.05 = 905.005 (stored as 905.00499…): commercial rounding gives 905.01.
    actuals = pd.DataFrame({"rep": ["A"], "period": ["Q1"], "amount": [9_050.05]})
    result = compute_payouts(plans(), actuals)
    assert summary_of(result, "commission") == [905.01]
    assert summary_of(result, "paid") == [905.01]
    lines = result.lines
    rounding = lines[lines["step"] == "rounding"]["amount"].tolist()
    assert rounding == pytest.approx([0.005])
    steps = lines[lines["step"] != "total"]["amount"].sum()
    assert steps == pytest.approx(lines[lines["step"] == "total"]["amount"].iloc[0])
    exact = compute_payouts(plans(money_decimals=None), actuals)
    assert summary_of(exact, "commission") == [pytest.approx(905.005)]


def test_money_rounds_half_away_from_zero_as_written() -> None:
    values = np.array([905.005, -905.005, 0.125, -0.125, 2.675, 1.004999, -0.001, 0.0])
    assert _money(values, 2).tolist() == [905.01, -905.01, 0.13, -0.13, 2.68, 1.0, 0.0, 0.0]
    assert _money(values, None) is values
    assert _money(np.array([12.5, 13.5]), 0).tolist() == [13.0, 14.0]


def test_sums_of_rounded_lines_carry_no_binary_noise() -> None:
    # 0.1 + 0.2-style noise: three SPIFFs of 733.33 and a commission of 0.01.
    actuals = pd.DataFrame({"rep": ["A"] * 3, "period": ["Q1"] * 3, "amount": [0.03, 0.03, 0.04]})
    spiffs = [{"id": "s", "when": {"amount": "> 0"}, "amount": 733.33}]
    result = compute_payouts(plans(spiffs=spiffs), actuals)
    assert summary_of(result, "paid") == [2_199.99 + 0.01]
    assert repr(summary_of(result, "paid")[0]) == "2200.0"


# --- accumulation -------------------------------------------------------------------------------


def test_quarter_to_date_tiers_pay_the_increment_each_month() -> None:
    # Salesforce Spiff (mamount, Trailhead): 4 % up to 150 000 of quarterly bookings, 6 % above.
    # January 145 000 → 5 800. February 20 000: 5 000 at 4 % and 15 000 at 6 % = 1 100.
    # March (no deals) pays nothing; April starts a new quarter: 10 000 at 4 % = 400.
    tiers = [{"from": 0, "to": 150_000, "rate": 0.04}, {"from": 150_000, "rate": 0.06}]
    actuals = pd.DataFrame({"rep": ["A"] * 3, "period": ["2027-01", "2027-02", "2027-04"],
                            "amount": [145_000, 20_000, 10_000]})  # fmt: skip
    result = compute_payouts(plans(tiers=tiers, accumulate="quarter"), actuals)
    assert summary_of(result, "period") == ["2027-01", "2027-02", "2027-03", "2027-04"]
    assert summary_of(result, "commission") == [5_800.0, 1_100.0, 0.0, 400.0]
    assert summary_of(result, "measure") == [145_000, 165_000, 165_000, 10_000]
    per_month = compute_payouts(plans(tiers=tiers), actuals)
    assert summary_of(per_month, "commission") == [5_800.0, 800.0, 0.0, 400.0]
    lines = result.lines
    february = lines[lines["period"] == "2027-02"]
    assert february.loc[february["step"] == "earlier", "amount"].tolist() == [-5_800.0]
    assert february[february["step"] != "total"]["amount"].sum() == pytest.approx(1_100.0)


def test_year_to_date_attainment_against_the_quota_to_date() -> None:
    # quarterly quotas of 100 000; 5 % to 100 % of the quota to date, 10 % above; threshold
    # 50 %. Q1 40 000 (40 %): nothing. Q2 90 000 → 130 000 of 200 000 (65 %): 6 500 to date.
    # Q3 170 000 → 300 000 of 300 000 (100 %): 15 000 to date, 8 500 this quarter.
    tiers = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.10}]
    plan = plans(tier_basis="attainment", tiers=tiers, threshold=0.5, accumulate="year")
    actuals = pd.DataFrame({"rep": ["A"] * 3, "period": ["2027-Q1", "2027-Q2", "2027-Q3"],
                            "amount": [40_000, 90_000, 170_000]})  # fmt: skip
    targets = pd.DataFrame({"id": ["A"] * 3, "period": ["2027-Q1", "2027-Q2", "2027-Q3"],
                            "quota": [100_000.0] * 3})  # fmt: skip
    result = compute_payouts(plan, actuals, targets=targets)
    assert summary_of(result, "commission") == [0.0, 6_500.0, 8_500.0]
    assert summary_of(result, "measure") == pytest.approx([0.4, 0.65, 1.0])
    assert summary_of(result, "tier")[-1] == "t2"  # exactly 100 % of the quota to date


def test_an_annual_quota_given_once_is_the_windows_quota() -> None:
    tiers = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.10}]
    plan = plans(tier_basis="attainment", tiers=tiers, accumulate="year")
    actuals = pd.DataFrame({"rep": ["A"] * 2, "period": ["2027-Q1", "2027-Q2"],
                            "amount": [300_000, 200_000]})  # fmt: skip
    targets = pd.DataFrame({"id": ["A"], "quota": [400_000.0]})
    result = compute_payouts(plan, actuals, targets=targets)
    # 300 000 → 15 000; 500 000 of 400 000 → 20 000 + 10 000 = 30 000 to date, 15 000 in Q2.
    assert summary_of(result, "commission") == [15_000.0, 15_000.0]


def test_accumulating_needs_period_labels_it_can_read() -> None:
    actuals = pd.DataFrame({"rep": ["A"], "period": ["spring"], "amount": [1.0]})
    with pytest.raises(Exception, match="2027-Q1"):
        compute_payouts(plans(accumulate="year"), actuals)
    yearly = pd.DataFrame({"rep": ["A"], "period": ["2027"], "amount": [1.0]})
    with pytest.raises(Exception, match="accumulate: quarter"):
        compute_payouts(plans(accumulate="quarter"), yearly)


def test_accumulated_lines_add_up_and_money_is_conserved() -> None:
    rng = np.random.default_rng(3)
    months = [f"2027-{m:02d}" for m in range(1, 13)]
    actuals = pd.DataFrame({"rep": rng.choice(["A", "B", "C"], 300),
                            "period": rng.choice(months, 300),
                            "amount": rng.uniform(-2_000, 30_000, 300).round(2)})  # fmt: skip
    tiers = [{"from": 0, "to": 1, "rate": 0.04}, {"from": 1, "to": 1.5, "rate": 0.08},
             {"from": 1.5, "rate": 0.02}]  # fmt: skip
    plan = plans(tier_basis="attainment", quota=400_000, tiers=tiers, threshold=0.3,
                 payout_cap=20_000, accumulate="quarter",
                 draw={"type": "recoverable", "amount": 1_500})  # fmt: skip
    result = compute_payouts(plan, actuals)
    lines = result.lines
    steps = lines[lines["step"] != "total"].groupby(["payee", "period"])["amount"].sum()
    totals = lines[lines["step"] == "total"].set_index(["payee", "period"])["amount"]
    assert np.allclose(steps.reindex(totals.index).to_numpy(), totals.to_numpy())
    table = result.summary
    table["quarter"] = table["period"].str[5:7].astype(int).sub(1) // 3
    for (_, _), block in table.groupby(["payee", "quarter"]):
        to_date = plan_payout(plan.plans[0], block["revenue"].sum())  # type: ignore[arg-type]
        assert block["commission"].sum() == pytest.approx(to_date, abs=0.01)
    for _, payee in table.groupby("payee"):
        owed = payee["balance"].iloc[-1]
        assert payee["paid"].sum() - payee["earned"].sum() == pytest.approx(owed, abs=1e-6)


# --- draws --------------------------------------------------------------------------------------


def test_a_draw_starts_with_the_payees_first_period() -> None:
    # A sells from Q1, B (hired in Q3) from Q3; a 2-period draw of 3 000: A in Q1–Q2, B in Q3–Q4.
    draw = {"type": "recoverable", "amount": 3_000, "max_periods": 2}
    actuals = pd.DataFrame({"rep": ["A", "B", "A"], "period": ["2027-Q1", "2027-Q3", "2027-Q4"],
                            "amount": [1_000, 1_000, 1_000]})  # fmt: skip
    result = compute_payouts(plans(draw=draw), actuals)
    assert summary_of(result, "paid", "A") == [3_000, 3_000, 0, 0]
    assert summary_of(result, "paid", "B") == [0, 0, 3_000, 3_000]
    # a start_period in the targets wins: B was hired in Q2, before its first deal
    targets = pd.DataFrame({"id": ["A", "B"], "start_period": [None, "2027-Q2"]})
    hired = compute_payouts(plans(draw=draw), actuals, targets=targets)
    assert summary_of(hired, "paid", "B") == [0, 3_000, 3_000, 0]
    # an end_period stops it: A, on an unlimited draw, left after Q2 (its Q4 deal still pays)
    unlimited = {"type": "non_recoverable", "amount": 3_000}
    left = pd.DataFrame({"id": ["A"], "end_period": ["2027-Q2"]})
    ended = compute_payouts(plans(draw=unlimited), actuals, targets=left)
    assert summary_of(ended, "paid", "A") == [3_000, 3_000, 0, 100]


# --- the shipped plans --------------------------------------------------------------------------


def test_shipped_inside_sales_pays_the_target_incentive_at_quota() -> None:
    shipped = load_incentives(SHIPPED)
    plan = shipped.plan("inside_sales")
    assert isinstance(plan, TieredPlan)
    at_quota = plan_payout(plan, 513_836.0, quota=513_836.0)
    assert at_quota == pytest.approx(plan.target_incentive)
    payouts = [plan_payout(plan, q * 1_000.0, quota=100_000.0) for q in range(0, 200)]
    assert all(b >= a for a, b in itertools.pairwise(payouts))  # no cliff


# --- tier bonuses (milestones, step payouts) ---------------------------------------------------


def test_a_step_table_pays_the_reached_tiers_amount() -> None:
    # Pricefx "Single Target Amount": target 100 000, 1 000 for reaching it; 90 000 pays 0.
    tiers = [{"id": "below", "from": 0, "to": 100_000, "bonus": 0},
             {"id": "target", "from": 100_000, "to": 150_000, "bonus": 1_000},
             {"id": "stretch", "from": 150_000, "bonus": 2_500}]  # fmt: skip
    plan = plans(method="retroactive", tiers=tiers).plans[0]
    assert isinstance(plan, TieredPlan)
    assert [plan_payout(plan, r) for r in (90_000, 100_000, 110_000, 160_000)] == [
        0,
        1_000,
        1_000,
        2_500,
    ]


def test_milestone_bonuses_add_up_on_a_marginal_plan_and_explain_themselves() -> None:
    # 5 % on everything, plus 1 000 at quota and another 500 at 120 % (QuotaPath milestones)
    tiers = [{"from": 0, "to": 1.0, "rate": 0.05},
             {"from": 1.0, "to": 1.2, "rate": 0.05, "bonus": 1_000},
             {"from": 1.2, "rate": 0.05, "bonus": 500}]  # fmt: skip
    incentives = plans(tier_basis="attainment", quota=100_000, tiers=tiers, payout_cap=7_000)
    actuals = pd.DataFrame({"rep": ["A", "A", "A"], "period": ["Q1", "Q2", "Q3"],
                            "amount": [99_000, 125_000, 200_000]})  # fmt: skip
    result = compute_payouts(incentives, actuals)
    # 4 950; 6 250 + 1 000 + 500 = 7 750 capped at 7 000; 10 000 + 1 500 capped at 7 000
    assert summary_of(result, "commission") == [4_950.0, 7_000.0, 7_000.0]
    lines = result.lines
    bonus = lines[(lines["step"] == "bonus") & (lines["period"] == "Q2")]
    assert bonus["amount"].tolist() == [1_000.0, 500.0]
    steps = lines[lines["step"] != "total"].groupby("period")["amount"].sum()
    assert steps.tolist() == pytest.approx(summary_of(result, "paid"))


def test_a_tier_needs_a_rate_a_multiplier_or_a_bonus() -> None:
    with pytest.raises(RuleError, match="give 'rate', 'multiplier' or 'bonus'"):
        plans(tiers=[{"from": 0}])


def test_a_spiff_paid_per_unit_sold() -> None:
    # Prowi: 1 000 per unit of the new product sold; a split deal pays each rep its share
    spiffs = [{"id": "launch", "when": {"product": "new"}, "amount": 1_000, "per": "units"}]
    actuals = pd.DataFrame({"deal": ["d1", "d2", "d2"], "rep": ["A", "A", "B"],
                            "period": ["Q1"] * 3, "amount": [10_000, 20_000, 20_000],
                            "split": [1.0, 0.5, 0.5], "product": ["new", "new", "new"],
                            "units": [3, 4, 4]})  # fmt: skip
    result = compute_payouts(plans(spiffs=spiffs), actuals)
    assert summary_of(result, "spiffs") == [3_000 + 2_000]
    assert summary_of(result, "spiffs", "B") == [2_000]
    with pytest.raises(DataError, match="row 3, column 'units'"):
        compute_payouts(plans(spiffs=spiffs), actuals.assign(units=[3, -1, 4]))


def test_tiers_written_with_closed_bounds_get_a_hint() -> None:
    # NetSuite-style "$1 – $100 / $101 – $350" is [1, 101), [101, 351) here
    tiers = [{"from": 0, "to": 100, "rate": 0.1}, {"from": 101, "rate": 0.2}]
    with pytest.raises(RuleError, match="is 'to: 101' here"):
        plans(tiers=tiers)


def test_a_cap_as_a_multiple_of_each_payees_target_incentive() -> None:
    # SCP-014: commission capped at 200 % of target incentive. A's TI 10 000, B's 20 000; both
    # earn 50 % of 600 000 = 300 000 of commission, capped at 20 000 and 40 000.
    tiers = [{"from": 0, "rate": 0.5}]
    plan = plans(tier_basis="volume", tiers=tiers, payout_cap_target=2.0, target_incentive=1.0)
    actuals = pd.DataFrame({"rep": ["A", "B"], "period": ["Q1", "Q1"], "amount": [600_000] * 2})
    targets = pd.DataFrame({"id": ["A", "B"], "target_incentive": [10_000.0, 20_000.0]})
    result = compute_payouts(plan, actuals, targets=targets)
    assert summary_of(result, "commission") + summary_of(result, "commission", "B") == [
        20_000.0,
        40_000.0,
    ]
    cap = result.lines[result.lines["step"] == "payout_cap"]
    assert "capped at 40,000.00" in cap["note"].iloc[1]
    curve = incentive_curve(plan.plans[0], target_incentive=10_000.0)  # type: ignore[arg-type]
    assert curve.cost([10_000, 40_000, 100_000]).tolist() == [5_000, 20_000, 20_000]


def test_a_growth_rebate_paid_on_the_growth_only() -> None:
    # Vendavo: growth rebates are "paid on incremental volume": 600 000 on a 500 000 baseline is
    # 20 % growth, tier 4 % from 15 %: 4 % × 100 000 = 4 000 (on all purchases: 24 000)
    tiers = [{"from": 0.05, "to": 0.15, "rate": 0.02}, {"from": 0.15, "rate": 0.04}]
    on_growth = plans(tier_basis="growth", method="retroactive", tiers=tiers, pay_on="growth")
    on_total = plans(tier_basis="growth", method="retroactive", tiers=tiers)
    for incentives, expected in ((on_growth, 4_000), (on_total, 24_000)):
        plan = incentives.plans[0]
        assert isinstance(plan, TieredPlan)
        assert plan_payout(plan, 600_000, baseline=500_000) == pytest.approx(expected)
    with pytest.raises(RuleError, match="pay_on growth needs tier_basis growth"):
        plans(pay_on="growth")


def test_retroactive_up_to_a_tier_marginal_above_it() -> None:
    # QuotaPath (accelerators and decelerators): half the base rate (5 %) below 50 % of quota; at
    # 50 % the full 10 % applies retroactively to all deals; above quota the accelerator (20 %)
    # on new deals only. Quota 33 000: 40 % → 660; 60 % → 1 980; 120 % → 3 300 + 1 320 = 4 620.
    tiers = [{"from": 0, "to": 0.5, "rate": 0.05},
             {"from": 0.5, "to": 1.0, "rate": 0.10, "retroactive": True},
             {"from": 1.0, "rate": 0.20}]  # fmt: skip
    incentives = plans(tier_basis="attainment", quota=33_000, tiers=tiers)
    plan = incentives.plans[0]
    assert isinstance(plan, TieredPlan)
    payouts = [plan_payout(plan, q * 33_000) for q in (0.4, 0.6, 1.2)]
    assert payouts == pytest.approx([660, 1_980, 4_620])
    actuals = pd.DataFrame({"rep": ["A"], "period": ["Q1"], "amount": [1.2 * 33_000]})
    lines = compute_payouts(incentives, actuals).lines
    tier = lines[lines["step"] == "tier"]
    assert tier["rate"].tolist() == [0.10, 0.10, 0.20]  # the first band at the reached 10 %
    assert (tier["base"] * tier["rate"]).tolist() == pytest.approx(tier["amount"].tolist())
    assert "retroactive tier reached" in tier["note"].iloc[0]
    with pytest.raises(RuleError, match="for marginal plans"):
        plans(method="retroactive", tiers=[{"from": 0, "rate": 0.1, "retroactive": True}])


def test_tiers_applied_to_each_deal_on_its_own() -> None:
    # Oracle "transactions processed individually": 1 % to 1 000, 2 % above, marginal. Deals of
    # 800, 1 500 and 3 000: 8 + (10 + 10) + (10 + 40) = 78; on the total 5 300 it would be 96.
    tiers = [{"from": 0, "to": 1_000, "rate": 0.01}, {"from": 1_000, "rate": 0.02}]
    actuals = pd.DataFrame({"deal": ["a", "b", "c", "d"], "rep": ["A", "A", "A", "B"],
                            "period": ["Q1"] * 4, "amount": [800, 1_500, 3_000, 500]})  # fmt: skip
    per_deal = compute_payouts(plans(tiers=tiers, tiers_per="deal"), actuals)
    assert summary_of(per_deal, "commission") == [78.0]
    assert summary_of(compute_payouts(plans(tiers=tiers), actuals), "commission") == [96.0]
    lines = per_deal.lines
    a_lines = lines[lines["payee"] == "A"]
    assert a_lines[a_lines["step"] != "total"]["amount"].sum() == pytest.approx(78.0)
    # a threshold applies to each deal; the payout cap to the period
    gated = plans(tiers=tiers, tiers_per="deal", threshold=1_000, payout_cap=60)
    assert summary_of(compute_payouts(gated, actuals), "commission") == [60.0]  # 20 + 50 → 60
    assert summary_of(compute_payouts(gated, actuals), "commission", "B") == [0.0]
    with pytest.raises(RuleError, match="no cost curve"):
        incentive_curve(plans(tiers=tiers, tiers_per="deal").plans[0])  # type: ignore[arg-type]
    with pytest.raises(RuleError, match="tiers_per deal goes with"):
        plans(tiers=tiers, tiers_per="deal", accumulate="year")


def test_oracle_step_rates_processed_individually() -> None:
    # docs.oracle.com "Examples of Calculating Earnings Using Step Rates": six transactions, each
    # split over 1 % / 2 % / 3 % / 5 % steps on its own: 164 (the period total would give 285)
    steps = [(0, 1_000, 0.01), (1_000, 3_000, 0.02), (3_000, 8_000, 0.03), (8_000, 20_000, 0.05)]
    tiers = [{"from": low, "to": high, "rate": rate} for low, high, rate in steps]
    actuals = pd.DataFrame({"rep": "R", "period": "2015-Q1",
                            "amount": [200, 300, 1_500, 1_200, 2_000, 4_500]})  # fmt: skip
    per_deal = compute_payouts(plans(tiers=tiers, tiers_per="deal"), actuals)
    assert summary_of(per_deal, "commission", "R") == [164.0]
    assert summary_of(compute_payouts(plans(tiers=tiers), actuals), "commission", "R") == [285.0]
