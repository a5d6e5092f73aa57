"""Risk responses: directives, register, conflict resolution and located errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from engine.errors import RuleError
from engine.rules.embedded_tests import run_risk_tests
from engine.rules.risk import load_risk, parse_risk_text
from engine.rules.risk_directives import (
    CostUplift,
    CreditExposure,
    Exclude,
    HhiCeiling,
    MaxPartnerShare,
    MinReps,
)
from engine.rules.risk_register import REGISTER_COLUMNS, compile_risk

RULES = Path(__file__).resolve().parents[1] / "rules"

PARTNERS = pd.DataFrame({
    "id": ["P1", "P2", "P3", "P4"], "name": ["a", "b", "c", "d"],
    "channel": ["distributor", "agent", "distributor", "agent"],
    "capacity": [1e6, 4e5, 2e6, 3e5], "fixed_cost": [0.0] * 4,
    "credit_limit": [1e5, 2e5, None, 9e4], "credit_score": [20.0, 45.0, 90.0, 55.0],
})  # fmt: skip
TERRITORIES = pd.DataFrame({
    "id": ["T1", "T2", "T3"], "name": ["x", "y", "z"], "region": ["East", "West", "East"],
    "potential": [2e7, 6e6, 1e6], "lat": [0.0] * 3, "lon": [0.0] * 3,
})  # fmt: skip
CHANNELS = pd.DataFrame({
    "id": ["C1", "C2"], "kind": ["agent", "online"], "margin": [0.3, 0.4],
    "cost_to_serve": [0.1, 0.05],
})  # fmt: skip
ACCOUNTS = pd.DataFrame({
    "id": ["A1", "A2"], "territory": ["T1", "T2"], "segment": ["Gov", "SMB"],
    "revenue_12m": [5e5, 1e4], "growth": [0.1, -0.3], "satisfaction": [2.0, 8.0],
    "credit_score": [30.0, 70.0],
})  # fmt: skip

CONFLICTS = """\
kind: risk_responses
rules:
  - {id: avoid_bad, entity: partner, when: {credit_score: "< 30"}, response: avoid}
  - id: cap_exposure
    entity: partner
    when: {credit_score: "< 60"}
    response: {type: mitigate, constraint: credit_exposure, payment_days: 45}
  - id: insure
    entity: partner
    when: {credit_score: "< 60"}
    response: {type: transfer, instrument: credit_insurance, cost_rate: 0.01}
  - id: insure_more
    entity: partner
    when: {credit_score: "[50..60)"}
    response: {type: transfer, instrument: credit_insurance, cost_rate: 0.03}
  - id: prepay
    entity: partner
    when: {channel: '"agent"'}
    response: {type: transfer, instrument: prepayment, cost_rate: 0.005, fixed_cost: 100}
  - id: share_east
    entity: territory
    when: {region: '"East"'}
    response: {type: mitigate, constraint: max_partner_share, max_share: 0.5}
  - id: share_big
    entity: territory
    when: {potential: ">= 5e6"}
    response: {type: mitigate, constraint: max_partner_share, max_share: 0.35}
  - {id: reps, entity: territory, when: {potential: ">= 1e7"},
     response: {type: mitigate, constraint: min_reps, min_reps: 3}}
  - {id: hhi, entity: channel, when: {kind: '"agent"'},
     response: {type: mitigate, constraint: hhi_ceiling, max_hhi: 0.25}}
  - {id: watch, entity: account, when: {satisfaction: "< 3"},
     expression: "revenue_12m > 100000 and credit_score < 40", response: accept}
  - {id: drop_gov, entity: account, when: {segment: 'not("SMB")'}, response: avoid}
