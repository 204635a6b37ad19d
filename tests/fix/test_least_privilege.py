"""The tool's own least privilege: every AWS call it makes is allowed by the policies it ships.

Each call is recorded with a botocore ``before-call`` hook while the real commands run under moto,
then our own engine decides whether ``policies/auditor-readonly.json`` (audit) or
``policies/auditor-fix.json`` (fix --apply, rollback) allows ``service:Operation``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_audit.cli import app
from iam_audit.cli.demo import REGION, seed
from iam_audit.engine import ContextMode, Principal, PrincipalKind, Request, evaluate
from iam_audit.model import PolicyKind
from iam_audit.simulate import load_policy_file
from iam_audit.templates import policies_dir
from tests.conftest import SessionRunner, one_session


@pytest.fixture
def recorded(
    moto_account: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, list[str], SessionRunner]:

    session = moto_account
    names = seed(session)
    calls: list[str] = []

    def record(model: Any, **kwargs: Any) -> None:
        calls.append(f"{model.service_model.signing_name}:{model.name}")

    session.events.register("before-call.*.*", record)
    return names, calls, one_session(session)


def _allowed(policy_file: str, action: str) -> bool:
    policy = load_policy_file(policies_dir() / policy_file, PolicyKind.INLINE)
    request = Request(
        action=action,
        resource="arn:aws:iam::123456789012:role/service-role/TestingMigration-role",
        principal=Principal(PrincipalKind.AWS, "arn:aws:iam::123456789012:user/auditor"),
        mode=ContextMode.REQUEST,
    )
    return evaluate(request, identity=[policy]).allowed


def test_audit_calls_are_covered_by_auditor_readonly(
    recorded: tuple[Any, list[str], SessionRunner],
) -> None:
    names, calls, runner = recorded
    result = runner.invoke(
        app,
        [
            "audit",
            "--user-pool-arn",
            names["pool_arn"],
            "--logs-role",
            names["logs_role"],
            "--region",
            REGION,
        ],
    )
    assert result.exit_code == 1, result.output
    assert "iam:GetRole" in calls
    assert "cognito-idp:DescribeUserPool" in calls
    uncovered = sorted({c for c in calls if not _allowed("auditor-readonly.json", c)})
    assert uncovered == []
    # and nothing the audit does is a write
    assert not any(c.split(":")[1].startswith(("Put", "Update", "Delete", "Create")) for c in calls)


def test_fix_apply_and_rollback_calls_are_covered_by_auditor_fix(
    recorded: tuple[Any, list[str], SessionRunner], tmp_path: Path
) -> None:
    names, calls, runner = recorded
    select = ["--user-pool-arn", names["pool_arn"], "--logs-role", names["logs_role"]]
    applied = runner.invoke(
        app, ["fix", *select, "--region", REGION, "--apply", "--yes", "--backup-dir", str(tmp_path)]
    )
    assert applied.exit_code == 0, applied.output
    backup = next(tmp_path.glob("*.json"))
    assert runner.invoke(app, ["rollback", str(backup), "--yes"]).exit_code == 0
    assert {"iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePolicy"} <= set(calls)
    uncovered = sorted({c for c in calls if not _allowed("auditor-fix.json", c)})
    assert uncovered == []


@pytest.mark.parametrize("policy_file", ["auditor-readonly.json", "auditor-fix.json"])
def test_shipped_policies_grant_no_wildcard_actions(policy_file: str) -> None:
    document = json.loads((policies_dir() / policy_file).read_text())
    actions = [
        action
        for statement in document["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    ]
    assert actions
    assert not any("*" in a for a in actions)
    # a write the tool never makes is not allowed
    assert not _allowed(policy_file, "iam:AttachRolePolicy")
    assert not _allowed(policy_file, "iam:CreateRole")


def test_scan_and_who_can_calls_are_covered_by_auditor_readonly(
    recorded: tuple[Any, list[str], SessionRunner],
) -> None:
    names, calls, runner = recorded
    scanned = runner.invoke(app, ["scan", "--regions", REGION])
    assert scanned.exit_code == 1, scanned.output  # the demo account's findings
    who = runner.invoke(
        app, ["who-can", "cognito-idp:AdminInitiateAuth", "--resource", names["pool_arn"]]
    )
    assert who.exit_code == 0, who.output
    assert {
        "iam:GetAccountAuthorizationDetails",
        "cognito-idp:ListUserPools",
        "cognito-idp:DescribeUserPool",
        "lambda:GetFunctionConfiguration",
        "lambda:GetPolicy",
    } <= set(calls)
    uncovered = sorted({c for c in calls if not _allowed("auditor-readonly.json", c)})
    assert uncovered == []
