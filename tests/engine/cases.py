"""Shared vocabulary of the engine tests: documentation URLs, principals, policy builders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iam_audit.engine import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
    evaluate_policies,
    parse_policy,
    validate_policy,
)
from iam_audit.model import PolicyDocument, PolicyKind

DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
EVAL = DOCS + "reference_policies_evaluation-logic.html"
CROSS = DOCS + "reference_policies_evaluation-logic-cross-account.html"
BOUNDARIES = DOCS + "access_policies_boundaries.html"
ACTION = DOCS + "reference_policies_elements_action.html"
NOTACTION = DOCS + "reference_policies_elements_notaction.html"
RESOURCE = DOCS + "reference_policies_elements_resource.html"
NOTRESOURCE = DOCS + "reference_policies_elements_notresource.html"
PRINCIPAL = DOCS + "reference_policies_elements_principal.html"
NOTPRINCIPAL = DOCS + "reference_policies_elements_notprincipal.html"
OPERATORS = DOCS + "reference_policies_elements_condition_operators.html"
MULTIVALUE = DOCS + "reference_policies_condition-single-vs-multi-valued-context-keys.html"
VARIABLES = DOCS + "reference_policies_variables.html"
CONDITION_KEYS = DOCS + "reference_policies_condition-keys.html"
GRAMMAR = DOCS + "reference_policies_grammar.html"
EFFECT = DOCS + "reference_policies_elements_effect.html"
COGNITO_IMPORT = (
    "https://docs.aws.amazon.com/cognito/latest/developerguide/"
    "cognito-user-pools-using-import-tool.html"
)
COGNITO_MIGRATE = (
    "https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-migrate-user.html"
)

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/migrate"
ROLE = Principal(PrincipalKind.AWS, ROLE_ARN)
SESSION = Principal(PrincipalKind.AWS, f"arn:aws:sts::{ACCOUNT}:assumed-role/migrate/job-42")
USER = Principal(PrincipalKind.AWS, f"arn:aws:iam::{ACCOUNT}:user/David")
FOREIGN_ROLE = Principal(PrincipalKind.AWS, f"arn:aws:iam::{OTHER}:role/outsider")
COGNITO = Principal(PrincipalKind.SERVICE, "cognito-idp.amazonaws.com")
LAMBDA = Principal(PrincipalKind.SERVICE, "lambda.amazonaws.com")
POOL = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_AbC123"
LOGS_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/Cognito-UserImport-Role"

Json = dict[str, Any]


def policy(*statements: Json, version: str | None = "2012-10-17") -> Json:
    """A policy document with ``statements`` (a list, even for one)."""
    body: Json = {"Statement": list(statements)}
    if version is not None:
        body = {"Version": version, **body}
    return body


def allow(action: str | list[str], resource: str | list[str] | None = "*", **extra: Any) -> Json:
    """An Allow statement; ``resource=None`` leaves Resource out."""
    return _statement("Allow", action, resource, extra)


def deny(action: str | list[str], resource: str | list[str] | None = "*", **extra: Any) -> Json:
    """A Deny statement; ``resource=None`` leaves Resource out."""
    return _statement("Deny", action, resource, extra)


def _statement(effect: str, action: Any, resource: Any, extra: dict[str, Any]) -> Json:
    statement: Json = {}
    if "Sid" in extra:
        statement["Sid"] = extra.pop("Sid")
    statement["Effect"] = effect
    if "NotAction" in extra:
        statement["NotAction"] = extra.pop("NotAction")
    else:
        statement["Action"] = action
    if "NotResource" in extra:
        statement["NotResource"] = extra.pop("NotResource")
    elif resource is not None:
        statement["Resource"] = resource
    statement.update(extra)
    return statement


@dataclass(frozen=True)
class Case:
    """One evaluation: the policies, the request, and everything the result must say.

    ``identity=None`` asks for the resource policy's half only. ``layer`` evaluates
    ``identity`` with ``evaluate_policies`` instead. ``blocked_by=None`` means "deny" for an
    explicit deny and "" otherwise. ``matched`` lists ``policy:label`` in the result's order.
    """

    action: str
    resource: str
    expect: Decision
    identity: tuple[Json, ...] | None = ()
    boundary: Json | None = None
    resource_policy: Json | None = None
    resource_kind: PolicyKind = PolicyKind.RESOURCE
    principal: Principal | None = ROLE
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mode: ContextMode = ContextMode.REQUEST
    resource_account: str | None = None
    layer: bool = False
    matched: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()
    conditional: bool = False
    blocked_by: str | None = None
    notes: int = 0


def run(case: Case) -> EvalResult:
    """Parse the case's documents (validating them) and evaluate its request."""
    request = Request(
        action=case.action,
        resource=case.resource,
        principal=case.principal,
        context=case.context,
        mode=case.mode,
    )
    identity: list[PolicyDocument] | None = None
    if case.identity is not None and case.layer:
        # One layer of probes may mix statements with and without Principal: validate the
        # grammar only, without the identity-policy rules.
        for doc in case.identity:
            validate_policy(doc)
        identity = [
            PolicyDocument(name=f"id{i}", kind=PolicyKind.INLINE, document=doc)
            for i, doc in enumerate(case.identity)
        ]
    elif case.identity is not None:
        identity = [
            parse_policy(doc, name=f"id{i}", kind=PolicyKind.INLINE)
            for i, doc in enumerate(case.identity)
        ]
    if case.layer:
        return evaluate_policies(request, identity or [])
    boundary = (
        parse_policy(case.boundary, name="boundary", kind=PolicyKind.BOUNDARY)
        if case.boundary is not None
        else None
    )
    resource_policy = (
        parse_policy(case.resource_policy, name=case.resource_kind.value, kind=case.resource_kind)
        if case.resource_policy is not None
        else None
    )
    return evaluate(
        request,
        identity=identity,
        boundary=boundary,
        resource_policy=resource_policy,
        resource_account=case.resource_account,
    )


def outcome(case: Case, result: EvalResult) -> tuple[dict[str, object], dict[str, object]]:
    """(what ``result`` says, what ``case`` expects), field by field, for one ``assert ==``."""
    blocked = case.blocked_by
    if blocked is None:
        blocked = "deny" if case.expect is Decision.EXPLICIT_DENY else ""
    got = {
        "decision": result.decision,
        "matched": tuple(f"{ref.policy}:{ref.label}" for ref in result.matched),
        "unresolved": result.unresolved,
        "conditional": result.conditional,
        "blocked_by": result.blocked_by,
        "notes": len(result.notes),
    }
    want = {
        "decision": case.expect,
        "matched": case.matched,
        "unresolved": case.unresolved,
        "conditional": case.conditional,
        "blocked_by": blocked,
        "notes": case.notes,
    }
    return got, want
