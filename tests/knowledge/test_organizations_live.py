"""SCPs and RCPs read live from AWS Organizations (moto's Organizations support, in-process).

The path from an account to the root is read with ListParents, each level's policies with
ListPoliciesForTarget and DescribePolicy ("SCP evaluation",
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html:
the root, "each OU in the direct path to the account", and "the target account itself").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.engine import Decision, Principal, PrincipalKind, Request, evaluate, parse_policy
from iam_audit.model import PolicyKind
from iam_audit.sources.live import read_live_organization

DENY_COGNITO = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyCognitoUserPools",
            "Effect": "Deny",
            "Action": "cognito-idp:*",
            "Resource": "*",
        }
    ],
}
ALLOW = parse_policy(
    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    name="admin",
    kind=PolicyKind.INLINE,
)


def _organization(session: Any) -> tuple[str, str, str, str]:
    """An organization with a member account in an OU that denies cognito-idp:*.

    Returns (management account, member account, root ID, OU ID).
    """
    org = session.client("organizations")
    management = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    root = org.list_roots()["Roots"][0]["Id"]
    member = org.create_account(AccountName="workload", Email="w@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    ou = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    policy = org.create_policy(
        Content=json.dumps(DENY_COGNITO),
        Description="no user pools here",
        Name="DenyCognito",
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=ou)
    return management, member, root, ou


def test_a_member_accounts_path_is_read_and_an_ou_deny_decides(moto_account: Any) -> None:
    management, member, root, ou = _organization(moto_account)
    found, note = read_live_organization(moto_account, member)
    assert note == ""
    assert found is not None
    assert found.management_account == management
    organization_id = moto_account.client("organizations").describe_organization()["Organization"][
        "Id"
    ]
    assert found.organization_id == organization_id
    assert [level.label for level in found.scp] == [f"root {root}", f"OU {ou}", f"account {member}"]
    assert [sorted(p.name for p in level.policies) for level in found.scp] == [
        ["FullAWSAccess"],
        ["DenyCognito", "FullAWSAccess"],
        ["FullAWSAccess"],
    ]
    request = Request(
        "cognito-idp:AdminInitiateAuth",
        f"arn:aws:cognito-idp:eu-central-1:{member}:userpool/eu-central-1_A",
        Principal(PrincipalKind.AWS, f"arn:aws:iam::{member}:role/migration"),
    )
    result = evaluate(request, identity=[ALLOW], organization=found)
    assert result.decision is Decision.EXPLICIT_DENY
    assert result.decided_by == f"SCP DenyCognito (statement DenyCognitoUserPools) at OU {ou}"
    # the same request in the management account: SCPs do not apply there
    request = Request(
        request.action,
        f"arn:aws:cognito-idp:eu-central-1:{management}:userpool/eu-central-1_A",
        Principal(PrincipalKind.AWS, f"arn:aws:iam::{management}:role/migration"),
    )
    assert evaluate(request, identity=[ALLOW], organization=found).allowed


def test_the_management_account_is_said_to_be_exempt(moto_account: Any) -> None:
    management, _, _, _ = _organization(moto_account)
    found, note = read_live_organization(moto_account, management)
    assert found is not None
    assert (found.scp, found.rcp) == ((), ())
    assert note == (
        f"account {management} is the organization's management account: SCPs and RCPs do not "
        "apply to it"
    )


def test_an_account_outside_any_organization_has_none(moto_account: Any) -> None:
    assert read_live_organization(moto_account, "123456789012") == (None, "")


def test_a_member_that_may_not_read_organizations_gets_a_note(moto_account: Any) -> None:
    _, member, _, _ = _organization(moto_account)
    credentials = moto_account.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="audit",
    )["Credentials"]
    import boto3

    as_member = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="eu-central-1",
    )
    found, note = read_live_organization(as_member, member)
    assert found is None
    assert note.startswith("SCPs and RCPs were not evaluated: the auditor could not read AWS ")
    assert "organizations:ListParents" in note


def _auditor(iam: Any, actions: list[str]) -> dict[str, str]:
    iam.create_user(UserName="auditor")
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="audit",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
            }
        ),
    )
    key: dict[str, str] = iam.create_access_key(UserName="auditor")["AccessKey"]
    return key


def _migration_role(iam: Any) -> None:
    iam.create_role(
        RoleName="migration",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )


@pytest.mark.parametrize(
    ("allowed", "note"),
    [
        # the auditor may not call AWS Organizations: the audit says what was not evaluated
        (
            ["iam:*", "sts:*"],
            "SCPs and RCPs were not evaluated: the auditor could not read AWS Organizations "
            "(organizations:ListParents denied)",
        ),
        # the auditor reads them: the audited account is the management account, exempt
        (["iam:*", "sts:*", "organizations:*"], "is the organization's management account"),
    ],
)
def test_a_live_audit_reads_or_names_the_organization(
    moto_account: Any, tmp_path: Path, allowed: list[str], note: str
) -> None:
    from moto.core import enable_iam_authentication

    moto_account.client("organizations").create_organization(FeatureSet="ALL")
    iam = moto_account.client("iam")
    _migration_role(iam)
    key = _auditor(iam, allowed)
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    mp.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    mp.delenv("AWS_SESSION_TOKEN", raising=False)
    try:
        with enable_iam_authentication():
            result = CliRunner().invoke(
                app,
                ["audit", "--lambda-role", "migration", "--region", "eu-central-1", "-f", "json"],
            )
    finally:
        mp.undo()
    assert result.exit_code in (0, 1), result.output
    notes = json.loads(result.stdout).get("notes", [])
    assert any(note in n for n in notes), notes
