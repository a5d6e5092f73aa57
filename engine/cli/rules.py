"""``salesnet rules``: check, test and evaluate rule files.

``check`` and ``test`` dispatch on the file's ``kind``: decision tables, incentive plans or risk
responses. ``eval`` evaluates decision tables only; other kinds are a usage error that names the
command using them.

Exit codes: 0 when every file is fine (warnings alone do not fail a check), 1 when a check finds an
error, a test fails, or a file cannot be loaded; 2 for usage errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
from pathlib import Path

import click
import pandas as pd

from engine.atomic import atomic_path
from engine.errors import DataError, DataIssue, RuleError
from engine.rules.check import DECISION_KINDS, PLAN_KINDS, Finding, check_file
from engine.rules.embedded_tests import FILE_KINDS, run_file_tests
from engine.rules.evaluate import evaluate
from engine.rules.loader import load_rules
from engine.rules.model import RuleSet
from engine.rules.testing import TestOutcome, run_tests
from engine.yamlio import line_at, load_yaml_file

__all__ = ["rules"]

_FILES = click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False)
)


def _fail() -> None:
    click.get_current_context().exit(1)


def _given_path(path: str) -> Path:
    """``path``, or for ``demo`` (when no such file is here) the shipped demo's folder."""
    candidate = Path(path)
    if path == "demo" and not candidate.exists():
        from engine.demo import demo_path

        candidate = Path(demo_path())
    return candidate


def _table_path(path: str) -> Path:
    """A data file, or the accounts table of a dataset folder (``demo``: the shipped demo)."""
    candidate = _given_path(path)
    if candidate.is_dir():
        for name in ("accounts.parquet", "accounts.csv"):
            if (candidate / name).exists():
                return candidate / name
        raise DataError(
            [DataIssue(str(candidate), "a folder with accounts.csv or accounts.parquet")]
        )
    return candidate


@functools.cache
def _text_columns() -> frozenset[str]:
    """Columns the dataset schema holds as text (ids and references: ``id``, ``territory`` ...)."""
    from engine.data.schema import TABLES, columns_of

    return frozenset(
        spec.name
        for table in TABLES.values()
        for spec in columns_of(table.model)
        if spec.kind in ("string", "enum")
    )


_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")


def _is_id_like(name: object) -> bool:
    text = str(name).strip().lower()
    return text in _text_columns() or text.endswith("_id")


def _input_types(ruleset: RuleSet | None) -> tuple[set[str], set[str]]:
    """Columns the rules read as text, and columns they read as numbers (or in expressions)."""
    text: set[str] = set()
    numeric: set[str] = set()
    for table in ruleset.tables if ruleset is not None else ():
        for item in table.inputs:
            if item.expression is not None:
                numeric |= set(item.expression.columns)
            elif item.type == "string":
                text.add(item.name)
            elif item.type == "number":
                numeric.add(item.name)
    return text, numeric


def _read_csv(target: Path, ruleset: RuleSet | None) -> pd.DataFrame:
    """A CSV with ids as text: schema text columns, ``*_id``, columns the rules test as text, and
    whole-number columns written with leading zeros (``000123``, ZIP codes) — unless the rules
    test the column as a number. Other columns keep pandas' types (numbers stay numbers)."""
    header = [str(c) for c in pd.read_csv(target, nrows=0).columns]
    rule_text, rule_numeric = _input_types(ruleset)
    text = {c for c in header if (_is_id_like(c) or c in rule_text) and c not in rule_numeric}
    frame = pd.read_csv(target, dtype=dict.fromkeys(text, str))
    suspects = [
        c
        for c in frame.columns
        if c not in text
        and c not in rule_numeric
        and (pd.api.types.is_integer_dtype(frame[c]) or pd.api.types.is_float_dtype(frame[c]))
    ]
    if suspects:
        try:
            raw = pd.read_csv(target, dtype=str, usecols=suspects)
        except ValueError:  # duplicate header names: pandas renamed them; leave types alone
            suspects, raw = [], pd.DataFrame()
        for column in suspects:
            values = raw[column]
            if values.str.match(_LEADING_ZERO).fillna(False).astype(bool).any():
                frame[column] = values
                text.add(column)
    for column in text:
        if column in frame.columns:
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
    return frame


