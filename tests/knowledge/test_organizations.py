"""SCPs and RCPs, evaluated as AWS documents them, through simulate, audit and who-can.

"SCP evaluation"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html):
"for a permission to be allowed for a specific account, there must be an explicit Allow statement
at every level from the root through each OU in the direct path to the account (including the
target account itself)"; "If any SCP at any level denies ... the action is denied".
"Service control policies (SCPs)"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html):
"SCPs don't affect users or roles in the management account", "SCPs do not affect
service-linked roles", and "SCPs alone are not sufficient to granting permissions".
"Resource control policies (RCPs)"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html):
RCPs "apply to resources of the following AWS services" only, and "don't affect resources in
the management account".
The fixtures in org/ are AWS's documented examples (org/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from msgspec import structs
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.engine import Decision
from iam_audit.model import OrgPolicies, PolicyKind
from iam_audit.simulate import SimulateQuestion, load_policy_file, simulate
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.sources.organizations import load_levels, organization_from_files
from iam_audit.whocan import who_can
from tests.scale.accounts import account, allow, doc, role

ORG = Path(__file__).parent / "org"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/migration"
POOL_EU = f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Abc"
POOL_US = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Abc"
FULL = "full-aws-access.json"
REGION = "root-full-and-region-deny.json"
ALLOW_LIST = "ou-allow-list-without-cognito.json"
DENY_OU = "ou-full-and-deny-cognito.json"
NO_ALLOW = "account-deny-only.json"


def _identity(tmp_path: Path) -> Path:
    path = tmp_path / "identity.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["cognito-idp:*", "iam:*"], "Resource": "*"}
                ],
            }
        )
    )
    return path


def _org(scp: tuple[str, ...] = (), rcp: tuple[str, ...] = ()) -> OrgPolicies | None:
    return organization_from_files([ORG / n for n in scp], [ORG / n for n in rcp])


@pytest.mark.parametrize(
    ("scp", "caller", "action", "resource", "decision", "decided_by"),
    [
        pytest.param(
            (FULL, FULL, FULL),
            ROLE,
            "cognito-idp:AdminInitiateAuth",
            POOL_EU,
            "allowed",
            "",
            id="full-aws-access-at-each-level",
        ),
        pytest.param(
            (FULL, DENY_OU, FULL),
            ROLE,
            "cognito-idp:AdminInitiateAuth",
            POOL_EU,
            "explicitDeny",
            "SCP ou-full-and-deny-cognito.json[1] (statement DenyCognitoUserPools) at level 2 of 3 "
            "(OU, ou-full-and-deny-cognito.json)",
            id="deny-at-the-ou-level",
        ),
        pytest.param(
            (FULL, ALLOW_LIST, FULL),
            ROLE,
            "cognito-idp:AdminInitiateAuth",
            POOL_EU,
            "implicitDeny",
            "no SCP at level 2 of 3 (OU, ou-allow-list-without-cognito.json) allows it",
            id="allow-list-without-cognito-idp",
        ),
        pytest.param(
            (FULL, ALLOW_LIST, FULL),
            ROLE,
            "iam:GetRole",
            f"arn:aws:iam::{ACCOUNT}:role/x",
            "allowed",
            "",
            id="allow-list-allows-what-it-lists",
        ),
        pytest.param(
            (FULL, FULL, NO_ALLOW),
            ROLE,
            "cognito-idp:AdminInitiateAuth",
            POOL_EU,
            "implicitDeny",
            "no SCP at level 3 of 3 (account, account-deny-only.json) allows it",
            id="a-level-with-no-allow",
        ),
        pytest.param(
            (REGION, FULL),
            ROLE,
            "cognito-idp:AdminInitiateAuth",
            POOL_EU,
            "allowed",
            "",
            id="region-deny-approved-region",
        ),
        pytest.param(
            (REGION, FULL),
            ROLE,
            "cognito-idp:AdminInitiateAuth",
            POOL_US,
            "explicitDeny",
            "SCP root-full-and-region-deny.json[1] (statement DenyAllOutsideEU) at level 1 of 2 "
            "(root, root-full-and-region-deny.json)",
            id="region-deny-other-region",
        ),
        pytest.param(
            (REGION, FULL),
            ROLE,
            "iam:GetRole",
            f"arn:aws:iam::{ACCOUNT}:role/x",
            "allowed",
            "",
            id="region-deny-exempts-global-iam",
        ),
        pytest.param(
            (REGION, FULL),
            f"arn:aws:iam::{ACCOUNT}:role/Role1AllowedToBypassThisSCP",
            "cognito-idp:AdminInitiateAuth",
            POOL_US,
            "allowed",
            "",
            id="region-deny-bypass-role",
        ),
        pytest.param(
            (FULL, DENY_OU, FULL),
            "arn:aws:iam::111122223333:role/aws-service-role/"
            "cognito-idp.amazonaws.com/AWSServiceRoleForAmazonCognitoIdp",
            "cognito-idp:AdminInitiateAuth",
            POOL_EU,
            "allowed",
            "",
            id="service-linked-roles-are-not-affected",
        ),
    ],
)
def test_scp_cases_through_simulate(
    tmp_path: Path,
    scp: tuple[str, ...],
    caller: str,
    action: str,
    resource: str,
    decision: str,
    decided_by: str,
) -> None:
    question = SimulateQuestion(
        action=action,
        resource=resource,
        policies=(load_policy_file(_identity(tmp_path), PolicyKind.INLINE),),
        caller_arn=caller,
        organization=_org(scp),
    )
    result = simulate(question)
    assert (result.decision.value, result.decided_by) == (decision, decided_by)
    assert result.blocked_by == ("scp" if decided_by else "")


def test_an_scp_grants_nothing(tmp_path: Path) -> None:
    # "SCPs alone are not sufficient to granting permissions"
    question = SimulateQuestion(
        action="s3:GetObject",
        resource="arn:aws:s3:::bucket/key",
        policies=(load_policy_file(_identity(tmp_path), PolicyKind.INLINE),),
        caller_arn=ROLE,
        organization=_org((FULL, FULL, FULL)),
    )
    result = simulate(question)
    assert result.decision is Decision.IMPLICIT_DENY
    assert result.blocked_by != "scp"


def test_the_management_account_is_not_affected(tmp_path: Path) -> None:
    organization = _org((FULL, DENY_OU, FULL))
    assert organization is not None

    question = SimulateQuestion(
        action="cognito-idp:AdminInitiateAuth",
        resource=POOL_EU,
        policies=(load_policy_file(_identity(tmp_path), PolicyKind.INLINE),),
        caller_arn=ROLE,
        organization=structs.replace(organization, management_account=ACCOUNT),
    )
    assert simulate(question).decision is Decision.ALLOWED


@pytest.mark.parametrize(
    ("caller", "action", "resource", "context", "decision"),
    [
        # a principal outside the organization is denied the bucket by the RCP
        (
            "arn:aws:iam::444455556666:role/outsider",
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            {"aws:PrincipalOrgID": ("o-otherorg",)},
            "explicitDeny",
        ),
        (
            "arn:aws:iam::444455556666:role/insider",
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            {"aws:PrincipalOrgID": ("o-exampleorgid",)},
            "allowed",
        ),
        # Lambda does not support RCPs: its Deny never applies
        (
            ROLE,
            "lambda:InvokeFunction",
            f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f",
            {},
            "allowed",
        ),
    ],
)
def test_rcp_cases_through_simulate(
    tmp_path: Path,
    caller: str,
    action: str,
    resource: str,
    context: dict[str, tuple[str, ...]],
    decision: str,
) -> None:
    identity = tmp_path / "any.json"
    identity.write_text(json.dumps(doc(allow("*"))))
    resource_policy = tmp_path / "bucket.json"
    resource_policy.write_text(json.dumps(doc(allow("*", "*", Principal={"AWS": "*"}))))
    question = SimulateQuestion(
        action=action,
        resource=resource,
        policies=(load_policy_file(identity, PolicyKind.INLINE),),
        caller_arn=caller,
        resource_policy=load_policy_file(resource_policy, PolicyKind.RESOURCE),
        context=tuple(context.items()),
        organization=_org((), ("rcp-full-aws-access.json", "rcp-org-perimeter.json")),
    )
    result = simulate(question)
    assert result.decision.value == decision
    if decision != "allowed":
        assert result.blocked_by == "rcp"
        assert "EnforceOrgIdentities" in result.decided_by


def test_simulate_cli_names_the_policy_and_level(tmp_path: Path) -> None:
    args = ["simulate", "--action", "cognito-idp:AdminInitiateAuth", "--resource", POOL_US]
    args += ["--policy", str(_identity(tmp_path)), "--caller-arn", ROLE]
    args += ["--scp", str(ORG / REGION), "--scp", str(ORG / FULL)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[0].startswith("explicitDeny: ")
    assert "decided by SCP root-full-and-region-deny.json[1] (statement DenyAllOutsideEU)" in (
        result.output
    )
    allowed = CliRunner().invoke(app, [*args[:4], POOL_EU, *args[5:], "--format", "json"])
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["decision"] == "allowed"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", "{nope", "is not JSON"),
        ("list.json", '[{"Statement": []}, 3]', "item 1 is not a policy document"),
    ],
)
def test_bad_scp_files_are_input_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    args = ["simulate", "--action", "s3:GetObject", "--resource", "*"]
    args += ["--policy", str(_identity(tmp_path)), "--scp", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
    assert message in result.output
    assert "Traceback" not in result.output


def test_levels_read_one_document_or_a_list() -> None:
    levels = load_levels([ORG / REGION, ORG / FULL], PolicyKind.SCP)
    assert [len(level.policies) for level in levels] == [2, 1]
    assert levels[0].label == "level 1 of 2 (root, root-full-and-region-deny.json)"
    assert levels[1].label == "level 2 of 2 (account, full-aws-access.json)"


_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  MigrationRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: migration
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: migrate
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [cognito-idp:AdminInitiateAuth, cognito-idp:AdminGetUser]
                Resource: arn:aws:cognito-idp:{region}:111122223333:userpool/{region}_Old
"""


