"""Territory assignment through a lookup table; reading exports and telling their module."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.crm import assign_territories, detect_module, load_lookup, load_preset, read_export
from engine.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "crm"
TERRITORIES = pd.DataFrame(
    {
        "id": ["17031", "17167", "17143", "39049"],
        "name": ["Cook, IL", "Sangamon, IL", "Peoria, IL", "Franklin, OH"],
    }
)


def lookup_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lookup.csv"
    path.write_text(text, encoding="utf-8")
    return path


def records(**columns: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({key: pd.Series(value, dtype="str") for key, value in columns.items()})


def test_most_specific_rule_wins(tmp_path: Path) -> None:
    path = lookup_file(
        tmp_path,
        "state,county,city,postcode,territory\n"
        "IL,Cook,,,17031\nIL,Sangamon,,,17167\nIL,,Springfield,,17167\n,,,60601,17031\n"
        "IL,,,,17143\n",
    )
    lookup = load_lookup(path, TERRITORIES["id"])
    found = assign_territories(
        records(
            state=["il", "IL", "IL", "OH", "IL", None],
            county=["Sangamon County", None, None, None, None, None],
            city=["Chicago", " springfield ", None, None, "Chicago", None],
            postcode=[None, None, "60601-4411", None, None, None],
            territory=[None, None, None, "Franklin, OH", None, "17143"],
        ),
        TERRITORIES,
        lookup,
    )
    # county beats city; city; postcode (ZIP+4) beats state; a territory name; state alone;
    # a territory id given directly
    assert found.tolist() == ["17167", "17167", "17031", "39049", "17143", "17143"]


def test_unmatched_address_stays_missing(tmp_path: Path) -> None:
    lookup = load_lookup(
        lookup_file(tmp_path, "state,county,territory\nIL,Cook,17031\n"), TERRITORIES["id"]
    )
    found = assign_territories(
        records(state=["IL", "ZZ"], county=["Lake", "Cook"]), TERRITORIES, lookup
    )
    assert found.isna().all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("state,territory\nIL,99999\n", "a territory id of the dataset"),
        ("state,territory\nIL,17031\nil,17167\n", "one territory per address"),
        ("state,zone,territory\nIL,x,17031\n", "only the columns"),
        ("territory\n17031\n", "at least one address column"),
        ("state\nIL\n", "a territory column"),
    ],
)
def test_bad_lookup_tables(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message) as caught:
        load_lookup(lookup_file(tmp_path, text), TERRITORIES["id"])
    assert caught.value.issues[0].file == str(tmp_path / "lookup.csv")


def test_shapes_and_modules_are_detected() -> None:
    zoho, fxiaoke = load_preset("zoho-crm"), load_preset("fxiaoke")
    cases = [
        (FIXTURES / "zoho" / "ui" / "Accounts_2026_11_01.csv", zoho, "csv", "Accounts"),
        (FIXTURES / "zoho" / "ui" / "Deals_2026_11_01.csv", zoho, "csv", "Deals"),
        (FIXTURES / "zoho" / "xlsx" / "Accounts.xlsx", zoho, "xlsx", "Accounts"),
        (FIXTURES / "zoho" / "api" / "users.json", zoho, "zoho-api", "Users"),
        (FIXTURES / "fxiaoke" / "excel" / "商机.xlsx", fxiaoke, "xlsx", "NewOpportunityObj"),
        (FIXTURES / "fxiaoke" / "api" / "PartnerObj.json", fxiaoke, "fxiaoke-api", "PartnerObj"),
    ]
    for path, mapping, shape, module in cases:
        export = read_export(path)
        assert (export.shape, detect_module(export, mapping)) == (shape, module), path


def test_bom_is_not_part_of_the_first_header() -> None:
    export = read_export(FIXTURES / "zoho" / "ui" / "Accounts_2026_11_01.csv")
    assert export.frame.columns[0] == "Record Id"
    assert export.rows[:3].tolist() == [2, 3, 4]


def test_api_objects_are_flattened() -> None:
    export = read_export(FIXTURES / "zoho" / "api" / "deals.json")
    first = export.frame.iloc[0]
    assert first["Owner"] == "Ada Moreno" and first["Owner.id"] == "4150868000000190001"
    assert first["Account_Name"] == "Maumee Valve Co." and first["Amount"] == "15000.0"
    people = read_export(FIXTURES / "fxiaoke" / "api" / "AccountObj.json").frame
    assert people.loc[0, "owner"] == "1001" and people.loc[1, "owner__r"] == "王强"


def test_unknown_files(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"records": []}', encoding="utf-8")
    with pytest.raises(DataError, match="CRM API records"):
        read_export(odd)
    (tmp_path / "x.txt").write_text("a", encoding="utf-8")
    with pytest.raises(DataError, match=r"a \.csv, \.xlsx or \.json export"):
        read_export(tmp_path / "x.txt")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Record Id,Account Name\n1,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_export(latin)
    other = tmp_path / "other.csv"
    other.write_text("Colour,Size\nred,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="name it: MODULE=FILE"):
        detect_module(read_export(other), load_preset("zoho-crm"))
