"""COG003: Cognito may assume the CSV-import logs role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleCheck, RoleKind
from iam_audit.checks.trust import judge_service_trust
from iam_audit.findings import Finding, Severity
from iam_audit.model import Role

SERVICE = "cognito-idp.amazonaws.com"


class LogsRoleTrust(RoleCheck):
    """The logs role's trust policy lets ``cognito-idp.amazonaws.com`` perform ``sts:AssumeRole``.

    **What it checks**
    Evaluates the trust policy as a resource policy for ``sts:AssumeRole`` by the service
    principal ``cognito-idp.amazonaws.com``.

    **Why it matters**
    Cognito assumes this role to write the job's logs; when it cannot, the job fails with
    "The Amazon CloudWatch Logs role cannot be assumed".

    **Example**
    A role created for EC2 and reused: ``{"Principal": {"Service": "ec2.amazonaws.com"}}``.

    **Fix**
    Add ``{"Effect": "Allow", "Principal": {"Service": "cognito-idp.amazonaws.com"},
    "Action": "sts:AssumeRole"}`` to the trust policy (an existing ``Service`` list is extended).

    **Known limits**
    AWS documents no ``aws:SourceAccount``/``aws:SourceArn`` keys for this role: a statement that
    requires them is reported ``warn``, since the audit cannot know whether Cognito sends them.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG003",
        slug="logs-role-trust",
        severity=Severity.ERROR,
        summary="The logs role's trust policy lets cognito-idp.amazonaws.com assume it",
        role_kind=RoleKind.LOGS,
        fixability=Fixability.SAFE,
    )

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        yield judge_service_trust(self.meta, role, SERVICE, "logs-role-trust.json", "Logs")