def _audit(tmp_path: Path, region: str, *scp: str) -> dict[str, object]:
    template = tmp_path / "stack.yaml"
    template.write_text(_TEMPLATE.format(region=region))
    args = ["audit", "--template", str(template), "--account-id", ACCOUNT, "--region", region]
    args += ["--lambda-role", "migration"]
    args += ["--source-pool-arn", f"arn:aws:cognito-idp:{region}:{ACCOUNT}:userpool/{region}_Old"]
    for name in scp:
        args += ["--scp", str(ORG / name)]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    found: dict[str, object] = {
        r["check"]: r for r in json.loads(result.stdout)["results"] if r["check"] == "COG001"
    }["COG001"]
    return found  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("region", "scp", "status", "said"),
    [
        ("eu-west-1", (), "pass", ""),
        ("eu-west-1", (FULL, FULL, FULL), "pass", ""),
        (
            "eu-west-1",
            (FULL, DENY_OU, FULL),
            "fail",
            "statement DenyCognitoUserPools) at level 2 of 3 (OU",
        ),
        ("eu-west-1", (FULL, ALLOW_LIST, FULL), "fail", "no SCP at level 2 of 3 (OU"),
        ("eu-west-1", (REGION, FULL), "pass", ""),
        ("us-east-1", (REGION, FULL), "fail", "statement DenyAllOutsideEU) at level 1 of 2 (root"),
    ],
)
def test_scp_cases_through_audit(
    tmp_path: Path, region: str, scp: tuple[str, ...], status: str, said: str
) -> None:
    cog001 = _audit(tmp_path, region, *scp)
    assert cog001["status"] == status, cog001["message"]
    assert said in str(cog001["message"])
    if status == "fail":
        assert "iam-audit never changes SCPs or RCPs" in str(cog001["message"])
        assert "either" not in str(cog001["message"])  # the role's own policies do allow it
        assert cog001["fix"] is None


