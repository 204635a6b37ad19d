"""Today's action catalogue and every AWS managed policy, as shipped in iam_audit/data/.

The catalogue is AWS's Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html):
"Each topic ... provides a table of the actions, resource types and condition keys" of a service.
Action names compare case-insensitively ("The prefix and the action name are case insensitive",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iam_audit import awsdata
from iam_audit.cli import app
from iam_audit.codecalls.botocore_map import BotocoreOperationMap
from iam_audit.engine import parse_policy, unknown_actions
from iam_audit.managed import aws_managed_policy, snapshot
from iam_audit.model import PolicyKind


def test_cog008_calls_no_action_of_any_aws_managed_policy_unknown() -> None:
    # Every action entry of every current AWS managed policy is either in today's catalogue,
    # named by AWS's own policies, or of a service AWS retired (said so, never "unknown").
    arns = snapshot().arns
    assert len(arns) > 1500
    unknown: list[str] = []
    retired: set[str] = set()
    for arn in arns:
        document = aws_managed_policy(arn)
        assert document is not None
        for entry in unknown_actions(document):
            (retired.add(entry.action) if entry.retired else unknown.append(entry.action))
    assert unknown == []
    # evidently (CloudWatch Evidently) is one of the retired services its policies still name
    assert any(action.startswith("evidently:") for action in retired)


@pytest.mark.parametrize(
    "action",
    [
        # added after policyuniverse's catalogue (November 2023); the examples
        "codeconnections:TagResource",
        "observabilityadmin:GetS3TableIntegration",
        "cloudwatch:GenerateQuery",
        "logs:StartLiveTail",
        "LOGS:startlivetail",
        "bedrock:InvokeModel",
        "q:*",
    ],
)
def test_actions_aws_added_since_2023_are_known(action: str) -> None:
    document = parse_policy(
        {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]},
        name="p",
        kind=PolicyKind.INLINE,
    )
    assert unknown_actions(document) == ()


def test_an_action_of_a_retired_service_is_retired_not_unknown() -> None:
    # CodeStar was discontinued; policyuniverse's 2023 catalogue lists it, today's does not.
    document = parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["codestar:DescribeProject", "codestar:NoSuchThing"],
                    "Resource": "*",
                }
            ]
        },
        name="p",
        kind=PolicyKind.INLINE,
    )
    found = {u.action: u for u in unknown_actions(document)}
    assert found["codestar:DescribeProject"].retired is True
    assert found["codestar:DescribeProject"].suggestion is None
    # any action of a service AWS no longer lists is retired: it can grant nothing today
    assert found["codestar:NoSuchThing"].retired is True
    assert awsdata.retired_service("codestar") is True
    assert awsdata.retired_service("s3") is False
    assert awsdata.retired_action("codestar:DescribeProject") is True
    assert awsdata.retired_action("s3:GetObject") is False


def test_did_you_mean_uses_todays_catalogue() -> None:
    document = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "codeconnections:TagResourc", "Resource": "*"}
            ]
        },
        name="p",
        kind=PolicyKind.INLINE,
    )
    (entry,) = unknown_actions(document)
    assert entry.suggestion == "codeconnections:TagResource"
    assert entry.retired is False


def test_resource_types_and_condition_keys_come_with_their_formats_and_types() -> None:
    info = awsdata.action_info("cognito-idp:admininitiateauth")
    assert info is not None
    assert info.name == "cognito-idp:AdminInitiateAuth"
    assert ("userpool", True) in info.resource_types
    userpool = awsdata.resource_type("cognito-idp", "userpool")
    assert userpool is not None
    assert (
        userpool.arn == "arn:${Partition}:cognito-idp:${Region}:${Account}:userpool/${UserPoolId}"
    )
    assert awsdata.condition_key_type("s3:TlsVersion") == "Numeric"
    assert awsdata.condition_key_type("aws:TagKeys") == "ArrayOfString"
    assert awsdata.condition_key_type("aws:ResourceTag/team") == "String"
    assert awsdata.condition_key_type("nope:Nothing") is None
    assert awsdata.action_info("s3:NoSuchAction") is None


def test_rcp_services_include_those_aws_documents() -> None:
    # "RCPs apply to ... Amazon S3, AWS STS, AWS KMS, Amazon SQS, AWS Secrets Manager"
    # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
    assert {"s3", "sts", "kms", "sqs", "secretsmanager"} <= awsdata.rcp_services()
    assert "lambda" not in awsdata.rcp_services()


@pytest.mark.parametrize(
    ("client", "operation", "actions"),
    [
        ("cognito-idp", "admin_initiate_auth", ("cognito-idp:AdminInitiateAuth",)),
        ("logs", "put_log_events", ("logs:PutLogEvents",)),
        ("@aws-sdk/client-cloudwatch-logs", "PutLogEventsCommand", ("logs:PutLogEvents",)),
        (
            "@aws-sdk/client-cognito-identity-provider",
            "AdminGetUserCommand",
            ("cognito-idp:AdminGetUser",),
        ),
        ("CognitoIdentityServiceProvider", "adminInitiateAuth", ("cognito-idp:AdminInitiateAuth",)),
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html: s3:ListBucket
        ("s3", "list_objects_v2", ("s3:ListBucket",)),
        ("@aws-sdk/client-s3", "HeadObjectCommand", ("s3:GetObject",)),
        ("lambda", "invoke", ("lambda:InvokeFunction",)),
        ("stepfunctions", "start_execution", ("states:StartExecution",)),  # signing name states
        ("StepFunctions", "startExecution", ("states:StartExecution",)),  # JavaScript v2 class
        ("elbv2", "describe_load_balancers", ("elasticloadbalancing:DescribeLoadBalancers",)),
        ("cognito-idp", "no_such_operation", ()),
    ],
)
def test_sdk_operation_to_iam_action(client: str, operation: str, actions: tuple[str, ...]) -> None:
    """A client as the code names it, through the one client map the analysers use (botocore's
    models, ``codecalls/botocore_map.py``), then its operation through the catalogue."""
    ops = BotocoreOperationMap()
    if client.startswith("@aws-sdk/client-"):
        service = ops.service_for_js(client.removeprefix("@aws-sdk/client-"))
    else:
        service = ops.service(client) or ops.service_for_js(client)
    assert service is not None
    assert awsdata.actions_for_operation(service.prefix, operation) == actions


@pytest.mark.parametrize("prefix", ["not-a-prefix", "", "cognito-identity-provider"])
def test_an_operation_of_no_iam_prefix_is_not_known(prefix: str) -> None:
    # a client name is not a prefix: () is "not known", never "needs nothing"
    assert awsdata.actions_for_operation(prefix, "AdminGetUser") == ()


def test_version_prints_the_data_dates() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    info = awsdata.data_info()
    assert lines[1] == (
        f"action catalogue: {info['catalogue'].updated} "
        f"({info['catalogue'].package} {info['catalogue'].version})"
    )
    assert lines[2].startswith(f"AWS managed policies: {info['managed_policies'].updated} ")
    for item in info.values():
        datetime.date.fromisoformat(item.updated)


_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
    Properties:
      UserPoolName: users
  ImportLogsRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: import-logs
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: cognito-idp.amazonaws.com}}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/{policy}
"""


