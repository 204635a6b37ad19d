"""Compiling policy documents once, and matching their statements against requests.

A :class:`CompiledPolicy` holds each statement with its actions lower-cased and its wildcards turned
into regular expressions, indexed by service prefix so that a request for ``cognito-idp:X`` only
looks at statements that can match it. Compiled forms are cached per
:class:`~iam_audit.model.PolicyDocument` object (equality of documents is identity), so a managed
policy shared by 10,000 roles compiles once. The cache holds a strong reference to each document,
which keeps ``id`` values from being reused; :func:`clear_compile_cache` empties it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from iam_audit.engine.conditions import Condition, Tri, compile_conditions, evaluate_condition
from iam_audit.engine.match import ActionMatcher, Template, glob_regex, has_wildcard, pieces_regex
from iam_audit.engine.parse import statements_of, validate_statement
from iam_audit.engine.types import Principal, PrincipalKind, StatementRef
from iam_audit.errors import PolicyParseError
from iam_audit.model import JSON, PolicyDocument

__all__ = [
    "GRANT_ACCOUNT",
    "GRANT_DIRECT",
    "GRANT_ROLE",
    "CompiledPolicy",
    "CompiledStatement",
    "StatementMatch",
    "clear_compile_cache",
    "compile_cache_info",
    "compile_policy",
]

#: How a resource-policy statement names the requesting principal (a bit set).
#: DIRECT: the principal itself (user, session, service…) or everyone (``"*"``): not limited by
#: the principal's permissions boundary. ROLE: the role ARN of a role (session) principal:
#: limited by the boundary. ACCOUNT: the principal's account: delegates to the account, so the
#: principal's identity policies must allow the request too.
GRANT_DIRECT = 1
GRANT_ROLE = 2
GRANT_ACCOUNT = 4

_ACCOUNT_ROOT_RE = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")
_ROLE_RE = re.compile(r"^arn:[^:]+:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
_SESSION_RE = re.compile(r"^arn:[^:]+:sts::(\d{12}):assumed-role/([^/]+)/.+$")

_KINDS = {
    "AWS": PrincipalKind.AWS,
    "Federated": PrincipalKind.FEDERATED,
    "Service": PrincipalKind.SERVICE,
    "CanonicalUser": PrincipalKind.CANONICAL_USER,
}


def _strings(value: JSON) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def principals_of(value: JSON) -> tuple[Principal, ...]:
    """Normalise a ``Principal``/``NotPrincipal`` element: ``"*"`` → ``Principal(ANONYMOUS, "*")``;
    ``{"AWS": "*"}`` → ``Principal(AWS, "*")``; every other entry keeps its type and text."""
    if value == "*":
        return (Principal(PrincipalKind.ANONYMOUS, "*"),)
    if not isinstance(value, Mapping):
        return ()
    out: list[Principal] = []
    for key, entries in value.items():
        kind = _KINDS.get(key)
        if kind is not None:
            out.extend(Principal(kind, entry) for entry in _strings(entries))
    return tuple(out)


def _account_of_entry(value: str) -> str | None:
    """The account an ``AWS`` principal entry names as a whole (ID or ``…:root``), else None."""
    if len(value) == 12 and value.isdigit():
        return value
    match = _ACCOUNT_ROOT_RE.match(value)
    return match.group(1) if match else None


def _is_session_of(session: str, role: str) -> bool:
    """Is ``session`` (``arn:…:sts::A:assumed-role/R/S``) a session of role ARN ``role``?"""
    session_match = _SESSION_RE.match(session)
    role_match = _ROLE_RE.match(role)
    return (
        session_match is not None
        and role_match is not None
        and session_match.group(1) == role_match.group(1)
        and session_match.group(2) == role_match.group(2)
    )


def grant_of(entries: tuple[Principal, ...], principal: Principal | None) -> int:
    """How ``Principal`` entries name ``principal``: a bit set of GRANT_* (0: not named)."""
    grant = 0
    for entry in entries:
        if entry.value == "*" and entry.kind in (PrincipalKind.ANONYMOUS, PrincipalKind.AWS):
            grant |= GRANT_DIRECT  # "*" and {"AWS": "*"} both mean every principal
            continue
        if principal is None:
            continue
        if entry.kind is PrincipalKind.AWS and principal.kind is PrincipalKind.AWS:
            account = _account_of_entry(entry.value)
            if account is not None:
                if principal.account == account:
                    grant |= GRANT_ACCOUNT
            elif _ROLE_RE.match(entry.value):
                if entry.value == principal.value or _is_session_of(principal.value, entry.value):
                    grant |= GRANT_ROLE
            elif entry.value == principal.value:
                grant |= GRANT_DIRECT
        elif entry.kind is principal.kind and entry.value == principal.value:
            grant |= GRANT_DIRECT
    return grant


def _covers(entries: tuple[Principal, ...], principal: Principal | None) -> bool:
    """Does a ``NotPrincipal`` list name ``principal`` itself (exact entry, or ``*``)?"""
    for entry in entries:
        if entry.value == "*" and entry.kind in (PrincipalKind.ANONYMOUS, PrincipalKind.AWS):
            return True
        if principal is None:
            continue
        if entry.kind is not principal.kind:
            continue
        if entry.value == principal.value:
            return True
        if entry.kind is PrincipalKind.AWS:
            account = _account_of_entry(entry.value)
            if account is not None and _account_of_entry(principal.value) == account:
                return True
    return False


@dataclass(frozen=True, slots=True)
class StatementMatch:
    """A statement against one request: AWS's answer, the open answer, and why it is unknown."""

    applies: bool
    tri: Tri
    missing: tuple[str, ...]
    grant: int
    note: str | None = None


