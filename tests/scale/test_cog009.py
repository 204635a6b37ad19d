"""COG009 on targets built directly: the function, its role and the pool as a live scan sees them.

The per-case files in ``tests/checks/cases/COG009`` cover the policy shapes; these tests cover what
the case files cannot: the finding's identity (role, locator), a function whose role is not in the
source, a pool whose account is the probe account, and the fix command.
Facts: the Cognito developer guide's Lambda-trigger permission uses ``AWS:SourceAccount`` and
``ArnLike AWS:SourceArn`` (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iam_audit.checks.base import AuditTarget
from iam_audit.checks.cog009_lambda_invoke_permission import (
    LambdaInvokePermission,
    add_permission_command,
)
from iam_audit.engine import parse_policy
from iam_audit.findings import Status
from iam_audit.model import LambdaFunction, Origin, PolicyKind, Role, SourceKind


def _function(account: str, policy: dict[str, Any] | None) -> LambdaFunction:
    arn = f"arn:aws:lambda:us-west-2:{account}:function:migrate"
    return LambdaFunction(
        arn=arn,
        name="migrate",
        role_arn=f"arn:aws:iam::{account}:role/migrate-role",
        origin=Origin(SourceKind.LIVE, arn),
        resource_policy=(
            parse_policy(
                json.dumps(policy), name="migrate resource policy", kind=PolicyKind.RESOURCE
            )
            if policy is not None
            else None
        ),
    )


def _grant(account: str, condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "cognito",
        "Effect": "Allow",
        "Principal": {"Service": "cognito-idp.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:us-west-2:{account}:function:migrate",
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _pool(account: str) -> str:
    return f"arn:aws:cognito-idp:us-west-2:{account}:userpool/us-west-2_Pool1"


def _run(target: AuditTarget) -> list[Any]:
    return list(LambdaInvokePermission().run(target))


@pytest.mark.parametrize(
    ("account", "condition", "status"),
    [
        # The probe for "any account" uses 999999999999; a pool in that very account must still
        # be judged against a different foreign account.
        ("999999999999", {"ArnLike": {"AWS:SourceArn": _pool("999999999999")}}, Status.PASS),
        ("999999999999", {"StringEquals": {"AWS:SourceAccount": "999999999999"}}, Status.WARN),
        ("999999999999", None, Status.WARN),
        ("111122223333", {"ArnLike": {"AWS:SourceArn": _pool("111122223333")}}, Status.PASS),
    ],
)
def test_probe_accounts_never_collide_with_the_pool(
    account: str, condition: dict[str, Any] | None, status: Status
) -> None:
    target = AuditTarget(
        user_pool_arn=_pool(account), function=_function(account, _grant(account, condition))
    )
    (finding,) = _run(target)
    assert finding.status is status, finding.message


def test_finding_names_the_function_and_its_role_when_the_role_is_not_in_the_source() -> None:
    function = _function("111122223333", None)
    target = AuditTarget(user_pool_arn=_pool("111122223333"), function=function)
    (finding,) = _run(target)
    assert finding.status is Status.FAIL
    assert finding.role == "arn:aws:iam::111122223333:role/migrate-role"
    assert finding.locator == function.arn
    assert finding.fix is None  # a Lambda permission is not an IAM policy `fix` could write
    assert finding.message.endswith(add_permission_command(function, _pool("111122223333")))


def test_finding_sits_on_the_lambda_role_when_known() -> None:
    account = "111122223333"
    role = Role(
        arn=f"arn:aws:iam::{account}:role/migrate-role",
        name="migrate-role",
        origin=Origin(SourceKind.LIVE, "x"),
    )
    target = AuditTarget(
        lambda_role=role,
        user_pool_arn=_pool(account),
        function=_function(
            account, _grant(account, {"ArnLike": {"AWS:SourceArn": _pool(account)}})
        ),
    )
    (finding,) = _run(target)
    assert (finding.status, finding.role, finding.origin) == (Status.PASS, role.arn, role.origin)


def test_the_command_binds_the_import_pool() -> None:
    function = _function("111122223333", None)
    assert add_permission_command(function, _pool("111122223333")) == (
        "aws lambda add-permission --function-name "
        "arn:aws:lambda:us-west-2:111122223333:function:migrate "
        "--statement-id cognito-idp-user-migration --action lambda:InvokeFunction "
        "--principal cognito-idp.amazonaws.com "
        "--source-arn arn:aws:cognito-idp:us-west-2:111122223333:userpool/us-west-2_Pool1"
    )


def test_a_condition_on_a_key_cognito_does_not_send_fails_and_names_it() -> None:
    account = "111122223333"
    condition = {
        "ArnLike": {"AWS:SourceArn": _pool(account)},
        "StringEquals": {"aws:SourceOrgID": "o-abc"},
    }
    target = AuditTarget(
        user_pool_arn=_pool(account), function=_function(account, _grant(account, condition))
    )
    (finding,) = _run(target)
    assert finding.status is Status.FAIL
    assert finding.unresolved == ("aws:SourceOrgID",)
