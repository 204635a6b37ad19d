"""The prologue every role check shares (:class:`iam_audit.checks.base.RoleCheck`): a missing
role is one ``skip`` carrying the target's reason, whatever else the target holds."""

from __future__ import annotations

from typing import Any

import pytest

from iam_audit.checks import ALL_CHECKS, AuditTarget, RoleKind
from iam_audit.checks.base import CodeCheck, RoleCheck
from iam_audit.findings import Finding, Status
from iam_audit.model import Origin, Role, SourceKind

ROLE_CHECKS = [c for c in ALL_CHECKS if issubclass(c, RoleCheck)]
_ORIGIN = Origin(SourceKind.LIVE, "arn:aws:iam::111122223333:role/present")
LAMBDA = Role(arn="arn:aws:iam::111122223333:role/migrate", name="migrate", origin=_ORIGIN)
LOGS = Role(arn="arn:aws:iam::111122223333:role/import-logs", name="import-logs", origin=_ORIGIN)


def _skip(check: type[RoleCheck], message: str, **fields: Any) -> Finding:
    """The one ``skip`` finding of ``check``, written out field by field."""
    return Finding(
        check=check.meta.id,
        slug=check.meta.slug,
        severity=check.meta.severity,
        status=Status.SKIP,
        message=message,
        **fields,
    )


def test_every_check_with_the_prologue_uses_the_template() -> None:
    # COG006 and COG008 judge both roles and COG009 the function: they have no one role to miss.
    assert sorted(c.meta.id for c in ALL_CHECKS if c not in ROLE_CHECKS) == [
        "COG006",
        "COG008",
        "COG009",
    ]
    # the two checks of the function's code share the second prologue, "code unknown: skip"
    assert sorted(c.meta.id for c in ALL_CHECKS if issubclass(c, CodeCheck)) == [
        "COG010",
        "COG011",
    ]


@pytest.mark.parametrize("check", ROLE_CHECKS, ids=lambda c: c.meta.id)
def test_a_missing_role_is_one_skip_with_the_targets_reason(check: type[RoleCheck]) -> None:
    lambda_missing = check.meta.role_kind is RoleKind.LAMBDA
    target = AuditTarget(
        lambda_role=None if lambda_missing else LAMBDA,
        logs_role=LOGS if lambda_missing else None,
        user_pool_arn="arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_abc",
        lambda_skip_reason="no Lambda role, for the test",
        logs_skip_reason="no logs role, for the test",
    )
    reason = "no Lambda role, for the test" if lambda_missing else "no logs role, for the test"
    assert list(check().run(target)) == [_skip(check, reason, role="")]


@pytest.mark.parametrize(
    "check", [c for c in ALL_CHECKS if issubclass(c, CodeCheck)], ids=lambda c: c.meta.id
)
def test_unknown_code_is_one_skip_with_the_targets_reason(check: type[CodeCheck]) -> None:
    target = AuditTarget(lambda_role=LAMBDA, code=None, code_skip_reason="no code, for the test")
    assert list(check().run(target)) == [
        _skip(
            check,
            "no code, for the test",
            role=LAMBDA.arn,
            locator=check.meta.id,
            origin=LAMBDA.origin,
        )
    ]