_NO_MATCH = StatementMatch(False, Tri.FALSE, (), 0)


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """One statement, ready to match. ``resources`` is ``None`` when the element is absent."""

    ref: StatementRef
    allow: bool
    actions: ActionMatcher
    not_action: bool
    resources: tuple[Template, ...] | None
    static_resources: tuple[re.Pattern[str] | str, ...] | None
    not_resource: bool
    principals: tuple[Principal, ...] | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    unknown_operators: tuple[str, ...]

    @property
    def has_condition(self) -> bool:
        return bool(self.conditions)

    def matches_action(self, action: str) -> bool:
        """Does Action/NotAction cover ``action`` (lower-case)?"""
        return self.actions.matches(action) != self.not_action

    def _resource(self, resource: str, values: Mapping[str, tuple[str, ...]]) -> StatementMatch:
        """Resource/NotResource alone (principal and conditions not looked at)."""
        if self.resources is None:
            return StatementMatch(True, Tri.TRUE, (), 0)  # absent: applies to the resource
        hit = False
        maybe = False
        missing: set[str] = set()
        if self.static_resources is not None:
            for pattern in self.static_resources:
                if isinstance(pattern, str):
                    if pattern == "*" or pattern == resource:
                        hit = True
                        break
                elif pattern.fullmatch(resource):
                    hit = True
                    break
        else:
            for template in self.resources:
                resolution = template.resolve(values)
                if resolution.pieces is not None:
                    if _pieces_match(resolution.pieces, resource):
                        hit = True
                        break
                elif template.open_regex().fullmatch(resource):
                    # "the resource that includes a policy variable with no value will not
                    # match any resource" — but some value of the variable could make it match.
                    maybe = True
                    missing.update(resolution.missing)
        if hit:
            applies = not self.not_resource
            return StatementMatch(applies, Tri.of(applies), (), 0)
        applies = self.not_resource
        if maybe:
            return StatementMatch(applies, Tri.UNKNOWN, tuple(sorted(missing)), 0)
        return StatementMatch(applies, Tri.of(applies), (), 0)

    def match(
        self,
        resource: str,
        principal: Principal | None,
        values: Mapping[str, tuple[str, ...]],
        supplied: frozenset[str] | set[str],
        *,
        check_principal: bool,
        boundary_present: bool = False,
    ) -> StatementMatch:
        """Match everything but the action (the caller checked it) against one request."""
        result = self._resource(resource, values)
        if result.tri is Tri.FALSE:
            return _NO_MATCH
        grant = GRANT_DIRECT
        if check_principal:
            if self.principals is None:
                grant = 0
            elif self.not_principal:
                # "The NotPrincipal element with a Deny effect will always deny any IAM principal
                # that has a permissions boundary policy attached" (access_policies_boundaries).
                forced = (
                    not self.allow
                    and boundary_present
                    and principal is not None
                    and principal.kind is PrincipalKind.AWS
                )
                grant = GRANT_DIRECT if forced or not _covers(self.principals, principal) else 0
            else:
                grant = grant_of(self.principals, principal)
            if not grant:
                return _NO_MATCH
        applies = result.applies
        tri: Tri = result.tri
        missing = set(result.missing)
        for condition in self.conditions:
            value, open_value, keys = evaluate_condition(condition, values, supplied)
            applies = applies and value
            tri_before = tri
            if open_value is Tri.FALSE:
                tri = Tri.FALSE
            elif open_value is Tri.UNKNOWN and tri_before is not Tri.FALSE:
                tri = Tri.UNKNOWN
                missing.update(keys)
        note = None
        if self.unknown_operators:
            note = (
                f"{self.ref.policy} {self.ref.label}: unknown condition operator "
                f"{', '.join(self.unknown_operators)}; the statement never applies"
            )
        if tri is Tri.FALSE:
            return StatementMatch(False, Tri.FALSE, (), 0, note)
        return StatementMatch(
            applies, tri, tuple(sorted(missing)) if tri is Tri.UNKNOWN else (), grant, note
        )


def _static_pattern(template: Template) -> re.Pattern[str] | str:
    """A resource pattern without variables: the text itself when it holds no wildcard."""
    pieces = template.static_pieces
    if len(pieces) == 1 and pieces[0][1]:
        text = pieces[0][0]
        return text if text == "*" or not has_wildcard(text) else glob_regex(text)
    return pieces_regex(pieces)


def _pieces_match(pieces: tuple[tuple[str, bool], ...], resource: str) -> bool:
    return pieces_regex(pieces).fullmatch(resource) is not None


