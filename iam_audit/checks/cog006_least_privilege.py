"""COG006: the grants that satisfy COG001/COG002 are no broader than needed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

from iam_audit.checks.ask import ask_identity, evidence_of, finding
from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleKind
from iam_audit.checks.cog001_lambda_admin_initiate_auth import ACTION as AUTH_ACTION
from iam_audit.checks.cog002_logs_role_permissions import import_log_group
from iam_audit.checks.logs import LogGroup
from iam_audit.engine import (
    ContextMode,
    Principal,
    PrincipalKind,
    Request,
    StatementRef,
    evaluate_policies,
    statement_alone,
)
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import PolicyDocument, PolicyKind, Role, parse_arn
from iam_audit.sources.symbolic import unresolved_in

#: (what a too-broad grant also allows, the probe action, how to build the probe resource)
Probe = tuple[str, str, str]


def _single_statement(role: Role, ref: StatementRef) -> PolicyDocument | None:
    """The statement ``ref`` alone, as a one-statement policy the engine can be asked about."""
    for policy in (*role.identity_policies, *((role.boundary,) if role.boundary else ())):
        if policy.name == ref.policy and policy.kind is ref.kind:
            found = statement_alone(policy, ref.index)
            if found is not None:
                return found
    return None


def _broad_grants(
    role: Role, needed: Sequence[tuple[str, str]], probes: Sequence[Probe]
) -> tuple[int, list[StatementRef], list[str]]:
    """How many Allow statements grant ``needed``; which also allow a probe, and what."""
    grants: dict[tuple[str, int], StatementRef] = {}
    for action, resource in needed:
        answer = ask_identity(role, action, resource)
        for ref in answer.result.matched:
            if ref.effect == "Allow" and ref.kind is not PolicyKind.BOUNDARY:
                grants[(ref.policy, ref.index)] = ref
    broad: list[StatementRef] = []
    reasons: list[str] = []
    for ref in sorted(grants.values(), key=lambda r: (r.policy, r.index)):
        alone = _single_statement(role, ref)
        if alone is None:
            continue
        for reason, action, resource in probes:
            request = Request(
                action=action,
                resource=resource,
                principal=Principal(PrincipalKind.AWS, role.arn),
                mode=ContextMode.OPEN,
            )
            result = evaluate_policies(request, [alone])
            if result.allowed and not result.conditional:
                broad.append(ref)
                reasons.append(f"{ref.policy}:{ref.label} {reason}")
    return len(grants), broad, reasons


class LeastPrivilege:
    """The grants that satisfy COG001 and COG002 are no broader than needed.

    **What it checks**
    Takes each Allow statement that grants COG001's or COG002's access and asks the engine whether
    that statement alone also grants something the import never needs: another Cognito action
    (``cognito-idp:DeleteUserPool``), another pool, another service, or log groups outside
    ``/aws/cognito/``.

    **Why it matters**
    The migration Lambda runs with users' passwords in its input; a role that may also delete the
    pool or act on every pool turns a bug in the function into an account-wide incident.

    **Example**
    ``{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}``.

    **Fix**
    Replace the statement by the minimal one that ``iam-audit fix`` prints (explicit actions,
    the one pool ARN, the ``/aws/cognito/*`` log groups). Not automatic: narrowing a grant can break
    something else the role does.

    **Known limits**
    Statements allowed only under a condition are not counted as broad.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG006",
        slug="least-privilege",
        severity=Severity.WARNING,
        summary="The grants behind COG001/COG002 are no broader than needed",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.UNSAFE,
    )

    def run(self, target: AuditTarget) -> Iterator[Finding]:
        pool = target.source_pool_arn or target.user_pool_arn
        # an unsettled or unresolved source pool: COG001 says so, there is no grant to measure
        settled = target.source_pool_skip is None and not unresolved_in(pool or "")
        if target.lambda_role is not None and pool is not None and settled:
            arn = parse_arn(pool, expect_service="cognito-idp", what="user pool ARN")
            other_pool = (
                f"arn:{arn.partition}:cognito-idp:{arn.region}:{arn.account}"
                f":userpool/{arn.region}_iamAuditProbe"
            )
            probes = [
                (
                    "also allows other Cognito actions (cognito-idp:DeleteUserPool)",
                    "cognito-idp:DeleteUserPool",
                    pool,
                ),
                ("also allows other user pools", AUTH_ACTION, other_pool),
                ("also allows other services (iam:PassRole)", "iam:PassRole", "*"),
            ]
            yield self._verdict(target.lambda_role, [(AUTH_ACTION, pool)], probes, "lambda")
        if target.logs_role is not None and target.user_pool_arn is not None:
            group = import_log_group(target.user_pool_arn)
            outside = LogGroup(
                group.partition, group.region, group.account, "/aws/lambda/iam-audit-probe"
            ).stream_arn("probe")
            probes = [
                (
                    "also allows other log actions (logs:DeleteLogGroup)",
                    "logs:DeleteLogGroup",
                    # asked where IAM evaluates it, below the group's bare ARN (checks/logs.py)
                    group.authorized_arn("logs:DeleteLogGroup"),
                ),
                ("also allows log groups outside /aws/cognito/", "logs:PutLogEvents", outside),
                ("also allows other services (iam:PassRole)", "iam:PassRole", "*"),
            ]
            needed = group.needs(
                ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
            )
            yield self._verdict(target.logs_role, needed, probes, "logs")

    def _verdict(
        self, role: Role, needed: Sequence[tuple[str, str]], probes: Sequence[Probe], kind: str
    ) -> Finding:
        grants, broad, reasons = _broad_grants(role, needed, probes)
        if not grants:
            return finding(
                self.meta,
                role,
                Status.SKIP,
                f"{kind.capitalize()} role {role.name}: nothing grants the access yet "
                f"({'COG001' if kind == 'lambda' else 'COG002'})",
                locator=kind,
            )
        if broad:
            return finding(
                self.meta,
                role,
                Status.FAIL,
                f"{kind.capitalize()} role {role.name}: " + "; ".join(reasons),
                evidence=evidence_of(broad),
                locator=kind,
            )
        return finding(
            self.meta,
            role,
            Status.PASS,
            f"{kind.capitalize()} role {role.name}: the grants it needs are no broader than needed",
            locator=kind,
        )
