"""Rules as data: the condition grammar, derived-field expressions and DMN decision tables.

Typical use::

    from engine.rules import load_rules, evaluate
    ruleset = load_rules("rules/tiering.yaml")
    tiers = evaluate(ruleset, accounts, as_of=date(2026, 1, 1))   # outputs + <table>_rule columns

Every problem with a rule file or with evaluating it raises :class:`engine.errors.RuleError`
carrying the file, table, rule id and YAML line.
"""

from engine.rules.check import check_file, check_ruleset
from engine.rules.conditions import Condition, Interval, parse_condition
from engine.rules.evaluate import evaluate, evaluate_record, evaluate_table, evaluate_table_record
from engine.rules.expressions import Expression, parse_expression
from engine.rules.loader import compile_rules, load_rules, parse_rules
from engine.rules.model import CompiledTable, Finding, RuleSet
from engine.rules.tables import Aggregation, DecisionTable, DecisionTableSet, HitPolicy
from engine.rules.testing import TestOutcome, run_tests

__all__ = [
    "Aggregation",
    "CompiledTable",
    "Condition",
    "DecisionTable",
    "DecisionTableSet",
    "Expression",
    "Finding",
    "HitPolicy",
    "Interval",
    "RuleSet",
    "TestOutcome",
    "check_file",
    "check_ruleset",
    "compile_rules",
    "evaluate",
    "evaluate_record",
    "evaluate_table",
    "evaluate_table_record",
    "load_rules",
    "parse_condition",
    "parse_expression",
    "parse_rules",
    "run_tests",
]
