"""Issue 10 items 1, 2, 5, 6, 7, 9, 10: which targets are discovered, and how verdicts make the exit.

Every case is an input of the real shape: the synthesized CDK stack in assets/cfn/cdk-sms, the
templates in assets/cfn/discovery (README there), the account file of assets/auth_details, and a
moto account for the live audit against ``scan``.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from iam_audit.cli import app
from iam_audit.scan import scan
from tests.conftest import asset

PSEUDO = ["--region", "eu-west-1", "--account-id", "111122223333"]
CDK_SMS = str(asset("cfn", "cdk-sms", "SmsPoolMigration.template.json"))


def template(name: str) -> str:
    return str(asset("cfn", "discovery", f"{name}.yaml"))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def results(result: Result) -> dict[tuple[str, str], dict[str, Any]]:
    data = json.loads(result.stdout)
    return {(r["check"], r["role"].rsplit("/", 1)[-1]): r for r in data["results"]}


# -- item 1: a skipped core check is an incomplete run, a missing part is not applicable -------


def test_a_named_role_without_a_pool_is_incomplete_and_names_the_option() -> None:
    details = str(asset("auth_details", "account.json"))
    args = ["--authorization-details", details, "--lambda-role", "TestingMigration-role"]
    result = invoke("audit", *args)
    assert result.exit_code == 3, result.output
    # the report is still written, and says what would complete it
    assert "SKIP  COG001" in result.stdout
    assert (
        "incomplete: COG001 could not run for "
        "arn:aws:iam::123456789012:role/service-role/TestingMigration-role: no source pool: pass --source-pool-arn or --user-pool-arn"
    ) in result.stdout
    fixed = invoke("fix", *args)
    assert fixed.exit_code == 3, fixed.output
    assert "nothing to fix" not in fixed.stdout
    assert "incomplete: COG001 could not run" in fixed.stdout


def test_no_logs_role_anywhere_is_not_applicable() -> None:
    # the CDK stack does no CSV import: the logs-role checks skip with a note, the run is green
    result = invoke("audit", "--template", CDK_SMS, *PSEUDO, "--format", "json")
    assert result.exit_code == 0, result.output
    found = results(result)
    assert found[("COG002", "")]["status"] == "skip"
    assert "the source does no CSV import" in found[("COG002", "")]["message"]
    assert found[("COG001", "<MigrateFnServiceRole1E09F297>")]["status"] == "pass"


# -- item 2: live audit and scan build the same targets ----------------------------------------

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


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_live_audit_takes_the_source_pool_from_the_environment_as_scan_does(
    moto_account: Any,
) -> None:
    session = moto_account
    idp = session.client("cognito-idp")
    legacy = idp.create_user_pool(PoolName="legacy")["UserPool"]
    role = session.client("iam").create_role(
        RoleName="migrate-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]
    grant = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "cognito-idp:AdminInitiateAuth",
                "Resource": legacy["Arn"],
            }
        ],
    }
    session.client("iam").put_role_policy(
        RoleName="migrate-role", PolicyName="migrate", PolicyDocument=json.dumps(grant)
    )
    function = session.client("lambda").create_function(
        FunctionName="migrate",
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {"OLD_USER_POOL_ID": legacy["Id"]}},
    )
    target = idp.create_user_pool(
        PoolName="new", LambdaConfig={"UserMigration": function["FunctionArn"]}
    )["UserPool"]

    audited = invoke(
        "audit", "--user-pool-arn", target["Arn"], "--region", "eu-central-1", "--format", "json"
    )
    assert audited.stdout, audited.output
    by_audit = results(audited)[("COG001", "migrate-role")]
    scanned = scan(session, ["eu-central-1"])
    by_scan = next(
        f for f in scanned.result.findings if f.check == "COG001" and f.role == role["Arn"]
    )
    assert by_audit["status"] == by_scan.status.value == "pass"
    # and the audit says what it discovered, and how
    notes = json.loads(audited.stdout)["notes"]
    assert (
        f"source pool {legacy['Arn']} taken from OLD_USER_POOL_ID in the environment of function "
        "migrate"
    ) in notes


# -- item 5: the SMS role CDK makes is not the logs role ---------------------------------------


def test_the_cdk_sms_role_is_not_a_logs_role_candidate() -> None:
    result = invoke("audit", "--template", CDK_SMS, *PSEUDO, "--format", "json")
    data = json.loads(result.stdout)
    assert not any("smsRole" in r["role"] for r in data["results"]), data["results"]
    assert (
        "role arn:aws:iam::111122223333:role/<UserssmsRole3629E766> is not a logs-role candidate: "
        "a user pool's SmsConfiguration names it (SnsCallerArn) (SMS role)"
    ) in data["notes"]


def test_an_sms_shaped_role_no_pool_names_is_not_a_candidate_either() -> None:
    # the same role in an account file (no pool to name it): ExternalId trust + sns:Publish
    from iam_audit.discover import logs_role_candidates
    from iam_audit.sources.cloudformation import load_template

    source = load_template(Path(CDK_SMS), region="eu-west-1", account_id="111122223333")
    inventory = source.inventory()
    alone = type(inventory)(roles=inventory.roles)
    found, notes = logs_role_candidates(alone)
    assert found == ()
    assert any(
        "Cognito may assume it only with an sts:ExternalId and it may sns:Publish" in n
        for n in notes
    )


# -- item 6: a verdict resting on an unresolved value is a warn naming it ----------------------


def test_a_grant_on_an_import_value_is_a_warn_naming_it() -> None:
    result = invoke("audit", "--template", template("import-value"), *PSEUDO, "--format", "json")
    found = results(result)[("COG001", "<MigrateRole>")]
    assert found["status"] == "warn"
    assert "!ImportValue shared-PoolArn" in found["message"]
    assert found["unresolved"] == ["<Unresolved.ImportValue.shared-PoolArn>"]


def test_a_source_pool_parameter_without_default_is_a_warn_never_the_import_pool() -> None:
    result = invoke("audit", "--template", template("no-default"), *PSEUDO, "--format", "json")
    found = results(result)[("COG001", "<MigrateRole>")]
    assert found["status"] == "warn"
    assert "--parameter LegacyPoolId=VALUE" in found["message"]
    assert "userpool/<Users>" not in found["message"]  # no fallback to the import pool
    given = invoke(
        "audit",
        "--template",
        template("no-default"),
        *PSEUDO,
        "--parameter",
        "LegacyPoolId=eu-west-1_Legacy01",
        "--format",
        "json",
    )
    assert results(given)[("COG001", "<MigrateRole>")]["status"] == "pass"


# -- item 7: nothing Cognito in the template is not applicable ---------------------------------


def test_a_template_with_nothing_of_an_import_is_not_applicable() -> None:
    result = invoke("audit", "--template", template("s3-only"), *PSEUDO, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["results"] == []
    assert len(data["notes"]) == 1
    assert data["notes"][0].startswith("not applicable:")


def test_a_named_role_that_is_not_there_stays_an_input_error() -> None:
    result = invoke("audit", "--template", template("s3-only"), *PSEUDO, "--lambda-role", "Nope")
    assert result.exit_code == 3
    assert "'Nope' is not in" in result.stderr


# -- item 9: several pools are each audited ----------------------------------------------------


def test_each_pool_with_a_trigger_is_audited() -> None:
    result = invoke("audit", "--template", template("two-pools"), *PSEUDO, "--format", "json")
    assert result.exit_code == 1, result.output
    found = results(result)
    assert found[("COG001", "eu-migrate")]["status"] == "pass"
    assert found[("COG001", "us-migrate")]["status"] == "fail"
    assert found[("COG001", "us-migrate")]["message"].startswith("[us-users] ")
    assert "eu-west-1_UsLegacy2" in found[("COG001", "us-migrate")]["message"]


# -- item 10: --lambda-role finds the function the trigger does not reach ----------------------


def test_the_lambda_role_leads_to_its_function() -> None:
    result = invoke(
        "audit",
        "--template",
        template("trigger-elsewhere"),
        *PSEUDO,
        "--lambda-role",
        "MigrateRole",
        "--format",
        "json",
    )
    found = results(result)
    # COG001: the source pool from the function's environment
    assert found[("COG001", "migrate")]["status"] == "pass"
    # COG005: the function's own log group, in its region: the role may log to
    # /aws/lambda/legacy-migrate only, so a pass means that group (not /aws/lambda/*) was asked
    assert found[("COG005", "migrate")]["status"] == "pass"
    # COG009: its invoke permission, read
    assert found[("COG009", "migrate")]["status"] == "pass"
    assert (
        "function legacy-migrate runs with the Lambda role arn:aws:iam::111122223333:role/migrate"
        in json.loads(result.stdout)["notes"]
    )


@pytest.mark.parametrize("command", ["audit", "fix"])
def test_parameter_option_is_offered_for_templates(command: str) -> None:
    result = invoke(command, "--help")
    assert "--parameter" in result.stdout


# -- item 5: several logs-role candidates are said, never picked ------------------------------


def test_several_logs_role_candidates_make_an_incomplete_run() -> None:
    result = invoke("audit", "--template", template("two-logs-roles"), *PSEUDO)
    assert result.exit_code == 3, result.output
    assert (
        "several roles trust cognito-idp.amazonaws.com (arn:aws:iam::111122223333:role/import-logs-a"
        ", arn:aws:iam::111122223333:role/import-logs-b); none was picked; pass --logs-role"
    ) in result.stderr
    chosen = invoke(
        "audit", "--template", template("two-logs-roles"), *PSEUDO, "--logs-role", "import-logs-a"
    )
    assert chosen.exit_code == 0, chosen.output
