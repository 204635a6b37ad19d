"""COG007: nobody but Cognito may assume the logs role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.ask import ask_trust, evidence_of, finding
from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleCheck, RoleKind
from iam_audit.engine import PrincipalKind, named_principals
from iam_audit.engine.types import Principal
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import Role

EXPECTED_SERVICE = "cognito-idp.amazonaws.com"


def _foreign_probe(account: str) -> Principal:
    """A principal from an account that is certainly not the role's own."""
    other = "999999999999" if account != "999999999999" else "888888888888"
    return Principal(PrincipalKind.AWS, f"arn:aws:iam::{other}:role/iam-audit-probe")


class TrustTooBroad(RoleCheck):
    """No Allow in the logs role's trust lets an unbounded or foreign principal assume it.

    **What it checks**
    Asks the engine whether a principal of an unrelated account may call ``sts:AssumeRole`` on the
    logs role: that catches ``"*"``, ``{"AWS": "*"}``, ``NotPrincipal`` and grants to other
    accounts, unless a condition pins them; then whether an Allow names a principal of another
    account without a condition. Service or federated principals other than
    ``cognito-idp.amazonaws.com`` are reported as ``warn``.

    **Why it matters**
    Whoever can assume the role can write into the pool's import logs, or anything else the role is
    allowed; a trust policy open to the world hands that to any AWS account.

    **Example**
    ``{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}``.

    **Fix**
    Keep only ``{"Principal": {"Service": "cognito-idp.amazonaws.com"}}`` (``iam-audit fix``
    prints it); removing a statement is never automatic.

    **Known limits**
    A grant pinned by any condition counts as pinned; the audit does not judge the condition.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG007",
        slug="trust-too-broad",
        severity=Severity.ERROR,
        summary="Only Cognito, or principals pinned by a condition, may assume the logs role",
        role_kind=RoleKind.LOGS,
        fixability=Fixability.NONE,
    )

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        if role.trust is None:
            yield finding(
                self.meta, role, Status.SKIP, "no trust policy in the source", locator="trust"
            )
            return
        foreign = ask_trust(role, _foreign_probe(role.account_id))
        if foreign.allowed and not foreign.result.conditional:
            yield finding(
                self.meta,
                role,
                Status.FAIL,
                f"Logs role {role.name}: its trust policy lets principals of any AWS account "
                "assume it; keep only the cognito-idp.amazonaws.com statement",
                evidence=evidence_of(foreign.result.matched),
                locator="trust",
            )
            return
        foreign_named = sorted(
            {
                principal.value
                for principal, conditioned in named_principals(role.trust, "sts:AssumeRole")
                if principal.kind is PrincipalKind.AWS
                and not conditioned
                and principal.account not in (None, role.account_id)
            }
        )
        if foreign_named:
            yield finding(
                self.meta,
                role,
                Status.FAIL,
                f"Logs role {role.name}: its trust policy lets another account assume it "
                f"({', '.join(foreign_named)}) without a condition that pins the caller",
                locator="trust",
            )
            return
        others = sorted(
            {
                f"{principal.kind.value}:{principal.value}"
                for principal, _conditioned in named_principals(role.trust, "sts:AssumeRole")
                if principal.kind in (PrincipalKind.SERVICE, PrincipalKind.FEDERATED)
                and principal.value != EXPECTED_SERVICE
            }
        )
        if others:
            yield finding(
                self.meta,
                role,
                Status.WARN,
                f"Logs role {role.name}: its trust policy also lets {', '.join(others)} assume "
                "it; the import needs only cognito-idp.amazonaws.com",
                locator="trust",
            )
            return
        yield finding(
            self.meta,
            role,
            Status.PASS,
            f"Logs role {role.name}: no unbounded or foreign principal may assume it",
            evidence=evidence_of(foreign.result.matched),
            unresolved=foreign.result.unresolved,
            locator="trust",
        )