def _audit(tmp_path: Path, policy: str) -> dict[str, dict[str, object]]:
    template = tmp_path / "stack.yaml"
    template.write_text(_TEMPLATE.format(policy=policy))
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "--template",
            str(template),
            "--region",
            "eu-west-1",
            "--account-id",
            "111122223333",
            "--logs-role",
            "import-logs",
            "--format",
            "json",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    return {r["check"]: r for r in json.loads(result.stdout)["results"]}


def test_a_logs_role_with_cloudwatchlogsfullaccess_passes_cog008(tmp_path: Path) -> None:
    # CloudWatchLogsFullAccess names observabilityadmin:* and cloudwatch:GenerateQuery* actions
    # that policyuniverse's 2023 catalogue lacks.
    results = _audit(tmp_path, "CloudWatchLogsFullAccess")
    assert results["COG008"]["status"] == "pass", results["COG008"]["message"]
    assert results["COG002"]["status"] == "pass", results["COG002"]["message"]


def test_apigateway_push_to_cloudwatch_logs_is_evaluated_offline(tmp_path: Path) -> None:
    # https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html
    # grants logs:CreateLogGroup, CreateLogStream, DescribeLogGroups, DescribeLogStreams,
    # PutLogEvents, GetLogEvents, FilterLogEvents on "*".
    results = _audit(tmp_path, "service-role/AmazonAPIGatewayPushToCloudWatchLogs")
    assert results["COG002"]["status"] == "pass", results["COG002"]["message"]
    assert "unknown" not in str(results["COG002"]["message"]).lower()
    assert results["COG008"]["status"] == "pass"


def test_an_arn_outside_the_snapshot_is_still_unknown(tmp_path: Path) -> None:
    results = _audit(tmp_path, "NoSuchPolicyAnywhere")
    assert results["COG002"]["status"] != "pass"
    assert "NoSuchPolicyAnywhere" in json.dumps(results["COG002"])


def test_an_authorization_details_file_keeps_the_accounts_own_copy(tmp_path: Path) -> None:
    # the account's copy wins over the snapshot; without one, the snapshot's default version
    from iam_audit.engine import Decision, Principal, PrincipalKind, Request, evaluate
    from iam_audit.sources.auth_details import AuthDetailsSource
    from tests.scale.accounts import account, allow, doc, policy, role

    readonly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    own = doc(allow("cognito-idp:AdminInitiateAuth"))
    data = account(
        policies=[policy(readonly, own)],
        roles=[role("with-file-copy", managed=[readonly])],
    )
    bare = account(roles=[role("from-snapshot", managed=[readonly])])
    for name, content in (("own.json", data), ("bare.json", bare)):
        (tmp_path / name).write_text(json.dumps(content))
    request = Request(
        "cognito-idp:AdminInitiateAuth",
        "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_A",
        Principal(PrincipalKind.AWS, "arn:aws:iam::123456789012:role/r"),
    )
    with_copy = AuthDetailsSource(tmp_path / "own.json").get_role("with-file-copy")
    assert with_copy.managed[0].document == own
    assert evaluate(request, identity=with_copy.managed).decision is Decision.ALLOWED
    from_snapshot = AuthDetailsSource(tmp_path / "bare.json").get_role("from-snapshot")
    assert from_snapshot.unknown_managed == ()
    assert from_snapshot.managed[0].document == aws_managed_policy(readonly).document  # type: ignore[union-attr]
    assert evaluate(request, identity=from_snapshot.managed).decision is Decision.IMPLICIT_DENY
