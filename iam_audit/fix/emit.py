"""Show a fix plan (diffs and documents) and write its documents as files."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from iam_audit.errors import InputError
from iam_audit.fix.iac import IacFix, iac_target, iac_to_dict
from iam_audit.fix.plan import FixPlan, PlannedFix
from iam_audit.inputs import inside, refuse_overlap, safe_name
from iam_audit.render.escape import for_terminal
from iam_audit.results import ResultKind, Row, Severity, Status

if TYPE_CHECKING:
    from iam_audit.findings import AuditResult

__all__ = [
    "Applied",
    "FixReport",
    "document_text",
    "file_name",
    "plan_to_dict",
    "unified_diff",
    "write_plan",
]


def document_text(document: Mapping[str, Any] | None) -> str:
    """The canonical text we show, diff and write: two-space JSON, keys in their order."""
    if document is None:
        return ""
    return json.dumps(document, indent=2) + "\n"


def label(fix: PlannedFix) -> str:
    """Which document ``fix`` writes: ``trust policy`` or ``inline policy NAME`` (unescaped)."""
    if fix.target == "trust":
        return "trust policy"
    return f"inline policy {fix.policy_name}"


def unified_diff(fix: PlannedFix, *, for_display: bool = False) -> str:
    """A unified diff from the current document to the planned one.

    ``for_display`` escapes the role and policy names in the header for a terminal; the body is
    ASCII JSON already (:func:`document_text`).
    """
    before = document_text(fix.before).splitlines(keepends=True)
    after = document_text(fix.after).splitlines(keepends=True)
    name = f"{fix.role_name}/{fix.policy_name}"
    if for_display:
        name = for_terminal(name)
    return "".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"a/{name}" if fix.before is not None else "/dev/null",
            tofile=f"b/{name}",
        )
    )


def plan_to_dict(plan: FixPlan) -> dict[str, Any]:
    """The plan as data for pipelines (``fix --format json``)."""
    return {
        "version": 1,
        "changes": [
            {
                "role": f.role_arn,
                "role_name": f.role_name,
                "target": f.target,
                "policy_name": f.policy_name,
                "checks": list(f.checks),
                "changed": f.changed,
                "before": f.before,
                "after": f.after,
                "diff": unified_diff(f),
            }
            for f in plan.fixes
        ],
        "skipped": [
            {"role": s.role_arn, "check": s.check, "reason": s.reason} for s in plan.skipped
        ],
    }


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``fix --apply`` did: where it saved what it replaced, and the audit run after."""

    backup: Path | None
    verified: AuditResult


@dataclass(frozen=True, slots=True)
class FixReport:
    """``fix``'s result as a :class:`~iam_audit.results.Result`: the plan, the checks that could
    not run (``incomplete``: never "nothing to fix" then) and, for a template, the changes to make
    in it in its own language (``template_changes``). ``applying``: the plan ``fix --apply`` is
    about to write (shown before it asks); ``applied``: what it wrote, and the verifying audit."""

    kind: ClassVar[ResultKind] = ResultKind.FIX

    plan: FixPlan
    incomplete: tuple[str, ...] = ()
    template_changes: tuple[IacFix, ...] = ()
    applying: bool = False
    applied: Applied | None = None

    def rows(self) -> tuple[Row, ...]:
        """One row per check a document (or a template change) fixes, then one per failing check
        left unfixed: each fails the run until it is applied (``fix`` exits 1). Once applied, the
        verifying audit's rows."""
        if self.applied is not None:
            return self.applied.verified.rows()
        rows = [
            Row(f.role_arn, check, Status.FAIL, Severity.ERROR, label(f), document_text(f.after))
            for f in self.plan.fixes
            if f.changed
            for check in f.checks
        ]
        rows += [
            Row(
                c.role_arn,
                check,
                Status.FAIL,
                Severity.ERROR,
                f"add to {iac_target(c)}",
                c.snippet,
            )
            for c in self.template_changes
            for check in c.checks
        ]
        rows += [
            Row(s.role_arn, s.check, Status.FAIL, Severity.ERROR, s.reason)
            for s in self.plan.skipped
        ]
        return tuple(rows)

    def remarks(self) -> tuple[str, ...]:
        return self.applied.verified.remarks() if self.applied is not None else self.incomplete

    def as_dict(self) -> dict[str, Any]:
        """The plan as data for pipelines (``fix --format json``), with the template changes or
        the checks that could not run; once applied, the plan, the backup and the verified audit."""
        if self.applied is not None:
            backup = self.applied.backup
            return {
                "plan": plan_to_dict(self.plan),
                "backup": None if backup is None else str(backup),
                "verified": self.applied.verified.as_dict(),
            }
        data = plan_to_dict(self.plan)
        if self.template_changes:
            data["template_changes"] = iac_to_dict(self.template_changes)
        if self.incomplete:  # with template changes too: the checks they do not cover
            data["incomplete"] = list(self.incomplete)
        return data


def file_name(fix: PlannedFix) -> str:
    """``<role>.<policy>.json``, each part made one safe file name (:func:`safe_name`), so a
    role named ``../../x`` or ``/etc/x`` stays a file inside the folder."""
    return f"{safe_name(fix.role_name)}.{safe_name(fix.policy_name)}.json"


def write_plan(
    plan: FixPlan, out_dir: Path, inputs: Iterable[tuple[str, Path | None]] = ()
) -> list[Path]:
    """Write each changed document to ``out_dir/<role>.<policy>.json``; return the paths.

    Every path is checked to resolve inside ``out_dir`` and to be none of ``inputs`` (option,
    path) before the first file is written.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out_dir}: {err.strerror}") from None
    planned = [(fix, inside(out_dir, file_name(fix))) for fix in plan.fixes if fix.changed]
    refuse_overlap(list(inputs), [("--out-dir file", path) for _, path in planned])
    written = []
    for fix, path in planned:
        try:
            path.write_text(document_text(fix.after), encoding="utf-8")
        except OSError as err:
            raise InputError(f"cannot write {path}: {err.strerror}") from None
        written.append(path)
    return written
