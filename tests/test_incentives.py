"""Incentive plan semantics on numbers worked by hand (each case says how)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import RuleError
from engine.rules.commission import plan_payout, tiered_commission
from engine.rules.embedded_tests import run_incentive_tests
from engine.rules.incentives import TieredPlan, load_incentives, parse_incentives_text

RULES = Path(__file__).resolve().parents[1] / "rules"

TWO_TIERS = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "rate": 0.10}]


def plan(**fields: Any) -> TieredPlan:
    base: dict[str, Any] = {"kind": "commission", "id": "p", "method": "marginal",
                            "quota": 100_000, "tiers": TWO_TIERS}  # fmt: skip
    return TieredPlan.model_validate({**base, **fields})


def test_marginal_versus_retroactive_on_the_same_attainment() -> None:
    # 120 % of a 100 000 quota.
    # marginal: 100 000 × 5 % + 20 000 × 10 % = 5 000 + 2 000 = 7 000
    # retroactive: the 10 % tier is reached, so 120 000 × 10 % = 12 000
    assert plan_payout(plan(method="marginal"), 120_000) == pytest.approx(7_000)
    assert plan_payout(plan(method="retroactive"), 120_000) == pytest.approx(12_000)
    # below quota both agree: 80 000 × 5 % = 4 000
    assert plan_payout(plan(method="marginal"), 80_000) == pytest.approx(4_000)
    assert plan_payout(plan(method="retroactive"), 80_000) == pytest.approx(4_000)


def test_exact_boundary_belongs_to_the_tier_starting_there_by_default() -> None:
    # exactly 100 %: lower_inclusive puts it in [100 %, ∞) → retroactive 100 000 × 10 % = 10 000;
    # upper_inclusive puts it in [0, 100 %] → 100 000 × 5 % = 5 000. Marginal is 5 000 either way.
    retro = tiered_commission(plan(method="retroactive"), [100_000])
    assert retro.commission[0] == pytest.approx(10_000)
    assert retro.tier_index[0] == 1
    upper = tiered_commission(plan(method="retroactive", boundary="upper_inclusive"), [100_000])
    assert upper.commission[0] == pytest.approx(5_000)
    assert upper.tier_index[0] == 0
    assert plan_payout(plan(), 100_000) == pytest.approx(5_000)
    assert plan_payout(plan(boundary="upper_inclusive"), 100_000) == pytest.approx(5_000)


def test_threshold_gate_follows_the_boundary_convention() -> None:
    # threshold 50 %: 49 999 pays nothing; exactly 50 000 pays 50 000 × 5 % = 2 500 (from zero);
    # under upper_inclusive exactly 50 % is still below the gate.
    gated = plan(threshold=0.5)
    assert plan_payout(gated, 49_999) == 0.0
    assert plan_payout(gated, 50_000) == pytest.approx(2_500)
    assert plan_payout(plan(threshold=0.5, boundary="upper_inclusive"), 50_000) == 0.0
    assert plan_payout(gated, 60_000) == pytest.approx(3_000)


def test_metric_gate_blocks_everything() -> None:
    assert plan_payout(plan(), 120_000, gates_passed=False) == 0.0


def test_payout_cap_and_attainment_cap() -> None:
    # 300 % on the marginal plan: 5 000 + 200 000 × 10 % = 25 000.
    assert plan_payout(plan(), 300_000) == pytest.approx(25_000)
    # attainment counted up to 200 %: 5 000 + 100 000 × 10 % = 15 000
    assert plan_payout(plan(attainment_cap=2.0), 300_000) == pytest.approx(15_000)
    # payout capped at 12 000
    capped = tiered_commission(plan(payout_cap=12_000), [300_000])
    assert capped.commission[0] == pytest.approx(12_000)
    assert bool(capped.payout_capped[0])
    # both: min(15 000, 12 000)
    assert plan_payout(plan(attainment_cap=2.0, payout_cap=12_000), 300_000) == 12_000


def test_accelerator_and_decelerator_multipliers() -> None:
    # base rate 4 %: [0, 1) 1×, [1, 1.5) 2.5× (10 %), [1.5, ∞) 0.5× (2 %); quota 100 000.
    # 180 %: 100 000 × 4 % + 50 000 × 10 % + 30 000 × 2 % = 4 000 + 5 000 + 600 = 9 600
    tiers = [
        {"from": 0, "to": 1, "multiplier": 1},
        {"from": 1, "to": 1.5, "multiplier": 2.5},
        {"from": 1.5, "multiplier": 0.5},
    ]
    accelerated = plan(base_rate=0.04, tiers=tiers)
    assert plan_payout(accelerated, 180_000) == pytest.approx(9_600)
    assert accelerated.tier_rates() == pytest.approx([0.04, 0.10, 0.02])


def test_target_incentive_payout_curve() -> None:
    # target incentive 10 000; slope 1.0 to quota, 2.0 above (2× accelerator).
    # marginal at 120 %: 10 000 × (1.0 × 1.0 + 0.2 × 2.0) = 14 000
    # retroactive at 120 %: 10 000 × 2.0 × 1.2 = 24 000; at 80 %: 10 000 × 1.0 × 0.8 = 8 000
    tiers = [{"from": 0, "to": 1, "rate": 1.0}, {"from": 1, "rate": 2.0}]
    curve = plan(rate_basis="target_incentive", target_incentive=10_000, tiers=tiers)
    assert plan_payout(curve, 120_000) == pytest.approx(14_000)
    straight = plan(rate_basis="target_incentive", target_incentive=10_000, tiers=tiers,
                    method="retroactive")  # fmt: skip
    assert plan_payout(straight, 120_000) == pytest.approx(24_000)
    assert plan_payout(straight, 80_000) == pytest.approx(8_000)
    # the per-payee target incentive overrides the plan's
    assert plan_payout(curve, 120_000, target_incentive=5_000) == pytest.approx(7_000)


def test_volume_rebate_tiers_retroactive_and_marginal() -> None:
    tiers = [
        {"from": 0, "to": 250_000, "rate": 0.0},
        {"from": 250_000, "to": 1_000_000, "rate": 0.02},
        {"from": 1_000_000, "rate": 0.03},
    ]
    rebate: dict[str, Any] = {"kind": "rebate", "payee": "partner", "tier_basis": "volume",
                              "tiers": tiers, "quota": None}  # fmt: skip
    retro = plan(**rebate, method="retroactive")
    # 1 000 000 reaches gold: 3 % × 1 000 000 = 30 000; one cent less stays silver at 2 %
    assert plan_payout(retro, 1_000_000) == pytest.approx(30_000)
    assert plan_payout(retro, 999_999.99) == pytest.approx(19_999.9998)
    assert plan_payout(retro, 200_000) == 0.0
    # marginal at 1 200 000: 750 000 × 2 % + 200 000 × 3 % = 15 000 + 6 000 = 21 000
    assert plan_payout(plan(**rebate, method="marginal"), 1_200_000) == pytest.approx(21_000)


def test_growth_rebate_tiers() -> None:
    # baseline 500 000; tiers on growth: [5 %, 15 %) 2 %, [15 %, ∞) 4 %.
    # 600 000 is 20 % growth. marginal: (575 000 − 525 000) × 2 % + (600 000 − 575 000) × 4 %
    #   = 1 000 + 1 000 = 2 000. retroactive: 4 % of all 600 000 = 24 000.
    tiers = [{"from": 0.05, "to": 0.15, "rate": 0.02}, {"from": 0.15, "rate": 0.04}]
    growth: dict[str, Any] = {"kind": "rebate", "tier_basis": "growth", "tiers": tiers}
    assert plan_payout(plan(**growth), 600_000, baseline=500_000) == pytest.approx(2_000)
    retro = plan(**growth, method="retroactive")
    assert plan_payout(retro, 600_000, baseline=500_000) == pytest.approx(24_000)
    # 4 % growth: below the first tier → nothing
    assert plan_payout(retro, 520_000, baseline=500_000) == 0.0


def test_finite_last_tier_caps_the_measure() -> None:
    # tiers end at 150 %: 200 % counts as 150 % → 5 000 + 50 000 × 10 % = 10 000
    tiers = [{"from": 0, "to": 1, "rate": 0.05}, {"from": 1, "to": 1.5, "rate": 0.10}]
    assert plan_payout(plan(tiers=tiers), 200_000) == pytest.approx(10_000)
    assert plan_payout(plan(tiers=tiers, method="retroactive"), 200_000) == pytest.approx(15_000)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tiers": [{"from": 0, "to": 1, "rate": 0.1}, {"from": 1.2, "rate": 0.2}]}, "contiguous"),
        ({"tiers": [{"from": 0, "rate": 0.1, "multiplier": 2}]}, "not both"),
        ({"tiers": [{"from": 0, "multiplier": 2}]}, "base_rate"),
        ({"tier_basis": "volume", "rate_basis": "target_incentive"}, "attainment"),
        ({"tiers": [{"from": 0, "to": 0, "rate": 0.1}]}, "empty"),
        ({"unknown_key": 1}, "unknown key"),
    ],
)
def test_invalid_plans_are_rule_errors_with_line(fields: dict[str, Any], message: str) -> None:
    import yaml

    body: dict[str, Any] = {"id": "bad", "kind": "commission", "method": "marginal",
                            "quota": 1, "tiers": TWO_TIERS, **fields}  # fmt: skip
    text = yaml.safe_dump({"kind": "incentive_plans", "plans": [body]}, sort_keys=False)
    with pytest.raises(RuleError) as caught:
        parse_incentives_text(text, file="plans.yaml")
    assert message in str(caught.value)
    assert caught.value.file == "plans.yaml"
    assert caught.value.rule_id == "bad"
    assert caught.value.line is not None and caught.value.line >= 3


def test_bad_spiff_condition_names_file_spiff_and_line() -> None:
    text = """\
