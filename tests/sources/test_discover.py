"""Discovery rules (DESIGN.md "Commands"): trigger → function → role, cognito-idp trust → logs
role, pool ID in the environment → source pool; anything else is a skip, never a guess."""

from __future__ import annotations

from typing import Any

import pytest

from iam_audit.discover import Discovery, Item, Skip, Survey, discover
from iam_audit.engine import parse_policy
from iam_audit.model import (
    Inventory,
    LambdaFunction,
    Origin,
    PolicyKind,
    Role,
    SourceKind,
    UserPool,
)
from iam_audit.sources.cloudformation import load_template
from tests.conftest import asset

ACCOUNT = "111122223333"
ORIGIN = Origin(SourceKind.FILE, "inventory.json")
POOL = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Import1"
FN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:migrate"
LAMBDA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/migrate"


def trust(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def role(name: str, document: dict[str, Any]) -> Role:
    return Role(
        arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        name=name,
        origin=ORIGIN,
        trust=parse_policy(document, name="trust", kind=PolicyKind.TRUST),
    )


def function(env: dict[str, str]) -> LambdaFunction:
    return LambdaFunction(
        arn=FN, name="migrate", role_arn=LAMBDA_ROLE, origin=ORIGIN, environment=tuple(env.items())
    )


def pool(arn: str = POOL, trigger: str | None = FN, logs: tuple[str, ...] = ()) -> UserPool:
    return UserPool(
        arn=arn,
        pool_id=arn.rsplit("/", 1)[1],
        origin=ORIGIN,
        migration_lambda_arn=trigger,
        import_logs_role_arns=logs,
    )


LAMBDA = role("migrate", trust({"Service": "lambda.amazonaws.com"}))
LOGS = role("import-logs", trust({"Service": "cognito-idp.amazonaws.com"}))


def _one(survey: Survey) -> Discovery:
    (found,) = survey.discoveries
    return found


def test_the_yaml_stack_discovers_everything() -> None:
    source = load_template(asset("cfn", "stack.yaml"), region="eu-west-1", account_id=ACCOUNT)
    found = _one(discover(source.inventory(), user_pool_arn=None, source_pool_arn=None))
    pool_arn = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/<UserPool>"
    logs = f"arn:aws:iam::{ACCOUNT}:role/service-role/<ImportLogsRole>"
    assert found.user_pool is not None
    assert found.user_pool.arn == pool_arn
    assert found.function is source.get_function("MigrationFunction")
    assert found.lambda_role_arn == f"arn:aws:iam::{ACCOUNT}:role/cognito-migration-prod"
    assert found.logs_role_arns == (logs,)
    assert found.source_pool_arn == (
        f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_OldPool42"
    )
    assert found.notes == (
        f"user pool {pool_arn} has a UserMigration trigger; auditing it",
        f"function <AWS.StackName>-migrate is the UserMigration trigger of {pool_arn}",
        f"logs role candidate {logs}: its trust policy lets cognito-idp.amazonaws.com assume it",
        f"Lambda role {found.lambda_role_arn} is the execution role of <AWS.StackName>-migrate",
        f"source pool {found.source_pool_arn} taken from OLD_USER_POOL_ID in the environment of "
        "function <AWS.StackName>-migrate",
    )
    assert found.skips == ()


def test_cdk_output_discovers_the_source_pool_partition_from_its_region() -> None:
    source = load_template(asset("cfn", "cdk-synth.template.json"))
    found = _one(discover(source.inventory(), user_pool_arn=None, source_pool_arn=None))
    # the account is unknown without --account-id; the partition follows the pool ID's region
    assert found.source_pool_arn == (
        "arn:aws:cognito-idp:eu-west-1:<Unresolved.AWS.AccountId>:userpool/eu-west-1_Src0Pool9"
    )
    assert found.lambda_role_arn is not None
    assert found.lambda_role_arn.endswith(":role/<MigrationFnServiceRole3A1B2C4D>")
    assert len(found.logs_role_arns) == 1


def _discover(inventory: Inventory, **kwargs: str | None) -> Discovery:
    kwargs.setdefault("user_pool_arn", None)
    kwargs.setdefault("source_pool_arn", None)
    return _one(discover(inventory, **kwargs))  # type: ignore[arg-type]


OTHER_POOL = POOL.replace("Import1", "Other2")


@pytest.mark.parametrize(
    ("inventory", "kwargs", "item", "skip"),
    [
        pytest.param(
            Inventory(user_pools=(pool(trigger=None), pool(OTHER_POOL, trigger=None))),
            {},
            Item.USER_POOL,
            Skip(
                Item.USER_POOL,
                f"several user pools ({POOL}, {OTHER_POOL}) and none has a UserMigration "
                "trigger or import jobs",
                needs="--user-pool-arn",
            ),
            id="several-pools-none-with-a-trigger",
        ),
        pytest.param(
            Inventory(user_pools=(pool(trigger=None),)),
            {},
            Item.LAMBDA_ROLE,
            Skip(Item.LAMBDA_ROLE, f"user pool {POOL} has no UserMigration trigger"),
            id="no-trigger-is-not-applicable",
        ),
        pytest.param(
            Inventory(user_pools=(pool(),)),
            {},
            Item.FUNCTION,
            Skip(
                Item.FUNCTION,
                f"the UserMigration trigger {FN} is not in the source",
                needs="--lambda-role",
            ),
            id="trigger-not-in-source",
        ),
        pytest.param(
            Inventory(roles=(LAMBDA,), user_pools=(pool(),), functions=(function({}),)),
            {},
            Item.LOGS_ROLE,
            Skip(
                Item.LOGS_ROLE,
                "no import job names a logs role and no role in the source is trusted by "
                "cognito-idp.amazonaws.com for it: the source does no CSV import",
            ),
            id="no-logs-role-is-not-applicable",
        ),
        pytest.param(
            Inventory(
                roles=(LOGS, role("other-logs", trust({"Service": ["cognito-idp.amazonaws.com"]}))),
            ),
            {},
            Item.LOGS_ROLE,
            Skip(
                Item.LOGS_ROLE,
                "several roles trust cognito-idp.amazonaws.com "
                f"(arn:aws:iam::{ACCOUNT}:role/import-logs, arn:aws:iam::{ACCOUNT}:role/other-logs)"
                "; none was picked",
                needs="--logs-role",
            ),
            id="two-logs-roles",
        ),
        pytest.param(
            Inventory(
                user_pools=(pool(),),
                functions=(function({"A": "eu-west-1_First1", "B": "eu-west-1_Second2"}),),
            ),
            {},
            Item.SOURCE_POOL,
            Skip(
                Item.SOURCE_POOL,
                "function migrate names several user pools "
                f"(A=arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_First1; "
                f"B=arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Second2)",
                needs="--source-pool-arn",
            ),
            id="two-source-pools",
        ),
    ],
)
def test_what_cannot_be_discovered_is_a_skip(
    inventory: Inventory, kwargs: dict[str, str], item: Item, skip: Skip
) -> None:
    found = _discover(inventory, **kwargs)
    assert found.skip(item) == skip


def test_named_pool_is_used_and_the_source_pool_given_is_kept() -> None:
    other = pool(POOL.replace("Import1", "Other2"), trigger=None)
    inventory = Inventory(
        roles=(LAMBDA, LOGS),
        user_pools=(pool(), other),
        functions=(function({"OLD_POOL": "eu-west-1_FromEnv9"}),),
    )
    given = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Given7"
    found = _discover(inventory, user_pool_arn=POOL, source_pool_arn=given)
    assert found.user_pool == inventory.user_pools[0]
    assert found.lambda_role_arn == LAMBDA_ROLE
    assert found.source_pool_arn == given
    assert not any("FromEnv9" in n for n in found.notes)
    assert found.skips == ()


def test_environment_naming_a_pool_of_the_source_uses_its_arn() -> None:
    source_pool = pool(POOL.replace("eu-west-1_Import1", "<SourcePool>"), trigger=None)
    inventory = Inventory(
        user_pools=(pool(), source_pool),
        functions=(function({"SOURCE": "<SourcePool>", "OTHER": "not-a-pool"}),),
    )
    found = _discover(inventory, user_pool_arn=POOL)
    assert found.source_pool_arn == source_pool.arn


def test_pool_arn_in_environment_is_taken_as_is() -> None:
    arn = "arn:aws:cognito-idp:us-east-1:444455556666:userpool/us-east-1_Far4"
    found = _discover(Inventory(user_pools=(pool(),), functions=(function({"POOL": arn}),)))
    assert found.source_pool_arn == arn


def test_no_pool_in_environment_says_the_import_pool_is_used() -> None:
    found = _discover(Inventory(user_pools=(pool(),), functions=(function({"X": "1"}),)))
    assert found.source_pool_arn is None
    assert found.notes[-1] == (
        "no user pool ID in the environment of function migrate; the source pool is the "
        "import pool unless --source-pool-arn says otherwise"
    )


@pytest.mark.parametrize(
    ("document", "candidate"),
    [
        (trust({"Service": "cognito-idp.amazonaws.com"}), True),
        (trust({"Service": ["lambda.amazonaws.com", "cognito-idp.amazonaws.com"]}), True),
        # a condition Cognito may or may not satisfy: still a candidate (COG003 then warns)
        (
            trust(
                {"Service": "cognito-idp.amazonaws.com"},
                {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            ),
            True,
        ),
        # "*" is every principal, services included; COG007 then fails the role
        (trust({"AWS": "*"}), True),
        (trust("*"), True),
        (trust({"Service": "cognito-identity.amazonaws.com"}), False),  # the classic mix-up
        (trust({"Service": "lambda.amazonaws.com"}), False),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cognito-idp.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    },
                    {
                        "Effect": "Deny",
                        "Principal": {"Service": "cognito-idp.amazonaws.com"},
                        "Action": "sts:*",
                    },
                ],
            },
            False,
        ),
    ],
)
def test_logs_role_candidates_are_asked_of_the_engine(
    document: dict[str, Any], candidate: bool
) -> None:
    found = _discover(Inventory(roles=(role("r", document),), user_pools=(pool(trigger=None),)))
    assert found.logs_role_arns == ((f"arn:aws:iam::{ACCOUNT}:role/r",) if candidate else ())


def test_import_jobs_logs_role_is_a_candidate() -> None:
    used = f"arn:aws:iam::{ACCOUNT}:role/used-by-jobs"
    found = _discover(Inventory(user_pools=(pool(trigger=None, logs=(used,)),)))
    assert found.logs_role_arns == (used,)
    assert f"logs role {used}: the import jobs of {POOL} used it" in found.notes


def test_skip_is_a_value() -> None:
    assert Skip(Item.LOGS_ROLE, "x") == Skip(Item.LOGS_ROLE, "x")
    assert Discovery().skip(Item.LOGS_ROLE) is None
