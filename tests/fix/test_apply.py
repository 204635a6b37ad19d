"""``fix --apply`` under moto: every line of DESIGN.md's safety contract, with writes counted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.audit import run_checks
from iam_audit.cli import app
from iam_audit.errors import ApplyError, ConcurrentChangeError
from iam_audit.fix.apply import WRITE_OPERATIONS, apply_plan, raw_iam_client, read_backup
from iam_audit.fix.plan import INLINE_POLICY_NAME, plan_fixes
from iam_audit.select import Selection, resolve_target
from iam_audit.sources.live import LiveSource
from tests.conftest import one_session

runner = CliRunner()
V = "2012-10-17"
REGION = "eu-central-1"
LAMBDA_TRUST = {
    "Version": V,
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
EC2_TRUST_TEXT = (
    '{"Version": "2012-10-17", "Statement": [{"Sid": "Ec2", "Effect": "Allow", '
    '"Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}]}'
)
UNRELATED_TEXT = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}'

LOGGING_TEXT = json.dumps(
    {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*",
            }
        ],
    }
)


class Calls:
    """Every API call a boto3 session makes, as ``service:Operation``."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model: Any, **kwargs: Any) -> None:
        prefix = model.service_model.signing_name
        self.calls.append(f"{prefix}:{model.name}")

    def writes(self) -> list[str]:
        return [c for c in self.calls if c.split(":", 1)[1] in WRITE_OPERATIONS]


