"""The shape of ``aws iam get-account-authorization-details`` output, as msgspec types.

One decode of the whole file builds typed records (roles, users, groups, managed policies) and
validates every policy document on the way, in C: a file of 10,000 roles is read and checked in
less time than ``json.load`` takes to build its dictionaries. Only the fields iam-audit reads are
declared; the others (``RoleId``, ``CreateDate``, ``InstanceProfileList``…) are skipped unread.

Documents are checked against the grammar of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html as
:func:`iam_audit.engine.validate_policy` checks it, and never more strictly: an identity
document (inline, managed, boundary) has no ``Principal``/``NotPrincipal`` and names resources; a
trust policy names a principal; ``Effect`` is exactly ``Allow`` or ``Deny``; exactly one of
``Action``/``NotAction``, each action ``*`` or ``SERVICE:ACTION``; condition values are strings,
numbers or booleans. A document these types refuse is not accepted or refused here: the reader
then decodes the file with :data:`LENIENT` (documents as plain JSON) and the engine's own
validation says exactly what is wrong, with the file and JSON path, as for every other source.
The grammar pass (:func:`grammar_holds`) reads the documents iam-audit reads: trust and inline
policies and each managed policy's default version; a reader that shares principals among
processes checks the principals' own documents a share at a time (:func:`principals_hold`).
URL-encoded documents (the raw API's form) stay strings until the engine parses them.
"""

import itertools
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal, NamedTuple, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

__all__ = [
    "LENIENT",
    "ROLES",
    "STRICT",
    "Attached",
    "Grammar",
    "Group",
    "IdentityStatement",
    "Inline",
    "ManagedPolicy",
    "Page",
    "Policy",
    "Role",
    "Tag",
    "User",
    "Version",
    "default_version",
    "grammar_holds",
    "principals_hold",
    "to_json",
]

_Text = Annotated[str, Meta(min_length=1)]
_Texts = _Text | Annotated[list[_Text], Meta(min_length=1)]
_Actions = _Texts
_Scalar = str | int | float | bool
_Condition = dict[_Text, dict[_Text, _Scalar | list[_Scalar]]]
_PrincipalType = Literal["AWS", "Federated", "Service", "CanonicalUser"]
_Principal = Literal["*"] | Annotated[dict[_PrincipalType, _Texts], Meta(min_length=1)]


class IdentityStatement(
    Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False
):
    """An identity policy's statement (no principal: IAM refuses one there)."""

    Sid: str | UnsetType = UNSET
    Effect: Literal["Allow", "Deny"]
    Action: _Actions | UnsetType = UNSET
    NotAction: _Actions | UnsetType = UNSET
    Resource: _Texts | UnsetType = UNSET
    NotResource: _Texts | UnsetType = UNSET
    Condition: _Condition | UnsetType = UNSET


class TrustStatement(
    Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False
):
    """A trust policy's statement: it names a principal."""

    Sid: str | UnsetType = UNSET
    Effect: Literal["Allow", "Deny"]
    Principal: _Principal | UnsetType = UNSET
    NotPrincipal: _Principal | UnsetType = UNSET
    Action: _Actions | UnsetType = UNSET
    NotAction: _Actions | UnsetType = UNSET
    Resource: _Texts | UnsetType = UNSET
    NotResource: _Texts | UnsetType = UNSET
    Condition: _Condition | UnsetType = UNSET


_Version = Literal["2012-10-17", "2008-10-17"]


class Policy(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False):
    """An identity policy document (inline, managed, boundary). Its fields are in the order
    IAM's documentation writes them, which is the order :func:`to_json` gives them back in."""

    Version: _Version | UnsetType = UNSET
    Id: str | UnsetType = UNSET
    Statement: list[IdentityStatement] | IdentityStatement

    def statements(self) -> list[IdentityStatement]:
        return self.Statement if type(self.Statement) is list else [self.Statement]  # type: ignore[list-item]


class TrustPolicy(Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True, gc=False):
    Version: _Version | UnsetType = UNSET
    Id: str | UnsetType = UNSET
    Statement: list[TrustStatement] | TrustStatement

    def statements(self) -> list[TrustStatement]:
        return self.Statement if type(self.Statement) is list else [self.Statement]  # type: ignore[list-item]


class Grammar(NamedTuple):
    """:func:`grammar_holds`'s answer: does every typed document hold, and is every document of
    the file typed (none is text the engine must still parse)?"""

    holds: bool
    all_typed: bool


