"""Small seeded authorization-details accounts for the differential test across commands.

Each account is a few dozen roles and users whose policies mix every shape the commands must judge
alike: Allow and Deny; ``Action`` and ``NotAction``; ``Resource`` and ``NotResource`` with ``*`` and
``?``; actions spelt in other cases (actions are case-insensitive, ARNs are not); conditions on keys
an authorization-details file resolves (``aws:PrincipalTag/team``, ``aws:PrincipalArn``,
``aws:RequestedRegion`` of a regional resource) and on keys it cannot (``aws:SourceIp``,
``aws:MultiFactorAuthPresent``); permissions boundaries (customer and AWS managed); customer managed
policies shared by many roles; AWS managed policies attached by ARN only (the file does not hold
them, as when ``AWSManagedPolicy`` is filtered out); users with groups; cross-account roles (trusted
by another account, and roles of another account in a merged file); questions on a user pool and on
resources that are not one.
"""

from __future__ import annotations

import random
from typing import Any

from tests.scale.accounts import account, doc, group, policy, role, user

ACCOUNT = "123456789012"
OTHER = "210987654321"
REGION = "us-east-1"
ACTION = "cognito-idp:AdminInitiateAuth"
POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_Pool1"
#: a pool in another account: no principal of ACCOUNT can reach it (user pools have no resource
#: policy)
FAR_POOL = f"arn:aws:cognito-idp:eu-west-1:{OTHER}:userpool/eu-west-1_Far1"
#: a resource that is not a pool and whose ARN names no region
OBJECT = "arn:aws:s3:::data-bucket/reports/2024.csv"
#: a regional resource that is not a pool
LOG_STREAM = (
    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cognito/userpool-import:log-stream:job-1"
)

#: AWS managed policies, attached by ARN; none is in the file (the built-in snapshot has them)
AWS_MANAGED = (
    "arn:aws:iam::aws:policy/AmazonCognitoPowerUser",
    "arn:aws:iam::aws:policy/AmazonCognitoReadOnly",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
)

