"""Compiling policy documents once, and matching their statements against requests.

A :class:`CompiledPolicy` holds each statement with its actions lower-cased and its wildcards
compiled into linear-time matchers (:class:`~iam_audit.engine.match.Glob`), indexed by service
prefix so that a request for ``cognito-idp:X`` only looks at statements that can match it.

There is no module-level cache: the compiled form of a
:class:`~iam_audit.model.PolicyDocument` is kept on the document object itself
(``PolicyDocument.compiled``), so it lives as long as the document, which the run's source owns.
A source shares one document object among the roles that attach the same managed policy, so a
policy attached to 10,000 roles compiles once; two runs (two sources) share nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from typing import NamedTuple

import orjson
from msgspec import Struct
from msgspec.structs import force_setattr

from iam_audit.engine.conditions import (
    Condition,
    Tri,
    compile_conditions,
    evaluate_condition,
    tri_or,
)
from iam_audit.engine.match import (
    ActionMatcher,
    Glob,
    Template,
    glob,
    has_wildcard,
    open_values,
)
from iam_audit.engine.parse import statement_list, statement_path, validate_statement
from iam_audit.engine.types import Principal, PrincipalKind, StatementRef
from iam_audit.errors import PolicyParseError
from iam_audit.model import JSON, PolicyDocument, PolicyKind

__all__ = [
    "GRANT_ACCOUNT",
    "GRANT_DIRECT",
    "GRANT_ROLE",
    "CompiledPolicy",
    "CompiledStatement",
    "Meaning",
    "StatementMatch",
    "compile_policy",
    "statement_alone",
]

#: How a resource-policy statement names the requesting principal (a bit set).
#: DIRECT: the principal itself (user, session, service…) or everyone (``"*"``): not limited by
#: the principal's permissions boundary. ROLE: the role ARN of a role (session) principal:
#: limited by the boundary. ACCOUNT: the principal's account: delegates to the account, so the
#: principal's identity policies must allow the request too.
GRANT_DIRECT = 1
GRANT_ROLE = 2
GRANT_ACCOUNT = 4

#: What a statement says without its Sid (:func:`_meaning`): its JSON text, or its ``repr``
Meaning = bytes | str

# compiled on first use (re's own cache of patterns), not at import: who-can reads no Principal
_ACCOUNT_ROOT_RE = r"^arn:[^:]+:iam::(\d{12}):root$"
_ROLE_RE = r"^arn:[^:]+:iam::(\d{12}):role/(?:.*/)?([^/]+)$"
_SESSION_RE = r"^arn:[^:]+:sts::(\d{12}):assumed-role/([^/]+)/.+$"

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
    if not isinstance(value, dict):
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
    match = re.match(_ACCOUNT_ROOT_RE, value)
    return match.group(1) if match else None


def _is_session_of(session: str, role: str) -> bool:
    """Is ``session`` (``arn:…:sts::A:assumed-role/R/S``) a session of role ARN ``role``?"""
    session_match = re.match(_SESSION_RE, session)
    role_match = re.match(_ROLE_RE, role)
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
            elif re.match(_ROLE_RE, entry.value):
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


class StatementMatch(NamedTuple):
    """A statement against one request: AWS's answer, the open answer, and why it is unknown.

    A named tuple, not a dataclass: one is built per statement matched, and nothing compares
    or copies it (an engine-internal value)."""

    applies: bool
    tri: Tri
    missing: tuple[str, ...]
    grant: int
    note: str | None = None


_NO_MATCH = StatementMatch(False, Tri.FALSE, (), 0)
# the answers of a Resource/NotResource without policy variables, and of a statement that applies
# to the principal (an identity statement) whatever the context: built once, as every request
# would build them again (a StatementMatch is immutable: one object is as good as many)
_RESOURCE_HIT = StatementMatch(True, Tri.TRUE, (), 0)
_APPLIES = StatementMatch(True, Tri.TRUE, (), GRANT_DIRECT)
# Enum members read on every match, as module globals: reading a member as a class attribute
# costs about ten times a global's in CPython 3.11 (the members are the same objects)
_FALSE, _TRUE, _UNKNOWN = Tri.FALSE, Tri.TRUE, Tri.UNKNOWN


class CompiledStatement(Struct, frozen=True):
    """One statement, ready to match.

    ``resources`` is ``None`` when the statement has neither Resource nor NotResource; else the
    patterns with policy variables (empty when none has one). ``static_resources`` holds the
    patterns when none has a variable: strings compare exactly (or ``"*"``), globs match.
    """

    ref: StatementRef
    allow: bool
    actions: ActionMatcher
    not_action: bool
    resources: tuple[Template, ...] | None
    static_resources: tuple[Glob | str, ...] | None
    not_resource: bool
    principals: tuple[Principal, ...] | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    unknown_operators: tuple[str, ...]
    #: what the statement says, without its ``Sid`` (and whether policy variables are read in
    #: it): two statements with the same meaning match every request alike
    meaning: tuple[bool, Meaning] = (False, "")
    #: the Resource (or NotResource) patterns as written
    resource_texts: tuple[str, ...] = ()
    #: :attr:`reads_context`, worked out once (every request of every principal asks it),
    #: from the fields above whatever a caller gives
    reads: bool = False

    def __post_init__(self) -> None:
        reads = bool(self.conditions) or (self.static_resources is None and bool(self.resources))
        force_setattr(self, "reads", reads)

    def named(self, ref: StatementRef) -> CompiledStatement:
        """The same statement as it stands in another document (``ref``)."""
        return CompiledStatement(
            ref,
            self.allow,
            self.actions,
            self.not_action,
            self.resources,
            self.static_resources,
            self.not_resource,
            self.principals,
            self.not_principal,
            self.conditions,
            self.unknown_operators,
            self.meaning,
            self.resource_texts,
        )

    @property
    def reads_context(self) -> bool:
        """Does its answer depend on the request context (a condition, a policy variable)?"""
        return self.reads

    @property
    def has_condition(self) -> bool:
        return bool(self.conditions)

    def matches_action(self, action: str) -> bool:
        """Does Action/NotAction cover ``action`` (lower-case)?"""
        return self.actions.matches(action) != self.not_action

    def _resource(
        self,
        resource: str,
        values: Mapping[str, tuple[str, ...]],
        supplied: Container[str],
        unknown_values: tuple[str, ...] = (),
    ) -> StatementMatch:
        """Resource/NotResource alone (principal and conditions not looked at).

        ``unknown_values``: see ``Request.unknown_values``.
        """
        if self.resources is None:
            return _RESOURCE_HIT  # absent: applies to the resource
        hit = False
        if unknown_values and any(v in t for t in self.resource_texts for v in unknown_values):
            templates = self.resources or tuple(
                Template.build(text, variables=False) for text in self.resource_texts
            )
        elif self.static_resources is not None:
            for pattern in self.static_resources:
                if isinstance(pattern, str):
                    if pattern == "*" or pattern == resource:
                        hit = True
                        break
                elif pattern.fullmatch(resource):
                    hit = True
                    break
            return _RESOURCE_HIT if hit != self.not_resource else _NO_MATCH
        else:
            templates = self.resources
        open_hit = Tri.FALSE
        unknown: set[str] = set()
        for template in templates:
            resolution = template.resolve(values, supplied)
            # "the resource that includes a policy variable with no value will not match any
            # resource" (pieces None); a value another request could give may change that.
            entry = resolution.fullmatch(resource)
            hit = hit or entry
            opened, held = (
                open_values(template.open_pieces(), unknown_values) if unknown_values else ((), ())
            )
            if not resolution.unknown and (entry or not held):
                entry_tri = Tri.of(entry)
            elif (Glob(opened) if held else template.open_glob()).fullmatch(resource):
                entry_tri = Tri.UNKNOWN
                unknown.update(resolution.unknown, held)
            else:
                entry_tri = Tri.FALSE
            open_hit = tri_or(open_hit, entry_tri)
        applies = hit != self.not_resource
        if open_hit is Tri.UNKNOWN:
            return StatementMatch(applies, Tri.UNKNOWN, tuple(sorted(unknown)), 0)
        return StatementMatch(applies, Tri.of(applies), (), 0)

    def match(
        self,
        resource: str,
        principal: Principal | None,
        values: Mapping[str, tuple[str, ...]],
        supplied: Container[str],
        *,
        check_principal: bool,
        boundary_present: bool = False,
        unknown_values: tuple[str, ...] = (),
    ) -> StatementMatch:
        """Match everything but the action (the caller checked it) against one request."""
        result = self._resource(resource, values, supplied, unknown_values)
        if result.tri is _FALSE:
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
        if not self.conditions and not self.unknown_operators and result is _RESOURCE_HIT:
            return _APPLIES if grant == GRANT_DIRECT else StatementMatch(True, _TRUE, (), grant)
        applies = result.applies
        tri: Tri = result.tri
        missing = set(result.missing)
        for condition in self.conditions:
            value, open_value, keys = evaluate_condition(
                condition, values, supplied, unknown_values
            )
            applies = applies and value
            tri_before = tri
            if open_value is _FALSE:
                tri = _FALSE
            elif open_value is _UNKNOWN and tri_before is not _FALSE:
                tri = _UNKNOWN
                missing.update(keys)
        note = None
        if self.unknown_operators:
            note = (
                f"{self.ref.policy} {self.ref.label}: unknown condition operator "
                f"{', '.join(self.unknown_operators)}; the statement never applies"
            )
        if tri is _FALSE:
            return StatementMatch(False, _FALSE, (), 0, note)
        return StatementMatch(
            applies, tri, tuple(sorted(missing)) if tri is _UNKNOWN else (), grant, note
        )


def _static_pattern(template: Template) -> Glob | str:
    """A resource pattern without variables: the text itself when it holds no wildcard."""
    pieces = template.static_pieces
    if len(pieces) == 1 and pieces[0][1]:
        text = pieces[0][0]
        if text == "*" or not has_wildcard(text):
            return text
    return Glob(pieces)


class CompiledPolicy:
    """A document's statements, indexed by the service prefixes their actions name.

    Statements compile lazily: building the index reads only ``Action``/``NotAction``; a statement
    is validated (unless ``validated``: the document passed ``validate_policy``, as
    ``parse_policy`` records in ``PolicyDocument.validated``) and compiled the first time a
    request's service makes it a candidate. :attr:`statements` and :attr:`notes` compile all.
    It keeps the document's name, kind and body (the JSON it compiled), not the document (no
    reference cycle): :func:`compile_policy` reuses it only for a document with all three.
    """

    __slots__ = (
        "__weakref__",
        "_alone",
        "_any_service",
        "_by_service",
        "_candidates",
        "_compiled",
        "_invalid",
        "_matching",
        "_raw",
        "_shared",
        "_single",
        "_structure_note",
        "body",
        "kind",
        "name",
        "validated",
        "variables",
    )

    def __init__(
        self,
        document: PolicyDocument,
        *,
        validated: bool = False,
        statements: dict[tuple[bool, Meaning], CompiledStatement] | None = None,
    ) -> None:
        body = self.body = document.document
        self.name = document.name
        self.kind = document.kind
        self.validated = validated
        self._shared = statements
        self.variables = isinstance(body, dict) and body.get("Version") == "2012-10-17"
        #: the statements, as written (a statement's index in the document is its position),
        #: and whether ``Statement`` is one object, not a list
        self._raw, self._single = statement_list(body)
        self._compiled: list[CompiledStatement | None] = [None] * len(self._raw)
        self._invalid: dict[int, str] = {}
        self._candidates: dict[str, tuple[CompiledStatement, ...]] = {}
        self._matching: dict[str, tuple[CompiledStatement, ...]] = {}
        self._alone: dict[int, PolicyDocument | None] = {}
        self._structure_note = (
            None
            if isinstance(body, dict) and isinstance(body.get("Statement"), dict | list)
            else f"{document.name}: not an IAM policy (no Statement); it grants nothing"
        )
        self._by_service: dict[str, list[int]] | None = None  # built on first use
        self._any_service: list[int] = []

    def _index(self) -> dict[str, list[int]]:
        """Statement positions by the service prefixes their actions name (``_any_service``:
        those that can name any service)."""
        if self._by_service is None:
            by_service: dict[str, list[int]] = {}
            for position, raw in enumerate(self._raw):
                services = _services_of(raw)
                if services is None:
                    self._any_service.append(position)
                else:
                    for service in services:
                        by_service.setdefault(service, []).append(position)
            self._by_service = by_service
        return self._by_service

    def _statement(self, position: int) -> CompiledStatement | None:
        compiled = self._compiled[position]
        if compiled is not None or position in self._invalid:
            return compiled
        index = position
        raw = self._raw[position]
        if not self.validated:
            path = statement_path(index, self._single)
            try:
                validate_statement(raw, path)
            except PolicyParseError as error:
                self._invalid[position] = f"{self.name} #{index}: skipped, {error.message}"
                return None
        shared = self._shared
        if shared is None:
            compiled = _compile_statement(self.name, self.kind, index, raw, self.variables)
        else:
            # the same statement in another document of the run: compiled once, named here
            meaning = (self.variables, _meaning(raw))
            known = shared.get(meaning)
            if known is None:
                compiled = _compile_statement(
                    self.name, self.kind, index, raw, self.variables, meaning
                )
                shared[meaning] = compiled
            else:
                compiled = known.named(_ref(self.name, self.kind, index, raw))
        self._compiled[position] = compiled
        return compiled

    def candidates(self, service: str) -> tuple[CompiledStatement, ...]:
        """Statements that can match an action of ``service`` (lower-case), in document order."""
        cached = self._candidates.get(service)
        if cached is None:
            by_service = self._index()
            positions = sorted({*by_service.get(service, ()), *self._any_service})
            found = [self._statement(position) for position in positions]
            cached = tuple(statement for statement in found if statement is not None)
            self._candidates[service] = cached
        return cached

    def matching(
        self, action: str, applies: Callable[[str | list[str], bool], bool] | None = None
    ) -> tuple[CompiledStatement, ...]:
        """Statements whose ``Action``/``NotAction`` covers ``action`` (lower-case), in document
        order: the only ones that can apply to a request for it.

        ``applies``: whether a statement with these ``Action`` entries (or ``NotAction``, when
        told so) can apply to ``action`` (a question asked of many documents remembers each
        entry: :meth:`~iam_audit.engine.batch.Question.applies`); for a validated document the
        statements are then picked by their entries alone, and only those are compiled."""
        found = self._matching.get(action)
        if found is None:
            if applies is not None and self.validated:
                picked = []
                for position, raw in enumerate(self._raw):
                    names = raw.get("Action")
                    negated = names is None
                    if applies(raw["NotAction"] if negated else names, negated):
                        picked.append(self._statement(position))
                found = tuple(statement for statement in picked if statement is not None)
            else:
                found = tuple(
                    statement
                    for statement in self.candidates(action.partition(":")[0])
                    if statement.matches_action(action)
                )
            self._matching[action] = found
        return found

    def alone(self, document: PolicyDocument, index: int) -> PolicyDocument | None:
        """Statement ``index`` of ``document`` (whose compiled form this is) as a policy of its
        own; see :func:`statement_alone`."""
        if index in self._alone:
            return self._alone[index]
        found = None
        statement = self._statement(index) if 0 <= index < len(self._raw) else None
        if statement is not None:
            body: dict[str, JSON] = {"Statement": [self._raw[index]]}
            if isinstance(document.document, dict) and "Version" in document.document:
                body["Version"] = document.document["Version"]
            found = PolicyDocument(
                document.name, document.kind, body, origin=document.origin, validated=True
            )
            single = CompiledPolicy(found, validated=True)
            single._compiled[0] = statement  # the same compiled statement, the same ref
            force_setattr(found, "compiled", single)
        self._alone[index] = found
        return found

    @property
    def statements(self) -> tuple[CompiledStatement, ...]:
        """Every valid statement, in document order."""
        found = [self._statement(position) for position in range(len(self._raw))]
        return tuple(statement for statement in found if statement is not None)

    @property
    def notes(self) -> tuple[str, ...]:
        """Why parts of the document can never apply: malformed statements, unknown operators."""
        notes = [self._structure_note] if self._structure_note else []
        for statement in self.statements:
            if statement.unknown_operators:
                notes.append(
                    f"{self.name} {statement.ref.label}: unknown condition operator "
                    f"{', '.join(statement.unknown_operators)}; the statement never applies"
                )
        notes.extend(self._invalid[position] for position in sorted(self._invalid))
        return tuple(notes)


def _services_of(raw: JSON) -> frozenset[str] | None:
    """The service prefixes a statement's ``Action`` can match; ``None``: any service."""
    if not isinstance(raw, dict) or "NotAction" in raw:
        return None
    actions = raw.get("Action")
    texts = [actions] if isinstance(actions, str) else actions if isinstance(actions, list) else ()
    services: set[str] = set()
    for text in texts:
        if not isinstance(text, str):
            continue
        service = text.partition(":")[0].lower()
        if "*" in service or "?" in service:
            return None
        services.add(service)
    return frozenset(services)


