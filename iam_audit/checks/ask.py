"""How checks ask the engine their questions, and turn answers into findings.

Checks never walk policy JSON themselves: every question goes through :func:`ask_identity` or
:func:`ask_trust`, which build a request the way IAM would see it and call the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from msgspec import structs

from iam_audit.checks.base import finding
from iam_audit.engine import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    StatementRef,
    evaluate,
    evaluate_policies,
    request_context,
    resource_account,
)
from iam_audit.findings import Evidence
from iam_audit.model import OrgPolicies, Role, SourceKind
from iam_audit.sources.symbolic import UNRESOLVED_RE, has_placeholder, placeholders_in

__all__ = [
    "Answer",
    "ask_identity",
    "ask_trust",
    "boundary_allows",
    "evidence_of",
    "finding",
    "request_context",
    "role_context",
    "tags_known",
    "unknown_for",
    "unknown_values",
]


def role_context(role: Role) -> dict[str, tuple[str, ...]]:
    """What IAM knows of every request the role makes: its ARN, account, tags and, when AWS
    Organizations was read, its organization (``aws:PrincipalOrgID``)."""
    context: dict[str, tuple[str, ...]] = {"aws:PrincipalArn": (role.arn,)}
    if role.account_id:
        context["aws:PrincipalAccount"] = (role.account_id,)
    context["aws:PrincipalType"] = ("AssumedRole",)
    for key, value in role.tags:
        context[f"aws:PrincipalTag/{key}"] = (value,)
    if role.organization is not None and role.organization.organization_id:
        context["aws:PrincipalOrgID"] = (role.organization.organization_id,)
    return context


def tags_known(role: Role) -> bool:
    """Does the source hold every tag of the role? (a template that left a value unresolved may
    not). Then a tag key the role lacks is absent from its requests, not unknown
    ("aws:PrincipalTag/tag-key ... This key is included in the request context ... if the
    principal you are using has tags attached", IAM User Guide, AWS global condition context
    keys)."""
    return not role.symbolic


@dataclass(frozen=True, slots=True)
class Answer:
    """One action's answer for a role, with what the role's source could not tell."""

    action: str
    resource: str
    result: EvalResult
    unknown_managed: tuple[str, ...]
    unknown_boundary: str | None

    @property
    def allowed(self) -> bool:
        return self.result.decision is Decision.ALLOWED

    @property
    def denied(self) -> bool:
        """An explicit Deny settles the answer: it blocks whatever values the keys the source
        cannot resolve take.

        A Deny that blocks only for some of those values (``conditional``) does not settle it: the
        request is then "allowed only if conditions hold" (warn), in every check and as for
        who-can and simulate. "If a condition key ... is not present in the request context, the
        values do not match" (IAM User Guide, IAM JSON policy elements: Condition operators), so
        which way such a condition goes depends on the real request.
        """
        return self.result.decision is Decision.EXPLICIT_DENY and not self.result.conditional

    @property
    def organization_blocks(self) -> bool:
        """An SCP or RCP settles the answer: it blocks whatever values the keys the source cannot
        resolve take. One that blocks only for some of them does not, as for :attr:`denied`."""
        return self.result.blocked_by in ("scp", "rcp") and not self.result.conditional

    @property
    def uncertain(self) -> bool:
        """The answer hangs on a condition, or on a policy the source does not hold."""
        if self.result.conditional:
            return True
        if not self.allowed and self.result.decision is Decision.IMPLICIT_DENY:
            return bool(self.unknown_managed)
        return self.allowed and self.unknown_boundary is not None


def ask_identity(
    role: Role,
    action: str,
    resource: str,
    *,
    caller_side: bool = False,
    unknown_values: tuple[str, ...] = (),
) -> Answer:
    """May the role's session call ``action`` on ``resource``? (identity policies + boundary).

    ``caller_side``: only the caller's half of a cross-account request (the other account's
    resource policy, such as a role's trust, is judged on its own). ``unknown_values``: strings
    in the role's policies that stand for values not known yet (``Request.unknown_values``).
    The role's RCPs bound only a resource of its own account (:func:`_bounding`).
    """
    request = Request(
        action=action,
        resource=resource,
        principal=Principal(PrincipalKind.AWS, role.arn),
        context={**request_context(resource), **role_context(role)},
        mode=ContextMode.OPEN,
        principal_tags_known=tags_known(role),
        unknown_values=unknown_values,
    )
    result = evaluate(
        request,
        identity=role.identity_policies,
        boundary=role.boundary,
        resource_account=None if caller_side else resource_account(resource),
        organization=_bounding(role, role.account_id, resource_account(resource)),
        caller_side=caller_side,
    )
    unknown_boundary = role.boundary_arn if role.boundary is None else None
    return Answer(action, resource, result, role.unknown_managed, unknown_boundary)


def boundary_allows(role: Role, action: str, resource: str) -> bool:
    """Would the role's permissions boundary let an Allow for ``action`` work? (no boundary: yes)."""
    if role.boundary is None:
        return True
    request = Request(
        action=action,
        resource=resource,
        principal=Principal(PrincipalKind.AWS, role.arn),
        context={**request_context(resource), **role_context(role)},
        mode=ContextMode.OPEN,
        principal_tags_known=tags_known(role),
    )
    result = evaluate_policies(request, [role.boundary])
    return result.allowed or result.conditional


