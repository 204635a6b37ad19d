"""Requests that a role's trust policy or a KMS key policy decides, and AWS-owned ARNs.

Pages (under https://docs.aws.amazon.com/IAM/latest/UserGuide/ unless a full URL is given):

EVAL     reference_policies_evaluation-logic.html
CROSS    reference_policies_evaluation-logic-cross-account.html
MANAGED  access_policies_managed-vs-inline.html
KMS      https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
"""

from __future__ import annotations

import pytest

from iam_audit.engine import (
    ContextMode,
    Decision,
    resource_account,
    resource_policy_decides,
)
from iam_audit.model import PolicyKind

from .cases import (
    ACCOUNT,
    FOREIGN_ROLE,
    LAMBDA,
    OTHER,
    ROLE,
    ROLE_ARN,
    USER,
    Case,
    allow,
    outcome,
    policy,
    run,
)

ALLOWED = Decision.ALLOWED
IMPLICIT = Decision.IMPLICIT_DENY
EXPLICIT = Decision.EXPLICIT_DENY
OPEN = ContextMode.OPEN
ASSUME = "sts:AssumeRole"
TARGET = f"arn:aws:iam::{ACCOUNT}:role/Target"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALIAS = f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/app"
MISSING = "missing-resource-policy"


def trusts(*principals: str, service: str | None = None) -> dict[str, object]:
    """A trust policy allowing ``sts:AssumeRole`` to AWS principals (or one service)."""
    named: dict[str, object] = {"Service": service} if service else {"AWS": list(principals)}
    return policy(allow(ASSUME, None, Principal=named))


def key_policy(*principals: str) -> dict[str, object]:
    return policy(allow("kms:*", "*", Principal={"AWS": list(principals)}, Sid="Key"))


ROOT = f"arn:aws:iam::{ACCOUNT}:root"
IDENTITY_ALL = (policy(allow("*", "*", Sid="All")),)

