"""``salesnet data import`` on the command line: output, report, exit codes."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from engine.cli import SalesnetGroup, cli
from engine.cli.data_import import import_

FIXTURES = Path(__file__).parent / "fixtures" / "crm"
ZOHO = FIXTURES / "zoho" / "ui"


@click.group(cls=SalesnetGroup)
def data() -> None:
    """Stand-in for the `salesnet data` group the command is attached to."""


data.add_command(import_)


def test_import_then_validate(demo_copy: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        data,
        [
            "import",
            "--preset",
            "zoho-crm",
            f"Deals={ZOHO / 'Deals_2026_11_01.csv'}",
            str(ZOHO / "Accounts_2026_11_01.csv"),
            "--into",
            str(demo_copy),
            "--territories",
            str(FIXTURES / "us_territory_lookup.csv"),
            "--as-of",
            "2026-12-31",
            "--window-months",
            "6",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "imported 6 of 8 accounts, 3 reps, 0 partners, 11 deals" in result.output
    assert "(2 won in the 6 months to 2026-12-31)" in result.output
    assert "ok: demo-midwest validated" in result.output
    assert (demo_copy / "import_report.csv").is_file()
    checked = runner.invoke(cli, ["data", "validate", str(demo_copy)])
    assert checked.exit_code == 0 and "ok: demo-midwest (6 accounts" in checked.output


def test_missing_dataset_says_what_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        data,
        [
            "import",
            "--preset",
            "zoho-crm",
            str(ZOHO / "Accounts_2026_11_01.csv"),
            "--into",
            str(tmp_path / "nothing"),
        ],
    )
    assert result.exit_code == 1
    assert "dataset.yaml" in result.output and "territories, adjacency, channels" in result.output


def test_preset_or_mapping_required(demo_copy: Path) -> None:
    result = CliRunner().invoke(
        data, ["import", str(ZOHO / "Accounts_2026_11_01.csv"), "--into", str(demo_copy)]
    )
    assert result.exit_code == 1 and "a preset (zoho-crm or fxiaoke) or a mapping file" in (
        result.output
    )
