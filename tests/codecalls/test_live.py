"""Live: the package comes through the function's code location (moto; the download injected,
since moto's Code.Location names an S3 host it does not serve), the environment from its
configuration, and the audit judges the calls."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import asset, one_session

runner = CliRunner()
REGION = "eu-central-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _zip(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)
    return out.getvalue()


@pytest.fixture
def deployed(moto_account: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A forgot-password-only function (node_forgot_password) wired to a pool, its role
    allowed AdminInitiateAuth only."""
    from iam_audit.preflight import live

    code = _zip(asset("codecalls", "packages", "node_forgot_password"))
    urls: list[str] = []

    def fetch(url: str) -> bytes:
        urls.append(url)
        return code

    monkeypatch.setattr(live, "download", fetch)
    session = moto_account
    cognito = session.client("cognito-idp")
    old = cognito.create_user_pool(PoolName="old")["UserPool"]
    iam = session.client("iam")
    role = iam.create_role(RoleName="migrate-role", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]
    allow = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:AdminInitiateAuth", "Resource": old["Arn"]}
        ],
    }
    iam.put_role_policy(RoleName="migrate-role", PolicyName="p", PolicyDocument=json.dumps(allow))
    function = session.client("lambda").create_function(
        FunctionName="migrate", Runtime="nodejs20.x", Role=role["Arn"], Handler="index.handler",
        Code={"ZipFile": code}, Environment={"Variables": {"OLD_USER_POOL_ID": old["Id"]}},
    )  # fmt: skip
    new = cognito.create_user_pool(
        PoolName="new", LambdaConfig={"UserMigration": function["FunctionArn"]}
    )["UserPool"]
    return {"old": old["Arn"], "new": new["Arn"], "old_id": old["Id"]}


def test_lambda_calls_live(deployed: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["lambda", "calls", "--function", "migrate", "--region", REGION, "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    (call,) = json.loads(result.output)["calls"]
    assert (call["action"], call["resource"], call["resource_from"]) == (
        "cognito-idp:AdminGetUser",
        deployed["old"],
        "env OLD_USER_POOL_ID",
    )


def test_live_audit_reads_the_code_and_judges_its_calls(deployed: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        ["audit", "--user-pool-arn", deployed["new"], "--source-pool-arn", deployed["old"],
         "--region", REGION, "-f", "json"],
    )  # fmt: skip
    data = json.loads(result.output)
    verdicts = {
        (f["check"], f["status"], tuple(f["missing"]))
        for f in data["results"]
        if f["check"] in ("COG001", "COG010")
    }
    assert verdicts == {
        ("COG001", "skip", ()),
        ("COG010", "fail", ("cognito-idp:AdminGetUser",)),
    }
    assert result.exit_code == 1


def test_the_live_code_is_read_through_the_runs_session_factory(
    deployed: dict[str, str], moto_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One injected session factory: reading the function's package asks it too, never the
    credential chain behind the run's back."""
    from iam_audit import aws

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("a session made outside the run's session factory")

    monkeypatch.setattr(aws, "make_session", refuse)
    runner = one_session(moto_account)
    result = runner.invoke(
        app,
        ["audit", "--user-pool-arn", deployed["new"], "--source-pool-arn", deployed["old"],
         "--region", REGION, "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    cog010 = [f for f in json.loads(result.output)["results"] if f["check"] == "COG010"]
    assert [f["missing"] for f in cog010] == [["cognito-idp:AdminGetUser"]]
    assert runner.made == [(None, REGION), (None, REGION)]  # the account, then the code


def test_live_code_outside_the_endpoint_is_not_downloaded(
    deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With AWS_ENDPOINT_URL set, a code location on another host is never fetched."""
    from iam_audit.codecalls.target import fetch_within_endpoint

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    with pytest.raises(Exception, match="outside AWS_ENDPOINT_URL"):
        fetch_within_endpoint(
            "https://awslambda-eu-central-1-tasks.s3.eu-central-1.amazonaws.com/x"
        )
