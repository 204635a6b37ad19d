"""`iam-audit scan` under moto: two regions with pools, one region that denies the auditor.

moto covers IAM (without paging), Lambda and user pools but not ``list-user-import-jobs``; the
paging loop and the import-jobs reader are tested with botocore's Stubber in test_scan_stubbed.py.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import botocore.exceptions
import pytest

from iam_audit.cli import app
from iam_audit.errors import ExitCode
from iam_audit.findings import FailOn
from iam_audit.outcome import exit_code
from iam_audit.scan import resolve_regions, scan
from tests.conftest import one_session

ACCOUNT = "123456789012"  # moto's default account

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


def _migration_pool(
    session: Any, region: str, name: str, *, grant: bool, permission: str | None
) -> dict[str, str]:
    """A pool whose UserMigration trigger runs with role ``name``-role.

    ``grant``: the role may call AdminInitiateAuth on the pool (and nothing else).
    ``permission``: the pool ARN the function's invoke permission is bound to ("self" for this
    pool, another ARN, or None for no permission).
    """
    iam = session.client("iam")
    lam = session.client("lambda", region_name=region)
    idp = session.client("cognito-idp", region_name=region)
    role = iam.create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )
    function = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _zip()},
    )
    pool = idp.create_user_pool(
        PoolName=name, LambdaConfig={"UserMigration": function["FunctionArn"]}
    )["UserPool"]
    if grant:
        statement = {
            "Effect": "Allow",
            "Action": "cognito-idp:AdminInitiateAuth",
            "Resource": pool["Arn"],
        }
        iam.put_role_policy(
            RoleName=f"{name}-role",
            PolicyName="migrate",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
    if permission is not None:
        lam.add_permission(
            FunctionName=name,
            StatementId="cognito",
            Action="lambda:InvokeFunction",
            Principal="cognito-idp.amazonaws.com",
            SourceArn=pool["Arn"] if permission == "self" else permission,
        )
    return {"pool": pool["Arn"], "role": role["Role"]["Arn"], "function": function["FunctionArn"]}


@pytest.fixture
def account(moto_account: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """eu-central-1: a good pool and a pool without trigger; eu-west-1: a pool whose role lacks
    the grant and whose function lets no one invoke it. Calls are recorded per service."""

    session = moto_account
    good = _migration_pool(session, "eu-central-1", "good", grant=True, permission="self")
    session.client("cognito-idp", region_name="eu-central-1").create_user_pool(PoolName="plain")
    bad = _migration_pool(session, "eu-west-1", "bad", grant=False, permission=None)
    calls: list[tuple[str, str, str]] = []

    def record(model: Any, context: Any, **_: Any) -> None:
        calls.append((model.service_model.signing_name, model.name, context.get("client_region")))

    session.events.register("before-call.*.*", record)
    runner = one_session(session)
    return {"session": session, "good": good, "bad": bad, "calls": calls, "runner": runner}


def deny_region(session: Any, region: str) -> None:
    """Every Cognito call in ``region`` is denied, as an SCP or a region-scoped policy would."""

    def refuse(model: Any, context: Any, **_: Any) -> None:
        if (
            model.service_model.signing_name == "cognito-idp"
            and context.get("client_region") == region
        ):
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "AccessDeniedException",
                        "Message": f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized "
                        f"to perform: cognito-idp:{model.name}",
                    }
                },
                model.name,
            )

    session.events.register("before-call.*.*", refuse)


def _by_pool(result: Any, pool_arn: str) -> dict[str, str]:
    return {
        f.check: f.status.value for f in result.findings if f.locator.startswith(pool_arn + "#")
    }


def test_two_regions_every_pool_is_found_and_audited(account: dict[str, Any]) -> None:
    found = scan(account["session"], ["eu-central-1", "eu-west-1"])
    good, bad = account["good"], account["bad"]
    assert found.failures == ()
    assert found.pools == 3
    assert _by_pool(found.result, good["pool"]) == {
        "COG001": "pass",
        "COG002": "skip",  # moto has no import jobs: no logs role to judge
        "COG003": "skip",
        "COG004": "pass",
        "COG005": "fail",  # the role may not write its own logs
        "COG006": "pass",
        "COG007": "skip",
        "COG008": "pass",
        "COG009": "pass",
        "COG010": "skip",  # a scan does not read the functions' code
        "COG011": "skip",
    }
    bad_results = _by_pool(found.result, bad["pool"])
    assert (bad_results["COG001"], bad_results["COG009"]) == ("fail", "fail")
    messages = [f.message for f in found.result.findings if f.locator.startswith(bad["pool"])]
    assert all(m.startswith("[bad eu-west-1] ") for m in messages)
    notes = "\n".join(found.result.notes)
    assert "scanned 2 region(s): 3 user pool(s), 2 audited" in notes
    assert "no UserMigration trigger and no import job; nothing to audit" in notes
    assert "list-user-import-jobs is unavailable here" in notes
    assert (
        exit_code(found.result, fail_on=FailOn.ERROR, unread=bool(found.failures))
        is ExitCode.FINDINGS
    )


def test_a_denied_region_is_reported_and_the_rest_still_audited(account: dict[str, Any]) -> None:
    deny_region(account["session"], "eu-west-1")
    found = scan(account["session"], ["eu-central-1", "eu-west-1"])
    assert len(found.failures) == 1
    assert found.failures[0].startswith("region eu-west-1: AWS denied cognito-idp:ListUserPools")
    assert "cognito-idp:ListUserPools" in found.failures[0]  # names the permission it needs
    assert _by_pool(found.result, account["good"]["pool"])["COG001"] == "pass"
    assert _by_pool(found.result, account["bad"]["pool"]) == {}
    # incomplete beats "findings failed" and even "nothing failed"
    assert (
        exit_code(found.result, fail_on=FailOn.ERROR, unread=bool(found.failures)) is ExitCode.INPUT
    )
    assert (
        exit_code(found.result, fail_on=FailOn.NEVER, unread=bool(found.failures)) is ExitCode.INPUT
    )


def test_a_pool_deleted_mid_scan_is_a_failure_of_that_pool_only(account: dict[str, Any]) -> None:
    session = account["session"]
    victim = account["bad"]["pool"].rsplit("/", 1)[-1]

    def vanish(params: Any, **_: Any) -> None:
        if params.get("UserPoolId") == victim:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}},
                "DescribeUserPool",
            )

    session.events.register("before-parameter-build.*.DescribeUserPool", vanish)
    found = scan(session, ["eu-central-1", "eu-west-1"])
    assert found.failures == (
        f"pool {victim} (eu-west-1) was deleted while the scan ran; not audited",
    )
    assert _by_pool(found.result, account["good"]["pool"])["COG001"] == "pass"
    assert (
        exit_code(found.result, fail_on=FailOn.NEVER, unread=bool(found.failures)) is ExitCode.INPUT
    )


@pytest.mark.parametrize(
    ("extra", "code"),
    [([], 1), (["--fail-on", "never"], 0)],
    ids=["findings", "fail-on-never"],
)
def test_cli_exit_codes_when_every_region_is_read(
    account: dict[str, Any], extra: list[str], code: int
) -> None:
    result = account["runner"].invoke(
        app, ["scan", "--regions", "eu-central-1,eu-west-1", "-f", "json", *extra]
    )
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    assert {r["check"] for r in data["results"]} >= {"COG001", "COG009"}
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_suppressions_apply_to_a_scan(account: dict[str, Any], tmp_path: Any) -> None:
    """Every failing check suppressed with a reason: the scan passes the gate, results stay."""
    config = tmp_path / "gate.toml"
    config.write_text(
        '[[suppressions]]\ncheck = "COG*"\nrole = "*"\nreason = "accepted for the test"\n'
    )
    result = account["runner"].invoke(
        app, ["scan", "--regions", "eu-central-1,eu-west-1", "-f", "json", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    failing = [r for r in data["results"] if r["status"] == "fail"]
    assert failing
    assert all(r["suppressed"]["reason"] == "accepted for the test" for r in failing)


def test_cli_exit_3_when_a_region_is_denied(account: dict[str, Any]) -> None:
    deny_region(account["session"], "eu-west-1")
    result = account["runner"].invoke(
        app, ["scan", "--regions", "eu-central-1,eu-west-1", "--fail-on", "never"]
    )
    assert result.exit_code == 3
    assert (
        "warning: not read: region eu-west-1: AWS denied cognito-idp:ListUserPools" in result.stderr
    )
    assert "[good eu-central-1]" in result.stdout  # the readable region is still reported
    assert "exit 0 because" not in result.stdout  # exit 3: the table does not explain a 0


def test_cli_table_says_why_a_failing_scan_exits_0(account: dict[str, Any]) -> None:
    result = account["runner"].invoke(
        app, ["scan", "--regions", "eu-central-1,eu-west-1", "--fail-on", "never"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("; exit 0 because --fail-on is never")


def test_cli_exit_3_when_iam_cannot_be_read(account: dict[str, Any]) -> None:
    def refuse(model: Any, **_: Any) -> None:
        if model.name == "GetAccountAuthorizationDetails":
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "denied"}}, model.name
            )

    account["session"].events.register("before-call.*.*", refuse)
    result = account["runner"].invoke(app, ["scan", "--regions", "eu-central-1"])
    assert result.exit_code == 3
    assert "iam:GetAccountAuthorizationDetails" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "junit", "markdown"])
def test_every_audit_format(account: dict[str, Any], fmt: str) -> None:
    result = account["runner"].invoke(
        app, ["scan", "--regions", "eu-central-1,eu-west-1", "--format", fmt]
    )
    assert result.exit_code == 1, result.output  # COG001 fails for the bad pool
    assert "good" in result.stdout
    assert "bad" in result.stdout


def test_regions_option(account: dict[str, Any]) -> None:
    session = account["session"]
    assert resolve_regions(session, None) == ("eu-central-1",)
    assert resolve_regions(session, "eu-west-1, eu-central-1,eu-west-1") == (
        "eu-west-1",
        "eu-central-1",
    )
    every = resolve_regions(session, "all")
    assert {"eu-central-1", "us-east-1"} <= set(every)
    assert not any(r.startswith("cn-") for r in every)  # one partition: the session's
    result = account["runner"].invoke(app, ["scan", "--regions", "eu-middle-9"])
    assert result.exit_code == 3
    assert "eu-middle-9" in result.stderr


@pytest.mark.parametrize("extra_roles", [0, 150])
def test_api_calls_grow_with_pools_not_with_roles(
    account: dict[str, Any], extra_roles: int
) -> None:
    """O(N/1000 + P) calls: one IAM read for the whole account, a few calls per pool, none per
    role (moto serves the whole account in one page; the Marker loop is tested with Stubber)."""
    session, calls = account["session"], account["calls"]
    iam = session.client("iam")
    for index in range(extra_roles):
        iam.create_role(
            RoleName=f"filler-{index}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
        )
    calls.clear()
    scan(session, ["eu-central-1", "eu-west-1"])
    counts: dict[str, int] = {}
    for service, operation, _region in calls:
        counts[f"{service}:{operation}"] = counts.get(f"{service}:{operation}", 0) + 1
    pools, functions, regions = 3, 2, 2
    assert counts == {
        "iam:GetAccountAuthorizationDetails": 1,
        "cognito-idp:ListUserPools": regions,
        "cognito-idp:DescribeUserPool": pools,
        "cognito-idp:ListUserImportJobs": pools,
        "lambda:GetFunctionConfiguration": functions,
        "lambda:GetPolicy": functions,
    }


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from iam_audit.cli import scale

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with scale._progress(3, "reading the account") as tick:
        for item in ("iam", "eu-west-1", "eu-central-1"):
            tick(item)
    assert "reading the account" in terminal.getvalue()
    assert "100%" in terminal.getvalue()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with scale._progress(3, "reading the account") as tick:
        tick("iam")
    assert piped.getvalue() == ""


def test_cli_a_check_that_crashes_in_a_scan_is_exit_4_and_one_line(
    account: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 item 13: a crash is exit 4 (never 1, the findings code), said in one line."""
    from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth

    def broken(self: object, target: object) -> Any:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(LambdaAdminInitiateAuth, "run", broken)
    result = account["runner"].invoke(
        app, ["scan", "--regions", "eu-central-1,eu-west-1", "-f", "json"]
    )
    assert result.exit_code == 4, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("internal error: [")  # the pool it crashed on
    assert "check COG001 crashed: ZeroDivisionError" in lines[0]
    assert lines[0].endswith("IAM_AUDIT_DEBUG=1 shows the traceback")
