"""``--format json``: one object, validated by ``policies/schemas/audit-result.schema.json``."""

from __future__ import annotations

import json
from typing import Any

from iam_audit.findings import AuditResult, Finding

__all__ = ["JsonRenderer", "finding_to_dict", "result_to_dict"]

VERSION = 1


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One result as DESIGN.md specifies it."""
    out: dict[str, Any] = {
        "check": finding.check,
        "slug": finding.slug,
        "severity": finding.severity.value,
        "status": finding.status.value,
        "role": finding.role,
        "message": finding.message,
        "evidence": [e.as_dict() for e in finding.evidence],
        "missing": list(finding.missing),
        "fix": finding.fix,
        "fix_target": finding.fix_target,
        "unresolved": list(finding.unresolved),
        "fingerprint": finding.fingerprint,
    }
    if finding.origin is not None:
        origin: dict[str, Any] = {
            "kind": finding.origin.kind.value,
            "location": finding.origin.location,
        }
        if finding.origin.pointer:
            origin["pointer"] = finding.origin.pointer
        if finding.origin.line is not None:
            origin["line"] = finding.origin.line
        if finding.origin.stack:
            origin["stack"] = finding.origin.stack
        if finding.origin.construct:
            origin["construct"] = finding.origin.construct
        out["origin"] = origin
    if finding.template_fix is not None:
        t = finding.template_fix
        out["template_fix"] = {
            "file": t.file,
            "language": t.language,
            "where": t.where,
            "snippet": t.snippet,
            "diff": t.diff,
            "note": t.note or None,
        }
    if finding.suppression is not None:
        out["suppressed"] = {
            "reason": finding.suppression.reason,
            "expires": finding.suppression.expires,
            "expired": finding.suppression.expired,
        }
    return out


def result_to_dict(result: AuditResult) -> dict[str, Any]:
    return {
        "version": VERSION,
        "results": [finding_to_dict(f) for f in result.findings],
        "summary": result.summary(),
        "notes": list(result.notes),
    }


class JsonRenderer:
    """Stable, sorted JSON for pipelines."""

    def render(self, result: AuditResult) -> str:
        return json.dumps(result_to_dict(result), indent=2, sort_keys=False) + "\n"
