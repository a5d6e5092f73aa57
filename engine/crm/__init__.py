"""CRM import: Zoho CRM and Fxiaoke (纷享销客) exports into a salesnet dataset.

Typical use::

    from engine.crm import import_crm
    result = import_crm(["Accounts.csv", "Deals.csv"], preset="zoho-crm", into="my-dataset",
                        territories="lookup.csv")
    result.report        # every unmapped row and value: file, row, column, value, why

A mapping (YAML, :class:`CrmMapping`) says which export column feeds which field; the presets
``zoho-crm`` and ``fxiaoke`` ship with the package and a mapping file may extend them.
"""

from engine.crm.convert import Conversion, convert
from engine.crm.importer import REPORT_NAME, ImportResult, import_crm, resolve_mapping
from engine.crm.mapping import (
    PRESETS,
    CrmMapping,
    FieldSpec,
    ModuleMapping,
    ValueMap,
    load_mapping,
    load_preset,
    mapping_schema,
)
from engine.crm.report import REPORT_COLUMNS, ImportReport
from engine.crm.sources import Export, detect_module, read_export
from engine.crm.territory import TerritoryLookup, assign_territories, load_lookup

__all__ = [
    "PRESETS",
    "REPORT_COLUMNS",
    "REPORT_NAME",
    "Conversion",
    "CrmMapping",
    "Export",
    "FieldSpec",
    "ImportReport",
    "ImportResult",
    "ModuleMapping",
    "TerritoryLookup",
    "ValueMap",
    "assign_territories",
    "convert",
    "detect_module",
    "import_crm",
    "load_lookup",
    "load_mapping",
    "load_preset",
    "mapping_schema",
    "read_export",
    "resolve_mapping",
]
