"""Golden outputs of ``audit`` (table, json) and ``fix`` (table, json) on the asset account.

Compared exactly; ``make golden`` (IAM_AUDIT_UPDATE_GOLDEN=1) rewrites them for review.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import asset

GOLDEN = Path(__file__).parent / "golden"
POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
PAIR = ["--lambda-role", "TestingMigration-role", "--logs-role", "CognitoImportLogs"]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("audit.txt", ["audit", "--format", "table"]),
        ("audit.json", ["audit", "--format", "json"]),
        ("fix.txt", ["fix", "--format", "table"]),
        ("fix.json", ["fix", "--format", "json"]),
    ],
)
def test_golden_core(name: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(asset("auth_details").parent.parent)  # stable relative paths in origins
    details = "assets/auth_details/account.json"
    result = CliRunner().invoke(
        app, [*args, "--authorization-details", details, "--user-pool-arn", POOL, *PAIR]
    )
    assert result.exit_code == 1, result.output
    path = GOLDEN / name
    if os.environ.get("IAM_AUDIT_UPDATE_GOLDEN"):
        path.write_text(result.stdout)
    assert path.exists(), f"{path} missing: run `make golden`"
    assert result.stdout == path.read_text()
