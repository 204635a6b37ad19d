"""``simulate``: one question, answered offline from policy files."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from iam_audit.engine import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
    parse_policy,
    request_context,
    resource_account,
    resource_policy_decides,
)
from iam_audit.engine.actions import is_unknown_action, suggest_action
from iam_audit.errors import InputError
from iam_audit.inputs import MAX_POLICY, read_text
from iam_audit.model import OrgPolicies, PolicyDocument, PolicyKind, parse_arn
from iam_audit.results import ResultKind, Row, Severity, Status

__all__ = [
    "SimulateQuestion",
    "SimulateReport",
    "action_warning",
    "load_policy_file",
    "resource_policy_kind",
    "simulate",
]


def load_policy_file(path: Path, kind: PolicyKind) -> PolicyDocument:
    """A policy document from a file (JSON or URL-encoded JSON), named after the file.

    A condition operator IAM does not define (``StringEqualz``) is an invalid policy, as IAM
    refuses to store it: :class:`~iam_audit.errors.PolicyParseError` names the JSON path.
    """
    text = read_text(path, "policy file", MAX_POLICY)
    return parse_policy(text, name=path.name, kind=kind, location=str(path), strict_operators=True)


def resource_policy_kind(action: str, resource: str) -> PolicyKind:
    """How ``--resource-policy`` is read: a role's trust policy for ``sts:AssumeRole*`` on a
    role, else a resource policy."""
    return (
        PolicyKind.TRUST
        if resource_policy_decides(action, resource) == "trust"
        else (PolicyKind.RESOURCE)
    )


def action_warning(action: str) -> str | None:
    """One line for stderr when ``action`` is not a known action, with the closest one."""
    if not is_unknown_action(action):
        return None
    hint = suggest_action(action)
    return f"warning: {action!r} is not a known action" + (
        f"; did you mean {hint}?" if hint else ""
    )


@dataclass(frozen=True, slots=True)
class SimulateQuestion:
    action: str
    resource: str
    policies: tuple[PolicyDocument, ...] = ()
    boundary: PolicyDocument | None = None
    caller_arn: str | None = None
    resource_policy: PolicyDocument | None = None
    principal_service: str | None = None
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()
    organization: OrgPolicies | None = None
    trust_policy: PolicyDocument | None = None


def _check_trust(question: SimulateQuestion) -> None:
    """``--trust-policy``: the question is whether the caller may assume the role."""
    if question.resource_policy is not None:
        raise InputError("give --trust-policy or --resource-policy, not both")
    if not question.action.lower().startswith("sts:"):
        raise InputError(
            f"--trust-policy answers sts: actions on the role (sts:AssumeRole…), "
            f"not {question.action}"
        )
    if resource_policy_decides("sts:AssumeRole", question.resource) != "trust":
        raise InputError(
            f"--trust-policy: --resource must be the role's ARN, not {question.resource!r}",
            advice="e.g. --resource arn:aws:iam::111122223333:role/NAME",
        )


def simulate(question: SimulateQuestion) -> EvalResult:
    """Evaluate the question exactly as IAM would, with the context as the whole request.

    With ``trust_policy`` (``--trust-policy``) the question is trust evaluation: the trust policy
    itself must allow the caller (an identity ``Allow`` alone never does). A ``--resource-policy``
    for ``sts:AssumeRole*`` on a role is the role's trust policy, and a ``kms:`` question on a
    key is decided by the key policy given as ``--resource-policy`` (without one, it is not
    allowed: the answer depends on the key policy).
    """
    if question.trust_policy is not None:
        _check_trust(question)
        question = replace(question, resource_policy=question.trust_policy, trust_policy=None)
    if question.caller_arn and question.principal_service:
        raise InputError("give --caller-arn or --principal-service, not both")
    if question.principal_service and question.policies:
        raise InputError("a service principal has no identity policies: drop --policy")
    if question.resource_policy is None and not question.policies:
        raise InputError(
            "nothing to evaluate: give --policy FILE, --resource-policy FILE or --trust-policy FILE"
        )
    if question.resource_policy is not None and not (
        question.caller_arn or question.principal_service
    ):
        raise InputError(
            "--resource-policy and --trust-policy need --principal-service NAME or --caller-arn ARN"
        )
    if question.resource != "*" and not question.resource.startswith("arn:"):
        parse_arn(question.resource, what="--resource ARN")
    principal = None
    if question.caller_arn:
        parse_arn(question.caller_arn, what="--caller-arn")
        principal = Principal(PrincipalKind.AWS, question.caller_arn)
    elif question.principal_service:
        principal = Principal(PrincipalKind.SERVICE, question.principal_service)
    context = dict(question.context)
    if not any(k.lower() == "aws:requestedregion" for k in context):
        context.update(request_context(question.resource))  # what the engine knows of it
    request = Request(
        action=question.action,
        resource=question.resource,
        principal=principal,
        context=context,
        mode=ContextMode.REQUEST,
    )
    owner = resource_account(question.resource)  # None for ``aws`` (AWS managed policies)
    if principal is not None and principal.account and owner is None:
        owner = principal.account
    return evaluate(
        request,
        identity=question.policies or None,
        boundary=question.boundary,
        resource_policy=question.resource_policy,
        resource_account=owner,
        organization=question.organization,
    )


def _reason(result: EvalResult, action: str, resource: str) -> str | None:
    """Why the request is not allowed, in one sentence; ``None`` when it is."""
    if result.allowed:
        return None
    if result.decision is Decision.EXPLICIT_DENY:
        return "an explicit Deny applies"
    decides = resource_policy_decides(action, resource)
    blocked = result.blocked_by
    if blocked == "boundary":
        return "no statement of the permissions boundary allows it"
    if blocked == "missing-resource-policy":
        if decides == "trust":
            return (
                "it depends on the role's trust policy, which was not given (--trust-policy FILE):"
                " identity policies alone never allow assuming a role"
            )
        return (
            "it depends on the key policy, which was not given (--resource-policy FILE): "
            "IAM policies allow access to a KMS key only where its key policy lets them"
        )
    if blocked == "resource-policy":
        if decides == "trust":
            return "the trust policy does not allow the caller (an identity Allow is not enough)"
        if decides == "key":
            return "the key policy does not allow it (an identity Allow is not enough)"
        return "the resource policy does not allow the caller (another account's resource)"
    if blocked == "identity":
        return "the resource policy grants the caller's account, but no identity policy allows it"
    return "no statement allows it"


@dataclass(frozen=True, slots=True)
class SimulateReport:
    """``simulate``'s answer as a :class:`~iam_audit.results.Result`: one row, ``pass`` when the
    request is allowed and ``fail`` (error severity: the command exits 1) when it is not."""

    kind: ClassVar[ResultKind] = ResultKind.SIMULATE

    result: EvalResult
    action: str
    resource: str
    caller: str = ""

    def rows(self) -> tuple[Row, ...]:
        allowed = self.result.allowed
        return (
            Row(
                subject=self.caller,
                check=self.action,
                status=Status.PASS if allowed else Status.FAIL,
                severity=Severity.ERROR,
                message=f"{self.result.decision.value}: {self.action} on {self.resource}",
            ),
        )

    def remarks(self) -> tuple[str, ...]:
        return self.result.notes

    def as_dict(self) -> dict[str, Any]:
        """DESIGN.md's ``simulate`` JSON, in AWS's own words
        (``policies/schemas/simulate-result.schema.json``).

        ``blocked_by`` names the layer that denied an otherwise allowed request (``null`` when
        none did), ``reason`` says in one sentence why the request is not allowed (``null`` when
        it is), ``notes`` what the engine could not use.
        """
        result = self.result
        return {
            "decision": result.decision.value,
            "matched_statements": [
                {
                    "policy": ref.policy,
                    "kind": ref.kind.value,
                    "statement": ref.label,
                    "index": ref.index,
                    "effect": ref.effect,
                }
                for ref in result.matched
            ],
            "unresolved": list(result.unresolved),
            "blocked_by": result.blocked_by or None,
            "reason": _reason(result, self.action, self.resource),
            "notes": list(result.notes),
        } | ({"decided_by": result.decided_by} if result.decided_by else {})
