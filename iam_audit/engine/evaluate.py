"""Policy evaluation: one request against identity policies, a boundary and a resource policy.

Implements https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
and the cross-account page (reference_policies_evaluation-logic-cross-account.html) for the policy
types iam-audit reads: identity-based policies, a permissions boundary and one resource-based policy
(a role's trust policy is one), and, when given, the organization's SCPs and RCPs
(:func:`apply_organization`). Session policies are not modelled.

How a request is decided (``evaluate``):

1. An applicable ``Deny`` in any of the policies → ``explicitDeny`` (``blocked_by="deny"``).
2. Same account: an identity ``Allow`` that the boundary also allows, or a resource-policy ``Allow``
   that names the principal. Which principal ARN the resource policy names decides whether the
   boundary limits it: a grant to the user or session ARN itself (or to ``*``) is not limited, a
   grant to a role ARN is ("Resource-based policies that grant permissions to an IAM role ARN are
   limited by an implicit deny in a permissions boundary or session policy"), a grant to the
   account delegates to the account's own policies. Role trust policies (and KMS key policies)
   "must explicitly allow access for principals": identity policies alone never suffice.
3. Cross-account: an identity ``Allow`` (within the boundary) *and* a resource-policy ``Allow``
   that names the principal; without a resource policy the request is impossible.

Each statement is matched once in AWS's two-valued logic (the decision) and once in a three-valued
logic in which a condition key that the caller did not supply is unknown; the second answer fills
``EvalResult.unresolved`` and, in ``ContextMode.OPEN``, ``EvalResult.conditional``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from msgspec import Struct
from msgspec.structs import replace

from iam_audit.engine.compile import (
    GRANT_ACCOUNT,
    GRANT_DIRECT,
    GRANT_ROLE,
    CompiledPolicy,
    StatementMatch,
    compile_policy,
)
from iam_audit.engine.conditions import Tri
from iam_audit.engine.parse import parse_policy, validate_policy
from iam_audit.engine.types import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    StatementRef,
)
from iam_audit.model import OrgLevel, OrgPolicies, PolicyDocument, PolicyKind

__all__ = [
    "allows_not_principal",
    "apply_organization",
    "evaluate",
    "evaluate_policies",
    "named_principals",
    "parse_policy",
    "policy_notes",
    "resource_account",
    "resource_policy_decides",
    "validate_policy",
]

_USER_RE = re.compile(r"^arn:[^:]+:iam::(\d{12}):user/(?:.*/)?([^/]+)$")
_ROLE_RE = re.compile(r"^arn:[^:]+:iam::\d{12}:role/.+$")
# compiled on first use (re's own cache of patterns), not at import: who-can's principals are
# users and roles, its action no KMS one
_ROOT_RE = r"^arn:[^:]+:iam::\d{12}:root$"
_SESSION_RE = r"^arn:[^:]+:sts::\d{12}:assumed-role/.+$"
_FEDERATED_USER_RE = r"^arn:[^:]+:sts::\d{12}:federated-user/.+$"
_KMS_KEY_RE = r"^arn:[^:]+:kms:[^:]*:\d{12}:key/.+$"


def resource_account(resource: str) -> str | None:
    """The 12-digit account that owns ``resource`` (an ARN), or ``None``.

    ``None`` also for the ARNs whose account field is not an account: ``aws`` in an AWS managed
    policy's ARN ("An AWS managed policy is a standalone policy that is created and administered
    by AWS ... For example, arn:aws:iam::aws:policy/IAMReadOnlyAccess is an AWS managed policy",
    access_policies_managed-vs-inline.html), and the empty field of global resources
    (``arn:aws:s3:::bucket``).
    """
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return None


def resource_policy_decides(action: str, resource: str) -> str | None:
    """Whose policy must itself allow the request, whatever identity policies say.

    ``"trust"`` for ``sts:AssumeRole*`` on a role ARN, ``"key"`` for a ``kms:`` action on a KMS
    key ARN, ``None`` otherwise. "Role trust policies and KMS key policies are exceptions to this
    logic, because they must explicitly allow access for principals" (IAM policy evaluation
    logic); "unless the key policy explicitly allows it, you cannot use IAM policies to allow
    access to a KMS key" (AWS KMS "Key policies", kms/latest/developerguide/key-policies.html).
    """
    lowered = action.lower()
    if lowered.startswith("sts:assumerole") and _ROLE_RE.match(resource):
        return "trust"
    if lowered.startswith("kms:") and re.match(_KMS_KEY_RE, resource):
        return "key"
    return None


_DECIDING_POLICY = {"trust": "the role's trust policy", "key": "the key policy"}

# Enum members read on every request, as module globals: reading a member as a class attribute
# costs about ten times a global's in CPython 3.11 (the members are the same objects)
_FALSE, _TRUE, _UNKNOWN = Tri.FALSE, Tri.TRUE, Tri.UNKNOWN
_AWS = PrincipalKind.AWS
_TRUST = PolicyKind.TRUST
_OPEN = ContextMode.OPEN


# ---------------------------------------------------------------------------------------------
# Request context


_EMPTY: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def _derived(
    principal: Principal | None,
) -> tuple[Mapping[str, tuple[str, ...]], frozenset[str]]:
    """Context keys IAM puts in every request of ``principal``: (values, keys known absent).

    From https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html:
    ``aws:PrincipalArn`` (role ARN for a role, user ARN for a user, the federated-user ARN),
    ``aws:PrincipalAccount``, ``aws:PrincipalType``, ``aws:username`` (IAM users only; "requests
    that are made using the AWS account root user or IAM roles do not include this key"),
    ``aws:PrincipalServiceName`` (service principals only) and ``aws:PrincipalIsAWSService``.
    A role session ARN gives no ``aws:PrincipalArn``: the role's path is not in it.
    """
    values: dict[str, tuple[str, ...]] = {}
    absent: set[str] = set()
    if principal is None:
        return _EMPTY, frozenset()
    if principal.kind is PrincipalKind.SERVICE:
        values["aws:principalservicename"] = (principal.value,)
        values["aws:principalisawsservice"] = ("true",)
        absent.add("aws:username")
    elif principal.kind is PrincipalKind.AWS:
        arn = principal.value
        values["aws:principalisawsservice"] = ("false",)
        absent.add("aws:principalservicename")
        if principal.account:
            values["aws:principalaccount"] = (principal.account,)
        user = _USER_RE.match(arn)
        if user:
            values["aws:principalarn"] = (arn,)
            values["aws:principaltype"] = ("User",)
            values["aws:username"] = (user.group(2),)
        elif _ROLE_RE.match(arn):
            values["aws:principalarn"] = (arn,)
            values["aws:principaltype"] = ("AssumedRole",)
            absent.add("aws:username")
        elif re.match(_SESSION_RE, arn):
            values["aws:principaltype"] = ("AssumedRole",)
            absent.add("aws:username")
        elif re.match(_FEDERATED_USER_RE, arn):
            values["aws:principalarn"] = (arn,)
            values["aws:principaltype"] = ("FederatedUser",)
        elif re.match(_ROOT_RE, arn) or (len(arn) == 12 and arn.isdigit()):
            if re.match(_ROOT_RE, arn):
                values["aws:principalarn"] = (arn,)
            values["aws:principaltype"] = ("Account",)
            absent.add("aws:username")
    elif principal.kind is PrincipalKind.ANONYMOUS:
        values["aws:principaltype"] = ("Anonymous",)
        absent.update({"aws:principalarn", "aws:username", "aws:principalaccount"})
    return MappingProxyType(values), frozenset(absent)


class _Known:
    """The condition keys whose value, or absence, the request context settles."""

    __slots__ = ("absent", "tags", "values")

    def __init__(
        self, values: Mapping[str, tuple[str, ...]], absent: frozenset[str], tags: bool = False
    ) -> None:
        self.values = values
        self.absent = absent
        self.tags = tags  # every aws:principaltag/KEY is settled: present in values or absent

    def __contains__(self, key: object) -> bool:
        return (
            key in self.values
            or key in self.absent
            or (self.tags and type(key) is str and key.startswith(_TAG_PREFIX))
        )


_TAG_PREFIX = "aws:principaltag/"


def _context(request: Request) -> tuple[Mapping[str, tuple[str, ...]], _Known]:
    """Lower-cased context values (derived keys first, the caller's win) and the known keys."""
    derived, absent = _derived(request.principal)
    values: Mapping[str, tuple[str, ...]] = derived
    if request.context:
        merged = dict(derived)
        for key, raw in request.context.items():
            item: object = raw
            if type(item) is tuple and (
                (len(item) == 1 and type(item[0]) is str) or all(isinstance(e, str) for e in item)
            ):
                value: tuple[str, ...] = item
            elif isinstance(item, str):
                value = (item,)
            elif isinstance(item, list | tuple | set | frozenset):
                value = tuple(str(element) for element in item)
            else:
                value = (str(item),)
            merged[str(key).lower()] = value
        values = merged
    return values, _Known(values, absent, request.principal_tags_known)


# ---------------------------------------------------------------------------------------------
# Matching layers

# Aggregates: the kinds of statement whose matches decide a request.
DENY, IDENTITY, BOUNDARY, DIRECT, ROLE, ACCOUNT = range(6)


class _Aggregate:
    """One kind of statement (e.g. identity Allows): does any apply, and which?"""

    # the answers before any statement is added, as class attributes: six are built per
    # request, and most stay empty (an instance gets its own value on its first add)
    applies = False  # AWS's answer
    tri = Tri.FALSE  # the open answer
    refs: tuple[StatementRef, ...] = ()  # statements that apply
    missing: frozenset[str] = frozenset()  # keys of statements whose answer is unknown

    def add(self, ref: StatementRef, applies: bool, tri: Tri, missing: tuple[str, ...]) -> None:
        if applies:
            self.applies = True
            self.refs += (ref,)
        if tri is _TRUE:
            self.tri = _TRUE
        elif tri is _UNKNOWN:
            if self.tri is _FALSE:
                self.tri = _UNKNOWN
            self.missing |= frozenset(missing)


class Memo:
    """Answers that one question's many requests share (:class:`~iam_audit.engine.batch.Question`
    owns one; nothing is kept between runs).

    ``matches``: a statement's match, by what it says, for statements whose match reads neither
    the request context nor the principal. ``verdicts``: the decision for one shape of request
    and one set of aggregate answers (:func:`_verdict` is a function of those alone).
    """

    __slots__ = ("decides", "matches", "shapes", "verdicts")

    def __init__(self) -> None:
        self.matches: dict[tuple[object, ...], StatementMatch] = {}
        self.verdicts: dict[tuple[object, ...], _Verdict] = {}
        self.shapes: dict[tuple[bool, ...], _Shape] = {}
        self.decides: dict[tuple[str, str], str | None] = {}


class _Context:
    """The request's context, worked out the first time a statement reads it."""

    __slots__ = ("_found", "request")

    def __init__(self, request: Request) -> None:
        self.request = request
        self._found: tuple[Mapping[str, tuple[str, ...]], _Known] | None = None

    def get(self) -> tuple[Mapping[str, tuple[str, ...]], _Known]:
        if self._found is None:
            self._found = _context(self.request)
        return self._found


_NO_CONTEXT: tuple[Mapping[str, tuple[str, ...]], _Known] = (_EMPTY, _Known(_EMPTY, frozenset()))


def _scan(
    policy: CompiledPolicy,
    request: Request,
    action: str,
    service: str,
    context: _Context,
    aggregates: list[_Aggregate],
    allow_into: tuple[tuple[int, int], ...],
    check_principal: bool,
    boundary_present: bool,
    notes: set[str],
    memo: Memo | None = None,
) -> None:
    """Match the statements of ``policy`` that cover ``action``; file Allows by grant kind.

    ``allow_into``: (grant bit, aggregate index) pairs for Allow statements.
    """
    resource = request.resource
    unknown_values = request.unknown_values
    matches = memo.matches if memo is not None and not unknown_values else None
    for statement in policy.matching(action):
        reads = check_principal or statement.reads
        key = None
        found = None
        if matches is not None and not reads:
            key = (statement.meaning, resource)
            found = matches.get(key)
        if found is None:
            values, known = context.get() if reads else _NO_CONTEXT
            found = statement.match(
                resource,
                request.principal,
                values,
                known,
                check_principal=check_principal,
                boundary_present=boundary_present,
                unknown_values=unknown_values,
            )
            if key is not None and matches is not None and not found.note:
                matches[key] = found
        if found.note:
            notes.add(found.note)
        if found.tri is _FALSE:
            continue
        if not statement.allow:
            aggregates[DENY].add(statement.ref, found.applies, found.tri, found.missing)
            continue
        for bit, target in allow_into:
            if found.grant & bit:
                aggregates[target].add(statement.ref, found.applies, found.tri, found.missing)


def _split_action(action: str) -> tuple[str, str]:
    lowered = action.lower()
    return lowered, lowered.partition(":")[0]


# ---------------------------------------------------------------------------------------------
# Decision


class _Shape(Struct, frozen=True):
    """The facts of a request that are not statement matches."""

    aws_principal: bool
    identity_given: bool
    boundary: bool
    resource_policy: bool
    trust: bool
    same_account: bool


_Path = tuple[bool, tuple[int, ...]]


def _paths(shape: _Shape, v: Sequence[bool]) -> list[_Path]:
    """Every way the request can be allowed: (holds?, aggregates whose statements it uses)."""
    ba = v[BOUNDARY] if shape.boundary else True
    direct, role, account = v[DIRECT], v[ROLE], v[ACCOUNT]
    if not shape.aws_principal or not shape.identity_given:
        # A service, federated or anonymous principal has no identity policies; with
        # identity=None only the resource policy's half of the evaluation is asked for.
        return [
            (direct, (DIRECT,)),
            (role and ba, (ROLE, BOUNDARY)),
            (account, (ACCOUNT,)),
        ]
    id_ok = v[IDENTITY] and ba
    if not shape.resource_policy:
        return [(id_ok and shape.same_account, (IDENTITY, BOUNDARY))]
    if not shape.same_account:
        # "The request is allowed only if both evaluations return a decision of Allow."
        return [
            (id_ok and direct, (IDENTITY, BOUNDARY, DIRECT)),
            (id_ok and role, (IDENTITY, BOUNDARY, ROLE)),
            (id_ok and account, (IDENTITY, BOUNDARY, ACCOUNT)),
        ]
    paths: list[_Path] = [
        (direct, (DIRECT,)),
        (role and ba, (ROLE, BOUNDARY)),
        (account and id_ok, (ACCOUNT, IDENTITY, BOUNDARY)),
    ]
    if not shape.trust:
        # Role trust policies "must explicitly allow access for principals"; other resource
        # policies need not: an identity Allow alone suffices within the account.
        paths.insert(0, (id_ok, (IDENTITY, BOUNDARY)))
    return paths


def _decide(shape: _Shape, v: Sequence[bool]) -> tuple[Decision, str]:
    """The decision and the layer that blocked an otherwise allowed request."""
    if v[DENY]:
        return Decision.EXPLICIT_DENY, "deny"
    if any(holds for holds, _ in _paths(shape, v)):
        return Decision.ALLOWED, ""
    identity = v[IDENTITY] and shape.identity_given and shape.aws_principal
    if shape.boundary and not v[BOUNDARY] and (identity or v[ROLE]):
        return Decision.IMPLICIT_DENY, "boundary"
    if identity and (v[BOUNDARY] or not shape.boundary):
        return Decision.IMPLICIT_DENY, "resource-policy"
    if v[DIRECT] or v[ROLE] or v[ACCOUNT]:
        return Decision.IMPLICIT_DENY, "identity"
    return Decision.IMPLICIT_DENY, ""


class _Verdict(NamedTuple):
    decision: Decision
    blocked_by: str
    used: tuple[int, ...]  # the aggregates whose statements decided
    unresolved: tuple[str, ...]
    conditional: bool


def _verdict(shape: _Shape, aggregates: Sequence[_Aggregate]) -> _Verdict:
    """The decision, from the request's shape and each aggregate's answers alone."""
    actual = [aggregate.applies for aggregate in aggregates]
    decision, blocked_by = _decide(shape, actual)

    # Which statements decided.
    used: tuple[int, ...] = ()
    if decision is Decision.EXPLICIT_DENY:
        used = (DENY,)
    elif decision is Decision.ALLOWED:
        used = tuple(sorted({i for holds, parts in _paths(shape, actual) if holds for i in parts}))
    elif blocked_by == "boundary":
        used = (IDENTITY, ROLE)
    elif blocked_by == "resource-policy":
        used = (IDENTITY, BOUNDARY)
    elif blocked_by == "identity":
        used = (DIRECT, ROLE, ACCOUNT)

    # What the unknown keys could change.
    unknown = [i for i, aggregate in enumerate(aggregates) if aggregate.tri is Tri.UNKNOWN]
    unresolved: set[str] = set()
    conditional = False
    if unknown:
        fixed = [aggregate.tri is Tri.TRUE for aggregate in aggregates]
        allowed = decision is Decision.ALLOWED
        for combo in itertools.product((False, True), repeat=len(unknown)):
            trial = list(fixed)
            for i, value in zip(unknown, combo, strict=True):
                trial[i] = value
            outcome = _decide(shape, trial)[0]
            if (outcome is Decision.ALLOWED) != allowed:
                conditional = True
            for i in unknown:
                trial[i] = not trial[i]
                if _decide(shape, trial)[0] is not outcome:
                    unresolved.update(aggregates[i].missing)
                trial[i] = not trial[i]
    return _Verdict(
        decision, blocked_by, used, _spellings(unresolved) if unresolved else (), conditional
    )


def _conclude(
    shape: _Shape,
    aggregates: list[_Aggregate],
    notes: set[str],
    mode: ContextMode,
    memo: Memo | None = None,
    facts: tuple[bool, ...] = (),
) -> EvalResult:
    """The result: :func:`_verdict` (remembered in ``memo`` by ``facts``, the shape's fields,
    and the aggregates' answers), with the statements that decided it."""
    if memo is None or not facts:
        verdict = _verdict(shape, aggregates)
    else:
        key = (facts, *[(a.applies, a.tri._value_, a.missing) for a in aggregates])
        verdict = memo.verdicts.get(key) or memo.verdicts.setdefault(
            key, _verdict(shape, aggregates)
        )
    refs: tuple[StatementRef, ...] = ()
    for i in verdict.used:
        refs += aggregates[i].refs
    return EvalResult(
        verdict.decision,
        refs if len(refs) < 2 else tuple(sorted(set(refs), key=_ref_key)),
        verdict.unresolved,
        verdict.conditional and mode is _OPEN,
        verdict.blocked_by,
        tuple(sorted(notes)) if notes else (),
    )


def _spellings(keys: set[str]) -> tuple[str, ...]:
    """Keys as policies spell them, one per key (keys are case-insensitive), sorted."""
    chosen: dict[str, str] = {}
    for key in sorted(keys):
        chosen.setdefault(key.lower(), key)
    return tuple(sorted(chosen.values(), key=str.lower))


def _ref_key(ref: StatementRef) -> tuple[str, str, int]:
    return (ref.policy, ref.kind.value, ref.index)


def _same_account(principal: Principal | None, resource_account: str | None) -> bool:
    if resource_account is None or principal is None:
        return True
    if not (len(resource_account) == 12 and resource_account.isdigit()):
        return True  # ``aws`` (AWS managed policies), ``*``: not an account that owns it
    account = principal.account
    return account is None or account == resource_account


_IDENTITY_ALLOWS = ((GRANT_DIRECT, IDENTITY),)
_BOUNDARY_ALLOWS = ((GRANT_DIRECT, BOUNDARY),)
_RESOURCE_ALLOWS = ((GRANT_DIRECT, DIRECT), (GRANT_ROLE, ROLE), (GRANT_ACCOUNT, ACCOUNT))


def evaluate(
    request: Request,
    *,
    identity: Sequence[PolicyDocument] | None = None,
    boundary: PolicyDocument | None = None,
    resource_policy: PolicyDocument | None = None,
    resource_account: str | None = None,
    organization: OrgPolicies | None = None,
    caller_side: bool = False,
    memo: Memo | None = None,
) -> EvalResult:
    """Evaluate one request the way IAM does.

    ``memo``: answers shared by the many requests of one question
    (:class:`~iam_audit.engine.batch.Question`); they never change the result.

    ``caller_side``: only the calling account's half of a cross-account request is asked (its
    identity policies and boundary); the other account's policy that decides it (a role's trust,
    a key policy) is judged on its own, so its absence here is not a reason to deny.

    ``identity``: the principal's identity-based policies (inline and managed). ``()`` means it
    has none; ``None`` (the default) means they are not part of the question: only the resource
    policy's half of the evaluation is made, as for a service principal or a principal of another
    account whose policies are unknown (a trust-policy probe). ``boundary``: the principal's
    permissions boundary. ``resource_policy``: the policy on the resource (for ``sts:AssumeRole``
    the role's trust policy). ``resource_account``: the account owning the resource; ``None``
    means the principal's own account. ``organization``: the SCPs of the principal's account and
    the RCPs of the resource's account (see :func:`apply_organization`); ``None``: not evaluated.

    Returns the decision with the statements that made it (``matched``), the condition keys it
    depended on that the context did not supply (``unresolved``), whether in ``OPEN`` mode some
    value of those keys could change whether the request is allowed (``conditional``), the layer
    that blocked an otherwise allowed request (``blocked_by``: ``"deny"``, ``"boundary"``,
    ``"resource-policy"``, ``"identity"`` or ``""``) and ``notes`` on statements that can never
    apply (unknown condition operators, malformed statements). Never raises on a request or on
    documents of any shape.

    Known limits (where this departs from, or goes beyond what AWS documents of, real IAM):

    * Session policies, VPC endpoint policies and the root user's implicit full access are not
      modelled; SCPs and RCPs only when ``organization`` is given.
    * ``conditional`` treats statements' conditions as independent, so it can say "conditional"
      for a combination of key values no real request could hold (never the reverse).
    * A ``NotPrincipal`` list excludes a principal only when it names that principal itself (AWS
      may also require its account and role to be listed). A Deny with ``NotPrincipal`` always
      applies to an AWS principal that has a boundary, as the boundaries page says.
    * A role-session principal matches a resource-policy grant to its role when account and role
      name agree (the role's path is not in a session ARN); no ``aws:PrincipalArn`` is derived
      for a session (supply it in the context).
    * A principal whose account is unknown (no ARN) is taken to be in the resource's account.
    * With ``identity=None`` a resource-policy grant to the principal's account counts as
      allowing it (the trusting account's half of the evaluation).
    * ``{"AWS": "*"}`` is taken to match every principal, service principals included.
    * A ``Resource`` pattern is matched against the whole ARN (``*`` spans ``:`` and ``/``), not
      segment by segment.
    * ``sts:AssumeRole*`` on a role and ``kms:`` actions on a key are decided by the role's trust
      policy and the key policy (:func:`resource_policy_decides`): identity policies alone never
      allow them. Without that policy the request is not allowed, ``blocked_by`` is
      ``"missing-resource-policy"`` and, in ``OPEN`` mode, ``conditional`` says whether a policy
      delegating to the account (the default key policy) would allow it.
    """
    action, service = _split_action(request.action)
    context = _Context(request)
    principal = request.principal
    aggregates = [
        _Aggregate(),  # DENY
        _Aggregate(),  # IDENTITY
        _Aggregate(),  # BOUNDARY
        _Aggregate(),  # DIRECT
        _Aggregate(),  # ROLE
        _Aggregate(),  # ACCOUNT
    ]
    notes: set[str] = set()
    boundary_present = boundary is not None
    if identity is not None:
        for document in identity:
            _scan(
                compile_policy(document),
                request,
                action,
                service,
                context,
                aggregates,
                _IDENTITY_ALLOWS,
                False,
                boundary_present,
                notes,
                memo,
            )
    if boundary is not None:
        _scan(
            compile_policy(boundary),
            request,
            action,
            service,
            context,
            aggregates,
            _BOUNDARY_ALLOWS,
            False,
            True,
            notes,
            memo,
        )
    if resource_policy is not None:
        _scan(
            compile_policy(resource_policy),
            request,
            action,
            service,
            context,
            aggregates,
            _RESOURCE_ALLOWS,
            True,
            boundary_present,
            notes,
            memo,
        )
    if memo is None:
        decides = resource_policy_decides(action, request.resource)
    else:
        asked = (action, request.resource)
        if asked in memo.decides:
            decides = memo.decides[asked]
        else:
            decides = memo.decides[asked] = resource_policy_decides(action, request.resource)
    missing = (
        decides is not None and resource_policy is None and identity is not None and not caller_side
    )
    if missing:
        # Not given, so unknown: it may delegate to the account (as the default key policy
        # does), and the identity policies then decide; it is never taken to allow.
        aggregates[ACCOUNT].tri = _UNKNOWN
        notes.add(
            f"{request.action} on {request.resource} is decided by "
            f"{_DECIDING_POLICY[decides or 'key']}, which was not given"
        )
    facts = (
        principal is None or principal.kind is _AWS,
        identity is not None,
        boundary_present,
        resource_policy is not None or missing,
        (resource_policy is not None and resource_policy.kind is _TRUST) or decides is not None,
        _same_account(principal, resource_account),
    )
    if memo is None:
        shape = _Shape(*facts)
    else:
        shape = memo.shapes.get(facts) or memo.shapes.setdefault(facts, _Shape(*facts))
    result = _conclude(shape, aggregates, notes, request.mode, memo, facts)
    if missing and result.blocked_by == "resource-policy":
        result = replace(result, blocked_by="missing-resource-policy")
    if organization is not None:
        result = apply_organization(request, result, organization, resource_account)
    return result


_ONE_LAYER = _Shape(
    aws_principal=False,
    identity_given=False,
    boundary=False,
    resource_policy=True,
    trust=False,
    same_account=True,
)


def evaluate_policies(request: Request, policies: Sequence[PolicyDocument]) -> EvalResult:
    """Evaluate ``policies`` as one layer (Deny beats Allow, else implicit deny).

    For probing single policies: a statement with ``Principal``/``NotPrincipal`` applies only to
    the principals it names; a statement without one applies to any principal. The result has
    the same fields as :func:`evaluate`'s (``blocked_by`` is ``"deny"`` or ``""``).

    Known limits: those of :func:`evaluate` that concern matching statements.
    """
    action, service = _split_action(request.action)
    values, known = _context(request)
    aggregates = [_Aggregate() for _ in range(6)]
    notes: set[str] = set()
    for document in policies:
        for statement in compile_policy(document).candidates(service):
            if not statement.matches_action(action):
                continue
            found = statement.match(
                request.resource,
                request.principal,
                values,
                known,
                check_principal=statement.principals is not None,
                unknown_values=request.unknown_values,
            )
            if found.note:
                notes.add(found.note)
            if found.tri is Tri.FALSE:
                continue
            target = DIRECT if statement.allow else DENY
            aggregates[target].add(statement.ref, found.applies, found.tri, found.missing)
    return _conclude(_ONE_LAYER, aggregates, notes, request.mode)


# ---------------------------------------------------------------------------------------------
# Questions about resource and trust policies


def named_principals(policy: PolicyDocument, action: str) -> tuple[tuple[Principal, bool], ...]:
    """Principals that Allow statements covering ``action`` name, each with has-condition flag.

    ``"*"`` is returned as ``Principal(ANONYMOUS, "*")`` and ``{"AWS": "*"}`` as
    ``Principal(AWS, "*")``. An Allow with ``NotPrincipal`` grants to everyone it does not list,
    so it is returned as ``Principal(ANONYMOUS, "*")`` too; :func:`allows_not_principal` names
    those statements. Sorted by kind, value, flag; without duplicates.

    Known limits: resources and conditions are not evaluated (the flag only says a condition
    exists; ask :func:`evaluate` whether it pins the principal); principals are returned as
    written (an account ID and its ``:root`` ARN are two entries).
    """
    lowered, service = _split_action(action)
    found: set[tuple[Principal, bool]] = set()
    for statement in compile_policy(policy).candidates(service):
        if not statement.allow or statement.principals is None:
            continue
        if not statement.matches_action(lowered):
            continue
        if statement.not_principal:
            found.add((Principal(PrincipalKind.ANONYMOUS, "*"), statement.has_condition))
        else:
            found.update((p, statement.has_condition) for p in statement.principals)
    return tuple(sorted(found, key=lambda item: (item[0].kind.value, item[0].value, item[1])))


def allows_not_principal(
    policy: PolicyDocument, action: str | None = None
) -> tuple[StatementRef, ...]:
    """Allow statements that use ``NotPrincipal`` (covering ``action`` when given), sorted."""
    lowered = action.lower() if action is not None else None
    return tuple(
        statement.ref
        for statement in compile_policy(policy).statements
        if statement.allow
        and statement.not_principal
        and (lowered is None or statement.matches_action(lowered))
    )


def policy_notes(policy: PolicyDocument) -> tuple[str, ...]:
    """What the engine could not use in ``policy``: malformed statements, unknown operators."""
    return compile_policy(policy).notes


# ---------------------------------------------------------------------------------------------
# Organization policies: SCPs and RCPs
#
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
# ("SCP evaluation"): "for a permission to be allowed for a specific account, there must be an
# explicit Allow statement at every level from the root through each OU in the direct path to the
# account (including the target account itself)"; "a Deny statement at any level ... denies".
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
# ("Service control policies (SCPs)"): "SCPs don't affect users or roles in the management
# account", and "SCPs do not affect service-linked roles".
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
# ("Resource control policies (RCPs)"): RCPs "apply to resources of the following AWS services"
# (iam_audit.awsdata.rcp_services), "don't affect resources in the management account", and do
# not restrict service-linked roles; they are evaluated level by level like SCPs.

# compiled on first use (re's own cache of patterns), not at import: only SCPs and RCPs need it
_SERVICE_LINKED_RE = (
    r"^arn:[^:]+:(?:iam::\d{12}:role/aws-service-role/|sts::\d{12}:assumed-role/AWSServiceRoleFor)"
)


def _is_service_linked(principal: Principal | None) -> bool:
    return (
        principal is not None
        and principal.kind is PrincipalKind.AWS
        and re.match(_SERVICE_LINKED_RE, principal.value) is not None
    )


class _LevelVerdict(Struct, frozen=True):
    """One kind of organization policy, level by level: the first level that denies, and how."""

    deny: tuple[OrgLevel, EvalResult] | None
    no_allow: OrgLevel | None
    unresolved: tuple[str, ...]
    conditional: bool
    notes: tuple[str, ...]


def _levels(request: Request, levels: Sequence[OrgLevel]) -> _LevelVerdict:
    deny: tuple[OrgLevel, EvalResult] | None = None
    no_allow: OrgLevel | None = None
    unresolved: set[str] = set()
    notes: set[str] = set()
    conditional = False
    for level in levels:
        answer = evaluate_policies(request, level.policies)
        notes.update(answer.notes)
        unresolved.update(answer.unresolved)
        conditional = conditional or answer.conditional
        if answer.decision is Decision.EXPLICIT_DENY and deny is None:
            deny = (level, answer)
        elif answer.decision is Decision.IMPLICIT_DENY and no_allow is None:
            no_allow = level
    return _LevelVerdict(deny, no_allow, _spellings(unresolved), conditional, tuple(sorted(notes)))


def _org_kinds(
    request: Request, organization: OrgPolicies, resource_account: str | None
) -> list[tuple[str, Sequence[OrgLevel]]]:
    """The organization policy kinds that apply to ``request``: ("SCP", levels), ("RCP", ...)."""
    from iam_audit.awsdata import rcp_services

    principal = request.principal
    management = organization.management_account
    if _is_service_linked(principal):
        return []
    kinds: list[tuple[str, Sequence[OrgLevel]]] = []
    principal_account = principal.account if principal is not None else None
    member_principal = principal is None or (
        principal.kind is PrincipalKind.AWS
        and (management is None or principal_account != management)
    )
    if organization.scp and member_principal:
        kinds.append(("SCP", organization.scp))
    service = request.action.lower().partition(":")[0]
    owner = resource_account or principal_account
    if (
        organization.rcp
        and service in rcp_services()
        and (management is None or owner != management)
    ):
        kinds.append(("RCP", organization.rcp))
    return kinds


def apply_organization(
    request: Request,
    result: EvalResult,
    organization: OrgPolicies,
    resource_account: str | None = None,
) -> EvalResult:
    """``result`` (the account's own policies' answer) bounded by the organization's SCPs and RCPs.

    SCPs bound principals of member accounts, RCPs the resources of member accounts for the
    services that support them; neither applies to the management account or to service-linked
    roles, nor SCPs to service principals. Within each kind, every level (root first, then each OU,
    then the account) must have an applicable Allow, and a Deny at any level wins. A Deny makes the
    request ``explicitDeny`` (as AWS's "with an explicit deny in a service control policy"); a level
    without an Allow makes an otherwise allowed request ``implicitDeny``. Either way ``blocked_by``
    is ``"scp"`` or ``"rcp"``, ``decided_by`` names the policy, statement and level, and
    ``own_decision`` is ``result``'s decision. Unknown
    condition keys in the organization policies join ``unresolved``; in ``OPEN`` mode an
    allowed request whose SCP or RCP answer hangs on them is ``conditional``.
    """
    if result.decision is Decision.EXPLICIT_DENY:
        return result
    verdicts = [
        (kind, _levels(request, levels))
        for kind, levels in _org_kinds(request, organization, resource_account)
    ]
    if not verdicts:
        return result
    unresolved = set(result.unresolved)
    notes = set(result.notes)
    conditional = result.conditional
    for _, verdict in verdicts:
        unresolved.update(verdict.unresolved)
        notes.update(verdict.notes)
        conditional = conditional or (verdict.conditional and request.mode is ContextMode.OPEN)
    merged = replace(
        result,
        unresolved=_spellings(unresolved) if unresolved else (),
        notes=tuple(sorted(notes)),
    )
    # the account's own policies allow the request, or do for some values of their keys: the
    # organization's answer then decides, and is conditional only where its own answer is
    may_allow = result.allowed or result.conditional
    open_mode = request.mode is ContextMode.OPEN
    for kind, verdict in verdicts:
        if verdict.deny is not None:
            level, answer = verdict.deny
            ref = answer.matched[0] if answer.matched else None
            said = f"{kind} {ref.policy} (statement {ref.label})" if ref else kind
            return replace(
                merged,
                decision=Decision.EXPLICIT_DENY,
                matched=answer.matched,
                blocked_by=kind.lower(),
                decided_by=f"{said} at {level.label}",
                own_decision=result.decision,
                conditional=may_allow and verdict.conditional and open_mode,
            )
    if not may_allow:
        return replace(merged, conditional=conditional)
    for kind, verdict in verdicts:
        if verdict.no_allow is not None:
            return replace(
                merged,
                decision=Decision.IMPLICIT_DENY,
                matched=(),
                blocked_by=kind.lower(),
                decided_by=f"no {kind} at {verdict.no_allow.label} allows it",
                own_decision=result.decision,
                conditional=verdict.conditional and open_mode,
            )
    return replace(merged, conditional=conditional)
