"""Terraform plan source: planned values, unknowns followed through ``configuration``, modules.

Plan JSON format: https://developer.hashicorp.com/terraform/internals/json-format. The fixture
tests/assets/terraform/cognito-import/plan.json stands for the .tf files beside it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from iam_audit.errors import InputError
from iam_audit.model import PolicyKind, SourceKind
from iam_audit.sources.terraform import PlanSource, load_plan
from tests.conftest import asset, write_json

ACCOUNT = "111122223333"
SOURCE_POOL = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_OldPool42"
LOGS_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/<aws_iam_role.import_logs.name>"
PLAN = asset("terraform", "cognito-import", "plan.json")


@pytest.fixture(scope="module")
def plan() -> PlanSource:
    return load_plan(PLAN)


def fixture_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PLAN.read_text())
    return copy.deepcopy(data)


def child_module(data: dict[str, Any], section: str) -> dict[str, Any]:
    root = (
        data[section]["values"]["root_module"]
        if section == "prior_state"
        else data[section]["root_module"]
    )
    module: dict[str, Any] = root["child_modules"][0]
    return module


def test_roles_in_root_and_child_modules(plan: PlanSource) -> None:
    lambda_role = plan.get_role("module.migration.aws_iam_role.migrate")
    assert lambda_role.arn == f"arn:aws:iam::{ACCOUNT}:role/cognito-migrate"
    assert lambda_role.origin.kind is SourceKind.TERRAFORM
    assert lambda_role.origin.location == str(PLAN)
    assert lambda_role.origin.pointer == "module.migration.aws_iam_role.migrate"
    assert lambda_role.origin.line is None  # plans carry no lines
    # arn and name of the new logs role are unknown until apply: name_prefix → generated name
    logs = plan.get_role("aws_iam_role.import_logs")
    assert logs.arn == LOGS_ARN
    assert logs.path == "/service-role/"
    assert logs.symbolic == ()
    assert plan.get_role(LOGS_ARN) is logs
    assert plan.get_role("cognito-migrate") is lambda_role


def test_policies_from_every_resource_kind(plan: PlanSource) -> None:
    role = plan.get_role("module.migration.aws_iam_role.migrate")
    assert role.trust is not None
    assert role.trust.document["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    # aws_iam_role_policy.role = aws_iam_role.migrate.id is unknown in the plan: followed through
    # the configuration's references to the role's (known) name
    (inline,) = role.inline
    assert inline.name == "read-old-pool"
    assert inline.kind is PolicyKind.INLINE
    assert inline.origin is not None
    assert inline.origin.pointer == "module.migration.aws_iam_role_policy.migrate"
    assert inline.document["Statement"][0]["Resource"] == SOURCE_POOL
    # aws_iam_role_policy_attachment of an AWS managed policy: the offline snapshot
    (basic,) = role.managed
    assert basic.name == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert basic.version_id == "v1"
    logs = plan.get_role("aws_iam_role.import_logs")
    (block,) = logs.inline  # the inline_policy block
    assert block.name == "cognito-import-logs"
    assert block.document["Statement"][0]["Resource"] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/cognito/*"
    )
    assert logs.trust is not None
    assert logs.trust.document["Statement"][0]["Principal"]["AWS"] == (
        "arn:aws:iam::444455556666:root"
    )


def test_function_pool_and_permission_follow_references(plan: PlanSource) -> None:
    (function,) = plan.inventory().functions
    # aws_lambda_function.role = aws_iam_role.migrate.arn (unknown) → the role's ARN
    assert function.role_arn == f"arn:aws:iam::{ACCOUNT}:role/cognito-migrate"
    assert function.arn == f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:cognito-migrate"
    assert function.environment == (("OLD_USER_POOL_ID", "eu-west-1_OldPool42"),)
    assert function.timeout == 30
    (pool,) = plan.inventory().user_pools
    # lambda_config.user_migration = module.migration.function_arn: through the module output
    assert pool.migration_lambda_arn == function.arn
    assert (
        pool.arn
        == f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/<aws_cognito_user_pool.import.id>"
    )
    assert plan.get_user_pool(pool.arn) is pool
    assert plan.get_function("cognito-migrate") is function
    assert function.resource_policy is not None
    assert function.resource_policy.document["Statement"] == [
        {
            "Sid": "AllowCognitoUserMigration",
            "Effect": "Allow",
            "Principal": {"Service": "cognito-idp.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Condition": {"ArnLike": {"AWS:SourceArn": pool.arn}},
            "Resource": function.arn,
        }
    ]


def test_region_and_account_come_from_the_plan_or_the_options(plan: PlanSource) -> None:
    assert plan.account_id() == ACCOUNT
    assert plan.inventory().notes == (
        f"account {ACCOUNT} taken from data.aws_caller_identity.current",
        "region eu-west-1 taken from data.aws_region.current",
    )
    other = load_plan(PLAN, region="eu-central-1", account_id="444455556666")
    assert other.inventory().notes == ()
    assert other.get_role("aws_iam_role.import_logs").arn.startswith("arn:aws:iam::444455556666:")


def test_without_account_the_arns_stay_symbolic(tmp_path: Path) -> None:
    data = fixture_data()
    data["prior_state"]["values"]["root_module"]["resources"] = []
    del data["configuration"]["provider_config"]["aws"]["expressions"]
    source = load_plan(write_json(tmp_path / "plan.json", data))
    logs = source.get_role("aws_iam_role.import_logs")
    assert logs.arn == (
        "arn:<Unresolved.AWS.Partition>:iam::<Unresolved.AWS.AccountId>:role/service-role/"
        "<aws_iam_role.import_logs.name>"
    )
    assert "<Unresolved.AWS.AccountId>" in logs.symbolic
    assert source.inventory().notes == (
        "the account is unknown (pass --account-id)",
        "the region is unknown (pass --region)",
    )


def test_exclusive_resources_decide_what_stays(tmp_path: Path) -> None:
    data = fixture_data()
    extra = {
        "address": "aws_iam_role_policy.stray",
        "mode": "managed",
        "type": "aws_iam_role_policy",
        "name": "stray",
        "values": {
            "name": "stray",
            "role": "x",
            "policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
                }
            ),
        },
    }
    data["planned_values"]["root_module"]["resources"].append(extra)
    data["resource_changes"].append(
        {
            "address": "aws_iam_role_policy.stray",
            "change": {
                "actions": ["create"],
                "after": extra["values"],
                "after_unknown": {"role": True},
            },
        }
    )
    data["configuration"]["root_module"]["resources"].append(
        {
            "address": "aws_iam_role_policy.stray",
            "type": "aws_iam_role_policy",
            "expressions": {
                "role": {"references": ["aws_iam_role.import_logs.id", "aws_iam_role.import_logs"]}
            },
        }
    )
    source = load_plan(write_json(tmp_path / "plan.json", data))
    logs = source.get_role("aws_iam_role.import_logs")
    # aws_iam_role_policies_exclusive lists only cognito-import-logs: apply removes "stray"
    assert [p.name for p in logs.inline] == ["cognito-import-logs"]
    assert (
        "aws_iam_role_policies_exclusive.import_logs removes inline policies stray from "
        "<aws_iam_role.import_logs.name>" in source.inventory().notes
    )


def test_deferred_policy_document_is_rebuilt_from_configuration(tmp_path: Path) -> None:
    """A policy document that references a resource not yet created is read at apply: its
    ``json`` is unknown in the plan, and is rebuilt from its statement blocks."""
    data = fixture_data()
    prior = child_module(data, "prior_state")
    (read,) = [r for r in prior["resources"] if r["address"].endswith("document.migrate")]
    prior["resources"].remove(read)
    # Terraform lists a data source it reads during apply in planned_values and resource_changes
    del read["values"]["json"], read["values"]["minified_json"], read["values"]["statement"]
    child_module(data, "planned_values")["resources"].append(read)
    data["resource_changes"].append(
        {
            "address": read["address"],
            "module_address": "module.migration",
            "mode": "data",
            "type": read["type"],
            "name": read["name"],
            "change": {
                "actions": ["read"],
                "before": None,
                "after": read["values"],
                "after_unknown": {
                    "id": True,
                    "json": True,
                    "minified_json": True,
                    "statement": True,
                },
            },
            "action_reason": "read_because_dependency_pending",
        }
    )
    document_config = next(
        r
        for r in data["configuration"]["root_module"]["module_calls"]["migration"]["module"][
            "resources"
        ]
        if r["address"] == "data.aws_iam_policy_document.migrate"
    )
    document_config["expressions"]["statement"].append(
        {
            "sid": {"constant_value": "Logs"},
            "actions": {"constant_value": ["logs:CreateLogStream", "logs:PutLogEvents"]},
            "resources": {
                "references": [
                    "aws_cloudwatch_log_group.migrate.arn",
                    "aws_cloudwatch_log_group.migrate",
                ]
            },
        }
    )
    policy_change = next(
        rc
        for rc in data["resource_changes"]
        if rc["address"] == "module.migration.aws_iam_role_policy.migrate"
    )
    policy_change["change"]["after_unknown"]["policy"] = True
    planned = next(
        r
        for r in child_module(data, "planned_values")["resources"]
        if r["address"] == policy_change["address"]
    )
    del planned["values"]["policy"]
    source = load_plan(write_json(tmp_path / "plan.json", data))
    role = source.get_role("module.migration.aws_iam_role.migrate")
    (inline,) = role.inline
    assert inline.document["Statement"] == [
        {
            "Sid": "ReadOldPool",
            "Effect": "Allow",
            "Action": ["cognito-idp:AdminGetUser"],
            "Resource": [SOURCE_POOL],  # var.source_pool_arn through the module call
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/cognito-migrate"],
        },
    ]
    # references were taken to be the whole value: the role says so
    assert role.symbolic == (
        "<Unresolved.Expression.module.migration.data.aws_iam_policy_document.migrate.statement.0.resources>",
        "<Unresolved.Expression.module.migration.data.aws_iam_policy_document.migrate.statement.1.resources>",
    )


def test_unknown_policy_is_symbolic_not_empty(tmp_path: Path) -> None:
    data = fixture_data()
    change = next(
        rc for rc in data["resource_changes"] if rc["address"] == "aws_iam_role.import_logs"
    )
    change["change"]["after_unknown"]["inline_policy"] = [{"policy": True}]
    planned = next(
        r
        for r in data["planned_values"]["root_module"]["resources"]
        if r["address"] == "aws_iam_role.import_logs"
    )
    del planned["values"]["inline_policy"][0]["policy"]
    source = load_plan(write_json(tmp_path / "plan.json", data))
    logs = source.get_role("aws_iam_role.import_logs")
    assert logs.inline == ()
    assert logs.symbolic == (
        "<Unresolved.aws_iam_role.import_logs.inline_policy.cognito-import-logs>",
    )
    assert (
        "aws_iam_role.import_logs: inline_policy cognito-import-logs is unknown until apply; "
        "its policy is not judged" in source.inventory().notes
    )


def test_customer_managed_policy_outside_the_plan_is_unknown(tmp_path: Path) -> None:
    data = fixture_data()
    attachment = next(
        r
        for r in child_module(data, "planned_values")["resources"]
        if r["type"] == "aws_iam_role_policy_attachment"
    )
    attachment["values"]["policy_arn"] = f"arn:aws:iam::{ACCOUNT}:policy/shared"
    source = load_plan(write_json(tmp_path / "plan.json", data))
    role = source.get_role("cognito-migrate")
    assert role.unknown_managed == (f"arn:aws:iam::{ACCOUNT}:policy/shared",)
    assert role.managed == ()


def test_unknown_role_is_an_input_error(plan: PlanSource) -> None:
    with pytest.raises(InputError) as err:
        plan.get_role("aws_iam_role.nope")
    assert (
        "aws_iam_role.import_logs, module.migration.aws_iam_role.migrate" in err.value.diagnostics()
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not valid JSON"),
        ('{"format_version": "1.0", "values": {}}', "not a Terraform plan in JSON"),  # a state file
        ('{"format_version": "2.0", "planned_values": {}}', "format_version 2.0 is not supported"),
        ("[1, 2]", "not a Terraform plan in JSON"),
    ],
)
def test_bad_plans_give_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        load_plan(path)
    assert message in err.value.diagnostics()
    assert "\n" not in err.value.diagnostics()


def test_missing_plan(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read plan"):
        load_plan(tmp_path / "absent.json")
