"""CSV preflight: every problem Cognito's user import would hit, found before the job runs.

The file is read twice, line by line, so memory does not grow with its size: the first pass finds
bad input (binary data, a wrong delimiter, a header-only file) and candidate duplicate usernames
through a fixed-size bit set; the second checks every row and, when asked, splits the file into
the rows that import and the rows that would fail, copying each line byte for byte.

The dialect is the one AWS documents, not RFC 4180 (FACTS.md §2): one user per physical line, a
comma inside a value is written ``\\,``, values are not quoted, leading and trailing white space is
trimmed, the file is UTF-8 without a byte-order mark. Booleans are ``TRUE``/``FALSE``; AWS's
examples use upper case and document no case rule, so any case is accepted.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import IO, Any, ClassVar, NamedTuple

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, REGION_CODE_FOR_NON_GEO_ENTITY
from phonenumbers import phonenumberutil as _library
from phonenumbers.phonemetadata import PhoneMetadata

from iam_audit.errors import InputError
from iam_audit.findings import Severity
from iam_audit.preflight.schema import DEFAULT_MAX_LENGTH, MfaConfiguration, PoolSchema
from iam_audit.render.escape import shell_command
from iam_audit.results import ResultKind, Row, Status, fails

__all__ = [
    "CSV_RULES",
    "SCHEMA_RULES",
    "CsvReport",
    "CsvRule",
    "Problem",
    "check_csv",
    "rule",
]

#: Limits from the Cognito quotas page and the import guide (FACTS.md §2).
MAX_ROW_CHARS = 16_000
MAX_FILE_BYTES = 100 * 1024 * 1024  # "100 MB", read as MiB
MAX_USERS = 500_000
_LINE_CAP = 1024 * 1024  # a line longer than this in bytes is certainly over 16,000 characters
_SNIFF_BYTES = 8192
_BOM = b"\xef\xbb\xbf"
_MEMO_SIZE = 1 << 15  # distinct values whose problems a column remembers (bounded memory)
#: Columns whose values seldom repeat (one per user): their problems are not remembered.
_UNIQUE_VALUES = frozenset({"phone_number", "email", "updated_at"})
_BITSET_BITS = 1 << 26  # 8 MiB: about 0.7 % false candidates at 500,000 users, confirmed exactly


@dataclass(frozen=True, slots=True)
class CsvRule:
    """A kind of problem: stable kebab-case ``id``, ``severity`` and a one-line summary.

    ``error`` means the row (or, for header and file rules, the whole job) would fail;
    ``warning`` means the import would accept it but probably not as intended.
    """

    id: str
    severity: Severity
    summary: str


CSV_RULES: tuple[CsvRule, ...] = (
    CsvRule("utf8-bom", Severity.ERROR, "the file starts with a UTF-8 byte-order mark"),
    CsvRule("not-utf8", Severity.ERROR, "a line is not valid UTF-8"),
    CsvRule("header-missing-column", Severity.ERROR, "a column of the pool's header is missing"),
    CsvRule("header-unknown-column", Severity.ERROR, "a column the pool's header does not have"),
    CsvRule("header-duplicate-column", Severity.ERROR, "a column appears twice in the header"),
    CsvRule(
        "pool-no-auto-verified-attribute",
        Severity.ERROR,
        "the pool has no auto-verified attribute, so the import job will not start",
    ),
    CsvRule("file-too-large", Severity.ERROR, "the file passes 100 MB at this line"),
    CsvRule("too-many-users", Severity.ERROR, "more than 500,000 users"),
    CsvRule("row-too-long", Severity.ERROR, "a row longer than 16,000 characters"),
    CsvRule("blank-line", Severity.WARNING, "an empty row; it goes to the rejects file"),
    CsvRule("column-count", Severity.ERROR, "a row has more or fewer values than the header"),
    CsvRule("username-missing", Severity.ERROR, "cognito:username is empty"),
    CsvRule("username-whitespace", Severity.ERROR, "cognito:username contains spaces or tabs"),
    CsvRule("duplicate-username", Severity.ERROR, "cognito:username repeats an earlier row"),
    CsvRule(
        "duplicate-alias",
        Severity.WARNING,
        "a verified email/phone used as alias or username repeats an earlier row",
    ),
    CsvRule("email-verified-without-email", Severity.ERROR, "email_verified is TRUE, email empty"),
    CsvRule(
        "phone-verified-without-phone",
        Severity.ERROR,
        "phone_number_verified is TRUE, phone_number empty",
    ),
    CsvRule(
        "no-auto-verified-attribute-true",
        Severity.ERROR,
        "none of the pool's auto-verified attributes is TRUE for the user",
    ),
    CsvRule("required-attribute-missing", Severity.ERROR, "a required attribute is empty"),
    CsvRule(
        "invalid-boolean", Severity.ERROR, "a boolean column holds something else than TRUE/FALSE"
    ),
    CsvRule("phone-not-e164", Severity.ERROR, "phone_number is not +<country code><digits>"),
    CsvRule(
        "phone-not-valid",
        Severity.WARNING,
        "phone_number is well formed but no number in that country has this form",
    ),
    CsvRule("email-invalid", Severity.ERROR, "email is not an address"),
    CsvRule("birthdate-format", Severity.ERROR, "birthdate is not a real date as mm/dd/yyyy"),
    CsvRule("updated-at-not-epoch", Severity.ERROR, "updated_at is not epoch seconds"),
    CsvRule(
        "updated-at-milliseconds", Severity.WARNING, "updated_at looks like epoch milliseconds"
    ),
    CsvRule(
        "mfa-enabled-mismatch", Severity.ERROR, "cognito:mfa_enabled contradicts the pool's MFA"
    ),
    CsvRule("number-invalid", Severity.ERROR, "a Number attribute holds something else"),
    CsvRule("number-out-of-range", Severity.ERROR, "a Number attribute outside its min/max"),
    CsvRule("string-length", Severity.ERROR, "a value shorter or longer than the schema allows"),
    CsvRule(
        "quoted-value",
        Severity.WARNING,
        'a value in "quotes": Cognito keeps the quotes (escape commas with \\, instead)',
    ),
)

_RULES_BY_ID = {r.id: r for r in CSV_RULES}

#: The rules that need the pool's description (``DescribeUserPool``), not only its header.
SCHEMA_RULES = (
    "pool-no-auto-verified-attribute",
    "no-auto-verified-attribute-true",
    "required-attribute-missing",
    "duplicate-alias",
    "mfa-enabled-mismatch",
    "number-invalid",
    "number-out-of-range",
)

#: Said once when only the header is known (``csv check --header-file`` without ``--schema``).
SCHEMA_SKIPPED_NOTE = (
    "without the pool's description the rules that need it were skipped ("
    + ", ".join(SCHEMA_RULES)
    + ", and the schema's types and lengths of custom attributes); to run them add --schema "
    "with the output of `aws cognito-idp describe-user-pool --user-pool-id ID`, or check "
    "against the live pool with --user-pool-id ID"
)


def rule(rule_id: str) -> CsvRule:
    """The :class:`CsvRule` with this ID (``KeyError`` for an unknown ID: a programming error)."""
    return _RULES_BY_ID[rule_id]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: ``line`` is the physical line (1 is the header), ``column`` a header name."""

    line: int
    column: str | None
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape."""
        return {
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": self.message,
        }


def _row(subject: str, rule_id: str, message: str) -> Row:
    severity = rule(rule_id).severity
    status = Status.FAIL if severity is Severity.ERROR else Status.WARN
    return Row(subject, rule_id, status, severity, message)


@dataclass(frozen=True, slots=True)
class CsvReport:
    """What ``check_csv`` found: the first problems per rule, every count, and the split."""

    kind: ClassVar[ResultKind] = ResultKind.CSV

    file: str
    problems: tuple[Problem, ...]
    counts: tuple[tuple[str, int], ...]
    bytes: int
    users: int
    rejected_users: int
    max_per_rule: int
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """True when an error-level problem would fail rows or the whole job (a row fails)."""
        return fails(self)

    @property
    def header_ok(self) -> bool:
        """True when nothing is wrong with line 1 (header and byte-order mark)."""
        return not any(p.line == 1 for p in self.problems)

    def summary(self) -> dict[str, Any]:
        """The ``summary`` object of the JSON output."""
        rules = {
            rid: {"severity": rule(rid).severity.value, "count": n}
            for rid, n in sorted(self.counts)
        }
        errors = sum(n for rid, n in self.counts if rule(rid).severity is Severity.ERROR)
        return {
            "file": self.file,
            "bytes": self.bytes,
            "users": self.users,
            "clean_users": self.users - self.rejected_users,
            "rejected_users": self.rejected_users,
            "errors": errors,
            "warnings": sum(n for _, n in self.counts) - errors,
            "rules": rules,
            "shown": len(self.problems),
            "max_per_rule": self.max_per_rule,
            "header_ok": self.header_ok,
            "import_would_fail": self.failed,
            "notes": list(self.notes),
        }

    def rows(self) -> tuple[Row, ...]:
        """One row per problem shown (``fail`` for an error-level rule, ``warn`` for a warning),
        then one per rule with more problems than shown, counting the rest."""
        shown: dict[str, int] = {}
        out = []
        for p in self.problems:
            shown[p.rule] = shown.get(p.rule, 0) + 1
            column = f" [{p.column}]" if p.column else ""
            out.append(_row(f"line {p.line}", p.rule, f"{p.rule}{column}: {p.message}"))
        out.extend(
            _row(self.file, rule_id, f"{count - shown.get(rule_id, 0):,} more not shown")
            for rule_id, count in self.counts
            if count > shown.get(rule_id, 0)
        )
        return tuple(out)

    def remarks(self) -> tuple[str, ...]:
        return self.notes

    def as_dict(self) -> dict[str, Any]:
        """``{"problems": [...], "summary": {...}}``: the stable JSON shape."""
        return {"problems": [p.as_dict() for p in self.problems], "summary": self.summary()}


class _Collector:
    """Keeps the first ``limit`` problems of each rule and counts them all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.counts: Counter[str] = Counter()
        self.errors = 0  # error-level problems so far: a row that raises it is rejected

    def add(self, line: int, column: str | None, rule_id: str, message: str) -> None:
        if _RULES_BY_ID[rule_id].severity is Severity.ERROR:
            self.errors += 1
        self.counts[rule_id] += 1
        if self.counts[rule_id] <= self.limit:
            self.kept.append(Problem(line, column, rule_id, message))


