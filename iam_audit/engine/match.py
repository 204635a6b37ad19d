"""Wildcard matching and policy-variable templates, compiled once per pattern.

Nothing is cached at module level: a pattern's matcher is kept by what holds the pattern (a
compiled statement, a :class:`Template`, a :class:`Resolution`), so it lives as long as the
compiled document it belongs to.

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

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from msgspec import Struct

__all__ = [
    "ActionMatcher",
    "Glob",
    "Resolution",
    "Template",
    "arn_like",
    "glob",
    "has_wildcard",
    "open_values",
]

# compiled on first use (re's own cache of patterns), not at import: only a policy string with
# a variable needs it
_VARIABLE_RE = r"\$\{([^{}]*)\}"
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


def has_wildcard(text: str) -> bool:
    """Does ``text`` hold an IAM wildcard (``*`` or ``?``)?"""
    return "*" in text or "?" in text


# ---------------------------------------------------------------------------------------------
# Wildcard matching in linear time
#
# A pattern is read as segments of fixed length (literal characters and ``?``) separated by runs
# of ``*``. Inside a run of ``*`` and ``?`` with at least one ``*``, the ``?`` can move before
# the stars (``*?*?`` and ``??*`` match the same strings), so ``*?*?*?*?*?*?*?*?Z`` becomes the
# segment ``????????``, then ``*``, then ``Z``. A string then matches when the first segment
# matches at its start, the last at its end, and each middle segment is found, in order, at its
# leftmost place between them: taking the leftmost place of a fixed-length segment leaves the
# most room for the rest, so no other choice can succeed where it fails. No position is ever
# revisited, which bounds the work by the string's length times the pattern's (never the
# exponential backtracking of a regular expression such as ``.*..*..*.``): segments without
# ``?`` are found with ``str.find``; one holding both ``?`` and characters with a regular
# expression made only of literals and ``.``, which has no quantifier or alternation and so no
# choice to backtrack into (each start position costs at most the segment's length).


class _Segment:
    """A run of literal characters and ``?`` (fixed length), found or tested in a string."""

    __slots__ = ("length", "regex", "text")

    def __init__(self, items: list[str | None]) -> None:
        # items: one character each, None for ``?``
        self.length = len(items)
        if all(item is not None for item in items):
            self.text: str | None = "".join(item for item in items if item is not None)
            self.regex: re.Pattern[str] | None = None
        else:
            self.text = None
            literal = any(item is not None for item in items)
            source = "".join("." if item is None else re.escape(item) for item in items)
            self.regex = re.compile(source, re.DOTALL) if literal else None

    def at(self, value: str, position: int) -> bool:
        """Does the segment match ``value`` at ``position`` (the caller checked the length)?"""
        if self.text is not None:
            return value.startswith(self.text, position)
        if self.regex is None:
            return True  # only ``?``: any characters
        return self.regex.match(value, position) is not None

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost position at or after ``start`` where the segment matches and ends by
        ``end``; -1 when there is none."""
        if self.text is not None:
            return value.find(self.text, start, end)
        if self.regex is None:
            return start if start + self.length <= end else -1
        found = self.regex.search(value, start, end)
        return -1 if found is None else found.start()


def _segments(pieces: tuple[tuple[str, bool], ...]) -> list[list[str | None]]:
    """Split pieces into fixed-length segments at each run of ``*`` (``?`` moved before it)."""
    segments: list[list[str | None]] = [[]]
    star = False  # inside a run of wildcards that holds a ``*``
    for text, wild in pieces:
        for char in text:
            if wild and char == "*":
                star = True
            elif wild and char == "?":
                segments[-1].append(None)
            else:
                if star:
                    segments.append([])
                    star = False
                segments[-1].append(char)
    if star:
        segments.append([])
    return segments


class Glob:
    """A compiled IAM wildcard pattern; :meth:`fullmatch` tests a whole string in linear time.

    See the comment above :class:`_Segment` for the algorithm and why it is exact.
    """

    __slots__ = ("_all", "_exact", "_head", "_middle", "_min", "_tail")

    def __init__(self, pieces: tuple[tuple[str, bool], ...]) -> None:
        raw = _segments(pieces)
        segments = [_Segment(items) for items in raw]
        self._head = segments[0]
        self._tail = segments[-1] if len(segments) > 1 else None
        self._middle = tuple(segments[1:-1])
        self._min = sum(segment.length for segment in segments)
        self._exact = self._head.text if self._tail is None else None
        self._all = self._tail is not None and not self._min and not self._middle  # ``*``

    def fullmatch(self, value: str) -> bool:
        """Does the pattern match all of ``value``?"""
        if self._exact is not None:
            return value == self._exact
        if self._all:
            return True
        size = len(value)
        head, tail = self._head, self._tail
        if tail is None:  # no ``*``: one fixed-length segment
            return size == head.length and head.at(value, 0)
        if size < self._min or not head.at(value, 0):
            return False
        end = size - tail.length
        if not tail.at(value, end):
            return False
        position = head.length
        for segment in self._middle:
            found = segment.find(value, position, end)
            if found < 0:
                return False
            position = found + segment.length
        return True


def glob(pattern: str) -> Glob:
    """The :class:`Glob` of a wildcard pattern (``*`` and ``?`` are wildcards).

    Matching is case-sensitive: for actions, lower-case both the pattern and the string. Not
    cached: keep the result where the pattern is kept.
    """
    return Glob(((pattern, True),))


