"""CloudWatch Logs diagnosis: recognise the nine import errors in log lines and say what fixes each.

The signatures are data (``signatures.json`` next to this module): regexes matched
case-insensitively, specific before generic, each with an example line and a fix template. Pure:
callers hand in events (parsed from an export with :func:`parse_export`, or read live by
``preflight.live``), get back grouped :class:`Diagnosis` values.

Linear in the input. A pattern is one regex, or a list of steps (each searched from where the
previous one's match ended: ``["ResourceNotFoundException", "User pool (?P<id>...)"]`` is what
``ResourceNotFoundException.*?User pool (?P<id>...)`` meant, without rescanning the rest of the
line from every occurrence of the first step, which was quadratic). Lazy repeats and unbounded
``.*``/``.+`` are refused when signatures load, so no step can rescan a line from every position.
A line longer than CloudWatch's largest event (:data:`MAX_EVENT_BYTES`) is cut to it, and the
report says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any, ClassVar

from iam_audit.errors import InputError
from iam_audit.render.escape import shell
from iam_audit.results import ResultKind, Row, Severity, Status, fails

__all__ = [
    "MAX_EVENT_BYTES",
    "SEED_ERRORS",
    "Diagnosis",
    "DiagnosisReport",
    "LinePattern",
    "LogEvent",
    "Signature",
    "SignatureMatch",
    "diagnose",
    "load_signatures",
    "match_text",
    "parse_export",
]

#: The nine errors of AWS's "resolve common import errors" guide, in its order.
SEED_ERRORS: tuple[str, ...] = (
    "AccessDeniedException",
    "UserCodeSyntaxError",
    "ResourceNotFoundException",
    "ImportModuleError",
    "UnexpectedHeaders",
    "FailedOrSkippedUsers",
    "ImportJobExpired",
    "InvalidAttributeValue",
    "LogsRoleMissingPermission",
)

#: What a placeholder shows when neither the line nor the context supplies it.
_PLACEHOLDERS = {
    "pool": "USER_POOL_ID",
    "function": "FUNCTION_NAME",
    "role": "ROLE",
    "logs_role": "LOGS_ROLE_ARN",
    "resource": "SOURCE_POOL_ARN",
    "action": "the action",
    "module": "MODULE",
    "reason": "",
    "attribute": "ATTRIBUTE",
    "client": "CLIENT_ID",
    "pool_id": "POOL_ID",
    "lines": "see the log",
}
_MAX_LINES_SHOWN = 10

#: "Event size: 256 KB (maximum). This quota can't be changed." (CloudWatch Logs quotas,
#: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html). A longer
#: line cannot be one CloudWatch event: it is cut to this many UTF-8 bytes before matching.
MAX_EVENT_BYTES = 256 * 1024

#: What makes a regex rescan the line from each place it starts: a lazy repeat (``*?``, ``+?``,
#: ``??``, ``{m,n}?``) or ``.*``/``.+``. Write such a pattern as steps instead.
_RESCANNING = re.compile(r"(?<!\\)(?:\\\\)*(?:[*+?}]\?|\.[*+])")


@dataclass(frozen=True, slots=True)
class LinePattern:
    """One way a signature shows in a line: regexes found in order, each after the previous.

    Each step is one ``search`` from where the previous step's match ended, so the whole costs
    one pass over the line per step. The named groups of every step are the match's fields.
    """

    steps: tuple[re.Pattern[str], ...]

    def search(self, line: str) -> dict[str, str | None] | None:
        """The named groups when every step is found in order; ``None`` otherwise."""
        position = 0
        fields: dict[str, str | None] = {}
        for step in self.steps:
            found = step.search(line, position)
            if found is None:
                return None
            fields.update(found.groupdict())
            position = found.end()
        return fields


@dataclass(frozen=True, slots=True)
class Signature:
    """One way an error shows in a log line. ``name`` is a seed error, ``id`` is unique."""

    id: str
    name: str
    patterns: tuple[LinePattern, ...]
    example: str
    fix: str
    group: str = ""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One log event: its text, its time in epoch milliseconds when known, where it was read."""

    message: str
    timestamp: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class SignatureMatch:
    """A signature that matched: the line that matched and the named groups it captured."""

    signature: Signature
    line: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One error seen ``count`` times; ``fix`` is the filled template."""

    error: str
    count: int
    first_seen: datetime | None
    example: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape."""
        return {
            "error": self.error,
            "count": self.count,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "example": self.example,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class DiagnosisReport:
    """The diagnoses, plus how many events were read and what could not be read (``notes``: a
    log group that does not exist, an event cut to CloudWatch Logs' limit)."""

    kind: ClassVar[ResultKind] = ResultKind.LOGS

    diagnoses: tuple[Diagnosis, ...]
    events: int
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        """True when any error was recognised (each is a failing row)."""
        return fails(self)

    def rows(self) -> tuple[Row, ...]:
        """One failing row per error recognised in the log, with its filled fix."""
        return tuple(
            Row(
                subject=f"{d.count} log event{'s' if d.count != 1 else ''}",
                check=d.error,
                status=Status.FAIL,
                severity=Severity.ERROR,
                message=d.example,
                fix=d.fix,
            )
            for d in self.diagnoses
        )

    def remarks(self) -> tuple[str, ...]:
        return self.notes

    def as_dict(self) -> dict[str, Any]:
        """``{"diagnoses": [...], "notes": [...]}``: the stable JSON shape."""
        return {"diagnoses": [d.as_dict() for d in self.diagnoses], "notes": list(self.notes)}


def _pattern(raw: object) -> LinePattern:
    """A pattern of ``signatures.json``: one regex, or a non-empty list of steps."""
    items: list[object] = raw if isinstance(raw, list) else [raw]
    steps = [step for step in items if isinstance(step, str) and step]
    if not steps or len(steps) != len(items):
        raise TypeError("a pattern is a regex or a non-empty list of regexes")
    for step in steps:
        if _RESCANNING.search(step):
            raise TypeError(
                f"pattern {step!r} has a lazy repeat or an unbounded .* / .+ "
                "(quadratic on long lines); write it as a list of steps"
            )
    return LinePattern(tuple(re.compile(step, re.IGNORECASE) for step in steps))


def _compile(entry: Mapping[str, Any]) -> Signature:
    try:
        return Signature(
            id=str(entry["id"]),
            name=str(entry["name"]),
            patterns=tuple(_pattern(p) for p in entry["patterns"]),
            example=str(entry["example"]),
            fix=str(entry["fix"]),
            group=str(entry.get("group", "")),
        )
    except (KeyError, TypeError, re.error) as err:
        raise InputError(f"signature {entry.get('id', '?')!r} is malformed: {err}") from None


def load_signatures(text: str | None = None) -> tuple[Signature, ...]:
    """Parse a signatures file (default: the packaged ``signatures.json``).

    Raises :class:`InputError` for a name outside :data:`SEED_ERRORS`, a duplicate ``id`` or a
    regex that does not compile.
    """
    if text is None:
        text = resources.files("iam_audit.preflight").joinpath("signatures.json").read_text("utf-8")
    data = json.loads(text)
    sigs = tuple(_compile(e) for e in data["signatures"])
    seen: set[str] = set()
    for sig in sigs:
        if sig.name not in SEED_ERRORS:
            raise InputError(f"signature {sig.id!r} names {sig.name!r}, not a seed error")
        if sig.id in seen:
            raise InputError(f"signature id {sig.id!r} appears twice")
        seen.add(sig.id)
    return sigs


def cut_event(text: str) -> tuple[str, int]:
    """``text`` cut to :data:`MAX_EVENT_BYTES` UTF-8 bytes, and its size in bytes when it was
    cut (0 when it fits)."""
    if len(text) * 4 <= MAX_EVENT_BYTES:
        return text, 0  # no character takes more than 4 bytes
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= MAX_EVENT_BYTES:
        return text, 0
    return data[:MAX_EVENT_BYTES].decode("utf-8", "ignore"), len(data)


def match_text(text: str, signatures: Iterable[Signature]) -> SignatureMatch | None:
    """The first signature (in file order) matching any line of ``text``, or ``None``.

    ``text`` is one event's message as :func:`diagnose` hands it, already cut to
    :data:`MAX_EVENT_BYTES` (:func:`cut_event`; :func:`diagnose` says when it was).
    """
    sigs = tuple(signatures)
    lines = text.splitlines() or [text]
    for sig in sigs:
        for pattern in sig.patterns:
            for line in lines:
                found = pattern.search(line)
                if found is not None:
                    fields = tuple(
                        (k, v.strip().rstrip(".,; ")) for k, v in sorted(found.items()) if v
                    )
                    return SignatureMatch(sig, line.strip(), fields)
    return None


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return _PLACEHOLDERS.get(key, key.upper())


class _Quoted(dict[str, str]):
    """The values of a :class:`_Fill`, each quoted as one shell word."""

    def __init__(self, fill: _Fill) -> None:
        super().__init__()
        self.fill = fill

    def __missing__(self, key: str) -> str:
        return shell(self.fill[key])


def _fill_fix(template: str, fill: _Fill) -> str:
    """A fix template filled: placeholders in a `` `command` `` span are shell-quoted.

    The template's white space is normalised first, so a value keeps its own characters (a
    quoted value then splits back to exactly itself with :func:`shlex.split`); the text outside
    the commands gets the values as they are, and renderers escape them for their output.
    """
    parts = " ".join(template.split()).split("`")
    quoted = _Quoted(fill)
    return "`".join(
        part.format_map(quoted if index % 2 else fill) for index, part in enumerate(parts)
    )


def _lines_text(lines: list[int], total: int) -> str:
    if not lines:
        return _PLACEHOLDERS["lines"]
    shown = ", ".join(f"line {n}" for n in lines[:_MAX_LINES_SHOWN])
    more = total - min(len(lines), _MAX_LINES_SHOWN)
    return f"{shown} and {more} more" if more > 0 else shown


@dataclass
class _Group:
    signature: Signature
    fields: dict[str, str]
    example: str
    count: int = 0
    first_seen: int | None = None
    order: int = 0
    lines: list[int] = field(default_factory=list)


def diagnose(
    events: Iterable[LogEvent],
    *,
    context: Mapping[str, str] | None = None,
    signatures: tuple[Signature, ...] | None = None,
) -> DiagnosisReport:
    """Group the events that match a signature into diagnoses.

    One event counts once (its first matching line). Events of one signature split into several
    diagnoses when the signature's ``group`` template differs (another role, another reason).
    ``context`` fills ``{pool}``, ``{function}`` and ``{role}`` in fix texts. Diagnoses are sorted
    in the guide's order of errors, then by first appearance.
    """
    sigs = load_signatures() if signatures is None else signatures
    ctx = dict(context or {})
    groups: dict[tuple[str, str], _Group] = {}
    total = 0
    cut: list[str] = []
    for event in events:
        total += 1
        message, size = cut_event(event.message)
        if size:
            where = f"{event.source} " if event.source else ""
            cut.append(
                f"event {total} {where}is {size:,} bytes, more than a CloudWatch Logs event can "
                f"hold ({MAX_EVENT_BYTES:,}); only its first {MAX_EVENT_BYTES:,} bytes were read"
            )
        found = match_text(message, sigs)
        if found is None:
            continue
        fields = _Fill(ctx)
        fields.update(dict(found.fields))
        key = (found.signature.id, found.signature.group.format_map(fields))
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(found.signature, dict(fields), found.line, order=total)
        group.count += 1
        if event.timestamp is not None and (
            group.first_seen is None or event.timestamp < group.first_seen
        ):
            group.first_seen = event.timestamp
            group.example = found.line
        line = fields.get("line")
        if line and line.isdigit() and len(group.lines) < _MAX_LINES_SHOWN:
            group.lines.append(int(line))
    diagnoses = []
    for group in sorted(
        groups.values(), key=lambda g: (SEED_ERRORS.index(g.signature.name), g.order)
    ):
        fill = _Fill(group.fields)
        fill["lines"] = _lines_text(group.lines, group.count)
        diagnoses.append(
            Diagnosis(
                error=group.signature.name,
                count=group.count,
                first_seen=_when(group.first_seen),
                example=group.example,
                fix=_fill_fix(group.signature.fix, fill),
            )
        )
    return DiagnosisReport(diagnoses=tuple(diagnoses), events=total, notes=tuple(cut))


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?")


def _text_timestamp(line: str) -> int | None:
    found = _ISO.search(line)
    if not found:
        return None
    raw = found.group(0).replace(" ", "T").replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(raw)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return _epoch_ms(when.timestamp() * 1000)
    except (ValueError, OverflowError):  # e.g. 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        return None


def _when(epoch_ms: int | None) -> datetime | None:
    """The UTC time of a timestamp from any source (a live event too), ``None`` when no date
    has it."""
    checked = _epoch_ms(epoch_ms)
    return None if checked is None else datetime.fromtimestamp(checked / 1000, tz=UTC)


#: CloudWatch Logs timestamps are milliseconds since the epoch; beyond year 9999 none is a date.
_MAX_EPOCH_MS = 253_402_300_799_999


def _epoch_ms(value: object) -> int | None:
    """``value`` as epoch milliseconds when it is a finite number a date can have, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not (0 <= value <= _MAX_EPOCH_MS):  # also False for NaN
        return None
    return int(value)


def _json_events(data: object, name: str) -> Iterator[LogEvent]:
    events: object
    if isinstance(data, dict) and "events" in data:
        events = data["events"]
    elif isinstance(data, list):
        events = data
    else:
        raise InputError(
            f"{name} is JSON but not a log export",
            advice='expected {"events": [...]} as written by `aws logs filter-log-events`',
        )
    if not isinstance(events, list):
        raise InputError(f"{name}: 'events' is not a list")
    for i, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("message"), str):
            raise InputError(f"{name}: event {i} has no 'message' string")
        stamp = event.get("timestamp")
        yield LogEvent(
            message=event["message"],
            timestamp=_epoch_ms(stamp),
            source=str(event.get("logStreamName", "")),
        )


def parse_export(data: bytes, name: str) -> tuple[LogEvent, ...]:
    """Events from an exported file: ``aws logs filter-log-events`` (or ``get-log-events``) JSON,
    a JSON list of events, or plain text with one event per line.

    Raises :class:`InputError` (exit 3) for an empty or binary file, or JSON of another shape.
    """
    if not data.strip():
        raise InputError(f"{name} is empty")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name} is binary, not a log export")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            parsed = json.loads(stripped)
        except RecursionError:
            raise InputError(f"{name} is not usable JSON: it nests too deeply") from None
        except json.JSONDecodeError:
            parsed = None
        except ValueError as err:  # e.g. an integer of more than 4,300 digits
            raise InputError(f"{name} is not usable JSON: {err}") from None
        if parsed is not None:
            return tuple(_json_events(parsed, name))
        if stripped.startswith("{"):
            raise InputError(f"{name} starts like JSON but does not parse")
    return tuple(
        LogEvent(message=line, timestamp=_text_timestamp(line))
        for line in text.splitlines()
        if line.strip()
    )
