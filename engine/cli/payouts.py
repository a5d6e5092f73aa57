"""``salesnet payouts``: incentive payouts on actuals, with a line-by-line explanation."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from engine.atomic import atomic_path
from engine.errors import DataError, DataIssue

__all__ = ["payouts", "read_table", "write_table"]

_TEXT_COLUMNS = ("id", "deal", "rep", "partner", "account", "period", "cancel_period", "plan")


def read_table(path: str) -> pd.DataFrame:
    """Read a CSV or Parquet table; id-like columns stay text (leading zeros kept)."""
    source = Path(path)
    try:
        if source.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(source)
        else:
            header = pd.read_csv(source, nrows=0)
            text = {c: str for c in header.columns if c in _TEXT_COLUMNS}
            frame = pd.read_csv(source, dtype=text, keep_default_na=True)
    except FileNotFoundError:
        raise DataError([DataIssue(path, "an existing file")]) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError([DataIssue(path, f"a readable CSV or Parquet table ({exc})")]) from None
    for column in _TEXT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
            frame[column] = frame[column].map(lambda v: v if v is None else str(v))
    return frame


def write_table(frame: pd.DataFrame, path: str) -> None:
    """Write CSV (or Parquet for a .parquet name) atomically."""
    with atomic_path(path) as tmp:
        if path.lower().endswith((".parquet", ".pq")):
            frame.to_parquet(tmp, index=False)
        else:
            # 12 significant digits: cents up to 10 billion, without binary noise (0.1 + 0.2)
            frame.to_csv(tmp, index=False, lineterminator="\n", float_format="%.12g")


def _check_targets(outputs: dict[str, str], inputs: dict[str, str | None]) -> None:
    """Two outputs on one path, or an output on an input, would lose a file: a usage error."""
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        resolved = Path(path).resolve()
        if resolved in seen:
            raise click.UsageError(f"{option} and {seen[resolved]} name the same file {path}")
        seen[resolved] = option
    for option, given in inputs.items():
        if given is not None and Path(given).resolve() in seen:
            output = seen[Path(given).resolve()]
            raise click.UsageError(f"{output} would overwrite the input {option} {given}")


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--actuals", "actuals_path", required=True, help="Deals / purchases (CSV or Parquet)."
)
@click.option("--quotas", "quotas_path", help="Targets per payee: quota, target_incentive, ...")
@click.option(
    "--plan", "plans", multiple=True, help="Plan id to compute (repeatable; default all)."
)
@click.option(
    "--period", "periods", multiple=True,
    help="Period to report (repeatable; default all). Earlier periods are computed too, so that "
    "draws, balances and clawbacks carry.",
)  # fmt: skip
@click.option("--out", "out_path", required=True, help="Summary: one row per plan, payee, period.")
@click.option("--lines", "lines_path", help="Explanation lines (default: OUT with .lines.csv).")
@click.option("--explain", is_flag=True, help="Print the explanation as text.")
@click.option("--payee", "payees", multiple=True, help="With --explain: only these payees.")
def payouts(
    plan_file: str,
    actuals_path: str,
    quotas_path: str | None,
    plans: tuple[str, ...],
    periods: tuple[str, ...],
    out_path: str,
    lines_path: str | None,
    explain: bool,
    payees: tuple[str, ...],
) -> None:
    """Compute the payouts of the plans in PLAN_FILE on actuals.

    Writes a summary table (OUT) and the explanation lines (which tier, base, rate, amount; gate;
    caps; SPIFF rule; clawback; draw and balance carried).
    """
    from engine.rules.incentives import load_incentives
    from engine.rules.payout_explain import format_lines
    from engine.rules.payouts import compute_payouts

    lines_target = lines_path or str(Path(out_path).with_suffix("")) + ".lines.csv"
    _check_targets(
        {"--out": out_path, "--lines": lines_target},
        {"PLAN_FILE": plan_file, "--actuals": actuals_path, "--quotas": quotas_path},
    )
    incentives = load_incentives(plan_file)
    actuals = read_table(actuals_path)
    targets = read_table(quotas_path) if quotas_path else None
    result = compute_payouts(
        incentives,
        actuals,
        targets=targets,
        plans=list(plans) or None,
        through=max(periods) if periods else None,
        actuals_file=actuals_path,
        targets_file=quotas_path,
    )
    summary, lines = result.summary, result.lines
    if periods:
        summary = summary[summary["period"].isin(periods)].reset_index(drop=True)
        lines = lines[lines["period"].isin(periods)].reset_index(drop=True)
    unknown = sorted(set(payees) - set(lines["payee"].astype(str)))
    if unknown:  # a typo would print nothing at all
        known = sorted(set(lines["payee"].astype(str)))
        shown = ", ".join(known[:10]) + (", …" if len(known) > 10 else "")
        raise click.BadParameter(
            f"no lines for {', '.join(map(repr, unknown))} (payees: {shown or 'none'})",
            param_hint="--payee",
        )
    write_table(summary, out_path)
    write_table(lines, lines_target)
    if explain:
        click.echo(format_lines(lines, list(payees) or None))
    total = float(summary["paid"].sum()) if len(summary) else 0.0
    click.echo(
        f"wrote {out_path} ({len(summary)} rows, paid {total:,.2f}) and {lines_target} "
        f"({len(lines)} lines)",
        err=explain,
    )
