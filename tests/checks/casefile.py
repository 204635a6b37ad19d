"""Turn a compact check case into a real authorization-details document."""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "111122223333"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
COGNITO_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cognito-idp.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def role_detail(name: str, spec: dict[str, Any], default_trust: dict[str, Any]) -> dict[str, Any]:
    account = spec.get("account", ACCOUNT)
    path = spec.get("path", "/")
    detail: dict[str, Any] = {
        "Path": path,
        "RoleName": name,
        "RoleId": "AROA" + name.upper()[:12].ljust(12, "X"),
        "Arn": f"arn:aws:iam::{account}:role{path}{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": spec.get("trust", default_trust),
        "InstanceProfileList": [],
        "RolePolicyList": [
            {"PolicyName": policy_name, "PolicyDocument": document}
            for policy_name, document in spec.get("inline", {}).items()
        ],
        "AttachedManagedPolicies": [
            {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}
            for arn in spec.get("managed", [])
        ],
        "Tags": [{"Key": k, "Value": v} for k, v in spec.get("tags", {}).items()],
    }
    if "boundary" in spec:
        detail["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": spec["boundary"],
        }
    return detail


def managed_detail(
    arn: str, document: Any, versions: dict[str, Any] | None = None
) -> dict[str, Any]:
    version_list = [
        {
            "Document": document,
            "VersionId": "v2",
            "IsDefaultVersion": True,
            "CreateDate": "2024-01-02T00:00:00Z",
        }
    ]
    for version_id, other in (versions or {}).items():
        version_list.append(
            {
                "Document": other,
                "VersionId": version_id,
                "IsDefaultVersion": False,
                "CreateDate": "2024-01-01T00:00:00Z",
            }
        )
    return {
        "PolicyName": arn.rsplit("/", 1)[-1],
        "PolicyId": "ANPA" + arn.rsplit("/", 1)[-1].upper()[:12].ljust(12, "X"),
        "Arn": arn,
        "Path": "/",
        "DefaultVersionId": "v2",
        "AttachmentCount": 1,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": "2024-01-01T00:00:00Z",
        "UpdateDate": "2024-01-02T00:00:00Z",
        "PolicyVersionList": version_list,
    }


def authorization_details(case: dict[str, Any]) -> dict[str, Any]:
    """A get-account-authorization-details document holding the case's roles and policies."""
    roles = []
    if "lambda_role" in case:
        roles.append(role_detail("MigrationRole", case["lambda_role"], LAMBDA_TRUST))
    if "logs_role" in case:
        roles.append(role_detail("ImportLogsRole", case["logs_role"], COGNITO_TRUST))
    policies = []
    for arn, spec in case.get("managed_policies", {}).items():
        if "document" in spec:
            policies.append(managed_detail(arn, spec["document"], spec.get("other_versions")))
        else:
            policies.append(managed_detail(arn, spec))
    return {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": roles,
        "Policies": policies,
    }


def lambda_function(case: dict[str, Any]) -> Any:
    """The case's migration function (``"function"``: name, optional ``resource_policy``), or None.

    The offline sources hold no Lambda functions, so COG009 cases bring their own: the function is
    built as the live source builds it from ``get-function-configuration`` and ``get-policy``.
    """
    from iam_audit.engine import parse_policy
    from iam_audit.model import LambdaFunction, Origin, PolicyKind, SourceKind

    spec = case.get("function")
    if spec is None:
        return None
    name = spec.get("name", "MigrateUsers")
    arn = f"arn:aws:lambda:eu-central-1:{spec.get('account', ACCOUNT)}:function:{name}"
    policy = None
    if "resource_policy" in spec:
        policy = parse_policy(
            json.dumps(spec["resource_policy"]),  # get-policy returns the policy as a string
            name=f"{name} resource policy",
            kind=PolicyKind.RESOURCE,
        )
    return LambdaFunction(
        arn=arn,
        name=name,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/MigrationRole",
        origin=Origin(SourceKind.LIVE, arn),
        resource_policy=policy,
    )
