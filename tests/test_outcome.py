"""The one exit-code function (issue 14 item 1): README "Exit codes" as a table, then each kind of
command through the real CLI ending with the code the table gives for its outcome."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.errors import AccessError, ExitCode, InputError, InternalError, UsageError
from iam_audit.findings import AuditResult, FailOn, Finding, Severity, Status, Suppression
from iam_audit.outcome import exit_code, signal_exit_code
from tests.conftest import asset

ROLE = "arn:aws:iam::123456789012:role/Migration"


def found(status: Status, severity: Severity = Severity.ERROR, **extra: object) -> Finding:
    return Finding("COG001", "slug", severity, status, ROLE, "message", **extra)  # type: ignore[arg-type]


FAIL = found(Status.FAIL)
WARNING_FAIL = found(Status.FAIL, Severity.WARNING)
WARN = found(Status.WARN, Severity.WARNING)
PASS = found(Status.PASS)
CRASH = found(Status.ERROR)
INCOMPLETE = found(Status.SKIP, needs="--source-pool-arn")
NOT_APPLICABLE = found(Status.SKIP)
SUPPRESSED = found(Status.FAIL, suppression=Suppression("accepted"))
EXPIRED = found(Status.FAIL, suppression=Suppression("accepted", "2020-01-01", expired=True))


@pytest.mark.parametrize(
    ("findings", "fail_on", "failed", "unread", "code"),
    [
        ((), FailOn.ERROR, False, False, ExitCode.OK),
        ((PASS, NOT_APPLICABLE), FailOn.ERROR, False, False, ExitCode.OK),
        ((FAIL,), FailOn.ERROR, False, False, ExitCode.FINDINGS),
        ((FAIL,), FailOn.NEVER, False, False, ExitCode.OK),
        # a warning-severity failure fails only the stricter gate
        ((WARNING_FAIL,), FailOn.ERROR, False, False, ExitCode.OK),
        ((WARNING_FAIL,), FailOn.WARNING, False, False, ExitCode.FINDINGS),
        ((WARN,), FailOn.WARNING, False, False, ExitCode.FINDINGS),
        ((SUPPRESSED,), FailOn.WARNING, False, False, ExitCode.OK),
        ((EXPIRED,), FailOn.ERROR, False, False, ExitCode.FINDINGS),
        # an incomplete run is 3 whatever it found, a crash 4 whatever else
        ((INCOMPLETE, FAIL), FailOn.ERROR, False, False, ExitCode.INPUT),
        ((INCOMPLETE,), FailOn.NEVER, False, False, ExitCode.INPUT),
        ((CRASH, INCOMPLETE, FAIL), FailOn.NEVER, False, False, ExitCode.INTERNAL),
        # scan: a region or pool not read is 3 over findings, under a crash
        ((FAIL,), FailOn.ERROR, False, True, ExitCode.INPUT),
        ((), FailOn.NEVER, False, True, ExitCode.INPUT),
        ((CRASH,), FailOn.ERROR, False, True, ExitCode.INTERNAL),
        # preflight problems, simulate's denial, a fix left unapplied
        ((), FailOn.ERROR, True, False, ExitCode.FINDINGS),
        ((), FailOn.NEVER, True, False, ExitCode.FINDINGS),
        ((), FailOn.ERROR, True, True, ExitCode.INPUT),
    ],
)
def test_outcome_table(
    findings: tuple[Finding, ...], fail_on: FailOn, failed: bool, unread: bool, code: ExitCode
) -> None:
    result = AuditResult.of(list(findings))
    assert exit_code(result, fail_on=fail_on, failed=failed, unread=unread) is code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("conflicting options"), ExitCode.USAGE),
        (InputError("bad file"), ExitCode.INPUT),
        (AccessError("denied", permission="iam:GetRole"), ExitCode.INPUT),
        (InternalError("a check crashed"), ExitCode.INTERNAL),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (BrokenPipeError(), ExitCode.PIPE_CLOSED),
        (KeyError("a bug"), ExitCode.INTERNAL),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_an_error_decides_alone(error: BaseException, code: ExitCode) -> None:
    assert exit_code(AuditResult.of([FAIL]), failed=True, error=error) is code


def test_the_codes_are_readmes() -> None:
    """Every number the function can return is a row of README's table."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = {
        int(number)
        for row in table.splitlines()[2:]
        for number in row.split("|")[1].replace(",", " ").split()
    }
    assert {int(code) for code in ExitCode} == documented


POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
ACCOUNT = str(asset("auth_details", "account.json"))
FROM_FILE = ["--authorization-details", ACCOUNT, "--user-pool-arn", POOL]
ROLE_OPTS = [*FROM_FILE, "--lambda-role", "TestingMigration-role"]
ALLOW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        # findings at or above --fail-on (the test account's migration role lacks the grant)
        (["audit", *ROLE_OPTS], ExitCode.FINDINGS),
        (["audit", *ROLE_OPTS, "--fail-on", "never"], ExitCode.OK),
        # fix: the fix is shown, not applied
        (["fix", *ROLE_OPTS], ExitCode.FINDINGS),
        # who-can ran
        (["who-can", "cognito-idp:AdminInitiateAuth", "--resource", POOL, "--authorization-details", ACCOUNT], ExitCode.OK),
        # simulate: allowed, denied
        (["simulate", "--action", "s3:GetObject", "--resource", "*", "--policy", "{allow}"], ExitCode.OK),
        (["simulate", "--action", "iam:GetRole", "--resource", "*", "--policy", "{allow}"], ExitCode.FINDINGS),
        # usage and input errors
        (["audit", *ROLE_OPTS, "--template", "x.yaml"], ExitCode.USAGE),
        (["audit", "--authorization-details", "missing.json", "--lambda-role", "R"], ExitCode.INPUT),
    ],
)  # fmt: skip
def test_each_command_kind_exits_by_the_table(
    args: list[str], code: ExitCode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    allow = tmp_path / "allow.json"
    allow.write_text(json.dumps(ALLOW))
    result = CliRunner().invoke(app, [a.replace("{allow}", str(allow)) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr)


def test_a_preflight_report_with_problems_exits_1(tmp_path: Path) -> None:
    from tests.preflight.conftest import csv_bytes, offline_pool, row

    header, schema = offline_pool(tmp_path)
    data = tmp_path / "users.csv"
    args = ["csv", "check", str(data), "--header-file", str(header), "--schema", str(schema)]
    data.write_bytes(csv_bytes([row()]))
    assert CliRunner().invoke(app, args).exit_code == ExitCode.OK
    data.write_bytes(csv_bytes([row(phone_number="555-0100")]))
    assert CliRunner().invoke(app, args).exit_code == ExitCode.FINDINGS


@pytest.mark.parametrize(
    ("signum", "code"),
    [
        # "When a command terminates on a fatal signal whose number is N, Bash uses the value
        # 128+N as the exit status" (Bash Reference Manual, Exit Status)
        (signal.SIGINT, ExitCode.INTERRUPTED),
        (signal.SIGPIPE, ExitCode.PIPE_CLOSED),
        (signal.SIGTERM, ExitCode.TERMINATED),
    ],
)
def test_a_signal_exits_128_plus_its_number(signum: signal.Signals, code: ExitCode) -> None:
    assert signal_exit_code(signum) is code
    assert int(code) == 128 + int(signum)
