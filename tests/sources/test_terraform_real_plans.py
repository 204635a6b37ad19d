"""Real ``terraform show -json`` output (tests/assets/terraform/README.md says how it was made).

The plans are Terraform 1.11.4 with hashicorp/aws 5.100.0 on a fresh apply: nothing exists yet, so
every ID and ARN AWS assigns is unknown, and Terraform writes such values only as ``after_unknown``
in ``resource_changes`` (an attachment of a new role and a new policy has no ``values`` at all in
``planned_values``). Plan JSON format: https://developer.hashicorp.com/terraform/internals/json-format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.errors import InputError
from iam_audit.sources.terraform import PlanSource, load_plan
from tests.conftest import asset, write_json

ACCOUNT = "111122223333"
FRESH = asset("terraform", "fresh-apply", "plan.json")
TARGETED = asset("terraform", "fresh-apply", "plan-targeted.json")
MODULES = asset("terraform", "modules-count", "plan.json")
ERRORED = asset("terraform", "errored", "plan.json")


@pytest.fixture(scope="module")
def fresh() -> PlanSource:
    return load_plan(FRESH, account_id=ACCOUNT)


@pytest.fixture(scope="module")
def modules() -> PlanSource:
    return load_plan(MODULES, account_id=ACCOUNT)


def _managed(source: PlanSource, role: str) -> list[str]:
    return [d.name for d in source.get_role(role).managed]


def test_attachment_with_all_values_unknown_is_read(fresh: PlanSource) -> None:
    """``role = aws_iam_role.migration.id``, ``policy_arn = aws_iam_policy.migration.arn``: both
    unknown on a fresh apply, so the resource has no ``values``; the configuration says what."""
    planned = json.loads(FRESH.read_text())["planned_values"]["root_module"]["resources"]
    attachment = next(
        r for r in planned if r["address"] == "aws_iam_role_policy_attachment.migration"
    )
    assert "values" not in attachment  # the shape that used to be dropped
    assert _managed(fresh, "aws_iam_role.migration") == [
        f"arn:aws:iam::{ACCOUNT}:policy/cognito-user-migration"
    ]
    assert _managed(fresh, "aws_iam_role.import_logs") == [
        f"arn:aws:iam::{ACCOUNT}:policy/cognito-import-logs"
    ]


def test_region_comes_from_the_variable_of_the_provider(fresh: PlanSource) -> None:
    """``provider "aws" { region = var.region }``: the plan's ``variables`` hold the value."""
    function = fresh.get_function("migrate-users")
    assert function is not None
    assert function.arn == f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:migrate-users"
    assert "region eu-west-1 taken from the aws provider configuration" in (fresh.inventory().notes)


def test_region_variable_set_on_the_command_line(tmp_path: Path) -> None:
    data: dict[str, Any] = json.loads(FRESH.read_text())
    data["variables"]["region"]["value"] = "ap-southeast-2"  # terraform plan -var region=...
    source = load_plan(write_json(tmp_path / "plan.json", data), account_id=ACCOUNT)
    function = source.get_function("migrate-users")
    assert function is not None
    assert function.arn.startswith("arn:aws:lambda:ap-southeast-2:")


def test_fresh_apply_audits_without_region_option(tmp_path: Path) -> None:
    """The commonest layout needs no ``--region``: COG001 passes on the attached policy."""
    result = CliRunner().invoke(
        app,
        ["audit", "--terraform-plan", str(FRESH), "--account-id", ACCOUNT, "--format", "json"],
    )
    data = json.loads(result.stdout)
    verdicts = {(r["check"], r["role"].rsplit("/", 1)[-1]): r["status"] for r in data["results"]}
    assert verdicts[("COG001", "cognito-user-migration")] == "pass"
    assert verdicts[("COG002", "cognito-import-logs")] == "pass"
    # the console-style log-group:/aws/lambda/migrate-users:* grant (see checks/logs.py)
    assert verdicts[("COG005", "cognito-user-migration")] == "pass"


def test_unknown_policy_arn_stays_unresolved_not_dropped(tmp_path: Path) -> None:
    """What the configuration cannot tell is an unknown managed policy, never no policy."""
    data: dict[str, Any] = json.loads(FRESH.read_text())
    config = data["configuration"]["root_module"]["resources"]
    attachment = next(
        r for r in config if r["address"] == "aws_iam_role_policy_attachment.migration"
    )
    attachment["expressions"]["policy_arn"] = {"references": ["local.policy_arn"]}
    source = load_plan(write_json(tmp_path / "plan.json", data), account_id=ACCOUNT)
    role = source.get_role("aws_iam_role.migration")
    mark = "<Unresolved.aws_iam_role_policy_attachment.migration.policy_arn>"
    assert role.unknown_managed == (mark,)
    assert mark in role.symbolic
    assert (
        "aws_iam_role_policy_attachment.migration: policy_arn is unknown until apply; "
        "the policy it attaches is not judged" in source.inventory().notes
    )


