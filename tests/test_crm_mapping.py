"""The mapping format: presets, extending a preset, validation errors, JSON Schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.crm import PRESETS, load_mapping, load_preset, mapping_schema
from engine.errors import DataError


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_load(name: str) -> None:
    mapping = load_preset(name)
    kinds = {module.kind for module in mapping.modules.values()}
    assert {"accounts", "deals", "users"} <= kinds


def test_mapping_extends_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(
        "name: acme-zoho\nextends: zoho-crm\n"
        "modules:\n  Accounts:\n    fields:\n      name: {aliases: [Customer Name]}\n"
        "reps: {channel: INSIDE, capacity_hours: 300}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    accounts = mapping.modules["Accounts"]
    assert accounts.fields["name"].candidates() == ["Account_Name", "Account Name", "Customer Name"]
    assert accounts.fields["id"].strip_prefix == "zcrm_"  # kept from the preset
    assert mapping.reps.channel == "INSIDE" and mapping.reps.capacity_hours == 300
    assert "Deals" in mapping.modules


def test_preset_given_on_the_command_line_is_the_base(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text(
        "name: acme\nvalue_maps:\n  zoho_deal_stage:\n    values: {Won: won}\n    default: open\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path, preset="zoho-crm")
    stages = mapping.value_maps["zoho_deal_stage"]
    assert stages.values["Won"] == "won"  # mappings merge key by key: the tenant's stage is added
    assert stages.values["Closed Lost"] == "lost"
    assert stages.default == "open"


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nmodules:\n  A:\n    kind: accounts\n    detect: [[Name]]\n"
        "    fields:\n      id: {labels: Id, typo: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as caught:
        load_mapping(path)
    issue = caught.value.issues[0]
    assert issue.file == str(path)
    assert issue.row == 7
    assert "typo" in (issue.column or "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("id: {labels: Id}\n      colour: {labels: C}", "unknown field"),
        ("name: {labels: N}", "every module needs an id field"),
        ("id: {labels: Id}\n      employees: {labels: E}", "type must be number"),
        ("id: {labels: Id, values: nope}", "no value map named 'nope'"),
        ("id: {labels: Id, fallback: name}", "fallback 'name' is not a field"),
    ],
)
def test_invalid_modules(tmp_path: Path, fields: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"name: bad\nmodules:\n  A:\n    kind: accounts\n    detect: [[Name]]\n"
        f"    fields:\n      {fields}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=message):
        load_mapping(path)


def test_unknown_preset_and_unsafe_yaml(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("name: x\nextends: salesforce\nmodules: {}\n", encoding="utf-8")
    with pytest.raises(DataError, match="a preset among fxiaoke, zoho-crm"):
        load_mapping(path)
    path.write_text("name: !!python/object:os.system x\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"unsafe or unsupported YAML tag '!!python/object:os"):
        load_mapping(path)


def test_json_schema_forbids_unknown_keys() -> None:
    schema = mapping_schema()
    assert schema["title"] == "salesnet CRM mapping file"
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["FieldSpec"]["additionalProperties"] is False