# -- reading --------------------------------------------------------------------------------


class _Line(NamedTuple):
    """One physical line of pass 2 (a tuple: one is made per line of the file)."""

    number: int
    start: int  # byte offset of the line in the file
    raw: bytes  # the line as read, terminator included (empty for an overlong line)
    data: bytes  # the line without its terminator (the first _LINE_CAP bytes if overlong)
    size: int  # bytes including the terminator
    overlong: bool


def _lines(stream: IO[bytes]) -> Iterator[_Line]:
    """Physical lines (``\\n`` or ``\\r\\n``). An overlong line is read to its end, not kept."""
    number = 0
    offset = stream.tell()
    while True:
        raw = stream.readline(_LINE_CAP)
        if not raw:
            return
        number += 1
        size = len(raw)
        overlong = len(raw) == _LINE_CAP and not raw.endswith(b"\n")
        while overlong:
            more = stream.readline(_LINE_CAP)
            size += len(more)
            if not more or more.endswith(b"\n"):
                break
        if overlong:
            yield _Line(number, offset, b"", raw, size, True)
        else:
            data = raw[:-1] if raw.endswith(b"\n") else raw
            data = data[:-1] if data.endswith(b"\r") else data
            yield _Line(number, offset, raw, data, size, False)
        offset += size