kind: incentive_plans
plans:
  - id: p
    kind: commission
    method: marginal
    quota: 100
    tiers: [{from: 0, rate: 0.1}]
    spiffs:
      - id: s1
        when: {amount: ">= [oops"}
        amount: 10
"""
    with pytest.raises(RuleError) as caught:
        parse_incentives_text(text, file="p.yaml")
    assert (caught.value.file, caught.value.rule_id, caught.value.line) == ("p.yaml", "s1", 10)


def test_shipped_plans_and_their_embedded_examples() -> None:
    incentives = load_incentives(RULES / "incentives.yaml")
    assert [p.id for p in incentives.plans][:2] == ["field_ae", "inside_sales"]
    results = run_incentive_tests(incentives)
    assert results and all(r.passed for r in results), [str(r) for r in results]


def test_a_failing_embedded_example_says_what_differs() -> None:
    text = """\
kind: incentive_plans
plans:
  - {id: p, kind: commission, method: marginal, quota: 100, tiers: [{from: 0, rate: 0.1}]}
tests:
  - input: {plan: p, revenue: 50}
    expect: {payout: 6}
"""
    [result] = run_incentive_tests(parse_incentives_text(text, file="t.yaml"))
    assert not result.passed
    assert "expected 6, got 5" in result.message
    assert result.line == 5
