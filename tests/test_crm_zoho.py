"""Zoho CRM: UI export (CSV with BOM, XLSX, renamed labels) and API JSON into a copy of the demo."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.crm import REPORT_NAME, import_crm
from engine.data import load_dataset
from engine.rules import evaluate, load_rules

FIXTURES = Path(__file__).parent / "fixtures" / "crm"
UI = FIXTURES / "zoho" / "ui"
ACCOUNTS = UI / "Accounts_2026_11_01.csv"
DEALS = UI / "Deals_2026_11_01.csv"
LOOKUP = FIXTURES / "us_territory_lookup.csv"
RULES = Path(__file__).parents[1] / "rules" / "tiering.yaml"


def findings(report: pd.DataFrame, file: Path) -> set[tuple[int, str, str]]:
    rows = report[report["file"] == str(file)]
    return {(int(r.row), r.column, r.why.split(":")[0]) for r in rows.itertuples() if r.row > 1}


def test_ui_export_end_to_end(demo_copy: Path) -> None:
    result = import_crm([ACCOUNTS, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    assert result.conversion.as_of == pd.Timestamp("2026-10-31")  # latest won close date
    accounts = load_dataset(demo_copy).accounts.set_index("id")  # the folder validates
    assert sorted(accounts.index) == [
        "4150868000000224001",
        "4150868000000224002",
        "4150868000000224003",
        "4150868000000224004",
        "4150868000000224006",
        "4150868000000224008",
    ]  # fmt: skip  (zcrm_ prefixes stripped; Nowhere and the repeated id skipped)
    prairie = accounts.loc["4150868000000224001"]
    assert prairie["territory"] == "17031"  # postcode 60601
    assert prairie["revenue_12m"] == 12000.0 and prairie["orders_12m"] == 1
    assert prairie["growth"] == pytest.approx(12000 / 13000.5 - 1, abs=1e-6)
    assert prairie["last_order_days"] == 231 and prairie["last_deal_date"] == "2026-03-14"
    assert prairie["owner"] == "4150868000000190001" and prairie["level"] == "B"
    assert accounts.loc["4150868000000224002", "territory"] == "17167"  # city Springfield, IL
    assert accounts.loc["4150868000000224004", "territory"] == "39049"  # ZIP+4 43215-1234
    assert accounts.loc["4150868000000224004", "revenue_12m"] == 4400.0  # deal linked by name
    assert accounts.loc["4150868000000224004", "employees"] == 1200  # "1,200"
    assert accounts.loc["4150868000000224008", "territory"] == "17143"  # Territories "Peoria, IL"
    assert accounts.loc["4150868000000224003", "orders_12m"] == 1  # amount n/a counted as 0
    assert accounts.loc["4150868000000224006", "level"] == ""  # rating "Hot" unmapped
    assert result.dataset.territories.equals(load_dataset(demo_copy).territories)


def test_ui_export_reports_every_skipped_row_and_value(demo_copy: Path) -> None:
    result = import_crm([ACCOUNTS, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    report = pd.read_csv(demo_copy / REPORT_NAME, dtype=str, keep_default_na=False)
    assert list(report.columns) == ["file", "row", "column", "value", "why"]
    assert len(report) == len(result.report)
    assert findings(result.report, ACCOUNTS) == {
        (6, "territory", "account skipped"),  # an address that maps to no territory
        (7, "Rating", "level"),  # value-map miss
        (8, "id", "account skipped"),  # the repeated Record Id
    }
    assert findings(result.report, DEALS) == {
        (8, "Stage", "status"),  # the unknown stage "Verbal Commit" ...
        (8, "status", "deal not counted"),  # ... and what happened to its deal
        (9, "account", "deal not counted"),  # the deal of the skipped account
        (12, "Amount", "amount"),
        (12, "amount", "won deal counted with amount 0"),
    }
    unplaced = result.report[result.report["column"] == "territory"].iloc[0]
    assert unplaced["value"] == "country=USA; state=ZZ; city=Atlantis; postcode=00000"
    unused = set(result.report.loc[result.report["row"] == 1, "column"])
    assert unused == {"Billing Street", "Website", "Probability (%)", "Type"}


def test_report_rows_are_file_rows_after_blank_lines(demo_copy: Path, tmp_path: Path) -> None:
    # the CSV reader skips blank lines: rows after one were reported one short
    lines = ACCOUNTS.read_text(encoding="utf-8-sig").split("\n")
    lines[3:3] = ["", "   ", "," * lines[0].count(",")]  # three lines before record 3
    accounts = tmp_path / ACCOUNTS.name
    accounts.write_text("\n".join(lines), encoding="utf-8")
    result = import_crm([accounts, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    assert findings(result.report, accounts) == {
        (9, "territory", "account skipped"),
        (10, "Rating", "level"),
        (11, "id", "account skipped"),
    }


def test_ids_rounded_by_a_spreadsheet_are_reported_as_such(demo_copy: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(ACCOUNTS, dtype=str, keep_default_na=False)
    frame.loc[0, "Record Id"] = "4.15087E+18"  # how Excel saves a long id it showed rounded
    accounts = tmp_path / ACCOUNTS.name
    frame.to_csv(accounts, index=False)
    result = import_crm([accounts, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    rows = result.report[(result.report["file"] == str(accounts)) & (result.report["row"] == 2)]
    assert rows["why"].str.contains("id rounded by a spreadsheet").any()
    assert not load_dataset(demo_copy).accounts["id"].str.contains("E+", regex=False).any()


def test_reps_and_actuals_from_owners(demo_copy: Path) -> None:
    dataset = import_crm(
        [ACCOUNTS, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP
    ).dataset
    reps = dataset.reps.set_index("id")
    assert list(reps["name"]) == ["Ada Moreno", "Ben Okafor", "Chen Li"]
    assert reps.loc["4150868000000190001", "home"] == "17031"  # where she owns most accounts
    assert set(reps["channel"]) == {"FIELD"}  # the demo's direct_field channel ...
    assert set(reps["capacity_hours"]) == {400.0} and set(reps["cost"]) == {36000.0}  # its hire
    actuals = dataset.table("actuals")
    assert actuals["amount"].sum() == 12000 + 20000 + 4400 + 0
    assert list(actuals["period"]) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert len(dataset.partners) == 30 and len(dataset.coverage) == 431  # the demo's, kept


def test_xlsx_export_reads_like_the_csv(tmp_path: Path, demo_copy: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(demo_copy, other)
    from_csv = import_crm([ACCOUNTS, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    xlsx = FIXTURES / "zoho" / "xlsx" / "Accounts.xlsx"
    from_xlsx = import_crm([xlsx, DEALS], preset="zoho-crm", into=other, territories=LOOKUP)
    assert {shape for _, module, shape, _ in from_xlsx.files if module == "Accounts"} == {"xlsx"}
    columns = ["id", "territory", "revenue_12m", "orders_12m", "growth", "employees", "created"]
    pd.testing.assert_frame_equal(
        from_csv.dataset.accounts[columns], from_xlsx.dataset.accounts[columns]
    )


def test_api_records(demo_copy: Path) -> None:
    api = FIXTURES / "zoho" / "api"
    result = import_crm(
        sorted(api.glob("*.json")), preset="zoho-crm", into=demo_copy, territories=LOOKUP
    )
    assert {(module, shape) for _, module, shape, _ in result.files} == {
        ("Accounts", "zoho-api"), ("Deals", "zoho-api"), ("Users", "zoho-api"),
    }  # fmt: skip
    accounts = result.dataset.accounts.set_index("id")
    assert accounts.loc["4150868000000224101", "territory"] == "39095"  # postcode 43604
    assert accounts.loc["4150868000000224102", "territory"] == "18003"  # Territories lookup name
    assert accounts.loc["4150868000000224102", "revenue_12m"] == 42000.5
    assert accounts.loc["4150868000000224101", "created"] == "2024-05-01"  # offset dropped
    reps = result.dataset.reps.set_index("id")
    assert reps.loc["4150868000000190001", "home"] == "17031"  # the user's own address
    assert "4150868000000190009" not in reps.index  # inactive user
    inactive = result.report[result.report["why"].str.startswith("user inactive")]
    assert inactive[["row", "value"]].values.tolist() == [[3, "inactive"]]


def test_renamed_labels_with_a_custom_mapping(tmp_path: Path, demo_copy: Path) -> None:
    mapping = tmp_path / "tenant.yaml"
    mapping.write_text(
        "name: acme-zoho\nextends: zoho-crm\nmodules:\n  Accounts:\n"
        "    detect: [[Customer Name]]\n    fields:\n      name: {aliases: [Customer Name]}\n"
        "value_maps:\n  zoho_rating: {values: {Hot: A}}\n"
        "reps: {channel: INSIDE, capacity_hours: 300, cost: 20000}\n",
        encoding="utf-8",
    )
    renamed = FIXTURES / "zoho" / "renamed" / "Accounts.csv"
    result = import_crm([renamed], mapping=mapping, into=demo_copy, territories=LOOKUP)
    accounts = result.dataset.accounts.set_index("id")
    assert accounts.loc["4150868000000224001", "name"] == "Prairie Tooling Inc."
    assert accounts.loc["4150868000000224001", "territory"] == "17031"  # "Billing Address - ..."
    assert set(result.dataset.reps["channel"]) == {"INSIDE"}
    assert set(result.dataset.reps["capacity_hours"]) == {300.0}
    assert not result.dataset.has("actuals")  # no deals: old actuals would dangle
    assert not (demo_copy / "actuals.csv").exists()


def test_idempotent(demo_copy: Path) -> None:
    files = [ACCOUNTS, DEALS]
    import_crm(files, preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    first = {path.name: path.read_bytes() for path in sorted(demo_copy.iterdir())}
    import_crm(list(reversed(files)), preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    second = {path.name: path.read_bytes() for path in sorted(demo_copy.iterdir())}
    assert first == second


def test_demo_flow_import_validate_tier(demo_copy: Path) -> None:
    import_crm([ACCOUNTS, DEALS], preset="zoho-crm", into=demo_copy, territories=LOOKUP)
    dataset = load_dataset(demo_copy)
    tiers = evaluate(load_rules(RULES), dataset.accounts, as_of=dt.date(2026, 11, 1))
    assert len(tiers) == len(dataset.accounts) == 6
    assert set(tiers["tier"]) <= {"A", "B", "C", "D"} and tiers["tiering_rule"].notna().any()


def test_as_of_and_window(demo_copy: Path) -> None:
    result = import_crm(
        [ACCOUNTS, DEALS],
        preset="zoho-crm",
        into=demo_copy,
        territories=LOOKUP,
        as_of="2026-06-30",
        window_months=3,
    )
    later = result.report[result.report["why"].str.contains("closes after the as-of date")]
    assert later[["row", "value"]].values.tolist() == [[5, "2026-10-31"], [12, "2026-08-08"]]
    accounts = result.dataset.accounts.set_index("id")
    # window (2026-03-30, 2026-06-30]: only the Buckeye trays deal of 2026-05-05
    assert accounts["revenue_12m"].to_dict()["4150868000000224004"] == 4400.0
    assert accounts.loc["4150868000000224001", "revenue_12m"] == 0.0
    assert accounts.loc["4150868000000224001", "last_order_days"] == 108  # 2026-03-14
    assert list(result.dataset.table("actuals")["deal"]) == ["4150868000000301009"]
