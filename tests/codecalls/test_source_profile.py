"""COG011 with the source account read live (``--source-profile``), under moto.

moto keeps accounts apart by credentials: what ``sts:AssumeRole`` into a role of account
222233334444 returns acts in that account. Those credentials are the ``legacy`` profile; the
function's account comes from its authorization-details file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import asset

SOURCE = "222233334444"
OLD_POOL = f"arn:aws:cognito-idp:eu-west-1:{SOURCE}:userpool/eu-west-1_OldPool1"
READER = f"arn:aws:iam::{SOURCE}:role/legacy-pool-reader"
ENV = (
    f"SOURCE_ROLE_ARN={READER}",
    "SOURCE_EXTERNAL_ID=migr-7f3a",
    "SOURCE_USER_POOL_ID=eu-west-1_OldPool1",
    "SOURCE_REGION=eu-west-1",
    "SOURCE_CLIENT_ID=x",
)


def _source_account(session: Any, tmp_path: Path, external_id: str) -> Path:
    """The source account's role, made with credentials of that account; the ``legacy`` profile."""
    sts = session.client("sts")
    admin = sts.assume_role(
        RoleArn=f"arn:aws:iam::{SOURCE}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    keys = {
        "aws_access_key_id": admin["AccessKeyId"],
        "aws_secret_access_key": admin["SecretAccessKey"],
        "aws_session_token": admin["SessionToken"],
    }
    iam = session.client("iam", **keys)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/migration-cross"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    iam.create_role(RoleName="legacy-pool-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="legacy-pool-reader",
        PolicyName="access",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["cognito-idp:AdminInitiateAuth", "cognito-idp:AdminGetUser"],
                        "Resource": OLD_POOL,
                    }
                ],
            }
        ),
    )
    credentials = tmp_path / "credentials"
    credentials.write_text("[legacy]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    return credentials


@pytest.mark.parametrize(("external_id", "trust"), [("migr-7f3a", "pass"), ("rotated", "fail")])
def test_the_source_account_read_live_through_a_profile(
    moto_account: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, external_id: str, trust: str
) -> None:
    credentials = _source_account(moto_account, tmp_path, external_id)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "--authorization-details", str(asset("codecalls", "accounts", "function_account.json")),
            "--lambda-role", "migration-cross", "--source-pool-arn", OLD_POOL,
            "--function-code", str(asset("codecalls", "packages", "py_cross_account")),
            "--source-profile", "legacy", "-f", "json", *[f"--env={e}" for e in ENV],
        ],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    found = [r for r in json.loads(result.stdout)["results"] if r["check"] == "COG011"]
    statuses = {r["message"].split(":")[0]: r["status"] for r in found}
    trust_results = [r["status"] for r in found if "trust" in r["message"]]
    assert trust_results == [trust], found
    pool_results = {r["status"] for r in found if "Source role legacy-pool-reader" in r["message"]}
    assert pool_results == {"pass"}, statuses
