"""The one shape every command's result has for the renderers.

Every command that reports (``audit``, ``scan``, ``fix``, ``who-can``, ``simulate``,
``csv check``, ``jobs``, ``lambda check``, ``lambda calls``, ``logs diagnose``; not ``checks``,
a listing of the catalogue, nor ``fix --apply``'s record of what it wrote) returns a
:class:`Result`: its
:class:`ResultKind`, its rows (one verdict each: subject, check, status, severity, message, fix),
the notes it wants the reader to see, and :meth:`Result.as_dict`, the JSON payload whose shape
``policies/schemas/`` documents. :mod:`iam_audit.render` turns any of them into text; a format
that cannot express a kind says so (:class:`~iam_audit.errors.UsageError`).

The rows are the common reading of every kind: what failed, how badly, and what to do about it,
judged by the same :class:`Status` and :class:`Severity` (and so the same :func:`at_threshold`)
whatever the command; :func:`iam_audit.outcome.exit_code` reads a command's exit code from them
(:meth:`Row.fails`), and nothing else decides whether a verdict fails the run. The verdict vocabulary lives here; :mod:`iam_audit.findings` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, assert_never, runtime_checkable

if TYPE_CHECKING:
    from iam_audit.whocan import WhoCanResult

__all__ = [
    "FailOn",
    "Result",
    "ResultKind",
    "Row",
    "Severity",
    "Status",
    "WhoCanReport",
    "at_threshold",
    "fails",
]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Status(StrEnum):
    """``error`` is reserved for a check that crashed (the ``internal-error`` finding)."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"


class FailOn(StrEnum):
    """The threshold for exit code 1."""

    ERROR = "error"
    WARNING = "warning"
    NEVER = "never"


class ResultKind(StrEnum):
    """Which command's result it is (named in a format's usage error)."""

    AUDIT = "audit"
    FIX = "fix"
    WHO_CAN = "who-can"
    SIMULATE = "simulate"
    CSV = "csv check"
    JOBS = "jobs"
    LAMBDA = "lambda check"
    CALLS = "lambda calls"
    LOGS = "logs diagnose"


def at_threshold(status: Status, severity: Severity, fail_on: FailOn) -> bool:
    """Whether a verdict of ``status`` and ``severity`` reaches ``--fail-on`` ``fail_on``."""
    match fail_on:
        case FailOn.NEVER:
            return False
        case FailOn.WARNING:
            return status in (Status.FAIL, Status.WARN, Status.ERROR)
        case FailOn.ERROR:
            return status is Status.FAIL and severity is Severity.ERROR
        case _:
            assert_never(fail_on)


@dataclass(frozen=True, slots=True)
class Row:
    """One verdict of any command.

    ``subject`` is what it is about (a role or principal ARN, a CSV line, an import job, a
    function, a place in the code); ``check`` the check ID, rule or error it reports; ``fix`` what
    to do, as text (``""``: nothing, or nothing known); ``suppressed``: a suppression that has not
    expired holds it (it is shown, and fails nothing); ``incomplete``: an error-severity check
    that could not run for want of an input the user can give (the run is incomplete, exit 3).
    A row of status ``error`` is a check that crashed (exit 4).
    """

    subject: str
    check: str
    status: Status
    severity: Severity
    message: str
    fix: str = ""
    suppressed: bool = False
    incomplete: bool = False

    def fails(self, fail_on: FailOn) -> bool:
        """Whether this row alone fails the run (exit 1) under ``--fail-on`` ``fail_on``."""
        return not self.suppressed and at_threshold(self.status, self.severity, fail_on)


@runtime_checkable
class Result(Protocol):
    """What every command hands to a renderer."""

    kind: ClassVar[ResultKind]

    def rows(self) -> tuple[Row, ...]:
        """Every verdict, in the order the result keeps them."""
        ...

    def remarks(self) -> tuple[str, ...]:
        """The notes the command wants the reader to see (what it could not read or judge): the
        table writes each as a ``note:`` line (not with ``--quiet``), SARIF, JUnit and Markdown
        as their notes; the JSON payload holds them (``notes``; ``csv check``: the summary's
        ``notes``; ``fix``: ``incomplete``, when it has no template changes). A command never
        prints them itself."""
        ...

    def as_dict(self) -> dict[str, Any]:
        """The JSON payload, in the shape ``policies/schemas/`` documents."""
        ...


def fails(result: Result, fail_on: FailOn = FailOn.ERROR) -> bool:
    """Whether some row of ``result`` fails the run under ``fail_on`` (a preflight report's
    "the import would fail", ``fix``'s "something is left to change")."""
    return any(row.fails(fail_on) for row in result.rows())


@dataclass(frozen=True, slots=True)
class WhoCanReport:
    """``who-can``'s answer as a :class:`Result`: one ``pass`` row per principal allowed, ``warn``
    per principal allowed only under conditions the source cannot resolve (who-can lists; it
    fails nothing, so its rows have warning severity). ``notes``: what the command could not
    read beside the answer's own (the organization's policies, live)."""

    kind: ClassVar[ResultKind] = ResultKind.WHO_CAN

    answer: WhoCanResult
    notes: tuple[str, ...] = ()

    def rows(self) -> tuple[Row, ...]:
        return tuple(
            Row(
                subject=g.arn,
                check=self.answer.action,
                status=Status.PASS if g.decision.value == "allowed" else Status.WARN,
                severity=Severity.WARNING,
                message=f"{g.decision.value} via {', '.join(g.via) or '-'}"
                + (f" (depends on {', '.join(g.unresolved)})" if g.unresolved else ""),
            )
            for g in self.answer.principals
        )

    def remarks(self) -> tuple[str, ...]:
        return (*self.notes, *self.answer.notes)

    def as_dict(self) -> dict[str, Any]:
        """``{"principals": [...], "notes": [...]}``."""
        from iam_audit.whocan import result_to_dict

        return {**result_to_dict(self.answer), "notes": list(self.remarks())}