@dataclass(slots=True)
class CompiledPolicy:
    """A document's statements, indexed by the service prefixes their actions name."""

    document: PolicyDocument
    statements: tuple[CompiledStatement, ...]
    notes: tuple[str, ...]
    variables: bool
    _by_service: dict[str, tuple[CompiledStatement, ...]]
    _any_service: tuple[CompiledStatement, ...]
    _candidates: dict[str, tuple[CompiledStatement, ...]] = field(default_factory=dict)

    def candidates(self, service: str) -> tuple[CompiledStatement, ...]:
        """Statements that can match an action of ``service`` (lower-case), in document order."""
        cached = self._candidates.get(service)
        if cached is None:
            merged = self._by_service.get(service, ()) + self._any_service
            cached = tuple(sorted(merged, key=lambda s: s.ref.index))
            self._candidates[service] = cached
        return cached


def _compile_statement(
    document: PolicyDocument, index: int, raw: Mapping[str, JSON], variables: bool
) -> CompiledStatement:
    effect = raw["Effect"]
    sid = raw.get("Sid") or None
    ref = StatementRef(document.name, document.kind, index, sid, effect)
    not_action = "NotAction" in raw
    actions = ActionMatcher.build(_strings(raw["NotAction" if not_action else "Action"]))
    not_resource = "NotResource" in raw
    resources: tuple[Template, ...] | None = None
    static: tuple[re.Pattern[str] | str, ...] | None = None
    if not_resource or "Resource" in raw:
        texts = _strings(raw["NotResource" if not_resource else "Resource"])
        resources = tuple(Template.build(text, variables=variables) for text in texts)
        if all(template.is_static for template in resources):
            static = tuple(_static_pattern(template) for template in resources)
    not_principal = "NotPrincipal" in raw
    principals: tuple[Principal, ...] | None = None
    if not_principal or "Principal" in raw:
        principals = principals_of(raw["NotPrincipal" if not_principal else "Principal"])
    block = raw.get("Condition")
    conditions = (
        compile_conditions(block, variables=variables) if isinstance(block, Mapping) else ()
    )
    unknown = tuple(sorted({c.operator for c in conditions if c.family is None}))
    return CompiledStatement(
        ref=ref,
        allow=effect == "Allow",
        actions=actions,
        not_action=not_action,
        resources=resources,
        static_resources=static,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        conditions=conditions,
        unknown_operators=unknown,
    )


def _compile(document: PolicyDocument) -> CompiledPolicy:
    body = document.document
    variables = isinstance(body, Mapping) and body.get("Version") == "2012-10-17"
    statements: list[CompiledStatement] = []
    notes: list[str] = []
    if not isinstance(body, Mapping) or not isinstance(body.get("Statement"), Mapping | list):
        notes.append(f"{document.name}: not an IAM policy (no Statement); it grants nothing")
    for index, path, raw in statements_of(body):
        try:
            validate_statement(raw, path)
        except PolicyParseError as error:
            notes.append(f"{document.name} #{index}: skipped, {error.message}")
            continue
        statements.append(_compile_statement(document, index, raw, variables))
    by_service: dict[str, list[CompiledStatement]] = {}
    any_service: list[CompiledStatement] = []
    for statement in statements:
        services = statement.actions.services
        if statement.not_action or services is None:
            any_service.append(statement)
        else:
            for service in services:
                by_service.setdefault(service, []).append(statement)
    for statement in statements:
        if statement.unknown_operators:
            notes.append(
                f"{document.name} {statement.ref.label}: unknown condition operator "
                f"{', '.join(statement.unknown_operators)}; the statement never applies"
            )
    return CompiledPolicy(
        document=document,
        statements=tuple(statements),
        notes=tuple(notes),
        variables=variables,
        _by_service={key: tuple(value) for key, value in by_service.items()},
        _any_service=tuple(any_service),
    )


_CACHE: dict[PolicyDocument, CompiledPolicy] = {}
_CACHE_LIMIT = 200_000
_LOCK = threading.Lock()
_STATS = {"hits": 0, "misses": 0}


def compile_policy(document: PolicyDocument) -> CompiledPolicy:
    """The compiled form of ``document``, built on first use and cached for the object.

    Never raises: statements that are not valid are skipped and described in ``notes``.
    Documents are treated as immutable; mutate one after its first evaluation and the cached form
    goes stale (build a new :class:`PolicyDocument` instead).
    """
    compiled = _CACHE.get(document)
    if compiled is not None:
        _STATS["hits"] += 1
        return compiled
    compiled = _compile(document)
    with _LOCK:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[document] = compiled
        _STATS["misses"] += 1
    return compiled


def compile_cache_info() -> dict[str, int]:
    """``{"size": …, "hits": …, "misses": …}`` of the compile cache (for tests and benchmarks)."""
    return {"size": len(_CACHE), "hits": _STATS["hits"], "misses": _STATS["misses"]}


def clear_compile_cache() -> None:
    """Forget every compiled document and reset the counters."""
    with _LOCK:
        _CACHE.clear()
        _STATS["hits"] = 0
        _STATS["misses"] = 0
