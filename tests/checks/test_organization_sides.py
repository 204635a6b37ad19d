"""Whose organization policies bound a check's question: a role's SCPs bound its own requests, its
account's RCPs only requests on that account's resources.

"RCPs create a permissions guardrail, or set limits, on the maximum permissions available for
resources in your member accounts" (AWS Organizations User Guide, Authorization policies in AWS
Organizations, Differences between SCPs and RCPs): the RCPs of the function's account never
bound its call on a role of another account (that account's own RCPs do, asked on the trust's
side by ``ask_trust``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iam_audit.checks.ask import ask_identity
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