@pytest.fixture
def account(moto_account: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A moto account whose every call, the CLI's included, goes through one recorded session."""

    session = moto_account
    calls = Calls()
    session.events.register("before-call.*.*", calls)
    iam = session.client("iam")
    iam.create_role(RoleName="Migration", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.put_role_policy(RoleName="Migration", PolicyName="unrelated", PolicyDocument=UNRELATED_TEXT)
    iam.put_role_policy(RoleName="Migration", PolicyName="logging", PolicyDocument=LOGGING_TEXT)
    iam.create_role(RoleName="ImportLogs", AssumeRolePolicyDocument=EC2_TRUST_TEXT)
    pool = session.client("cognito-idp").create_user_pool(PoolName="p")["UserPool"]
    calls.calls.clear()
    return {
        "session": session,
        "iam": iam,
        "pool": pool["Arn"],
        "calls": calls,
        "runner": one_session(session),
    }


SELECT = Selection(lambda_role="Migration", logs_role="ImportLogs")


def _plan(account: dict[str, Any]) -> Any:
    source = LiveSource(session=account["session"], region=REGION)
    selection = Selection("Migration", "ImportLogs", user_pool_arn=account["pool"])
    target, _ = resolve_target(selection, source)
    result = run_checks(target)
    return plan_fixes(result.findings, [target.lambda_role, target.logs_role])


def _texts(session: Any) -> dict[str, str | None]:
    """Every document of both roles as exact text."""
    raw = raw_iam_client(session)
    from urllib.parse import unquote

    out: dict[str, str | None] = {}
    for role in ("Migration", "ImportLogs"):
        out[f"{role}/trust"] = unquote(
            raw.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        )
        for name in raw.list_role_policies(RoleName=role)["PolicyNames"]:
            doc = raw.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            out[f"{role}/{name}"] = unquote(doc)
    return out


def _cli(account: dict[str, Any], *extra: str, tmp_path: Path) -> Any:
    return account["runner"].invoke(
        app,
        [
            "fix",
            "--lambda-role",
            "Migration",
            "--logs-role",
            "ImportLogs",
            "--user-pool-arn",
            account["pool"],
            "--region",
            REGION,
            "--backup-dir",
            str(tmp_path / "b"),
            *extra,
        ],
    )


def test_preview_writes_nothing(account: dict[str, Any], tmp_path: Path) -> None:
    before = _texts(account["session"])
    result = _cli(account, tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "--- a/ImportLogs/trust" in result.stdout
    assert "+++ b/Migration/iam-audit-cognito-import" in result.stdout
    assert _texts(account["session"]) == before
    assert not (tmp_path / "b").exists()


def test_apply_merges_and_keeps_everything_else_byte_for_byte(
    account: dict[str, Any], tmp_path: Path
) -> None:
    result = _cli(account, "--apply", "--yes", tmp_path=tmp_path)
    assert result.exit_code == 0, result.output
    after = _texts(account["session"])
    assert after["Migration/unrelated"] == UNRELATED_TEXT
    assert after["Migration/trust"] == json.dumps(LAMBDA_TRUST)
    trust = json.loads(after["ImportLogs/trust"])
    # the existing Service list is extended, not replaced; the Sid stays
    assert trust["Statement"] == [
        {
            "Sid": "Ec2",
            "Effect": "Allow",
            "Principal": {"Service": ["ec2.amazonaws.com", "cognito-idp.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ]
    inline = json.loads(after[f"Migration/{INLINE_POLICY_NAME}"])
    assert inline["Statement"][0]["Action"] == "cognito-idp:AdminInitiateAuth"
    assert inline["Statement"][0]["Resource"] == account["pool"]
    assert "verified after writing" in result.stdout
    assert "0 failed" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_apply_reports_in_the_format_asked(
    account: dict[str, Any], tmp_path: Path, fmt: str
) -> None:
    # the report of --apply goes through the renderer of --format, as the preview does: JSON is
    # one document (the plan, the backup, the verified audit), also when there is nothing to do
    first = _cli(account, "--apply", "--yes", "--format", fmt, tmp_path=tmp_path)
    second = _cli(account, "--apply", "--yes", "--format", fmt, tmp_path=tmp_path)
    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    if fmt == "json":
        data = json.loads(first.stdout)
        assert set(data) == {"plan", "backup", "verified"}
        assert Path(data["backup"]).parent == tmp_path / "b"
        assert data["verified"]["summary"]["fail"] == 0
        assert [c["changed"] for c in data["plan"]["changes"]] == [True, True, True]
        again = json.loads(second.stdout)
        assert again == {"version": 1, "changes": [], "skipped": []}  # as `fix -f json` says
    else:
        assert "nothing was written" not in first.stdout + second.stdout
        preview, _, verified = first.stdout.partition("verified after writing:\n")
        assert "--- a/ImportLogs/trust" in preview
        assert preview.rstrip().endswith("3 document(s) to write")
        assert "0 failed" in verified
        assert second.stdout == "nothing to fix: every check that iam-audit can fix passes\n"


def test_second_apply_makes_no_write_calls(account: dict[str, Any], tmp_path: Path) -> None:
    assert _cli(account, "--apply", "--yes", tmp_path=tmp_path).exit_code == 0
    assert len(account["calls"].writes()) == 3  # trust, inline, and the logs role's inline
    account["calls"].calls.clear()
    second = _cli(account, "--apply", "--yes", tmp_path=tmp_path)
    assert second.exit_code == 0
    assert "nothing to change" in second.stderr
    assert account["calls"].writes() == []
    assert len(list((tmp_path / "b").glob("*.json"))) == 1  # no second backup


def test_concurrent_change_aborts_before_any_write(account: dict[str, Any], tmp_path: Path) -> None:
    plan = _plan(account)
    account["iam"].update_assume_role_policy(
        RoleName="ImportLogs", PolicyDocument=json.dumps(LAMBDA_TRUST)
    )
    before = _texts(account["session"])
    account["calls"].calls.clear()
    with pytest.raises(ConcurrentChangeError):
        apply_plan(plan, account["session"], backup_dir=tmp_path)
    assert account["calls"].writes() == []
    assert _texts(account["session"]) == before


def test_failure_after_first_write_restores_everything(
    account: dict[str, Any], tmp_path: Path
) -> None:
    plan = _plan(account)
    before = _texts(account["session"])
    state = {"puts": 0}

    def fail_second_write(model: Any, **kwargs: Any) -> None:
        if model.name in ("PutRolePolicy", "UpdateAssumeRolePolicy"):
            state["puts"] += 1
            if state["puts"] == 2:
                raise RuntimeError("injected failure")

    account["session"].events.register("before-call.iam.*", fail_second_write)
    with pytest.raises(ApplyError, match="restored"):
        apply_plan(plan, account["session"], backup_dir=tmp_path)
    account["session"].events.unregister("before-call.iam.*", fail_second_write)
    assert state["puts"] >= 2
    assert _texts(account["session"]) == before


def test_size_quota_refusal_writes_nothing(account: dict[str, Any], tmp_path: Path) -> None:
    big = {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::bucket-{i:05d}/*",
            }
            for i in range(300)
        ],
    }
    account["iam"].put_role_policy(
        RoleName="Migration", PolicyName="big", PolicyDocument=json.dumps(big)
    )
    plan = _plan(account)
    before = _texts(account["session"])
    account["calls"].calls.clear()
    with pytest.raises(ApplyError, match="quota of 10240"):
        apply_plan(plan, account["session"], backup_dir=tmp_path)
    assert account["calls"].writes() == []
    assert "iam:GetAccountSummary" in account["calls"].calls
    assert _texts(account["session"]) == before


def test_rollback_round_trip(account: dict[str, Any], tmp_path: Path) -> None:
    before = _texts(account["session"])
    assert _cli(account, "--apply", "--yes", tmp_path=tmp_path).exit_code == 0
    backup = next((tmp_path / "b").glob("*.json"))
    entries = read_backup(backup).entries
    assert {(e.role_name, e.kind, e.text is None) for e in entries} == {
        ("ImportLogs", "trust", False),
        ("Migration", "inline", True),
        ("ImportLogs", "inline", True),
    }
    result = account["runner"].invoke(app, ["rollback", str(backup), "--yes", "--region", REGION])
    assert result.exit_code == 0, result.output
    assert _texts(account["session"]) == before  # including the inline policy deleted again


def test_explicit_deny_is_not_patched_over(account: dict[str, Any], tmp_path: Path) -> None:
    deny = {
        "Version": V,
        "Statement": [
            {
                "Sid": "NoCognitoAdmin",
                "Effect": "Deny",
                "Action": "cognito-idp:Admin*",
                "Resource": "*",
            }
        ],
    }
    account["iam"].put_role_policy(
        RoleName="Migration", PolicyName="guardrail", PolicyDocument=json.dumps(deny)
    )
    result = _cli(account, "--apply", "--yes", tmp_path=tmp_path)
    assert "not fixed: COG001" in result.stdout
    assert "NoCognitoAdmin" in result.stdout
    texts = _texts(account["session"])
    assert f"Migration/{INLINE_POLICY_NAME}" not in texts  # no Allow that cannot work
    assert result.exit_code == 1  # a fix was left unapplied


def test_boundary_blocks_so_no_allow_is_written(account: dict[str, Any], tmp_path: Path) -> None:
    iam = account["iam"]
    boundary = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=json.dumps(
            {"Version": V, "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="Migration", PermissionsBoundary=boundary)
    result = _cli(account, "--apply", "--yes", tmp_path=tmp_path)
    assert "not fixed: COG001" in result.stdout
    assert "permissions boundary" in result.stdout
    assert f"Migration/{INLINE_POLICY_NAME}" not in _texts(account["session"])


def test_apply_without_terminal_or_yes_is_refused(account: dict[str, Any], tmp_path: Path) -> None:
    before = _texts(account["session"])
    result = _cli(account, "--apply", tmp_path=tmp_path)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert _texts(account["session"]) == before


def test_apply_with_offline_source_is_refused(tmp_path: Path) -> None:
    from tests.conftest import asset

    result = runner.invoke(
        app,
        [
            "fix",
            "--authorization-details",
            str(asset("auth_details", "account.json")),
            "--lambda-role",
            "TestingMigration-role",
            "--user-pool-arn",
            "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbC",
            "--apply",
            "--yes",
        ],
    )
    assert result.exit_code == 2
    assert "needs the live account" in result.stderr


def test_denied_write_names_the_permission_and_restores(
    account: dict[str, Any], tmp_path: Path
) -> None:
    """AWS refusing the second write: exit 3 naming iam:PutRolePolicy; the first write undone."""
    import botocore.exceptions

    before = _texts(account["session"])
    state = {"puts": 0}

    def deny_second_put(model: Any, **kwargs: Any) -> None:
        if model.name in ("PutRolePolicy", "UpdateAssumeRolePolicy"):
            state["puts"] += 1
            if state["puts"] == 2:
                raise botocore.exceptions.ClientError(
                    {
                        "Error": {
                            "Code": "AccessDenied",
                            "Message": "User: arn:aws:iam::123456789012:user/op is not authorized to perform: iam:PutRolePolicy on resource: role Migration",
                        }
                    },
                    model.name,
                )

    account["session"].events.register("before-call.iam.*", deny_second_put)
    result = _cli(account, "--apply", "--yes", tmp_path=tmp_path)
    account["session"].events.unregister("before-call.iam.*", deny_second_put)
    assert result.exit_code == 3, result.output
    assert "iam:PutRolePolicy" in result.stderr
    assert "restored" in result.stderr
    assert _texts(account["session"]) == before


# -- faults in process: outcomes per document, signals, backup validation ---------------------------

COLLEAGUE_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"Colleague","Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def _client_error(code: str, operation: str, status: int = 500) -> Exception:
    """An error as AWS sends it: IAM's ServiceFailure is HTTP 500 (IAM API Reference, Common
    Errors: "ServiceFailure ... HTTP Status Code: 500")."""
    import botocore.exceptions

    reply = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return botocore.exceptions.ClientError(reply, operation)  # type: ignore[arg-type]


def test_a_document_changed_after_our_write_is_left_not_overwritten(
    account: dict[str, Any], tmp_path: Path
) -> None:
    """A colleague edits the trust policy after iam-audit wrote it; a later write fails.

    The restore must not put the old text over the colleague's: "left changed", with --force named.
    """
    import boto3

    from iam_audit.fix.apply import ApplyFailed

    plan = _plan(account)
    before = _texts(account["session"])
    colleague = boto3.session.Session(region_name=REGION).client("iam")

    def edit_after_our_write(model: Any, **kwargs: Any) -> None:
        if model.name == "UpdateAssumeRolePolicy":
            colleague.update_assume_role_policy(
                RoleName="ImportLogs", PolicyDocument=COLLEAGUE_TRUST
            )

    def fail_put(model: Any, **kwargs: Any) -> None:
        if model.name == "PutRolePolicy":
            raise _client_error("ServiceFailure", "PutRolePolicy")

    events = account["session"].events
    events.register("after-call.iam.UpdateAssumeRolePolicy", edit_after_our_write)
    events.register("before-call.iam.PutRolePolicy", fail_put)
    with pytest.raises(ApplyFailed) as raised:
        apply_plan(plan, account["session"], backup_dir=tmp_path)
    events.unregister("after-call.iam.UpdateAssumeRolePolicy", edit_after_our_write)
    events.unregister("before-call.iam.PutRolePolicy", fail_put)
    assert raised.value.exit_code == 4
    lines = raised.value.lines()
    assert lines[0].startswith("ImportLogs trust policy: left changed (changed by someone else")
    assert "iam-audit rollback" in lines[0]
    assert "--force" in lines[0]
    assert "1 left changed" in raised.value.message
    assert (
        "iam:PutRolePolicy failed on AWS's side after the retries: ServiceFailure"
        in raised.value.message
    )
    assert _texts(account["session"]) == {**before, "ImportLogs/trust": COLLEAGUE_TRUST}


@pytest.mark.parametrize("second", [False, True])
def test_sigint_during_a_write_finishes_it_then_restores(
    account: dict[str, Any], tmp_path: Path, second: bool
) -> None:
    """The signal arrives while the second write is being sent (a before-call hook sends it).

    With a second signal during the restore, the restore stops after the call in flight and the
    rest is named with the rollback command.
    """
    import os
    import signal

    from iam_audit.fix.apply import ApplyFailed

    plan = _plan(account)
    before = _texts(account["session"])
    seen: list[str] = []

    def interrupt(model: Any, **kwargs: Any) -> None:
        seen.append(model.name)
        if seen == ["UpdateAssumeRolePolicy", "PutRolePolicy"]:
            os.kill(os.getpid(), signal.SIGINT)
        if second and model.name == "DeleteRolePolicy" and seen.count("DeleteRolePolicy") == 1:
            os.kill(os.getpid(), signal.SIGINT)

    events = account["session"].events
    for name in WRITE_OPERATIONS:
        events.register(f"before-call.iam.{name}", interrupt)
    with pytest.raises(ApplyFailed) as raised:
        apply_plan(plan, account["session"], backup_dir=tmp_path)
    for name in WRITE_OPERATIONS:
        events.unregister(f"before-call.iam.{name}", interrupt)
    assert raised.value.exit_code == 130
    assert "interrupted by SIGINT during the writes" in raised.value.message
    after = _texts(account["session"])
    if not second:
        assert after == before
        assert seen == [
            "UpdateAssumeRolePolicy",
            "PutRolePolicy",
            "DeleteRolePolicy",
            "UpdateAssumeRolePolicy",
        ]
        return
    # the delete in flight finished; the trust restore was skipped and named
    assert seen == ["UpdateAssumeRolePolicy", "PutRolePolicy", "DeleteRolePolicy"]
    assert f"Migration/{INLINE_POLICY_NAME}" not in after
    assert after["ImportLogs/trust"] != before["ImportLogs/trust"]
    skipped = [line for line in raised.value.lines() if "second interrupt" in line]
    assert skipped == [
        "ImportLogs trust policy: left changed (the restore was skipped by a second interrupt); "
        f"finish with: iam-audit rollback {raised.value.backup}"
    ]
    rolled = account["runner"].invoke(app, ["rollback", str(raised.value.backup), "--yes"])
    assert rolled.exit_code == 0, rolled.output
    assert _texts(account["session"]) == before


def _retarget(entry: dict[str, Any], data: dict[str, Any]) -> None:
    entry["role_arn"] = entry["role_arn"].replace("ImportLogs", "Other")


def _kind(entry: dict[str, Any], data: dict[str, Any]) -> None:
    entry["kind"] = "managed"


def _admin(entry: dict[str, Any], data: dict[str, Any]) -> None:
    """A "text before" that would let anyone assume the role."""
    entry["before"] = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
        '"Action":"sts:AssumeRole"}]}'
    )


def _no_added(entry: dict[str, Any], data: dict[str, Any]) -> None:
    entry["added"] = []


def _twice(entry: dict[str, Any], data: dict[str, Any]) -> None:
    data["entries"].append(dict(entry))


def _account(entry: dict[str, Any], data: dict[str, Any]) -> None:
    data["account"] = "111122223333"


def _old_format(entry: dict[str, Any], data: dict[str, Any]) -> None:
    data["format"] = "iam-audit-backup/1"


def _written_not_json(entry: dict[str, Any], data: dict[str, Any]) -> None:
    entry["written"] = "{"


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_retarget, "names role 'ImportLogs' but its ARN is"),
        (_kind, "is not a document fix --apply writes"),
        (_admin, "the backup was edited"),
        (_no_added, "the backup was edited"),
        (_twice, "lists a document twice"),
        (_account, "is for account 123456789012, the backup for 111122223333"),
        (_old_format, "older iam-audit"),
        (_written_not_json, "written text that is not JSON"),
    ],
)
def test_read_backup_refuses_an_edited_backup(
    account: dict[str, Any], tmp_path: Path, edit: Any, words: str
) -> None:
    from iam_audit.errors import InputError

    apply_plan(_plan(account), account["session"], backup_dir=tmp_path / "b")
    path = next((tmp_path / "b").glob("*.json"))
    assert len(read_backup(path).entries) == 3  # the untouched backup is accepted
    data = json.loads(path.read_text())
    trust = next(e for e in data["entries"] if e["kind"] == "trust")
    edit(trust, data)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    with pytest.raises(InputError, match=re.escape(words)):
        read_backup(edited)


@pytest.mark.parametrize(
    ("error", "exit_code", "text"),
    [
        (("AccessDenied", 403), 3, "AWS denied iam:PutRolePolicy"),
        (("ExpiredToken", 403), 3, "AWS rejected the credentials for iam:PutRolePolicy"),
        (
            ("MalformedPolicyDocument", 400),
            3,
            "AWS refused iam:PutRolePolicy: MalformedPolicyDocument",
        ),
        (("NoSuchEntity", 404), 3, "AWS refused iam:PutRolePolicy: NoSuchEntity"),
        (
            ("ConcurrentModification", 409),
            3,
            "AWS refused iam:PutRolePolicy: ConcurrentModification",
        ),
        (("Throttling", 400), 4, "iam:PutRolePolicy was throttled after the retries: Throttling"),
        (("ServiceFailure", 500), 4, "iam:PutRolePolicy failed on AWS's side after the retries"),
        ("closed", 4, "iam:PutRolePolicy failed: the connection to AWS dropped"),
        ("timeout", 4, "iam:PutRolePolicy failed: the connection to AWS dropped"),
        ("parse", 4, "iam:PutRolePolicy failed: AWS's reply could not be parsed"),
    ],
)
def test_aws_failures_of_a_write_are_one_line_exit_3_or_4(
    error: Any, exit_code: int, text: str
) -> None:
    import botocore.exceptions
    import botocore.parsers

    from iam_audit.fix.apply import _aws

    class Api:
        def put_role_policy(self, **kwargs: Any) -> None:
            if error == "closed":
                raise botocore.exceptions.ConnectionClosedError(endpoint_url="http://127.0.0.1:1/")
            if error == "timeout":
                raise botocore.exceptions.ReadTimeoutError(endpoint_url="http://127.0.0.1:1/")
            if error == "parse":
                raise botocore.parsers.ResponseParserError("Unable to parse response (not XML)")
            code, status = error
            raise botocore.exceptions.ClientError(
                {
                    "Error": {"Code": code, "Message": "the message"},
                    "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 1},
                },
                "PutRolePolicy",
            )

    from iam_audit.errors import IamAuditError

    with pytest.raises(IamAuditError) as raised:
        _aws(Api(), "iam", "PutRolePolicy", RoleName="r")
    assert int(raised.value.exit_code) == exit_code
    line = raised.value.diagnostics()
    assert text in line
    assert "\n" not in line


def test_edit_after_the_first_read_is_caught_by_the_read_before_the_write(
    account: dict[str, Any], tmp_path: Path
) -> None:
    """The issue's lost change: an edit while the quotas are read (after the first re-read)."""
    import boto3

    from iam_audit.fix.apply import ApplyFailed

    plan = _plan(account)
    before = _texts(account["session"])
    colleague = boto3.session.Session(region_name=REGION).client("iam")

    def edit(model: Any, **kwargs: Any) -> None:
        colleague.update_assume_role_policy(RoleName="ImportLogs", PolicyDocument=COLLEAGUE_TRUST)

    account["session"].events.register("before-call.iam.GetAccountSummary", edit)
    account["calls"].calls.clear()
    with pytest.raises(ApplyFailed, match="ImportLogs trust policy changed after it was backed up"):
        apply_plan(plan, account["session"], backup_dir=tmp_path)
    account["session"].events.unregister("before-call.iam.GetAccountSummary", edit)
    assert account["calls"].writes() == []
    assert _texts(account["session"]) == {**before, "ImportLogs/trust": COLLEAGUE_TRUST}


def test_backup_is_0600_in_a_folder_made_0700(account: dict[str, Any], tmp_path: Path) -> None:
    """A backup folder open to others (an older run's 0755) is closed before the backup is made."""
    import stat

    folder = tmp_path / "b"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    report = apply_plan(_plan(account), account["session"], backup_dir=folder)
    assert report.backup is not None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(report.backup.stat().st_mode) == 0o600
    data = json.loads(report.backup.read_text())
    after = _texts(account["session"])
    assert {(e["role_name"], e["policy_name"]): e["written"] for e in data["entries"]} == {
        ("ImportLogs", "trust"): after["ImportLogs/trust"],
        ("ImportLogs", INLINE_POLICY_NAME): after[f"ImportLogs/{INLINE_POLICY_NAME}"],
        ("Migration", INLINE_POLICY_NAME): after[f"Migration/{INLINE_POLICY_NAME}"],
    }


def test_sigint_during_rollback_finishes_the_write_in_flight_and_a_rerun_completes(
    account: dict[str, Any], tmp_path: Path
) -> None:
    import os
    import signal

    before = _texts(account["session"])
    report = apply_plan(_plan(account), account["session"], backup_dir=tmp_path)
    seen: list[str] = []

    def interrupt(model: Any, **kwargs: Any) -> None:
        seen.append(model.name)
        if len(seen) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    events = account["session"].events
    events.register("before-call.iam.DeleteRolePolicy", interrupt)
    result = account["runner"].invoke(app, ["rollback", str(report.backup), "--yes"])
    events.unregister("before-call.iam.DeleteRolePolicy", interrupt)
    assert result.exit_code == 130, result.output
    assert seen == ["DeleteRolePolicy"]  # the first restore (last document) finished, then stop
    assert "interrupted by SIGINT" in result.stderr
    assert result.stderr.count(": left changed (not reached)") == 2
    half = _texts(account["session"])
    assert f"Migration/{INLINE_POLICY_NAME}" not in half
    assert half["ImportLogs/trust"] != before["ImportLogs/trust"]
    again = account["runner"].invoke(app, ["rollback", str(report.backup), "--yes"])
    assert again.exit_code == 0, again.output
    assert "Migration inline policy iam-audit-cognito-import: already as before" in again.stderr
    assert _texts(account["session"]) == before


@pytest.mark.parametrize(
    ("command", "made"),
    [
        (["audit", "--lambda-role", "Migration"], [("auditor", REGION)]),
        (["fix", "--lambda-role", "Migration"], [("auditor", REGION)]),
        (["scan", "--regions", REGION], [("auditor", REGION)]),
        # who-can reads IAM, global: its one session is made without a region
        (["who-can", "iam:GetRole", "--resource", "*"], [("auditor", None)]),
    ],
)
def test_every_live_command_makes_its_session_with_the_injected_factory(
    account: dict[str, Any], command: list[str], made: list[tuple[str | None, str | None]]
) -> None:
    """The session factory is the one seam to AWS: ``--profile`` and ``--region`` reach it, and
    the command reads the account through the session it returns (moto's, recorded)."""
    extra = ["--profile", "auditor"] + (["--region", REGION] if command[0] != "who-can" else [])
    if command[0] in ("audit", "fix"):
        extra += ["--user-pool-arn", account["pool"]]
    result = account["runner"].invoke(app, [*command, *extra])
    assert result.exit_code in (0, 1), result.output
    assert account["runner"].made == made
    assert account["calls"].calls  # the calls went through the injected session