def test_an_scp_block_also_says_when_the_role_lacks_the_allow(tmp_path: Path) -> None:
    # COG005: the migration role has no logs permission at all, and the region SCP denies too
    template = tmp_path / "stack.yaml"
    template.write_text(_TEMPLATE.format(region="us-east-1"))
    args = ["audit", "--template", str(template), "--account-id", ACCOUNT, "--region", "us-east-1"]
    args += ["--lambda-role", "migration", "--scp", str(ORG / REGION), "--format", "json"]
    args += ["--source-pool-arn", f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Old"]
    result = CliRunner().invoke(app, args)
    (row,) = [r for r in json.loads(result.stdout)["results"] if r["check"] == "COG005"]
    assert row["status"] == "fail"
    assert "statement DenyAllOutsideEU" in row["message"]
    assert row["message"].endswith(
        "; no policy of the role allows logs:CreateLogStream, logs:PutLogEvents either"
    )
    assert row["fix"] is not None  # the Allow it also needs


def _account_file(tmp_path: Path) -> Path:
    data = account(
        roles=[
            role("migration", inline={"m": doc(allow("cognito-idp:AdminInitiateAuth", "*"))}),
            role("Role1AllowedToBypassThisSCP", inline={"m": doc(allow("cognito-idp:*", "*"))}),
            role("logs-only", inline={"l": doc(allow("logs:*", "*"))}),
        ]
    )
    for detail in data["RoleDetailList"]:
        detail["Arn"] = detail["Arn"].replace("123456789012", ACCOUNT)
    path = tmp_path / "account.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("pool", "scp", "listed", "note"),
    [
        (POOL_US, (), {"migration", "Role1AllowedToBypassThisSCP"}, ""),
        (POOL_EU, (REGION, FULL), {"migration", "Role1AllowedToBypassThisSCP"}, ""),
        (POOL_US, (REGION, FULL), {"Role1AllowedToBypassThisSCP"}, "1 principal(s)"),
        (POOL_EU, (FULL, DENY_OU, FULL), set(), "2 principal(s)"),
        (POOL_EU, (FULL, ALLOW_LIST, FULL), set(), "no SCP at level 2 of 3 (OU"),
    ],
)
def test_scp_cases_through_who_can(
    tmp_path: Path, pool: str, scp: tuple[str, ...], listed: set[str], note: str
) -> None:
    source = AuthDetailsSource(_account_file(tmp_path))
    result = who_can(source, "cognito-idp:AdminInitiateAuth", pool, _org(scp))
    assert {g.arn.rsplit("/", 1)[-1] for g in result.principals} == listed
    assert any(note in n for n in result.notes) if note else not result.notes


