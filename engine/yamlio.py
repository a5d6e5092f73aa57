"""Safe YAML loading that remembers line numbers, so errors can cite ``file:line``.

:func:`load_yaml` reads YAML with a :class:`yaml.SafeLoader` subclass (no Python tags, nothing
executed) and returns plain data in which every mapping is a :class:`LineDict` and every list a
:class:`LineList`. Both are ordinary ``dict`` / ``list`` subclasses (pydantic and json accept them)
that also record the 1-based line of the node itself (``.line``) and of each key or item
(``.lines``). :func:`line_at` finds the line of a nested location such as a pydantic error ``loc``.

Duplicate keys in a mapping, unsafe or unknown tags, anchors that alias mappings into themselves,
aliases that would multiply the data beyond a sane size (a "billion laughs" bomb: at most
:data:`MAX_ALIAS_NODES` nodes, or as many as the file itself holds, may be copied through aliases
and merge keys), impossible dates and plain syntax errors all raise the caller's error type
(``RuleError`` by default; scenario loading passes ``ScenarioError``) naming the file and line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml

from engine.errors import RuleError, SalesnetError

__all__ = ["MAX_ALIAS_NODES", "LineDict", "LineList", "line_at", "load_yaml", "load_yaml_file"]

#: Nodes that aliases (and merge keys) may copy in one document, in all, unless the document itself
#: holds more nodes than this; beyond it the document is refused as an alias bomb.
MAX_ALIAS_NODES = 100_000

_TAG = re.compile(r"tag '([^']*)'")

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


class _BadValue(yaml.MarkedYAMLError):
    """A well-formed scalar whose value is impossible (a date such as 2027-02-30)."""


class _OverBudget(Exception):
    pass


class _LineLoader(yaml.SafeLoader):
    """SafeLoader building LineDict / LineList, refusing duplicate keys and alias bombs."""

    def compose_document(self) -> Any:
        self._own_nodes = 0  # nodes written out in the document
        self._alias_nodes = 0  # nodes copied by aliases so far
        self._sizes: dict[yaml.Node, int] = {}
        return super().compose_document()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:  # an undefined alias is reported by the composer
                self._count_alias(event, target)
        else:
            self._own_nodes += 1
        return super().compose_node(parent, index)

    def _count_alias(self, event: yaml.AliasEvent, target: yaml.Node) -> None:
        """Add the size of what the alias copies; refuse a document that copies too much."""
        limit = max(MAX_ALIAS_NODES, self._own_nodes)
        budget = limit - self._alias_nodes
        try:
            self._alias_nodes += self._expanded_size(target, budget)
        except _OverBudget:
            self._alias_nodes = limit + 1
        if self._alias_nodes > limit:
            mark: Any = event.start_mark
            raise yaml.composer.ComposerError(
                None,
                None,
                f"alias *{event.anchor} makes the document too large once aliases are expanded "
                f"(more than {limit:,} copied values; an alias bomb?)",
                mark,
            )

    def _expanded_size(self, node: yaml.Node, budget: int) -> int:
        """Nodes in ``node`` with every alias expanded; _OverBudget once over ``budget``.

        Sizes of finished nodes are remembered, so each node is measured once. A node still being
        composed (an alias into its own anchor) counts as one node: the constructor refuses such
        recursive data anyway.
        """
        sizes = self._sizes
        total = 0

        def visit(item: yaml.Node) -> tuple[int, bool]:
            nonlocal total
            known = sizes.get(item)
            if known is not None:
                total += known
                if total > budget:
                    raise _OverBudget
                return known, True
            total += 1
            if total > budget:
                raise _OverBudget
            if isinstance(item, yaml.ScalarNode):
                return 1, True
            if item.end_mark is None:  # still open: recursive
                return 1, False
            children: list[yaml.Node]
            if isinstance(item, yaml.MappingNode):
                children = [part for pair in item.value for part in pair]
            else:
                children = list(item.value)
            size, finished = 1, True
            for child in children:
                child_size, child_finished = visit(child)
                size += child_size
                finished = finished and child_finished
            if finished:
                sizes[item] = size
            return size, finished

        return visit(node)[0]

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _BadValue(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
            ) from None

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
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_yaml_timestamp)


def _show_tag(problem: str) -> str:
    """``!!python/object/apply:os.system`` for the tag named in a constructor's complaint."""
    found = _TAG.search(problem)
    tag = found.group(1) if found else problem.rsplit(" ", 1)[-1].strip("'\"")
    if tag.startswith("tag:yaml.org,2002:"):
        tag = "!!" + tag.removeprefix("tag:yaml.org,2002:")
    return tag


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
        if isinstance(exc, _BadValue):
            raise error(f"invalid YAML value: {problem}", file=file, line=line) from None
        if "could not determine a constructor" in problem:
            problem = f"unsafe or unsupported YAML tag {_show_tag(problem)!r}"
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