"""


def compile_conflicts() -> object:
    return compile_risk(
        parse_risk_text(CONFLICTS, file="risk.yaml"),
        partners=PARTNERS,
        territories=TERRITORIES,
        channels=CHANNELS,
        accounts=ACCOUNTS,
    )


def test_directives_are_typed_resolved_and_ordered() -> None:
    plan = compile_conflicts()
    assert plan.directives == (  # type: ignore[attr-defined]
        Exclude("partner", "P1", "avoid_bad"),
        # P2 (score 45): exposure 200 000 / (45 / 90) → volume ≤ 400 000; insurance 1 %
        CreditExposure("partner", "P2", "cap_exposure", 0.5, 200_000.0),
        CostUplift("partner", "P2", "insure", "credit_insurance", 0.01),
        CostUplift("partner", "P2", "prepay", "prepayment", 0.005, 100.0),
        # P4 (score 55): the 3 % insurance beats the 1 % one; prepayment adds
        CreditExposure("partner", "P4", "cap_exposure", 0.5, 90_000.0),
        CostUplift("partner", "P4", "insure_more", "credit_insurance", 0.03),
        CostUplift("partner", "P4", "prepay", "prepayment", 0.005, 100.0),
        # T1 is East (0.5) and big (0.35): the strictest share wins
        MaxPartnerShare("territory", "T1", "share_big", 0.35, "territory"),
        MinReps("territory", "T1", "reps", 3),
        MaxPartnerShare("territory", "T2", "share_big", 0.35, "territory"),
        MaxPartnerShare("territory", "T3", "share_east", 0.5, "territory"),
        HhiCeiling("channel", "C1", "hhi", 0.25),
        Exclude("account", "A1", "drop_gov"),
    )
    assert plan.excluded("partner") == {"P1"}  # type: ignore[attr-defined]
    assert plan.of_type(CreditExposure)[0].max_volume == pytest.approx(400_000)  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.directives[0].entity_id = "P9"  # type: ignore[attr-defined,misc]


def test_register_says_what_fired_why_and_what_it_did() -> None:
    register = compile_conflicts().register  # type: ignore[attr-defined]
    assert list(register.columns) == REGISTER_COLUMNS
    row = register.set_index(["rule_id", "entity_id"])
    # avoid + mitigate + transfer on P1: avoid wins, the others are superseded and say so
    assert row.loc[("avoid_bad", "P1"), "status"] == "applied"
    assert row.loc[("avoid_bad", "P1"), "effect"] == "partner P1 excluded from the plan"
    assert row.loc[("cap_exposure", "P1"), "status"] == "superseded"
    assert row.loc[("insure", "P1"), "note"] == "entity avoided by rule avoid_bad"
    # two max shares on T1: the stricter applies, the other is noted
    assert row.loc[("share_east", "T1"), "status"] == "superseded"
    assert row.loc[("share_east", "T1"), "note"] == "stricter rule share_big applies"
    assert row.loc[("insure", "P4"), "note"] == "stricter rule insure_more applies"
    # P3 has no credit limit... and its score is safe, so nothing fired on it
    assert "P3" not in set(register["entity_id"])
    # why: the values that fired, with the condition
    assert row.loc[("insure_more", "P4"), "why"] == "credit_score=55.0 ([50..60))"
    assert "revenue_12m > 100000" in row.loc[("watch", "A1"), "why"]
    assert row.loc[("watch", "A1"), "status"] == "recorded"
    assert "T2" in row.loc[("share_big", "T2"), "effect"]


def test_credit_exposure_without_a_credit_limit_is_skipped() -> None:
    rules = parse_risk_text(
        "kind: risk_responses\nrules:\n  - id: e\n    entity: partner\n"
        "    response: {type: mitigate, constraint: credit_exposure, payment_days: 90}\n"
    )
    plan = compile_risk(rules, partners=PARTNERS)
    statuses = plan.register.set_index("entity_id")["status"].to_dict()
    assert statuses == {"P1": "applied", "P2": "applied", "P3": "skipped", "P4": "applied"}
    assert plan.of_type(CreditExposure)[0].max_volume == pytest.approx(100_000)


def test_rules_on_tables_not_given_are_skipped_and_inputs_untouched() -> None:
    before = PARTNERS.copy()
    plan = compile_risk(parse_risk_text(CONFLICTS), partners=PARTNERS)
    assert plan.skipped_rules == ("share_east", "share_big", "reps", "hhi", "watch", "drop_gov")
    pd.testing.assert_frame_equal(PARTNERS, before)
    again = compile_risk(parse_risk_text(CONFLICTS), partners=PARTNERS.iloc[::-1])
    pd.testing.assert_frame_equal(plan.register, again.register)
    assert plan.directives == again.directives


def test_unknown_column_names_file_rule_and_line() -> None:
    text = CONFLICTS.replace("when: {channel: '\"agent\"'}", "when: {chanel: '\"agent\"'}")
    with pytest.raises(RuleError) as caught:
        compile_risk(parse_risk_text(text, file="risk.yaml"), partners=PARTNERS)
    error = caught.value
    assert (error.file, error.rule_id, error.line) == ("risk.yaml", "prepay", 18)
    assert "chanel" in error.message


def test_unknown_column_in_expression() -> None:
    text = (
        "kind: risk_responses\nrules:\n  - id: x\n    entity: partner\n"
        "    expression: capacity > 2 * credit_lmt\n    response: accept\n"
    )
    with pytest.raises(RuleError) as caught:
        compile_risk(parse_risk_text(text, file="r.yaml"), partners=PARTNERS)
    assert (caught.value.rule_id, caught.value.line) == ("x", 5)
    assert "credit_lmt" in caught.value.message


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            "{id: a, entity: partner, "
            "response: {type: mitigate, constraint: min_reps, min_reps: 2}}",
            "min_reps applies to territory",
        ),
        (
            "{id: a, entity: account, response: {type: mitigate, constraint: hhi_ceiling, "
            "max_hhi: 0.2}}",
            "hhi_ceiling applies",
        ),
        (
            "{id: a, entity: territory, response: {type: mitigate, constraint: hhi_ceiling, "
            "max_hhi: 2500}}",
            "less than or equal to 1",
        ),
        ("{id: a, entity: partner, response: destroy}", "does not match"),
        ("{id: a, entity: planet, response: avoid}", "Input should be"),
        ("{id: a, entity: partner, when: {credit_score: '<< 3'}, response: avoid}", "credit_score"),
        ("{id: a, entity: partner, expression: 'capacity >', response: avoid}", "expression"),
        ("{id: a, entity: partner, response: avoid, colour: red}", "unknown key"),
        (
            "{id: a, entity: account, response: {type: transfer, instrument: hedge, "
            "cost_rate: 0.5}}",
            "a transfer on an account takes fixed_cost only",
        ),
    ],
)
def test_invalid_rules_are_rule_errors_with_rule_id_and_line(rule: str, message: str) -> None:
    first = "{id: ok, entity: partner, response: accept}"
    text = f"kind: risk_responses\nrules:\n  - {first}\n  - {rule}\n"
    with pytest.raises(RuleError) as caught:
        parse_risk_text(text, file="r.yaml")
    assert message in str(caught.value)
    assert (caught.value.file, caught.value.rule_id, caught.value.line) == ("r.yaml", "a", 4)


def test_shipped_risk_file_and_its_examples() -> None:
    rules = load_risk(RULES / "risk.yaml")
    results = run_risk_tests(rules)
    assert results and all(r.passed for r in results), [str(r) for r in results]
    plan = compile_risk(rules, partners=PARTNERS, territories=TERRITORIES, channels=CHANNELS,
                        accounts=ACCOUNTS)  # fmt: skip
    assert plan.excluded("partner") == {"P1"}
    assert set(plan.register["status"]) <= {"applied", "superseded", "recorded", "skipped"}


def test_many_accounts_compile_quickly() -> None:
    size = 100_000
    accounts = pd.DataFrame({
        "id": [f"A{i}" for i in range(size)], "territory": "T1", "segment": "SMB",
        "revenue_12m": [float(i) for i in range(size)], "growth": 0.0,
        "satisfaction": [float(i % 10) for i in range(size)], "credit_score": 50.0,
    })  # fmt: skip
    rules = parse_risk_text(
        "kind: risk_responses\nrules:\n"
        "  - {id: a, entity: account, when: {satisfaction: '< 2'}, response: avoid}\n"
    )
    plan = compile_risk(rules, accounts=accounts)
    assert len(plan.excluded("account")) == size // 5


def test_run_file_tests_dispatches_on_kind(tmp_path: Path) -> None:
    from engine.rules.embedded_tests import run_file_tests

    assert all(o.passed for o in run_file_tests(RULES / "risk.yaml"))
    assert all(o.passed for o in run_file_tests(RULES / "incentives.yaml"))
    other = tmp_path / "x.yaml"
    other.write_text("kind: decision_tables\n", encoding="utf-8")
    with pytest.raises(RuleError, match="kind must be one of"):
        run_file_tests(other)


def test_a_repeated_rule_id_is_named_at_its_second_rule() -> None:
    text = (
        "kind: risk_responses\nrules:\n  - {id: a, entity: partner, response: accept}\n"
        "  - {id: b, entity: partner, response: accept}\n"
        "  - {id: a, entity: partner, response: avoid}\n"
    )
    with pytest.raises(RuleError) as caught:
        parse_risk_text(text, file="r.yaml")
    assert (caught.value.rule_id, caught.value.line) == ("a", 5)
    assert "used twice (first at line 3)" in str(caught.value)