def grammar_holds(pages: list[Any], *, principals: bool = True) -> Grammar:
    """What the types cannot say, for every typed document of ``pages`` that iam-audit reads
    (see :func:`document_holds`). ``principals=False``: only for the documents principals
    share (each managed policy's default version, the groups' inline policies); each role's
    and user's own are then checked by :func:`principals_hold` before they are read."""
    shared = _shared_documents(pages)
    if not principals:
        return _holds(shared)
    roles = (("role", role) for page in pages for role in page.RoleDetailList or ())
    users = (("user", user) for page in pages for user in page.UserDetailList or ())
    return _holds(itertools.chain(_own_documents(itertools.chain(roles, users)), shared))


def principals_hold(principals: Iterable[tuple[str, Any]]) -> Grammar:
    """:func:`grammar_holds` of the own documents of ``principals``, ``("role", record)`` or
    ``("user", record)`` pairs: a role's trust and inline policies, a user's inline ones."""
    return _holds(_own_documents(principals))


def _holds(documents: Iterable[object]) -> Grammar:
    """Each distinct action name is checked once. One pass over the documents, in a loop kept
    tight: it reads every statement they hold."""
    actions: set[str] = set()
    typed = True
    for document in documents:
        kind = type(document)
        if kind is Policy or kind is TrustPolicy:
            if not _statements_hold(document, actions):
                return Grammar(False, False)
        elif document is not None:
            typed = False  # text (the raw API's URL-encoded JSON), parsed when it is read
    holds = _actions_hold(actions)
    return Grammar(holds, holds and typed)


def _own_documents(principals: Iterable[tuple[str, Any]]) -> Iterator[object]:
    """The documents of roles and users: a role's trust and inline policies, a user's inline."""
    for kind, record in principals:
        if kind == "role":
            yield record.AssumeRolePolicyDocument
            for item in record.RolePolicyList:
                yield item.PolicyDocument
        else:
            for item in record.UserPolicyList:
                yield item.PolicyDocument


def _shared_documents(pages: list[Any]) -> Iterator[object]:
    """The documents of ``pages`` that principals share: the groups' inline policies and each
    managed policy's default version (:func:`default_version`; the others are never read, so
    whether they hold changes no answer)."""
    for page in pages:
        for group in page.GroupDetailList or ():
            for item in group.GroupPolicyList:
                yield item.PolicyDocument
        for policy in page.Policies or ():
            found = default_version(policy)
            if found is not None:
                yield found[1].Document


def default_version(policy: Any) -> tuple[int, Any] | None:
    """The default version of the managed policy record ``policy`` (``IsDefaultVersion``, or
    the ``VersionId`` its ``DefaultVersionId`` names) and its index in ``PolicyVersionList``:
    "the policy's default (operative) version", the one that affects "all users, groups, and
    roles that the policy is attached to" (IAM API Reference, SetDefaultPolicyVersion)."""
    default = policy.DefaultVersionId
    for index, version in enumerate(policy.PolicyVersionList):
        if version.IsDefaultVersion or (default and version.VersionId == default):
            return index, version
    return None


def document_holds(document: object) -> bool:
    """What the types cannot say of one typed document: exactly one of ``Action``/``NotAction``;
    an identity statement names ``Resource`` or ``NotResource`` (one), a trust statement at
    most one of them and exactly one of ``Principal``/``NotPrincipal``; every action is ``*``
    or ``SERVICE:ACTION`` with exactly one colon, not at either end (as
    :func:`iam_audit.engine.validate_statement` checks them)."""
    actions: set[str] = set()
    kind = type(document)
    if kind is not Policy and kind is not TrustPolicy:
        return True  # text, plain JSON or nothing: the engine parses it
    return _statements_hold(document, actions) and _actions_hold(actions)


def _statements_hold(document: Any, actions: set[str]) -> bool:
    """:func:`document_holds` of a typed ``document`` but for the action names, which are added
    to ``actions``."""
    statements = document.Statement
    if type(statements) is not list:
        statements = (statements,)
    add = actions.add
    update = actions.update
    identity = type(document) is Policy
    for s in statements:
        action = s.Action
        if action is UNSET:
            action = s.NotAction
            if action is UNSET:
                return False
        elif s.NotAction is not UNSET:
            return False
        if identity:
            if (s.Resource is UNSET) is (s.NotResource is UNSET):
                return False
        elif (s.Resource is not UNSET and s.NotResource is not UNSET) or (
            (s.Principal is UNSET) is (s.NotPrincipal is UNSET)
        ):
            return False
        if type(action) is str:
            add(action)
        else:
            update(action)
    return True


