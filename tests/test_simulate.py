"""``simulate``: one question, AWS's answer, the statements behind it, the keys it hangs on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import write_json

runner = CliRunner()
POOL = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_AbCdEf123"
ROLE = "arn:aws:iam::111122223333:role/MigrationRole"


def simulate(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["simulate", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    v = "2012-10-17"
    docs = {
        "allow.json": {
            "Version": v,
            "Statement": [
                {
                    "Sid": "Auth",
                    "Effect": "Allow",
                    "Action": "cognito-idp:AdminInitiateAuth",
                    "Resource": POOL,
                }
            ],
        },
        "deny.json": {
            "Version": v,
            "Statement": [
                {
                    "Sid": "NoAdmin",
                    "Effect": "Deny",
                    "Action": "cognito-idp:Admin*",
                    "Resource": "*",
                }
            ],
        },
        "boundary.json": {
            "Version": v,
            "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
        },
        "vpc.json": {
            "Version": v,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-idp:AdminInitiateAuth",
                    "Resource": POOL,
                    "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
                }
            ],
        },
        "trust.json": {
            "Version": v,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cognito-idp.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    }
    return {name: str(write_json(tmp_path / name, doc)) for name, doc in docs.items()}


def test_allowed_names_the_statement(files: dict[str, str]) -> None:
    code, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--caller-arn",
        ROLE,
    )
    assert code == 0
    assert data["decision"] == "allowed"
    assert [(m["policy"], m["statement"]) for m in data["matched_statements"]] == [
        ("allow.json", "Auth")
    ]


def test_explicit_deny_beats_allow(files: dict[str, str]) -> None:
    # "An explicit deny in any policy overrides any allows." (IAM evaluation logic)
    code, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--policy",
        files["deny.json"],
    )
    assert code == 1
    assert data["decision"] == "explicitDeny"
    assert [m["statement"] for m in data["matched_statements"]] == ["NoAdmin"]


def test_boundary_intersects(files: dict[str, str]) -> None:
    code, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--boundary",
        files["boundary.json"],
    )
    assert (code, data["decision"]) == (1, "implicitDeny")


@pytest.mark.parametrize(
    ("context", "decision"),
    [
        ([], "implicitDeny"),
        (["--context", "aws:SourceVpc=vpc-1"], "allowed"),
        (["--context", "aws:sourcevpc=vpc-2"], "implicitDeny"),
    ],
)
def test_context_is_the_request(files: dict[str, str], context: list[str], decision: str) -> None:
    _, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["vpc.json"],
        *context,
    )
    assert data["decision"] == decision
    # the key is listed only when the context did not supply it
    assert ("aws:SourceVpc".lower() in [k.lower() for k in data["unresolved"]]) == (not context)


def test_trust_policy_with_service_principal(files: dict[str, str]) -> None:
    code, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--resource-policy",
        files["trust.json"],
        "--principal-service",
        "cognito-idp.amazonaws.com",
    )
    assert (code, data["decision"]) == (0, "allowed")
    code, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--resource-policy",
        files["trust.json"],
        "--principal-service",
        "ec2.amazonaws.com",
    )
    assert (code, data["decision"]) == (1, "implicitDeny")


def test_not_a_policy_names_file_and_path(tmp_path: Path) -> None:
    bad = write_json(
        tmp_path / "bad.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Permit", "Action": "*"},
            ],
        },
    )
    result = runner.invoke(
        app, ["simulate", "--action", "s3:GetObject", "--resource", "*", "--policy", str(bad)]
    )
    assert result.exit_code == 3
    assert "bad.json" in result.stderr
    assert "Statement[1]" in result.stderr


def test_bad_context_pair(files: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--policy",
            files["allow.json"],
            "--context",
            "novalue",
        ],
    )
    assert result.exit_code == 3
    assert "KEY=VALUE" in result.stderr
