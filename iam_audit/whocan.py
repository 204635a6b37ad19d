"""``who-can``: every role and user whose own policies allow one action on one resource.

The question a reviewer asks of an account ("who can call AdminInitiateAuth on our pool, and so
check any user's password?"), answered from an authorization-details document: for each role and
each user (with the inline and attached policies of the groups it belongs to), the engine
evaluates the request against the principal's identity policies and permissions boundary, explicit
Denies first. Nothing here talks to AWS; the live command feeds the same
:class:`~iam_audit.sources.auth_details.AuthDetailsSource` from ``get-account-authorization-details``.

How it stays fast on accounts of 10,000 roles (``benchmarks/who_can_bench.py``):

1. A document takes part only if one of its statements names the action (``Action`` matching it,
   or ``NotAction`` not excluding it): one dictionary lookup per statement, on the raw JSON.
   Nothing else is validated or compiled. Managed and group policies are judged once and shared.
2. A principal none of whose policies allows the action, whose boundary never does, or that
   belongs to another account than the resource, is settled there (it is not listed).
3. The others wait while every distinct condition-free statement met is matched by the engine,
   all in one compiled document (``CompiledStatement.match``, as :func:`evaluate` matches an
   identity statement).
4. A principal whose statements are all decided on their own (no condition key the file cannot
   resolve) is then answered by IAM's rule for one account without resource policies: an
   applicable Deny denies; otherwise an applicable identity Allow allows, within the boundary's
   applicable Allow when there is a boundary. Statements that read the principal's own keys are
   asked of the engine once per distinct statement and values read. Every other principal is
   evaluated by :func:`evaluate` with all its documents. ``tests/scale/test_whocan_oracle.py``
   checks the answers against evaluating every policy of every principal.

The request (``ContextMode.OPEN``): the principal's ARN, account and type (the engine derives
them), its tags as ``aws:PrincipalTag/KEY`` (a tag the principal lacks is known to be absent), and
``aws:RequestedRegion`` when the resource ARN names a region (a regional resource is called in its
region). Every other condition key could hold any value: a principal whose answer depends on one
is listed as ``conditional`` with the keys in ``unresolved``.

Known limits: resource policies, SCPs, RCPs and session policies are not read. A principal of
another account than the resource is never listed: cross-account access needs the resource's own
policy to allow it, and who-can reads none (user pools have no resource policy, so for them this
is exact). An attached policy the document does not hold (an AWS managed policy outside the
built-in snapshot) is named in ``notes``, and the principal is judged without it. A question that
a role's trust policy or a KMS key policy decides (``sts:AssumeRole*`` on a role, ``kms:`` on a
key: ``resource_policy_decides``) is never answered ``allowed``, since who-can reads neither:
a principal whose own policies allow it is ``conditional``, and a note names the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import unquote

import orjson

from iam_audit.engine import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
    policy_notes,
    resource_account,
    resource_policy_decides,
)
from iam_audit.engine.compile import compile_policy
from iam_audit.engine.match import glob, has_wildcard
from iam_audit.errors import InputError
from iam_audit.model import OrgPolicies, Origin, PolicyDocument, PolicyKind, SourceKind
from iam_audit.sources.auth_details import AuthDetailsSource

__all__ = [
    "Access",
    "Grantee",
    "PrincipalType",
    "WhoCanResult",
    "result_to_dict",
    "who_can",
]

#: Answer principals whose statements are all decided on their own without a full evaluation
#: (step 4 of the module docstring); tests turn it off to compare with the engine.
FAST_PATH = True

_ACTION_RE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9]+$")


class PrincipalType(StrEnum):
    ROLE = "role"
    USER = "user"


class Access(StrEnum):
    """``allowed``: whatever the request holds; ``conditional``: for some values of ``unresolved``."""

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"


@dataclass(frozen=True, slots=True)
class Grantee:
    """One principal that may perform the action, and the policies that let it."""

    arn: str
    type: PrincipalType
    decision: Access
    unresolved: tuple[str, ...]
    via: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "type": self.type.value,
            "decision": self.decision.value,
            "unresolved": list(self.unresolved),
            "via": list(self.via),
        }


@dataclass(frozen=True, slots=True)
class WhoCanResult:
    """The answer: the principals, sorted by ARN, and how many were examined."""

    action: str
    resource: str
    principals: tuple[Grantee, ...]
    examined: int
    notes: tuple[str, ...] = ()


def result_to_dict(result: WhoCanResult) -> dict[str, Any]:
    """``{"principals": [{"arn", "type", "decision", "unresolved", "via"}, …]}``."""
    return {"principals": [grantee.as_dict() for grantee in result.principals]}


# ---------------------------------------------------------------------------------------------
# Which documents can bear on the question


class _Stmt(NamedTuple):
    """A statement that names the action, and the condition and variable keys it reads."""

    raw: dict[str, Any]
    reads: frozenset[str]  # lower-case
    text: str  # the statement without Sid, keys sorted: equal texts, equal answers


class _Relevance(NamedTuple):
    """What one decoded document means for the question.

    ``names``: some statement may apply to the action; ``allows``: one of those is an Allow.
    ``tag_keys``: the ``aws:PrincipalTag/KEY`` keys (lower-case) those statements read.
    ``context_free``: none of them has a condition or a policy variable, so their answer is the
    same for every principal of the account.
    """

    names: bool
    allows: bool = False
    tag_keys: frozenset[str] = frozenset()
    context_free: bool = True
    statements: tuple[_Stmt, ...] = ()
    suspect: bool = False  # a statement the engine may skip as malformed


_IRRELEVANT = _Relevance(False)
_OPAQUE = _Relevance(True, True, frozenset(), False, (), True)  # not a policy: the engine says why
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource"}
    | {"NotResource", "Condition"}
)
_EFFECTS = ("Allow", "Deny")
_TAG_PREFIX = "aws:principaltag/"
_VARIABLE_KEY_RE = re.compile(r"\$\{\s*([^},'\s]+)")
#: Keys the engine derives from the principal's ARN (reference_policies_condition-keys.html):
#: known, present or absent, for every role and user of the file.
_DERIVED = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:username",
        "aws:principalisawsservice",
        "aws:principalservicename",
    }
)


def _variables(value: object, into: set[str]) -> None:
    """Add the keys of the policy variables in ``value`` (a string or a list) to ``into``."""
    for text in value if type(value) is list else (value,):
        if type(text) is str and "${" in text:
            into.update(key.lower() for key in _VARIABLE_KEY_RE.findall(text))


def _reads(statement: dict[str, Any]) -> frozenset[str]:
    """The condition keys and policy-variable keys a statement reads, lower-case."""
    keys: set[str] = set()
    _variables(statement.get("Resource"), keys)
    _variables(statement.get("NotResource"), keys)
    condition = statement.get("Condition")
    if condition is not None:
        if type(condition) is not dict:
            return frozenset({"?"})  # malformed: never decidable here
        for block in condition.values():
            if type(block) is not dict:
                return frozenset({"?"})
            for key, value in block.items():
                keys.add(str(key).lower())
                _variables(value, keys)
    return frozenset(keys)


class _ActionFilter:
    """Which statements of a raw document can apply to the action? (memoised per entry).

    Reads only ``Action``/``NotAction`` (and, for the statements that pass, ``Effect``,
    ``Condition`` and the resource strings); never validates: the engine skips and notes
    malformed statements, so a malformed statement counts as one that may apply.
    """

    def __init__(self, action: str) -> None:
        self.action = action.lower()
        self._memo: dict[str, bool] = {}

    def _covers(self, entry: str) -> bool:
        low = entry.lower()
        hit = (
            low == "*"
            or low == self.action
            or (has_wildcard(low) and glob(low).fullmatch(self.action))
        )
        self._memo[entry] = hit
        return hit

    def _any(self, value: object) -> bool:
        """Does an ``Action``/``NotAction`` value (a string or a list) cover the action?"""
        memo = self._memo
        if type(value) is str:
            hit = memo.get(value)
            return self._covers(value) if hit is None else hit
        if type(value) is list:
            for entry in value:
                if type(entry) is str:
                    hit = memo.get(entry)
                    if hit is None:
                        hit = self._covers(entry)
                    if hit:
                        return True
        return False

    def document(self, document: object) -> _Relevance:
        """Judge a decoded document (see :class:`_Relevance`).

        Most statements of most documents name other actions: that path is one dictionary
        lookup per statement; only the statements that pass are looked at further.
        """
        if type(document) is not dict:
            return _OPAQUE
        statements = document.get("Statement")
        if type(statements) is dict:
            statements = [statements]
        elif type(statements) is not list:
            return _OPAQUE
        memo = self._memo
        found: list[dict[str, Any]] | None = None
        for statement in statements:
            if type(statement) is not dict:
                return _OPAQUE
            action = statement.get("Action")
            if action is not None:
                if type(action) is str:
                    hit = memo.get(action)
                    if hit is None:
                        hit = self._covers(action)
                else:
                    hit = self._any(action)
                if not hit and "NotAction" not in statement:
                    continue
            elif "NotAction" in statement and self._any(statement["NotAction"]):
                continue
            if found is None:
                found = [statement]
            else:
                found.append(statement)
        return _IRRELEVANT if found is None else _judge(found)


def _has_variable(value: object) -> bool:
    if type(value) is str:
        return "${" in value
    return type(value) is list and any(type(v) is str and "${" in v for v in value)


def _judge(statements: list[dict[str, Any]]) -> _Relevance:
    """What the statements that name the action need: effects, keys read, identities."""
    allows = suspect = False
    tags: set[str] = set()
    found: list[_Stmt] = []
    for statement in statements:
        effect = statement.get("Effect")
        allows = allows or effect != "Deny"
        suspect = suspect or effect not in _EFFECTS or not _STATEMENT_KEYS.issuperset(statement)
        reads = (
            _reads(statement)
            if "Condition" in statement
            or "NotResource" in statement
            or _has_variable(statement.get("Resource"))
            else frozenset()
        )
        tags.update(key for key in reads if key.startswith(_TAG_PREFIX))
        # decoded: orjson's bytes keep a 4 KiB buffer each, a str is exactly its size
        text = orjson.dumps(
            {k: v for k, v in statement.items() if k != "Sid"}, option=orjson.OPT_SORT_KEYS
        ).decode()
        found.append(_Stmt(statement, reads, text))
    context_free = not any(stmt.reads for stmt in found)
    return _Relevance(True, allows, frozenset(tags), context_free, tuple(found), suspect)


class _Doc(NamedTuple):
    """A document that names the action, with what the request context needs from it."""

    policy: PolicyDocument
    label: str
    relevance: _Relevance
    shared: bool  # a managed or group policy: the same object for every principal


class _Pending(NamedTuple):
    """A principal whose answer waits for its statements' answers (see ``_Walk.prepare``)."""

    arn: str
    kind: PrincipalType
    detail: Mapping[str, Any]
    docs: tuple[_Doc, ...]
    boundary: _Doc | None
    boundary_unknown: bool
    resource_account: str | None