def read_table(path: str, ruleset: RuleSet | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet table; unreadable files raise DataError naming the file.

    CSV ids stay text (leading zeros kept, see :func:`_read_csv`); ``ruleset`` says which columns
    the rules test as text or as numbers. Parquet keeps its own types.
    """
    target = _table_path(path)
    if target.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(target)
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise DataError(
                [DataIssue(str(target), f"a readable Parquet file ({type(exc).__name__}: {exc})")]
            ) from None
    try:
        return _read_csv(target, ruleset)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(
            [DataIssue(str(target), f"a readable CSV or Parquet table ({exc})")]
        ) from None


def _columns_of(path: str) -> list[str]:
    target = _table_path(path)
    if target.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(target).names)
        except Exception as exc:  # pyarrow raises many types for a bad file
            raise DataError(
                [DataIssue(str(target), f"a readable Parquet file ({type(exc).__name__}: {exc})")]
            ) from None
    return list(read_table_header(target))


def read_table_header(target: Path) -> list[str]:
    try:
        return list(pd.read_csv(target, nrows=0).columns)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError([DataIssue(str(target), f"a readable CSV table ({exc})")]) from None


@click.group()
def rules() -> None:
    """Check, test and evaluate rule files (decision tables, incentive plans, risk responses)."""


@rules.command()
@_FILES
@click.option(
    "--data",
    "data_path",
    help="A data table (or dataset folder) whose columns the "
    "rules may read; unknown columns become errors.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
def check(files: tuple[str, ...], data_path: str | None, quiet: bool) -> None:
    """Check FILES statically: syntax, types, overlaps, gaps, rules that never fire.

    Incentive-plan and risk-response files are checked against their own schema (conditions,
    expressions, examples); with --data a dataset folder, risk rules are also run against its
    partner, territory, channel and account tables (unknown columns become errors).
    """
    columns = _columns_of(data_path) if data_path else None
    errors = warnings = 0
    for file in files:
        findings = check_file(file, columns=columns)
        if data_path and not any(f.severity == "error" for f in findings):
            findings += _risk_on_dataset(file, data_path)
        for finding in findings:
            if finding.severity == "error":
                errors += 1
            else:
                warnings += 1
                if quiet:
                    continue
            click.echo(str(finding))
        if not findings and not quiet:
            click.echo(f"{file}: ok")
    click.echo(f"{len(files)} file(s): {errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        _fail()


def _risk_on_dataset(file: str, data_path: str) -> list[Finding]:
    """A risk file's rules run on a dataset folder's tables, as a plan would (what a column
    the tables lack, or a value of the wrong kind, does); [] for other files or data."""
    folder = _given_path(data_path)
    data = load_yaml_file(file)
    if not folder.is_dir() or not isinstance(data, dict) or data.get("kind") != "risk_responses":
        return []
    from engine.data.dataset import load_dataset
    from engine.rules.risk import load_risk
    from engine.rules.risk_register import compile_for_dataset

    try:
        compile_for_dataset(load_risk(file), load_dataset(folder))
    except RuleError as exc:
        return [Finding("error", "column", exc.message, exc.file, None, exc.rule_id, exc.line)]
    return []


def _file_tests(file: str) -> list[TestOutcome]:
    """Run a rule file's embedded tests, by its kind: incentives and risk, or decision tables."""
    data = load_yaml_file(file)
    kind = data.get("kind") if isinstance(data, dict) else None
    if isinstance(kind, str) and kind in FILE_KINDS:
        return run_file_tests(file)
    if isinstance(data, dict) and "kind" in data and kind not in DECISION_KINDS:
        known = ", ".join((*DECISION_KINDS, *FILE_KINDS))
        raise RuleError(
            f"kind: expected one of {known}; got {kind!r}",
            file=file,
            line=line_at(data, ("kind",)),
        )
    return run_tests(load_rules(file))


@rules.command()
@_FILES
@click.option("--quiet", "-q", is_flag=True, help="Print failures only.")
def test(files: tuple[str, ...], quiet: bool) -> None:
    """Run the tests embedded in FILES."""
    failed = passed = 0
    for file in files:
        try:
            outcomes = _file_tests(file)
        except RuleError as exc:
            click.echo(f"error: {exc}")
            failed += 1
            continue
        for outcome in outcomes:
            if outcome.passed:
                passed += 1
            else:
                failed += 1
            if not outcome.passed or not quiet:
                click.echo(str(outcome))
    click.echo(f"{passed} passed, {failed} failed", err=True)
    if failed:
        _fail()


def _for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            column = column.map(
                lambda v: json.dumps(list(v), ensure_ascii=False) if isinstance(v, tuple) else v
            )
        out[name] = column
    return pd.DataFrame(out, index=frame.index)


def _for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            column = column.map(lambda v: list(v) if isinstance(v, tuple) else v)
        out[name] = column
    return pd.DataFrame(out, index=frame.index)


@rules.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--data",
    "data_path",
    required=True,
    help="Accounts table (.csv or .parquet), a dataset folder, or `demo`.",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Result table (.csv or .parquet), written atomically.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Evaluation date for effective dates (default: today).",
)
@click.option(
    "--violations",
    type=click.Choice(["error", "null"]),
    default="error",
    show_default=True,
    help="A row that breaks a unique or any hit policy: stop with an error, or give it null "
    "outputs and a null rule id (as Drools does).",
)
def eval_command(
    file: str, data_path: str, out_path: str, as_of: dt.datetime | None, violations: str
) -> None:
    """Evaluate the tables in FILE over a data table; write outputs and matched rule ids."""
    try:
        ruleset = load_rules(file)
    except RuleError:
        raw = load_yaml_file(file)  # it parsed: was it another kind of rule file?
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if isinstance(kind, str) and kind in PLAN_KINDS:
            raise click.BadParameter(
                f"{file} holds {kind}, not decision tables: it is used by {PLAN_KINDS[kind]}; "
                "`salesnet rules check` checks it and `salesnet rules test` runs its examples",
                param_hint="'FILE'",
            ) from None
        raise
    data = read_table(data_path, ruleset)
    day = as_of.date() if as_of else dt.date.today()
    started = time.perf_counter()
    result = evaluate(
        ruleset, data, as_of=day, violations="null" if violations == "null" else "raise"
    )
    seconds = time.perf_counter() - started
    if "id" in data.columns and "id" not in result.columns:
        result.insert(0, "id", data["id"])
    target = Path(out_path)
    with atomic_path(target) as tmp:
        if target.suffix.lower() == ".parquet":
            _for_parquet(result).to_parquet(tmp, index=False)
        else:
            _for_csv(result).to_csv(tmp, index=False)
    click.echo(f"{len(result)} rows evaluated in {seconds:.3f} s (as of {day}) -> {target}")
