"""named_principals and allows_not_principal: who a trust or resource policy lets in.

PRINCIPAL: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
NOTPRINCIPAL: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
"""

from __future__ import annotations

from iam_audit.engine import (
    Principal,
    PrincipalKind,
    StatementRef,
    allows_not_principal,
    named_principals,
    parse_policy,
)
from iam_audit.model import PolicyKind

AWS, SERVICE, FEDERATED, ANY, CANONICAL = (
    PrincipalKind.AWS,
    PrincipalKind.SERVICE,
    PrincipalKind.FEDERATED,
    PrincipalKind.ANONYMOUS,
    PrincipalKind.CANONICAL_USER,
)

TRUST = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [
            # COGNITO_IMPORT: the documented logs-role trust.
            {
                "Effect": "Allow",
                "Principal": {"Service": "cognito-idp.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            # PRINCIPAL: "you can use either of the following methods to specify that account".
            {
                "Sid": "Accounts",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "555555555555"]},
                "Action": "sts:*",
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
            },
            # PRINCIPAL: '"Principal" : { "AWS" : "*" }'.
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole"]},
            # Another action: not reported for sts:AssumeRole.
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            },
            # A Deny names principals too, but grants nothing.
            {
                "Effect": "Deny",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            # NOTPRINCIPAL: with Allow it "allows all principals except the one named".
            {
                "Sid": "AllButOne",
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::444455556666:root"},
                "NotAction": "sts:TagSession",
            },
            # '"Principal": "*"' with a condition.
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
            },
        ],
    },
    name="trust",
    kind=PolicyKind.TRUST,
)


def test_named_principals_for_assume_role() -> None:
    assert named_principals(TRUST, "STS:assumerole") == (
        (Principal(ANY, "*"), False),  # AllButOne (NotPrincipal)
        (Principal(ANY, "*"), True),  # "*" with a condition
        (Principal(AWS, "*"), False),
        (Principal(AWS, "555555555555"), True),
        (Principal(AWS, "arn:aws:iam::123456789012:root"), True),
        (Principal(SERVICE, "cognito-idp.amazonaws.com"), False),
    )


def test_named_principals_for_web_identity() -> None:
    assert named_principals(TRUST, "sts:AssumeRoleWithWebIdentity") == (
        (Principal(ANY, "*"), False),
        (Principal(AWS, "555555555555"), True),
        (Principal(AWS, "arn:aws:iam::123456789012:root"), True),
        (Principal(FEDERATED, "cognito-identity.amazonaws.com"), False),
    )


def test_named_principals_other_action() -> None:
    # NotAction sts:TagSession excludes exactly that action from AllButOne; "sts:*" covers it.
    assert named_principals(TRUST, "sts:TagSession") == (
        (Principal(AWS, "555555555555"), True),
        (Principal(AWS, "arn:aws:iam::123456789012:root"), True),
    )


def test_allows_not_principal() -> None:
    ref = StatementRef("trust", PolicyKind.TRUST, 5, "AllButOne", "Allow")
    assert allows_not_principal(TRUST) == (ref,)
    assert allows_not_principal(TRUST, "sts:AssumeRole") == (ref,)
    assert allows_not_principal(TRUST, "sts:TagSession") == ()


def test_canonical_user_principal() -> None:
    bucket = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
                    },
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ]
        },
        name="bucket",
        kind=PolicyKind.RESOURCE,
    )
    assert named_principals(bucket, "s3:GetObject") == (
        (
            Principal(
                CANONICAL, "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
            ),
            False,
        ),
    )
    assert named_principals(bucket, "s3:PutObject") == ()
