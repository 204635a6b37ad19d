"""How organization policies bound a check's question: a role's SCPs bound its own requests, its
account's RCPs only requests on that account's resources; a Deny in one that hangs on the real
request is a condition, not a block.

"RCPs create a permissions guardrail, or set limits, on the maximum permissions available for
resources in your member accounts" (AWS Organizations User Guide, Authorization policies in AWS
Organizations, Differences between SCPs and RCPs): the RCPs of the function's account never
bound its call on a role of another account (that account's own RCPs do, asked on the trust's
side by ``ask_trust``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgspec.structs import replace

from iam_audit.checks.ask import ask_identity
from iam_audit.checks.cog001_lambda_admin_initiate_auth import (
    ACTION,
    LambdaAdminInitiateAuth,
    grant_fix,
)
from iam_audit.checks.cog003_logs_role_trust import LogsRoleTrust
from iam_audit.checks.grants import judge_grants, policy_of
from iam_audit.checks.trust import judge_service_trust
from iam_audit.engine import Decision
from iam_audit.model import Origin, PolicyDocument, PolicyKind, Role, SourceKind
from iam_audit.sources.organizations import organization_from_files

ORG = Path(__file__).parent.parent / "knowledge" / "org"
ALLOW_ASSUME = PolicyDocument(
    "assume",
    PolicyKind.INLINE,
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    },
)


def _role() -> Role:
    # the function's account has the organization perimeter RCP; its organization ID is not
    # known, so whether the perimeter's Deny (aws:PrincipalOrgID) holds is unknown
    rcp = organization_from_files(
        [], [ORG / "rcp-full-aws-access.json", ORG / "rcp-org-perimeter.json"]
    )
    return Role(
        arn="arn:aws:iam::111122223333:role/migration-cross",
        name="migration-cross",
        origin=Origin(SourceKind.AUTH_DETAILS, "authorization details"),
        inline=(ALLOW_ASSUME,),
        organization=rcp,
    )


@pytest.mark.parametrize("caller_side", [True, False], ids=["caller-side", "whole-request"])
def test_the_callers_rcps_do_not_bound_a_role_of_another_account(caller_side: bool) -> None:
    answer = ask_identity(
        _role(),
        "sts:AssumeRole",
        "arn:aws:iam::222233334444:role/legacy-pool-reader",
        caller_side=caller_side,
    )
    assert answer.result.blocked_by != "rcp"
    assert "aws:PrincipalOrgID" not in answer.result.unresolved
    if caller_side:
        assert (answer.result.decision, answer.result.conditional) == (Decision.ALLOWED, False)


def test_the_callers_rcps_bound_a_role_of_its_own_account() -> None:
    answer = ask_identity(_role(), "sts:AssumeRole", "arn:aws:iam::111122223333:role/own")
    assert answer.result.blocked_by == "rcp"
    assert answer.result.unresolved == ("aws:PrincipalOrgID",)
    assert answer.result.conditional


POOL = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbCdEf123"
FULL_ACCESS = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@pytest.mark.parametrize(
    ("deny", "status", "says"),
    [
        # a Deny outside a network applies to some requests only: aws:SourceIp is the real
        # request's ("aws:SourceIp ... the requester's IP address", IAM User Guide, AWS global
        # condition context keys), so the grant is conditional, as for the same Deny in the
        # role's own policy (cases/COG001/warn_deny_outside_network.json)
        pytest.param(
            {"Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            "warn",
            "allowed only if conditions on aws:SourceIp hold",
            id="deny-outside-a-network",
        ),
        pytest.param({}, "fail", "blocks cognito-idp:AdminInitiateAuth", id="deny-always"),
    ],
)
def test_an_scp_deny_that_hangs_on_the_request_is_not_a_block(
    deny: dict[str, object], status: str, says: str, tmp_path: Path
) -> None:
    scp = tmp_path / "deny-cognito.json"
    statement = {"Sid": "DenyCognito", "Effect": "Deny", "Action": "cognito-idp:*", "Resource": "*"}
    scp.write_text(json.dumps(policy_of(FULL_ACCESS, {**statement, **deny})))
    grant = PolicyDocument(
        "migrate", PolicyKind.INLINE, policy_of({**FULL_ACCESS, "Action": ACTION})
    )
    role = replace(_role(), inline=(grant,), organization=organization_from_files([scp], []))
    found = judge_grants(
        LambdaAdminInitiateAuth.meta, role, [(ACTION, POOL)], what="Lambda", fix=grant_fix(POOL)
    )
    assert found.status.value == status
    assert says in found.message


@pytest.mark.parametrize(
    ("deny", "status"),
    [
        # aws:SourceAccount is the real request's ("aws:SourceAccount ... the account of the
        # resource making a service-to-service request", IAM User Guide, AWS global condition
        # context keys): a Deny on it is a condition the service's request may meet
        pytest.param(
            {"Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}}},
            "warn",
            id="deny-other-source-accounts",
        ),
        pytest.param({}, "fail", id="deny-always"),
    ],
)
def test_an_rcp_deny_on_a_service_trust_that_hangs_on_the_request_is_not_a_block(
    deny: dict[str, object], status: str, tmp_path: Path
) -> None:
    rcp = tmp_path / "deny-assume.json"
    statement = {
        "Sid": "DenyAssume",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:AssumeRole",
        "Resource": "*",
    }
    rcp.write_text(json.dumps(policy_of({**FULL_ACCESS, "Principal": "*"}, {**statement, **deny})))
    trust = PolicyDocument(
        "trust",
        PolicyKind.TRUST,
        policy_of(
            {
                "Effect": "Allow",
                "Principal": {"Service": "cognito-idp.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    role = replace(_role(), trust=trust, organization=organization_from_files([], [rcp]))
    found = judge_service_trust(
        LogsRoleTrust.meta, role, "cognito-idp.amazonaws.com", "logs-role-trust.json", "Logs"
    )
    assert found.status.value == status, found.message
