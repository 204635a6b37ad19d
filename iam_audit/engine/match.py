"""Wildcard matching and policy-variable templates, compiled once per pattern.

IAM wildcards: ``*`` matches any run of characters (including ``:`` and ``/``) and ``?`` exactly one
character (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
"Using wildcards in resource ARNs"). Actions compare case-insensitively, resources and condition
values case-sensitively.

A :class:`Template` is a policy string split into literal text, wildcard text and policy variables
(``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``, and the escapes ``${*}``, ``${?}``,
``${$}``; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
Variables are recognised only in documents whose ``Version`` is ``"2012-10-17"``; otherwise the
text is taken literally ("variables like ``${aws:username}`` are treated as literal strings").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass

__all__ = [
    "ActionMatcher",
    "Glob",
    "Resolution",
    "Template",
    "arn_like",
    "glob",
    "glob_regex",
    "has_wildcard",
    "pieces_glob",
]

_VARIABLE_RE = re.compile(r"\$\{([^{}]*)\}")
_VARIABLE_BODY_RE = re.compile(r"\s*([^,'\s][^,']*?)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def has_wildcard(text: str) -> bool:
    """Does ``text`` hold an IAM wildcard (``*`` or ``?``)?"""
    return "*" in text or "?" in text


def _glob_source(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return "".join(out)


@functools.lru_cache(maxsize=16384)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """The compiled regular expression of an IAM wildcard pattern (use ``fullmatch``)."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_glob_source(pattern), flags)


@functools.lru_cache(maxsize=16384)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


class Glob:
    """A compiled IAM wildcard pattern; :meth:`fullmatch` tests a whole string.

    Patterns made of literal text and ``*`` (nearly all of them) match without regular
    expressions: a prefix, a suffix and the chunks between stars found in order (leftmost-first
    is exact for ``*``). Patterns with ``?`` fall back to a cached regular expression.
    """

    __slots__ = ("_chunks", "_exact", "_min", "_regex")

    def __init__(self, pieces: tuple[tuple[str, bool], ...]) -> None:
        chunks: list[str] = [""]
        question = False
        for text, wild in pieces:
            if not wild:
                chunks[-1] += text
                continue
            question = question or "?" in text
            first, *rest = text.split("*")
            chunks[-1] += first
            chunks.extend(rest)
        self._regex = _compiled(_pieces_source(pieces)) if question else None
        self._exact = chunks[0] if len(chunks) == 1 and not question else None
        self._chunks = tuple(chunks)
        self._min = sum(len(chunk) for chunk in chunks)

    def fullmatch(self, value: str) -> bool:
        """Does the pattern match all of ``value``?"""
        if self._exact is not None:
            return value == self._exact
        if self._regex is not None:
            return self._regex.fullmatch(value) is not None
        chunks = self._chunks
        first, last = chunks[0], chunks[-1]
        if len(value) < self._min or not value.startswith(first) or not value.endswith(last):
            return False
        position, end = len(first), len(value) - len(last)
        for chunk in chunks[1:-1]:
            found = value.find(chunk, position, end)
            if found < 0:
                return False
            position = found + len(chunk)
        return True


def glob(pattern: str) -> Glob:
    """The :class:`Glob` of a wildcard pattern (uncached: callers keep it)."""
    return Glob(((pattern, True),))


@functools.lru_cache(maxsize=16384)
def pieces_glob(pieces: tuple[tuple[str, bool], ...]) -> Glob:
    """The :class:`Glob` of resolved template pieces (cached: built per request)."""
    return Glob(pieces)


# ---------------------------------------------------------------------------------------------
# Actions


@dataclass(frozen=True, slots=True)
class ActionMatcher:
    """The ``Action`` (or ``NotAction``) list of one statement, pre-lowercased.

    ``exact``: names without wildcards; ``prefixes``: ``service:`` of ``service:*`` entries;
    ``patterns``: other wildcard entries; ``everything``: the list holds ``*``.
    ``services``: the service prefixes the entries can match, or ``None`` when an entry's prefix
    itself holds a wildcard (the statement is then a candidate for every service).
    """

    exact: frozenset[str]
    prefixes: tuple[str, ...]
    patterns: tuple[Glob, ...]
    everything: bool
    services: frozenset[str] | None
    texts: tuple[str, ...]

    @classmethod
    def build(cls, actions: tuple[str, ...]) -> ActionMatcher:
        exact: set[str] = set()
        prefixes: list[str] = []
        patterns: list[Glob] = []
        services: set[str] | None = set()
        everything = False
        for text in actions:
            lowered = text.lower()
            service, _, name = lowered.partition(":")
            if lowered == "*" or (service == "*" and name == "*"):
                everything = True
                services = None
                continue
            if services is not None:
                if has_wildcard(service):
                    services = None
                else:
                    services.add(service)
            if not has_wildcard(lowered):
                exact.add(lowered)
            elif name == "*" and not has_wildcard(service):
                prefixes.append(service + ":")
            else:
                patterns.append(glob(lowered))
        return cls(
            exact=frozenset(exact),
            prefixes=tuple(prefixes),
            patterns=tuple(patterns),
            everything=everything,
            services=frozenset(services) if services is not None else None,
            texts=actions,
        )

    def matches(self, action: str) -> bool:
        """Does the list cover ``action``? ``action`` must already be lower-case."""
        if self.everything or action in self.exact:
            return True
        if any(action.startswith(prefix) for prefix in self.prefixes):
            return True
        return any(pattern.fullmatch(action) for pattern in self.patterns)