#: orjson hands these to ``default`` (which refuses them) rather than write them as the JSON
#: value they resemble: a date, a dataclass, a ``str`` or ``int`` subclass (a YAML node)
_EXACT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_EXACT |= orjson.OPT_PASSTHROUGH_SUBCLASS


def _refuse(value: object) -> object:
    raise TypeError(type(value).__name__)


def _meaning(raw: Mapping[str, JSON]) -> Meaning:
    """What a statement says, without its ``Sid``: equal texts, equal statements (the same
    statement written in another key order gets another text, and is compiled again).

    Its JSON text, which tells apart every two JSON values that differ (``1``, ``1.0``,
    ``true``, ``"1"``), and is written in C (a tenth of the time of a ``repr``). A statement
    JSON cannot write exactly gets its ``repr`` instead (a ``str``, never equal to a JSON text,
    which is ``bytes``): one holding what the options above pass over, an integer beyond 64
    bits, a lone surrogate, or ``null`` (which orjson also writes for NaN and the infinities;
    a statement the engine accepts holds no ``null``)."""
    body = {key: value for key, value in raw.items() if key != "Sid"} if "Sid" in raw else raw
    try:
        text = orjson.dumps(body, default=_refuse, option=_EXACT)
    except (orjson.JSONEncodeError, TypeError):
        return repr(body)
    return repr(body) if b"null" in text else text


