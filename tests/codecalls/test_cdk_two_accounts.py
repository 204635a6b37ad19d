"""COG011 on two synthesized stacks of two accounts (tests/assets/codecalls/cdk-two-accounts).

The function's stack is audited from the cloud assembly; the source account's side comes from the
other stack's template (``--source-template``). The pool the source role may read is a pool ID
CloudFormation generates, and the code names the real ID: whether they are one pool is known only
after deployment, so that link is ``warn``, never ``pass`` or ``fail``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import asset

BASE = asset("codecalls", "cdk-two-accounts")


def _cog011(source: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        app,
        [
            "audit", "--cdk-out", str(BASE / "cdk.out"), "--stack", "MigrationTarget",
            "--source-template", str(BASE / source / "LegacySource.template.json"), "-f", "json",
        ],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return [r for r in json.loads(result.stdout)["results"] if r["check"] == "COG011"]


@pytest.mark.parametrize(
    ("source", "assume", "trust", "pool"),
    [
        ("cdk.out", "pass", "pass", "warn"),
        ("cdk.out.broken", "pass", "fail", "warn"),
    ],
    ids=["source-trusts-the-function", "source-trusts-another-account"],
)
def test_each_link_of_the_chain(source: str, assume: str, trust: str, pool: str) -> None:
    found = _cog011(source)
    by_link = {
        "assume": [
            r for r in found if "sts:AssumeRole" in r["message"] and "trust" not in r["message"]
        ],
        "trust": [r for r in found if "trust" in r["message"]],
        "pool": [r for r in found if "Source role legacy-pool-reader" in r["message"]],
    }
    assert [r["status"] for r in by_link["assume"]] == [assume]
    assert [r["status"] for r in by_link["trust"]] == [trust]
    assert {r["status"] for r in by_link["pool"]} == {pool}
    assert len(by_link["pool"]) == 2  # AdminInitiateAuth and AdminGetUser
    for result in by_link["pool"]:
        assert "(a name the deployment generates)" in result["message"]


def test_the_source_side_fix_is_written_in_the_source_template() -> None:
    # COG011's trust fix goes on the other account's role, in that account's template.
    result = CliRunner().invoke(
        app,
        [
            "fix", "--cdk-out", str(BASE / "cdk.out"), "--stack", "MigrationTarget",
            "--source-template", str(BASE / "cdk.out.broken" / "LegacySource.template.json"),
            "-f", "json",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    (change,) = [
        c for c in json.loads(result.stdout)["template_changes"] if "COG011" in c["checks"]
    ]
    assert change["file"].endswith("cdk.out.broken/LegacySource.template.json")
    assert change["where"].endswith(".Properties.AssumeRolePolicyDocument.Statement")
    (statement,) = json.loads(change["snippet"])
    assert statement["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::111122223333:role/migration-cross"}
    }
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "migr-7f3a"}}
