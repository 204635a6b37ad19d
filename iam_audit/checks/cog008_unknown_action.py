"""COG008: every action the roles' policies name exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from iam_audit.checks.ask import finding
from iam_audit.checks.base import AuditTarget, CheckMeta, Fixability, RoleKind
from iam_audit.engine import unknown_actions, unknown_operators
from iam_audit.findings import Evidence, Finding, Severity, Status
from iam_audit.model import Role


class UnknownAction:
    """Every action named in the roles' policies exists.

    **What it checks**
    Each ``Action`` and ``NotAction`` of the identity policies, boundary and trust policy of both
    roles against today's IAM action catalogue (AWS's Service Authorization Reference, shipped in
    ``iam_audit/data/``; its date is in ``iam-audit --version``), case-insensitively, wildcards
    included. An action AWS listed once and lists no longer (a retired service) is called retired.
    Each condition operator is checked against those IAM defines (``StringEqualz`` is not one).

    **Why it matters**
    A typo such as ``cognito-idp:AdminInitateAuth`` is accepted by IAM and grants nothing: the
    migration then fails with AccessDeniedException although the policy "looks right". A
    misspelt condition operator makes IAM refuse the policy (a deployment fails), and a statement
    holding one never applies.

    **Example**
    ``{"Effect": "Allow", "Action": "cognito-idp:AdminInitateAuth", "Resource": "..."}``.

    **Fix**
    Correct the name; the finding suggests the closest existing action.

    **Known limits**
    An action AWS added after the shipped data's date is reported unknown until
    ``scripts/refresh_aws_data.py`` refreshes it.
    """

    meta: ClassVar[CheckMeta] = CheckMeta(
        id="COG008",
        slug="unknown-action",
        severity=Severity.WARNING,
        summary="Every action the roles' policies name exists (no typos)",
        role_kind=RoleKind.LAMBDA,
        fixability=Fixability.NONE,
    )

    def run(self, target: AuditTarget) -> Iterator[Finding]:
        for kind, role in (("lambda", target.lambda_role), ("logs", target.logs_role)):
            if role is not None:
                yield self._verdict(role, kind)

    def _verdict(self, role: Role, kind: str) -> Finding:
        policies = [*role.identity_policies]
        if role.boundary:
            policies.append(role.boundary)
        if role.trust:
            policies.append(role.trust)
        unknown = [u for policy in policies for u in unknown_actions(policy)]
        # IAM refuses to store a policy with an unknown condition operator; the engine reads its
        # statement as never applying. Either way the policy is not what was meant.
        operators = [
            (policy.name, path, operator, hint)
            for policy in policies
            for path, operator, hint in unknown_operators(policy.document)
        ]
        if not unknown and not operators:
            return finding(
                self.meta,
                role,
                Status.PASS,
                f"{kind.capitalize()} role {role.name}: every action it names exists",
                locator=kind,
            )
        problems = []
        parts = [
            f"{u.action}" + (f" (did you mean {u.suggestion}?)" if u.suggestion else "")
            for u in unknown
            if not u.retired
        ]
        retired = [u.action for u in unknown if u.retired]
        if parts:
            problems.append("unknown action " + ", ".join(dict.fromkeys(parts)))
        if retired:
            problems.append(
                "retired action (AWS no longer lists it) " + ", ".join(dict.fromkeys(retired))
            )
        if operators:
            hints = [
                f"{operator} in {policy} {path}" + (f" (did you mean {hint}?)" if hint else "")
                for policy, path, operator, hint in operators
            ]
            problems.append(
                "unknown condition operator "
                + ", ".join(dict.fromkeys(hints))
                + " (IAM refuses such a policy; the statement never applies)"
            )
        return finding(
            self.meta,
            role,
            Status.FAIL,
            f"{kind.capitalize()} role {role.name}: " + "; ".join(problems),
            evidence=tuple(Evidence(u.policy, u.statement, "", note=u.action) for u in unknown)
            + tuple(
                Evidence(policy, path, "", note=operator) for policy, path, operator, _ in operators
            ),
            missing=tuple(dict.fromkeys(u.action for u in unknown))
            + tuple(dict.fromkeys(operator for _, _, operator, _ in operators)),
            locator=kind,
        )