def _ref(name: str, kind: PolicyKind, index: int, raw: Mapping[str, JSON]) -> StatementRef:
    effect = raw["Effect"]
    return StatementRef(name, kind, index, raw.get("Sid") or None, effect)


def _compile_statement(
    name: str,
    kind: PolicyKind,
    index: int,
    raw: Mapping[str, JSON],
    variables: bool,
    meaning: tuple[bool, Meaning] | None = None,
) -> CompiledStatement:
    effect = raw["Effect"]
    ref = _ref(name, kind, index, raw)
    not_action = "NotAction" in raw
    actions = ActionMatcher.build(_strings(raw["NotAction" if not_action else "Action"]))
    not_resource = "NotResource" in raw
    resources: tuple[Template, ...] | None = None
    static: tuple[Glob | str, ...] | None = None
    texts: tuple[str, ...] = ()
    if not_resource or "Resource" in raw:
        texts = _strings(raw["NotResource" if not_resource else "Resource"])
        if not variables or not any("${" in text for text in texts):
            # the common case: plain patterns, compared as strings or simple globs
            static = tuple(
                text if text == "*" or not has_wildcard(text) else glob(text) for text in texts
            )
            resources = ()
        else:
            resources = tuple(Template.build(text, variables=variables) for text in texts)
            if all(template.is_static for template in resources):
                static = tuple(_static_pattern(template) for template in resources)
    not_principal = "NotPrincipal" in raw
    principals: tuple[Principal, ...] | None = None
    if not_principal or "Principal" in raw:
        principals = principals_of(raw["NotPrincipal" if not_principal else "Principal"])
    block = raw.get("Condition")
    conditions = compile_conditions(block, variables=variables) if isinstance(block, dict) else ()
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
        meaning=meaning or (variables, _meaning(raw)),
        resource_texts=texts,
    )


