"""The values that cross module boundaries: ARNs, policy documents, roles, functions, user pools.

Every value is frozen. A source builds them; checks, the engine and the renderers only read them.
They are frozen ``msgspec.Struct`` types rather than frozen dataclasses: the engine builds a
policy document and its origin for every inline policy of every principal it asks about, and a
frozen dataclass's ``__init__`` (a generated function that sets each field through
``object.__setattr__``) costs some fifteen times a struct's, whose ``__init__`` is in C; defining
one costs a tenth of a dataclass (no generated source to compile). Equality, hashing, ``repr``
and field order are a frozen dataclass's; a copy with changes is ``msgspec.structs.replace``.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from msgspec import Struct

from iam_audit.errors import InputError

__all__ = [
    "Arn",
    "Inventory",
    "LambdaFunction",
    "OrgLevel",
    "OrgPolicies",
    "Origin",
    "PolicyDocument",
    "PolicyKind",
    "Role",
    "SourceKind",
    "UserPool",
    "parse_arn",
    "partition_for_region",
    "pool_arn_from_id",
]

#: A parsed JSON value. Policy documents are plain ``dict``/``list``/``str`` trees.
JSON = Any


class SourceKind(StrEnum):
    """Where a value was read from."""

    LIVE = "live"
    AUTH_DETAILS = "authorization-details"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"
    FILE = "file"


class Origin(Struct, frozen=True):
    """Where a value came from, precisely enough for a finding to point at it.

    ``location`` is a file path or an ARN; ``pointer`` a JSON pointer inside it; ``line`` the
    1-based line of the node in a template file, where the parser knows it. For a deployment of
    several stacks, ``stack`` names the stack and ``construct`` the CDK construct path
    (``aws:cdk:path`` metadata) of the resource, where known. ``metadata`` is the
    ``Metadata: iam-audit:`` value of the template resource the pointer is in, as written (its
    ``ignore`` suppressions, read by :mod:`iam_audit.config`); not part of equality or the hash.
    """

    kind: SourceKind
    location: str
    pointer: str = ""
    line: int | None = None
    stack: str = ""
    construct: str = ""
    metadata: JSON = None

    def _place(self) -> tuple[object, ...]:
        return (self.kind, self.location, self.pointer, self.line, self.stack, self.construct)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Origin:
            return NotImplemented
        return self._place() == other._place()

    def __ne__(self, other: object) -> bool:  # a struct's own __ne__ would compare metadata
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._place())


class PolicyKind(StrEnum):
    """The role a policy document plays in evaluation."""

    INLINE = "inline"
    MANAGED = "managed"
    BOUNDARY = "boundary"
    TRUST = "trust"
    RESOURCE = "resource"
    SCP = "scp"
    RCP = "rcp"


class PolicyDocument(Struct, frozen=True, eq=False):
    """One policy document, already decoded to JSON (never URL-encoded here).

    ``name`` is the inline policy name, or the ARN for managed policies and boundaries, or
    ``"trust"`` for a role's trust policy. ``text`` keeps the exact text read, where known, so
    backups restore it byte for byte. ``validated``: the document has passed the policy grammar
    check (``parse_policy`` sets it, and ``msgspec.structs.replace`` keeps it), so evaluation
    does not check its statements again; a document built by hand is checked on first use.

    Equality and the hash are identity. ``compiled`` is the engine's compiled form of this
    object, filled on its first evaluation (:func:`iam_audit.engine.compile.compile_policy`),
    never given by a caller: it lives exactly as long as the document, which its source (so
    the run) owns. A managed policy shared by many roles is one object, so it compiles once. A
    copy with another name, kind or body (``msgspec.structs.replace``) carries the original's
    compiled form, which the engine then sees is not its own and compiles the copy afresh. The
    body is treated as immutable: build a new document to change it.
    """

    name: str
    kind: PolicyKind
    document: JSON
    origin: Origin | None = None
    text: str | None = None
    version_id: str | None = None
    validated: bool = False
    compiled: object = None


# compiled on first use (re's own cache of patterns), not at import: who-can needs neither
_ARN_RE = r"^arn:([a-z0-9-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|\*|):(.+)$"

_PARTITION_PREFIXES = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
    ("eusc-", "aws-eusc"),
)


def partition_for_region(region: str) -> str:
    """The partition a region belongs to (``cn-north-1`` → ``aws-cn``); ``aws`` otherwise."""
    for prefix, partition in _PARTITION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


class Arn(Struct, frozen=True):
    """An Amazon Resource Name split into its six parts."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str, *, expect_service: str | None = None, what: str = "ARN") -> Arn:
    """Parse ``text`` as an ARN, or raise :class:`InputError` naming what was expected."""
    match = re.match(_ARN_RE, text.strip())
    if not match:
        raise InputError(
            f"invalid {what}: {text!r}",
            advice="expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
        )
    arn = Arn(*match.groups())
    if expect_service and arn.service != expect_service:
        raise InputError(f"invalid {what}: {text!r} is not a {expect_service} ARN")
    return arn


