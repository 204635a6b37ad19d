"""A pass that rests on a value a template left unresolved is a warn, never a silent pass."""

from __future__ import annotations

from iam_audit.audit import run_checks
from iam_audit.checks import AuditTarget
from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth
from iam_audit.checks.cog004_lambda_role_trust import LambdaRoleTrust
from iam_audit.findings import Status
from iam_audit.model import Origin, PolicyDocument, PolicyKind, Role, SourceKind

POOL = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_AbC"
HOLE = "<Unresolved.ImportValue.shared.PoolArn>"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _role(resource: str, symbolic: tuple[str, ...]) -> Role:
    origin = Origin(SourceKind.CLOUDFORMATION, "stack.yaml", "/Resources/Role", 3)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "cognito-idp:AdminInitiateAuth",
                "Resource": [POOL, resource],
            }
        ],
    }
    return Role(
        arn="arn:aws:iam::111122223333:role/r",
        name="r",
        origin=origin,
        trust=PolicyDocument("trust", PolicyKind.TRUST, TRUST),
        inline=(PolicyDocument("migrate", PolicyKind.INLINE, policy),),
        symbolic=symbolic,
    )


def test_pass_resting_on_a_hole_warns_and_names_it() -> None:
    target = AuditTarget(lambda_role=_role(HOLE, (HOLE,)), user_pool_arn=POOL)
    by_check = {
        f.check: f for f in run_checks(target, [LambdaAdminInitiateAuth, LambdaRoleTrust]).findings
    }
    assert by_check["COG001"].status is Status.WARN
    assert HOLE in by_check["COG001"].message
    assert HOLE in by_check["COG001"].unresolved
    # the trust check does not rest on the hole: it stays a pass
    assert by_check["COG004"].status is Status.PASS


def test_without_holes_the_pass_stands() -> None:
    target = AuditTarget(lambda_role=_role(POOL, ()), user_pool_arn=POOL)
    (finding,) = run_checks(target, [LambdaAdminInitiateAuth]).findings
    assert finding.status is Status.PASS


def test_a_hole_in_another_statement_of_the_same_policy_does_not_matter() -> None:
    role = _role(POOL, (HOLE,))
    policy = role.inline[0].document
    policy["Statement"].append({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": HOLE})
    target = AuditTarget(lambda_role=role, user_pool_arn=POOL)
    (finding,) = run_checks(target, [LambdaAdminInitiateAuth]).findings
    assert finding.status is Status.PASS
