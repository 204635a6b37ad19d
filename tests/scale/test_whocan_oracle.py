"""who-can's shortcuts never change an answer: compared with a plain evaluation of every policy.

The oracle builds each principal's complete policy set the slow, obvious way (the source's own
validated role builder; users with their groups' policies), asks :func:`evaluate` once per
principal with nothing filtered out, and must agree with ``who_can`` (fast path on and off) on
generated accounts that mix wildcards, ``NotAction``, Denies, boundaries, conditions and policy
variables (``benchmarks/gen_account.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from iam_audit import whocan
from iam_audit.engine import ContextMode, Principal, PrincipalKind, Request, evaluate, parse_policy
from iam_audit.model import PolicyDocument, PolicyKind
from iam_audit.sources.auth_details import AuthDetailsSource

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gen_account import OTHER_POOL_ARN, POOL_ARN, Sizes, generate

QUESTIONS = [
    ("cognito-idp:AdminInitiateAuth", POOL_ARN),
    ("cognito-idp:AdminInitiateAuth", OTHER_POOL_ARN),
    ("cognito-idp:ListUsers", POOL_ARN),
    ("s3:GetObject", "arn:aws:s3:::home-bucket/user00003/report.csv"),
    ("iam:CreateRole", "arn:aws:iam::123456789012:role/x"),
]


def _context(detail: dict[str, Any], resource: str) -> dict[str, tuple[str, ...]]:
    tags = {t["Key"]: t["Value"] for t in detail.get("Tags") or []}
    context: dict[str, tuple[str, ...]] = {
        # the generator's conditions read only this tag
        "aws:PrincipalTag/team": (tags["team"],) if "team" in tags else (),
    }
    region = resource.split(":")[3]
    if region:
        context["aws:RequestedRegion"] = (region,)
    return context


def _oracle(
    source: AuthDetailsSource, action: str, resource: str
) -> list[tuple[str, str, tuple[str, ...]]]:
    answers = []

    def ask(
        arn: str, detail: dict[str, Any], identity: list[PolicyDocument], boundary: Any
    ) -> None:
        result = evaluate(
            Request(
                action,
                resource,
                Principal(PrincipalKind.AWS, arn),
                _context(detail, resource),
                ContextMode.OPEN,
            ),
            identity=identity,
            boundary=boundary,
            resource_account=resource.split(":")[4] or None,
        )
        if result.allowed or result.conditional:
            decision = "allowed" if result.allowed and not result.conditional else "conditional"
            answers.append((arn, decision, result.unresolved))

    for detail in source.role_details():
        role = source.get_role(detail["Arn"])
        ask(role.arn, dict(detail), list(role.identity_policies), role.boundary)
    groups = {g["GroupName"]: g for g in source.groups}
    for detail in source.users:
        identity: list[PolicyDocument] = []
        holders = [detail, *(groups[name] for name in detail["GroupList"])]
        for holder in holders:
            for item in holder.get("UserPolicyList", holder.get("GroupPolicyList", [])):
                identity.append(
                    parse_policy(
                        item["PolicyDocument"], name=item["PolicyName"], kind=PolicyKind.INLINE
                    )
                )
            for attached in holder["AttachedManagedPolicies"]:
                found = source.managed_policy(attached["PolicyArn"])
                assert found is not None
                identity.append(found)
        boundary = None
        if "PermissionsBoundary" in detail:
            found = source.managed_policy(detail["PermissionsBoundary"]["PermissionsBoundaryArn"])
            assert found is not None
            boundary = PolicyDocument(found.name, PolicyKind.BOUNDARY, found.document)
        ask(detail["Arn"], dict(detail), identity, boundary)
    return sorted(answers)


@pytest.fixture(scope="module", params=[1, 2, 3])
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AuthDetailsSource:
    path = tmp_path_factory.mktemp("gen") / "account.json"
    generate(path, Sizes(roles=250, policies=60, users=60, groups=8), seed=request.param)
    return AuthDetailsSource(path)


@pytest.mark.parametrize(("action", "resource"), QUESTIONS)
@pytest.mark.parametrize("fast", [True, False])
def test_who_can_agrees_with_evaluating_everything(
    generated: AuthDetailsSource,
    action: str,
    resource: str,
    fast: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(whocan, "FAST_PATH", fast)
    result = whocan.who_can(generated, action, resource)
    got = [(g.arn, g.decision.value, g.unresolved) for g in result.principals]
    assert got == _oracle(generated, action, resource)
    if action == "cognito-idp:AdminInitiateAuth":
        assert got  # the generated account does grant it: the comparison is not vacuous
        assert any(d == "conditional" for _, d, _ in got)


def test_generated_accounts_exercise_every_shape(generated: AuthDetailsSource) -> None:
    """The comparison above covers Denies, boundaries, NotAction, conditions and users."""
    text = str([generated.role_details(), generated.users, generated.groups])
    for needle in ("'Deny'", "NotAction", "PermissionsBoundary", "Condition", "${aws:username}"):
        assert needle in text, needle
    assert generated.users
    assert generated.groups
