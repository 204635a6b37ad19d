"""The command line, through Typer's runner: every exit code of the README's table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.templates import policies_dir
from tests.conftest import asset, write_json

runner = CliRunner()
POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
BROKEN = ["--lambda-role", "TestingMigration-role", "--logs-role", "CognitoImportLogs"]
GOOD = ["--lambda-role", "GoodMigration", "--logs-role", "GoodImportLogs"]


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def audit(*args: str) -> Any:
    details = str(asset("auth_details", "account.json"))
    return run("audit", "--authorization-details", details, "--user-pool-arn", POOL, *args)


def one_error_line(result: Any) -> str:
    """Bad input: exactly one line on stderr, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def test_broken_pair_exits_1_with_the_fix() -> None:
    result = audit(*BROKEN)
    assert result.exit_code == 1, result.output
    assert "FAIL  COG001" in result.stdout
    assert "FAIL  COG003" in result.stdout
    assert '"Action": "cognito-idp:AdminInitiateAuth"' in result.stdout


def test_healthy_pair_exits_0() -> None:
    result = audit(*GOOD)
    assert result.exit_code == 0, result.stdout
    assert "0 failed" in result.stdout


@pytest.mark.parametrize(
    ("fail_on", "pair", "code"),
    [
        ("error", GOOD, 0),
        ("never", BROKEN, 0),
        ("error", BROKEN, 1),
        ("warning", BROKEN, 1),
    ],
)
def test_fail_on_threshold(fail_on: str, pair: list[str], code: int) -> None:
    assert audit(*pair, "--fail-on", fail_on).exit_code == code


def test_warning_only_fails_with_fail_on_warning(tmp_path: Path) -> None:
    # a role whose only defect is a warning-level one (COG005: no /aws/lambda logging)
    data = json.loads(asset("auth_details", "account.json").read_text())
    for role in data["RoleDetailList"]:
        if role["RoleName"] == "GoodMigration":
            role["AttachedManagedPolicies"] = []
    path = write_json(tmp_path / "auth.json", data)
    base = ["audit", "--authorization-details", str(path), "--user-pool-arn", POOL, *GOOD]
    assert run(*base).exit_code == 0
    assert run(*base, "--fail-on", "warning").exit_code == 1


def test_json_output_matches_schema() -> None:
    result = audit(*BROKEN, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    schema = json.loads((policies_dir() / "schemas" / "audit-result.schema.json").read_text())
    jsonschema.validate(data, schema)
    by_check = {(r["check"], r["role"].rsplit("/", 1)[-1]): r for r in data["results"]}
    cog001 = by_check[("COG001", "TestingMigration-role")]
    assert cog001["status"] == "fail"
    assert cog001["missing"] == ["cognito-idp:AdminInitiateAuth"]
    assert cog001["fix"]["Statement"][0]["Resource"] == POOL


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = audit(*GOOD, "--format", "json", "--output", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["summary"]["fail"] == 0


def test_url_encoded_raw_api_documents_give_the_same_answer() -> None:
    plain = audit(*BROKEN, "--format", "json")
    raw = run(
        "audit",
        "--authorization-details",
        str(asset("auth_details", "account-urlencoded.json")),
        "--user-pool-arn",
        POOL,
        *BROKEN,
        "--format",
        "json",
    )
    assert raw.exit_code == plain.exit_code == 1
    strip = lambda out: [  # noqa: E731
        {k: v for k, v in r.items() if k != "origin"} for r in json.loads(out)["results"]
    ]
    assert strip(raw.stdout) == strip(plain.stdout)


# --- usage errors: 2 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "--no-such-option"],
        ["audit", "--format", "xml"],
        ["audit", "--user-pool-arn", POOL, "--user-pool-id", "eu-central-1_AbC"],
        ["simulate", "--action", "s3:GetObject"],
        ["fix", "--format", "sarif"],
    ],
    ids=["unknown-option", "bad-format", "two-pools", "missing-resource", "fix-sarif"],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args).exit_code == 2