def test_who_can_cli_takes_scp_files(tmp_path: Path) -> None:
    args = ["who-can", "cognito-idp:AdminInitiateAuth", "--resource", POOL_US]
    args += ["--authorization-details", str(_account_file(tmp_path))]
    args += ["--scp", str(ORG / REGION), "--scp", str(ORG / FULL), "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    arns = [p["arn"] for p in json.loads(result.stdout)["principals"]]
    assert arns == [f"arn:aws:iam::{ACCOUNT}:role/Role1AllowedToBypassThisSCP"]


@pytest.mark.parametrize(
    ("line", "kind", "signature"),
    [
        (
            "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling the "
            "AdminInitiateAuth operation: User: arn:aws:sts::111122223333:assumed-role/migrate-role/"
            "migrate is not authorized to perform: cognito-idp:AdminInitiateAuth on resource: "
            f"{POOL_EU} with an explicit deny in a service control policy",
            "service",
            "access-denied-scp",
        ),
        (
            "AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/migrate-role/m is "
            "not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:"
            "111122223333:key/1 with an explicit deny in a resource control policy",
            "resource",
            "access-denied-scp",
        ),
        # an identity policy's Deny stays the role's own finding
        (
            "User: arn:aws:sts::111122223333:assumed-role/migrate-role/m is not authorized to "
            f"perform: cognito-idp:AdminInitiateAuth on resource: {POOL_EU} with an explicit deny "
            "in an identity-based policy",
            "",
            "access-denied-assumed-role",
        ),
    ],
)
def test_logs_diagnose_maps_an_explicit_deny_in_an_scp(
    line: str, kind: str, signature: str
) -> None:
    from iam_audit.preflight.logsdiag import LogEvent, diagnose, load_signatures, match_text

    found = match_text(line, load_signatures())
    assert found is not None
    assert found.signature.id == signature
    (diagnosis,) = diagnose([LogEvent(line)]).diagnoses
    if kind:
        assert diagnosis.fix.startswith(f"A {kind} control policy of the AWS organization denies")
        assert "--scp ROOT.json --scp OU.json --scp ACCOUNT.json" in diagnosis.fix
        assert "organizations:ListParents" in diagnosis.fix


def test_scp_cases_through_scan(moto_account: Any) -> None:
    from iam_audit.scan import scan
    from tests.conftest import one_session
    from tests.scale.test_scan import _migration_pool

    good = _migration_pool(moto_account, "eu-central-1", "good", grant=True, permission="self")

    def cog001(organization: OrgPolicies | None) -> Any:
        found = scan(moto_account, ["eu-central-1"], organization=organization)
        (finding,) = [
            f
            for f in found.result.findings
            if f.check == "COG001" and f.locator.startswith(good["pool"] + "#")
        ]
        return finding

    assert cog001(None).status.value == "pass"
    denied = cog001(_org((FULL, DENY_OU, FULL)))
    assert denied.status.value == "fail"
    assert "statement DenyCognitoUserPools) at level 2 of 3 (OU" in denied.message
    levels = ["--scp", str(ORG / FULL), "--scp", str(ORG / ALLOW_LIST), "--scp", str(ORG / FULL)]
    result = one_session(moto_account).invoke(
        app, ["scan", "--regions", "eu-central-1", "-f", "json", "--fail-on", "never", *levels]
    )
    assert result.exit_code == 0, result.output
    (row,) = [r for r in json.loads(result.stdout)["results"] if r["check"] == "COG001"]
    assert row["status"] == "fail"
    assert (
        "no SCP at level 2 of 3 (OU, ou-allow-list-without-cognito.json) allows it"
        in (row["message"])
    )


@pytest.mark.parametrize(
    ("flag", "statement", "message"),
    [
        # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
        (
            "--scp",
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            "a service control policy must not name a Principal",
        ),
        # https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
        (
            "--rcp",
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            "a resource control policy statement must name a Principal",
        ),
    ],
)
def test_scp_and_rcp_syntax_is_checked(
    tmp_path: Path, flag: str, statement: dict[str, object], message: str
) -> None:
    path = tmp_path / "level.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    args = ["simulate", "--action", "s3:GetObject", "--resource", "*"]
    args += ["--policy", str(_identity(tmp_path)), flag, str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3
    assert message in result.output


def test_an_rcp_on_sts_decides_the_logs_role_trust(tmp_path: Path) -> None:
    # RCPs apply to STS: one that denies sts:AssumeRole to AWS services stops Cognito from
    # assuming the logs role (the org-perimeter example exempts services, so it does not).
    deny_services = tmp_path / "deny-services.json"
    deny_services.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "NoServiceAssumes",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sts:AssumeRole",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}},
                    }
                ],
            }
        )
    )
    template = tmp_path / "stack.yaml"
    template.write_text(
        """
Resources:
  Logs:
    Type: AWS::IAM::Role
    Properties:
      RoleName: import-logs
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: cognito-idp.amazonaws.com}
            Action: sts:AssumeRole
"""
    )
    base = ["audit", "--template", str(template), "--account-id", ACCOUNT, "--region", "eu-west-1"]
    base += ["--logs-role", "import-logs", "--format", "json"]

    def cog003(*rcp: Path) -> dict[str, Any]:
        args = [*base]
        for path in rcp:
            args += ["--rcp", str(path)]
        result = CliRunner().invoke(app, args)
        (row,) = [r for r in json.loads(result.stdout)["results"] if r["check"] == "COG003"]
        return row  # type: ignore[no-any-return]

    assert cog003()["status"] == "pass"
    assert cog003(ORG / "rcp-full-aws-access.json", ORG / "rcp-org-perimeter.json")["status"] == (
        "pass"
    )
    blocked = cog003(ORG / "rcp-full-aws-access.json", deny_services)
    assert blocked["status"] == "fail"
    assert blocked["message"].startswith(
        "Logs role import-logs: RCP deny-services.json (statement NoServiceAssumes) at level 2 of 2"
    )


