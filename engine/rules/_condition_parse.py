"""Tokenizer and recursive-descent parser of condition cells (see engine.rules.conditions)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from engine.errors import RuleError
from engine.rules.text_ranges import TextRange

if TYPE_CHECKING:
    from engine.rules.conditions import Interval

__all__ = ["Atom", "ParsedCell", "parse_cell_text"]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_\d]))
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>>=|<=|!=|==|<>|>|<|=)
  | (?P<dots>\.\.)
  | (?P<punct>[,()\[\]])
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-./&]*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True)
class Atom:
    """One alternative in a cell: a numeric interval, a text/bool value set, a text range, or null.

    ``on_null`` is the FEEL value of the test when the input is null: an equality (``5``,
    ``"a"``, ``true``) is false (``null = 5`` is false), an inequality (``!= 5``) true, the test
    ``null`` true, and an ordering comparison or interval (``< 5``, ``[1..5]``) null (unknown).
    """

    kind: str  # number | string | boolean | null
    interval: Interval | None = None
    text_range: TextRange | None = None
    empty_range: str | None = None  # the source of a range that holds nothing (``[10..1]``)
    bare: bool = False  # text written as an unquoted word (``East``), which FEEL reads as a name
    values: frozenset[object] = field(default_factory=frozenset)
    negated: bool = False
    on_null: bool | None = False

    @staticmethod
    def number(interval: Interval, *, ordering: bool = False) -> Atom:
        """An equality with a number, or (``ordering``) a comparison or interval."""
        return Atom("number", interval=interval, on_null=None if ordering else False)

    @staticmethod
    def text(value: str, negated: bool = False) -> Atom:
        return Atom("string", values=frozenset({value}), negated=negated, on_null=negated)

    @staticmethod
    def text_ordering(text_range: TextRange) -> Atom:
        """A comparison with text or a range of text (``< "m"``, ``["a".."m"]``)."""
        return Atom("string", text_range=text_range, on_null=None)

    @staticmethod
    def boolean(value: bool, negated: bool = False) -> Atom:
        return Atom("boolean", values=frozenset({value}), negated=negated, on_null=negated)

    @staticmethod
    def null() -> Atom:
        return Atom("null", on_null=True)


@dataclass(frozen=True)
class ParsedCell:
    atoms: tuple[Atom, ...]
    negated: bool


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) > 1:  # FEEL \uXXXX or \UXXXXXX
        point = int(code[1:], 16)
        return chr(point) if point <= 0x10FFFF else match.group(0)
    return _ESCAPES.get(code, code)


def _unquote(text: str) -> str:
    return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{6}|.)", _unescape, text[1:-1])


class _Parser:
    def __init__(self, text: str, where: dict[str, Any]) -> None:
        self.text = text
        self.where = where
        self.tokens = self._tokenize(text)
        self.pos = 0

    def error(self, message: str, token: Token | None = None) -> RuleError:
        at = token.pos if token is not None else len(self.text)
        return RuleError(
            f"column {self.where['column']!r}, condition {self.text!r}: {message} "
            f"(at character {at + 1})",
            file=self.where["file"],
            rule_id=self.where["rule_id"],
            line=self.where["line"],
        )

    def _tokenize(self, text: str) -> list[Token]:
        tokens: list[Token] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:
                raise self.error(f"unexpected character {text[pos]!r}", Token("?", "", pos))
            kind = match.lastgroup or ""
            if kind != "space":
                tokens.append(Token(kind, match.group(), pos))
            pos = match.end()
        return tokens

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of condition")
        self.pos += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token.text != text:
            raise self.error(f"expected {text!r}, found {token.text!r}", token)
        return token

    def number(self, token: Token) -> float:
        if token.kind != "number":
            raise self.error(f"expected a number, found {token.text!r}", token)
        value = float(token.text)
        if math.isinf(value):
            raise self.error(f"number {token.text} is out of range", token)
        return value

    def parse(self) -> ParsedCell:
        negated = False
        first = self.peek()
        if first is not None and first.kind == "word" and first.text.lower() == "not":
            nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
            if nxt is not None and nxt.text == "(":
                self.pos += 2
                negated = True
        atoms = [self.item()]
        while (token := self.peek()) is not None and token.text == ",":
            self.take()
            atoms.append(self.item())
        if negated:
            self.expect(")")
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra.text!r}", extra)
        return ParsedCell(tuple(atoms), negated)

    def item(self) -> Atom:
        from engine.rules.conditions import Interval

        token = self.take()
        if token.kind == "op":
            return self.comparison(token)
        if token.text in ("[", "(", "]"):
            return self.interval(token)
        if token.kind == "number":
            value = self.number(token)
            return Atom.number(Interval(value, value))
        if token.kind == "string":
            return Atom.text(_unquote(token.text))
        if token.kind == "word":
            word = token.text.lower()
            if word == "null":
                return Atom.null()
            if word in ("true", "false"):
                return Atom.boolean(word == "true")
            if word == "not":
                raise self.error("not(...) must enclose the whole cell", token)
            return replace(Atom.text(token.text), bare=True)
        raise self.error(f"unexpected {token.text!r}", token)

    def comparison(self, op: Token) -> Atom:
        from engine.rules.conditions import Interval

        symbol = {"==": "=", "<>": "!="}.get(op.text, op.text)
        token = self.take()
        if token.kind in ("string", "word") and token.text.lower() not in ("null", "not"):
            word = token.text.lower()
            if word in ("true", "false") and token.kind == "word":
                if symbol not in ("=", "!="):
                    raise self.error(f"{op.text} cannot compare booleans", op)
                return Atom.boolean(word == "true", negated=symbol == "!=")
            if symbol not in ("=", "!="):
                if token.kind == "word":
                    raise self.error(_name_message(token.text, f"the comparison {op.text}"), token)
                return Atom.text_ordering(_text_comparison(symbol, _unquote(token.text)))
            if token.kind == "word":
                return replace(Atom.text(token.text, negated=symbol == "!="), bare=True)
            return Atom.text(_unquote(token.text), negated=symbol == "!=")
        value = self.number(token)
        inf = math.inf
        intervals = {
            "=": Interval(value, value),
            ">=": Interval(value, inf, True, False),
            ">": Interval(value, inf, False, False),
            "<=": Interval(-inf, value, False, True),
            "<": Interval(-inf, value, False, False),
        }
        if symbol == "!=":
            # two atoms would be needed; encode as a negated single point via the caller
            return _not_equal(value)
        return Atom.number(intervals[symbol], ordering=symbol != "=")

    def interval(self, opener: Token) -> Atom:
        from engine.rules.conditions import Interval

        low_token = self.take()
        text = low_token.kind == "string"
        low = _unquote(low_token.text) if text else self.endpoint(low_token)
        self.expect("..")
        high_token = self.take()
        if text != (high_token.kind == "string"):
            raise self.error(
                f"an interval needs two numbers or two quoted texts, found {low_token.text!r} "
                f"and {high_token.text!r}",
                high_token,
            )
        high = _unquote(high_token.text) if text else self.endpoint(high_token)
        closer = self.take()
        if closer.text not in ("]", ")", "["):
            raise self.error(
                f"expected ']' or ')' to close the interval, found {closer.text!r}", closer
            )
        low_closed, high_closed = opener.text == "[", closer.text == "]"
        if isinstance(low, str) and isinstance(high, str):
            text_range = TextRange(low, high, low_closed, high_closed)
            atom = Atom.text_ordering(text_range)
            empty = text_range.is_empty()
        else:
            assert isinstance(low, float) and isinstance(high, float)
            interval = Interval(low, high, low_closed, high_closed)
            atom = Atom.number(interval, ordering=True)
            empty = interval.is_empty()
        if empty:  # FEEL: a backwards or open one-point range is empty, and matches nothing
            source = self.text[opener.pos : closer.pos + 1]
            atom = replace(atom, empty_range=source)
        return atom

    def endpoint(self, token: Token) -> float:
        """A numeric interval end; an unquoted name is refused (FEEL reads it as a variable)."""
        if token.kind == "word" and token.text.lower() not in ("true", "false", "null", "not"):
            raise self.error(_name_message(token.text, "an interval"), token)
        return self.number(token)


def _name_message(word: str, where: str) -> str:
    return (
        f"the unquoted {word!r} in {where} would be a FEEL name (a variable), which cells "
        "cannot refer to; quote it to compare with the text"
    )


def _text_comparison(symbol: str, text: str) -> TextRange:
    return {
        "<": TextRange(None, text, True, False),
        "<=": TextRange(None, text, True, True),
        ">": TextRange(text, None, False, True),
        ">=": TextRange(text, None, True, True),
    }[symbol]


def _not_equal(value: float) -> Atom:
    from engine.rules.conditions import Interval

    # != v as the union (-inf, v) ∪ (v, inf): an Atom holds one interval, so mark it with
    # ``negated`` and let the combiner split it.
    return Atom("number", interval=Interval(value, value), negated=True, on_null=True)


def parse_cell_text(
    text: str, *, column: str, file: str | None, rule_id: str | None, line: int | None
) -> ParsedCell:
    """Parse the text of one condition cell into atoms (RuleError on any syntax problem)."""
    where: dict[str, Any] = {"column": column, "file": file, "rule_id": rule_id, "line": line}
    return _Parser(text, where).parse()