@pytest.mark.parametrize(
    ("address", "resource_type"),
    [
        ("aws_iam_role_policy_attachment.migration", "aws_iam_role_policy_attachment"),
        ("aws_iam_role_policy.extra", "aws_iam_role_policy"),
    ],
)
def test_a_policy_for_an_unknown_role_is_unknown_on_every_role(
    tmp_path: Path, address: str, resource_type: str
) -> None:
    """It may land on any role: each gets it as a policy the source does not hold, none gets
    its statements (no pass rests on it, no fail ignores it)."""
    data: dict[str, Any] = json.loads(FRESH.read_text())
    config = data["configuration"]["root_module"]["resources"]
    if resource_type == "aws_iam_role_policy":  # an inline policy resource on a local's role
        statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        data["planned_values"]["root_module"]["resources"].append(
            {
                "address": address,
                "mode": "managed",
                "type": resource_type,
                "name": "extra",
                "values": {"name": "extra", "policy": json.dumps(policy)},
            }
        )
        config.append({"address": address, "mode": "managed", "type": resource_type})
        data["resource_changes"].append(
            {"address": address, "change": {"actions": ["create"], "after_unknown": {}}}
        )
    resource = next(r for r in config if r["address"] == address)
    resource.setdefault("expressions", {})["role"] = {"references": ["local.role_name"]}
    source = load_plan(write_json(tmp_path / "plan.json", data), account_id=ACCOUNT)
    mark = f"<Unresolved.{address}.role>"
    for role_address in ("aws_iam_role.migration", "aws_iam_role.import_logs"):
        role = source.get_role(role_address)
        assert mark in role.unknown_managed
        assert mark in role.symbolic
        assert "extra" not in [d.name for d in role.inline]
    if resource_type == "aws_iam_role_policy_attachment":  # its policy's statements: on no role
        migration = source.get_role("aws_iam_role.migration")
        assert migration.managed == ()


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (ERRORED, "the plan errored (terraform plan failed part-way), so it is not audited"),
        (TARGETED, "the plan is incomplete (planned with -target, or with deferred changes)"),
    ],
    ids=["errored", "targeted"],
)
def test_partial_plans_are_refused(plan: Path, message: str) -> None:
    data = json.loads(plan.read_text())
    assert data["errored"] is True or data["complete"] is False  # what Terraform wrote
    with pytest.raises(InputError) as err:
        load_plan(plan)
    assert message in err.value.diagnostics()
    result = CliRunner().invoke(app, ["audit", "--terraform-plan", str(plan)])
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_child_module_resources(modules: PlanSource) -> None:
    role = modules.get_role("module.migration.aws_iam_role.this")
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/migrate-users-role"
    assert [d.name for d in role.inline] == ["migrate"]
    assert _managed(modules, "module.migration.aws_iam_role.this") == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]
    function = modules.get_function("module.migration.aws_lambda_function.this")
    assert function is not None
    assert function.role_arn == role.arn
    assert function.arn == f"arn:aws:lambda:eu-central-1:{ACCOUNT}:function:migrate-users"


@pytest.mark.parametrize(
    ("address", "policy"),
    [
        ('aws_iam_role.import_logs["dev"]', "cognito-import-logs-dev"),
        ('aws_iam_role.import_logs["prod"]', "cognito-import-logs-prod"),
    ],
)
def test_for_each_instances_get_their_own_attachment(
    modules: PlanSource, address: str, policy: str
) -> None:
    """``policy_arn = aws_iam_policy.import_logs[each.key].arn`` reaches the plan as the
    references ``aws_iam_policy.import_logs`` and ``each.key``: the key is the attachment's."""
    assert _managed(modules, address) == [f"arn:aws:iam::{ACCOUNT}:policy/{policy}"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_for_each_module_instances(modules: PlanSource, stage: str) -> None:
    """``module "stage" { for_each = ... }``: ``module.stage["dev"].aws_iam_role.this``."""
    address = f'module.stage["{stage}"].aws_iam_role.this'
    role = modules.get_role(address)
    assert role.name == f"migrate-users-{stage}-role"
    assert [d.name for d in role.inline] == ["migrate"]
    assert _managed(modules, address) == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]
    function = modules.get_function(f'module.stage["{stage}"].aws_lambda_function.this')
    assert function is not None
    assert function.role_arn == role.arn


def test_count_instance_gets_its_inline_policy(modules: PlanSource) -> None:
    """``role = aws_iam_role.legacy[count.index].id`` on ``aws_iam_role_policy.legacy[0]``."""
    role = modules.get_role("aws_iam_role.legacy[0]")
    assert role.name == "legacy-migrate-0"
    assert [d.name for d in role.inline] == ["legacy-migrate"]
    assert role.symbolic == ()


def test_a_destroyed_role_is_not_audited(tmp_path: Path) -> None:
    """A role the plan deletes stays in ``prior_state`` only; after apply it does not exist."""
    data: dict[str, Any] = json.loads(FRESH.read_text())
    planned = data["planned_values"]["root_module"]["resources"]
    role = next(r for r in planned if r["address"] == "aws_iam_role.import_logs")
    planned.remove(role)
    data["prior_state"] = {"values": {"root_module": {"resources": [role]}}}
    change = next(
        rc for rc in data["resource_changes"] if rc["address"] == "aws_iam_role.import_logs"
    )
    change["change"]["actions"] = ["delete"]
    source = load_plan(write_json(tmp_path / "plan.json", data), account_id=ACCOUNT)
    with pytest.raises(InputError, match=r"role 'aws_iam_role\.import_logs' is not in"):
        source.get_role("aws_iam_role.import_logs")
    assert source.get_role("aws_iam_role.migration").name == "cognito-user-migration"