_ACTIONS = (
    "cognito-idp:AdminInitiateAuth",
    "cognito-idp:admininitiateauth",
    "COGNITO-IDP:AdminInitiateAuth",
    "cognito-idp:Admin*",
    "cognito-idp:*Auth",
    "cognito-idp:Admin?nitiateAuth",
    "cognito-idp:AdminInitiateAut?",
    "cognito-idp:ListUsers",
    "cognito-idp:*",
    "*",
    "s3:Get*",
    "s3:GetObjec?",
    "S3:getobject",
    "s3:PutObject",
    "logs:*",
    "logs:Put*Events",
    "logs:CreateLogStream",
)
_NOT_ACTIONS = (
    ["iam:*", "organizations:*"],
    "cognito-idp:*",
    ["s3:*", "logs:*"],
    "cognito-idp:AdminInitiate*",
    "s3:GetObject",
)
_RESOURCES = (
    POOL,
    f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/*",
    "arn:aws:cognito-idp:*:*:userpool/us-east-1_Pool?",
    f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/US-EAST-1_POOL1",  # ARNs are case-sensitive
    f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_Pool2",
    FAR_POOL,
    "arn:aws:cognito-idp:*:*:userpool/*",
    "*",
    "arn:aws:s3:::data-bucket/*",
    "arn:aws:s3:::data-bucket/reports/????.csv",
    "arn:aws:s3:::Data-Bucket/*",
    "arn:aws:s3:::other-bucket/*",
    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/cognito/*",
    f"arn:aws:logs:*:{ACCOUNT}:log-group:/aws/lambda/*",
)
_CONDITIONS: tuple[dict[str, Any], ...] = (
    # keys the file resolves
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringEquals": {"aws:PrincipalTag/team": ["red", "green"]}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app-*"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/*"}},
    {"StringEquals": {"aws:RequestedRegion": REGION}},
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    {"StringNotEquals": {"aws:RequestedRegion": [REGION, "eu-west-1"]}},
    # keys it cannot
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    # both at once
    {
        "StringEquals": {"aws:PrincipalTag/team": "red"},
        "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
    },
)
#: the values that decide every condition above of a key the file cannot resolve, absence included
#: (a key the request does not hold): every request falls into one of these cases
UNRESOLVABLE_VALUES: dict[str, tuple[str | None, ...]] = {
    "aws:SourceIp": ("203.0.113.7", "192.0.2.1", None),
    "aws:MultiFactorAuthPresent": ("true", "false", None),
}
#: and of ``aws:RequestedRegion`` where the resource's ARN names no region
REGION_VALUES: tuple[str | None, ...] = (REGION, "eu-west-1", "ap-south-1", None)

BOUNDARIES = {
    "boundary-cognito": doc(
        {"Effect": "Allow", "Action": ["cognito-idp:*", "logs:*"], "Resource": "*"}
    ),
    "boundary-no-admin": doc(
        {"Effect": "Allow", "NotAction": "cognito-idp:Admin*", "Resource": "*"}
    ),
    "boundary-eu": doc(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", REGION]}},
        }
    ),
    "boundary-mfa": doc(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ),
}
_AWS_BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"


def _one_or_many(rng: random.Random, choices: tuple[Any, ...]) -> Any:
    if rng.random() < 0.6:
        return rng.choice(choices)
    return rng.sample(choices, rng.randint(2, 3))


def statement(rng: random.Random) -> dict[str, Any]:
    """One random statement of the shapes above."""
    out: dict[str, Any] = {"Effect": "Deny" if rng.random() < 0.2 else "Allow"}
    if rng.random() < 0.15:
        out["NotAction"] = rng.choice(_NOT_ACTIONS)
    else:
        out["Action"] = _one_or_many(rng, _ACTIONS)
    if rng.random() < 0.12:
        out["NotResource"] = rng.choice(_RESOURCES[:6])
    else:
        out["Resource"] = _one_or_many(rng, _RESOURCES)
    if rng.random() < 0.4:
        out["Condition"] = rng.choice(_CONDITIONS)
    if rng.random() < 0.3:
        out = {"Sid": f"S{rng.randrange(1000)}", **out}
    return out


def _document(rng: random.Random, low: int = 1, high: int = 3) -> dict[str, Any]:
    return doc(*(statement(rng) for _ in range(rng.randint(low, high))))


def _tags(rng: random.Random) -> dict[str, str]:
    return {"team": rng.choice(["blue", "red", "green"])} if rng.random() < 0.6 else {}


def _managed_arn(name: str, owner: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{owner}:policy/{name}"


def _attached(rng: random.Random, shared: list[str], high: int) -> list[str]:
    chosen = set(rng.sample(shared, rng.randint(0, min(high, len(shared)))))
    if rng.random() < 0.3:
        chosen.add(rng.choice(AWS_MANAGED))
    return sorted(chosen)


def _boundary(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.2:
        return _managed_arn(rng.choice(sorted(BOUNDARIES)))
    if roll < 0.25:
        return _AWS_BOUNDARY
    return None


def _trust(detail: dict[str, Any], rng: random.Random) -> None:
    """A cross-account trust on some roles (the role may be assumed from OTHER)."""
    if rng.random() < 0.2:
        detail["AssumeRolePolicyDocument"] = doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": f"ext-{rng.randrange(99)}"}},
            }
        )


def generate(seed: int, roles: int = 30, users: int = 14, groups: int = 5) -> dict[str, Any]:
    """The account of ``seed``: ``roles`` roles (a few of another account), users and groups."""
    rng = random.Random(seed)
    shared_names = [f"shared-{n}" for n in range(8)]
    policies = [policy(_managed_arn(name), _document(rng, 1, 3)) for name in shared_names]
    policies += [policy(_managed_arn(name), body) for name, body in BOUNDARIES.items()]
    shared = [_managed_arn(name) for name in shared_names]
    role_list = []
    for index in range(roles):
        prefix = rng.choice(["app", "svc", "mig"])
        # about one in ten is a role of another account (a file merged from two accounts)
        owner = OTHER if rng.random() < 0.1 else ACCOUNT
        detail = role(
            f"{prefix}-{index:02d}",
            inline={f"inline-{n}": _document(rng) for n in range(rng.choice([0, 1, 1, 2]))},
            managed=_attached(rng, shared, 3),
            boundary=_boundary(rng),
            tags=_tags(rng),
            account=owner,
        )
        _trust(detail, rng)
        role_list.append(detail)
    group_list = [
        group(
            f"group-{n}",
            inline={"group-inline": _document(rng)} if rng.random() < 0.6 else None,
            managed=_attached(rng, shared, 2),
        )
        for n in range(groups)
    ]
    user_list = [
        user(
            f"user-{index:02d}",
            inline={"user-inline": _document(rng, 1, 2)} if rng.random() < 0.5 else None,
            managed=_attached(rng, shared, 1),
            groups=sorted({f"group-{rng.randrange(groups)}" for _ in range(rng.randint(0, 2))}),
            boundary=_boundary(rng),
            tags=_tags(rng),
        )
        for index in range(users)
    ]
    return account(roles=role_list, users=user_list, groups=group_list, policies=policies)
