"""Analytic geometry of conditions: intersection of two cells, and the elementary cells of a
table's input space (every combination of value pieces that the rules' boundaries delimit).

Derived inputs are treated as independent dimensions, so a reported gap or overlap may be out of
reach when two inputs are computed from the same column. Null values are left out of gap analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.rules.conditions import Condition, Interval
from engine.rules.model import CompiledInput, CompiledRule
from engine.rules.text_ranges import TextRange, complement, intersect_any, point, union

__all__ = [
    "OTHER",
    "Piece",
    "cell_index",
    "conditions_intersect",
    "input_pieces",
    "merged_regions",
    "rule_cover",
]

OTHER = "\x00other"


def conditions_intersect(a: Condition, b: Condition) -> bool:
    """True when some value (or null) passes both conditions."""
    if a.null and b.null:
        return True
    if a.any_value or b.any_value:
        other = b if a.any_value else a
        return (
            other.any_value
            or bool(other.intervals)
            or bool(other.values)
            or other.negated
            or bool(other.text_ranges)
        )
    if a.value_type != b.value_type or a.value_type is None:
        return False
    if a.value_type == "number":
        return any(not x.intersect(y).is_empty() for x in a.intervals for y in b.intervals)
    if a.value_type == "boolean":
        return bool(a.values & b.values)
    if a.text_ranges or b.text_ranges:
        return intersect_any(_text_set(a), _text_set(b))
    if not a.negated and not b.negated:
        return bool(a.values & b.values)
    if a.negated and b.negated:
        return True
    finite, cofinite = (a, b) if not a.negated else (b, a)
    return bool(finite.values - cofinite.values)


def _text_set(condition: Condition) -> tuple[TextRange, ...]:
    """The non-null strings a text condition accepts, as a union of ranges."""
    if condition.text_ranges:
        return condition.text_ranges
    points = [point(str(v)) for v in condition.values]
    return complement(points) if condition.negated else union(points)


@dataclass(frozen=True)
class Piece:
    """An elementary piece of one input's domain with a representative value."""

    value: object
    text: str
    is_null: bool = False
    interval: Interval | None = None  # numeric pieces: the piece itself


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(float(x))


def input_pieces(item: CompiledInput, conditions: list[Condition]) -> list[Piece]:
    """The elementary pieces of an input's domain that no condition boundary splits."""
    pieces: list[Piece] = []
    if item.type == "number":
        cuts: set[float] = set()
        for condition in conditions:
            for iv in condition.intervals:
                cuts.update(x for x in (iv.low, iv.high) if math.isfinite(x))
        low, high = item.minimum, item.maximum
        cuts.update(x for x in (low, high) if x is not None)
        points = sorted(cuts)
        inf = math.inf
        if not points:
            pieces.append(Piece(0.0, "any number", interval=Interval(-inf, inf, False, False)))
        else:
            first = Interval(-inf, points[0], False, False)
            pieces.append(Piece(points[0] - 1.0, str(first), interval=first))
            for i, point in enumerate(points):
                pieces.append(Piece(point, f"= {_fmt(point)}", interval=Interval(point, point)))
                if i + 1 < len(points):
                    between = Interval(point, points[i + 1], False, False)
                    pieces.append(
                        Piece((point + points[i + 1]) / 2, str(between), interval=between)
                    )
            last = Interval(points[-1], inf, False, False)
            pieces.append(Piece(points[-1] + 1.0, str(last), interval=last))
        pieces = [
            p
            for p in pieces
            if (low is None or float(p.value) >= low)  # type: ignore[arg-type]
            and (high is None or float(p.value) <= high)  # type: ignore[arg-type]
        ]
    elif item.type == "boolean":
        pieces = [Piece(True, "= true"), Piece(False, "= false")]
    else:
        if item.values is not None:
            names = [v for v in item.values if isinstance(v, str)]
            pieces = [Piece(v, f"= {v!r}") for v in names]
        elif any(c.text_ranges for c in conditions):
            pieces = _text_pieces(conditions)
        else:
            seen: list[str] = []
            for condition in conditions:
                seen.extend(v for v in sorted(map(str, condition.values)) if v not in seen)
            pieces = [Piece(v, f"= {v!r}") for v in seen] + [Piece(OTHER, "= another value")]
    if any(c.null and not c.is_any for c in conditions):
        pieces.append(Piece(None, "is null", is_null=True))
    return pieces