_SPLIT = re.compile(r"(?<!\\),")
_SPACE = re.compile(r"\s")


def _split(text: str) -> list[str]:
    """Fields of one row: commas split, ``\\,`` does not (AWS's documented escape)."""
    return _SPLIT.split(text)


def _parts(text: str, limit: int = -1) -> tuple[list[str], bool]:
    """The fields of :func:`_split`, and whether they hold :data:`_ESCAPED` for ``\\,``.

    A row without escape is one ``str.split``; one with escapes is split around the stand-in
    (NUL, which pass 1 refuses in any row), so a caller unescapes only the fields it reads.
    With ``limit``, only the first ``limit`` fields are exact (the next holds the rest)."""
    if "\\," not in text:
        return text.split(",", limit), False
    if _ESCAPED in text:
        return [f.replace("\\,", ",") for f in _SPLIT.split(text)], False
    return text.replace("\\,", _ESCAPED).split(",", limit), True


def _width(text: str) -> int:
    """How many fields :func:`_split` makes of ``text`` (a ``\\,`` is no separator)."""
    return text.count(",") - text.count("\\,") + 1


_ESCAPED = "\x00"  # stands for an escaped comma between the split and the unescaping
_NUL = itertools.repeat(_ESCAPED)
_COMMA = itertools.repeat(",")


def _sniff(stream: IO[bytes], name: str) -> None:
    """Refuse empty, binary and UTF-16 files from their first bytes (bad input, exit 3)."""
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if not head:
        raise InputError(f"{name} is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name} is UTF-16; Cognito reads UTF-8 without byte-order mark")
    if b"\x00" in head:
        raise InputError(f"{name} is binary, not a CSV file")


# -- pass 1: bad input and duplicate candidates -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    columns: tuple[str, ...]
    index: dict[str, int]
    candidates: frozenset[int]


def _keys(
    values: dict[str, str], keys: tuple[tuple[str, str | None], ...]
) -> list[tuple[str, str, int]]:
    """(key, value, hash) for each uniqueness key the row sets; the same in both passes.

    ``keys`` pairs each key column with the ``_verified`` column that must be TRUE for it to
    count (``None`` for ``cognito:username``); ``values`` holds every one of them."""
    out: list[tuple[str, str, int]] = []
    for key, flag in keys:
        value = values[key]
        if value and (flag is None or values[flag].upper() == "TRUE"):
            out.append((key, value, hash((key, value))))
    return out


def _key_columns(pool: PoolSchema, index: dict[str, int]) -> tuple[tuple[str, str | None], ...]:
    """The uniqueness keys of the rows: ``cognito:username``, then the verified aliases."""
    if "cognito:username" not in index:
        return ()
    aliases = ((a, f"{a}_verified") for a in _alias_keys(pool, index))
    return (("cognito:username", None), *aliases)


def _alias_keys(pool: PoolSchema, index: dict[str, int]) -> tuple[str, ...]:
    """``email``/``phone_number`` when the pool signs users in with them (alias or username)."""
    signs_in = (*pool.username_attributes, *pool.alias_attributes)
    return tuple(
        attr
        for attr in ("email", "phone_number")
        if attr in signs_in and attr in index and f"{attr}_verified" in index
    )


def _first_pass(stream: IO[bytes], pool: PoolSchema, name: str) -> _Layout:
    """Header layout, bad-input refusals, and the hashes that may repeat (bounded memory)."""
    _sniff(stream, name)
    lines = _lines(stream)
    header = next(lines)
    try:
        text = header.data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{name} is not UTF-8 text (its header line does not decode)",
            advice="re-save it as UTF-8 without byte-order mark",
        ) from None
    columns = tuple(c.strip() for c in _split(text))
    if len(columns) == 1 and len(pool.header) > 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in text:
                raise InputError(
                    f"{name} separates columns with {label}; Cognito reads commas",
                    advice="re-export it as comma-separated, escaping commas in values as \\,",
                )
    index: dict[str, int] = {}
    for i, col in enumerate(columns):
        index.setdefault(col, i)
    rows, candidates = _scan(stream, name, len(columns), _key_columns(pool, index), index)
    if rows == 0:
        raise InputError(f"{name} has a header but no users")
    return _Layout(columns, index, candidates)


