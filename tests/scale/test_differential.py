"""Issue 10 item 3: every command reads a source the same way and asks the same question.

``who-can``, ``audit`` (check COG001) and ``simulate`` must give the same verdict for every role of a
generated account on "may this role call cognito-idp:AdminInitiateAuth on the pool?": the same
documents (read through the same parser), the same request context (``aws:RequestedRegion`` is
the pool's region: "aws:RequestedRegion ... the AWS Region that was called in the request", IAM
User Guide, AWS global condition context keys; a request to a pool goes to the pool's region).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.checks import AuditTarget
from iam_audit.checks.ask import request_context
from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth
from iam_audit.cli import app
from iam_audit.simulate import SimulateQuestion, simulate
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.whocan import who_can
from tests.scale.accounts import ACCOUNT, allow, deny, doc, managed_arn, policy, role

ACTION = "cognito-idp:AdminInitiateAuth"
POOL = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Pool1"
OTHER = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Pool2"
BOUNDARIES = {
    "cognito-boundary": doc(allow("cognito-idp:*")),
    "s3-boundary": doc(allow("s3:*")),
    "eu-boundary": doc(
        allow("*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    ),
}


def _region(rng: random.Random) -> dict[str, Any]:
    operator = rng.choice(["StringEquals", "StringNotEquals", "StringLike"])
    value = rng.choice(["eu-west-1", "us-east-1", "eu-*"])
    return {"Condition": {operator: {"aws:RequestedRegion": value}}}


def _statement(rng: random.Random) -> dict[str, Any]:
    extra = _region(rng) if rng.random() < 0.5 else {}
    shape = rng.randrange(5)
    if shape == 0:
        return allow(ACTION, POOL, **extra)
    if shape == 1:
        return allow("cognito-idp:Admin*", "*", **extra)
    if shape == 2:
        return {"Effect": "Allow", "Action": ACTION, "NotResource": OTHER, **extra}
    if shape == 3:
        return {"Effect": "Allow", "Action": ACTION, "NotResource": POOL, **extra}
    return allow(ACTION, OTHER, **extra)


def generate(count: int = 120, seed: int = 10) -> dict[str, Any]:
    """``count`` roles mixing grants, region conditions, Denies, boundaries and NotResource."""
    rng = random.Random(seed)
    roles = []
    for index in range(count):
        statements = [_statement(rng) for _ in range(rng.randrange(1, 3))]
        if rng.random() < 0.25:
            extra = _region(rng) if rng.random() < 0.5 else {}
            statements.append(deny(rng.choice([ACTION, "cognito-idp:*"]), POOL, **extra))
        boundary = rng.choice([None, None, *BOUNDARIES])
        detail = role(f"role{index:03d}", inline={"grant": doc(*statements)})
        if boundary is not None:
            detail["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": managed_arn(boundary),
            }
        roles.append(detail)
    return {
        "RoleDetailList": roles,
        "UserDetailList": [],
        "GroupDetailList": [],
        "Policies": [policy(managed_arn(n), d) for n, d in BOUNDARIES.items()],
    }


def _audit(source: AuthDetailsSource, arn: str) -> str:
    (found,) = LambdaAdminInitiateAuth().run(
        AuditTarget(lambda_role=source.get_role(arn), source_pool_arn=POOL)
    )
    return {"pass": "allowed", "warn": "conditional", "fail": "denied"}[found.status.value]


def _simulate(source: AuthDetailsSource, arn: str) -> str:
    built = source.get_role(arn)
    result = simulate(
        SimulateQuestion(
            action=ACTION,
            resource=POOL,
            policies=built.identity_policies,
            boundary=built.boundary,
            caller_arn=arn,
            context=tuple(request_context(POOL).items()),
        )
    )
    if result.allowed:
        return "allowed"
    return "conditional" if result.conditional else "denied"


def test_who_can_audit_and_simulate_agree_on_every_role(tmp_path: Path) -> None:
    path = tmp_path / "account.json"
    path.write_text(json.dumps(generate()))
    source = AuthDetailsSource(path)
    listed = {g.arn: g.decision.value for g in who_can(source, ACTION, POOL).principals}
    verdicts = {
        arn: (listed.get(arn, "denied"), _audit(source, arn), _simulate(source, arn))
        for arn in source.role_arns()
    }
    disagree = {arn: v for arn, v in verdicts.items() if len(set(v)) > 1}
    assert disagree == {}
    # the generated account is a real test: every verdict occurs, regions decide some
    assert {v[0] for v in verdicts.values()} == {"allowed", "denied"}
    assert sum(v[0] == "allowed" for v in verdicts.values()) >= 20


def test_a_grant_conditioned_on_the_pool_region_is_allowed_in_audit_as_in_who_can() -> None:
    detail = role(
        "regional",
        inline={"grant": doc(allow(ACTION, POOL, **_region_equals("eu-west-1")))},
    )
    source = AuthDetailsSource(Path("account.json"), data={"RoleDetailList": [detail]})
    assert _audit(source, detail["Arn"]) == "allowed"
    assert [g.decision.value for g in who_can(source, ACTION, POOL).principals] == ["allowed"]


def _region_equals(region: str) -> dict[str, Any]:
    return {"Condition": {"StringEquals": {"aws:RequestedRegion": region}}}


@pytest.mark.parametrize("command", ["audit", "who-can"])
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (
            allow(ACTION, POOL, Principal="*"),
            "a inline (identity-based) policy must not name a Principal",
        ),
        (
            {"Effect": "allow", "Action": ACTION, "Resource": POOL},
            'Effect must be exactly "Allow" or "Deny" (case-sensitive), got \'allow\'',
        ),
    ],
    ids=["principal", "misspelt-effect"],
)
def test_an_invalid_inline_policy_is_refused_by_every_command(
    tmp_path: Path, command: str, bad: dict[str, Any], why: str
) -> None:
    # IAM refuses to store either document ("MalformedPolicyDocument"): no command answers from it
    path = tmp_path / "account.json"
    path.write_text(json.dumps({"RoleDetailList": [role("mig", inline={"p": doc(bad)})]}))
    args = {
        "audit": ["audit", "--authorization-details", str(path), "--lambda-role", "mig"],
        "who-can": ["who-can", ACTION, "--resource", POOL, "--authorization-details", str(path)],
    }[command]
    if command == "audit":
        args += ["--user-pool-arn", POOL]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    where = "$.Statement[0].Effect" if "Effect" in why else "$.Statement[0]"
    assert result.stderr.strip() == (
        f"error: {path} /RoleDetailList/0/RolePolicyList/0/PolicyDocument {where}: {why}"
    )
