"""The CRM mapping format: which export column feeds which field, how values are parsed and mapped.

A mapping file (YAML) is validated by :class:`CrmMapping` (unknown keys are errors) and its JSON
Schema comes from the same model. A mapping names *modules* (one per kind of CRM record: accounts,
deals, users, partners); each module says how to recognise its files (``detect``) and where each
field comes from. A field lists candidate source columns: API names first, then UI labels, then
aliases (tenants rename labels); every candidate present in a file is used, the first non-blank
one winning per row. Shipped presets live in ``engine/crm/presets/*.yaml``; a user mapping may
``extends:`` one and override any part of it (mappings merge key by key; lists are replaced).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import DataError, DataIssue
from engine.yamlio import line_at, load_yaml

__all__ = [
    "DATE_FIELDS",
    "FIELDS",
    "NUMBER_FIELDS",
    "PRESETS",
    "CrmMapping",
    "FieldSpec",
    "ModuleKind",
    "ModuleMapping",
    "PartnerDefaults",
    "RepDefaults",
    "ValueMap",
    "load_mapping",
    "load_preset",
    "mapping_from_data",
    "mapping_schema",
]

ModuleKind = Literal["accounts", "deals", "users", "partners"]
FieldType = Literal["text", "number", "integer", "date"]

_ADDRESS = ("country", "state", "county", "city", "postcode", "territory")

#: The fields each module kind can fill (``id`` is required in every module).
FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "id", "name", "owner_id", "owner_name", "industry", "segment", "employees", "level",
        "partner_id", "partner_name", "satisfaction", "credit_score", "last_deal_date",
        *_ADDRESS,
    ),
    "deals": (
        "id", "name", "account_id", "account_name", "owner_id", "owner_name", "amount",
        "status", "close_date", "partner_id", "partner_name",
    ),
    "users": (
        "id", "name", "email", "status", "channel", "capacity_hours", "cost", "quota",
        *_ADDRESS,
    ),
    "partners": (
        "id", "name", "owner_id", "owner_name", "channel", "capacity", "fixed_cost",
        "credit_limit", "credit_score", *_ADDRESS,
    ),
}  # fmt: skip

#: Fields that must be parsed as numbers or dates (the rest are text).
NUMBER_FIELDS = frozenset(
    {
        "employees",
        "satisfaction",
        "credit_score",
        "amount",
        "capacity_hours",
        "cost",
        "quota",
        "capacity",
        "fixed_cost",
        "credit_limit",
    }
)
DATE_FIELDS = frozenset({"close_date", "last_deal_date"})

#: Shipped presets: name -> file in ``engine/crm/presets``.
PRESETS = {"zoho-crm": "zoho-crm.yaml", "fxiaoke": "fxiaoke.yaml"}

_Strict = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class ValueMap(BaseModel):
    """Source value -> our value for a picklist (matched ignoring case and outer spaces)."""

    model_config = _Strict

    values: dict[str, str] = Field(description="Source value (label or option code) -> value.")
    default: str | None = Field(
        None, description="Value for a source value not listed (none: the miss is reported)."
    )

    @field_validator("values", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): str(item) for key, item in value.items()}
        return value


class FieldSpec(BaseModel):
    """Where one field comes from and how its text is parsed."""

    model_config = _Strict

    api: list[str] = Field(default_factory=list, description="API names, tried first.")
    labels: list[str] = Field(default_factory=list, description="UI export labels.")
    aliases: list[str] = Field(default_factory=list, description="Renamed labels of a tenant.")
    type: FieldType = Field("text", description="text, number (currency too), integer or date.")
    values: str | None = Field(None, description="Name of a value map applied to the text.")
    strip_prefix: str | None = Field(
        None, description="Prefix removed from values, e.g. zcrm_.", examples=["zcrm_"]
    )
    date_format: str | None = Field(
        None, description="strftime format of dates that are not ISO or epoch milliseconds."
    )
    fallback: str | None = Field(
        None, description="Another field of the module that fills this one where it is blank."
    )

    _lists = field_validator("api", "labels", "aliases", mode="before")(_as_list)

    def candidates(self) -> list[str]:
        """Source column names in priority order (API names, labels, aliases)."""
        seen: dict[str, None] = {}
        for name in (*self.api, *self.labels, *self.aliases):
            seen.setdefault(name, None)
        return list(seen)


class ModuleMapping(BaseModel):
    """One kind of CRM record (a Zoho module, a Fxiaoke object) and how to map its files."""

    model_config = _Strict

    kind: ModuleKind = Field(description="accounts, deals, users or partners.")
    description: str = ""
    detect: list[list[str]] = Field(
        description="Alternative column sets; a file whose columns include every name of one "
        "set belongs to this module (modules are tried in file order). `column=value` also "
        "asks that the column holds the value in some row.",
        examples=[[["Deal Name"], ["object_describe_api_name=NewOpportunityObj"]]],
    )
    fields: dict[str, FieldSpec] = Field(description="Field -> where it comes from.")
    extra_columns: dict[str, FieldSpec] = Field(
        default_factory=dict,
        description="accounts only: more columns kept on the accounts table (e.g. for tiering).",
    )

    @model_validator(mode="after")
    def _known_fields(self) -> ModuleMapping:
        allowed = FIELDS[self.kind]
        unknown = sorted(set(self.fields) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)} for a {self.kind} module; "
                f"fields are {', '.join(allowed)}"
            )
        if "id" not in self.fields:
            raise ValueError("every module needs an id field")
        if self.extra_columns and self.kind != "accounts":
            raise ValueError("extra_columns is only for accounts modules")
        clash = sorted(set(self.extra_columns) & set(allowed))
        if clash:
            raise ValueError(f"extra column(s) {', '.join(clash)} clash with field names")
        for name, spec in self.fields.items():
            if name in NUMBER_FIELDS and spec.type not in ("number", "integer"):
                raise ValueError(f"field {name}: type must be number or integer")
            if name in DATE_FIELDS and spec.type != "date":
                raise ValueError(f"field {name}: type must be date")
            if name not in NUMBER_FIELDS | DATE_FIELDS and spec.type != "text":
                raise ValueError(f"field {name}: type must be text")
            if spec.fallback is not None and spec.fallback not in self.fields:
                raise ValueError(f"field {name}: fallback {spec.fallback!r} is not a field")
        return self


class RepDefaults(BaseModel):
    """Values for rep columns a CRM does not hold (documented defaults, override per mapping)."""

    model_config = _Strict

    channel: str | None = Field(
        None,
        description="Channel id of imported reps (default: the dataset's first "
        "direct_field channel by id, else its first inside channel).",
    )
    capacity_hours: float | None = Field(
        None,
        ge=0,
        description="Selling hours per period (default: the channel's "
        "hire_capacity_hours, else 400).",
    )
    cost: float | None = Field(
        None, ge=0, description="Loaded cost per period (default: the channel's hire_cost, else 0)."
    )
    quota: float = Field(0.0, ge=0, description="Quota per period.")


class PartnerDefaults(BaseModel):
    """Values for partner columns a CRM does not hold."""

    model_config = _Strict

    channel: str | None = Field(
        None,
        description="Channel id (default: the dataset's first distributor channel by id, "
        "else its first agent channel).",
    )
    capacity: float = Field(1_000_000.0, ge=0, description="Revenue a partner can carry.")
    fixed_cost: float = Field(0.0, ge=0, description="Fixed cost per period.")


class CrmMapping(BaseModel):
    """A CRM mapping file (``extends`` a preset or stands alone)."""

    model_config = _Strict

    name: str = Field(description="Mapping name.", examples=["zoho-crm"])
    description: str = ""
    extends: str | None = Field(None, description="Preset this mapping overrides.")
    timezone: str = Field(
        "UTC",
        description="Time zone of epoch-millisecond dates (IANA name).",
        examples=["Asia/Shanghai"],
    )
    modules: dict[str, ModuleMapping] = Field(description="Module name -> mapping.")
    value_maps: dict[str, ValueMap] = Field(default_factory=dict)
    reps: RepDefaults = Field(default_factory=RepDefaults)
    partners: PartnerDefaults = Field(default_factory=PartnerDefaults)

    @model_validator(mode="after")
    def _value_maps_exist(self) -> CrmMapping:
        for module_name, module in self.modules.items():
            specs = {**module.fields, **module.extra_columns}
            for field_name, spec in specs.items():
                if spec.values is not None and spec.values not in self.value_maps:
                    raise ValueError(
                        f"modules.{module_name}.{field_name}: no value map named {spec.values!r}"
                    )
        return self


def mapping_schema() -> dict[str, Any]:
    """JSON Schema of mapping files (for editors; `salesnet schema` may write it)."""
    body = CrmMapping.model_json_schema()
    body.pop("title", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "crm-mapping.schema.json",
        "title": "salesnet CRM mapping file",
        **body,
    }


class _YamlError(DataError):
    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__([DataIssue(file, message, row=line)])


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return override


def _preset_data(name: str) -> Any:
    if name not in PRESETS:
        raise DataError(
            [DataIssue(None, f"a preset among {', '.join(sorted(PRESETS))}", value=name)]
        )
    text = resources.files("engine.crm").joinpath("presets", PRESETS[name]).read_bytes()
    return load_yaml(text, file=f"preset {name}", error=_YamlError)


def mapping_from_data(data: Any, *, file: str | None = None, base: Any = None) -> CrmMapping:
    """Validate mapping ``data`` (parsed YAML), merged over ``base`` data or its ``extends``."""
    if not isinstance(data, dict):
        raise DataError([DataIssue(file, "a mapping file with name and modules", value=data)])
    if base is None and data.get("extends"):
        base = _preset_data(str(data["extends"]))
    merged = _merge(base, data) if base is not None else data
    try:
        return CrmMapping.model_validate(merged)
    except ValidationError as error:
        issues = []
        for problem in error.errors():
            loc = problem["loc"]
            line = line_at(data, loc) if base is None or _has(data, loc) else None
            where = ".".join(map(str, loc)) or None
            issues.append(DataIssue(file, problem["msg"], row=line, column=where))
        raise DataError(issues) from None


def _has(data: Any, loc: tuple[Any, ...]) -> bool:
    node = data
    for step in loc:
        if isinstance(node, dict) and step in node:
            node = node[step]
        else:
            return False
    return True


def load_preset(name: str) -> CrmMapping:
    """A shipped preset (``zoho-crm`` or ``fxiaoke``)."""
    return mapping_from_data(_preset_data(name), file=f"preset {name}")


def load_mapping(path: str | os.PathLike[str], *, preset: str | None = None) -> CrmMapping:
    """Read a mapping file; ``preset`` (or the file's ``extends``) is the base it overrides.

    Errors are :class:`DataError` naming the file and YAML line (in ``row``).
    """
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError([DataIssue(name, f"a readable mapping file ({exc.strerror})")]) from None
    data = load_yaml(raw, file=name, error=_YamlError)
    base = (
        _preset_data(preset)
        if preset and not (isinstance(data, dict) and data.get("extends"))
        else None
    )
    return mapping_from_data(data, file=name, base=base)
