"""``--format table``: what a person reads — which role, which check, what is missing, the fix.

An audit (``audit``, ``scan``) is shown here; every other kind of result by its view in
:mod:`iam_audit.render.views`. The notes of every kind (:meth:`~iam_audit.results.Result.remarks`:
what the command could not read or judge) are written here, one ``note:`` line each, before the
summary (never with ``--quiet``); no view and no command prints them itself.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from iam_audit.render.escape import for_terminal as _t
from iam_audit.render.interface import counts_line, role_name
from iam_audit.results import FailOn, Result, ResultKind, Severity, Status, fails

if TYPE_CHECKING:  # an audit's shapes; `who-can` and the other kinds never load them
    from iam_audit.findings import AuditResult, Finding

__all__ = ["TableRenderer"]

_MARK = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.WARN: "WARN",
    Status.SKIP: "SKIP",
    Status.ERROR: "ERROR",
}


def _below_threshold(result: AuditResult, fail_on: FailOn) -> str:
    """Why failing results leave the exit code 0: ``""`` when none does, or some fails the run."""
    below = [f for f in result.findings if f.counts_as_failure and f.status is not Status.ERROR]
    if not below or fails(result, fail_on):
        return ""
    failed = sum(1 for f in below if f.status is Status.FAIL)
    warned = len(below) - failed
    kinds = []
    if failed:
        errors = sum(1 for f in below if f.status is Status.FAIL and f.severity is Severity.ERROR)
        severity = "" if errors else "warning-severity "
        kinds.append(f"{failed} {severity}failure{'s' if failed != 1 else ''}")
    if warned:
        kinds.append(f"{warned} warn result{'s' if warned != 1 else ''}")
    advice = "" if fail_on is FailOn.NEVER else " (--fail-on warning fails on them)"
    return f"{' and '.join(kinds)}; exit 0 because --fail-on is {fail_on.value}{advice}"


class TableRenderer:
    """One line per result, grouped by role; each failure followed by its evidence and fix.

    A failure of a warning-severity check is marked ``[warning]``; when failures are below
    ``fail_on`` the last line says why the exit code is 0 (unless ``exit_reason`` is false: the
    command exits non-zero for another reason, such as a region ``scan`` could not read).
    ``quiet`` prints failures only: no passing, skipped or suppressed results and no notes, then
    the summary.
    """

    def __init__(
        self,
        show_fix: bool = True,
        *,
        fail_on: FailOn = FailOn.ERROR,
        quiet: bool = False,
        exit_reason: bool = True,
    ) -> None:
        self.show_fix = show_fix
        self.fail_on = fail_on
        self.quiet = quiet
        self.exit_reason = exit_reason

    def render(self, result: Result) -> str:
        notes = [] if self.quiet else [f"note: {_t(note)}" for note in result.remarks()]
        if result.kind is not ResultKind.AUDIT:
            from iam_audit.render.views import text_view

            view = text_view(result, quiet=self.quiet)
            lines = (*view.lines, *notes, *view.summary)
            return "\n".join(lines) + "\n" if lines else ""
        return self._audit(cast("AuditResult", result), notes)

    def _audit(self, result: AuditResult, notes: list[str]) -> str:
        lines: list[str] = []
        role = None
        for finding in result.findings:
            if self.quiet and not finding.counts_as_failure:
                continue
            if finding.role != role:
                role = finding.role
                if lines:
                    lines.append("")
                lines.append(f"{_t(role_name(role))}  {_t(role)}" if role else "(no role)")
            lines.extend(self._finding(finding))
        if notes:
            lines.append("")
            lines.extend(notes)
        if lines:
            lines.append("")
        lines.append(counts_line(result))
        why = _below_threshold(result, self.fail_on) if self.exit_reason else ""
        if why:
            lines.append(why)
        return "\n".join(lines) + "\n"

    def _finding(self, finding: Finding) -> list[str]:
        mark = _MARK[finding.status]
        if finding.suppressed:
            mark = "SUPPRESSED"
        tag = (
            "[warning] "
            if finding.status is Status.FAIL and finding.severity is Severity.WARNING
            else ""
        )
        lines = [f"  {mark:<5} {finding.check} {finding.slug:<27} {tag}{_t(finding.message)}"]
        if finding.status in (Status.PASS, Status.SKIP):
            return lines
        lines.extend(
            f"        evidence: {_t(evidence.effect or 'statement')} {_t(evidence.policy)}"
            f" {_t(evidence.statement)}" + (f" ({_t(evidence.note)})" if evidence.note else "")
            for evidence in finding.evidence
        )
        if finding.unresolved:
            lines.append(f"        unresolved condition keys: {_t(', '.join(finding.unresolved))}")
        if finding.suppression:
            state = "expired" if finding.suppression.expired else "suppressed"
            lines.append(f"        {state}: {_t(finding.suppression.reason)}")
        if self.show_fix and finding.fix is not None:
            from iam_audit.fix.plan import INLINE_POLICY_NAME

            where = (
                "trust policy"
                if finding.fix_target == "trust"
                else f"inline policy {INLINE_POLICY_NAME}"
            )
            lines.extend(
                f"        fix: add to the {where}: {json.dumps(statement)}"
                for statement in finding.fix.get("Statement", [])
            )
        return lines
