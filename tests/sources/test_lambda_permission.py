"""One Lambda permission, written in CloudFormation and in Terraform, is one statement.

Lambda's AddPermission (https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html) is
what both ``AWS::Lambda::Permission`` and ``aws_lambda_permission`` call. Its reference says of
``SourceArn``: "For AWS services, the ARN of the AWS resource that invokes the function", pattern
``^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:...``; of ``SourceAccount`` the pattern ``^\\d{12}$``;
of ``PrincipalOrgID`` "The identifier for your organization in AWS Organizations", pattern
``^o-[a-z0-9]{10,32}$``; of ``FunctionUrlAuthType`` the values ``NONE | AWS_IAM``. A parameter not
given adds no condition, and an empty string is not a valid value of any of them, so it adds none
either (the two sources used to disagree on exactly that).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iam_audit.sources.cloudformation import load_template
from iam_audit.sources.lambda_permission import permission_statement
from iam_audit.sources.terraform import load_plan
from tests.conftest import write_json

ACCOUNT = "111122223333"
REGION = "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:migrate"
POOL_ARN = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abcDEF123"

#: (CloudFormation property, Terraform argument)
FIELDS = (
    ("SourceArn", "source_arn"),
    ("SourceAccount", "source_account"),
    ("PrincipalOrgID", "principal_org_id"),
    ("FunctionUrlAuthType", "function_url_auth_type"),
)

# principal, action, given fields (CloudFormation names; "" is given as an empty string), the
# statement's expected Condition (None: no Condition at all)
CASES: list[tuple[str, str, str, dict[str, str], dict[str, Any] | None]] = [
    (
        "source-arn",
        "cognito-idp.amazonaws.com",
        "lambda:InvokeFunction",
        {"SourceArn": POOL_ARN},
        {"ArnLike": {"AWS:SourceArn": POOL_ARN}},
    ),
    (
        "source-arn-and-account",
        "cognito-idp.amazonaws.com",
        "lambda:InvokeFunction",
        {"SourceArn": POOL_ARN, "SourceAccount": ACCOUNT},
        {
            "ArnLike": {"AWS:SourceArn": POOL_ARN},
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
        },
    ),
    (
        "org-id",
        "444455556666",
        "lambda:InvokeFunction",
        {"PrincipalOrgID": "o-a1b2c3d4e5"},
        {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    ),
    (
        "function-url",
        "*",
        "lambda:InvokeFunctionUrl",
        {"FunctionUrlAuthType": "AWS_IAM"},
        {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
    ),
    ("nothing-given", "cognito-idp.amazonaws.com", "lambda:InvokeFunction", {}, None),
    (
        "empty-source-arn",
        "cognito-idp.amazonaws.com",
        "lambda:InvokeFunction",
        {"SourceArn": ""},
        None,
    ),
    (
        "empty-account-kept-arn",
        "cognito-idp.amazonaws.com",
        "lambda:InvokeFunction",
        {"SourceArn": POOL_ARN, "SourceAccount": ""},
        {"ArnLike": {"AWS:SourceArn": POOL_ARN}},
    ),
]


def _cloudformation(tmp_path: Path, principal: str, action: str, given: dict[str, str]) -> Any:
    properties = {
        "FunctionName": {"Fn::GetAtt": ["Migrate", "Arn"]},
        "Principal": principal,
        "Action": action,
        **given,
    }
    template = {
        "Resources": {
            "Migrate": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "migrate",
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Role": f"arn:aws:iam::{ACCOUNT}:role/migrate",
                    "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
                },
            },
            "Perm": {"Type": "AWS::Lambda::Permission", "Properties": properties},
        }
    }
    path = write_json(tmp_path / "template.json", template)
    source = load_template(path, region=REGION, account_id=ACCOUNT)
    function = source.get_function("migrate")
    assert function is not None
    assert function.resource_policy is not None
    return function.resource_policy.document


def _terraform(tmp_path: Path, principal: str, action: str, given: dict[str, str]) -> Any:
    arguments: dict[str, Any] = {tf: given.get(cfn) for cfn, tf in FIELDS}
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_lambda_function.migrate",
                        "mode": "managed",
                        "type": "aws_lambda_function",
                        "name": "migrate",
                        "values": {
                            "arn": FUNCTION_ARN,
                            "function_name": "migrate",
                            "handler": "index.handler",
                            "runtime": "python3.12",
                            "role": f"arn:aws:iam::{ACCOUNT}:role/migrate",
                        },
                    },
                    {
                        "address": "aws_lambda_permission.perm",
                        "mode": "managed",
                        "type": "aws_lambda_permission",
                        "name": "perm",
                        "values": {
                            "statement_id": "Perm",
                            "function_name": FUNCTION_ARN,
                            "principal": principal,
                            "action": action,
                            **arguments,
                        },
                    },
                ]
            }
        },
    }
    path = write_json(tmp_path / "plan.json", plan)
    source = load_plan(path, region=REGION, account_id=ACCOUNT)
    function = source.get_function("migrate")
    assert function is not None
    assert function.resource_policy is not None
    return function.resource_policy.document


@pytest.mark.parametrize(
    ("principal", "action", "given", "condition"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_both_sources_write_the_statement_add_permission_writes(
    tmp_path: Path,
    principal: str,
    action: str,
    given: dict[str, str],
    condition: dict[str, Any] | None,
) -> None:
    (tmp_path / "cfn").mkdir()
    (tmp_path / "tf").mkdir()
    cfn = _cloudformation(tmp_path / "cfn", principal, action, given)
    tf = _terraform(tmp_path / "tf", principal, action, given)
    assert cfn == tf
    (statement,) = cfn["Statement"]
    assert statement["Sid"] == "Perm"
    assert statement["Resource"] == FUNCTION_ARN
    assert statement["Action"] == action
    assert statement.get("Condition") == condition


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("*", "*"),
        ("cognito-idp.amazonaws.com", {"Service": "cognito-idp.amazonaws.com"}),
        ("alexa-appkit.amazon.com", {"Service": "alexa-appkit.amazon.com"}),
        ("444455556666", {"AWS": "444455556666"}),
        ("arn:aws:iam::444455556666:root", {"AWS": "arn:aws:iam::444455556666:root"}),
    ],
)
def test_principal_is_written_as_its_kind(principal: str, expected: Any) -> None:
    statement = permission_statement("S", principal, "lambda:InvokeFunction", FUNCTION_ARN)
    assert statement["Principal"] == expected
    assert "Condition" not in statement


def test_a_number_yaml_wrote_unquoted_is_its_text() -> None:
    statement = permission_statement(
        "S", "s3.amazonaws.com", "lambda:InvokeFunction", FUNCTION_ARN, source_account=111122223333
    )
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceAccount": "111122223333"}}