def compile_policy(
    document: PolicyDocument,
    *,
    validated: bool = False,
    statements: dict[tuple[bool, Meaning], CompiledStatement] | None = None,
) -> CompiledPolicy:
    """The compiled form of ``document``, built on its first use and kept on the object.

    The statements are validated on first use unless the document says it was validated
    (``document.validated``, set by ``parse_policy``) or the caller does (``validated``).
    Never raises: statements that are not valid are skipped and described in ``notes``.
    Documents are treated as immutable: mutate a body after its first evaluation and the
    compiled form goes stale (build a new :class:`PolicyDocument` instead). Two threads that
    compile the same document at once build equal forms; one of them is kept.

    ``statements``: a run's table of statements compiled by meaning (one question asked of a
    whole account shares one): a statement another document holds too is compiled once.
    """
    compiled = document.compiled
    if (
        isinstance(compiled, CompiledPolicy)
        and compiled.body is document.document
        and compiled.name == document.name
        and compiled.kind is document.kind
    ):
        return compiled  # its own (a copy with changes carries the original's: not reused)
    compiled = CompiledPolicy(
        document, validated=validated or document.validated, statements=statements
    )
    # the one write to a frozen document: its engine-owned slot, never compared or hashed
    force_setattr(document, "compiled", compiled)
    return compiled


def statement_alone(document: PolicyDocument, index: int) -> PolicyDocument | None:
    """Statement ``index`` of ``document`` as a one-statement policy (the same name, kind,
    ``Version`` and origin), to ask what that statement alone allows; ``None`` when the document
    has no valid statement ``index``.

    Built once per document and kept with its compiled form; its own compiled form is the
    statement's (its ref still names the statement's index in ``document``), so asking about
    it again validates and compiles nothing.
    """
    return compile_policy(document).alone(document, index)
