"""``--format table``: what a person reads — which role, which check, what is missing, the fix."""

from __future__ import annotations

import json

from iam_audit.findings import AuditResult, Finding, Status
from iam_audit.fix.plan import INLINE_POLICY_NAME
from iam_audit.render.escape import for_terminal as _t

__all__ = ["TableRenderer"]

_MARK = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.WARN: "WARN",
    Status.SKIP: "SKIP",
    Status.ERROR: "ERROR",
}


def _role_label(arn: str) -> str:
    return _t(arn.rsplit("/", 1)[-1]) if arn else "(no role)"


class TableRenderer:
    """One line per result, grouped by role; each failure followed by its evidence and fix."""

    def __init__(self, show_fix: bool = True) -> None:
        self.show_fix = show_fix

    def render(self, result: AuditResult) -> str:
        lines: list[str] = []
        role = None
        for finding in result.findings:
            if finding.role != role:
                role = finding.role
                if lines:
                    lines.append("")
                lines.append(f"{_role_label(role)}  {_t(role)}" if role else "(no role)")
            lines.extend(self._finding(finding))
        if result.notes:
            lines.append("")
            lines.extend(f"note: {_t(note)}" for note in result.notes)
        summary = result.summary()
        if lines:
            lines.append("")
        lines.append(
            f"{summary['fail']} failed, {summary['warn']} warned, {summary['pass']} passed, "
            f"{summary['skip']} skipped"
            + (f", {summary['suppressed']} suppressed" if summary["suppressed"] else "")
            + (f", {summary['error']} internal errors" if summary["error"] else "")
        )
        return "\n".join(lines) + "\n"

    def _finding(self, finding: Finding) -> list[str]:
        mark = _MARK[finding.status]
        if finding.suppression and not finding.suppression.expired:
            mark = "SUPPRESSED"
        lines = [f"  {mark:<5} {finding.check} {finding.slug:<27} {_t(finding.message)}"]
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
