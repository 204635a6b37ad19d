"""The resource each ``logs:`` action is authorized on, and fixes that grant exactly that.

Service Authorization Reference, "Actions, resources, and condition keys for Amazon CloudWatch
Logs" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html):
CreateLogGroup, CreateLogStream and DescribeLogStreams take the resource type ``log-group``
("arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"), PutLogEvents takes
``log-stream``
("arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}").

CloudWatch Logs User Guide, "Overview of managing access permissions to your CloudWatch Logs
resources" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html):
of the two log-group ARNs, "Use the second version, with the trailing :*, to refer to the ARN when
specifying permissions in IAM policies for all other API actions" (all but the tagging ones).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_audit.checks.logs import LogGroup, LogResource, resource_type
from iam_audit.engine import Decision, Principal, PrincipalKind, Request, evaluate, parse_policy
from iam_audit.fix.plan import INLINE_POLICY_NAME, plan_fixes
from iam_audit.model import PolicyKind, Role
from iam_audit.sources.auth_details import AuthDetailsSource
from tests.checks.casefile import authorization_details
from tests.checks.test_checks import CASES, _findings

GROUP = LogGroup("aws", "eu-central-1", "111122223333", "/aws/lambda/MigrateUsers")
BASE = "arn:aws:logs:eu-central-1:111122223333:log-group:/aws/lambda/MigrateUsers"


@pytest.mark.parametrize(
    ("action", "kind", "arn"),
    [
        # AccessDenied for CreateLogGroup / DescribeLogStreams names "…:log-group:NAME:log-stream:"
        ("logs:CreateLogGroup", LogResource.LOG_GROUP, f"{BASE}:log-stream:"),
        ("logs:DescribeLogStreams", LogResource.LOG_GROUP, f"{BASE}:log-stream:"),
        # and for CreateLogStream the stream being created
        ("logs:CreateLogStream", LogResource.LOG_GROUP, f"{BASE}:log-stream:*"),
        ("logs:PutLogEvents", LogResource.LOG_STREAM, f"{BASE}:log-stream:*"),
        ("LOGS:putlogevents", LogResource.LOG_STREAM, f"{BASE}:log-stream:*"),  # case-insensitive
    ],
)
def test_authorized_arn(action: str, kind: LogResource, arn: str) -> None:
    assert resource_type(action) is kind
    assert GROUP.authorized_arn(action) == arn


def test_policy_arn_has_the_trailing_star() -> None:
    assert GROUP.arn == BASE
    assert GROUP.policy_arn == f"{BASE}:*"


def _allowed(resource_pattern: str, action: str) -> bool:
    policy = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource_pattern}],
            }
        ),
        name="p",
        kind=PolicyKind.INLINE,
    )
    request = Request(
        action=action,
        resource=GROUP.authorized_arn(action),
        principal=Principal(PrincipalKind.AWS, "arn:aws:iam::111122223333:role/r"),
        context={},
    )
    return evaluate(request, identity=[policy]).decision is Decision.ALLOWED


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        (f"{BASE}:*", True),  # the documented form (console default)
        (f"{BASE}:log-stream:*", True),  # Amplify's form
        ("arn:aws:logs:eu-central-1:111122223333:log-group:/aws/lambda/Migrate*:*", True),
        ("arn:aws:logs:eu-central-1:111122223333:*", True),
        (BASE, False),  # the bare ARN is for tagging actions
        ("arn:aws:logs:eu-central-1:111122223333:log-group:/aws/lambda/Other:*", False),
        ("arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/MigrateUsers:*", False),
    ],
)
@pytest.mark.parametrize(
    "action",
    ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
)
def test_which_policy_resources_grant_each_action(pattern: str, allowed: bool, action: str) -> None:
    assert _allowed(pattern, action) is allowed


def _with_fix(case: dict[str, Any], key: str, fix: dict[str, Any]) -> dict[str, Any]:
    fixed = json.loads(json.dumps(case))
    fixed[key]["inline"][INLINE_POLICY_NAME] = fix
    return fixed


def _role(case: dict[str, Any], key: str, tmp_path: Path) -> Role:
    details = tmp_path / "plan-auth.json"
    details.write_text(json.dumps(authorization_details(case)))
    name = "MigrationRole" if key == "lambda_role" else "ImportLogsRole"
    return AuthDetailsSource(details).get_role(name)


@pytest.mark.parametrize(
    ("check", "key", "name"),
    [
        ("COG005", "lambda_role", "fail_no_logs"),
        ("COG005", "lambda_role", "fail_bare_log_group_arn"),
        ("COG005", "lambda_role", "fail_other_function_group"),
        ("COG005", "lambda_role", "fail_put_without_create_stream"),
        ("COG002", "logs_role", "fail_missing_describe"),
        ("COG002", "logs_role", "fail_lambda_log_groups_only"),
        ("COG002", "logs_role", "fail_wrong_region"),
    ],
)
def test_the_planned_fix_is_what_aws_authorizes(
    check: str, key: str, name: str, tmp_path: Path
) -> None:
    """The document the fix plan writes for a failing check makes the same check pass."""
    case = json.loads((CASES / check / f"{name}.json").read_text())
    (failing,) = _findings(case, check, tmp_path)
    assert failing.status.value == "fail"
    (planned,) = plan_fixes([failing], [_role(case, key, tmp_path)]).fixes
    assert planned.policy_name == INLINE_POLICY_NAME
    (fixed,) = _findings(_with_fix(case, key, dict(planned.after)), check, tmp_path)
    assert fixed.status.value == "pass", fixed.message
