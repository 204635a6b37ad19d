"""``fix --apply`` and ``rollback`` under faults: the installed CLI behind a fault-injecting proxy.

Every scenario snapshots the exact text of every role document in the moto account before and
after, and asserts the account state (no document lost, nothing restored that was not), not only
the messages. The demo account's plan writes two documents, in this order: the trust policy of
``CognitoImportLogs`` (``UpdateAssumeRolePolicy``), then the new inline policy
``iam-audit-cognito-import`` of ``TestingMigration-role`` (``PutRolePolicy``); restoring them is
``DeleteRolePolicy`` then ``UpdateAssumeRolePolicy``.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iam_audit.cli.demo import seed

pytestmark = pytest.mark.e2e

LOGS = "CognitoImportLogs"
MIGRATION = "TestingMigration-role"
OURS = "iam-audit-cognito-import"
TRUST_KEY = f"{LOGS}/trust"
INLINE_KEY = f"{MIGRATION}/{OURS}"
#: a colleague's trust policy for the logs role, written through the side channel
COLLEAGUE_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"Colleague","Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
COLLEAGUE_INLINE = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"Colleague","Effect":"Allow",'
    '"Action":"s3:GetObject","Resource":"arn:aws:s3:::colleague/*"}]}'
)
TIMEOUT = 90


class _EndpointSession:
    """A boto3 session whose clients all talk to the moto server directly (the side channel)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def client(self, service: str, region_name: str | None = None, **_: Any) -> Any:
        return self.server.session().client(
            service, endpoint_url=self.server.endpoint, region_name=region_name
        )


_RAW: dict[str, Any] = {}


def snapshot(server: Any) -> dict[str, str]:
    """Every role's trust policy and inline policies, as the exact text IAM holds."""
    from botocore.handlers import json_decode_policies

    if server.endpoint not in _RAW:
        _RAW.clear()
        _RAW[server.endpoint] = server.client("iam")
        _RAW[server.endpoint].meta.events.unregister("after-call.iam", json_decode_policies)
    iam = _RAW[server.endpoint]
    out = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        got = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        out[f"{name}/trust"] = urllib.parse.unquote(got)
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            out[f"{name}/{policy}"] = urllib.parse.unquote(doc)
    return out


def assert_fixed(before: dict[str, str], after: dict[str, str]) -> None:
    """The two fixed documents changed as planned; every other one is byte for byte the same."""
    assert set(after) == set(before) | {INLINE_KEY}
    for key, text in before.items():
        if key != TRUST_KEY:
            assert after[key] == text, key
    services = [s["Principal"].get("Service") for s in json.loads(after[TRUST_KEY])["Statement"]]
    assert any("cognito-idp.amazonaws.com" in (v if isinstance(v, list) else [v]) for v in services)
    inline = json.loads(after[INLINE_KEY])
    assert inline["Statement"][0]["Action"] == "cognito-idp:AdminInitiateAuth"


@pytest.fixture(scope="module")
def seeded() -> Any:
    """One moto server for the module, seeded once with the demo account; yields its baseline."""
    from moto.server import ThreadedMotoServer

    from tests.e2e.conftest import MotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = MotoServer(f"http://{host}:{port}")
    request = urllib.request.Request(f"{moto.endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    names = seed(_EndpointSession(moto))
    try:
        yield moto, moto.client("iam"), names, snapshot(moto)
    finally:
        server.stop()


def _back_to(server: Any, iam: Any, baseline: dict[str, str]) -> None:
    """Put every role document back to the baseline text (and drop roles a test created)."""
    roles = {key.split("/", 1)[0] for key in baseline}
    for key, text in snapshot(server).items():
        role, name = key.split("/", 1)
        if role not in roles:
            if name != "trust":
                iam.delete_role_policy(RoleName=role, PolicyName=name)
        elif key not in baseline:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
        elif text != baseline[key] and name == "trust":
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=baseline[key])
        elif text != baseline[key]:
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=baseline[key])
    for role in {key.split("/", 1)[0] for key in snapshot(server)} - roles:
        iam.delete_role(RoleName=role)


@pytest.fixture
def account(seeded: Any, tmp_path: Path, start_cli: Any) -> Iterator[dict[str, Any]]:
    """The demo account as seeded, a fault proxy in front of it, and the apply command."""
    from tests.e2e.faultproxy import FaultProxy

    server, iam, names, baseline = seeded
    _back_to(server, iam, baseline)
    assert snapshot(server) == baseline
    proxy = FaultProxy(server.endpoint).start()
    select = ["--user-pool-arn", names["pool_arn"], "--logs-role", LOGS]
    backups = tmp_path / "backups"

    def run(args: list[str]) -> tuple[int, str, str]:
        process = start_cli(args, proxy.endpoint)
        out, err = process.communicate(timeout=TIMEOUT)
        assert "Traceback" not in err, err
        return process.returncode, out, err

    try:
        yield {
            "server": server,
            "iam": iam,
            "endpoint": server.endpoint,
            "proxy": proxy,
            "apply": ["fix", *select, "--apply", "--yes", "--backup-dir", str(backups)],
            "backups": backups,
            "run": run,
            "start": start_cli,
            "before": baseline,
        }
    finally:
        proxy.stop()


