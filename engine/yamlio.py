"""Safe YAML loading that remembers line numbers, so errors can cite ``file:line``.

:func:`load_yaml` reads YAML with a :class:`yaml.SafeLoader` subclass (no Python tags, nothing
executed) and returns plain data in which every mapping is a :class:`LineDict` and every list a
:class:`LineList`. Both are ordinary ``dict`` / ``list`` subclasses (pydantic and json accept them)
that also record the 1-based line of the node itself (``.line``) and of each key or item
(``.lines``). :func:`line_at` finds the line of a nested location such as a pydantic error ``loc``.

Duplicate keys in a mapping, unsafe or unknown tags, anchors that alias mappings into themselves and
plain syntax errors all raise the caller's error type (``RuleError`` by default; scenario loading
passes ``ScenarioError``) naming the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml

from engine.errors import RuleError, SalesnetError

__all__ = ["LineDict", "LineList", "line_at", "load_yaml", "load_yaml_file"]

ErrorFactory = Callable[..., SalesnetError]


class LineDict(dict[Any, Any]):
    """A dict that knows its own line (``.line``) and the line of each key (``.lines``)."""

    line: int | None = None
    lines: dict[Hashable, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {}


class LineList(list[Any]):
    """A list that knows its own line (``.line``) and the line of each item (``.lines``)."""

    line: int | None = None
    lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines = []


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.SafeLoader):
    """SafeLoader building LineDict / LineList and refusing duplicate keys."""

    def construct_yaml_map(self, node: yaml.MappingNode) -> Any:
        data = LineDict()
        data.line = node.start_mark.line + 1
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if key in data:
                raise _DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
            data[key] = self.construct_object(value_node, deep=True)
            data.lines[key] = key_node.start_mark.line + 1

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Any:
        data = LineList()
        data.line = node.start_mark.line + 1
        yield data
        data.extend(self.construct_sequence(node, deep=True))
        data.lines.extend(item.start_mark.line + 1 for item in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_yaml_seq)


def load_yaml(
    text: str | bytes, *, file: str | None = None, error: ErrorFactory = RuleError
) -> Any:
    """Parse one YAML document safely; mappings and lists carry their line numbers.

    ``error`` is called as ``error(message, file=file, line=line)`` for every problem.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(f"not UTF-8 text ({exc.reason})", file=file, line=None) from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in problem:
            problem = "unsupported or unsafe YAML tag " + problem.rsplit("tag", 1)[-1].strip()
        raise error(f"invalid YAML: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", file=file, line=None) from None
    except RecursionError:
        raise error("invalid YAML: nested too deeply", file=file, line=None) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date such as 2027-02-30
        raise error(f"invalid YAML value: {exc}", file=file, line=None) from None


def load_yaml_file(path: str | os.PathLike[str], *, error: ErrorFactory = RuleError) -> Any:
    """Read and parse a YAML file; a missing or unreadable file raises ``error`` too."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror or exc}", file=name, line=None) from None
    return load_yaml(raw, file=name, error=error)


def line_at(data: Any, loc: Sequence[Any]) -> int | None:
    """The line of the deepest node along ``loc`` (keys and list indexes) that has one."""
    best: int | None = getattr(data, "line", None)
    node = data
    for step in loc:
        if isinstance(node, LineDict) and step in node:
            best = node.lines.get(step, best)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.lines[step] if step < len(node.lines) else best
            node = node[step]
        else:
            break
    return best
