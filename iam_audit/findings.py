"""Findings: one check's verdict on one role, and the result of a whole run."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from iam_audit.model import Origin
from iam_audit.results import FailOn, ResultKind, Row, Severity, Status

#: The ``version`` of the audit JSON (``audit-result.schema.json``).
JSON_VERSION = 1

__all__ = [
    "AuditResult",
    "Evidence",
    "FailOn",
    "Finding",
    "Row",
    "Severity",
    "Status",
    "TemplateFix",
    "fingerprint",
    "incomplete_notes",
]


@dataclass(frozen=True, slots=True)
class Evidence:
    """A statement that decided a result: policy name, statement (Sid or index) and effect."""

    policy: str
    statement: str
    effect: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        out = {"policy": self.policy, "statement": self.statement, "effect": self.effect}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Suppression:
    """A suppression that matched a finding: from configuration, or ``in_source`` (the
    ``Metadata`` of the template resource the finding comes from)."""

    reason: str
    expires: str | None = None
    expired: bool = False
    in_source: bool = False


@dataclass(frozen=True, slots=True)
class TemplateFix:
    """The fix written in the template's own language, where the finding's resource is a template.

    ``snippet`` is YAML or JSON (``language``) to add at ``where``; ``diff`` a unified diff of
    ``file`` that makes the change (on top of the run's earlier template fixes, in order); and
    ``insert_line`` / ``inserted`` the same change as an insertion before that 1-based line of the
    unchanged file (SARIF ``fixes``). ``note`` says where to make it when the file is generated.
    """

    file: str
    language: str
    where: str
    snippet: str
    diff: str | None = None
    insert_line: int | None = None
    inserted: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one role.

    ``locator`` distinguishes several findings of the same check on the same role (for example the
    action or principal concerned); with the check ID and role ARN it makes the fingerprint.
    ``fix`` is the minimal policy document that makes the check pass, or ``None``; ``fix_target``
    names what it is for (``inline`` policy or ``trust`` policy). ``needs`` is, on a ``skip``, the
    option that would have let the check run (``--source-pool-arn``): an error-severity check
    skipped for want of it makes the run incomplete (exit 3); a skip without it is "not
    applicable" (the source has no such part).
    """

    check: str
    slug: str
    severity: Severity
    status: Status
    role: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    missing: tuple[str, ...] = ()
    fix: dict[str, Any] | None = None
    fix_target: str | None = None
    unresolved: tuple[str, ...] = ()
    locator: str = ""
    origin: Origin | None = None
    suppression: Suppression | None = None
    template_fix: TemplateFix | None = None
    needs: str | None = None

    @property
    def incomplete(self) -> bool:
        """An error-severity check that could not run for want of an input the user can give."""
        return (
            self.status is Status.SKIP
            and self.severity is Severity.ERROR
            and self.needs is not None
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.check, self.role, self.locator)

    @property
    def counts_as_failure(self) -> bool:
        """A failing or warning result that is not suppressed."""
        return not self.suppressed and self.status in (Status.FAIL, Status.WARN, Status.ERROR)

    @property
    def suppressed(self) -> bool:
        """Suppressed by a suppression that has not expired."""
        return self.suppression is not None and not self.suppression.expired

    def sort_key(self) -> tuple[str, str, str]:
        return (self.role, self.check, self.locator)

    def row(self) -> Row:
        """This finding as a row of the result protocol (the fix as its statements' JSON)."""
        statements = self.fix.get("Statement", []) if self.fix is not None else []
        return Row(
            subject=self.role,
            check=self.check,
            status=self.status,
            severity=self.severity,
            message=self.message,
            fix="\n".join(json.dumps(statement) for statement in statements),
            suppressed=self.suppressed,
            incomplete=self.incomplete,
        )

    def as_dict(self) -> dict[str, Any]:
        """One result as DESIGN.md specifies it (``audit-result.schema.json``)."""
        out: dict[str, Any] = {
            "check": self.check,
            "slug": self.slug,
            "severity": self.severity.value,
            "status": self.status.value,
            "role": self.role,
            "message": self.message,
            "evidence": [e.as_dict() for e in self.evidence],
            "missing": list(self.missing),
            "fix": self.fix,
            "fix_target": self.fix_target,
            "unresolved": list(self.unresolved),
            "fingerprint": self.fingerprint,
        }
        if self.origin is not None:
            origin: dict[str, Any] = {
                "kind": self.origin.kind.value,
                "location": self.origin.location,
            }
            if self.origin.pointer:
                origin["pointer"] = self.origin.pointer
            if self.origin.line is not None:
                origin["line"] = self.origin.line
            if self.origin.stack:
                origin["stack"] = self.origin.stack
            if self.origin.construct:
                origin["construct"] = self.origin.construct
            out["origin"] = origin
        if self.template_fix is not None:
            t = self.template_fix
            out["template_fix"] = {
                "file": t.file,
                "language": t.language,
                "where": t.where,
                "snippet": t.snippet,
                "diff": t.diff,
                "note": t.note or None,
            }
        if self.suppression is not None:
            out["suppressed"] = {
                "reason": self.suppression.reason,
                "expires": self.suppression.expires,
                "expired": self.suppression.expired,
            }
        return out


def fingerprint(check: str, role: str, locator: str) -> str:
    """SHA-256 of check ID, role ARN and locator: stable across runs and message wording."""
    return hashlib.sha256(f"{check}\0{role}\0{locator}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Every finding of a run, sorted, plus notes the run wants the reader to see."""

    kind: ClassVar[ResultKind] = ResultKind.AUDIT

    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, findings: list[Finding], notes: list[str] | tuple[str, ...] = ()) -> AuditResult:
        return cls(tuple(sorted(findings, key=Finding.sort_key)), tuple(notes))

    def summary(self) -> dict[str, int]:
        counts = Counter(f.status.value for f in self.findings)
        out = {status.value: counts.get(status.value, 0) for status in Status}
        out["roles"] = len({f.role for f in self.findings})
        out["suppressed"] = sum(1 for f in self.findings if f.suppressed)
        return out

    def rows(self) -> tuple[Row, ...]:
        return tuple(f.row() for f in self.findings)

    def remarks(self) -> tuple[str, ...]:
        return self.notes

    def as_dict(self) -> dict[str, Any]:
        """``audit-result.schema.json``: the results, the counts and the notes."""
        return {
            "version": JSON_VERSION,
            "results": [f.as_dict() for f in self.findings],
            "summary": self.summary(),
            "notes": list(self.notes),
        }


def incomplete_notes(result: AuditResult) -> list[str]:
    """One line per error-severity check that could not run, naming the option that supplies
    what it lacked (see :attr:`Finding.needs`)."""
    return [
        f"incomplete: {f.check} could not run{' for ' + f.role if f.role else ''}: {f.message}"
        + ("" if f"pass {f.needs}" in f.message else f" (pass {f.needs})")
        for f in result.findings
        if f.incomplete
    ]