def test_an_rcp_on_the_organization_identity_is_decided_when_the_org_id_is_known(
    tmp_path: Path,
) -> None:
    # aws:PrincipalOrgID is known for a role whose organization was read (AWS Organizations);
    # from files it is not, and the answer then hangs on it, never guessed.

    from iam_audit.checks.ask import ask_identity
    from iam_audit.model import Origin, Role, SourceKind

    perimeter = tmp_path / "cognito-perimeter.json"
    full = json.loads((ORG / "rcp-full-aws-access.json").read_text())
    perimeter.write_text(  # RCPFullAWSAccess stays attached at this level too: it must allow
        json.dumps(
            [
                full,
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EnforceOrgIdentities",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "cognito-idp:*",
                            "Resource": "*",
                            "Condition": {
                                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-exampleorgid"},
                                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                            },
                        }
                    ],
                },
            ]
        )
    )
    levels = load_levels([ORG / "rcp-full-aws-access.json", perimeter], PolicyKind.RCP)
    identity = load_policy_file(ORG / FULL, PolicyKind.INLINE)
    role = Role(ROLE, "migration", Origin(SourceKind.FILE, "t"), inline=(identity,))

    def answer(organization_id: str | None) -> tuple[str, bool]:
        bounded = structs.replace(
            role, organization=OrgPolicies(rcp=levels, organization_id=organization_id)
        )
        found = ask_identity(bounded, "cognito-idp:AdminInitiateAuth", POOL_EU)
        return found.result.decision.value, found.result.conditional

    assert answer("o-exampleorgid") == ("allowed", False)
    assert answer("o-someoneelse") == ("explicitDeny", False)
    # unknown: the Deny applies as AWS reads an absent key, and the answer hangs on the key
    assert answer(None) == ("explicitDeny", True)


