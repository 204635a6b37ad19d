"""``iam-audit demo``: the whole story on an embedded moto account, no AWS account needed."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import typer

from iam_audit.errors import ExitCode, InputError, InternalError
from iam_audit.fix.plan import service_trust_statement
from iam_audit.outcome import exit_code

REGION = "eu-central-1"


def _document(*statements: dict[str, Any]) -> str:
    """A policy document of ``statements``, as the IAM API takes it (JSON text)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(service: str) -> str:
    """A trust policy that lets ``service`` assume the role."""
    return _document(service_trust_statement(service))


def _allow(actions: list[str], resource: str) -> str:
    """A permissions policy that allows ``actions`` on ``resource``."""
    return _document({"Effect": "Allow", "Action": actions, "Resource": resource})


_HANDLER = b"""import os

import boto3

cognito = boto3.client("cognito-idp")


def lambda_handler(event, context):
    if event["triggerSource"] == "UserMigration_Authentication":
        cognito.admin_initiate_auth(
            UserPoolId=os.environ["OLD_USER_POOL_ID"],
            ClientId=os.environ["OLD_CLIENT_ID"],
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": event["userName"], "PASSWORD": event["request"]["password"]},
        )
    return event
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", _HANDLER)
    return buffer.getvalue()


def seed(session: Any) -> dict[str, str]:
    """A pool with a migration trigger whose role lacks AdminInitiateAuth, and a logs role
    trusted by EC2 instead of Cognito. Returns the names the story uses."""
    iam = session.client("iam")
    lam = session.client("lambda", region_name=REGION)
    idp = session.client("cognito-idp", region_name=REGION)
    lambda_role = iam.create_role(
        RoleName="TestingMigration-role",
        Path="/service-role/",
        AssumeRolePolicyDocument=_trust("lambda.amazonaws.com"),
    )["Role"]
    iam.put_role_policy(
        RoleName="TestingMigration-role",
        PolicyName="basic-logging",
        PolicyDocument=_allow(
            ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "*"
        ),
    )
    iam.create_role(
        RoleName="CognitoImportLogs", AssumeRolePolicyDocument=_trust("ec2.amazonaws.com")
    )
    iam.put_role_policy(
        RoleName="CognitoImportLogs",
        PolicyName="cognito-import-logs",
        PolicyDocument=_allow(
            [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            "arn:aws:logs:*:*:log-group:/aws/cognito/*",
        ),
    )
    function = lam.create_function(
        FunctionName="TestingMigration",
        Runtime="python3.12",
        Role=lambda_role["Arn"],
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": _zip()},
        Timeout=5,
    )
    pool = idp.create_user_pool(
        PoolName="imported-users",
        LambdaConfig={"UserMigration": function["FunctionArn"]},
    )["UserPool"]
    # The function migrates from the pool's own legacy users (one pool keeps the story short).
    lam.update_function_configuration(
        FunctionName="TestingMigration",
        Environment={"Variables": {"OLD_USER_POOL_ID": pool["Id"], "OLD_CLIENT_ID": "demo"}},
    )
    # What the console adds by itself when it wires a trigger (COG009): the story is about roles.
    lam.add_permission(
        FunctionName="TestingMigration",
        StatementId="cognito-idp-user-migration",
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn=pool["Arn"],
    )
    return {"pool_arn": pool["Arn"], "logs_role": "CognitoImportLogs"}


def _run(args: list[str]) -> int:
    from iam_audit.cli import app

    typer.echo(f"\n$ iam-audit {' '.join(args)}")
    command = typer.main.get_command(app)
    code = command.main(args, prog_name="iam-audit", standalone_mode=False)
    code = int(code or 0)
    typer.echo(f"[exit {code}]")
    return code


def run_demo() -> ExitCode:
    """Seed a moto account and run the story; 0 when every step exited as designed."""
    try:
        from moto import mock_aws
    except ImportError:
        raise InputError(
            "the demo needs moto", advice="pip install 'iam-audit[dev]' or run `make demo`"
        ) from None
    import boto3

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty"
        empty.write_text("")
        overrides = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(empty),
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        }
        saved = {
            key: os.environ.get(key) for key in [*overrides, "AWS_ENDPOINT_URL", "AWS_PROFILE"]
        }
        os.environ.update(overrides)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ.pop("AWS_PROFILE", None)
        try:
            with mock_aws():
                names = seed(boto3.session.Session(region_name=REGION))
                typer.echo(
                    "Demo account (moto): user pool 'imported-users' with a UserMigration trigger "
                    "whose role lacks cognito-idp:AdminInitiateAuth, and an import logs role "
                    "trusted by ec2.amazonaws.com instead of cognito-idp.amazonaws.com."
                )
                # the package, as the function runs it: an embedded moto account has no real
                # code location to download it from, and the demo never leaves this machine
                package = Path(tmp) / "TestingMigration.zip"
                package.write_bytes(_zip())
                code = ["--function-code", str(package)]
                select = ["--user-pool-arn", names["pool_arn"], "--logs-role", names["logs_role"]]
                region = ["--region", REGION]
                backups = Path(tmp) / "backups"
                codes = [
                    _run(["audit", *select, *region, *code]),
                    _run(["fix", *select, *region, *code]),
                    _run(
                        [
                            "fix",
                            *select,
                            *region,
                            *code,
                            "--apply",
                            "--yes",
                            "--backup-dir",
                            str(backups),
                        ]
                    ),
                    _run(["audit", *select, *region, *code]),
                ]
                backup = sorted(backups.glob("*.json"))
                codes.append(
                    _run(["rollback", str(backup[-1]), "--yes", *region]) if backup else -1
                )
                codes.append(_run(["audit", *select, *region, *code]))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    expected = [1, 1, 0, 0, 0, 1]
    ok = codes == expected
    typer.echo(
        "\ndemo: the audit failed, the preview showed the fix, apply wrote it with a backup, the "
        "audit passed, rollback restored the account and the audit failed again, as designed"
        if ok
        else f"\ndemo: the story did not run as designed: exit codes {codes}, expected {expected}",
        err=True,
    )
    # a story that did not run as designed is a bug of the tool (exit 4), never a finding
    return exit_code(error=None if ok else InternalError(f"demo exit codes {codes}"))
