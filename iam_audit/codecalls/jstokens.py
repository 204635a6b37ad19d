"""A small JavaScript/TypeScript tokenizer: enough to tell code from strings, comments and regexes.

It does not validate anything. Strings and template literals become one token each (a template
with ``${...}`` substitutions has no single value; the code inside each substitution follows the
template token, each substitution wrapped in parentheses, so calls inside are still seen),
comments vanish, and a ``/`` starts a
regular expression literal where an expression may begin (after an operator, an opening bracket,
a comma or a keyword such as ``return``), as the ECMAScript grammar decides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "tokenize"]

_PUNCTUATORS = sorted(
    (
        ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
        "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=",
        "/=", "%=", "&=", "|=", "^=", "<<", ">>", "**",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
_KEYWORDS_BEFORE_EXPRESSION = frozenset(
    (
        "return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw",
        "instanceof", "yield", "await", "extends",
    )
)  # fmt: skip
_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _p in _PUNCTUATORS:
    _BY_FIRST[_p[0]] = (*_BY_FIRST.get(_p[0], ()), _p)
_SPACE = re.compile(r"[ \t\r\f\v\u00a0\ufeff]+")
_IDENTIFIER = re.compile(r"[A-Za-z_$\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


@dataclass(frozen=True, slots=True)
class Token:
    """``kind`` is ``id``, ``str`` (``value`` holds the text), ``tpl`` (``value`` ``None`` when it
    has substitutions), ``num``, ``regex`` or ``punct``; ``line`` is 1-based."""

    kind: str
    text: str
    line: int
    value: str | None = None


def _is_id_start(ch: str) -> bool:
    return ch.isalpha() or ch in "_$" or ord(ch) > 127


def _is_id_part(ch: str) -> bool:
    return ch.isalnum() or ch in "_$" or ord(ch) > 127


class _Lexer:
    def __init__(self, text: str, line: int = 1) -> None:
        self.s = text
        self.i = 0
        self.line = line
        self.tokens: list[Token] = []

    def _regex_allowed(self) -> bool:
        if not self.tokens:
            return True
        last = self.tokens[-1]
        if last.kind == "id":
            return last.text in _KEYWORDS_BEFORE_EXPRESSION
        if last.kind in ("str", "tpl", "num", "regex"):
            return False
        return last.text not in (")", "]", "}")

    def _string(self, quote: str) -> None:
        s, start, line = self.s, self.i, self.line
        self.i += 1
        out: list[str] = []
        while self.i < len(s) and s[self.i] != quote:
            ch = s[self.i]
            if ch == "\\" and self.i + 1 < len(s):
                nxt = s[self.i + 1]
                if nxt == "\n":
                    self.line += 1
                out.append(_ESCAPES.get(nxt, nxt))
                self.i += 2
                continue
            if ch == "\n":  # unterminated: stop at the line end
                break
            out.append(ch)
            self.i += 1
        self.i += 1
        self.tokens.append(Token("str", s[start : self.i], line, "".join(out)))

    def _template(self) -> None:
        s, start, line = self.s, self.i, self.line
        self.i += 1
        out: list[str] = []
        inside: list[Token] = []
        plain = True
        while self.i < len(s) and s[self.i] != "`":
            ch = s[self.i]
            if ch == "\\" and self.i + 1 < len(s):
                out.append(_ESCAPES.get(s[self.i + 1], s[self.i + 1]))
                self.line += s[self.i + 1] == "\n"
                self.i += 2
                continue
            if ch == "$" and s.startswith("${", self.i):
                plain = False
                self.i += 2
                depth, begin, inner_line = 1, self.i, self.line
                inner = _Lexer(s, inner_line)
                inner.i = begin
                while inner.i < len(s) and depth:
                    before = len(inner.tokens)
                    inner.step()
                    if len(inner.tokens) > before:
                        text = inner.tokens[-1].text
                        if text == "{":
                            depth += 1
                        elif text == "}":
                            depth -= 1
                if inner.tokens and inner.tokens[-1].text == "}":
                    inner.tokens.pop()
                inside.append(Token("punct", "(", inner_line))
                inside.extend(inner.tokens)
                inside.append(Token("punct", ")", inner.line))
                self.i, self.line = inner.i, inner.line
                continue
            if ch == "\n":
                self.line += 1
            out.append(ch)
            self.i += 1
        self.i += 1
        value = "".join(out) if plain else None
        self.tokens.append(Token("tpl", s[start : self.i], line, value))
        self.tokens.extend(inside)

    def _regex(self) -> None:
        s, start = self.s, self.i
        self.i += 1
        in_class = False
        while self.i < len(s) and s[self.i] != "\n":
            ch = s[self.i]
            if ch == "\\":
                self.i += 2
                continue
            if ch == "[":
                in_class = True
            elif ch == "]":
                in_class = False
            elif ch == "/" and not in_class:
                break
            self.i += 1
        self.i += 1
        while self.i < len(s) and _is_id_part(s[self.i]):
            self.i += 1
        self.tokens.append(Token("regex", s[start : self.i], self.line))

    def step(self) -> None:
        """Consume one token (or whitespace, or a comment)."""
        s, i = self.s, self.i
        ch = s[i]
        if ch == "\n":
            self.line += 1
            self.i += 1
        elif ch.isspace():
            found = _SPACE.match(s, i)
            self.i = found.end() if found else i + 1
        elif s.startswith("//", i) or (i == 0 and s.startswith("#!")):
            end = s.find("\n", i)
            self.i = len(s) if end < 0 else end
        elif s.startswith("/*", i):
            end = s.find("*/", i + 2)
            end = len(s) if end < 0 else end + 2
            self.line += s.count("\n", i, end)
            self.i = end
        elif ch in "'\"":
            self._string(ch)
        elif ch == "`":
            self._template()
        elif _is_id_start(ch) or ch == "\\":
            found = _IDENTIFIER.match(s, i)
            j = found.end() if found else i + 1
            self.tokens.append(Token("id", s[i:j], self.line))
            self.i = j
        elif ch.isdigit() or (ch == "." and i + 1 < len(s) and s[i + 1].isdigit()):
            j = i + 1
            while j < len(s) and (s[j].isalnum() or s[j] in "._"):
                j += 1
            self.tokens.append(Token("num", s[i:j], self.line))
            self.i = j
        elif ch == "/" and self._regex_allowed():
            self._regex()
        else:
            for punct in _BY_FIRST.get(ch, ()):
                if s.startswith(punct, i):
                    self.tokens.append(Token("punct", punct, self.line))
                    self.i += len(punct)
                    return
            self.tokens.append(Token("punct", ch, self.line))
            self.i += 1

    def run(self) -> None:
        while self.i < len(self.s):
            self.step()


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``."""
    lexer = _Lexer(text)
    lexer.run()
    return lexer.tokens