def _apply_in_process(account: dict[str, Any], tmp_path: Path) -> None:
    """The same apply, run in this process straight against moto: the setup of rollback tests."""
    from typer.testing import CliRunner

    from iam_audit.cli import app

    empty = tmp_path / "aws-empty-in-process"
    empty.write_text("")
    env = {
        "AWS_ENDPOINT_URL": account["endpoint"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_PROFILE": None,
    }
    result = CliRunner().invoke(app, account["apply"], env=env)
    assert result.exit_code == 0, result.output
    assert_fixed(account["before"], snapshot(account["server"]))


def _error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def _backup(account: dict[str, Any]) -> Path:
    found = sorted(account["backups"].glob("*.json"))
    assert len(found) == 1, found
    return found[0]


# -- fix --apply: concurrent changes --------------------------------------------------------------


def test_edit_during_the_quota_check_stops_before_any_write(account: dict[str, Any]) -> None:
    """A colleague edits the logs role's trust after the first re-read (while quotas are read)."""
    iam, proxy = account["iam"], account["proxy"]
    proxy.add(
        "GetAccountSummary",
        "hook",
        hook=lambda _: iam.update_assume_role_policy(RoleName=LOGS, PolicyDocument=COLLEAGUE_TRUST),
    )
    code, _, err = account["run"](account["apply"])
    assert code == 4, err
    assert f"{LOGS} trust policy changed after it was backed up" in _error_line(err)
    assert proxy.writes() == []
    assert snapshot(account["server"]) == {**account["before"], TRUST_KEY: COLLEAGUE_TRUST}


def test_edit_of_the_second_document_at_the_first_write_restores_the_first(
    account: dict[str, Any],
) -> None:
    """The proxy creates a colleague's policy when it sees the first write, before forwarding it."""
    iam, proxy = account["iam"], account["proxy"]
    proxy.add(
        "UpdateAssumeRolePolicy",
        "hook",
        hook=lambda _: iam.put_role_policy(
            RoleName=MIGRATION, PolicyName=OURS, PolicyDocument=COLLEAGUE_INLINE
        ),
    )
    code, _, err = account["run"](account["apply"])
    assert code == 4, err
    assert f"{MIGRATION} inline policy {OURS} changed" in _error_line(err)
    assert f"{LOGS} trust policy: restored" in err
    assert f"{MIGRATION} inline policy {OURS}: never written" in err
    # the colleague's policy is kept, the trust policy is back to its exact text
    assert snapshot(account["server"]) == {**account["before"], INLINE_KEY: COLLEAGUE_INLINE}


# -- fix --apply: replies lost, throttling, denial, garbage ----------------------------------------


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("UpdateAssumeRolePolicy", "error"),  # the first write: HTTP 500 after IAM applied it
        ("PutRolePolicy", "drop"),  # the second write: connection dropped after IAM applied it
        ("PutRolePolicy", "garbage"),  # the second write: a reply botocore cannot parse
    ],
)
def test_reply_lost_after_the_write_landed_is_restored(
    account: dict[str, Any], action: str, kind: str
) -> None:
    proxy = account["proxy"]
    fault = proxy.add(action, kind, when="after", times=99)
    code, _, err = account["run"](account["apply"])
    assert code == 4, err
    assert fault.hits >= 1
    assert f"iam:{action} failed" in _error_line(err)
    assert "left changed" not in err
    assert f"{LOGS} trust policy: restored" in err
    if action == "UpdateAssumeRolePolicy":
        # the restore's reply failed too: "restored" is said because the read-back shows the text
        assert proxy.counts[action] >= 3
        assert "restored (its reply was lost but it reads as before)" in err
        assert f"{MIGRATION} inline policy {OURS}: never written" in err
    # the backup path is printed before the writes, whatever happens
    assert f"backup: {_backup(account)}" in err
    assert snapshot(account["server"]) == account["before"]


def test_throttled_once_is_retried_and_written(account: dict[str, Any]) -> None:
    proxy = account["proxy"]
    fault = proxy.add("PutRolePolicy", "error", status=400, code="Throttling")
    code, out, err = account["run"](account["apply"])
    assert code == 0, err
    assert fault.hits == 1
    assert proxy.counts["PutRolePolicy"] == 2
    assert "verified after writing" in out
    assert_fixed(account["before"], snapshot(account["server"]))


