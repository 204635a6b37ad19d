"""``who-can``: every role and user whose own policies allow one action on one resource.

The question a reviewer asks of an account ("who can call AdminInitiateAuth on our pool, and so
check any user's password?"), answered from an authorization-details document: for each role and
each user (with the inline and attached policies of the groups it belongs to), the engine
evaluates the request against the principal's identity policies and permissions boundary, explicit
Denies first. Nothing here talks to AWS; the live command feeds the same
:class:`~iam_audit.sources.auth_details.AuthDetailsSource` from ``get-account-authorization-details``.

How it is decided: every principal's answer is the engine's :func:`~iam_audit.engine.evaluate`,
through the engine's batch entry point :class:`~iam_audit.engine.batch.Question`, with the
principal's identity documents and boundary, exactly as ``audit`` and ``simulate`` ask it of one
role. How it stays fast on accounts of 10,000 roles (``benchmarks/who_can_bench.py``): the file is
decoded once into typed records that validate every document on the way
(:mod:`iam_audit.sources.authschema`), so a file ``audit`` refuses (a ``Principal`` in an inline
policy, a misspelt ``Effect``) is refused here with the same message; a document none of whose
statements can apply to the request (its ``Action``/``NotAction`` does not cover the action, or
its ``Resource`` cannot match the resource: :meth:`Question.relevant`) is left out of the
evaluation, since it takes no part in it, and only the others are converted and compiled.
Managed and group policies are judged once and shared; a principal whose documents are all
shared ones and read no condition key gets the answer worked out for them. On a large file the
principals are shared among one process per core, at most four (:mod:`iam_audit.workers`). Each
decodes only its share of the file's roles and the rest of the file
(:meth:`~iam_audit.sources.auth_details.UndecodedSource.load_roles`), and checks the policy
grammar of its own principals only; a file that does not split so is decoded by each process,
which checks the grammar of its own blocks' principals (the documents they share are checked
while decoding). The answer is the same in one process or several.

The request (``ContextMode.OPEN``): the principal's ARN, account and type (the engine derives
them), its tags as ``aws:PrincipalTag/KEY`` (a tag the principal lacks is known to be absent), and
``aws:RequestedRegion`` when the resource ARN names a region (a regional resource is called in its
region). Every other condition key could hold any value: a principal whose answer depends on one
is listed as ``conditional`` with the keys in ``unresolved``.

Known limits: resource policies and session policies are not read (SCPs and RCPs only when
given). A principal of
another account than the resource is never listed: cross-account access needs the resource's own
policy to allow it, and who-can reads none (user pools have no resource policy, so for them this
is exact). An attached policy the document does not hold (an AWS managed policy outside the
built-in snapshot) is named in ``notes``; a principal that nothing else allows or denies the
action is then ``conditional`` on it (``via`` names it), as ``audit`` leaves such an answer open;
one that is allowed or denied without it keeps that answer. A question that
a role's trust policy or a KMS key policy decides (``sts:AssumeRole*`` on a role, ``kms:`` on a
key: ``resource_policy_decides``) is never answered ``allowed``, since who-can reads neither:
a principal whose own policies allow it is ``conditional``, and a note names the policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

import msgspec
from msgspec import UNSET, Struct

from iam_audit.engine import Decision, policy_notes, resource_account
from iam_audit.engine.batch import Question, request_context
from iam_audit.engine.parse import decode_document
from iam_audit.errors import InputError, PolicyParseError
from iam_audit.inputs import paused_gc
from iam_audit.model import OrgPolicies, PolicyDocument, PolicyKind
from iam_audit.sources import authschema as schema
from iam_audit.sources.auth_details import AuthDetailsSource, Principal, UndecodedSource
from iam_audit.workers import MIN_ITEMS, Shares, run_split

__all__ = [
    "Access",
    "Grantee",
    "PrincipalType",
    "WhoCanResult",
    "result_to_dict",
    "who_can",
]

_ACTION_RE = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9]+$")
#: A file this large holds hundreds of principals at least (a role is 1.5 to 5 KB of JSON,
#: compact or indented): its work is worth sharing among processes
MIN_BYTES = 2 * 1024 * 1024
#: Shares of a file's roles per process (:func:`~iam_audit.workers.run_split`): a process that
#: is free takes the next, so one slowed by the machine takes fewer
SHARES = 16


class PrincipalType(StrEnum):
    ROLE = "role"
    USER = "user"


_KINDS = {kind.value: kind for kind in PrincipalType}
# Enum members read for every principal, as module globals: reading a member as a class
# attribute costs about ten times a global's in CPython 3.11 (the members are the same objects)
_ROLE = PrincipalType.ROLE
_IMPLICIT_DENY = Decision.IMPLICIT_DENY
_BOUNDARY = PolicyKind.BOUNDARY


class Access(StrEnum):
    """``allowed``: whatever the request holds; ``conditional``: for some values of ``unresolved``."""

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"


_ACCESS = {access.value: access for access in Access}


class Grantee(Struct, frozen=True):
    """One principal that may perform the action, and the policies that let it."""

    arn: str
    type: PrincipalType
    decision: Access
    unresolved: tuple[str, ...]
    via: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON object; ``type`` and ``decision`` are their members, which are strings (JSON
        encoders write them as their values; reading ``.value`` costs a descriptor call each)."""
        return {
            "arn": self.arn,
            "type": self.type,
            "decision": self.decision,
            "unresolved": list(self.unresolved),
            "via": list(self.via),
        }

    def __reduce__(self) -> tuple[Any, tuple[str, str, str, tuple[str, ...], tuple[str, ...]]]:
        """Pickled as its values (a worker's answers cross a pipe): a struct with enum members
        pickles member by member, several times slower."""
        return _grantee, (self.arn, self.type.value, self.decision.value, self.unresolved, self.via)