CASES = [
    # ------------------------------------------------------------------ role trust policies
    # EVAL: "Role trust policies and KMS key policies are exceptions to this logic, because they
    # must explicitly allow access for principals." An identity Allow * and a trust policy that
    # names only lambda.amazonaws.com: not allowed (issue 10 item 12).
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            IMPLICIT,
            identity=IDENTITY_ALL,
            resource_policy=trusts(service="lambda.amazonaws.com"),
            resource_kind=PolicyKind.TRUST,
            matched=("id0:All",),
            blocked_by="resource-policy",
        ),
        id="trust-identity-allow-alone-is-not-enough",
    ),
    # The same trust policy handed over as a resource policy is still the role's trust policy:
    # the action and the resource say so, not the file's label.
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            IMPLICIT,
            identity=IDENTITY_ALL,
            resource_policy=trusts(service="lambda.amazonaws.com"),
            resource_kind=PolicyKind.RESOURCE,
            matched=("id0:All",),
            blocked_by="resource-policy",
        ),
        id="trust-read-as-resource-policy-is-still-trust",
    ),
    # EVAL: "If either the identity-based policy or the resource-based policy within the same
    # account allows the request" ... a trust policy naming the role ARN itself allows it.
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            ALLOWED,
            identity=(),
            resource_policy=trusts(ROLE_ARN),
            resource_kind=PolicyKind.TRUST,
            matched=("trust:#0",),
        ),
        id="trust-names-the-caller",
    ),
    # A trust policy naming the account delegates to the account's identity policies: then the
    # identity policy must allow it too (EVAL, the account principal).
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            ALLOWED,
            identity=IDENTITY_ALL,
            resource_policy=trusts(ROOT),
            resource_kind=PolicyKind.TRUST,
            matched=("id0:All", "trust:#0"),
        ),
        id="trust-names-the-account-identity-allows",
    ),
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            IMPLICIT,
            identity=(),
            resource_policy=trusts(ROOT),
            resource_kind=PolicyKind.TRUST,
            matched=("trust:#0",),
            blocked_by="identity",
        ),
        id="trust-names-the-account-identity-silent",
    ),
    # CROSS: "the request is allowed only if both evaluations return a decision of Allow".
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            IMPLICIT,
            identity=IDENTITY_ALL,
            resource_policy=trusts(ROOT),
            resource_kind=PolicyKind.TRUST,
            principal=FOREIGN_ROLE,
            resource_account=ACCOUNT,
            matched=("id0:All",),
            blocked_by="resource-policy",
        ),
        id="trust-cross-account-not-named",
    ),
    # No trust policy given: the answer depends on it, and is never "allowed".
    pytest.param(
        Case(
            "sts:AssumeRoleWithWebIdentity",
            TARGET,
            IMPLICIT,
            identity=IDENTITY_ALL,
            matched=("id0:All",),
            blocked_by=MISSING,
            notes=1,
        ),
        id="trust-not-given-request-mode",
    ),
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            IMPLICIT,
            identity=IDENTITY_ALL,
            mode=OPEN,
            matched=("id0:All",),
            conditional=True,
            blocked_by=MISSING,
            notes=1,
        ),
        id="trust-not-given-open-mode-is-conditional",
    ),
    # A Deny still wins: "An explicit deny in any policy overrides any allows." (EVAL); KMS:
    # "You can use an IAM policy to deny a permission to a KMS key without permission from a key
    # policy."
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            EXPLICIT,
            identity=(
                policy(allow("*", "*"), {"Effect": "Deny", "Action": "sts:*", "Resource": "*"}),
            ),
            mode=OPEN,
            matched=("id0:#1",),
            notes=1,
        ),
        id="trust-not-given-deny-wins",
    ),
    # ------------------------------------------------------------------ KMS key policies
    # KMS: "Every KMS key must have exactly one key policy" ... "Unless the key policy explicitly
    # allows it, you cannot use IAM policies to allow access to a KMS key. Without permission from
    # the key policy, IAM policies that allow permissions have no effect."
    pytest.param(
        Case(
            "kms:Decrypt",
            KEY,
            IMPLICIT,
            identity=IDENTITY_ALL,
            matched=("id0:All",),
            blocked_by=MISSING,
            notes=1,
        ),
        id="kms-no-key-policy-never-allowed",
    ),
    pytest.param(
        Case(
            "kms:Decrypt",
            KEY,
            IMPLICIT,
            identity=IDENTITY_ALL,
            mode=OPEN,
            matched=("id0:All",),
            conditional=True,
            blocked_by=MISSING,
            notes=1,
        ),
        id="kms-no-key-policy-open-conditional",
    ),
    # KMS: "The default key policy enables IAM policies. To enable IAM policies in your key
    # policy, add the policy statement described in Allows access to the AWS account and enables
    # IAM policies" (a statement naming the account's root).
    pytest.param(
        Case(
            "kms:Decrypt",
            KEY,
            ALLOWED,
            identity=IDENTITY_ALL,
            resource_policy=key_policy(ROOT),
            resource_account=ACCOUNT,
            matched=("id0:All", "resource:Key"),
        ),
        id="kms-default-key-policy-and-identity-allow",
    ),
    pytest.param(
        Case(
            "kms:Decrypt",
            KEY,
            IMPLICIT,
            identity=(),
            resource_policy=key_policy(ROOT),
            resource_account=ACCOUNT,
            matched=("resource:Key",),
            blocked_by="identity",
        ),
        id="kms-default-key-policy-without-identity-allow",
    ),
    # KMS: "Key policies are the primary way to control access to KMS keys": one that names the
    # principal allows it with no IAM policy at all.
    pytest.param(
        Case(
            "kms:Encrypt",
            KEY,
            ALLOWED,
            identity=(),
            resource_policy=key_policy(ROLE_ARN),
            resource_account=ACCOUNT,
            matched=("resource:Key",),
        ),
        id="kms-key-policy-names-the-role",
    ),
    # KMS: a key policy for someone else: "IAM policies that allow permissions have no effect".
    pytest.param(
        Case(
            "kms:Decrypt",
            KEY,
            IMPLICIT,
            identity=IDENTITY_ALL,
            resource_policy=key_policy(USER.value),
            resource_account=ACCOUNT,
            matched=("id0:All",),
            blocked_by="resource-policy",
        ),
        id="kms-key-policy-names-someone-else",
    ),
    # An alias is not a key: its IAM permissions are identity policies' (kms:CreateAlias on the
    # alias resource), so an identity Allow works as for any other resource.
    pytest.param(
        Case("kms:CreateAlias", ALIAS, ALLOWED, identity=IDENTITY_ALL, matched=("id0:All",)),
        id="kms-alias-is-not-a-key",
    ),
    # ------------------------------------------------------------------ AWS-owned ARNs
    # MANAGED: "An AWS managed policy is a standalone policy that is created and administered by
    # AWS ... For example, arn:aws:iam::aws:policy/IAMReadOnlyAccess is an AWS managed policy."
    # ``aws`` is not an account of the caller's: no cross-account rule applies.
    pytest.param(
        Case(
            "iam:GetPolicy",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ALLOWED,
            identity=(policy(allow("iam:GetPolicy", "*")),),
            resource_account=resource_account("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            matched=("id0:#0",),
        ),
        id="aws-managed-policy-arn-has-no-account",
    ),
    pytest.param(
        Case(
            "iam:GetPolicyVersion",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            ALLOWED,
            identity=(policy(allow("iam:GetPolicy*", "arn:aws:iam::aws:policy/*")),),
            resource_account="aws",  # a caller passing the field as it is
            matched=("id0:#0",),
        ),
        id="aws-as-resource-account-is-not-cross-account",
    ),
    # A service principal's trust probe (identity=None) is unchanged: the trust policy alone.
    pytest.param(
        Case(
            ASSUME,
            TARGET,
            ALLOWED,
            identity=None,
            resource_policy=trusts(service="lambda.amazonaws.com"),
            resource_kind=PolicyKind.TRUST,
            principal=LAMBDA,
            matched=("trust:#0",),
        ),
        id="trust-service-principal-probe",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_resource_policy_decides(case: Case) -> None:
    got, want = outcome(case, run(case))
    assert got == want


@pytest.mark.parametrize(
    ("action", "resource", "expected"),
    [
        ("sts:AssumeRole", TARGET, "trust"),
        ("STS:assumerolewithsaml", TARGET, "trust"),
        ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:user/u", None),
        ("sts:GetCallerIdentity", TARGET, None),
        ("kms:Decrypt", KEY, "key"),
        ("kms:Decrypt", ALIAS, None),
        ("s3:GetObject", KEY, None),
    ],
)
def test_which_policy_decides(action: str, resource: str, expected: str | None) -> None:
    assert resource_policy_decides(action, resource) == expected


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", None),
        (f"arn:aws:iam::{OTHER}:role/x", OTHER),
        ("arn:aws:s3:::bucket/key", None),
        ("arn:aws:logs:*:*:log-group:x", None),
        ("*", None),
        (KEY, ACCOUNT),
    ],
)
def test_resource_account(arn: str, account: str | None) -> None:
    assert resource_account(arn) == account


def test_no_trust_policy_note_names_it() -> None:
    result = run(Case(ASSUME, TARGET, IMPLICIT, identity=IDENTITY_ALL))
    assert result.notes == (
        f"sts:AssumeRole on {TARGET} is decided by the role's trust policy, which was not given",
    )
    assert ROLE.account == ACCOUNT