def ask_trust(
    role: Role,
    principal: Principal | Role,
    *,
    context: Mapping[str, tuple[str, ...]] | None = None,
) -> Answer:
    """May ``principal`` call ``sts:AssumeRole`` on the role? (its trust policy, bounded by the
    organization policies of the role's account).

    ``principal`` may be a role the source holds: its requests carry what IAM knows of it
    (:func:`role_context`). ``context``: more keys the request carries, such as
    the ``sts:ExternalId`` the caller passes. The role's SCPs bound only principals of its own
    account ("SCPs affect only IAM users and roles that are managed by accounts that are part of
    the organization", AWS Organizations User Guide, Service control policies (SCPs)); a caller
    in another account is bounded by its own, asked on its side (``ask_identity``). Values the
    role's template leaves unresolved are asked as any value (:func:`unknown_values`).
    """
    caller = principal if isinstance(principal, Role) else None
    who = Principal(PrincipalKind.AWS, principal.arn) if isinstance(principal, Role) else principal
    request = Request(
        action="sts:AssumeRole",
        resource=role.arn,
        principal=who,
        context={**(role_context(caller) if caller else {}), **(context or {})},
        mode=ContextMode.OPEN,
        principal_tags_known=tags_known(caller) if caller else False,
        unknown_values=unknown_for(unknown_values(role), role.arn),
    )
    result = evaluate(
        request,
        resource_policy=role.trust,
        resource_account=role.account_id or None,
        organization=_bounding(role, who.account, role.account_id),
    )
    return Answer("sts:AssumeRole", role.arn, result, (), None)


def _bounding(role: Role, principal: str | None, resource: str | None) -> OrgPolicies | None:
    """The organization policies of the role's account that bound a request of a principal of
    account ``principal`` on a resource of account ``resource`` (``None``: not known to be
    another): its SCPs only that account's principals, its RCPs only its resources.

    "SCPs affect only IAM users and roles that are managed by accounts that are part of the
    organization" (AWS Organizations User Guide, Service control policies (SCPs)); "RCPs create a
    permissions guardrail, or set limits, on the maximum permissions available for resources in
    your member accounts" (Authorization policies in AWS Organizations). The other account's
    side is asked with its own: a caller's identity with ``ask_identity``, a role's trust with
    ``ask_trust``.
    """
    organization = role.organization
    if organization is None:
        return None
    if principal not in (None, role.account_id):
        organization = structs.replace(organization, scp=())
    if resource not in (None, role.account_id):
        organization = structs.replace(organization, rcp=())
    return organization


def unknown_values(role: Role) -> tuple[str, ...]:
    """The strings in the role's policies that stand for values not known before deployment.

    Those a template left unresolved (``Role.symbolic``), and every placeholder for a name the
    deployment generates (``<LegacyPool>``, a pool ID CloudFormation assigns): whether such a
    name and a concrete value from elsewhere (the code, the command line) are one resource is
    unknown until deployment. The engine reads each as any value (``Request.unknown_values``):
    a verdict that rests on one is ``conditional`` on it, so a check says ``warn``, never a
    silent ``pass`` or ``fail``. A role read from AWS (live or authorization details) has none:
    only a template's or plan's reader writes placeholders, and in a document AWS returns
    ``<x>`` is text IAM compares as written.
    """
    if role.origin.kind in (SourceKind.LIVE, SourceKind.AUTH_DETAILS):
        return ()
    documents = (*role.identity_policies, role.boundary, role.trust)
    values = placeholders_in(*(d.document for d in documents if d is not None))
    values.update(v for v in role.symbolic if UNRESOLVED_RE.fullmatch(v))
    return tuple(sorted(values))


def unknown_for(holes: tuple[str, ...], resource: str) -> tuple[str, ...]:
    """The unknown values a question about ``resource`` reads as any value.

    Asked with the template's own placeholder, the comparison is exact ("the same placeholder
    always stands for the same value", see ``sources.symbolic``): generated names then stay as
    written, and only unresolved values are open.
    """
    if not has_placeholder(resource):
        return holes
    return tuple(v for v in holes if UNRESOLVED_RE.fullmatch(v))


def evidence_of(refs: tuple[StatementRef, ...] | list[StatementRef]) -> tuple[Evidence, ...]:
    """Statements as evidence, deduplicated and sorted."""
    seen = {(r.policy, r.label, r.effect): None for r in refs}
    return tuple(Evidence(p, s, e) for p, s, e in sorted(seen))