def _statement_key(
    stmt: _Stmt, who: str | None = None, values: tuple[Any, ...] = ()
) -> tuple[Any, ...]:
    """A statement's identity for the answer memo: its text without ``Sid``, and for one that
    reads condition keys, the principal and the values it reads."""
    return (stmt.text, who, values)


@dataclass(frozen=True, slots=True)
class _Group:
    docs: tuple[_Doc, ...]
    unknown: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# The walk over principals


class _Walk:
    """One question over one source: caches shared documents and answers, gathers notes."""

    def __init__(self, source: AuthDetailsSource, request: Request) -> None:
        self.source = source
        self.request = request
        self.filter = _ActionFilter(request.action)
        #: a role's trust policy or a KMS key policy decides (the file's identity policies alone
        #: never allow): every principal goes to the engine, which says it hangs on that policy
        self.resource_decides = resource_policy_decides(request.action, request.resource)
        self.notes: set[str] = set()
        self._managed: dict[str, _Doc | bool | None] = {}
        self._boundaries: dict[str, _Doc | None] = {}
        self._groups: dict[str, _Group] = {}
        self._group_details = {
            str(g.get("GroupName")): g for g in source.groups if g.get("GroupName") is not None
        }
        # (statement text without Sid, principal, values read) -> (Deny applies, Allow applies)
        self._statements: dict[tuple[Any, ...], tuple[bool, bool] | None] = {}
        self._unjudged: dict[tuple[Any, ...], dict[str, Any]] = {}  # condition-free, not yet asked
        self._registered: dict[int, _Doc] = {}  # shared documents whose statements are listed
        self._singles: dict[tuple[str, Any, str], PolicyDocument] = {}  # one statement, a policy
        self._verdicts: dict[int, tuple[_Doc, tuple[bool, bool]]] = {}

    # documents --------------------------------------------------------------------------

    def inline(
        self,
        item: dict[str, Any],
        index: int,
        owner: str,
        key: str,
        prefix: str = "",
        relevance: _Relevance | None = None,
    ) -> _Doc | None:
        """Inline policy ``index`` of ``owner``'s ``key`` list, when it names the action.

        Documents are not validated: the engine skips any statement that is not valid, and the
        walk notes it. A URL-encoded document (the raw API's form) is decoded first.
        """
        raw = item.get("PolicyDocument")
        where = ""
        if type(raw) is not dict:
            where = f"{owner} {key}/{index}"
            raw = _decode(raw, f"{self.source.path} {where}")
        if relevance is None:
            relevance = self.filter.document(raw)
        if not relevance.names:
            return None
        name = prefix + str(item.get("PolicyName", f"inline-{index}"))
        where = where or f"{owner} {key}/{index}"
        policy = PolicyDocument(
            name, PolicyKind.INLINE, raw, origin=Origin(SourceKind.AUTH_DETAILS, where)
        )
        return self._doc(policy, name, relevance, bool(prefix), where=f"{owner} {name}")

    def _managed_body(self, arn: str) -> Any | None:
        """The decoded default version of managed policy ``arn``; ``None`` if unknown."""
        raw = self.source.managed_document(arn)
        if raw is None:
            snapshot = self.source.managed_policy(arn)  # AWS managed, outside the file
            return snapshot.document if snapshot is not None else None
        return _decode(raw, f"{self.source.path} {arn}")

    def managed(self, arn: str) -> _Doc | bool | None:
        """A managed policy naming the action; ``None`` when it does not; ``False`` if unknown.

        Judged once per question and shared, as one document, by every principal that
        attaches it (so the engine compiles it once).
        """
        if arn not in self._managed:
            found: _Doc | bool | None = False
            body = self._managed_body(arn)
            if body is not None:
                relevance = self.filter.document(body)
                found = None
                if relevance.names:
                    found = self._doc(PolicyDocument(arn, PolicyKind.MANAGED, body), arn, relevance)
            self._managed[arn] = found
        return self._managed[arn]

    def boundary(self, arn: str) -> _Doc | None:
        """The boundary as a ``BOUNDARY`` document shared by every principal it bounds."""
        if arn not in self._boundaries:
            body = self._managed_body(arn)
            self._boundaries[arn] = (
                None
                if body is None
                else self._doc(
                    PolicyDocument(arn, PolicyKind.BOUNDARY, body), arn, self.filter.document(body)
                )
            )
        return self._boundaries[arn]

    def _doc(
        self,
        policy: PolicyDocument,
        label: str,
        relevance: _Relevance,
        shared: bool = True,
        where: str = "",
    ) -> _Doc:
        """A document for the question; what the engine cannot use in it becomes a note."""
        if relevance.suspect:
            self.notes.update(f"{where or label}: {note}" for note in policy_notes(policy))
        return _Doc(policy, label, relevance, shared)

    def group(self, name: str) -> _Group | None:
        if name not in self._groups:
            detail = self._group_details.get(name)
            if detail is None:
                return None
            docs: list[_Doc] = []
            unknown: list[str] = []
            owner = str(detail.get("Arn", name))
            for index, item in enumerate(_items(detail, "GroupPolicyList")):
                doc = self.inline(item, index, owner, "GroupPolicyList", f"group/{name}/")
                if doc is not None:
                    docs.append(doc)
            self._attached(detail, docs, unknown)
            self._groups[name] = _Group(tuple(docs), tuple(unknown))
        return self._groups[name]

    def _attached(self, detail: Mapping[str, Any], docs: list[_Doc], unknown: list[str]) -> None:
        attached = detail.get("AttachedManagedPolicies")
        if type(attached) is not list:
            return
        cache = self._managed
        for item in attached:
            arn = item.get("PolicyArn") if type(item) is dict else None
            if type(arn) is not str:
                continue
            found = cache[arn] if arn in cache else self.managed(arn)
            if found is None:
                continue
            if found is False:
                unknown.append(arn)
            elif type(found) is _Doc:
                docs.append(found)

    # principals -------------------------------------------------------------------------

    def prepare(
        self, detail: Mapping[str, Any], kind: PrincipalType, resource_account: str | None
    ) -> _Pending | None:
        """What the principal's answer depends on, or ``None`` when it may not perform the action
        whatever its statements say (none allows it, another account, a boundary without it).

        Registers the condition-free statements met on the way, so :meth:`judge_statements`
        can ask the engine about all of them at once."""
        arn = str(detail.get("Arn", ""))
        docs: list[_Doc] = []
        unknown: list[str] = []
        inline_key = "RolePolicyList" if kind is PrincipalType.ROLE else "UserPolicyList"
        items = detail.get(inline_key)
        if type(items) is list:
            judge = self.filter.document
            for index, item in enumerate(items):
                if type(item) is not dict:
                    continue
                raw = item.get("PolicyDocument")
                relevance = judge(raw) if type(raw) is dict else None
                if relevance is not None and not relevance.names:
                    continue  # the common case: a policy about other actions
                doc = self.inline(item, index, arn, inline_key, relevance=relevance)
                if doc is not None:
                    docs.append(doc)
        self._attached(detail, docs, unknown)
        if kind is PrincipalType.USER:
            for group_name in detail.get("GroupList") or ():
                group = self.group(str(group_name))
                if group is None:
                    self.notes.add(f"user {arn} is in group {group_name}, which is not in the file")
                    continue
                docs.extend(group.docs)
                unknown.extend(group.unknown)
        if unknown:
            self.notes.add(
                f"{kind.value} {arn}: attached {', '.join(sorted(set(unknown)))} not in the file; "
                "judged without it"
            )
        if not any(d.relevance.allows for d in docs):
            return None  # no policy allows the action: an implicit deny, whatever the context
        account = _account(arn)
        if resource_account and account and account != resource_account:
            return None  # cross-account: only a resource policy could allow it (module docstring)
        boundary: _Doc | None = None
        boundary_unknown = False
        pb = detail.get("PermissionsBoundary")
        if type(pb) is dict and pb.get("PermissionsBoundaryArn"):
            boundary = self.boundary(str(pb["PermissionsBoundaryArn"]))
            boundary_unknown = boundary is None
            if boundary is not None and not boundary.relevance.allows:
                return None  # the boundary never allows the action
        every = (*docs, boundary) if boundary is not None else tuple(docs)
        for doc in every:
            if doc.shared:
                if id(doc) in self._registered:
                    continue
                self._registered[id(doc)] = doc  # held: its id stays unique
            for stmt in doc.relevance.statements:
                if not stmt.reads:
                    self._unjudged.setdefault(_statement_key(stmt), stmt.raw)
        return _Pending(
            arn, kind, detail, tuple(docs), boundary, boundary_unknown, resource_account
        )

    def judge_statements(self) -> None:
        """The engine's answer for every condition-free statement met so far, in one compiled
        document: each statement is matched on its own (``CompiledStatement.match``), exactly as
        :func:`evaluate` matches an identity statement, without one evaluation per statement."""
        if not self._unjudged:
            return
        keys = list(self._unjudged)
        batch = PolicyDocument(
            "who-can statements",
            PolicyKind.INLINE,
            {"Version": "2012-10-17", "Statement": [self._unjudged[key] for key in keys]},
        )
        self._unjudged.clear()
        action = self.request.action.lower()
        for key in keys:
            self._statements[key] = (False, False)  # a statement the engine skips as malformed
        for statement in compile_policy(batch).candidates(action.partition(":")[0]):
            if not statement.matches_action(action):
                continue
            found = statement.match(
                self.request.resource, None, {}, frozenset(), check_principal=False
            )
            if found.applies:
                self._statements[keys[statement.ref.index]] = (not statement.allow, statement.allow)

    def finish(self, pending: _Pending) -> Grantee | None:
        """The principal's answer, or ``None`` when it may not perform the action."""
        arn, kind, detail = pending.arn, pending.kind, pending.detail
        docs, boundary, boundary_unknown = pending.docs, pending.boundary, pending.boundary_unknown
        every = (*docs, boundary) if boundary is not None else docs
        context = self._context(detail, every)
        verdicts: list[tuple[bool, bool] | None] = []
        decided = True
        for doc in every:
            verdict = self._doc_verdict(doc, arn, context)
            if verdict is None:
                decided = False
            elif verdict[0]:
                return None  # a Deny that applies whatever else holds: an explicit deny
            verdicts.append(verdict)
        if FAST_PATH and decided and self.resource_decides is None:
            return self._decide_fixed(arn, kind, docs, verdicts, boundary, boundary_unknown)
        result = self._evaluate(arn, detail, docs, boundary, pending.resource_account)
        if not (result.allowed or result.conditional):
            return None
        if boundary_unknown:
            self.notes.add(f"{kind.value} {arn}: its permissions boundary is not in the file")
        if result.allowed:
            labels = {d.policy.name: d.label for d in docs}
            via = {
                labels[ref.policy]
                for ref in result.matched
                if ref.policy in labels and ref.kind is not PolicyKind.BOUNDARY
            }
        else:
            via = {
                d.label
                for d in docs
                if self._may_allow_alone(arn, detail, d, pending.resource_account)
            }
        conditional = result.conditional or boundary_unknown
        return Grantee(
            arn=arn,
            type=kind,
            decision=Access.CONDITIONAL if conditional else Access.ALLOWED,
            unresolved=result.unresolved,
            via=tuple(sorted(via)),
        )

    def _decide_fixed(
        self,
        arn: str,
        kind: PrincipalType,
        docs: Sequence[_Doc],
        verdicts: Sequence[tuple[bool, bool] | None],
        boundary: _Doc | None,
        boundary_unknown: bool,
    ) -> Grantee | None:
        """The answer when every statement that names the action is decided on its own (no
        condition key the file cannot resolve) and none denies: IAM then allows the request
        when an identity statement allows it and, with a boundary, a boundary statement does too
        (same account, no resource policy). Each statement's answer is the engine's; the
        equivalence with a plain :func:`evaluate` of everything is tested."""
        via = {d.label for d, v in zip(docs, verdicts, strict=False) if v is not None and v[1]}
        boundary_verdict = verdicts[-1] if boundary is not None else None
        if not via or (boundary_verdict is not None and not boundary_verdict[1]):
            return None
        if boundary_unknown:
            self.notes.add(f"{kind.value} {arn}: its permissions boundary is not in the file")
        return Grantee(
            arn=arn,
            type=kind,
            decision=Access.CONDITIONAL if boundary_unknown else Access.ALLOWED,
            unresolved=(),
            via=tuple(sorted(via)),
        )

    def _doc_verdict(
        self, doc: _Doc, arn: str, context: Mapping[str, tuple[str, ...]]
    ) -> tuple[bool, bool] | None:
        """(a Deny applies, an Allow applies) over the document's statements that name the
        action; ``None`` when one of them hangs on a key the file cannot resolve (and no other
        denies outright)."""
        cacheable = doc.shared and doc.relevance.context_free
        if cacheable:
            cached = self._verdicts.get(id(doc))
            if cached is not None:
                return cached[1]
        deny = allow = undecided = False
        statements = self._statements
        for stmt in doc.relevance.statements:
            # a condition-free statement was judged in the batch: one lookup
            answer = (
                statements[(stmt.text, None, ())]
                if not stmt.reads and (stmt.text, None, ()) in statements
                else self._statement_verdict(stmt, doc.policy, arn, context)
            )
            if answer is None:
                undecided = True
            else:
                deny = deny or answer[0]
                allow = allow or answer[1]
        if deny:
            return True, allow
        if undecided:
            return None
        if cacheable:
            self._verdicts[id(doc)] = (doc, (deny, allow))  # holds the doc: its id stays unique
        return deny, allow

    def _statement_verdict(
        self,
        stmt: _Stmt,
        policy: PolicyDocument,
        arn: str,
        context: Mapping[str, tuple[str, ...]],
    ) -> tuple[bool, bool] | None:
        """The engine's answer for one statement alone, as an identity policy of ``arn``;
        ``None`` when it depends on a key the file cannot resolve. Asked once per distinct
        statement and values of the keys it reads."""
        reads = stmt.reads
        who: str | None = None
        values: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
        if reads:
            if not all(k in _DERIVED or k in context for k in reads):
                return None
            who = arn if not _DERIVED.isdisjoint(reads) else None
            values = tuple(sorted((k, context.get(k)) for k in reads if k not in _DERIVED))
        key = _statement_key(stmt, who, values)
        if key in self._statements:
            return self._statements[key]
        version = policy.document.get("Version") if type(policy.document) is dict else None
        single = self._singles.get((stmt.text, version, policy.name))
        if single is None:  # one document per distinct statement (and name): compiled once
            body: dict[str, Any] = {"Statement": [stmt.raw]}
            if version is not None:
                body["Version"] = version
            single = PolicyDocument(policy.name, PolicyKind.INLINE, body)
            self._singles[(stmt.text, version, policy.name)] = single
        result = evaluate(
            Request(
                self.request.action,
                self.request.resource,
                principal=Principal(PrincipalKind.AWS, arn) if reads else None,
                context=context,
                mode=ContextMode.OPEN,
            ),
            identity=[single],
        )
        self.notes.update(result.notes)
        answer = (
            None
            if result.conditional or result.unresolved
            else (result.decision is Decision.EXPLICIT_DENY, result.allowed)
        )
        self._statements[key] = answer
        return answer

    def _context(
        self, detail: Mapping[str, Any], docs: Iterable[_Doc]
    ) -> Mapping[str, tuple[str, ...]]:
        mentioned: set[str] | None = None
        for doc in docs:
            if doc.relevance.tag_keys:
                mentioned = (mentioned or set()) | doc.relevance.tag_keys
        if not mentioned:
            return self.request.context
        context = dict(self.request.context)
        tags = {
            f"aws:principaltag/{str(t.get('Key')).lower()}": (str(t.get("Value")),)
            for t in detail.get("Tags") or ()
            if type(t) is dict
        }
        for key in mentioned:
            context[key] = tags.get(key, ())  # () : the principal has no such tag
        return context

    def _request(self, arn: str, context: Mapping[str, tuple[str, ...]]) -> Request:
        return Request(
            action=self.request.action,
            resource=self.request.resource,
            principal=Principal(PrincipalKind.AWS, arn),
            context=context,
            mode=ContextMode.OPEN,
        )

    def _evaluate(
        self,
        arn: str,
        detail: Mapping[str, Any],
        docs: Sequence[_Doc],
        boundary: _Doc | None,
        resource_account: str | None,
    ) -> EvalResult:
        """The engine's answer, with every document of the principal."""
        every = (*docs, boundary) if boundary is not None else tuple(docs)
        result = evaluate(
            self._request(arn, self._context(detail, every)),
            identity=[d.policy for d in docs],
            boundary=boundary.policy if boundary is not None else None,
            resource_account=resource_account,
        )
        self.notes.update(result.notes)
        return result

    def _may_allow_alone(
        self, arn: str, detail: Mapping[str, Any], doc: _Doc, resource_account: str | None
    ) -> bool:
        """Does ``doc`` hold an Allow that applies, or might, on its own? (``via`` of a
        conditional answer)."""
        result = evaluate(
            self._request(arn, self._context(detail, [doc])),
            identity=[doc.policy],
            resource_account=resource_account,
        )
        return result.allowed or result.conditional


