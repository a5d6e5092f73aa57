"""Fxiaoke (纷享销客): Excel exports with Chinese labels and OpenAPI JSON into a CN dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.crm import import_crm
from engine.data import load_dataset
from engine.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "crm"
LOOKUP = FIXTURES / "cn_territory_lookup.csv"


@pytest.fixture
def cn_copy(tmp_path: Path) -> Path:
    target = tmp_path / "cn"
    shutil.copytree(FIXTURES / "cn_dataset", target)
    return target


def test_excel_exports(cn_copy: Path) -> None:
    files = sorted((FIXTURES / "fxiaoke" / "excel").glob("*.xlsx"))
    result = import_crm(files, preset="fxiaoke", into=cn_copy, territories=LOOKUP)
    modules = {Path(file).name: module for file, module, _, _ in result.files}
    assert modules == {
        "人员.xlsx": "PersonnelObj",
        "合作伙伴.xlsx": "PartnerObj",
        "商机.xlsx": "NewOpportunityObj",
        "客户.xlsx": "AccountObj",
    }
    dataset = load_dataset(cn_copy)
    accounts = dataset.accounts.set_index("id")
    mingyuan = accounts.loc["KH-0001"]
    assert mingyuan["territory"] == "310115" and mingyuan["level"] == "A"
    assert mingyuan["revenue_12m"] == 1234500.0  # "¥1,234,500.00"
    assert mingyuan["growth"] == pytest.approx(1234500 / 300000 - 1)
    assert mingyuan["owner"] == "E001"  # 负责人 张伟 matched to 员工编号 by name
    assert mingyuan["partner"] == "申通分销"
    assert accounts.loc["深圳南山电子有限公司", "territory"] == "440305"  # no 客户编号: name as id
    assert accounts.loc["KH-0006", "last_order_days"] == 974  # 最后一次成交时间, no deal
    reps = dataset.reps.set_index("id")
    assert sorted(reps.index) == ["E001", "E002", "E003"]  # 赵敏 (离职) is not a rep
    assert reps.loc["E001", "capacity_hours"] == 420.0 and reps.loc["E001", "cost"] == 180000.0
    assert dataset.coverage.values.tolist()[0][:2] == ["京北代理", "110108"]
    report = result.report
    by_row = {
        (Path(f).name, int(r), w.split(":")[0])
        for f, r, w in report.loc[report["row"] > 1, ["file", "row", "why"]].itertuples(index=False)
    }
    assert {
        ("客户.xlsx", 6, "account skipped"),  # 火星省: maps to no territory
        ("客户.xlsx", 5, "level"),  # 战略客户 not in the value map
        ("客户.xlsx", 5, "partner not among the imported partners (left empty)"),
        ("商机.xlsx", 7, "status"),  # 待定: unknown status
        ("商机.xlsx", 8, "deal not counted"),  # the skipped account's deal
        ("人员.xlsx", 5, "user inactive"),
    } <= by_row


def test_openapi_records(cn_copy: Path) -> None:
    files = sorted((FIXTURES / "fxiaoke" / "api").glob("*.json"))
    result = import_crm(files, preset="fxiaoke", into=cn_copy, territories=LOOKUP)
    assert {shape for _, _, shape, _ in result.files} == {"fxiaoke-api"}
    accounts = result.dataset.accounts.set_index("id")
    first = accounts.loc["65a1b2c3d4e5f60718293a01"]
    assert first["territory"] == "310115"  # from province__r / city__r / district__r
    assert first["level"] == "A" and first["deal_status"] == "won"  # option codes mapped
    assert first["owner"] == "1001" and first["created"] == "2024-01-05"  # epoch ms, Shanghai
    assert first["revenue_12m"] == 1234500.0  # amount "1234500.00" as text
    assert accounts.loc["65a1b2c3d4e5f60718293a02", "revenue_12m"] == 2000.0  # "2,000"
    actuals = result.dataset.table("actuals").set_index("deal")
    assert actuals.loc["65a1b2c3d4e5f607182940d1", "partner"] == "65a1b2c3d4e5f60718290p01"
    assert list(result.dataset.reps["id"]) == ["1001", "1003"]
    level = result.report[result.report["column"] == "account_level"]
    assert level[["row", "value"]].values.tolist() == [[2, "9"]]  # JSON rows are record numbers


def test_failed_query_is_an_error(tmp_path: Path, cn_copy: Path) -> None:
    bad = tmp_path / "AccountObj.json"
    bad.write_text('{"errorCode": 20016, "errorMessage": "token expired"}', encoding="utf-8")
    with pytest.raises(DataError, match="token expired"):
        import_crm([bad], preset="fxiaoke", into=cn_copy, territories=LOOKUP)


def test_without_lookup_every_account_is_reported(cn_copy: Path) -> None:
    files = [FIXTURES / "fxiaoke" / "excel" / "客户.xlsx"]
    with pytest.raises(DataError, match="no territory lookup table was given"):
        import_crm(files, preset="fxiaoke", into=cn_copy)
    report = pd.read_csv(cn_copy / "import_report.csv", dtype=str)
    skipped = report[report["why"].str.startswith("account skipped")]
    assert sorted(skipped["row"].astype(int)) == [2, 3, 4, 5, 6, 7]
