"""The engine's vocabulary: requests, principals, decisions and the statements behind them.

Frozen ``msgspec.Struct`` types, as :mod:`iam_audit.model`'s values are (and for the same reason:
one request, result and reference is built per principal asked about).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from msgspec import Struct, field

from iam_audit.model import PolicyKind

__all__ = [
    "ContextMode",
    "Decision",
    "EvalResult",
    "Principal",
    "PrincipalKind",
    "Request",
    "StatementRef",
]


class Decision(StrEnum):
    """AWS's own words (SimulatePrincipalPolicy ``EvalDecision``)."""

    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


class ContextMode(StrEnum):
    """How to read a condition key that the request context does not hold.

    ``REQUEST``: the context *is* the request (``simulate``). A key not given is absent, and the
    decision follows AWS for absent keys; the keys are still listed in ``unresolved``.
    ``OPEN``: the context is partial (``audit``, ``who-can``). A key not given could hold any
    value; the decision is computed as in ``REQUEST`` mode and ``conditional`` says whether some
    value of the unresolved keys would change whether the request is allowed.
    """

    REQUEST = "request"
    OPEN = "open"


class PrincipalKind(StrEnum):
    AWS = "AWS"
    SERVICE = "Service"
    FEDERATED = "Federated"
    CANONICAL_USER = "CanonicalUser"
    ANONYMOUS = "*"


# Enum members read on every request, as module globals: reading a member as a class attribute
# costs about ten times a global's in CPython 3.11 (the members are the same objects)
_AWS = PrincipalKind.AWS
_ALLOWED = Decision.ALLOWED


class Principal(Struct, frozen=True):
    """Who makes the request: an IAM ARN (or account ID), a service, a federated provider, or ``*``."""

    kind: PrincipalKind
    value: str

    @property
    def account(self) -> str | None:
        """The 12-digit account of an ``AWS`` principal, or ``None``."""
        if self.kind is not _AWS:
            return None
        if self.value.isdigit() and len(self.value) == 12:
            return self.value
        parts = self.value.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None


class Request(Struct, frozen=True):
    """One API request to evaluate.

    ``context`` maps condition keys (any case) to their values; single values are 1-tuples.
    ``principal_tags_known``: the context holds every tag of the principal
    (``aws:PrincipalTag/KEY``), so a tag key it does not hold is known to be absent from the
    request ("aws:PrincipalTag/tag-key ... This key is included in the request context ... if
    the principal you are using has tags attached", IAM User Guide, AWS global condition
    context keys) rather than unknown.
    ``unknown_values``: strings the policies may hold that stand for values the caller does not
    know (a template's unresolved parameter, a name the deployment will generate). A resource
    pattern holding one is read as AWS would read the pattern as written (the decision), and in
    ``OPEN`` mode also as if each were a policy variable with no value in the context: a
    statement it could make apply, or not, makes the answer ``conditional`` and the value is
    listed in ``EvalResult.unresolved``; so is a condition value holding one. Known limit: an
    ``Action`` holding one is compared as written.
    """

    action: str
    resource: str
    principal: Principal | None = None
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    mode: ContextMode = ContextMode.REQUEST
    principal_tags_known: bool = False
    unknown_values: tuple[str, ...] = ()


class StatementRef(Struct, frozen=True):
    """A statement, named well enough for a person to find it: policy, then Sid or index."""

    policy: str
    kind: PolicyKind
    index: int
    sid: str | None
    effect: str

    @property
    def label(self) -> str:
        """``Sid`` when the statement has one, else ``#index`` (0-based)."""
        return self.sid if self.sid else f"#{self.index}"


class EvalResult(Struct, frozen=True):
    """A decision with the statements that made it.

    ``matched``: for ``explicitDeny`` the Deny statements that applied; for ``allowed`` the Allow
    statements that applied on every path that allows (identity and, with a boundary, the
    boundary's; the resource policy's grants to the principal); for ``implicitDeny``
    any Allow statements that applied in one layer but were cut by another (e.g. an identity Allow
    outside the boundary), else empty. ``unresolved``: condition keys (and policy-variable keys) the decision
    depended on that the context did not supply, i.e. some value of each could change the decision;
    as the policy spells them, sorted. ``conditional`` (``OPEN`` mode only): some value of those
    keys would change whether the request is allowed. ``blocked_by`` names the layer that denied
    an otherwise allowed request: ``"deny"`` (an explicit Deny), ``"boundary"`` (an identity Allow,
    or a resource-policy grant to the role ARN, outside the permissions boundary),
    ``"resource-policy"`` (identity policies allow, but a cross-account request or a trust policy
    also needs the resource policy to name the principal), ``"missing-resource-policy"`` (as
    ``"resource-policy"``, for a role's trust policy or a KMS key policy that was not given),
    ``"identity"`` (the resource policy
    names the principal's account, or another account's principal, whose identity policies do not
    allow the request) or ``""``. ``notes``: statements the engine could not use (an unknown
    condition operator, a malformed statement), so a reader knows why they did not apply.
    ``decided_by``: when an organization policy decided (``blocked_by`` ``"scp"`` or ``"rcp"``),
    which one and at which level, e.g. ``"SCP deny-regions (statement DenyAllOutsideEU) at OU
    ou-ab12"`` or ``"no SCP at account 111122223333 allows it"``; else ``""``. ``own_decision``:
    then also the decision of the account's own policies, before the organization's bounded it
    (does the role lack the Allow too?); else ``None``.
    """

    decision: Decision
    matched: tuple[StatementRef, ...] = ()
    unresolved: tuple[str, ...] = ()
    conditional: bool = False
    blocked_by: str = ""
    notes: tuple[str, ...] = ()
    decided_by: str = ""
    own_decision: Decision | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is _ALLOWED