def _grantee(
    arn: str, kind: str, decision: str, unresolved: tuple[str, ...], via: tuple[str, ...]
) -> Grantee:
    return Grantee(arn, _KINDS[kind], _ACCESS[decision], unresolved, via)


class WhoCanResult(Struct, frozen=True):
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
# The walk over principals


class _Walk:
    """One question over one source: the documents that name the action, shared where the file
    shares them (a managed policy, a group), and the notes gathered on the way."""

    def __init__(self, source: AuthDetailsSource, question: Question) -> None:
        self.source = source
        self.question = question
        self.notes: set[str] = set()
        self.denied: dict[str, int] = {}  # principals an SCP or RCP denies, by what denies
        #: what an attached policy the file lacks may say at most: an Allow of the action
        self.probe = PolicyDocument(
            "(a policy not in the file)",
            PolicyKind.INLINE,
            {"Statement": [{"Effect": "Allow", "Action": question.action, "Resource": "*"}]},
            validated=True,
        )
        self._managed: dict[str, _Doc | bool | None] = {}
        self._groups: dict[str, tuple[tuple[_Doc, ...], tuple[str, ...]] | None] = {}

    # documents --------------------------------------------------------------------------

    def _names(self, document: object) -> bool | None:
        """Can ``document`` (as decoded) have a statement that applies to the request? ``None``:
        the engine must say (a document in plain JSON or text). A typed document was validated
        while decoding (its grammar then, or, for a principal's own, by
        :meth:`AuthDetailsSource.hold` before the principal is answered); its statements'
        entries are judged as the engine judges them (:meth:`Question.applies`,
        :meth:`Question.reaches`)."""
        if type(document) is not schema.Policy:
            return None
        question = self.question
        applies = question.applies
        reaches = question.reaches
        variables = document.Version == "2012-10-17"
        for statement in document.statements():
            names = statement.Action
            if names is UNSET:
                if not applies(statement.NotAction, True):  # type: ignore[arg-type]
                    continue
            elif not applies(names, False):
                continue
            resources = statement.Resource
            if resources is UNSET:
                if reaches(statement.NotResource, True, variables):  # type: ignore[arg-type]
                    return True
            elif reaches(resources, False, variables):
                return True
        return False

    def _noted(self, policy: PolicyDocument, where: str) -> PolicyDocument:
        """``policy``, with what the engine cannot use in it (a user's or group's document is
        not refused: its malformed statements are skipped) added to the notes."""
        if not policy.validated:
            self.notes.update(f"{where}: {note}" for note in policy_notes(policy))
        return policy

    def inline(
        self, item: Any, index: int, owner: str, key: str, prefix: str = ""
    ) -> PolicyDocument | None:
        """Inline policy ``index`` of ``owner``'s ``key`` list, when it can name the action (the
        caller has asked :meth:`_names` of its record first)."""
        if key == "RolePolicyList":
            policy = self.source.inline_policy(item, index, owner, key)
        else:  # a user's or group's: not refused, the engine skips what it cannot use
            policy = self._lenient(item, index, owner, key, prefix)
        return policy if self.question.names(policy) else None

    def _lenient(self, item: Any, index: int, owner: str, key: str, prefix: str) -> PolicyDocument:
        try:
            return self.source.inline_policy(item, index, owner, key, prefix)
        except PolicyParseError:
            name = prefix + (item.PolicyName or f"inline-{index}")
            where = f"{self.source.path} {owner}/{key}/{index}/PolicyDocument"
            raw = decode_document(item.PolicyDocument, where)
            policy = PolicyDocument(name, PolicyKind.INLINE, raw)
            return self._noted(policy, f"{owner} {name}")

    def managed(self, arn: str) -> _Doc | bool | None:
        """Managed policy ``arn`` when it names the action; ``None`` when it does not; ``False``
        when the file does not hold it. Judged once, shared by every principal attaching it."""
        if arn not in self._managed:
            found: _Doc | bool | None = False
            named = self._names(self.source.managed_document(arn))
            if named is False:
                found = None
            else:
                policy = self.source.managed_policy(arn)
                if policy is not None:
                    found = _Doc(policy, arn) if self.question.names(policy) else None
            self._managed[arn] = found
        return self._managed[arn]

    def _attached(self, attached: Iterable[Any], docs: list[_Doc], unknown: list[str]) -> None:
        """Adds the attached policies (records with a ``PolicyArn``) that name the action to
        ``docs``, and the ARNs of those the file lacks to ``unknown``."""
        cache = self._managed
        for record in attached:
            arn = record.PolicyArn
            found = cache[arn] if arn in cache else self.managed(arn)
            if found is False:
                unknown.append(arn)
            elif found is not None:
                docs.append(found)  # type: ignore[arg-type]

    def group(self, name: str) -> tuple[tuple[_Doc, ...], tuple[str, ...]] | None:
        """The documents of group ``name`` that name the action, and its unknown attachments."""
        if name not in self._groups:
            detail = self.source.group(name)
            if detail is None:
                self._groups[name] = None
            else:
                docs: list[_Doc] = []
                unknown: list[str] = []
                owner = detail.Arn or name
                for index, item in enumerate(detail.GroupPolicyList):
                    if self._names(item.PolicyDocument) is False:
                        continue
                    policy = self.inline(item, index, owner, "GroupPolicyList", f"group/{name}/")
                    if policy is not None:
                        docs.append(_Doc(policy, policy.name))
                self._attached(detail.AttachedManagedPolicies, docs, unknown)
                self._groups[name] = (tuple(docs), tuple(unknown))
        return self._groups[name]

    # principals -------------------------------------------------------------------------

    def answer(self, principal: Principal) -> Grantee | None:
        """The principal's answer, or ``None`` when it may not perform the action."""
        kind_name, record = principal
        arn = record.Arn
        kind = _KINDS[kind_name]
        role = kind is _ROLE
        groups: Sequence[str] = ()
        if role:
            self.source.validate_role(arn)  # refused exactly as audit refuses it
            key, inline = "RolePolicyList", record.RolePolicyList
        else:
            key, inline, groups = "UserPolicyList", record.UserPolicyList, record.GroupList
        docs: list[_Doc] = []
        unknown: list[str] = []
        names = self._names
        for index, item in enumerate(inline):
            if names(item.PolicyDocument) is False:
                continue  # the common case: a policy about other actions or resources
            policy = self.inline(item, index, arn, key)
            if policy is not None:
                docs.append(_Doc(policy, policy.name, False))
        shared = not docs  # every document is one the walk gives to many principals
        self._attached(record.AttachedManagedPolicies, docs, unknown)
        for group_name in groups:
            group = self.group(group_name)
            if group is None:
                self.notes.add(f"user {arn} is in group {group_name}, which is not in the file")
                continue
            docs.extend(group[0])
            unknown.extend(group[1])
        if unknown:
            self.notes.add(
                f"{kind.value} {arn}: attached {', '.join(sorted(set(unknown)))} not in the file; "
                "where nothing else allows or denies it, the answer hangs on that policy"
            )
        if not docs and not unknown:
            return None  # no statement can apply to the action: an implicit deny
        boundary: PolicyDocument | None = None
        boundary_unknown = False
        bound = record.PermissionsBoundary
        if bound is not None and bound.PermissionsBoundaryArn:
            boundary = self.source.boundary_policy(bound.PermissionsBoundaryArn)
            boundary_unknown = boundary is None
        question = self.question
        request = question.request(arn, [(t.Key, t.Value) for t in record.Tags])
        result = question.ask(request, [doc.policy for doc in docs], boundary, shared=shared)
        if result.notes:
            self.notes.update(result.notes)
        # a policy the file does not hold may allow what nothing else allows: would an Allow of
        # the action in it make the request allowed (or conditional)? Then the answer hangs on it
        hangs = False
        if unknown and result.decision is _IMPLICIT_DENY:
            probe = question.ask(
                request, [*(d.policy for d in docs), self.probe], boundary, shared=shared
            )
            hangs = probe.allowed or probe.conditional
        if not (result.allowed or result.conditional or hangs):
            if result.blocked_by in ("scp", "rcp"):  # its own policies allow it (or may)
                self.denied[result.decided_by] = self.denied.get(result.decided_by, 0) + 1
            return None
        unresolved = result.unresolved
        conditional = result.conditional or boundary_unknown or hangs
        if boundary_unknown:
            self.notes.add(f"{kind.value} {arn}: its permissions boundary is not in the file")
        if hangs:
            via = set(unknown)
        elif result.allowed:
            labels = {doc.policy.name: doc.label for doc in docs}
            via = {
                labels[ref.policy]
                for ref in result.matched
                if ref.policy in labels and ref.kind is not _BOUNDARY
            }
        else:
            via = {
                doc.label
                for doc in docs
                if (alone := question.ask(request, [doc.policy], shared=doc.shared)).allowed
                or alone.conditional
            }
        return Grantee(
            arn=arn,
            type=kind,
            decision=Access.CONDITIONAL if conditional else Access.ALLOWED,
            unresolved=unresolved,
            via=tuple(sorted(via)),
        )


