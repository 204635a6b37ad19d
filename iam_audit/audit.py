"""Run the checks over a target: the one loop between sources and renderers."""

from __future__ import annotations

from collections.abc import Iterable

from iam_audit.checks import ALL_CHECKS, AuditTarget, Check, RoleKind
from iam_audit.errors import IamAuditError
from iam_audit.findings import AuditResult, Finding, Status

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
    return AuditResult.of(findings, list(notes))
