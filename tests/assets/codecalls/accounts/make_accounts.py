"""Regenerate the two-account authorization-details files with moto's IAM (no AWS account).

    .venv/bin/python tests/assets/codecalls/accounts/make_accounts.py [FILE ...]

(with FILE names, only those files are written).

The function account (111122223333) holds the migration functions' roles; each source-account
file (222233334444) holds one variant of the role the cross-account code assumes. Every file is
moto's answer to ``get-account-authorization-details`` after the roles below were created.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import boto3
from moto import mock_aws

HERE = Path(__file__).resolve().parent
FUNCTION_ACCOUNT = "111122223333"
SOURCE_ACCOUNT = "222233334444"
SOURCE_ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/legacy-pool-reader"
OLD_POOL = f"arn:aws:cognito-idp:eu-west-1:{SOURCE_ACCOUNT}:userpool/eu-west-1_OldPool1"
SAME_POOL = f"arn:aws:cognito-idp:us-east-1:{FUNCTION_ACCOUNT}:userpool/us-east-1_Legacy1"
SECRET = f"arn:aws:secretsmanager:us-east-1:{FUNCTION_ACCOUNT}:secret:legacy-db-AbCdEf"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def _allow(actions: list[str], resource: str) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}


def _trust_aws(principal: str, external_id: str | None) -> dict[str, object]:
    statement: dict[str, object] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _trust_deny_outside(network: str) -> dict[str, object]:
    """Trust of the function account, with a Deny of every request from outside ``network``."""
    allow = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{FUNCTION_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    deny = {
        "Sid": "OnlyFromTheOffice",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": {"NotIpAddress": {"aws:SourceIp": network}},
    }
    return {"Version": "2012-10-17", "Statement": [allow, deny]}


ONLY: tuple[str, ...] = ()


def _write(name: str, account: str, roles: list[tuple[str, dict[str, object], dict[str, object] | None]]) -> None:
    if ONLY and name not in ONLY:
        return
    os.environ["MOTO_ACCOUNT_ID"] = account
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        for role, trust, inline in roles:
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
            if inline is not None:
                iam.put_role_policy(RoleName=role, PolicyName="access", PolicyDocument=json.dumps(inline))
        details = iam.get_account_authorization_details()
    details.pop("ResponseMetadata", None)
    (HERE / name).write_text(json.dumps(details, indent=1, default=str) + "\n", encoding="utf-8")


def main() -> None:
    fn_role = f"arn:aws:iam::{FUNCTION_ACCOUNT}:role/migration-cross"
    _write(
        "function_account.json",
        FUNCTION_ACCOUNT,
        [
            ("migration-cross", LAMBDA_TRUST, _allow(["sts:AssumeRole"], SOURCE_ROLE)),
            ("migration-cross-noassume", LAMBDA_TRUST, _allow(["logs:PutLogEvents"], "*")),
            ("migration-same", LAMBDA_TRUST, _allow(["cognito-idp:AdminInitiateAuth", "cognito-idp:AdminGetUser", "cognito-idp:AdminListGroupsForUser"], SAME_POOL)),
            ("migration-same-authonly", LAMBDA_TRUST, _allow(["cognito-idp:AdminInitiateAuth"], SAME_POOL)),
            ("migration-db", LAMBDA_TRUST, _allow(["secretsmanager:GetSecretValue"], SECRET)),
            ("migration-db-nosecret", LAMBDA_TRUST, _allow(["logs:PutLogEvents"], "*")),
        ],
    )
    reader = ["cognito-idp:AdminInitiateAuth", "cognito-idp:AdminGetUser"]
    variants = {
        "source_ok.json": (_trust_aws(fn_role, "migr-7f3a"), _allow(reader, OLD_POOL)),
        "source_ok_no_external_id.json": (_trust_aws(fn_role, None), _allow(reader, OLD_POOL)),
        "source_trusts_other.json": (_trust_aws("arn:aws:iam::999988887777:root", None), _allow(reader, OLD_POOL)),
        "source_other_external_id.json": (_trust_aws(fn_role, "something-else"), _allow(reader, OLD_POOL)),
        "source_no_getuser.json": (_trust_aws(fn_role, "migr-7f3a"), _allow(reader[:1], OLD_POOL)),
        "source_trusts_account.json": (_trust_aws(f"arn:aws:iam::{FUNCTION_ACCOUNT}:root", None), _allow(reader, OLD_POOL)),
        "source_trust_deny_outside_network.json": (_trust_deny_outside("203.0.113.0/24"), _allow(reader, OLD_POOL)),
    }
    for name, (trust, inline) in variants.items():
        _write(name, SOURCE_ACCOUNT, [("legacy-pool-reader", trust, inline)])


if __name__ == "__main__":
    ONLY = tuple(sys.argv[1:])
    main()
