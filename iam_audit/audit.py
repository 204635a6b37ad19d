"""Run the checks over a target: the one loop between sources and renderers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from iam_audit.checks import ALL_CHECKS, AuditTarget, Check, RoleKind
from iam_audit.errors import IamAuditError
from iam_audit.findings import AuditResult, Finding, Status, incomplete_notes

if TYPE_CHECKING:
    from iam_audit.select import Planned

__all__ = ["run_checks", "run_planned"]


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
    findings = [_needs(f, target) for f in findings]
    result = AuditResult.of(findings, list(notes))
    return replace(result, notes=(*result.notes, *incomplete_notes(result)))


def run_planned(
    planned: Sequence[Planned],
    checks: Iterable[type[Check]] = ALL_CHECKS,
    notes: Iterable[str] = (),
) -> AuditResult:
    """Every finding of ``checks`` on every planned target (see :mod:`iam_audit.select`), merged.

    With several targets each finding says which pool it is about (``[LABEL] ...``) and its
    locator keeps the pools apart, so the same role judged for two pools is two results. None:
    not applicable, only ``notes``.
    """
    checks = tuple(checks)
    logs_checks = tuple(c for c in checks if c.meta.role_kind is RoleKind.LOGS)
    findings: list[Finding] = []
    for item in planned:
        result = run_checks(item.target, logs_checks if item.logs_only else checks)
        for found in result.findings:
            if item.label:
                found = replace(
                    found,
                    message=f"[{item.label}] {found.message}",
                    locator=f"{item.target.user_pool_arn or ''}#{found.locator}",
                )
            findings.append(found)
    merged = AuditResult.of(findings, list(notes))
    return replace(merged, notes=(*merged.notes, *incomplete_notes(merged)))


def _needs(finding: Finding, target: AuditTarget) -> Finding:
    """A skip for a role discovery could not settle carries the option that would settle it."""
    if finding.status is not Status.SKIP or finding.role or finding.needs:
        return finding
    meta = next((c.meta for c in ALL_CHECKS if c.meta.id == finding.check), None)
    if meta is None:
        return finding
    needs = target.lambda_skip_needs if meta.role_kind is RoleKind.LAMBDA else None
    needs = target.logs_skip_needs if meta.role_kind is RoleKind.LOGS else needs
    return replace(finding, needs=needs) if needs else finding