def _account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) > 5 else ""


def _decode(raw: object, location: str) -> Any:
    """A policy document as the file holds it, decoded: the raw API's URL-encoded JSON text
    (RFC 3986) is unquoted and parsed; anything else is returned as it is."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if not text.startswith(("{", "[")) and "%" in text:
        text = unquote(text).strip()
    try:
        return orjson.loads(text)
    except ValueError as err:
        raise InputError(f"{location}: policy document is not valid JSON ({err})") from None


def _items(detail: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = detail.get(key)
    if type(value) is not list or not value:
        return []
    return [item for item in value if type(item) is dict]


def _arn_parts(resource: str) -> tuple[str | None, str | None]:
    """(region, account) of an ARN; ``None`` for parts it does not name."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None, None
    return parts[3] or None, resource_account(resource)


def _bounded(
    found: Sequence[Grantee],
    request: Request,
    resource_account: str | None,
    organization: OrgPolicies,
    notes: set[str],
) -> list[Grantee]:
    """``found`` bounded by the organization's SCPs and RCPs (:func:`apply_organization`)."""
    from iam_audit.engine import apply_organization

    kept: list[Grantee] = []
    denied: dict[str, int] = {}
    for grantee in found:
        asked = Request(
            request.action,
            request.resource,
            principal=Principal(PrincipalKind.AWS, grantee.arn),
            context=request.context,
            mode=ContextMode.OPEN,
        )
        answer = apply_organization(
            asked, EvalResult(Decision.ALLOWED), organization, resource_account
        )
        if not answer.allowed and not answer.conditional:
            denied[answer.decided_by] = denied.get(answer.decided_by, 0) + 1
            continue
        unresolved = tuple(sorted({*grantee.unresolved, *answer.unresolved}, key=str.lower))
        conditional = answer.conditional or not answer.allowed
        kept.append(
            Grantee(
                grantee.arn,
                grantee.type,
                Access.CONDITIONAL if conditional else grantee.decision,
                unresolved,
                grantee.via,
            )
        )
    for decided_by, count in sorted(denied.items()):
        notes.add(f"{count} principal(s) whose own policies allow it are denied: {decided_by}")
    return kept


