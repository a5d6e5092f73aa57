"""Ranges of text in FEEL string order (``< "m"``, ``["a".."m")``), and their set algebra.

FEEL orders strings lexicographically by character; Python's ``str`` comparison orders them by
Unicode code point, which is what salesnet uses (Java's ``compareTo``, used by Drools, compares
UTF-16 code units and so differs only between characters above U+FFFF and those in
U+E000-U+FFFF). ``""`` is the smallest string and ``s + "\\x00"`` the next string after ``s``, so
the open range ``("a".."a\\x00")`` is empty.

A set of strings is a disjoint, sorted union of :class:`TextRange` (a single value ``"a"`` is the
closed range ``["a".."a"]``); :func:`union`, :func:`complement` and :func:`intersect_any` work on
such unions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["TextRange", "complement", "intersect_any", "point", "quote", "union"]

# A bound's position in an order where each string s has three slots: just before s (-1), s
# itself (0) and just after s (1); -inf and +inf sort outside every string.
_Pos = tuple[int, str, int]
_LOW_INF: _Pos = (-1, "", 0)
_HIGH_INF: _Pos = (1, "", 0)


def quote(text: str) -> str:
    """``text`` as a FEEL string literal; control characters as ``\\uXXXX`` escapes (a gap
    after ``"m"`` prints as ``"m\\u0000"``, not as an invisible NUL)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '"'
        + "".join(f"\\u{ord(c):04x}" if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in escaped)
        + '"'
    )


@dataclass(frozen=True)
class TextRange:
    """Strings between ``low`` and ``high`` in code-point order; None is an unbounded end."""

    low: str | None
    high: str | None
    low_closed: bool = True
    high_closed: bool = True

    @property
    def start(self) -> _Pos:
        return _LOW_INF if self.low is None else (0, self.low, 0 if self.low_closed else 1)

    @property
    def end(self) -> _Pos:
        return _HIGH_INF if self.high is None else (0, self.high, 0 if self.high_closed else -1)

    @property
    def is_point(self) -> bool:
        """True when the range holds one string only (``"a"``, written as a value)."""
        return (
            self.low is not None and self.low == self.high and self.low_closed and self.high_closed
        )

    def contains(self, text: str) -> bool:
        """True when ``text`` lies in the range."""
        return self.start <= (0, text, 0) <= self.end

    def is_empty(self) -> bool:
        """True when no string lies in the range (also ``(a..a\\x00)`` and ``< ""``)."""
        if self.start > self.end:
            return True
        if self.low is None:
            return self.high == "" and not self.high_closed
        if self.high is None or self.low_closed or self.high_closed:
            return False
        return self.high == self.low + "\x00"

    def witness(self) -> str:
        """A string in the (non-empty) range."""
        if self.low is None:
            return ""
        return self.low if self.low_closed else self.low + "\x00"

    def __str__(self) -> str:
        if self.low is not None and self.low == self.high:
            return quote(self.low)
        if self.low is None and self.high is None:
            return "any text"
        if self.low is None:
            return f"{'<=' if self.high_closed else '<'} {quote(str(self.high))}"
        if self.high is None:
            return f"{'>=' if self.low_closed else '>'} {quote(self.low)}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{quote(self.low)}..{quote(self.high)}{right}"


def point(text: str) -> TextRange:
    """The range holding only ``text``."""
    return TextRange(text, text)


def _make(start: _Pos, end: _Pos) -> TextRange:
    low = None if start[0] else start[1]
    high = None if end[0] else end[1]
    return TextRange(low, high, start[2] == 0, end[2] == 0)


def union(ranges: Iterable[TextRange]) -> tuple[TextRange, ...]:
    """Sort, drop empty and merge overlapping or adjacent ranges into a disjoint union."""
    items = sorted((r for r in ranges if not r.is_empty()), key=lambda r: (r.start, r.end))
    merged: list[tuple[_Pos, _Pos]] = []
    for item in items:
        start, end = item.start, item.end
        if merged:
            last_start, last_end = merged[-1]
            # adjacent when ``start`` is at most the slot right after ``last_end``
            after = last_end if last_end[0] else (0, last_end[1], last_end[2] + 1)
            if start <= after:
                merged[-1] = (last_start, max(last_end, end))
                continue
        merged.append((start, end))
    return tuple(r for r in (_make(s, e) for s, e in merged) if not r.is_empty())


def complement(ranges: Sequence[TextRange]) -> tuple[TextRange, ...]:
    """Every string outside a union of ranges."""
    gaps: list[TextRange] = []
    low: str | None = None
    low_closed = True
    for item in union(ranges):
        if item.low is not None:
            gaps.append(TextRange(low, item.low, low_closed, not item.low_closed))
        if item.high is None:
            return union(gaps)
        low, low_closed = item.high, not item.high_closed
    gaps.append(TextRange(low, None, low_closed, True))
    return union(gaps)


def intersect_any(a: Sequence[TextRange], b: Sequence[TextRange]) -> bool:
    """True when some string lies in both unions."""
    for x in a:
        for y in b:
            start, end = max(x.start, y.start), min(x.end, y.end)
            if not _make(start, end).is_empty():
                return True
    return False
