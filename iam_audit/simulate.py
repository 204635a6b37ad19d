"""``simulate``: one question, answered offline from policy files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iam_audit.engine import (
    ContextMode,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
    parse_policy,
)
from iam_audit.errors import InputError
from iam_audit.model import OrgPolicies, PolicyDocument, PolicyKind, parse_arn

__all__ = ["SimulateQuestion", "load_policy_file", "result_to_dict", "simulate"]


def load_policy_file(path: Path, kind: PolicyKind) -> PolicyDocument:
    """A policy document from a file (JSON or URL-encoded JSON), named after the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    return parse_policy(text, name=path.name, kind=kind, location=str(path))


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


def simulate(question: SimulateQuestion) -> EvalResult:
    """Evaluate the question exactly as IAM would, with the context as the whole request."""
    if question.caller_arn and question.principal_service:
        raise InputError("give --caller-arn or --principal-service, not both")
    if question.principal_service and question.policies:
        raise InputError("a service principal has no identity policies: drop --policy")
    if question.resource_policy is None and not question.policies:
        raise InputError("nothing to evaluate: give --policy FILE or --resource-policy FILE")
    if question.resource_policy is not None and not (
        question.caller_arn or question.principal_service
    ):
        raise InputError("--resource-policy needs --principal-service NAME or --caller-arn ARN")
    if question.resource != "*" and not question.resource.startswith("arn:"):
        parse_arn(question.resource, what="--resource ARN")
    principal = None
    if question.caller_arn:
        parse_arn(question.caller_arn, what="--caller-arn")
        principal = Principal(PrincipalKind.AWS, question.caller_arn)
    elif question.principal_service:
        principal = Principal(PrincipalKind.SERVICE, question.principal_service)
    context = dict(question.context)
    parts = question.resource.split(":")
    if len(parts) > 5 and parts[3] and not any(k.lower() == "aws:requestedregion" for k in context):
        # every request is sent to a region: a call on a regional resource goes to its region
        # ("aws:RequestedRegion", reference_policies_condition-keys.html)
        context["aws:RequestedRegion"] = (parts[3],)
    request = Request(
        action=question.action,
        resource=question.resource,
        principal=principal,
        context=context,
        mode=ContextMode.REQUEST,
    )
    resource_account = parts[4] if len(parts) > 5 and parts[4] else None
    if principal is not None and principal.account and resource_account is None:
        resource_account = principal.account
    return evaluate(
        request,
        identity=question.policies or None,
        boundary=question.boundary,
        resource_policy=question.resource_policy,
        resource_account=resource_account,
        organization=question.organization,
    )


def result_to_dict(result: EvalResult) -> dict[str, Any]:
    """DESIGN.md's ``simulate`` JSON, in AWS's own words."""
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
    } | ({"decided_by": result.decided_by} if result.decided_by else {})