def _actions_hold(actions: set[str]) -> bool:
    return all(
        name == "*" or (name.count(":") == 1 and name[0] != ":" and name[-1] != ":")
        for name in actions
    )


def to_json(document: object) -> Any:
    """A document as plain JSON (what the engine reads): typed ones are converted, in their
    fields' order (``Version``, ``Id``, ``Statement``; ``Sid``, ``Effect``, ``Principal``,
    ``Action``, ``Resource``, ``Condition``): key order is not a difference IAM sees."""
    if isinstance(document, Struct):
        return msgspec.to_builtins(document)
    return document


def _schema(identity: Any, trust: Any) -> tuple[type, ...]:
    """The record types with ``identity`` and ``trust`` as the documents' types."""

    class Inline(Struct, gc=False):
        PolicyName: str = ""
        PolicyDocument: identity = None

    class Attached(Struct, gc=False):
        PolicyArn: str = ""
        PolicyName: str = ""

    class Tag(Struct, gc=False):
        Key: str = ""
        Value: str = ""

    class Boundary(Struct, gc=False):
        PermissionsBoundaryArn: str = ""

    class Role(Struct, gc=False):
        Arn: str
        RoleName: str = ""
        Path: str = "/"
        AssumeRolePolicyDocument: trust = None
        RolePolicyList: list[Inline] = []
        AttachedManagedPolicies: list[Attached] = []
        PermissionsBoundary: Boundary | None = None
        Tags: list[Tag] = []

    class User(Struct, gc=False):
        Arn: str = ""
        UserName: str = ""
        Path: str = "/"
        UserPolicyList: list[Inline] = []
        AttachedManagedPolicies: list[Attached] = []
        GroupList: list[str] = []
        PermissionsBoundary: Boundary | None = None
        Tags: list[Tag] = []

    class Group(Struct, gc=False):
        Arn: str = ""
        GroupName: str = ""
        GroupPolicyList: list[Inline] = []
        AttachedManagedPolicies: list[Attached] = []

    class Version(Struct, gc=False):
        Document: identity = None
        VersionId: str | None = None
        IsDefaultVersion: bool = False

    class ManagedPolicy(Struct, gc=False):
        Arn: str = ""
        PolicyName: str = ""
        DefaultVersionId: str | None = None
        PolicyVersionList: list[Version] = []

    class Page(Struct, gc=False):
        RoleDetailList: list[Role] | UnsetType = UNSET
        UserDetailList: list[User] | UnsetType = UNSET
        GroupDetailList: list[Group] | UnsetType = UNSET
        Policies: list[ManagedPolicy] | UnsetType = UNSET

    return Page, Role, User, Group, ManagedPolicy, Version, Inline, Attached, Tag, Boundary


_STRICT: tuple[Any, ...] = _schema(Policy | str | None, TrustPolicy | str | None)
(Page, Role, User, Group, ManagedPolicy, Version, Inline, Attached, Tag, Boundary) = _STRICT
_LENIENT: tuple[Any, ...] = _schema(Any, Any)
_RAW: tuple[Any, ...] = _schema(msgspec.Raw, msgspec.Raw)
_STRICT_PAGE: Any = _STRICT[0]
_LENIENT_PAGE: Any = _LENIENT[0]

#: One response or a list of pages, every document typed and validated while decoding.
STRICT_TYPE: Any = Union[_STRICT_PAGE, list[_STRICT_PAGE]]  # noqa: UP007 (values, not types)
#: The same with documents as plain JSON, validated afterwards by the engine.
LENIENT_TYPE: Any = Union[_LENIENT_PAGE, list[_LENIENT_PAGE]]  # noqa: UP007
STRICT = msgspec.json.Decoder(STRICT_TYPE)
#: A JSON list of roles, typed and validated as :data:`STRICT` types them (a share of a file's
#: ``RoleDetailList``).
_STRICT_ROLE: Any = _STRICT[1]
ROLES = msgspec.json.Decoder(list[_STRICT_ROLE])
LENIENT = msgspec.json.Decoder(LENIENT_TYPE)
#: Documents left as their JSON text (a reference into the file's bytes) until one is read:
#: for questions about a few roles of a large file.
_RAW_PAGE: Any = _RAW[0]
RAW = msgspec.json.Decoder(Union[_RAW_PAGE, list[_RAW_PAGE]])  # noqa: UP007
#: One document, typed and validated as it is read.
IDENTITY = msgspec.json.Decoder(Policy | str | None)
TRUST = msgspec.json.Decoder(TrustPolicy | str | None)