def _scan(
    stream: IO[bytes],
    name: str,
    width: int,
    keys: tuple[tuple[str, str | None], ...],
    index: dict[str, int],
) -> tuple[int, frozenset[int]]:
    """Pass 1 over the rows after the header: (non-blank rows, key hashes seen twice).

    One loop with nothing per line but the tests (this pass reads the whole file too): the same
    lines as :func:`_lines`, the same key values and hashes as :func:`_keys` in pass 2, fields
    split only as far as the last key column."""
    plan = tuple((key, index[key], None if flag is None else index[flag]) for key, flag in keys)
    limit = max((max(a, b or 0) for _, a, b in plan), default=0) + 1
    size = _BITSET_BITS - 1
    bits = bytearray(_BITSET_BITS // 8) if plan else bytearray()
    candidates: set[int] = set()
    rows = 0
    number = 1
    readline = stream.readline
    while raw := readline(_LINE_CAP):
        number += 1
        if b"\x00" in raw:
            raise InputError(f"{name} has binary data at line {number}")
        if len(raw) == _LINE_CAP and not raw.endswith(b"\n"):  # overlong: not split
            while (more := readline(_LINE_CAP)) and not more.endswith(b"\n"):
                pass
            rows += 0 if raw.isspace() else 1
            continue
        if raw.isspace():
            continue
        rows += 1
        if not plan:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if _width(text) != width:  # a wrong column count: pass 2 reports it
            continue
        fields, escaped = _parts(text, limit)
        for key, at, flag in plan:
            value = fields[at].strip()
            if escaped and _ESCAPED in value:
                value = value.replace(_ESCAPED, ",")
            if not value or (flag is not None and fields[flag].strip().upper() != "TRUE"):
                continue
            h = hash((key, value))
            bit = h & size
            byte, mask = bit >> 3, 1 << (bit & 7)
            if bits[byte] & mask:
                candidates.add(h)
            else:
                bits[byte] |= mask
    return rows, frozenset(candidates)


# -- pass 2: rows ---------------------------------------------------------------------------

#: The problems of one value: (rule, message) pairs, in the order they are reported.
_Found = tuple[tuple[str, str], ...]
#: One check of a non-empty value: (column, value) to its problems.
_Check = Callable[[str, str], _Found]


class _Checker:
    """Checks one row at a time; remembers only possible duplicates (from pass 1)."""

    def __init__(self, pool: PoolSchema, layout: _Layout, out: _Collector) -> None:
        self.pool = pool
        self.layout = layout
        self.out = out
        self.keys = _key_columns(pool, layout.index)
        self.first_seen: dict[tuple[str, str], int] = {}
        self.booleans = {"email_verified", "phone_number_verified", "cognito:mfa_enabled"} | {
            a.name for a in pool.attributes if a.data_type == "Boolean"
        }
        # per column, from the schema once: number bounds, or string length bounds
        self.number_limits: dict[str, tuple[Decimal | None, Decimal | None]] = {}
        self.length_limits: dict[str, tuple[int | None, int]] = {}
        for col in layout.columns:
            spec = pool.attribute(col)
            if spec is not None and spec.data_type == "Number":
                self.number_limits[col] = (spec.min_value, spec.max_value)
            elif spec is None or spec.data_type == "String":
                high = spec.max_length if spec and spec.max_length is not None else None
                low = spec.min_length if spec else None
                self.length_limits[col] = (low, DEFAULT_MAX_LENGTH if high is None else high)
        # what every row asks the same way, worked out once from the header
        index = layout.index
        self.phones = _PhoneRules()
        # a value is not longer than its row: in a row of at most DEFAULT_MAX_LENGTH characters
        # no maximum length of DEFAULT_MAX_LENGTH or more can be passed, so it is not checked
        self.plans = self._plans(short=False)
        self.short_plans = self._plans(short=True)
        self.email_flag = "email_verified" in index and "email" in index
        self.phone_flag = "phone_number_verified" in index and "phone_number" in index
        self.auto_flags = tuple(
            f for f in (f"{a}_verified" for a in pool.auto_verified) if f in index
        )
        self.required = tuple(a for a in pool.required if a in index)
        read = {
            *(c for pair in self.keys for c in pair if c is not None),
            *(("email", "email_verified") if self.email_flag else ()),
            *(("phone_number", "phone_number_verified") if self.phone_flag else ()),
            *self.auto_flags,
            *self.required,
            *(c for c, _, _ in self.short_plans),
        }  # the keys hold cognito:username whenever the header does (_key_columns)
        self.read = self._reader(read)
        self.every = self._reader(set(index))

    def _plans(self, *, short: bool) -> tuple[tuple[str, _Check, dict[str, _Found] | None], ...]:
        """(column, check, memo) for each column with checks; no memo for unique values."""
        plans = ((col, self._plan(col, short=short)) for col in self.layout.index)
        return tuple(
            (col, plan, None if col in _UNIQUE_VALUES else {})
            for col, plan in plans
            if plan is not None
        )

    def _reader(self, names: set[str]) -> tuple[tuple[str, ...], Callable[[list[str]], Any]]:
        """The columns ``names`` (header order) and a function taking their fields from a row."""
        index = self.layout.index
        ordered = tuple(c for c in index if c in names)
        at = [index[c] for c in ordered]
        if len(at) < 2:  # itemgetter of one position returns the item, not a tuple
            return ordered, lambda fields: tuple(fields[i] for i in at)
        return ordered, operator.itemgetter(*at)

    # header ---------------------------------------------------------------------------------
    def header(self, has_bom: bool) -> None:
        pool, out = self.pool, self.out
        if has_bom:
            out.add(
                1,
                None,
                "utf8-bom",
                "the file starts with a UTF-8 byte-order mark; Cognito wants UTF-8 without BOM "
                "(the first column would not match): re-save without BOM",
            )
        expected = ",".join(pool.header)
        command = shell_command(
            [
                "aws",
                "cognito-idp",
                "get-csv-header",
                "--user-pool-id",
                pool.pool_id or "USER_POOL_ID",
            ]
        )
        said: list[bool] = []

        def expect() -> str:
            """The expected header, said by the first column problem only (it can be long)."""
            if said:
                return ""
            said.append(True)
            return f"; expected header: {expected} (from: {command})"

        seen: set[str] = set()
        for col in self.layout.columns:
            if col in seen:
                out.add(1, col, "header-duplicate-column", f"column {col!r} appears twice")
            seen.add(col)
        lower = {c.lower(): c for c in pool.header}
        for col in self.layout.columns:
            if col not in pool.header:
                hint = f" (did you mean {lower[col.lower()]!r}?)" if col.lower() in lower else ""
                out.add(
                    1,
                    col,
                    "header-unknown-column",
                    f"column {col!r} is not in the pool's header{hint}{expect()}",
                )
        for col in pool.header:
            if col not in seen:
                out.add(
                    1,
                    col,
                    "header-missing-column",
                    f"column {col!r} is missing (every column must be present, values may be "
                    f"empty){expect()}",
                )
        if pool.described and not pool.auto_verified:
            out.add(
                1,
                None,
                "pool-no-auto-verified-attribute",
                "the user pool has no auto-verified attribute; Cognito will not start the job: "
                "add email or phone_number to the pool's auto-verified attributes",
            )

    # rows -----------------------------------------------------------------------------------
    def row(self, number: int, text: str, *, blank: bool) -> bool:
        """Check one decoded row; True when it would fail (goes to the rejects file). ``blank``:
        the line is empty or ASCII white space (the caller's test, one for every pass)."""
        before = self.out.errors
        if len(text) > MAX_ROW_CHARS:
            self.out.add(
                number,
                None,
                "row-too-long",
                f"the row has {len(text):,} characters; the limit is {MAX_ROW_CHARS:,}",
            )
        if blank:
            self.out.add(
                number,
                None,
                "blank-line",
                "empty row: delete it (a --write-clean file leaves it out)",
            )
            return False
        fields, escaped = _parts(text)
        columns = self.layout.columns
        if len(fields) != len(columns):
            hint = (
                '; values must not be quoted: escape a comma inside a value as \\, not "a,b"'
                if '"' in text
                else "; escape a comma inside a value as \\,"
            )
            self.out.add(
                number,
                None,
                "column-count",
                f"the row has {len(fields)} values, the header {len(columns)}{hint}",
            )
            return True
        if '"' in text:
            for col, raw in zip(columns, fields, strict=True):
                stripped = raw.strip()
                if len(stripped) >= 2 and stripped[0] == '"' and stripped[-1] == '"':
                    self.out.add(
                        number,
                        col,
                        "quoted-value",
                        f"{col} is in quotation marks; Cognito keeps them as part of the value "
                        "(AWS: strings should not be quoted; escape commas as \\,)",
                    )
        long = len(text) > DEFAULT_MAX_LENGTH
        # the values the checks read (a repeated column's first), stripped; a long row: all
        names, pick = self.every if long else self.read
        picked = pick(fields)
        if escaped:
            picked = map(str.replace, picked, _NUL, _COMMA)
        values = dict(zip(names, map(str.strip, picked), strict=True))
        self._username(number, values)
        self._verification(number, values)
        add = self.out.add
        for col, check, memo in self.plans if long else self.short_plans:
            value = values[col]
            if not value:
                continue
            known = None if memo is None else memo.get(value)
            if known is None:
                known = check(col, value)
                if memo is not None and len(memo) < _MEMO_SIZE:
                    memo[value] = known
            for rule_id, message in known:
                add(number, col, rule_id, message)
        for attr in self.required:
            if not values[attr]:
                self.out.add(
                    number,
                    attr,
                    "required-attribute-missing",
                    f"{attr} is required in this user pool but empty",
                )
        return self.out.errors > before

    def _username(self, number: int, values: dict[str, str]) -> None:
        if "cognito:username" not in values:
            return
        username = values["cognito:username"]
        if not username:
            self.out.add(
                number, "cognito:username", "username-missing", "cognito:username is empty"
            )
        elif _SPACE.search(username):
            self.out.add(
                number,
                "cognito:username",
                "username-whitespace",
                f"cognito:username {username!r} contains white space; Cognito forbids spaces "
                "and tabs in it",
            )
        if len(username) > 128:
            self.out.add(
                number,
                "cognito:username",
                "string-length",
                f"cognito:username has {len(username)} characters; the limit is 128",
            )
        for key, value, h in _keys(values, self.keys):
            if h not in self.layout.candidates:
                continue
            first = self.first_seen.setdefault((key, value), number)
            if first == number:
                continue
            if key == "cognito:username":
                self.out.add(
                    number,
                    key,
                    "duplicate-username",
                    f"cognito:username {value!r} is already on line {first}; Cognito skips the "
                    'repeat ("The user already exists"), and skips count toward a failed job',
                )
            else:
                self.out.add(
                    number,
                    key,
                    "duplicate-alias",
                    f"verified {key} {value!r} is already on line {first}; the pool uses {key} "
                    "as username or alias, so only one user can hold it",
                )

    def _verification(self, number: int, values: dict[str, str]) -> None:
        if self.email_flag and not values["email"] and values["email_verified"].upper() == "TRUE":
            self.out.add(
                number,
                "email",
                "email-verified-without-email",
                "email_verified is TRUE but email is empty",
            )
        if (
            self.phone_flag
            and not values["phone_number"]
            and values["phone_number_verified"].upper() == "TRUE"
        ):
            self.out.add(
                number,
                "phone_number",
                "phone-verified-without-phone",
                "phone_number_verified is TRUE but phone_number is empty",
            )
        present = self.auto_flags
        if present and not any(values[f].upper() == "TRUE" for f in present):
            wanted = " or ".join(f"{f}=TRUE" for f in present)
            self.out.add(
                number,
                present[0],
                "no-auto-verified-attribute-true",
                f'no auto-verified attribute is TRUE; set {wanted} (Cognito: "The User Record '
                'does not set any of the auto verified attributes to true")',
            )

    # values: one plan per column, made once (the rules a column's values meet, in order) -----
    # A value's problems depend on its column and its text only, never on its line: each plan
    # remembers the answers for up to _MEMO_SIZE distinct values (booleans, dates, tiers repeat).
    def _plan(self, col: str, *, short: bool) -> _Check | None:
        """The checks of a non-empty value of ``col``: its type's, then its range or length
        (not a maximum of DEFAULT_MAX_LENGTH or more alone when ``short``)."""
        if col in self.booleans:
            return self._boolean
        steps: list[_Check] = []
        typed = {
            "phone_number": self._phone,
            "email": _email,
            "birthdate": _birthdate,
            "updated_at": _updated_at,
        }.get(col)
        if typed is not None:
            steps.append(typed)
        if col in self.number_limits:
            low, high = self.number_limits[col]
            steps.append(partial(_number, low=low, high=high))
        elif col in self.length_limits:
            shortest, top = self.length_limits[col]
            if not (short and not shortest and top >= DEFAULT_MAX_LENGTH):
                steps.append(partial(_length, limits=(shortest, top)))
        if len(steps) < 2:
            return steps[0] if steps else None
        first, second = steps
        return lambda col, value: first(col, value) + second(col, value)

    def _boolean(self, col: str, value: str) -> _Found:
        upper = value.upper()
        if upper not in ("TRUE", "FALSE"):
            return (("invalid-boolean", f"{col} is {value!r}; use TRUE or FALSE"),)
        if col != "cognito:mfa_enabled":
            return ()
        mfa = self.pool.mfa
        if mfa is MfaConfiguration.ON and upper == "FALSE":
            return (
                (
                    "mfa-enabled-mismatch",
                    "cognito:mfa_enabled is FALSE but the pool requires MFA: use TRUE or leave "
                    "it empty",
                ),
            )
        if mfa is MfaConfiguration.OFF and upper == "TRUE":
            return (
                (
                    "mfa-enabled-mismatch",
                    "cognito:mfa_enabled is TRUE but MFA is off in the pool: use FALSE or leave "
                    "it empty",
                ),
            )
        return ()

    def _phone(self, col: str, value: str) -> _Found:
        suggestion = ""
        well_formed = value.startswith("+") and value[1:].isascii() and value[1:].isdigit()
        if well_formed:
            parsed = parse_e164(value)
        else:
            try:
                parsed = phonenumbers.parse(value, None)
            except phonenumbers.NumberParseException:
                parsed = None
        if parsed is not None and not well_formed:
            suggestion = f" (E.164: {phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)})"
        if not well_formed or parsed is None or not self.phones.is_possible(parsed):
            return (
                (
                    "phone-not-e164",
                    f"phone_number {value!r} is not E.164: a + sign, the country code, then only "
                    f"digits, e.g. +14325551212{suggestion}",
                ),
            )
        if not self.phones.is_valid(parsed):
            return (
                (
                    "phone-not-valid",
                    f"phone_number {value!r} is well formed but not a valid number for its country",
                ),
            )
        return ()


def _email(col: str, value: str) -> _Found:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or _SPACE.search(value):
        return (("email-invalid", f"email {value!r} is not an email address"),)
    return ()


def _birthdate(col: str, value: str) -> _Found:
    if _is_mmddyyyy(value):
        return ()
    return (
        (
            "birthdate-format",
            f"birthdate {value!r} must be a date written mm/dd/yyyy (e.g. 02/01/1985)",
        ),
    )


def _updated_at(col: str, value: str) -> _Found:
    if not value.isascii() or not value.isdigit():
        return (
            (
                "updated-at-not-epoch",
                f"updated_at {value!r} must be epoch time in seconds (e.g. 1471453471)",
            ),
        )
    if len(value) > 13:  # past year 2286 in milliseconds; int() of 4,301 digits raises
        return (
            (
                "updated-at-not-epoch",
                f"updated_at has {len(value)} digits: too large for epoch time in seconds "
                "(e.g. 1471453471)",
            ),
        )
    if int(value) >= 100_000_000_000:
        return (
            (
                "updated-at-milliseconds",
                f"updated_at {value} looks like milliseconds; Cognito expects seconds",
            ),
        )
    return ()


def _length(col: str, value: str, limits: tuple[int | None, int]) -> _Found:
    low, top = limits
    if len(value) > top or (low is not None and len(value) < low):
        return (
            (
                "string-length",
                f"{col} has {len(value)} characters; the pool allows {low or 0}-{top}",
            ),
        )
    return ()


def _number(col: str, value: str, *, low: Decimal | None, high: Decimal | None) -> _Found:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        return (("number-invalid", f"{col} is {value!r}, not a number"),)
    if (low is not None and amount < low) or (high is not None and amount > high):
        return (
            (
                "number-out-of-range",
                f"{col} is {value}; the pool allows {low if low is not None else '-inf'}"
                f" to {high if high is not None else 'inf'}",
            ),
        )
    return ()


class _Types:
    """Whether a national number has one of its region's types: libphonenumber's
    ``_number_type_helper`` returning something else than ``UNKNOWN``, on the region's patterns
    compiled once: per number length, the general pattern and one alternation of the patterns
    of every type that allows that length (the patterns have no groups, so the alternation
    matches when one of them does)."""

    def __init__(self, metadata: Any) -> None:
        def desc(d: Any) -> tuple[frozenset[int], str] | None:
            # a description without pattern matches nothing (_match_national_number)
            if d is None or not d.national_number_pattern:
                return None
            return frozenset(d.possible_length), d.national_number_pattern

        m = metadata
        kinds = [
            m.premium_rate, m.toll_free, m.shared_cost, m.voip, m.personal_number, m.pager,
            m.uan, m.voicemail, m.fixed_line,
        ]  # fmt: skip
        if not m.same_mobile_and_fixed_line_pattern:  # else mobile is fixed_line, not tried
            kinds.append(m.mobile)
        self.general = desc(m.general_desc)
        self.kinds = [k for k in map(desc, kinds) if k is not None]
        self.by_length: dict[int, tuple[re.Pattern[str], re.Pattern[str]] | None] = {}

    def _for(self, size: int) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
        general = self.general
        kinds = [p for lengths, p in self.kinds if not lengths or size in lengths]
        if general is None or (general[0] and size not in general[0]) or not kinds:
            return None
        return re.compile(general[1]), re.compile("|".join(f"(?:{p})" for p in kinds))

    def match(self, nsn: str) -> bool:
        size = len(nsn)
        if size in self.by_length:
            patterns = self.by_length[size]
        else:
            patterns = self.by_length[size] = self._for(size)
        return (
            patterns is not None
            and patterns[0].fullmatch(nsn) is not None
            and patterns[1].fullmatch(nsn) is not None
        )


@dataclass(frozen=True, slots=True)
class _Country:
    """One country calling code's regions: how a number finds its region, and each region's
    types (``None`` where ``is_valid_number_for_region`` would answer False at once)."""

    single: str | None
    search: tuple[tuple[str, re.Pattern[str] | None, _Types], ...]
    types: dict[str, _Types | None]

    @classmethod
    def of(cls, country_code: int) -> _Country | None:
        regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
        if regions is None:
            return None
        search = []
        types: dict[str, _Types | None] = {}
        for region in regions:
            # region_code_for_number's search: metadata by region (None: skipped)
            own = PhoneMetadata.metadata_for_region(region.upper(), None)
            found = None if own is None else _Types(own)
            if own is not None and found is not None:
                leading = own.leading_digits
                search.append((region, None if leading is None else re.compile(leading), found))
            # is_valid_number_for_region: the non-geographic entity's metadata by calling code;
            # a region's own metadata only if it has this calling code
            if region == REGION_CODE_FOR_NON_GEO_ENTITY:
                target = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
                types[region] = None if target is None else _Types(target)
            else:
                types[region] = (
                    found if own is not None and own.country_code == country_code else None
                )
        single = regions[0] if len(regions) == 1 else None
        return cls(single, tuple(search), types)

    def is_valid(self, nsn: str) -> bool:
        region = self.single
        if region is None:
            for name, leading, found in self.search:
                if (leading.match(nsn) is not None) if leading is not None else found.match(nsn):
                    region = name
                    break
            else:
                return False
        types = self.types[region]
        return types is not None and types.match(nsn)


#: parse keeps the national number unstripped when stripping its national prefix leaves these
_KEEP_UNSTRIPPED = (
    _library.ValidationResult.TOO_SHORT,
    _library.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    _library.ValidationResult.INVALID_LENGTH,
)


def parse_e164(value: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse(value, None)`` for a value that is a ``+`` and ASCII digits only
    (``None`` where ``parse`` raises), taking only the steps ``parse`` takes for such a value:
    its generic clean-up (possible-number extraction, Unicode digit normalisation, extension
    and viability patterns) leaves such text as it is. A test compares both on every calling
    code and random digits. ``parse`` is most of the cost of a large file's check."""
    digits = value[1:]
    # viable (_VALID_PHONE_NUMBER: at least 3 digits after a plus); at most 250 characters
    if len(digits) < 3 or len(value) > _library._MAX_INPUT_STRING_LENGTH:
        return None
    # _maybe_extract_country_code: the plus is the international prefix
    country_code, national = _library._extract_country_code(digits)
    if country_code == 0:
        return None
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, phonenumbers.region_code_for_country_code(country_code)
    )
    if metadata is None or len(national) < _library._MIN_LENGTH_FOR_NSN:
        return None
    _carrier, stripped, _ = _library._maybe_strip_national_prefix_carrier_code(national, metadata)
    if _library._test_number_length(stripped, metadata) not in _KEEP_UNSTRIPPED:
        national = stripped
    if not _library._MIN_LENGTH_FOR_NSN <= len(national) <= _library._MAX_LENGTH_FOR_NSN:
        return None
    number = phonenumbers.PhoneNumber(country_code=country_code)
    _library._set_italian_leading_zeros_for_phone_number(national, number)
    number.national_number = int(national)
    return number


class _PhoneRules:
    """``phonenumbers.is_valid_number`` with the metadata's work done once per country code.

    The library looks up each region's metadata and compiles its patterns again for every
    number (at 500,000 numbers, more time than ``parse``). This takes the same steps
    (``region_code_for_number``, then ``is_valid_number_for_region``) on patterns kept for the
    run; a test compares both on every region's example numbers and their neighbours.
    """

    def __init__(self) -> None:
        self.countries: dict[int, _Country | None] = {}
        self.possible: dict[tuple[int, int], bool] = {}

    def is_possible(self, number: phonenumbers.PhoneNumber) -> bool:
        """``phonenumbers.is_possible_number(number)``: a function of the country code and the
        national number's length only (``_test_number_length``), so remembered per pair."""
        key = (number.country_code or 0, len(phonenumbers.national_significant_number(number)))
        known = self.possible.get(key)
        if known is None:
            known = self.possible[key] = phonenumbers.is_possible_number(number)
        return known

    def is_valid(self, number: phonenumbers.PhoneNumber) -> bool:
        """The same answer as ``phonenumbers.is_valid_number(number)``."""
        code = number.country_code
        if code is None:
            return False
        if code in self.countries:
            country = self.countries[code]
        else:
            country = self.countries[code] = _Country.of(code)
        return country is not None and country.is_valid(
            phonenumbers.national_significant_number(number)
        )


_MMDDYYYY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def _is_mmddyyyy(value: str) -> bool:
    match = _MMDDYYYY.fullmatch(value)
    if not match:
        return False
    month, day, year = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _write(stream: IO[bytes], line: _Line, sink: IO[bytes]) -> None:
    """Copy one line to ``sink`` byte for byte; an overlong one is re-read in bounded chunks."""
    if not line.overlong:
        sink.write(line.raw)
        return
    here = stream.tell()
    stream.seek(line.start)
    left = line.size
    while left:
        chunk = stream.read(min(left, _LINE_CAP))
        if not chunk:
            break
        sink.write(chunk)
        left -= len(chunk)
    stream.seek(here)


def check_csv(
    stream: IO[bytes],
    pool: PoolSchema,
    *,
    name: str = "the CSV file",
    max_per_rule: int = 20,
    clean: IO[bytes] | None = None,
    rejects: IO[bytes] | None = None,
) -> CsvReport:
    """Check a user-import CSV against ``pool``, optionally splitting it.

    ``stream`` must be a seekable binary file (it is read twice). ``clean`` receives the header
    and every row without an error-level problem, ``rejects`` the header and the other rows,
    each line copied byte for byte. Blank rows go to ``rejects``. Problems of the header or
    file limits are reported but do not move rows: they fail the whole job, not single users.

    Raises :class:`InputError` before writing anything for input that is not a user CSV at all:
    empty, binary, UTF-16 or non-UTF-8 at the start, another delimiter, a header-only file.
    """
    layout = _first_pass(stream, pool, name)
    stream.seek(0)
    out = _Collector(max_per_rule)
    checker = _Checker(pool, layout, out)
    users = rejected = 0
    total = 0
    for line in _lines(stream):
        total += line.size
        if line.number == 1:
            checker.header(line.data.startswith(_BOM))
            for sink in (clean, rejects):
                if sink is not None:
                    _write(stream, line, sink)
            continue
        blank = line.data.isspace() or not line.data
        users += 0 if blank else 1
        if total > MAX_FILE_BYTES and total - line.size <= MAX_FILE_BYTES:
            out.add(
                line.number,
                None,
                "file-too-large",
                f"the file passes {MAX_FILE_BYTES:,} bytes (100 MB) here; split it into "
                "several import jobs",
            )
        if users == MAX_USERS + 1 and not blank:
            out.add(
                line.number,
                None,
                "too-many-users",
                f"user {users:,} is over the {MAX_USERS:,}-user limit of one import job; "
                "split the file",
            )
        if line.overlong:
            out.add(
                line.number,
                None,
                "row-too-long",
                f"the row has {line.size:,} bytes; the limit is {MAX_ROW_CHARS:,} characters",
            )
            bad = True
        else:
            try:
                text = line.data.decode("utf-8")
            except UnicodeDecodeError as err:
                out.add(
                    line.number,
                    None,
                    "not-utf8",
                    f"byte {err.start + 1} of the line is not UTF-8; re-save the file as UTF-8",
                )
                bad = True
            else:
                bad = checker.row(line.number, text, blank=blank)
        rejected += 1 if bad and not blank else 0
        sink = rejects if bad or blank else clean
        if sink is not None:
            _write(stream, line, sink)
    return CsvReport(
        file=name,
        problems=tuple(out.kept),
        counts=tuple(sorted(out.counts.items())),
        bytes=total,
        users=users,
        rejected_users=rejected,
        max_per_rule=max_per_rule,
        notes=() if pool.described else (SCHEMA_SKIPPED_NOTE,),
    )