_POOL_ID_RE = r"^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$"


def pool_arn_from_id(pool_id: str, account: str, partition: str | None = None) -> str:
    """The ARN of user pool ``pool_id`` (``us-east-1_AbC``) in ``account``."""
    match = re.match(_POOL_ID_RE, pool_id)
    if not match:
        raise InputError(
            f"invalid user pool ID: {pool_id!r}", advice="expected REGION_ID, e.g. us-east-1_AbC123"
        )
    region = match.group(1)
    return (
        f"arn:{partition or partition_for_region(region)}:cognito-idp:{region}:{account}"
        f":userpool/{pool_id}"
    )


class OrgLevel(Struct, frozen=True):
    """One level of an AWS Organizations path (the root, an OU, or the account) and the SCPs or
    RCPs attached to it. ``label`` says which, for a person: ``"root r-ab12"``, ``"OU
    ou-ab12-cd34"``, ``"account 111122223333"``, or the file the policies were read from."""

    label: str
    policies: tuple[PolicyDocument, ...]


class OrgPolicies(Struct, frozen=True):
    """The organization policies that bound an account: SCP and RCP levels, root first.

    ``scp`` bounds the account's principals, ``rcp`` its resources; an empty tuple means that
    kind is not evaluated. ``management_account``: the organization's management account, to
    which neither applies; ``source`` says where they were read from; ``organization_id``
    (``o-...``, when known) is the ``aws:PrincipalOrgID`` of the account's principals.
    """

    scp: tuple[OrgLevel, ...] = ()
    rcp: tuple[OrgLevel, ...] = ()
    management_account: str | None = None
    source: str = ""
    organization_id: str | None = None


class Role(Struct, frozen=True):
    """An IAM role with every policy that takes part in evaluating its requests.

    ``managed`` holds the default version of each attached managed policy whose document the
    source has; ``unknown_managed`` the ARNs of attached policies it has not (offline, an AWS
    managed policy outside the snapshot). ``symbolic`` lists values a template left unresolved.
    ``organization``: the SCPs and RCPs of the role's account, when known (``--scp``/``--rcp``
    or AWS Organizations); ``None`` means they are not evaluated.
    """

    arn: str
    name: str
    origin: Origin
    trust: PolicyDocument | None = None
    inline: tuple[PolicyDocument, ...] = ()
    managed: tuple[PolicyDocument, ...] = ()
    boundary: PolicyDocument | None = None
    boundary_arn: str | None = None
    unknown_managed: tuple[str, ...] = ()
    path: str = "/"
    tags: tuple[tuple[str, str], ...] = ()
    symbolic: tuple[str, ...] = ()
    organization: OrgPolicies | None = None

    @property
    def identity_policies(self) -> tuple[PolicyDocument, ...]:
        """Inline policies, then attached managed policies."""
        return self.inline + self.managed

    @property
    def account_id(self) -> str:
        """The account in the role ARN (empty when the ARN is symbolic)."""
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 else ""

    @property
    def partition(self) -> str:
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 5 else "aws"


class LambdaFunction(Struct, frozen=True):
    """A Lambda function: its execution role, environment and resource-based policy."""

    arn: str
    name: str
    role_arn: str
    origin: Origin
    environment: tuple[tuple[str, str], ...] = ()
    resource_policy: PolicyDocument | None = None
    handler: str | None = None
    runtime: str | None = None
    timeout: int | None = None
    #: the package on disk a template or plan names (a CDK asset folder, a Terraform
    #: ``filename`` or ``source_dir``), and the code written inline (CloudFormation ``ZipFile``)
    code_path: str | None = None
    inline_code: str | None = None


class UserPool(Struct, frozen=True):
    """A Cognito user pool and the trigger that matters to imports.

    ``sms_role_arn`` is the role its ``SmsConfiguration`` names (``SnsCallerArn``): the role
    Cognito assumes to send SMS, which is never the import logs role.
    """

    arn: str
    pool_id: str
    origin: Origin
    name: str = ""
    migration_lambda_arn: str | None = None
    import_logs_role_arns: tuple[str, ...] = ()
    sms_role_arn: str | None = None


class Inventory(Struct, frozen=True):
    """Everything a source knows: the roles, functions and pools it could read."""

    roles: tuple[Role, ...] = ()
    functions: tuple[LambdaFunction, ...] = ()
    user_pools: tuple[UserPool, ...] = ()
    notes: tuple[str, ...] = ()
