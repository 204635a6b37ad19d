"""COG004: Lambda may assume the migration function's execution role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleCheck, RoleKind
from iam_audit.checks.trust import judge_service_trust
from iam_audit.findings import Finding, Severity
from iam_audit.model import Role

SERVICE = "lambda.amazonaws.com"


class LambdaRoleTrust(RoleCheck):
    """The Lambda role's trust policy lets ``lambda.amazonaws.com`` assume it.

    **What it checks**
    Evaluates the trust policy for ``sts:AssumeRole`` by the service principal
    ``lambda.amazonaws.com``.

    **Why it matters**
    Lambda cannot run the migration trigger with a role it cannot assume; creating or updating the
    function fails with "The role defined for the function cannot be assumed by Lambda".

    **Example**
    A role trusted only by ``cognito-idp.amazonaws.com`` used as the function's execution role.

    **Fix**
    Add ``{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}`` to the trust policy.

    **Known limits**
    A trust statement with conditions is reported ``warn`` with the keys it depends on.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG004",
        slug="lambda-role-trust",
        severity=Severity.ERROR,
        summary="The migration Lambda role's trust policy lets lambda.amazonaws.com assume it",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.SAFE,
    )

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        yield judge_service_trust(self.meta, role, SERVICE, "lambda-role-trust.json", "Lambda")