def check_action(action: str) -> str:
    """``SERVICE:Action``, one concrete action: who-can answers for one request."""
    text = action.strip()
    if not _ACTION_RE.match(text):
        raise InputError(
            f"not an action: {action!r}",
            advice="give one action as SERVICE:Action, e.g. cognito-idp:AdminInitiateAuth",
        )
    return text


def who_can(
    source: AuthDetailsSource,
    action: str,
    resource: str,
    organization: OrgPolicies | None = None,
) -> WhoCanResult:
    """Every role and user of ``source`` that may perform ``action`` on ``resource``.

    ``organization``: the account's SCPs and RCPs; a principal they deny is not listed (a note
    counts them and names the policy and level), one whose answer hangs on their conditions is
    ``conditional``.

    Raises :class:`~iam_audit.errors.InputError` for an action that is not ``SERVICE:Action``, and
    for a URL-encoded document that is not JSON (naming the file and place). A statement the
    engine cannot use (a misspelt ``Effect``, an unknown element) is skipped and named in
    ``notes``, as :func:`~iam_audit.engine.policy_notes` describes it.
    """
    action = check_action(action)
    region, resource_account = _arn_parts(resource)
    context: dict[str, tuple[str, ...]] = {}
    if region is not None:
        context["aws:requestedregion"] = (region,)
    walk = _Walk(source, Request(action=action, resource=resource, context=context))
    found: list[Grantee] = []
    examined = 0
    accounts: set[str] = set()
    pending: list[_Pending] = []
    for kind, details in (
        (PrincipalType.ROLE, source.role_details()),
        (PrincipalType.USER, source.users),
    ):
        for detail in details:
            examined += 1
            accounts.add(_account(str(detail.get("Arn", ""))))
            waiting = walk.prepare(detail, kind, resource_account)
            if waiting is not None:
                pending.append(waiting)
    walk.judge_statements()
    for waiting in pending:
        grantee = walk.finish(waiting)
        if grantee is not None:
            found.append(grantee)
    notes = set(walk.notes)
    if organization is not None:
        found = _bounded(found, walk.request, resource_account, organization, notes)
    foreign = sorted(a for a in accounts if a and resource_account and a != resource_account)
    if foreign:
        notes.add(
            f"{resource} is in account {resource_account}; principals of "
            f"{', '.join(foreign)} could reach it only through a resource policy, which "
            "who-can does not read (user pools have none), so none of them is listed"
        )
    return WhoCanResult(
        action=action,
        resource=resource,
        principals=tuple(sorted(found, key=lambda g: g.arn)),
        examined=examined,
        notes=tuple(sorted(notes)),
    )
