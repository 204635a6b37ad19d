"""Run the checks over a target: the one loop between sources and renderers."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import replace

from iam_audit.checks import ALL_CHECKS, AuditTarget, Check, RoleKind
from iam_audit.errors import IamAuditError
from iam_audit.findings import AuditResult, Finding, Status
from iam_audit.model import Role

__all__ = ["run_checks"]


def run_checks(
    target: AuditTarget,
    checks: Iterable[type[Check]] = ALL_CHECKS,
    notes: Iterable[str] = (),
) -> AuditResult:
    """Every finding of ``checks`` on ``target``, sorted.

    A check that raises becomes an ``internal-error`` finding on its role (exit code 4), and the
    run carries on; an :class:`IamAuditError` (bad input) still stops the run.
    """
    findings: list[Finding] = []
    for check_class in checks:
        check = check_class()
        try:
            findings.extend(check.run(target))
        except IamAuditError:
            raise
        except Exception as err:  # a bug in one check must not hide the others' results
            if os.environ.get("IAM_AUDIT_DEBUG"):
                raise  # the traceback, as the one-line message promises
            role = target.lambda_role if check.meta.role_kind is RoleKind.LAMBDA else None
            role = role or target.logs_role
            findings.append(
                Finding(
                    check=check.meta.id,
                    slug="internal-error",
                    severity=check.meta.severity,
                    status=Status.ERROR,
                    role=role.arn if role else "",
                    message=f"check {check.meta.id} crashed: {type(err).__name__}: {err}",
                    locator="internal-error",
                )
            )
    roles = [r for r in (target.lambda_role, target.logs_role) if r is not None]
    return AuditResult.of([_no_silent_pass(f, roles) for f in findings], list(notes))


def _no_silent_pass(finding: Finding, roles: list[Role]) -> Finding:
    """A pass that rests on statements a template left unresolved becomes a ``warn`` naming them.

    The values are those the source recorded in ``Role.symbolic``; a pass counts as resting on
    one when a statement that decided it (its evidence) holds that value.
    """
    role = next((r for r in roles if r.arn == finding.role), None)
    if role is None or not role.symbolic or finding.status is not Status.PASS:
        return finding
    texts = [
        json.dumps(statement)
        for evidence in finding.evidence
        for statement in _statements(role, evidence.policy, evidence.statement)
    ]
    values = sorted(v for v in role.symbolic if any(v in text for text in texts))
    if not values:
        return finding
    return replace(
        finding,
        status=Status.WARN,
        message=f"{finding.message}, but the template leaves unresolved: {', '.join(values)}",
        unresolved=tuple(sorted({*finding.unresolved, *values})),
    )


def _statements(role: Role, policy: str, label: str) -> list[object]:
    """The statement ``label`` (a Sid, or ``#index``) of the role's policy named ``policy``."""
    found: list[object] = []
    for document in (*role.identity_policies, role.trust, role.boundary):
        if document is None or document.name != policy:
            continue
        raw = document.document.get("Statement") if isinstance(document.document, dict) else None
        items = raw if isinstance(raw, list) else [raw]
        for index, statement in enumerate(items):
            sid = statement.get("Sid") if isinstance(statement, dict) else None
            if label in (f"#{index}", sid):
                found.append(statement)
    return found
