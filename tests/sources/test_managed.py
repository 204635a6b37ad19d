"""The offline AWS managed policy snapshot: provenance, lookup, and that the script reproduces it."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from iam_audit.engine import Decision, Principal, PrincipalKind, Request, evaluate
from iam_audit.managed import aws_managed_policy, is_aws_managed, snapshot
from iam_audit.model import PolicyKind, SourceKind

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "iam_audit" / "managed" / "aws_managed_policies.json"

REQUIRED = [
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    "arn:aws:iam::aws:policy/AmazonCognitoPowerUser",
    "arn:aws:iam::aws:policy/AmazonCognitoReadOnly",
    "arn:aws:iam::aws:policy/AmazonCognitoDeveloperAuthenticatedIdentities",
    "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
    "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/AmazonESCognitoAccess",
]


def test_snapshot_records_source_date_and_left_out() -> None:
    info = snapshot()
    assert info.source.startswith("moto ")
    datetime.date.fromisoformat(info.retrieved)
    assert set(REQUIRED) <= set(info.arns)
    assert dict(info.left_out).keys() == {"arn:aws:iam::aws:policy/ReadOnlyAccess"}


@pytest.mark.parametrize("arn", REQUIRED)
def test_every_required_policy_parses_with_a_version(arn: str) -> None:
    document = aws_managed_policy(arn)
    assert document is not None
    assert document.kind is PolicyKind.MANAGED
    assert document.name == arn
    assert document.version_id is not None
    assert document.version_id.startswith("v")
    assert document.origin is not None
    assert document.origin.kind is SourceKind.FILE


def _allows(arn: str, action: str, resource: str) -> bool:
    document = aws_managed_policy(arn)
    assert document is not None
    request = Request(action, resource, Principal(PrincipalKind.AWS, "arn:aws:iam::1:role/r"))
    return evaluate(request, identity=[document]).decision is Decision.ALLOWED


@pytest.mark.parametrize(
    ("name", "action", "allowed"),
    [
        # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
        ("service-role/AWSLambdaBasicExecutionRole", "logs:PutLogEvents", True),
        ("service-role/AWSLambdaBasicExecutionRole", "cognito-idp:AdminInitiateAuth", False),
        ("AmazonCognitoPowerUser", "cognito-idp:AdminInitiateAuth", True),
        ("AmazonCognitoReadOnly", "cognito-idp:AdminInitiateAuth", False),
        ("AdministratorAccess", "cognito-idp:AdminInitiateAuth", True),
        ("CloudWatchLogsFullAccess", "logs:CreateLogGroup", True),
        ("CloudWatchLogsReadOnlyAccess", "logs:CreateLogGroup", False),
    ],
)
def test_snapshot_documents_mean_what_aws_documents(name: str, action: str, allowed: bool) -> None:
    resource = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Abc"
    if action.startswith("logs:"):
        resource = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/cognito/userpools/x:*"
    assert _allows(f"arn:aws:iam::aws:policy/{name}", action, resource) is allowed


def test_lookup_is_cached_and_partition_independent() -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert aws_managed_policy(arn) is aws_managed_policy(arn)
    china = aws_managed_policy(arn.replace("arn:aws:", "arn:aws-cn:"))
    assert china is not None
    assert china.name.startswith("arn:aws-cn:")
    assert china.document == aws_managed_policy(arn).document  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",  # left out on purpose (size)
        "arn:aws:iam::aws:policy/NoSuchPolicy",
        "arn:aws:iam::111122223333:policy/customer-managed",
        "not an arn",
    ],
)
def test_outside_the_snapshot_is_none(arn: str) -> None:
    assert aws_managed_policy(arn) is None


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:iam::aws:policy/AdministratorAccess", True),
        ("arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaRole", True),
        ("arn:aws:iam::111122223333:policy/mine", False),
    ],
)
def test_is_aws_managed(arn: str, expected: bool) -> None:
    assert is_aws_managed(arn) is expected


def test_the_script_regenerates_the_snapshot_exactly(tmp_path: Path) -> None:
    shipped = json.loads(SNAPSHOT.read_text())
    out = tmp_path / "snapshot.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "refresh_managed_policies.py"),
            "--date",
            shipped["retrieved"],
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == SNAPSHOT.read_text()
