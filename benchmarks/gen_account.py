"""Generate a synthetic AWS account as `aws iam get-account-authorization-details` output.

The account is deterministic (seeded) and shaped like a large real one: customer managed policies
with several versions, AWS managed policies, roles with trust policies, inline policies, attached
policies, permissions boundaries, tags and instance profiles, users in groups. The policies mix
what makes evaluation hard: service and action wildcards (``cognito-idp:*``, ``cognito-idp:Admin*``,
``*``), ``NotAction``, explicit ``Deny``, ``NotResource``, policy variables and conditions on keys
a file cannot resolve (``aws:SourceIp``, ``aws:MultiFactorAuthPresent``) as well as on keys it can
(``aws:PrincipalTag/team``).

The file is written the way the AWS CLI writes it (``json.dumps(..., indent=4)``); ``--indent 0``
writes it compact. ``--urlencoded`` writes every policy document as the raw API returns it
(RFC 3986 URL-encoded JSON strings).

    .venv/bin/python benchmarks/gen_account.py OUT.json [--roles 10000] [--policies 2000]
        [--users 1000] [--groups 60] [--seed 7] [--hard 0.22] [--indent 4] [--urlencoded]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
REGION = "us-east-1"
#: The pool the benchmark asks about (``who-can cognito-idp:AdminInitiateAuth --resource POOL``).
POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_BenchPool1"
OTHER_POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_OtherPool2"

_SERVICES: dict[str, tuple[str, ...]] = {
    "s3": ("GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketPolicy"),
    "dynamodb": ("GetItem", "PutItem", "Query", "Scan", "UpdateItem", "BatchGetItem"),
    "sqs": ("SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"),
    "logs": ("CreateLogGroup", "CreateLogStream", "PutLogEvents", "DescribeLogStreams"),
    "kms": ("Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"),
    "ec2": ("DescribeInstances", "StartInstances", "StopInstances", "DescribeVpcs"),
    "lambda": ("InvokeFunction", "GetFunction", "UpdateFunctionCode", "ListFunctions"),
    "sns": ("Publish", "Subscribe", "ListTopics"),
    "secretsmanager": ("GetSecretValue", "DescribeSecret"),
    "ssm": ("GetParameter", "GetParameters", "PutParameter"),
    "cloudwatch": ("PutMetricData", "GetMetricStatistics"),
    "cognito-idp": (
        "AdminInitiateAuth",
        "AdminGetUser",
        "AdminCreateUser",
        "ListUsers",
        "DescribeUserPool",
        "CreateUserImportJob",
    ),
}
_RESOURCE_TYPES = {
    "s3": "arn:aws:s3:::bench-bucket-{n}/*",
    "dynamodb": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/bench-table-{{n}}",
    "sqs": f"arn:aws:sqs:{REGION}:{ACCOUNT}:bench-queue-{{n}}",
    "logs": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/bench-{{n}}:*",
    "kms": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000-{{n}}",
    "ec2": "*",
    "lambda": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench-{{n}}",
    "sns": f"arn:aws:sns:{REGION}:{ACCOUNT}:bench-topic-{{n}}",
    "secretsmanager": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:bench-{{n}}-*",
    "ssm": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/bench/{{n}}/*",
    "cloudwatch": "*",
    "cognito-idp": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_Pool{{n}}",
}
_TRUSTED_SERVICES = (
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "states.amazonaws.com",
    "cognito-idp.amazonaws.com",
)
_AWS_MANAGED = {
    "arn:aws:iam::aws:policy/AdministratorAccess": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/PowerUserAccess": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ],
    "arn:aws:iam::aws:policy/ReadOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                f"{service}:{verb}*"
                for service in sorted(_SERVICES)
                for verb in ("Get", "List", "Describe")
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AmazonCognitoPowerUser": [
        {
            "Effect": "Allow",
            "Action": ["cognito-identity:*", "cognito-idp:*", "cognito-sync:*", "iam:ListRoles"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/AmazonCognitoReadOnly": [
        {
            "Effect": "Allow",
            "Action": ["cognito-identity:Describe*", "cognito-idp:Describe*", "cognito-idp:List*"],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
}


@dataclass(frozen=True)
class Sizes:
    """How big the account is."""

    roles: int = 10_000
    policies: int = 2_000
    users: int = 1_000
    groups: int = 60
    hard: float = 0.22  # share of statements that are wildcards, NotAction, Deny, conditions…


class _Ids:
    """Unique IAM-looking IDs (``AROA…``, ``ANPA…``) from the seeded generator."""

    _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def make(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choice(self._ALPHABET) for _ in range(17))


def _date(rng: random.Random) -> str:
    return (
        f"20{rng.randint(17, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}+00:00"
    )


def _one_or_list(items: list[str]) -> str | list[str]:
    return items[0] if len(items) == 1 else items


class Generator:
    """Builds the account; every choice comes from one seeded :class:`random.Random`."""

    def __init__(self, sizes: Sizes, seed: int) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.ids = _Ids(self.rng)

    # -- statements --------------------------------------------------------------------

    def _resources(self, service: str) -> list[str]:
        pattern = _RESOURCE_TYPES[service]
        return [pattern.format(n=self.rng.randint(1, 400)) for _ in range(self.rng.randint(1, 3))]

    def _plain_allow(self) -> dict[str, Any]:
        service = self.rng.choice(sorted(_SERVICES))
        verbs = self.rng.sample(_SERVICES[service], self.rng.randint(1, len(_SERVICES[service])))
        return {
            "Effect": "Allow",
            "Action": _one_or_list([f"{service}:{verb}" for verb in sorted(verbs)]),
            "Resource": _one_or_list(self._resources(service)),
        }

    def _statement(self) -> dict[str, Any]:
        """One statement: an ordinary grant, or (with probability ``sizes.hard``) a hard case,
        split among the kinds below in fixed proportions."""
        roll = self.rng.random()
        hard = self.sizes.hard
        # a hard case is mapped onto the hard cases' own scale, 0.78 to 1
        roll = 0.78 + (roll - (1 - hard)) / hard * 0.22 if hard > 0 and roll >= 1 - hard else 0.0
        if roll < 0.78:
            statement = self._plain_allow()
        elif roll < 0.81:  # a service wildcard on some pools
            statement = {
                "Effect": "Allow",
                "Action": self.rng.choice(
                    ["cognito-idp:*", "cognito-idp:Admin*", "cognito-idp:*Auth"]
                ),
                "Resource": self.rng.choice(
                    [
                        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/*",
                        f"arn:aws:cognito-idp:*:{ACCOUNT}:userpool/{REGION}_Bench*",
                        OTHER_POOL_ARN,
                        "*",
                    ]
                ),
            }
        elif roll < 0.83:  # the pool named exactly
            statement = {
                "Effect": "Allow",
                "Action": ["cognito-idp:AdminInitiateAuth", "cognito-idp:AdminGetUser"],
                "Resource": self.rng.choice([POOL_ARN, OTHER_POOL_ARN]),
            }
        elif roll < 0.86:  # NotAction
            statement = {
                "Effect": "Allow",
                "NotAction": self.rng.choice(
                    [["iam:*", "organizations:*"], ["cognito-idp:*"], "s3:*"]
                ),
                "Resource": self.rng.choice(["*", f"arn:aws:*:{REGION}:{ACCOUNT}:*"]),
            }
        elif roll < 0.90:  # Deny
            statement = {
                "Effect": "Deny",
                "Action": self.rng.choice(
                    ["cognito-idp:Admin*", "cognito-idp:AdminInitiateAuth", "s3:DeleteObject", "*"]
                ),
                "Resource": self.rng.choice(["*", POOL_ARN, "arn:aws:s3:::prod-*"]),
            }
            if statement["Action"] == "*":
                statement["NotResource"] = statement.pop("Resource")
        elif roll < 0.92:  # a policy variable
            statement = {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::home-bucket/${aws:username}/*",
            }
        else:  # a condition
            statement = self._plain_allow()
            if self.rng.random() < 0.3:
                statement["Action"] = self.rng.choice(
                    ["cognito-idp:AdminInitiateAuth", "cognito-idp:*", "*"]
                )
                statement["Resource"] = self.rng.choice([POOL_ARN, "*"])
            statement["Condition"] = self.rng.choice(
                [
                    {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}},
                    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    {"StringEquals": {"aws:PrincipalTag/team": self.rng.choice(["blue", "red"])}},
                    {"StringEquals": {"aws:RequestedRegion": [REGION, "eu-west-1"]}},
                    {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app-*"}},
                ]
            )
        if self.rng.random() < 0.3:
            statement = {"Sid": f"S{self.rng.randint(0, 99999)}", **statement}
        return statement

    def _document(self, low: int = 1, high: int = 4) -> dict[str, Any]:
        count = self.rng.randint(low, high)
        return {"Version": "2012-10-17", "Statement": [self._statement() for _ in range(count)]}

    def _trust(self) -> dict[str, Any]:
        if self.rng.random() < 0.1:
            principal: dict[str, Any] = {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
            statement: dict[str, Any] = {
                "Effect": "Allow",
                "Principal": principal,
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": f"ext-{self.rng.randint(1, 999)}"}
                },
            }
        else:
            statement = {
                "Effect": "Allow",
                "Principal": {"Service": self.rng.choice(_TRUSTED_SERVICES)},
                "Action": "sts:AssumeRole",
            }
        return {"Version": "2012-10-17", "Statement": [statement]}

    # -- entities ----------------------------------------------------------------------

    def managed_policies(self) -> list[dict[str, Any]]:
        out = []
        for index in range(self.sizes.policies):
            arn = f"arn:aws:iam::{ACCOUNT}:policy/bench/Policy{index:05d}"
            versions = self.rng.randint(1, 3)
            version_list = [
                {
                    "Document": self._document(1, 5),
                    "VersionId": f"v{number}",
                    "IsDefaultVersion": number == versions,
                    "CreateDate": _date(self.rng),
                }
                for number in range(versions, 0, -1)
            ]
            out.append(
                {
                    "PolicyName": f"Policy{index:05d}",
                    "PolicyId": self.ids.make("ANPA"),
                    "Arn": arn,
                    "Path": "/bench/",
                    "DefaultVersionId": f"v{versions}",
                    "AttachmentCount": 0,
                    "PermissionsBoundaryUsageCount": 0,
                    "IsAttachable": True,
                    "CreateDate": _date(self.rng),
                    "UpdateDate": _date(self.rng),
                    "PolicyVersionList": version_list,
                }
            )
        for arn, statements in _AWS_MANAGED.items():
            out.append(
                {
                    "PolicyName": arn.rsplit("/", 1)[-1],
                    "PolicyId": self.ids.make("ANPA"),
                    "Arn": arn,
                    "Path": "/service-role/" if "service-role" in arn else "/",
                    "DefaultVersionId": "v1",
                    "AttachmentCount": 0,
                    "PermissionsBoundaryUsageCount": 0,
                    "IsAttachable": True,
                    "CreateDate": "2015-02-06T18:39:46+00:00",
                    "UpdateDate": "2015-02-06T18:39:46+00:00",
                    "PolicyVersionList": [
                        {
                            "Document": {"Version": "2012-10-17", "Statement": statements},
                            "VersionId": "v1",
                            "IsDefaultVersion": True,
                            "CreateDate": "2015-02-06T18:39:46+00:00",
                        }
                    ],
                }
            )
        return out

    def _attached(self, low: int, high: int) -> list[dict[str, str]]:
        chosen: list[str] = []
        for _ in range(self.rng.randint(low, high)):
            if self.rng.random() < 0.04:
                chosen.append(self.rng.choice(sorted(_AWS_MANAGED)))
            else:
                index = min(int(self.rng.paretovariate(1.2)) - 1, self.sizes.policies - 1)
                if self.rng.random() < 0.5:
                    index = self.rng.randrange(self.sizes.policies)
                chosen.append(f"arn:aws:iam::{ACCOUNT}:policy/bench/Policy{index:05d}")
        unique = sorted(set(chosen))
        return [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in unique]

    def _boundary(self) -> dict[str, str] | None:
        if self.rng.random() >= 0.1:
            return None
        index = self.rng.randrange(min(20, self.sizes.policies))
        return {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/bench/Policy{index:05d}",
        }

    def _tags(self) -> list[dict[str, str]]:
        tags = []
        if self.rng.random() < 0.6:
            tags.append({"Key": "team", "Value": self.rng.choice(["blue", "red", "green"])})
        if self.rng.random() < 0.4:
            tags.append({"Key": "cost-center", "Value": str(self.rng.randint(1000, 9999))})
        return tags

    def roles(self) -> list[dict[str, Any]]:
        out = []
        for index in range(self.sizes.roles):
            path = self.rng.choice(["/", "/", "/service-role/", "/app/"])
            name = f"{self.rng.choice(['app', 'svc', 'job', 'ci'])}-role-{index:05d}"
            arn = f"arn:aws:iam::{ACCOUNT}:role{path}{name}"
            trust = self._trust()
            role: dict[str, Any] = {
                "Path": path,
                "RoleName": name,
                "RoleId": self.ids.make("AROA"),
                "Arn": arn,
                "CreateDate": _date(self.rng),
                "AssumeRolePolicyDocument": trust,
                "InstanceProfileList": [],
                "RolePolicyList": [
                    {"PolicyName": f"inline-{n}", "PolicyDocument": self._document()}
                    for n in range(self.rng.choice([0, 1, 1, 2, 3]))
                ],
                "AttachedManagedPolicies": self._attached(0, 5),
                "Tags": self._tags(),
                "RoleLastUsed": (
                    {"LastUsedDate": _date(self.rng), "Region": REGION}
                    if self.rng.random() < 0.7
                    else {}
                ),
            }
            if self.rng.random() < 0.15:
                profile_name = f"{name}-profile"
                role["InstanceProfileList"] = [
                    {
                        "Path": "/",
                        "InstanceProfileName": profile_name,
                        "InstanceProfileId": self.ids.make("AIPA"),
                        "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{profile_name}",
                        "CreateDate": role["CreateDate"],
                        "Roles": [
                            {
                                "Path": path,
                                "RoleName": name,
                                "RoleId": role["RoleId"],
                                "Arn": arn,
                                "CreateDate": role["CreateDate"],
                                "AssumeRolePolicyDocument": trust,
                            }
                        ],
                    }
                ]
            boundary = self._boundary()
            if boundary:
                role["PermissionsBoundary"] = boundary
            out.append(role)
        return out

    def groups(self) -> list[dict[str, Any]]:
        out = []
        for index in range(self.sizes.groups):
            name = f"group-{index:03d}"
            out.append(
                {
                    "Path": "/",
                    "GroupName": name,
                    "GroupId": self.ids.make("AGPA"),
                    "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}",
                    "CreateDate": _date(self.rng),
                    "GroupPolicyList": [
                        {"PolicyName": f"group-inline-{n}", "PolicyDocument": self._document()}
                        for n in range(self.rng.choice([0, 1, 2]))
                    ],
                    "AttachedManagedPolicies": self._attached(0, 3),
                }
            )
        return out

    def users(self) -> list[dict[str, Any]]:
        out = []
        for index in range(self.sizes.users):
            name = f"user{index:05d}"
            user: dict[str, Any] = {
                "Path": "/",
                "UserName": name,
                "UserId": self.ids.make("AIDA"),
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
                "CreateDate": _date(self.rng),
                "UserPolicyList": [
                    {"PolicyName": f"user-inline-{n}", "PolicyDocument": self._document(1, 2)}
                    for n in range(self.rng.choice([0, 0, 1]))
                ],
                "GroupList": sorted(
                    {
                        f"group-{self.rng.randrange(self.sizes.groups):03d}"
                        for _ in range(self.rng.randint(0, 3))
                    }
                )
                if self.sizes.groups
                else [],
                "AttachedManagedPolicies": self._attached(0, 2),
                "Tags": self._tags(),
            }
            boundary = self._boundary()
            if boundary:
                user["PermissionsBoundary"] = boundary
            out.append(user)
        return out

    def account(self) -> dict[str, Any]:
        """The whole authorization-details response (one page, as the AWS CLI merges them)."""
        policies = self.managed_policies()
        roles = self.roles()
        groups = self.groups()
        users = self.users()
        counts: dict[str, int] = {}
        boundary_counts: dict[str, int] = {}
        for entity in [*roles, *groups, *users]:
            for attached in entity["AttachedManagedPolicies"]:
                counts[attached["PolicyArn"]] = counts.get(attached["PolicyArn"], 0) + 1
            boundary = entity.get("PermissionsBoundary")
            if boundary:
                arn = boundary["PermissionsBoundaryArn"]
                boundary_counts[arn] = boundary_counts.get(arn, 0) + 1
        for policy in policies:
            policy["AttachmentCount"] = counts.get(policy["Arn"], 0)
            policy["PermissionsBoundaryUsageCount"] = boundary_counts.get(policy["Arn"], 0)
        return {
            "UserDetailList": users,
            "GroupDetailList": groups,
            "RoleDetailList": roles,
            "Policies": policies,
        }


def _urlencode(data: dict[str, Any]) -> dict[str, Any]:
    """Every policy document as the raw API returns it: URL-encoded JSON text."""

    def encode(document: Any) -> str:
        return quote(json.dumps(document, separators=(",", ":")), safe="")

    for role in data["RoleDetailList"]:
        role["AssumeRolePolicyDocument"] = encode(role["AssumeRolePolicyDocument"])
        for item in role["RolePolicyList"]:
            item["PolicyDocument"] = encode(item["PolicyDocument"])
        for profile in role["InstanceProfileList"]:
            for inner in profile["Roles"]:
                inner["AssumeRolePolicyDocument"] = encode(inner["AssumeRolePolicyDocument"])
    for group in data["GroupDetailList"]:
        for item in group["GroupPolicyList"]:
            item["PolicyDocument"] = encode(item["PolicyDocument"])
    for user in data["UserDetailList"]:
        for item in user["UserPolicyList"]:
            item["PolicyDocument"] = encode(item["PolicyDocument"])
    for policy in data["Policies"]:
        for version in policy["PolicyVersionList"]:
            version["Document"] = encode(version["Document"])
    return data


def generate(
    path: Path,
    sizes: Sizes = Sizes(),
    *,
    seed: int = 7,
    indent: int | None = 4,
    urlencoded: bool = False,
) -> int:
    """Write the account to ``path``; returns the file size in bytes."""
    data = Generator(sizes, seed).account()
    if urlencoded:
        data = _urlencode(data)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=indent or None, separators=None if indent else (",", ":"))
        handle.write("\n")
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--roles", type=int, default=Sizes.roles)
    parser.add_argument("--policies", type=int, default=Sizes.policies)
    parser.add_argument("--users", type=int, default=Sizes.users)
    parser.add_argument("--groups", type=int, default=Sizes.groups)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--hard", type=float, default=Sizes.hard, help="share of hard-case statements (0-1)"
    )
    parser.add_argument("--indent", type=int, default=4, help="0: compact JSON")
    parser.add_argument("--urlencoded", action="store_true")
    args = parser.parse_args(argv)
    if min(args.roles, args.policies, args.users, args.groups) < 0 or args.policies < 1:
        parser.error("sizes must be positive (at least one managed policy)")
    if not 0 <= args.hard <= 1:
        parser.error("--hard is a share between 0 and 1")
    size = generate(
        args.out,
        Sizes(args.roles, args.policies, args.users, args.groups, args.hard),
        seed=args.seed,
        indent=args.indent,
        urlencoded=args.urlencoded,
    )
    print(f"wrote {args.out}: {size / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
