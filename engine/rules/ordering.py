"""Which tables run, and in what order: version selection by date and dependency order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from engine.errors import RuleError
from engine.rules.model import CompiledTable, RuleSet, in_effect

__all__ = ["dependency_order", "tables_in_effect"]


def dependency_order(tables: Sequence[CompiledTable]) -> tuple[CompiledTable, ...]:
    """Order tables so that each runs after the tables whose outputs it reads.

    Ties keep file order; tables sharing an id (dated versions) move together. A cycle raises
    RuleError naming the tables in it.
    """
    ids: list[str] = []
    for table in tables:
        if table.id not in ids:
            ids.append(table.id)
    producer: dict[str, str] = {}
    for table in tables:
        for output in table.outputs:
            producer.setdefault(output.name, table.id)
    needs: dict[str, set[str]] = {table_id: set() for table_id in ids}
    for table in tables:
        for column in table.needs:
            owner = producer.get(column)
            if owner is not None and owner != table.id:  # its own output name: a data column
                needs[table.id].add(owner)
    done: list[str] = []
    remaining = list(ids)
    while remaining:
        ready = next((t for t in remaining if needs[t] <= set(done)), None)
        if ready is None:
            cycle = ", ".join(repr(t) for t in remaining)
            first = next(t for t in tables if t.id == remaining[0])
            raise RuleError(
                f"tables depend on each other in a cycle: {cycle}",
                file=first.file,
                table=first.id,
                line=first.line,
            )
        done.append(ready)
        remaining.remove(ready)
    rank = {table_id: i for i, table_id in enumerate(done)}
    return tuple(sorted(tables, key=lambda t: rank[t.id]))


def tables_in_effect(ruleset: RuleSet, as_of: dt.date) -> tuple[CompiledTable, ...]:
    """The version of each table in effect at ``as_of``, in dependency order.

    When no version of a table is in effect, its first version is used; none of its rules is
    active then, so it gives its default (or null).
    """
    chosen: dict[str, CompiledTable] = {}
    for table in ruleset.tables:
        if in_effect(table.effective_from, table.effective_until, as_of):
            chosen.setdefault(table.id, table)
    for table in ruleset.tables:
        chosen.setdefault(table.id, table)
    order = {table_id: position for position, table_id in enumerate(t.id for t in ruleset.tables)}
    chosen = dict(sorted(chosen.items(), key=lambda item: order[item[0]]))
    return dependency_order(list(chosen.values()))