# ---------------------------------------------------------------------------------------------
# Templates (policy variables)


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str
    wildcards: bool  # True: * and ? in text are wildcards; False: taken literally


@dataclass(frozen=True, slots=True)
class _Variable:
    key: str  # lower-case condition key
    key_text: str  # as written
    default: str | None


_Part = _Literal | _Variable


@dataclass(frozen=True, slots=True)
class Resolution:
    """A template with its variables filled in from a request context.

    ``pieces`` is ``None`` when some variable has no value (and no default): AWS then treats the
    value as null, which matches nothing. ``unknown`` names, as written, the variables whose keys
    the caller did not supply, whether a default stood in for them or not: another request could
    give them a value, so the resolution holds for this context only.
    """

    pieces: tuple[tuple[str, bool], ...] | None
    unknown: tuple[str, ...]

    def text(self) -> str | None:
        """The resolved string (wildcard characters kept as written)."""
        if self.pieces is None:
            return None
        return "".join(text for text, _ in self.pieces)


def _pieces_source(pieces: tuple[tuple[str, bool], ...]) -> str:
    return "".join(_glob_source(text) if wild else re.escape(text) for text, wild in pieces)


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string (resource pattern or condition value), split around policy variables."""

    raw: str
    parts: tuple[_Part, ...]
    variables: tuple[str, ...]  # lower-case keys of the variables, in order

    @classmethod
    def build(cls, raw: str, *, variables: bool) -> Template:
        """Split ``raw``; ``variables`` is whether the document's Version enables them."""
        if not variables or "${" not in raw:
            return cls(raw, (_Literal(raw, True),), ())
        parts: list[_Part] = []
        keys: list[str] = []
        position = 0
        for match in _VARIABLE_RE.finditer(raw):
            if match.start() > position:
                parts.append(_Literal(raw[position : match.start()], True))
            body = match.group(1)
            if body in _ESCAPES:
                parts.append(_Literal(_ESCAPES[body], False))
            else:
                inner = _VARIABLE_BODY_RE.fullmatch(body)
                if inner is None:
                    parts.append(_Literal(match.group(0), True))
                else:
                    key_text = inner.group(1)
                    parts.append(_Variable(key_text.lower(), key_text, inner.group(2)))
                    keys.append(key_text.lower())
            position = match.end()
        if position < len(raw):
            parts.append(_Literal(raw[position:], True))
        return cls(raw, tuple(parts), tuple(keys))

    @property
    def is_static(self) -> bool:
        """No variables: the template matches the same strings in every request."""
        return not self.variables

    @property
    def static_pieces(self) -> tuple[tuple[str, bool], ...]:
        return tuple(
            (part.text, part.wildcards) for part in self.parts if isinstance(part, _Literal)
        )

    def resolve(
        self, values: Mapping[str, tuple[str, ...]], supplied: Container[str]
    ) -> Resolution:
        """Fill variables from ``values`` (lower-case keys); defaults apply to absent keys.

        ``supplied``: the keys whose value (or absence) is known. A variable whose key holds more
        than one value resolves to null ("You can't use a multivalued condition key as a
        variable").
        """
        if not self.variables:
            return Resolution(self.static_pieces, ())
        pieces: list[tuple[str, bool]] = []
        unknown: list[str] = []
        null = False
        for part in self.parts:
            if isinstance(part, _Literal):
                pieces.append((part.text, part.wildcards))
                continue
            found = values.get(part.key)
            if found:
                if len(found) == 1:
                    pieces.append((found[0], False))
                else:
                    null = True
                continue
            if part.key not in supplied:
                unknown.append(part.key_text)
            if part.default is not None:
                pieces.append((part.default, False))
            else:
                null = True
        return Resolution(None if null else tuple(pieces), tuple(sorted(set(unknown))))

    def open_glob(self) -> Glob:
        """This template with every variable replaced by ``*``: what it could match at most."""
        pieces = tuple(
            (part.text, part.wildcards) if isinstance(part, _Literal) else ("*", True)
            for part in self.parts
        )
        return pieces_glob(pieces)


def _split_pieces(pieces: tuple[tuple[str, bool], ...]) -> list[tuple[tuple[str, bool], ...]]:
    """Split pieces on ``:`` into at most six ARN segments (the last keeps its colons)."""
    segments: list[list[tuple[str, bool]]] = [[]]
    for text, wild in pieces:
        chunk = ""
        for char in text:
            if char == ":" and len(segments) < 6:
                segments[-1].append((chunk, wild))
                segments.append([])
                chunk = ""
            else:
                chunk += char
        segments[-1].append((chunk, wild))
    return [tuple(segment) for segment in segments]


def arn_like(pieces: tuple[tuple[str, bool], ...], value: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-delimited ARN components matched separately.

    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN)
    The pattern ``"*"`` matches any value; any other pattern of fewer than six components is not
    an ARN pattern and matches nothing (known limit: AWS does not document this case).
    """
    pattern_segments = _split_pieces(pieces)
    if len(pattern_segments) < 6:
        return pieces == (("*", True),)
    value_segments = value.split(":", 5)
    if len(value_segments) < 6:
        return False
    return all(
        pieces_glob(segment).fullmatch(text)
        for segment, text in zip(pattern_segments, value_segments, strict=True)
    )