@pytest.mark.parametrize(
    ("scp", "own", "resource", "decision", "own_decision"),
    [
        # "an explicit deny in an SCP" (IAM User Guide, policy evaluation logic): the role's own
        # Allow is still reported, so a reader knows the Allow is there and the SCP is the block
        pytest.param((REGION, FULL), True, POOL_US, "explicitDeny", "allowed", id="deny-own-allow"),
        pytest.param(
            (REGION, FULL), False, POOL_US, "explicitDeny", "implicitDeny", id="deny-no-allow"
        ),
        pytest.param((FULL, NO_ALLOW), True, POOL_EU, "implicitDeny", "allowed", id="no-scp-allow"),
        pytest.param((REGION, FULL), True, POOL_EU, "allowed", None, id="not-decided-by-the-scp"),
    ],
)
def test_an_organization_block_keeps_the_accounts_own_decision(
    scp: tuple[str, ...], own: bool, resource: str, decision: str, own_decision: str | None
) -> None:
    from iam_audit.engine import ContextMode, Principal, PrincipalKind, Request, evaluate
    from iam_audit.model import PolicyDocument

    action = "cognito-idp:AdminInitiateAuth" if own else "logs:PutLogEvents"
    identity = PolicyDocument(
        "p",
        PolicyKind.INLINE,
        {"Version": "2012-10-17", "Statement": [allow("cognito-idp:*", "*")]},
    )
    request = Request(
        action,
        resource,
        principal=Principal(PrincipalKind.AWS, ROLE),
        context={"aws:RequestedRegion": (resource.split(":")[3],)},
        mode=ContextMode.OPEN,
    )
    result = evaluate(request, identity=[identity], organization=_org(scp))
    assert (result.decision, result.own_decision) == (decision, own_decision)


def test_judge_grants_asks_the_engine_once_per_need(monkeypatch: pytest.MonkeyPatch) -> None:
    # an SCP block used to be asked again of the role's policies alone; the engine's one
    # answer says what they decide (EvalResult.own_decision)
    import iam_audit.checks.ask as ask
    from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth
    from iam_audit.checks.grants import judge_grants
    from iam_audit.model import Origin, PolicyDocument, Role, SourceKind

    calls: list[str] = []
    real = ask.evaluate

    def counted(request: Any, **kwargs: Any) -> Any:
        calls.append(request.action)
        return real(request, **kwargs)

    monkeypatch.setattr(ask, "evaluate", counted)
    policy = {"Version": "2012-10-17", "Statement": [allow("cognito-idp:AdminInitiateAuth", "*")]}
    role = Role(
        arn=ROLE,
        name="migration",
        origin=Origin(SourceKind.AUTH_DETAILS, "a.json", "/", None),
        inline=(PolicyDocument("p", PolicyKind.INLINE, policy),),
        organization=_org((REGION, FULL)),
    )
    needs = [("cognito-idp:AdminInitiateAuth", POOL_US), ("cognito-idp:AdminGetUser", POOL_US)]
    found = judge_grants(LambdaAdminInitiateAuth.meta, role, needs, what="Lambda", fix=None)
    assert calls == [a for a, _ in needs]
    assert found.message.endswith("; no policy of the role allows cognito-idp:AdminGetUser either")