@pytest.mark.parametrize(
    ("status", "code", "exit_code", "named"),
    [
        (400, "Throttling", 4, "iam:PutRolePolicy was throttled after the retries: Throttling"),
        (403, "AccessDenied", 3, "iam:PutRolePolicy"),
    ],
)
def test_refused_second_write_restores_the_first(
    account: dict[str, Any], status: int, code: str, exit_code: int, named: str
) -> None:
    proxy = account["proxy"]
    message = (
        "User: arn:aws:iam::123456789012:user/op is not authorized to perform: "
        "iam:PutRolePolicy on resource: role TestingMigration-role"
        if code == "AccessDenied"
        else "Rate exceeded"
    )
    proxy.add("PutRolePolicy", "error", status=status, code=code, message=message, times=99)
    result, _, err = account["run"](account["apply"])
    assert result == exit_code, err
    assert named in _error_line(err)
    assert f"{LOGS} trust policy: restored" in err
    assert snapshot(account["server"]) == account["before"]


def test_failed_read_after_a_successful_write_is_one_line(account: dict[str, Any]) -> None:
    """The verifying audit's read gets a reply it cannot parse: exit 4, the writes stand."""
    proxy = account["proxy"]
    proxy.add("GetRole", "garbage", times=99, armed_by="PutRolePolicy")
    code, _, err = account["run"](account["apply"])
    assert code == 4, err
    assert "the fixes were written" in _error_line(err)
    assert_fixed(account["before"], snapshot(account["server"]))


# -- fix --apply: signals ---------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize(
    ("action", "when"),
    [
        ("PutRolePolicy", "before"),  # during the second write: held before it reaches IAM
        ("UpdateAssumeRolePolicy", "after"),  # between the writes: the first landed, reply held
    ],
)
def test_signal_during_the_writes_restores(
    account: dict[str, Any], signum: int, action: str, when: str
) -> None:
    proxy = account["proxy"]
    hold = proxy.add(action, "hold", when=when)
    process = account["start"](account["apply"], proxy.endpoint)
    assert hold.seen.wait(TIMEOUT)
    os.kill(process.pid, signum)
    hold.release.set()
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 128 + signum, err
    assert f"interrupted by {signal.Signals(signum).name}" in _error_line(err)
    assert "Traceback" not in err
    backup = next(account["backups"].glob("*.json"))
    assert f"backup: {backup}" in err
    assert snapshot(account["server"]) == account["before"]
    # the write in flight finished before the restore: the proxy saw it, then the restore
    assert proxy.writes()[-1] == "UpdateAssumeRolePolicy"


def test_second_interrupt_skips_the_restore_and_names_the_rollback(
    account: dict[str, Any],
) -> None:
    proxy = account["proxy"]
    write = proxy.add("PutRolePolicy", "hold")
    restore = proxy.add("DeleteRolePolicy", "hold")
    process = account["start"](account["apply"], proxy.endpoint)
    assert write.seen.wait(TIMEOUT)
    os.kill(process.pid, signal.SIGINT)
    write.release.set()
    assert restore.seen.wait(TIMEOUT)
    os.kill(process.pid, signal.SIGINT)
    restore.release.set()
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130, err
    assert "second interrupt skipped the restore" in _error_line(err)
    after = snapshot(account["server"])
    # the restore in flight finished (the new inline policy is gone); the trust was left
    assert INLINE_KEY not in after
    assert after[TRUST_KEY] != account["before"][TRUST_KEY]
    line = next(x for x in err.splitlines() if x.startswith(f"{LOGS} trust policy: left changed"))
    command = shlex.split(line.split("finish with: ", 1)[1])
    assert command[:2] == ["iam-audit", "rollback"]
    code, out, rolled = account["run"]([*command[1:], "--yes"])
    assert code == 0, rolled
    assert f"{MIGRATION} inline policy {OURS}: already as before" in rolled
    assert f"--- a/{LOGS}/trust" in out
    assert snapshot(account["server"]) == account["before"]


# -- rollback ---------------------------------------------------------------------------------------


