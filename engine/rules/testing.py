"""Run the ``tests:`` embedded in rule files (``salesnet rules test``).

A table's own tests evaluate that table; file-level tests (``kind: decision_tables``) evaluate the
whole chain. Each test is run per record *and* vectorised on a one-row frame, and the two must agree
with each other and with ``expect`` (only the keys given there are compared; ``<table>_rule`` keys
compare the matched rule id, or the list of ids for multi-hit tables). A test without ``as_of`` runs
today, or on the table's ``effective_from`` when the table is not in effect today.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import RuleError
from engine.rules.evaluate import evaluate, evaluate_record, evaluate_table, evaluate_table_record
from engine.rules.model import CompiledTable, RuleSet, in_effect
from engine.rules.tables import RuleTest

__all__ = ["TestOutcome", "normalize_value", "run_tests"]


@dataclass(frozen=True)
class TestOutcome:
    """The result of one embedded test."""

    __test__ = False  # not a pytest class

    name: str
    passed: bool
    message: str = ""
    file: str | None = None
    table: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = (self.file or "<rules>") + (f":{self.line}" if self.line is not None else "")
        status = "ok" if self.passed else "FAILED"
        text = f"{where} {status} {self.name}"
        return text + (f": {self.message}" if self.message else "")


def normalize_value(value: object) -> object:
    """Comparable plain value: tuples -> lists, numpy scalars -> Python, NaN/NA -> None,
    whole floats -> int."""
    if isinstance(value, tuple | list | np.ndarray):
        return [normalize_value(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def _default_day(tables: tuple[CompiledTable, ...]) -> dt.date:
    today = dt.date.today()
    for table in tables:
        if not in_effect(table.effective_from, table.effective_until, today):
            return table.effective_from or table.effective_until or today
    return today


def _run_one(
    test: RuleTest, target: RuleSet | CompiledTable, tables: tuple[CompiledTable, ...], name: str
) -> str | None:
    """The failure message of one test (None when it passes)."""
    as_of = test.as_of or _default_day(tables)
    record: dict[str, Any] = dict(test.input)
    if isinstance(target, CompiledTable):
        single = evaluate_table_record(target, record, as_of=as_of)
    else:
        single = evaluate_record(target, record, as_of=as_of)
    needed = sorted({c for t in tables for c in t.needs} | set(record))
    frame = pd.DataFrame([{c: record.get(c) for c in needed}])
    for column in frame.columns:
        if frame[column].isna().all():
            frame[column] = frame[column].astype(object)
    if isinstance(target, CompiledTable):
        vector = evaluate_table(target, frame, as_of=as_of).iloc[0].to_dict()
    else:
        vector = evaluate(target, frame, as_of=as_of).iloc[0].to_dict()
    problems = []
    for key, expected in test.expect.items():
        if key not in single:
            problems.append(f"{key!r} is not an output (outputs: {', '.join(single)})")
            continue
        got, got_vector = normalize_value(single[key]), normalize_value(vector.get(key))
        if got != got_vector:
            problems.append(f"{key}: per-record {got!r} but vectorised {got_vector!r}")
        elif got != normalize_value(expected):
            problems.append(f"{key}: expected {expected!r}, got {got!r}")
    return "; ".join(problems) or None


def run_tests(ruleset: RuleSet) -> list[TestOutcome]:
    """Run every embedded test of a rule set, tables first, then the file-level tests."""
    outcomes: list[TestOutcome] = []
    jobs: list[
        tuple[
            RuleTest,
            RuleSet | CompiledTable,
            tuple[CompiledTable, ...],
            str | None,
            int | None,
            int,
        ]
    ] = []
    for table in ruleset.tables:
        for number, (test, line) in enumerate(zip(table.tests, table.test_lines, strict=True)):
            jobs.append((test, table, (table,), table.id, line, number))
    for number, (test, line) in enumerate(zip(ruleset.tests, ruleset.test_lines, strict=True)):
        jobs.append((test, ruleset, ruleset.tables, None, line, number))
    for test, target, tables, table_id, line, number in jobs:
        name = test.name or f"{table_id or ruleset.id or 'file'} test {number + 1}"
        try:
            problem = _run_one(test, target, tables, name)
        except RuleError as exc:
            problem = f"error: {exc}"
        outcomes.append(
            TestOutcome(name, problem is None, problem or "", ruleset.file, table_id, line)
        )
    return outcomes


def describe_record(record: Mapping[str, object]) -> str:
    """Short text of a record for messages."""
    return ", ".join(f"{k}={v!r}" for k, v in record.items())
