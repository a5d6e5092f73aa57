"""Tokenizer and recursive-descent parser of the derived-field language into a whitelisted AST.

Grammar, loosest binding first::

    expr    := 'if' expr 'then' expr 'else' expr | or
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>=') sum)?
    sum     := product (('+' | '-') product)*
    product := unary (('*' | '/') unary)*
    unary   := '-' unary | '+' unary | atom
    atom    := NUMBER | STRING | 'true' | 'false' | 'null' | NAME | FUNC '(' expr (',' expr)* ')'
             | '(' expr ')' | 'if' ...      (an if in operand position: its else runs to the end)

Only the node classes below exist; nothing is ever handed to ``eval`` or ``exec``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from engine.errors import RuleError

__all__ = [
    "FUNCTIONS",
    "Binary",
    "Call",
    "Column",
    "Conditional",
    "Literal",
    "Node",
    "Unary",
    "parse_tree",
]

# name -> (min args, max args)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "min": (1, 16),
    "max": (1, 16),
    "abs": (1, 1),
    "round": (1, 2),
}
KEYWORDS = {"and", "or", "not", "if", "then", "else", "true", "false", "null"}
MAX_DEPTH = 60

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>>=|<=|!=|==|<>|[-+*/<>=(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Literal:
    value: float | str | bool | None


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # '-' | 'not'
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / = != < <= > >= and or
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Conditional:
    condition: Node
    then: Node
    otherwise: Node


Node = Literal | Column | Unary | Binary | Call | Conditional


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


class _Parser:
    def __init__(self, text: str, where: dict[str, Any]) -> None:
        self.text = text
        self.where = where
        self.tokens: list[_Token] = []
        self.pos = 0
        self.depth = 0
        self._tokenize()

    def error(self, message: str, token: _Token | None = None) -> RuleError:
        at = token.pos if token is not None else len(self.text)
        return RuleError(
            f"expression {self.text!r}: {message} (at character {at + 1})",
            file=self.where["file"],
            rule_id=self.where["rule_id"],
            line=self.where["line"],
        )

    def _tokenize(self) -> None:
        pos = 0
        while pos < len(self.text):
            match = _TOKEN.match(self.text, pos)
            if match is None:
                bad = self.text[pos]
                raise self.error(f"unexpected character {bad!r}", _Token("?", bad, pos))
            kind = match.lastgroup or ""
            if kind != "space":
                self.tokens.append(_Token(kind, match.group(), pos))
            pos = match.end()

    def peek(self, text: str | None = None) -> _Token | None:
        token = self.tokens[self.pos] if self.pos < len(self.tokens) else None
        if text is not None and (token is None or not self._is(token, text)):
            return None
        return token

    @staticmethod
    def _is(token: _Token, text: str) -> bool:
        if token.kind == "name":
            return token.text.lower() == text
        return token.kind == "op" and token.text == text

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of expression")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if not self._is(token, text):
            raise self.error(f"expected {text!r}, found {token.text!r}", token)

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("empty expression")
        node = self.expr()
        extra = self.peek()
        if extra is not None:
            raise self.error(f"unexpected {extra.text!r}", extra)
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("nested too deeply", self.peek())
        try:
            if self.peek("if"):
                self.take()
                condition = self.expr()
                self.expect("then")
                then = self.expr()
                self.expect("else")
                return Conditional(condition, then, self.expr())
            return self.disjunction()
        finally:
            self.depth -= 1

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.peek("or"):
            self.take()
            node = Binary("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.peek("and"):
            self.take()
            node = Binary("and", node, self.negation())
        return node

    def negation(self) -> Node:
        if self.peek("not"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error("nested too deeply", self.peek())
            node = Unary("not", self.negation())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        node = self.sum()
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in _COMPARE:
            self.take()
            node = Binary(_COMPARE[token.text], node, self.sum())
            after = self.peek()
            if after is not None and after.kind == "op" and after.text in _COMPARE:
                raise self.error("comparisons cannot be chained; use 'and'", after)
        return node

    def sum(self) -> Node:
        node = self.product()
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "+-":
            self.take()
            node = Binary(token.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "*/":
            self.take()
            node = Binary(token.text, node, self.unary())
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in "+-":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error("nested too deeply", token)
            operand = self.unary()
            self.depth -= 1
            if token.text == "+":
                return operand
            if isinstance(operand, Literal) and isinstance(operand.value, float):
                return Literal(-operand.value)
            return Unary("-", operand)
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            value = float(token.text)
            if math.isinf(value):
                raise self.error(f"number {token.text} is out of range", token)
            return Literal(value)
        if token.kind == "string":
            body = token.text[1:-1]
            return Literal(re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body))
        if token.kind == "op" and token.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        if token.kind == "name":
            word = token.text.lower()
            if word == "if":
                self.pos -= 1
                return self.expr()
            if word in ("true", "false"):
                return Literal(word == "true")
            if word == "null":
                return Literal(None)
            if word in KEYWORDS:
                raise self.error(f"unexpected keyword {token.text!r}", token)
            if self.peek("("):
                return self.call(token)
            return Column(token.text)
        raise self.error(f"unexpected {token.text!r}", token)

    def call(self, name: _Token) -> Node:
        function = name.text.lower()
        if function not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {name.text!r} (allowed: {allowed})", name)
        self.expect("(")
        args = [self.expr()]
        while self.peek(","):
            self.take()
            args.append(self.expr())
        self.expect(")")
        low, high = FUNCTIONS[function]
        if not low <= len(args) <= high:
            raise self.error(f"{function}() takes {low} to {high} arguments, got {len(args)}", name)
        return Call(function, tuple(args))


_COMPARE = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def parse_tree(
    text: str, *, file: str | None = None, rule_id: str | None = None, line: int | None = None
) -> Node:
    """Parse ``text`` into an AST; every syntax problem raises :class:`RuleError`."""
    where: dict[str, Any] = {"file": file, "rule_id": rule_id, "line": line}
    if not isinstance(text, str):
        raise RuleError(f"an expression must be text, got {type(text).__name__}", **where)
    return _Parser(text, where).parse()
