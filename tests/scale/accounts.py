"""Small authorization-details documents for the scale tests, built by hand."""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "123456789012"
POOL = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Pool1"
OTHER_POOL = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Pool2"
ACTION = "cognito-idp:AdminInitiateAuth"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def managed_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


def role(
    name: str,
    *,
    inline: dict[str, dict[str, Any]] | None = None,
    managed: list[str] | None = None,
    boundary: str | None = None,
    tags: dict[str, str] | None = None,
    account: str = ACCOUNT,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().ljust(17, "X")[:17],
        "Arn": f"arn:aws:iam::{account}:role/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
        "InstanceProfileList": [],
        "RolePolicyList": [
            {"PolicyName": key, "PolicyDocument": value} for key, value in (inline or {}).items()
        ],
        "AttachedManagedPolicies": [
            {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in managed or []
        ],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        "RoleLastUsed": {},
    }
    if boundary:
        detail["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": boundary,
        }
    return detail


def user(
    name: str,
    *,
    inline: dict[str, dict[str, Any]] | None = None,
    managed: list[str] | None = None,
    groups: list[str] | None = None,
    boundary: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "Path": "/",
        "UserName": name,
        "UserId": "AIDA" + name.upper().ljust(17, "X")[:17],
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
        "UserPolicyList": [
            {"PolicyName": key, "PolicyDocument": value} for key, value in (inline or {}).items()
        ],
        "GroupList": groups or [],
        "AttachedManagedPolicies": [
            {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in managed or []
        ],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if boundary:
        detail["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": boundary,
        }
    return detail


def group(
    name: str,
    *,
    inline: dict[str, dict[str, Any]] | None = None,
    managed: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "Path": "/",
        "GroupName": name,
        "GroupId": "AGPA" + name.upper().ljust(17, "X")[:17],
        "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
        "GroupPolicyList": [
            {"PolicyName": key, "PolicyDocument": value} for key, value in (inline or {}).items()
        ],
        "AttachedManagedPolicies": [
            {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in managed or []
        ],
    }


def policy(arn: str, document: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    versions = [
        {
            "Document": document,
            "VersionId": "v2",
            "IsDefaultVersion": True,
            "CreateDate": "2024-01-02T00:00:00Z",
        }
    ]
    if old is not None:
        versions.append(
            {
                "Document": old,
                "VersionId": "v1",
                "IsDefaultVersion": False,
                "CreateDate": "2024-01-01T00:00:00Z",
            }
        )
    return {
        "PolicyName": arn.rsplit("/", 1)[-1],
        "PolicyId": "ANPA" + arn.rsplit("/", 1)[-1].upper().ljust(17, "X")[:17],
        "Arn": arn,
        "Path": "/",
        "DefaultVersionId": "v2",
        "AttachmentCount": 1,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": "2024-01-01T00:00:00Z",
        "UpdateDate": "2024-01-02T00:00:00Z",
        "PolicyVersionList": versions,
    }


def account(
    roles: list[dict[str, Any]] | None = None,
    users: list[dict[str, Any]] | None = None,
    groups: list[dict[str, Any]] | None = None,
    policies: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "UserDetailList": users or [],
        "GroupDetailList": groups or [],
        "RoleDetailList": roles or [],
        "Policies": policies or [],
    }


def with_decoy_roles_key(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a ``RoleDetailList`` key inside its first user's record (a field iam-audit
    skips), so before the real one: a byte search for the key finds the decoy first."""
    data["UserDetailList"][0]["Notes"] = {"RoleDetailList": [{"Arn": "x"}]}
    return data


def with_role_not_json(data: dict[str, Any], index: int) -> str:
    """``data``'s JSON with role ``index`` no JSON (a value missing)."""
    text = json.dumps(data)
    role = json.dumps(data["RoleDetailList"][index])
    broken = text.replace(role, role.replace('"RoleName": ', '"RoleName": :', 1), 1)
    assert broken != text
    return broken