# --- input problems: 3 -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    result = run("audit", "--authorization-details", str(tmp_path / "nope.json"), *BROKEN)
    assert result.exit_code == 3
    assert "nope.json" in one_error_line(result)


def test_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"RoleDetailList": [')
    result = run("audit", "--authorization-details", str(bad), *BROKEN)
    assert result.exit_code == 3
    assert "not valid JSON" in one_error_line(result)


def test_json_but_not_authorization_details(tmp_path: Path) -> None:
    path = write_json(tmp_path / "other.json", {"Roles": []})
    result = run("audit", "--authorization-details", str(path), *BROKEN)
    assert result.exit_code == 3
    assert "not authorization details" in one_error_line(result)


def test_nothing_to_audit_is_not_a_silent_pass(tmp_path: Path) -> None:
    # no role named and nothing to discover them from (an account file knows no pool or function,
    # and no role of it is trusted by Cognito): the gate must not pass with all skips
    details = tmp_path / "account.json"
    details.write_text(
        json.dumps(
            {
                "RoleDetailList": [
                    {
                        "RoleName": "worker",
                        "Arn": "arn:aws:iam::123456789012:role/worker",
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "lambda.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        },
                    }
                ]
            }
        )
    )
    result = run("audit", "--authorization-details", str(details), "--user-pool-arn", POOL)
    assert result.exit_code == 3
    assert "nothing to audit" in one_error_line(result)


def test_an_account_file_discovers_the_logs_role_by_its_trust() -> None:
    # the same file read by `audit` with no role named: the role Cognito may assume is the logs role
    result = audit("--format", "json")
    data = json.loads(result.stdout)
    assert {r["role"] for r in data["results"] if r["check"] == "COG003"} == {
        "arn:aws:iam::123456789012:role/GoodImportLogs"
    }


def test_role_not_in_source() -> None:
    result = audit("--lambda-role", "NoSuchRole")
    assert result.exit_code == 3
    assert "NoSuchRole" in one_error_line(result)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--user-pool-arn", "not-an-arn"),
        ("--source-pool-arn", "arn:aws:s3:::bucket"),
        ("--user-pool-id", "pool-without-region"),
    ],
)
def test_invalid_arn(option: str, value: str) -> None:
    details = str(asset("auth_details", "account.json"))
    result = run(
        "audit",
        "--authorization-details",
        details,
        *BROKEN,
        option,
        value,
        "--account-id",
        "123456789012",
    )
    assert result.exit_code == 3
    assert value in one_error_line(result)


