"""Payouts on actuals: draws over periods, clawbacks, splits, SPIFFs, MDF, explanation lines."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import DataError, RuleError
from engine.rules.commission import plan_payout
from engine.rules.incentives import IncentiveFile, TieredPlan, parse_incentives
from engine.rules.payout_explain import format_lines
from engine.rules.payouts import compute_payouts

FLAT = [{"from": 0, "rate": 0.10}]


def incentives(**fields: Any) -> IncentiveFile:
    body: dict[str, Any] = {"id": "p", "kind": "commission", "method": "marginal",
                            "tier_basis": "volume", "tiers": FLAT, **fields}  # fmt: skip
    return parse_incentives({"kind": "incentive_plans", "plans": [body]})


def deals(rows: list[tuple[Any, ...]], columns: str = "deal rep amount period") -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def paid(result: Any, payee: str = "A") -> list[float]:
    summary = result.summary
    return summary.loc[summary["payee"] == payee, "paid"].round(6).tolist()


THREE_PERIODS = deals([("d1", "A", 10_000, "2026-Q1"), ("d2", "A", 20_000, "2026-Q2"),
                       ("d3", "A", 60_000, "2026-Q3")])  # fmt: skip


def test_recoverable_draw_carries_the_deficit_over_three_periods() -> None:
    # 10 % flat, draw 3 000. Earned 1 000, 2 000, 6 000.
    # Q1: paid max(3 000, 1 000) = 3 000, owed 2 000
    # Q2: net 2 000 − 2 000 = 0 → paid 3 000, owed 3 000
    # Q3: net 6 000 − 3 000 = 3 000 → paid 3 000, owed 0. Total paid 9 000 = total earned.
    result = compute_payouts(
        incentives(draw={"type": "recoverable", "amount": 3000}), THREE_PERIODS
    )
    assert paid(result) == [3000, 3000, 3000]
    assert result.summary["balance"].tolist() == [2000, 3000, 0]
    assert result.summary["adjustment"].tolist() == [2000, 1000, -3000]


def test_non_recoverable_draw_forgives_the_deficit() -> None:
    # guarantee 3 000: paid 3 000, 3 000, 6 000 (nothing owed, nothing recovered) = 12 000.
    result = compute_payouts(
        incentives(draw={"type": "non_recoverable", "amount": 3000}), THREE_PERIODS
    )
    assert paid(result) == [3000, 3000, 6000]
    assert result.summary["balance"].tolist() == [0, 0, 0]


def test_draw_limited_to_the_first_periods_and_opening_balance() -> None:
    # draw only in Q1: Q1 paid 3 000 (owed 2 000); Q2 earned 2 000 all recovered → paid 0,
    # owed 0; Q3 6 000. An opening balance of 500 is recovered first.
    plan = incentives(draw={"type": "recoverable", "amount": 3000, "max_periods": 1})
    assert paid(compute_payouts(plan, THREE_PERIODS)) == [3000, 0, 6000]
    targets = pd.DataFrame({"id": ["A"], "opening_balance": [500.0]})
    result = compute_payouts(plan, THREE_PERIODS, targets=targets)
    # Q1: net 1 000 − 500 = 500 → paid 3 000, owed 2 500; Q2: net −500 → 0 paid, owed 500;
    # Q3: net 5 500 → paid 5 500.
    assert paid(result) == [3000, 0, 5500]


def test_clawback_reverses_commission_in_the_period_it_is_recorded() -> None:
    # Q1: d1 50 000 and d2 30 000 → 8 000. d2 cancelled 78 days later (in Q2, window 90):
    # Q2 earns 40 000 × 10 % = 4 000 and loses 30 000 × 10 % = 3 000 → 1 000.
    # d4 cancelled 120 days after closing is outside the window: no clawback.
    actuals = pd.DataFrame({
        "deal": ["d1", "d2", "d3", "d4"], "rep": ["A"] * 4,
        "amount": [50_000, 30_000, 40_000, 10_000],
        "date": ["2026-01-10", "2026-02-01", "2026-05-05", "2026-01-05"],
        "cancelled_on": [None, "2026-04-20", None, "2026-05-05"],
    })  # fmt: skip
    result = compute_payouts(incentives(clawback={"days": 90}), actuals)
    assert result.summary["period"].tolist() == ["2026-Q1", "2026-Q2"]
    assert paid(result) == [9000, 1000]
    assert result.summary["clawbacks"].tolist() == [0, 3000]
    line = result.lines[result.lines["step"] == "clawback"].iloc[0]
    assert (line["period"], line["amount"], line["base"]) == ("2026-Q2", -3000, 30_000)
    assert "d2" in line["note"] and "d4" not in line["note"]


@pytest.mark.parametrize(
    ("method", "reversed_", "paid_q3", "balance"),
    [
        # recompute: Q1 without the deal is 120 000 → 5 000 + 2 000 = 7 000, so it added 3 000.
        # Q2 earns −3 000 (paid 0, 3 000 carried); Q3 earns 2 500 → paid 0, 500 still owed.
        ("recompute", 3000, 0, [0, 3000, 500]),
        # average: the Q1 effective rate 10 000 / 150 000 = 6.667 % × 30 000 = 2 000; Q3 pays
        # 2 500 − 2 000 = 500.
        ("average", 2000, 500, [0, 2000, 0]),
    ],
)
def test_clawback_reverses_the_deals_commission_and_carries_a_deficit(
    method: str, reversed_: float, paid_q3: float, balance: list[float]
) -> None:
    # marginal 5 % to quota 100 000, 10 % above. Q1 150 000 → 5 000 + 5 000 = 10 000. A 30 000
    # deal of Q1 is cancelled in Q2 (Xactly: "the same rate originally paid" — here the 10 %
    # band it sits in; QuotaPath: recompute the quarter without it).
    actuals = pd.DataFrame({
        "deal": ["a", "b", "c"], "rep": ["A"] * 3, "amount": [120_000, 30_000, 50_000],
        "date": ["2026-01-15", "2026-02-15", "2026-08-01"],
        "cancelled_on": [None, "2026-04-01", None],
    })  # fmt: skip
    tiers = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.10}]
    plan = incentives(tier_basis="attainment", quota=100_000, tiers=tiers,
                      clawback={"days": 60, "method": method})  # fmt: skip
    result = compute_payouts(plan, actuals)
    assert result.summary["clawbacks"].tolist() == pytest.approx([0, reversed_, 0])
    assert paid(result) == pytest.approx([10_000, 0, paid_q3])
    assert result.summary["balance"].tolist() == pytest.approx(balance)


def test_split_deal_credits_each_rep_its_share() -> None:
    # deal x 100 000 split 60/40: A earns 6 000, B 4 000; a SPIFF of 500 per deal ≥ 100 000 is
    # split the same way (300 / 200).
    actuals = deals([("x", "A", 100_000, "Q1", 0.6), ("x", "B", 100_000, "Q1", 0.4)],
                    "deal rep amount period split")  # fmt: skip
    plan = incentives(spiffs=[{"id": "big", "when": {"amount": ">= 100000"}, "amount": 500}])
    result = compute_payouts(plan, actuals)
    assert paid(result, "A") == [6300] and paid(result, "B") == [4200]
    as_percent = actuals.rename(columns={"split": "split_pct"}).assign(split_pct=[60, 40])
    assert paid(compute_payouts(plan, as_percent), "B") == [4200]


@pytest.mark.parametrize("splits", [[0.6, 0.3], [0.6, 0.6], [1.2, -0.2]])
def test_splits_must_sum_to_one_hundred_percent(splits: list[float]) -> None:
    actuals = deals([("x", "A", 100, "Q1", splits[0]), ("x", "B", 100, "Q1", splits[1])],
                    "deal rep amount period split")  # fmt: skip
    with pytest.raises(DataError) as caught:
        compute_payouts(incentives(), actuals, actuals_file="deals.csv")
    issue = caught.value.issues[0]
    assert issue.file == "deals.csv" and issue.column == "split" and issue.row == 2


def test_spiffs_with_cap_and_periods() -> None:
    # three deals ≥ 50 000 in Q1 at 1 000 each, capped at 2 500; rate SPIFF only in Q2.
    actuals = deals([("a", "A", 60_000, "Q1"), ("b", "A", 70_000, "Q1"),
                     ("c", "A", 80_000, "Q1"), ("d", "A", 10_000, "Q2")])  # fmt: skip
    spiffs = [
        {"id": "big", "when": {"amount": ">= 50000"}, "amount": 1000, "max_per_period": 2500},
        {"id": "q2", "rate": 0.01, "periods": ["Q2"]},
    ]
    result = compute_payouts(incentives(spiffs=spiffs), actuals)
    assert result.summary["spiffs"].tolist() == [2500, 100]
    spiff_lines = result.lines[result.lines["step"] == "spiff"]
    assert spiff_lines["rule"].tolist() == ["big", "q2"]
    assert "capped" in spiff_lines.iloc[0]["note"]


def test_spiff_on_unknown_column_is_a_rule_error() -> None:
    plan = incentives(spiffs=[{"id": "s", "when": {"product": '"Cloud"'}, "amount": 1}])
    with pytest.raises(RuleError) as caught:
        compute_payouts(plan, THREE_PERIODS)
    assert caught.value.rule_id == "s" and "product" in caught.value.message


def test_quota_and_metric_gate_from_the_targets_table() -> None:
    # A: quota 50 000, 60 000 credited → 120 % → 5 000 + 10 000 × 10 % = 6 000; B fails the gate.
    tiers = [{"from": 0, "to": 1, "rate": 0.10}, {"from": 1, "rate": 0.10}]
    plan = incentives(tier_basis="attainment", tiers=tiers,
                      gates=[{"metric": "new_logos", "when": ">= 2"}])  # fmt: skip
    actuals = deals([("a", "A", 60_000, "Q1"), ("b", "B", 60_000, "Q1")])
    targets = pd.DataFrame({"id": ["A", "B"], "quota": [50_000, 50_000], "new_logos": [3, 1]})
    result = compute_payouts(plan, actuals, targets=targets)
    assert paid(result, "A") == [6000] and paid(result, "B") == [0]
    gate = result.lines[(result.lines["step"] == "gate") & (result.lines["payee"] == "B")]
    assert "not passed" in gate.iloc[0]["note"]
    with pytest.raises(DataError, match="positive quota"):
        compute_payouts(plan, actuals, targets=targets.assign(quota=[50_000, 0]))


def test_mdf_accrual_with_period_and_total_caps() -> None:
    # 2 % of purchases, 25 000 per quarter, 60 000 in total:
    # Q1 2 000 000 → 40 000 → 25 000; Q2 the same → 25 000 (50 000 so far);
    # Q3 1 000 000 → 20 000 → only 10 000 left under the total cap.
    mdf = parse_incentives(
        {
            "kind": "incentive_plans",
            "plans": [{"id": "m", "kind": "mdf", "rate": 0.02, "cap": 25_000, "total_cap": 60_000}],
        }
    )
    actuals = pd.DataFrame({"partner": ["P"] * 3, "amount": [2e6, 2e6, 1e6],
                            "period": ["Q1", "Q2", "Q3"]})  # fmt: skip
    result = compute_payouts(mdf, actuals)
    assert paid(result, "P") == [25_000, 25_000, 10_000]
    steps = result.lines.groupby("period")["step"].apply(list).to_dict()
    assert steps["Q1"] == ["credit", "accrual", "cap", "total"]
    assert steps["Q3"] == ["credit", "accrual", "total_cap", "total"]


def test_lines_add_up_to_the_payout_and_text_reads_well() -> None:
    plan = incentives(
        tier_basis="attainment",
        quota=20_000,
        threshold=0.5,
        payout_cap=2_500,
        tiers=[{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.2}],
        spiffs=[{"id": "s", "when": {"amount": ">= 30000"}, "amount": 100}],
        draw={"type": "recoverable", "amount": 1000},
    )
    result = compute_payouts(plan, THREE_PERIODS)
    lines = result.lines
    steps = lines[lines["step"] != "total"].groupby(["payee", "period"])["amount"].sum()
    totals = lines[lines["step"] == "total"].set_index(["payee", "period"])["amount"]
    assert np.allclose(steps.reindex(totals.index).to_numpy(), totals.to_numpy())
    assert np.allclose(totals.to_numpy(), result.summary["paid"].to_numpy())
    text = format_lines(lines)
    assert "tier t2" in text and "payout_cap" in text and "spiff s" in text and "draw" in text


def test_inputs_are_not_modified_and_results_are_deterministic() -> None:
    before = THREE_PERIODS.copy()
    plan = incentives(draw={"type": "recoverable", "amount": 3000})
    first = compute_payouts(plan, THREE_PERIODS)
    second = compute_payouts(plan, THREE_PERIODS.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(THREE_PERIODS, before)
    pd.testing.assert_frame_equal(first.summary, second.summary)
    pd.testing.assert_frame_equal(first.lines, second.lines)


def test_bad_actuals_are_data_errors() -> None:
    with pytest.raises(DataError, match="amount"):
        compute_payouts(incentives(), THREE_PERIODS.assign(amount=["x", 1, 2]))
    with pytest.raises(DataError, match="period or date"):
        compute_payouts(incentives(), THREE_PERIODS.drop(columns="period"))
    with pytest.raises(DataError, match="'rep'"):
        compute_payouts(incentives(), THREE_PERIODS.rename(columns={"rep": "seller"}))


def test_vectorised_payouts_scale_to_many_deals() -> None:
    rng = np.random.default_rng(7)
    size = 200_000
    actuals = pd.DataFrame({
        "deal": np.arange(size).astype(str), "rep": rng.integers(0, 2000, size).astype(str),
        "amount": rng.uniform(1_000, 50_000, size), "period": rng.choice(["Q1", "Q2"], size),
    })  # fmt: skip
    tiers = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.1}]
    spiffs = [{"id": "s", "when": {"amount": ">= 40000"}, "amount": 50}]
    plan = incentives(tier_basis="attainment", quota=1_000_000, tiers=tiers, spiffs=spiffs)
    result = compute_payouts(plan, actuals)
    assert len(result.summary) == 4000
    assert result.summary["revenue"].sum() == pytest.approx(actuals["amount"].sum())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ABC"), st.sampled_from(["Q1", "Q2", "Q3"]),
                  st.integers(-5, 40).map(lambda k: k * 5_000.0)),
        min_size=1, max_size=30,
    ),
    st.sampled_from(["marginal", "retroactive"]),
    st.sampled_from([None, {"type": "recoverable", "amount": 2000},
                     {"type": "non_recoverable", "amount": 2000}]),
)  # fmt: skip
def test_payouts_agree_with_the_per_payee_function_and_lines_add_up(
    rows: list[tuple[str, str, float]], method: str, draw: dict[str, Any] | None
) -> None:
    tiers = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.12}]
    plan_file = incentives(tier_basis="attainment", quota=100_000, tiers=tiers, method=method,
                           threshold=0.25, payout_cap=15_000, draw=draw)  # fmt: skip
    actuals = pd.DataFrame(rows, columns=["rep", "period", "amount"])
    result = compute_payouts(plan_file, actuals)
    tiered = plan_file.plans[0]
    assert isinstance(tiered, TieredPlan)
    first = actuals.groupby("rep")["period"].min()  # a payee's draw starts with its first deal
    for row in result.summary.itertuples():
        assert row.commission == pytest.approx(plan_payout(tiered, row.revenue), abs=0.005)
        if draw is not None:
            started = str(row.period) >= first[row.payee]
            assert row.paid >= draw["amount"] - 1e-9 if started else row.paid == 0
    lines = result.lines
    steps = lines[lines["step"] != "total"].groupby(["payee", "period"])["amount"].sum()
    totals = lines[lines["step"] == "total"].set_index(["payee", "period"])["amount"]
    assert np.allclose(steps.reindex(totals.index).to_numpy(), totals.to_numpy())
    # money is conserved: paid − earned over all periods = the balance still owed at the end
    for _, payee in result.summary.groupby("payee"):
        owed = payee["balance"].iloc[-1]
        if draw is None or draw["type"] == "recoverable":
            assert payee["paid"].sum() - payee["earned"].sum() == pytest.approx(owed, abs=1e-6)


def test_targets_keyed_by_id_add_idle_reps_but_not_to_partner_plans() -> None:
    # R2 sold nothing but is in reps.csv: it gets a row (and its draw) in the rep plan only.
    both = parse_incentives({"kind": "incentive_plans", "plans": [
        {"id": "reps", "kind": "commission", "method": "marginal", "tier_basis": "volume",
         "tiers": FLAT, "draw": {"type": "recoverable", "amount": 100}},
        {"id": "mdf", "kind": "mdf", "rate": 0.02},
    ]})  # fmt: skip
    actuals = pd.DataFrame({"rep": ["R1", None], "partner": [None, "P1"],
                            "amount": [1_000.0, 5_000.0], "period": ["Q1", "Q1"]})  # fmt: skip
    reps = pd.DataFrame({"id": ["R1", "R2"], "quota": [1.0, 1.0]})
    summary = compute_payouts(both, actuals, targets=reps).summary
    assert summary[["plan", "payee", "paid"]].values.tolist() == [
        ["reps", "R1", 100.0], ["reps", "R2", 100.0], ["mdf", "P1", 100.0],
    ]  # fmt: skip
