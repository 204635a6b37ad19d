"""Offline source: the JSON that ``aws iam get-account-authorization-details`` writes.

Accepts the AWS CLI's output (documents already decoded to objects) and the raw API's
(URL-encoded JSON strings), one response or several pages in a JSON list, in any layout
(indented or compact). The file is decoded once into typed records
(:mod:`iam_audit.sources.authschema`) that validate every policy document on the way; a file
with a document those types refuse is decoded with the documents as plain JSON, and each is
then validated by the engine when it is used, which names the file, the JSON path and what is
wrong. Every command that reads such a file (``audit``, ``simulate``, ``who-can``, ``scan``)
reads it through this class. A question over every principal, shared among processes, may have
each decode only shares of the roles (:meth:`UndecodedSource.load_roles`): the same records,
proven so while decoding, or the whole file is read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

import msgspec
import orjson
from msgspec import structs

from iam_audit.engine import parse_policy
from iam_audit.errors import InputError
from iam_audit.inputs import ACCOUNT_DETAILS, paused_gc, read_account
from iam_audit.model import (
    Inventory,
    LambdaFunction,
    Origin,
    PolicyDocument,
    PolicyKind,
    Role,
    SourceKind,
    UserPool,
)
from iam_audit.sources import authschema as schema
from iam_audit.sources.interface import may_name

__all__ = [
    "AuthDetailsSource",
    "Principal",
    "SharePlan",
    "ShareRefused",
    "UndecodedSource",
    "load_pages",
    "plan_shares",
]

_KEYS = ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")
_WHAT = ACCOUNT_DETAILS


def _not_details(path: Path | str) -> InputError:
    return InputError(
        f"{path} is JSON but not authorization details",
        advice="expected the output of `aws iam get-account-authorization-details`",
    )


def _generic_error(data: Any, path: Path | str) -> InputError | None:
    """The message the file's shape deserves, read from plain JSON: what is not authorization
    details, which list is not a list, which role has no ``Arn``."""
    pages = data if isinstance(data, list) else [data]
    if not pages or not all(isinstance(p, dict) and any(k in p for k in _KEYS) for p in pages):
        return _not_details(path)
    for page_no, page in enumerate(pages):
        prefix = f"/{page_no}" if isinstance(data, list) else ""
        for key in _KEYS:
            value = page.get(key)
            if value is not None and not isinstance(value, list):
                return InputError(f"{path}: {key} is not a list")
        for index, role in enumerate(page.get("RoleDetailList") or ()):
            if isinstance(role, dict) and not isinstance(role.get("Arn"), str):
                return InputError(f"{path}: {prefix}/RoleDetailList/{index} has no Arn")
    return None


def load_pages(
    path: Path | str,
    data: Any | None = None,
    *,
    lazy: bool = False,
    raw: bytes | bytearray | None = None,
    defer: bool = False,
    plain: bool = False,
) -> tuple[list[Any], bool, bool, bool]:
    """The pages of the file (or of ``data``, decoded JSON already) as typed records, whether
    their documents were typed (validated while decoding), whether every document was (none
    is left as text to parse), and whether the file is a JSON list of pages (so each JSON
    pointer starts with the page's index). ``lazy``: documents are left as their JSON text until one
    is read (each is typed and validated then). ``raw``: the file's bytes, read already.
    ``defer``: the roles' and users' own documents are typed but not checked against the
    grammar (:func:`~iam_audit.sources.authschema.principals_hold` must say they hold before
    they are read); the second answer is then about the shared documents alone. ``plain``:
    every document as plain JSON, which the engine validates, as for a file the types refuse.

    Raises :class:`InputError` naming the file for anything that is not authorization details.
    """
    if data is None and raw is None:
        raw = read_account(path)
    ways: tuple[tuple[msgspec.json.Decoder[Any], bool], ...]
    ways = ((schema.STRICT, True), (schema.LENIENT, False))
    if plain:
        ways = ((schema.LENIENT, False),)
    elif lazy and raw is not None:
        ways = ((schema.RAW, False), (schema.LENIENT, False))
        if not raw.isascii():  # text left unread must still be UTF-8, as JSON is (RFC 8259)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise InputError(
                    f"{_WHAT} {path} is not valid JSON: not UTF-8 (byte 0x{raw[err.start]:02x}"
                    f" at offset {err.start})"
                ) from None
    for decoder, typed in ways:
        try:
            with paused_gc():  # millions of records, no cycle among them
                if raw is not None:
                    found = decoder.decode(raw)
                else:
                    kind = schema.STRICT_TYPE if typed else schema.LENIENT_TYPE
                    found = msgspec.convert(data, kind)
        except msgspec.ValidationError as err:
            if decoder is not schema.LENIENT:
                continue  # a document the types refuse: the engine will say what is wrong
            try:
                shape = orjson.loads(raw) if raw is not None else data
            except orjson.JSONDecodeError as bad:  # deeper than 1,024 levels, say
                raise InputError(f"{_WHAT} {path} is not valid JSON: {bad}") from None
            raise _generic_error(shape, path) or InputError(
                f"{path}: not authorization details ({err})"
            ) from None
        except (msgspec.DecodeError, RecursionError):
            try:  # orjson words the error with a line and column
                orjson.loads(raw or b"")
            except orjson.JSONDecodeError as err:
                raise InputError(f"{_WHAT} {path} is not valid JSON: {err}") from None
            raise InputError(f"{_WHAT} {path} is not valid JSON (nested too deeply)") from None
        pages = found if isinstance(found, list) else [found]
        if not pages or any(not _has_keys(page) for page in pages):
            raise _not_details(path)
        if typed:
            grammar = schema.grammar_holds(pages, principals=not defer)
        else:
            grammar = schema.Grammar(True, False)
        if not grammar.holds:
            continue  # the engine will say what is wrong
        return pages, typed, grammar.all_typed, isinstance(found, list)
    raise AssertionError("unreachable")  # pragma: no cover


class ShareRefused(Exception):
    """A share of a file (:meth:`UndecodedSource.load_roles`) cannot answer: its pieces do not
    decode to the records the whole file decodes to, a document breaks the grammar, or the
    question needs what only the whole file says (a role's place in it). The caller then reads
    the whole file, which gives the answer or the error a single reader gives."""


class SharePlan(NamedTuple):
    """Where the roles of one authorization-details object split into shares, found in its bytes
    (:func:`plan_shares`) and proven by the decoding (:meth:`UndecodedSource.load_rest`).

    ``head``: the offset just after the ``[`` that opens ``RoleDetailList``; ``tail``: that of
    the ``]`` that closes it; ``spans``: each share's roles, from its first role's ``{`` to just
    after its last role's ``}``; ``stand_in``: the JSON of a role put in place of all of them
    when the rest of the file is decoded, whose ``Arn`` (``marker``) no file can foresee."""

    head: int
    tail: int
    spans: tuple[tuple[int, int], ...]
    marker: str
    stand_in: bytes


_SPACE = b" \t\n\r"  # JSON's whitespace (RFC 8259 section 2), and no other
_WS = b"[%s]*" % re.escape(_SPACE)
#: Between two roles as the AWS CLI writes them (each starts with its Path, then its RoleName),
#: in any layout: the end of one (``}``), a comma, then (looked ahead) the start of the next.
#: An instance profile's roles are never two (an instance profile "can contain only one IAM
#: role", IAM User Guide, "Use instance profiles"), so no nested list matches.
_BETWEEN_ROLES = re.compile(
    rb'\}%(s)s,%(s)s(?=\{%(s)s"Path"%(s)s:%(s)s"[^"\\]*"%(s)s,%(s)s"RoleName"%(s)s:)' % {b"s": _WS}
)
#: How far past a share's planned end the next role's start is looked for: a role of the
#: largest size IAM allows (inline policies of 10,240 characters in all, a trust policy of
#: 4,096, 50 tags) is well under it.
_WINDOW = 1 << 20


def plan_shares(raw: bytes | bytearray, count: int) -> SharePlan | None:
    """Where the roles of ``raw`` split into ``count`` shares of about the same size, from its
    bytes alone (a few searches, no decoding); ``None`` when it does not split so: not one JSON
    object, no ``RoleDetailList`` as the AWS CLI writes it, too few roles. Nothing found here is
    trusted: :meth:`UndecodedSource.load_rest` and :meth:`UndecodedSource.load_roles` prove it
    while decoding, or refuse it."""
    start = _skip(raw, 0)
    if count < 2 or raw[start : start + 1] != b"{":
        return None
    key = raw.find(b'"RoleDetailList"')
    if key < 0:
        return None
    colon = _skip(raw, key + len(b'"RoleDetailList"'))
    opening = _skip(raw, colon + 1)
    if raw[colon : colon + 1] != b":" or raw[opening : opening + 1] != b"[":
        return None
    head = opening + 1
    tail = _closing(raw, head)
    if tail is None:
        return None
    first = _skip(raw, head)
    last = _back(raw, tail)  # just after the last role's "}"
    if raw[first : first + 1] != b"{" or raw[last - 1 : last] != b"}":
        return None
    spans: list[tuple[int, int]] = []
    begin = first
    for share in range(1, count):
        target = first + (last - first) * share // count
        found = _BETWEEN_ROLES.search(raw, max(target, begin + 1), min(target + _WINDOW, last))
        if found is None:
            return None
        spans.append((begin, found.start() + 1))
        begin = found.end()
    spans.append((begin, last))
    marker = f"iam-audit share {os.urandom(16).hex()}"
    return SharePlan(head, tail, tuple(spans), marker, b'{"Arn": "%s"}' % marker.encode())


def _skip(raw: bytes | bytearray, at: int) -> int:
    """The offset of the first byte at or after ``at`` that is not JSON whitespace."""
    while at < len(raw) and raw[at] in _SPACE:
        at += 1
    return at


def _back(raw: bytes | bytearray, at: int) -> int:
    """The offset just after the last byte before ``at`` that is not JSON whitespace."""
    while at > 0 and raw[at - 1] in _SPACE:
        at -= 1
    return at


def _closing(raw: bytes | bytearray, head: int) -> int | None:
    """Where the ``]`` that closes ``RoleDetailList`` may be, from the end of the file: before
    the ``Policies`` key that follows it in the AWS CLI's output, or before the object's end."""
    key = raw.rfind(b'"Policies"', head)
    if key >= 0:
        comma = _back(raw, key) - 1
        closing = _back(raw, comma) - 1
        if raw[comma : comma + 1] == b"," and raw[closing : closing + 1] == b"]":
            return closing
    end = _back(raw, len(raw)) - 1
    closing = _back(raw, end) - 1
    if raw[end : end + 1] == b"}" and raw[closing : closing + 1] == b"]":
        return closing
    return None


@contextmanager
def _spliced(
    raw: bytes | bytearray, edits: Sequence[tuple[int, bytes | bytearray]], start: int, end: int
) -> Iterator[bytes | memoryview]:
    """``raw[start:end]`` with each ``(offset, text)`` of ``edits`` written over it at
    ``offset``: written in place in a writable ``raw`` (no copy of the rest: a share of a
    36 MB file is some 14 MB) and put back as it was afterwards; put together in a new buffer
    otherwise."""
    if not isinstance(raw, bytearray):
        view = memoryview(raw)
        pieces: list[bytes | bytearray | memoryview] = []
        at = start
        for offset, edit in sorted(edits, key=lambda item: item[0]):
            pieces += (view[at:offset], edit)
            at = offset + len(edit)
        yield b"".join((*pieces, view[at:end]))
        return
    kept = [(offset, raw[offset : offset + len(edit)]) for offset, edit in edits]
    try:
        for offset, edit in edits:
            raw[offset : offset + len(edit)] = edit
        with memoryview(raw) as view, view[start:end] as text:
            yield text
    finally:
        for offset, old in reversed(kept):
            raw[offset : offset + len(old)] = old


def _read_raw(raw: msgspec.Raw, kind: PolicyKind) -> Any:
    """A document left as its text (``lazy``), typed and validated as it is read; the plain JSON
    of one the types refuse (the engine's validation then says what is wrong)."""
    decoder = schema.TRUST if kind is PolicyKind.TRUST else schema.IDENTITY
    try:
        document = decoder.decode(raw)
    except msgspec.ValidationError:
        return orjson.loads(bytes(raw))
    return document if schema.document_holds(document) else orjson.loads(bytes(raw))


def _has_keys(page: Any) -> bool:
    return any(getattr(page, key) is not msgspec.UNSET for key in _KEYS)


def _items(page: Any, key: str) -> list[Any]:
    value = getattr(page, key)
    return [] if value is msgspec.UNSET else value


#: A role or user of the file: ``("role", record)`` or ``("user", record)``, the record as
#: decoded (``Arn``, ``RolePolicyList`` or ``UserPolicyList``, ``AttachedManagedPolicies``,
#: ``PermissionsBoundary``, ``Tags``; a user's ``GroupList``, by group name: :meth:`group`).
Principal = tuple[str, Any]


class UndecodedSource:
    """An authorization-details file read but not decoded yet (:meth:`load` decodes it): for a
    question over every principal whose work is shared among processes, each of which decodes
    the file, or its share of the roles (:meth:`load_rest`, :meth:`load_roles`), itself
    (:func:`iam_audit.workers.run_split`) rather than touch, and so copy, the pages of one
    decoded in the parent. The bytes are read once, here (standard input too), into a writable
    buffer, or given as ``raw``, read already (:func:`~iam_audit.inputs.read_account`'s;
    ``who-can`` reads them while its modules load)."""

    def __init__(self, path: Path, raw: bytes | bytearray | None = None) -> None:
        self.path = path
        self.raw = read_account(path, writable=True) if raw is None else raw

    def load(self, *, defer: bool = False, plain: bool = False) -> AuthDetailsSource:
        """The decoded source (``defer``, ``plain``: as :func:`load_pages` says)."""
        return AuthDetailsSource(self.path, raw=self.raw, defer=defer, plain=plain)

    def plan(self, count: int) -> SharePlan | None:
        """Where the file's roles split into ``count`` shares (:func:`plan_shares`)."""
        return plan_shares(self.raw, count)

    def load_rest(self, plan: SharePlan) -> AuthDetailsSource:
        """Every record of the file but its roles (the users, groups and managed policies),
        which :meth:`load_roles` then adds a share at a time: the file decoded with all its
        roles replaced by ``plan.stand_in``.

        Together with the shares' decodes this proves the plan: if every share's roles decode
        as a JSON list, the separators between them are JSON whitespace and a comma (as found),
        and here the stand-in, and only it, lands in ``RoleDetailList``, then the file is the
        same JSON as its pieces put back together, and decodes to the same records. Raises
        :class:`ShareRefused` when the rest does not decode so, when a document it holds breaks
        the grammar or is text (the raw API's form, which only the whole file reads), and
        whenever the file is no valid JSON: the caller then reads the whole file, which says
        what is wrong."""
        raw = self.raw
        # the stand-in just before the roles' closing bracket, and the file's start moved up to
        # just before it, over the roles (they leave room for it in a file worth sharing)
        stand_in = plan.tail - len(plan.stand_in)
        moved = stand_in - plan.head
        try:
            with paused_gc():  # as load_pages: records without a cycle among them
                if moved < 0:
                    joined = b"".join((raw[: plan.head], plan.stand_in, raw[plan.tail :]))
                    rest = schema.STRICT.decode(joined)
                else:
                    edits = [(moved, raw[: plan.head]), (stand_in, plan.stand_in)]
                    with _spliced(raw, edits, moved, len(raw)) as text:
                        rest = schema.STRICT.decode(text)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            raise ShareRefused("the file without its roles does not decode") from None
        found = rest.RoleDetailList if isinstance(rest, schema.Page) else None
        if not found or len(found) != 1 or found[0].Arn != plan.marker:
            raise ShareRefused("the roles found are not the file's RoleDetailList")
        rest.RoleDetailList = []
        grammar = schema.grammar_holds([rest], principals=False)
        if not (grammar.holds and grammar.all_typed):
            raise ShareRefused("a shared document the whole file must say more of")
        return AuthDetailsSource(self.path, decoded=([rest], True))

    def load_roles(self, plan: SharePlan, index: int, into: AuthDetailsSource) -> list[Principal]:
        """The roles of share ``index`` of ``plan``, decoded and added to ``into`` (from
        :meth:`load_rest`), and the users whose turn it is (the users are cut into as many runs
        as there are shares): the share's principals (see :meth:`load_rest` for the proof).
        Raises :class:`ShareRefused` when they do not decode as a JSON list of roles, or when
        one of their documents breaks the grammar or is text."""
        start, end = plan.spans[index]
        try:
            with paused_gc():
                # the share's roles as a JSON list: the separator either side of them (JSON
                # whitespace, a comma, the list's own bracket) becomes a bracket
                edits = [(start - 1, b"["), (end, b"]")]
                with _spliced(self.raw, edits, start - 1, end + 1) as text:
                    roles = schema.ROLES.decode(text)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            raise ShareRefused(f"share {index} does not decode") from None
        users, count = into.users, len(plan.spans)
        principals: list[Principal] = [("role", role) for role in roles]
        principals += (
            ("user", user)
            for user in users[len(users) * index // count : len(users) * (index + 1) // count]
        )
        grammar = schema.principals_hold(principals)
        if not roles or not (grammar.holds and grammar.all_typed):
            raise ShareRefused(f"share {index}: a document the whole file must say more of")
        into.add_roles(roles, 0 if index == 0 else None)
        return principals


class AuthDetailsSource:
    """Roles (and, for ``who-can``, users and groups) from an authorization-details file.

    Each managed policy's default version is parsed once and the same :class:`PolicyDocument` is
    shared by every role that attaches it, so the engine compiles it once.
    """

    kind = SourceKind.AUTH_DETAILS

    def __init__(
        self,
        path: Path,
        data: Any | None = None,
        *,
        lazy: bool = False,
        raw: bytes | bytearray | None = None,
        defer: bool = False,
        plain: bool = False,
        decoded: tuple[list[Any], bool] | None = None,
    ) -> None:
        """``decoded``: one page of records decoded already (the file without its roles:
        :meth:`UndecodedSource.load_rest`) and whether every document in it is typed and
        holds."""
        self.path = path
        if decoded is None:
            pages, self.typed, all_valid, listed = load_pages(
                path, data, lazy=lazy, raw=raw, defer=defer, plain=plain
            )
        else:
            (pages, all_valid), self.typed, listed = decoded, True, False
        #: holds shares of the file's roles, not all (:meth:`UndecodedSource.load_roles`)
        self.share = decoded is not None
        #: the roles' and users' documents are not checked yet (``defer``): :meth:`hold`
        self._deferred = defer and self.typed
        #: every document is typed and holds (so validated): no role needs parsing
        self._all_valid = all_valid and not self._deferred
        self._shared_valid = all_valid  # so do the documents principals share
        self._roles: dict[str, Any] = {}
        # page prefix and index, for pointers (``None``: not known, in a share)
        self._role_at: dict[str, tuple[str, int | None]] = {}
        self.users: list[Any] = []
        self.groups: dict[str, Any] = {}
        self._policies: dict[str, Any] = {}
        self._policy_pointer: dict[str, str] = {}
        self._parsed: dict[str, PolicyDocument | None] = {}
        self._boundaries: dict[str, PolicyDocument | None] = {}
        self._built: dict[str, Role] = {}
        self._validated: set[str] = set()
        several = listed or len(pages) > 1
        for page_no, page in enumerate(pages):
            prefix = f"/{page_no}" if several else ""
            for index, role in enumerate(_items(page, "RoleDetailList")):
                self._roles[role.Arn] = role
                self._role_at[role.Arn] = (prefix, index)
            self.users.extend(_items(page, "UserDetailList"))
            for group in _items(page, "GroupDetailList"):
                self.groups.setdefault(group.GroupName, group)
            for index, policy in enumerate(_items(page, "Policies")):
                if policy.Arn:
                    self._policies[policy.Arn] = policy
                    self._policy_pointer[policy.Arn] = f"{prefix}/Policies/{index}"
        self._names: dict[str, str] | None = None  # role name: ARN, built when first asked

    # -- Source protocol -------------------------------------------------------------------

    def get_role(self, ref: str) -> Role:
        """The role named ``ref`` (name or ARN), built once and cached."""
        if self._names is None:
            self._names = {r.RoleName: arn for arn, r in self._roles.items()}
        arn = ref if ref in self._roles else self._names.get(ref.rsplit("/", 1)[-1])
        if ref.startswith("arn:") and ref not in self._roles:
            arn = None
        if arn is None:
            raise InputError(f"role {ref!r} is not in {self.path}")
        if arn not in self._built:
            self._built[arn] = self._build_role(arn)
        return self._built[arn]

    def _role_pointer(self, arn: str) -> str:
        """The JSON pointer of role ``arn``'s record in the file."""
        prefix, index = self._role_at[arn]
        if index is None:  # a role of a share but the first: only the whole file knows
            raise ShareRefused(f"the place of {arn} in {self.path}")
        return f"{prefix}/RoleDetailList/{index}"

    def add_roles(self, roles: list[Any], first: int | None) -> None:
        """Add a share's ``roles`` (:meth:`UndecodedSource.load_roles`); ``first``: the index
        of the first in the file's ``RoleDetailList``, where known."""
        for offset, role in enumerate(roles):
            self._roles[role.Arn] = role
            self._role_at[role.Arn] = ("", None if first is None else first + offset)

    def get_function(self, ref: str) -> LambdaFunction | None:
        return None

    def get_user_pool(self, arn: str) -> UserPool | None:
        return None

    def inventory(self) -> Inventory:
        return Inventory(roles=tuple(self.get_role(arn) for arn in sorted(self._roles)))

    def trusted_roles(self, service: str) -> tuple[Role, ...]:
        """The roles whose trust policy names ``service`` or a ``*``: only those are parsed (the
        logs-role candidates of discovery; the engine then judges each trust policy)."""
        found = []
        for arn, detail in self._roles.items():
            trust = detail.AssumeRolePolicyDocument
            if type(trust) is msgspec.Raw:
                trust = bytes(trust).decode()
            text = unquote(trust) if isinstance(trust, str) else orjson.dumps(schema.to_json(trust))
            if may_name(text.decode() if isinstance(text, bytes) else text, service):
                found.append(arn)
        return tuple(self.get_role(arn) for arn in sorted(found))

    def account_id(self) -> str | None:
        for arn in self._roles:
            parts = arn.split(":")
            if len(parts) > 4 and parts[4]:
                return parts[4]
        return None

    # -- questions over every principal ------------------------------------------------------

    def principal_count(self) -> int:
        """How many roles and users :meth:`principals` gives."""
        return len(self._roles) + len(self.users)

    def role_arns(self) -> list[str]:
        return sorted(self._roles)

    def principals(self) -> list[Principal]:
        """Every role, then every user, in file order (see :data:`Principal`)."""
        found: list[Principal] = [("role", role) for role in self._roles.values()]
        found.extend(("user", user) for user in self.users)
        return found

    def hold(self, principals: Sequence[Principal]) -> bool:
        """Do the own documents of ``principals`` (from :meth:`principals`) hold the grammar the
        types cannot say? Always for a source that checked them while decoding. A source
        decoded with ``defer`` has not, and the typed documents of a principal are not to be
        read until this has said yes: on no, read the file again with ``plain``, as a file
        whose documents the types refuse is read (the engine then says what is wrong)."""
        if not self._deferred:
            return True
        grammar = schema.principals_hold(principals)
        if grammar.holds and grammar.all_typed and self._shared_valid:
            # every document these roles read is typed and holds: nothing to parse for them
            self._validated.update(record.Arn for kind, record in principals if kind == "role")
        return grammar.holds

    def group(self, name: str) -> Any | None:
        """The group record named ``name``; ``None`` when the file does not hold it."""
        return self.groups.get(name)

    def validate_role(self, arn: str) -> None:
        """Raise what :meth:`get_role` raises for role ``arn``'s documents, without building the
        role (for questions over every role that must refuse a file as ``audit`` does). Typed
        documents were validated while the file was decoded; plain JSON and text (the raw API's
        URL-encoded form, or documents left unread) are parsed here."""
        if self._all_valid or arn in self._built or arn in self._validated:
            return  # every document typed while decoding (and so valid), or this role seen
        self._validated.add(arn)
        detail = self._roles[arn]
        pointer = self._role_pointer(arn)
        trust = detail.AssumeRolePolicyDocument
        if trust is not None and not isinstance(trust, msgspec.Struct):
            self._parse(trust, "trust", PolicyKind.TRUST, f"{pointer}/AssumeRolePolicyDocument")
        for index, item in enumerate(detail.RolePolicyList):
            if not isinstance(item.PolicyDocument, msgspec.Struct):
                self.inline_policy(item, index, pointer, "RolePolicyList")
        for item in detail.AttachedManagedPolicies:
            self.managed_policy(item.PolicyArn)
        boundary = detail.PermissionsBoundary
        if boundary is not None and boundary.PermissionsBoundaryArn:
            self.managed_policy(boundary.PermissionsBoundaryArn)

    def inline_policy(
        self, item: Any, index: int, owner: str, key: str, name_prefix: str = ""
    ) -> PolicyDocument:
        """Inline policy ``index`` of the ``key`` list of the record at ``owner`` (its JSON
        pointer or ARN), parsed (not cached: each is read once)."""
        name = name_prefix + (item.PolicyName or f"inline-{index}")
        return self._parse(
            item.PolicyDocument, name, PolicyKind.INLINE, f"{owner}/{key}/{index}/PolicyDocument"
        )

    def managed_policy(self, arn: str) -> PolicyDocument | None:
        """The default version of managed policy ``arn``, parsed once; ``None`` if absent."""
        if arn not in self._parsed:
            self._parsed[arn] = self._parse_managed(arn)
        return self._parsed[arn]

    def boundary_policy(self, arn: str) -> PolicyDocument | None:
        """Managed policy ``arn`` as a permissions boundary: one document per ARN, shared by
        every principal it bounds (so it compiles once); ``None`` if the file lacks it."""
        if arn not in self._boundaries:
            found = self.managed_policy(arn)
            self._boundaries[arn] = (
                None if found is None else structs.replace(found, kind=PolicyKind.BOUNDARY)
            )
        return self._boundaries[arn]

    def managed_document(self, arn: str) -> Any | None:
        """The default version's document of managed policy ``arn`` as decoded (a typed record,
        plain JSON or URL-encoded text), unparsed; ``None`` when the file does not hold it."""
        found = self._default_version(arn)
        return found[1].Document if found is not None else None

    # -- building --------------------------------------------------------------------------

    def _default_version(self, arn: str) -> tuple[int, Any] | None:
        detail = self._policies.get(arn)
        return None if detail is None else schema.default_version(detail)

    def _parse_managed(self, arn: str) -> PolicyDocument | None:
        detail = self._policies.get(arn)
        if detail is None:
            from iam_audit.managed import aws_managed_policy

            return aws_managed_policy(arn) if ":iam::aws:policy/" in arn else None
        found = self._default_version(arn)
        if found is None:
            return None
        index, version = found
        pointer = f"{self._policy_pointer[arn]}/PolicyVersionList/{index}/Document"
        document = self._parse(version.Document, arn, PolicyKind.MANAGED, pointer)
        return PolicyDocument(
            arn,
            PolicyKind.MANAGED,
            document.document,
            origin=document.origin,
            text=document.text,
            version_id=version.VersionId,
            validated=document.validated,
        )

    def _origin(self, pointer: str) -> Origin:
        return Origin(SourceKind.AUTH_DETAILS, str(self.path), pointer)

    def _build_role(self, arn: str) -> Role:
        detail = self._roles[arn]
        pointer = self._role_pointer(arn)
        trust = None
        if detail.AssumeRolePolicyDocument is not None:
            trust = self._parse(
                detail.AssumeRolePolicyDocument,
                "trust",
                PolicyKind.TRUST,
                f"{pointer}/AssumeRolePolicyDocument",
            )
        inline = [
            self.inline_policy(item, index, pointer, "RolePolicyList")
            for index, item in enumerate(detail.RolePolicyList)
        ]
        managed: list[PolicyDocument] = []
        unknown: list[str] = []
        for item in detail.AttachedManagedPolicies:
            document = self.managed_policy(item.PolicyArn)
            if document is None:
                unknown.append(item.PolicyArn)
            else:
                managed.append(document)
        boundary_arn = None
        boundary = None
        pb = detail.PermissionsBoundary
        if pb is not None and pb.PermissionsBoundaryArn:
            boundary_arn = pb.PermissionsBoundaryArn
            boundary = self.boundary_policy(boundary_arn)
        return Role(
            arn=arn,
            name=detail.RoleName or arn.rsplit("/", 1)[-1],
            origin=self._origin(pointer),
            trust=trust,
            inline=tuple(inline),
            managed=tuple(managed),
            boundary=boundary,
            boundary_arn=boundary_arn,
            unknown_managed=tuple(sorted(unknown)),
            path=detail.Path,
            tags=tuple((t.Key, t.Value) for t in detail.Tags),
        )

    def _parse(self, value: Any, name: str, kind: PolicyKind, pointer: str) -> PolicyDocument:
        """One document as a :class:`PolicyDocument`: a typed record was validated while the
        file was decoded; plain JSON and URL-encoded text are parsed and validated here."""
        if type(value) is msgspec.Raw:
            value = _read_raw(value, kind)
        if isinstance(value, msgspec.Struct):
            return PolicyDocument(
                name, kind, schema.to_json(value), origin=self._origin(pointer), validated=True
            )
        parsed = parse_policy(value, name=name, kind=kind, location=f"{self.path} {pointer}")
        return PolicyDocument(
            name,
            kind,
            parsed.document,
            origin=self._origin(pointer),
            text=parsed.text,
            validated=parsed.validated,
        )
