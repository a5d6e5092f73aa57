"""Turning a pydantic validation error on loaded YAML into a located :class:`RuleError`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from engine.errors import RuleError
from engine.yamlio import line_at

__all__ = ["rule_error_from"]


def _rule_id(data: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the top-level item (plan or rule) a location falls in."""
    node = data
    for step in loc[:2]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict) and isinstance(node.get("id"), str | int):
        return str(node["id"])
    return None


def _data_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without the steps pydantic adds that are not in the data (union tags)."""
    kept: list[Any] = []
    node = data
    for index, step in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if (isinstance(node, dict) and step in node) or in_list:
            node = node[step]
        elif index + 1 < len(loc):
            continue  # a tag such as 'commission' in a discriminated union
        kept.append(step)
    return tuple(kept)


def rule_error_from(error: ValidationError, data: Any, file: str | None) -> RuleError:
    """Turn the first pydantic error into a RuleError with file, rule id and YAML line; an
    unknown key comes first, as it is usually a misspelt one that another error ("field
    required") only follows from."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _data_loc(data, tuple(first["loc"]))
    path = ".".join(str(step) for step in loc) or "<file>"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key (a misspelt one?)"
    more = error.error_count() - 1
    suffix = f" (and {more} more problem(s))" if more else ""
    return RuleError(
        f"{path}: {message}{suffix}",
        file=file,
        rule_id=_rule_id(data, loc),
        line=line_at(data, loc),
    )