def test_backup_is_private_and_rollback_twice_is_done_the_second_time(
    account: dict[str, Any],
) -> None:
    proxy = account["proxy"]
    code, _, err = account["run"](account["apply"])
    assert code == 0, err
    backup = _backup(account)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    data = json.loads(backup.read_text())
    fixed = snapshot(account["server"])
    assert_fixed(account["before"], fixed)
    texts = {
        (e["role_name"], e["policy_name"]): (e["before"], e["written"]) for e in data["entries"]
    }
    assert texts == {
        (LOGS, "trust"): (account["before"][TRUST_KEY], fixed[TRUST_KEY]),
        (MIGRATION, OURS): (None, fixed[INLINE_KEY]),
    }
    assert data["account"] == "123456789012"
    code, out, err = account["run"](["rollback", str(backup), "--yes"])
    assert code == 0, err
    assert f"--- a/{LOGS}/trust" in out
    assert f"--- a/{MIGRATION}/{OURS}" in out
    assert snapshot(account["server"]) == account["before"]
    writes = len(proxy.writes())
    code, _, err = account["run"](["rollback", str(backup), "--yes"])
    assert code == 0, err
    assert "nothing to do: every document is already as before" in err
    assert len(proxy.writes()) == writes  # nothing written the second time
    assert snapshot(account["server"]) == account["before"]


def test_rollback_refuses_a_document_changed_after_the_apply(
    account: dict[str, Any], tmp_path: Path
) -> None:
    iam = account["iam"]
    _apply_in_process(account, tmp_path)
    backup = str(_backup(account))
    iam.put_role_policy(RoleName=MIGRATION, PolicyName=OURS, PolicyDocument=COLLEAGUE_INLINE)
    edited = snapshot(account["server"])
    code, out, err = account["run"](["rollback", backup, "--yes"])
    assert code == 4, err
    assert f"{MIGRATION} inline policy {OURS} changed since the apply" in _error_line(err)
    assert "Colleague" in out  # the diff shows what --force would take away
    assert snapshot(account["server"]) == edited  # nothing written, the trust fix included
    code, _, err = account["run"](["rollback", backup, "--yes", "--force"])
    assert code == 0, err
    assert snapshot(account["server"]) == account["before"]


def _retarget(data: dict[str, Any]) -> None:
    entry = next(e for e in data["entries"] if e["kind"] == "trust")
    entry["role_name"] = "Victim"
    entry["role_arn"] = "arn:aws:iam::123456789012:role/Victim"


def _grant_admin(data: dict[str, Any]) -> None:
    entry = next(e for e in data["entries"] if e["kind"] == "inline")
    entry["before"] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )


def _other_policy(data: dict[str, Any]) -> None:
    entry = next(e for e in data["entries"] if e["kind"] == "inline")
    entry["policy_name"] = "basic-logging"


def _other_account(data: dict[str, Any]) -> None:
    data["account"] = "999999999999"
    for entry in data["entries"]:
        entry["role_arn"] = entry["role_arn"].replace("123456789012", "999999999999")


#: edits of a backup file, the exit code and the words of the refusal
EDITS = [
    # a backup pointed at another role: that role does not hold what the apply wrote
    (_retarget, 4, "Victim trust policy changed since the apply wrote it"),
    (_grant_admin, 3, "the backup was edited"),
    (_other_policy, 3, "is not a document fix --apply writes"),
    (_other_account, 3, "made in account 999999999999"),
]


def test_rollback_of_an_edited_backup_writes_nothing(
    account: dict[str, Any], tmp_path: Path
) -> None:
    _apply_in_process(account, tmp_path)
    account["iam"].create_role(RoleName="Victim", AssumeRolePolicyDocument=COLLEAGUE_TRUST)
    backup = _backup(account)
    applied = snapshot(account["server"])
    writes = len(account["proxy"].writes())
    for edit, exit_code, message in EDITS:
        data = json.loads(backup.read_text())
        edit(data)
        edited = backup.with_name(f"edited-{edit.__name__}.json")
        edited.write_text(json.dumps(data))
        code, _, err = account["run"](["rollback", str(edited), "--yes"])
        assert (code, message in _error_line(err)) == (exit_code, True), (edit.__name__, err)
    assert len(account["proxy"].writes()) == writes
    assert snapshot(account["server"]) == applied


def test_rollback_reply_lost_after_its_delete_landed(
    account: dict[str, Any], tmp_path: Path
) -> None:
    """The rollback's DeleteRolePolicy lands but every reply is dropped (the retry too): the
    read-back shows the policy gone, so it counts as restored and the trust is restored next."""
    _apply_in_process(account, tmp_path)
    fault = account["proxy"].add("DeleteRolePolicy", "drop", when="after", times=99)
    code, _, err = account["run"](["rollback", str(_backup(account)), "--yes"])
    assert code == 0, err
    assert fault.hits >= 1
    assert f"{MIGRATION} inline policy {OURS}: restored (its reply was lost" in err
    assert f"{LOGS} trust policy: restored" in err
    assert snapshot(account["server"]) == account["before"]