class _Part(NamedTuple):
    """What one block of principals gave: who may, the notes, denials by what denies them, and
    the principals' accounts."""

    found: list[Grantee]
    notes: set[str]
    denied: dict[str, int]
    accounts: set[str]
    examined: int
    #: from a share of the file's roles (:meth:`UndecodedSource.load_roles`): the hashes of its
    #: roles' ARNs, so that a role the file holds twice, in two shares, is seen (the file's
    #: last record of it is the role, as the whole file reads it)
    roles: frozenset[int] | None = None


#: A part crosses a worker's pipe as MessagePack: msgspec writes and reads it in C, some six
#: times faster than pickle writes 1,700 structs and faster than it reads them
_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(_Part).decode


def _overlap(parts: list[_Part]) -> bool:
    """Do two shares hold a role of the same ARN (or of the same ARN hash)?"""
    shares = [part.roles for part in parts if part.roles is not None]
    return len(shares) > 1 and len(frozenset().union(*shares)) < sum(map(len, shares))


class _Doc(NamedTuple):
    """A document that names the action, how ``via`` names it (a group's: ``group/G/P``), and
    whether the walk gives the same object to many principals (a managed or group policy)."""

    policy: PolicyDocument
    label: str
    shared: bool = True


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
    source: AuthDetailsSource | UndecodedSource,
    action: str,
    resource: str,
    organization: OrgPolicies | None = None,
    *,
    jobs: int | None = None,
) -> WhoCanResult:
    """Every role and user of ``source`` that may perform ``action`` on ``resource``.

    ``organization``: the account's SCPs and RCPs; a principal they deny is not listed (a note
    counts them and names the policy and level), one whose answer hangs on their conditions is
    ``conditional``.

    ``jobs``: processes that share the principals of a large account (``None``: one per core;
    :func:`~iam_audit.workers.run_split`); the answer is the same for any number. A file not
    decoded yet (:class:`~iam_audit.sources.auth_details.UndecodedSource`) is decoded by each.

    Raises :class:`~iam_audit.errors.InputError` for an action that is not ``SERVICE:Action``, and
    for a role document that is not a valid IAM policy (naming the file and JSON path, exactly as
    ``audit`` does). A user's or group's statement the engine cannot use is skipped and named in
    ``notes``, as :func:`~iam_audit.engine.policy_notes` describes it.
    """
    action = check_action(action)
    context = request_context(resource)
    walk: _Walk | None = None  # the walk of the process that works the principals

    def begin(decoded: AuthDetailsSource) -> AuthDetailsSource:
        """``decoded``, with the walk over its principals, built in the process that works
        them."""
        nonlocal walk
        question = Question(action, resource, context=context, organization=organization)
        walk = _Walk(decoded, question)
        return decoded

    def load() -> list[Principal]:
        """The principals. A file not decoded yet is decoded with the principals' own documents
        left to be checked block by block (:meth:`AuthDetailsSource.hold`): each process checks
        only its blocks'."""
        decoded = source.load(defer=True) if isinstance(source, UndecodedSource) else source
        return begin(decoded).principals()

    def shares(count: int) -> Shares[Principal] | None:
        """For ``count`` processes, the file's roles in :data:`SHARES` shares each: a process
        decodes the rest of the file once (:meth:`UndecodedSource.load_rest`), then only the
        roles of the shares it takes (:meth:`UndecodedSource.load_roles`); ``None`` when the
        file does not split so."""
        if not isinstance(source, UndecodedSource):
            return None
        plan = source.plan(count * SHARES)
        if plan is None:
            return None

        def start() -> Callable[[int], list[Principal]]:
            rest = begin(source.load_rest(plan))
            return lambda index: source.load_roles(plan, index, rest)

        return Shares(len(plan.spans), start)

    def work(block: Sequence[Principal], start: int) -> bytes:
        """The answers of ``block``, with the notes and denials found while working it (a
        :class:`_Part`, encoded)."""
        nonlocal walk
        assert walk is not None  # load() ran in this process
        if not walk.source.hold(block):
            # a document of the block that the types let through breaks the grammar: from here
            # on this process reads the file as one whose documents the types refuse (plain
            # JSON, validated by the engine), as a single pass over such a file reads it
            assert isinstance(source, UndecodedSource)  # only a deferred source says no
            plain = source.load(plain=True)
            walk = _Walk(plain, walk.question)
            block = plain.principals()[start : start + len(block)]
        found: list[Grantee] = []
        accounts: set[str] = set()
        for principal in block:
            accounts.add(resource_account(principal[1].Arn) or "")
            grantee = walk.answer(principal)
            if grantee is not None:
                found.append(grantee)
        roles = None
        if walk.source.share:
            roles = frozenset(hash(record.Arn) for kind, record in block if kind == "role")
        part = _Part(found, walk.notes, walk.denied, accounts, len(block), roles)
        walk.notes, walk.denied = set(), {}
        return _ENCODE(part)

    if isinstance(source, UndecodedSource):
        worth = len(source.raw) >= MIN_BYTES
    else:
        worth = source.principal_count() >= MIN_ITEMS
    found: list[Grantee] = []
    notes: set[str] = set()
    denied: dict[str, int] = {}
    accounts: set[str] = set()
    examined = 0
    with paused_gc():  # answers and compiled statements hold no cycles
        parts = [
            _DECODE(part) for part in run_split(load, work, jobs=jobs, worth=worth, shares=shares)
        ]
        if _overlap(parts):  # a role twice in the file, in two shares: read it whole
            parts = [_DECODE(part) for part in run_split(load, work, jobs=jobs, worth=worth)]
        for part in parts:
            found.extend(part.found)
            notes.update(part.notes)
            for decided_by, count in part.denied.items():
                denied[decided_by] = denied.get(decided_by, 0) + count
            accounts.update(part.accounts)
            examined += part.examined
    for decided_by, count in sorted(denied.items()):
        notes.add(f"{count} principal(s) whose own policies allow it are denied: {decided_by}")
    owner = resource_account(resource)
    foreign = sorted(a for a in accounts if a and owner and a != owner)
    if foreign:
        notes.add(
            f"{resource} is in account {owner}; principals of "
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