def test_policy_that_is_not_a_policy_names_file_and_path(tmp_path: Path) -> None:
    data = json.loads(asset("auth_details", "account.json").read_text())
    data["RoleDetailList"][0]["RolePolicyList"] = [
        {"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "allow", "Action": "*"}]}}
    ]
    path = write_json(tmp_path / "auth.json", data)
    name = data["RoleDetailList"][0]["RoleName"]
    result = run("audit", "--authorization-details", str(path), "--lambda-role", name)
    assert result.exit_code == 3
    line = one_error_line(result)
    assert "auth.json" in line
    assert "Effect" in line


def test_live_without_credentials(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run("audit", "--lambda-role", "r", "--region", "eu-central-1")
    assert result.exit_code == 3
    assert "no AWS credentials" in one_error_line(result)


def test_unknown_profile(aws_env: Path) -> None:
    result = run("audit", "--lambda-role", "r", "--profile", "nope")
    assert result.exit_code == 3
    assert "nope" in one_error_line(result)


def test_auditor_denied_names_the_permission(aws_env: Path) -> None:
    """moto enforces IAM for this test: the auditor may only list, so GetRole is denied."""
    import boto3
    from moto import mock_aws
    from moto.core import enable_iam_authentication

    with mock_aws():
        iam = boto3.client("iam")
        iam.create_role(RoleName="target", AssumeRolePolicyDocument="{}")
        iam.create_user(UserName="auditor")
        iam.put_user_policy(
            UserName="auditor",
            PolicyName="list-only",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        mp = pytest.MonkeyPatch()
        mp.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        mp.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        try:
            with enable_iam_authentication():
                result = run("audit", "--lambda-role", "target", "--region", "eu-central-1")
        finally:
            mp.undo()
    assert result.exit_code == 3
    assert "iam:GetRole" in one_error_line(result)


# --- internal error: 4; interrupted: 130 -----------------------------------------------------


def test_crashing_check_is_reported_and_exits_4(monkeypatch: pytest.MonkeyPatch) -> None:
    from iam_audit.checks import cog004_lambda_role_trust

    def boom(self: object, target: object) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cog004_lambda_role_trust.LambdaRoleTrust, "run", boom)
    result = audit(*GOOD, "--format", "json")
    assert result.exit_code == 4
    data = json.loads(result.stdout)
    crashed = [r for r in data["results"] if r["status"] == "error"]
    assert [r["check"] for r in crashed] == ["COG004"]
    # the other checks still ran
    assert any(r["check"] == "COG001" and r["status"] == "pass" for r in data["results"])


def test_fix_of_a_crashing_check_is_not_nothing_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that crashed ends fix with 4 too: its silence is not "nothing to fix"."""
    from iam_audit.checks import cog004_lambda_role_trust

    def boom(self: object, target: object) -> Any:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cog004_lambda_role_trust.LambdaRoleTrust, "run", boom)
    details = str(asset("auth_details", "account.json"))
    result = run("fix", "--authorization-details", details, "--user-pool-arn", POOL, *GOOD)
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert "COG004" in result.stderr


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from iam_audit.sources import auth_details

    def interrupted(self: object, ref: str) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(auth_details.AuthDetailsSource, "get_role", interrupted)
    result = audit(*GOOD)
    assert result.exit_code == 130


# --- checks, simulate, fix -------------------------------------------------------------------


def test_checks_lists_the_catalogue() -> None:
    result = run("checks", "--format", "json")
    assert result.exit_code == 0
    ids = [c["id"] for c in json.loads(result.stdout)]
    assert ids == sorted(ids)
    assert {"COG001", "COG002", "COG003", "COG004", "COG005", "COG006", "COG007", "COG008"} <= set(
        ids
    )


def test_fix_preview_prints_documents_and_writes_nothing_to_aws(tmp_path: Path) -> None:
    details = str(asset("auth_details", "account.json"))
    out = tmp_path / "fixes"
    result = run(
        "fix",
        "--authorization-details",
        details,
        "--user-pool-arn",
        POOL,
        *BROKEN,
        "--out-dir",
        str(out),
    )
    assert result.exit_code == 1, result.output
    assert "+++ b/TestingMigration-role/iam-audit-cognito-import" in result.stdout
    written = sorted(p.name for p in out.iterdir())
    assert written == [
        "CognitoImportLogs.trust.json",
        "TestingMigration-role.iam-audit-cognito-import.json",
    ]
    trust = json.loads((out / "CognitoImportLogs.trust.json").read_text())
    services = trust["Statement"][0]["Principal"]["Service"]
    assert services == ["ec2.amazonaws.com", "cognito-idp.amazonaws.com"]


def test_fix_on_healthy_pair_has_nothing_to_do() -> None:
    details = str(asset("auth_details", "account.json"))
    result = run("fix", "--authorization-details", details, "--user-pool-arn", POOL, *GOOD)
    assert result.exit_code == 0
    assert "nothing to fix" in result.stdout


def test_fix_partition_region_account_from_pool_arn(tmp_path: Path) -> None:
    details = str(asset("auth_details", "account.json"))
    gov = "arn:aws-us-gov:cognito-idp:us-gov-west-1:123456789012:userpool/us-gov-west-1_AbC"
    result = run(
        "fix",
        "--authorization-details",
        details,
        "--user-pool-arn",
        gov,
        "--logs-role",
        "TestingMigration-role",
        "--format",
        "json",
    )
    plan = json.loads(result.stdout)
    inline = next(c for c in plan["changes"] if c["target"] == "inline")
    resources = inline["after"]["Statement"][0]["Resource"]
    assert resources == ["arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:/aws/cognito/*"]
