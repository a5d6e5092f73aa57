"""A mapping file written from scratch (no preset) for another CRM's CSV export."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.crm import import_crm
from engine.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "crm"

MAPPING = """\
name: acme-crm
timezone: America/Chicago
modules:
  Companies:
    kind: accounts
    detect: [[Company ID]]
    fields:
      id: {labels: Company ID}
      name: {labels: Company, aliases: [Company name]}
      owner_id: {labels: Owner Email, fallback: owner_name}
      owner_name: {labels: Owner}
      segment: {labels: Size, values: size}
      state: {labels: State}
      county: {labels: County}
      satisfaction: {labels: NPS, type: number}
    extra_columns:
      signed: {labels: Signed, type: date, date_format: "%d/%m/%Y"}
  Orders:
    kind: deals
    detect: [[Order ID]]
    fields:
      id: {labels: Order ID}
      account_id: {labels: Company ID}
      amount: {labels: Total, type: number}
      status: {labels: State, values: order_state}
      close_date: {labels: Booked, type: date}
value_maps:
  size: {values: {L: Enterprise, M: Mid-Market, S: SMB}}
  order_state: {values: {paid: won, refunded: lost}, default: open}
reps: {channel: INSIDE, capacity_hours: 350, cost: 25000, quota: 100000}
"""


def write(tmp_path: Path) -> tuple[Path, Path, Path]:
    mapping = tmp_path / "acme.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    companies = tmp_path / "companies.csv"
    companies.write_text(
        "Company ID,Company name,Owner,Owner Email,Size,State,County,NPS,Signed\n"
        "C1,Acme Tools,Ann Lee,ann@example.com,L,IL,Cook County,8.5,01/02/2024\n"
        "C2,Beta Bakery,Bo Ray,,XL,IN,Marion,11,31/12/2025\n"
        "C3,Gamma Glass,Ann Lee,ann@example.com,S,OH,Nowhere,7,\n",
        encoding="utf-8",
    )
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "Order ID,Company ID,Total,State,Booked\n"
        'O1,C1,"1,000.00",paid,2026-01-10\n'
        "O2,C1,250,refunded,2026-02-10\n"
        "O3,C2,400,paid,1767225600000\n"
        "O4,C2,90,pending,2026-03-01\n",
        encoding="utf-8",
    )
    return mapping, companies, orders


def test_custom_mapping(tmp_path: Path, demo_copy: Path) -> None:
    mapping, companies, orders = write(tmp_path)
    result = import_crm(
        [companies, f"Orders={orders}"],
        mapping=mapping,
        into=demo_copy,
        territories=FIXTURES / "us_territory_lookup.csv",
    )
    accounts = result.dataset.accounts.set_index("id")
    assert accounts.loc["C1", "territory"] == "17031"  # "Cook County" -> Cook
    assert accounts.loc["C1", "segment"] == "Enterprise"
    assert accounts.loc["C1", "signed"] == "2024-02-01"  # day first
    assert accounts.loc["C1", "revenue_12m"] == 1000.0
    assert accounts.loc["C2", "revenue_12m"] == 400.0  # epoch ms 2025-12-31 in Chicago
    assert accounts.loc["C2", "last_deal_date"] == "2025-12-31"
    assert accounts.loc["C1", "owner"] == "ann@example.com"
    assert accounts.loc["C2", "owner"] == "Bo Ray"  # no email: the name is the id
    reps = result.dataset.reps.set_index("id")
    assert reps.loc["ann@example.com", ["channel", "capacity_hours", "cost", "quota"]].tolist() == [
        "INSIDE", 350.0, 25000.0, 100000.0,
    ]  # fmt: skip
    found = {
        (row, column, why.split(" (")[0])
        for _, row, column, _, why in result.report.itertuples(index=False)
        if row and row > 1
    }
    assert found == {
        (3, "Size", "segment: not in value map size"),
        (3, "NPS", "satisfaction: expected a number >= 0 and <= 10"),
        (4, "territory", "account skipped: its address maps to no territory"),
    }


def test_unknown_module_name_is_read_as_a_path(tmp_path: Path, demo_copy: Path) -> None:
    mapping, _, _ = write(tmp_path)
    with pytest.raises(DataError, match="MODULE among Companies, Orders"):
        import_crm(["Invoices=nothing.csv"], mapping=mapping, into=demo_copy)
    with pytest.raises(DataError, match="an existing export file"):
        import_crm(["Orders=nothing.csv"], mapping=mapping, into=demo_copy)


def test_a_result_that_does_not_validate_says_why_and_writes_nothing(
    tmp_path: Path, demo_copy: Path
) -> None:
    mapping, companies, _ = write(tmp_path)
    text = mapping.read_text(encoding="utf-8").replace("channel: INSIDE", "channel: DIST")
    mapping.write_text(text, encoding="utf-8")
    before = (demo_copy / "accounts.csv").read_bytes()
    with pytest.raises(DataError) as caught:
        import_crm(
            [companies],
            mapping=mapping,
            into=demo_copy,
            territories=FIXTURES / "us_territory_lookup.csv",
        )
    issue = caught.value.issues[0]
    assert (issue.file, issue.column, issue.value) == ("reps (imported)", "channel", "DIST")
    assert "a channel of kind direct_field or inside" in issue.expected
    assert (demo_copy / "accounts.csv").read_bytes() == before  # nothing written ...
    assert (demo_copy / "import_report.csv").is_file()  # ... but the report
