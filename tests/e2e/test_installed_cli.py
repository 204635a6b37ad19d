"""The installed ``iam-audit`` against ``ThreadedMotoServer`` on 127.0.0.1 via AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from iam_audit.cli.demo import seed
from iam_audit.templates import policies_dir

pytestmark = pytest.mark.e2e


def _schema() -> dict[str, Any]:
    return json.loads((policies_dir() / "schemas" / "audit-result.schema.json").read_text())


def test_audit_live_account_through_the_endpoint(moto_server: Any, run_cli: Any) -> None:
    names = seed(_EndpointSession(moto_server))
    select = ["--user-pool-arn", names["pool_arn"], "--logs-role", names["logs_role"]]
    result = run_cli(["audit", *select, "--format", "json"], endpoint=moto_server.endpoint)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, _schema())
    failed = sorted(
        (r["check"], r["role"].rsplit("/", 1)[-1]) for r in data["results"] if r["status"] == "fail"
    )
    assert failed == [("COG001", "TestingMigration-role"), ("COG003", "CognitoImportLogs")]
    # the Lambda role was discovered through the pool's UserMigration trigger
    assert any("is the UserMigration trigger of" in note for note in data["notes"])


def test_help_and_bad_input_from_the_installed_script(run_cli: Any) -> None:
    assert run_cli(["--help"]).returncode == 0
    result = run_cli(["audit", "--authorization-details", "missing.json", "--lambda-role", "x"])
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


class _EndpointSession:
    """A boto3 session whose clients all talk to the moto server."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def client(self, service: str, region_name: str | None = None) -> Any:
        return self.server.session().client(
            service, endpoint_url=self.server.endpoint, region_name=region_name
        )


def test_apply_reaudit_and_rollback(moto_server: Any, run_cli: Any, tmp_path: Any) -> None:
    names = seed(_EndpointSession(moto_server))
    select = ["--user-pool-arn", names["pool_arn"], "--logs-role", names["logs_role"]]
    endpoint = moto_server.endpoint
    refused = run_cli(["fix", *select, "--apply"], endpoint=endpoint)
    assert refused.returncode == 2  # no terminal and no --yes: nothing written
    applied = run_cli(
        ["fix", *select, "--apply", "--yes", "--backup-dir", str(tmp_path / "b")],
        endpoint=endpoint,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "verified after writing" in applied.stdout
    assert run_cli(["audit", *select], endpoint=endpoint).returncode == 0
    again = run_cli(
        ["fix", *select, "--apply", "--yes", "--backup-dir", str(tmp_path / "b")], endpoint=endpoint
    )
    assert again.returncode == 0
    assert "nothing to change" in again.stderr
    backups = sorted((tmp_path / "b").glob("*.json"))
    assert len(backups) == 1
    rolled = run_cli(["rollback", str(backups[0]), "--yes"], endpoint=endpoint)
    assert rolled.returncode == 0, rolled.stderr
    assert run_cli(["audit", *select], endpoint=endpoint).returncode == 1