def _text_pieces(conditions: list[Condition]) -> list[Piece]:
    """Pieces of the text domain cut at every value and range end the conditions name."""
    cuts: set[str] = set()
    for condition in conditions:
        cuts.update(str(v) for v in condition.values)
        for r in condition.text_ranges:
            cuts.update(x for x in (r.low, r.high) if x is not None)
    points = sorted(cuts)
    spans = [TextRange(None, points[0], True, False)] if points else [TextRange(None, None)]
    for i, cut in enumerate(points):
        spans.append(point(cut))
        following = points[i + 1] if i + 1 < len(points) else None
        spans.append(TextRange(cut, following, False, False))
    return [Piece(span.witness(), _span_text(span)) for span in spans if not span.is_empty()]


def _span_text(span: TextRange) -> str:
    text = str(span)
    if span.low is not None and span.low == span.high:
        return f"= {text}"
    return text if text.startswith(("<", ">", "any")) else f"in {text}"


def rule_cover(rules: list[CompiledRule], pieces: list[list[Piece]]) -> np.ndarray:
    """(rules x cells) mask over the cartesian product of the pieces (C order)."""
    grids = np.meshgrid(*[np.arange(len(p)) for p in pieces], indexing="ij")
    flat = [grid.reshape(-1) for grid in grids]
    cells = len(flat[0]) if flat else 1
    cover = np.ones((len(rules), cells), dtype=bool)
    for position, dimension in enumerate(pieces):
        values = [piece.value for piece in dimension]
        for k, rule in enumerate(rules):
            condition = rule.conditions[position]
            if condition.is_any:
                continue
            hit = np.array(
                [condition.null if v is None else _matches(condition, v) for v in values],
                dtype=bool,
            )
            cover[k] &= hit[flat[position]]
    return cover


def _matches(condition: Condition, value: object) -> bool:
    if value == OTHER:
        return condition.any_value or (condition.value_type == "string" and condition.negated)
    return condition.matches(value)


def merged_regions(pieces: list[list[Piece]], cells: list[int]) -> list[list[str]]:
    """Describe cells as per-input texts, merging runs of adjacent numeric pieces."""
    coords = [cell_index(pieces, cell) for cell in cells]
    numeric = next((d for d, p in enumerate(pieces) if p and p[0].interval is not None), None)
    if numeric is None:
        return [[pieces[d][i].text for d, i in enumerate(c)] for c in coords]
    groups: dict[tuple[int, ...], list[int]] = {}
    for c in coords:
        key = tuple(i for d, i in enumerate(c) if d != numeric)
        groups.setdefault(key, []).append(c[numeric])
    regions: list[list[str]] = []
    for key, indexes in groups.items():
        indexes.sort()
        runs: list[list[int]] = []
        for i in indexes:
            if runs and i == runs[-1][-1] + 1 and pieces[numeric][i].interval is not None:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in runs:
            start, end = pieces[numeric][run[0]], pieces[numeric][run[-1]]
            if start.interval is not None and end.interval is not None:
                joined = Interval(
                    start.interval.low,
                    end.interval.high,
                    start.interval.low_closed,
                    end.interval.high_closed,
                )
                text = "any number" if len(run) == len(pieces[numeric]) else str(joined)
                text = text if text.startswith(("<", ">", "=", "any")) else f"in {text}"
            else:
                text = start.text
            rest = iter(key)
            regions.append(
                [text if d == numeric else pieces[d][next(rest)].text for d in range(len(pieces))]
            )
    return regions


def cell_index(pieces: list[list[Piece]], cell: int) -> list[int]:
    """Coordinates of a flat cell number."""
    return [int(i) for i in np.unravel_index(cell, [len(p) for p in pieces])]