# ---------------------------------------------------------------------------------------------
# Actions


class ActionMatcher(Struct, frozen=True):
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


class _Literal(Struct, frozen=True):
    text: str
    wildcards: bool  # True: * and ? in text are wildcards; False: taken literally


class _Variable(Struct, frozen=True):
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
    # matchers built on first use and kept with the resolution (a template without variables
    # has one resolution, so they are built once per policy value)
    _glob: Glob | None = field(default=None, init=False, repr=False, compare=False)
    _arn: tuple[Glob, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def text(self) -> str | None:
        """The resolved string (wildcard characters kept as written)."""
        if self.pieces is None:
            return None
        return "".join(text for text, _ in self.pieces)

    def fullmatch(self, value: str) -> bool:
        """Does the resolved pattern match all of ``value``? A null resolution matches nothing."""
        if self.pieces is None:
            return False
        if self._glob is None:
            object.__setattr__(self, "_glob", Glob(self.pieces))
        assert self._glob is not None
        return self._glob.fullmatch(value)

    def arn_like(self, value: str) -> bool:
        """ArnEquals/ArnLike of ``value`` against the resolved pattern (see :func:`arn_like`)."""
        pieces = self.pieces
        if pieces is None:
            return False
        if self._arn is None:
            segments = _split_pieces(pieces)
            # fewer than six components: not an ARN pattern (only "*" matches, see arn_like)
            globs = tuple(Glob(segment) for segment in segments) if len(segments) >= 6 else ()
            object.__setattr__(self, "_arn", globs)
        assert self._arn is not None
        if not self._arn:
            return pieces == (("*", True),)
        value_segments = value.split(":", 5)
        if len(value_segments) < 6:
            return False
        return all(
            segment.fullmatch(text) for segment, text in zip(self._arn, value_segments, strict=True)
        )


def _variable_body(body: str) -> tuple[str, str | None] | None:
    """``aws:PrincipalTag/team, 'x'`` → (key, default); ``None`` when not a variable.

    The key holds no comma or quote; the default, after one comma, is a single-quoted string.
    (Parsed by hand: a regular expression with a lazy key is quadratic on long bodies.)
    """
    key_part, comma, rest = body.partition(",")
    key = key_part.strip()
    if not key or "'" in key:
        return None
    if not comma:
        return key, None
    default = rest.strip()
    if len(default) < 2 or default[0] != "'" or default[-1] != "'" or "'" in default[1:-1]:
        return None
    return key, default[1:-1]


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string (resource pattern or condition value), split around policy variables."""

    raw: str
    parts: tuple[_Part, ...]
    variables: tuple[str, ...]  # lower-case keys of the variables, in order
    # without variables, the one resolution (and its matchers), shared by every request;
    # with them, the pattern with each variable read as ``*``; both built on first use
    _static: Resolution | None = field(default=None, init=False, repr=False, compare=False)
    _open: Glob | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, raw: str, *, variables: bool) -> Template:
        """Split ``raw``; ``variables`` is whether the document's Version enables them."""
        if not variables or "${" not in raw:
            return cls(raw, (_Literal(raw, True),), ())
        parts: list[_Part] = []
        keys: list[str] = []
        position = 0
        for match in re.finditer(_VARIABLE_RE, raw):
            if match.start() > position:
                parts.append(_Literal(raw[position : match.start()], True))
            body = match.group(1)
            if body in _ESCAPES:
                parts.append(_Literal(_ESCAPES[body], False))
            else:
                inner = _variable_body(body)
                if inner is None:
                    parts.append(_Literal(match.group(0), True))
                else:
                    key_text, default = inner
                    parts.append(_Variable(key_text.lower(), key_text, default))
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
            if self._static is None:
                object.__setattr__(self, "_static", Resolution(self.static_pieces, ()))
            assert self._static is not None
            return self._static
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

    def open_pieces(self) -> tuple[tuple[str, bool], ...]:
        """This template's pieces with every variable read as ``*``."""
        return tuple(
            (part.text, part.wildcards) if isinstance(part, _Literal) else ("*", True)
            for part in self.parts
        )

    def open_glob(self) -> Glob:
        """This template with every variable replaced by ``*``: what it could match at most."""
        if self._open is None:
            object.__setattr__(self, "_open", Glob(self.open_pieces()))
        assert self._open is not None
        return self._open


def open_values(
    pieces: tuple[tuple[str, bool], ...], values: tuple[str, ...]
) -> tuple[tuple[tuple[str, bool], ...], tuple[str, ...]]:
    """``pieces`` with each occurrence of one of ``values`` read as ``*``, and the values found.

    For strings that stand for a value nobody knows yet (see ``Request.unknown_values``): at
    each position the longest value that starts there is taken.
    """
    out: list[tuple[str, bool]] = []
    found: set[str] = set()
    for text, wild in pieces:
        start = 0
        while True:
            hits = [(at, -len(v), v) for v in values if v and (at := text.find(v, start)) >= 0]
            if not hits:
                break
            at, _, value = min(hits)
            if at > start:
                out.append((text[start:at], wild))
            out.append(("*", True))
            found.add(value)
            start = at + len(value)
        if start < len(text) or not text:
            out.append((text[start:], wild))
    return tuple(out), tuple(sorted(found))


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
    :meth:`Resolution.arn_like` is the same test with the segment matchers kept.
    """
    return Resolution(pieces, ()).arn_like(value)
