"""A pass that rests on a value a template left unresolved is a warn, never a silent pass.

The engine says whether a verdict rests on one (``Request.unknown_values``: the value is read as
any value, and the answer is conditional on it when some value would change it); no check or
audit step looks for placeholder text on its own.
"""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from iam_audit.audit import run_checks
from iam_audit.checks import AuditTarget
from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth
from iam_audit.checks.cog004_lambda_role_trust import LambdaRoleTrust
from iam_audit.checks.grants import judge_grants
from iam_audit.findings import Status
from iam_audit.model import Origin, PolicyDocument, PolicyKind, Role, SourceKind
from iam_audit.sources.symbolic import describe

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
    # the role's grant names POOL and the hole; the pool asked is another, so only the hole
    # could grant it
    other = POOL.replace("eu-central-1_AbC", "eu-central-1_Other")
    target = AuditTarget(lambda_role=_role(HOLE, (HOLE,)), user_pool_arn=other)
    by_check = {
        f.check: f for f in run_checks(target, [LambdaAdminInitiateAuth, LambdaRoleTrust]).findings
    }
    assert by_check["COG001"].status is Status.WARN
    assert describe(HOLE) in by_check["COG001"].message
    assert HOLE in by_check["COG001"].unresolved
    # the trust check does not rest on the hole: it stays a pass
    assert by_check["COG004"].status is Status.PASS


def test_a_hole_beside_the_pool_leaves_the_pass() -> None:
    # The statement's Resource lists the pool and the hole: it applies to the pool whatever the
    # hole is ("The Resource element in an IAM policy statement defines the object or objects
    # that the statement applies to", IAM User Guide, IAM JSON policy elements: Resource), so
    # the pass does not rest on the hole, though the statement that decided it holds it (the
    # text match the audit once made turned this certain pass into a warn).
    target = AuditTarget(lambda_role=_role(HOLE, (HOLE,)), user_pool_arn=POOL)
    (finding,) = run_checks(target, [LambdaAdminInitiateAuth]).findings
    assert (finding.status, finding.unresolved) == (Status.PASS, ()), finding.message


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


OTHER = "222233334444"
SOURCE_ROLE = f"arn:aws:iam::{OTHER}:role/legacy-reader"
OTHER_POOL = POOL.replace("111122223333", OTHER)
ACCOUNT_HOLE = "<Unresolved.Parameter.SourceAccount>"


def _allow(action: str, resource: str, **more: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


# (id, statements, (action, resource) asked, caller_side, expected status, values named)
HOLE_CASES = [
    # The caller's half of a cross-account request (``caller_side``, as COG011 asks it): the
    # other account's side is judged on its own, so the hole in the account decides.
    (
        "cross-account-caller-side",
        [_allow("cognito-idp:AdminInitiateAuth", OTHER_POOL.replace(OTHER, ACCOUNT_HOLE))],
        ("cognito-idp:AdminInitiateAuth", OTHER_POOL),
        True,
        Status.WARN,
        (ACCOUNT_HOLE,),
    ),
    (
        "cross-account-assume-caller-side",
        [_allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT_HOLE}:role/*")],
        ("sts:AssumeRole", SOURCE_ROLE),
        True,
        Status.WARN,
        (ACCOUNT_HOLE,),
    ),
    # "NotResource ... matches every resource except those specified" (IAM User Guide, IAM
    # JSON policy elements: NotResource): a Deny on everything but an unresolved ARN blocks the
    # pool unless that ARN is the pool, which the template does not say.
    (
        "deny-not-resource-hole",
        [
            _allow("cognito-idp:AdminInitiateAuth", POOL),
            {
                "Effect": "Deny",
                "Action": "cognito-idp:AdminInitiateAuth",
                "NotResource": HOLE,
            },
        ],
        ("cognito-idp:AdminInitiateAuth", POOL),
        False,
        Status.WARN,
        (HOLE,),
    ),
    # An Allow on everything but the hole: allowed as written, but only if the hole is not the pool.
    (
        "allow-not-resource-hole",
        [{"Effect": "Allow", "Action": "cognito-idp:AdminInitiateAuth", "NotResource": HOLE}],
        ("cognito-idp:AdminInitiateAuth", POOL),
        False,
        Status.WARN,
        (HOLE,),
    ),
    # A grant on the hole alone: implicit deny as written, allowed if the hole is the pool.
    (
        "allow-on-hole",
        [_allow("cognito-idp:AdminInitiateAuth", HOLE)],
        ("cognito-idp:AdminInitiateAuth", POOL),
        False,
        Status.WARN,
        (HOLE,),
    ),
    # A name the deployment generates, asked with a concrete pool: one resource or not is
    # unknown until deployment; asked with the same placeholder, the comparison is exact.
    (
        "generated-name-concrete-question",
        [_allow("cognito-idp:AdminInitiateAuth", POOL.replace("eu-central-1_AbC", "<Legacy>"))],
        ("cognito-idp:AdminInitiateAuth", POOL),
        False,
        Status.WARN,
        ("<Legacy>",),
    ),
    (
        "generated-name-same-placeholder",
        [_allow("cognito-idp:AdminInitiateAuth", POOL.replace("eu-central-1_AbC", "<Legacy>"))],
        ("cognito-idp:AdminInitiateAuth", POOL.replace("eu-central-1_AbC", "<Legacy>")),
        False,
        Status.PASS,
        (),
    ),
    (
        "generated-name-other-placeholder",
        [_allow("cognito-idp:AdminInitiateAuth", POOL.replace("eu-central-1_AbC", "<Legacy>"))],
        ("cognito-idp:AdminInitiateAuth", POOL.replace("eu-central-1_AbC", "<Other>")),
        False,
        Status.FAIL,
        (),
    ),
    # A template without --account-id: the account a condition wants is unresolved.
    (
        "condition-on-hole",
        [
            _allow(
                "cognito-idp:AdminInitiateAuth",
                POOL,
                Condition={"StringEquals": {"aws:PrincipalAccount": "<Unresolved.AWS.AccountId>"}},
            )
        ],
        ("cognito-idp:AdminInitiateAuth", POOL),
        False,
        Status.WARN,
        ("<Unresolved.AWS.AccountId>",),
    ),
    # The hole is in a statement for another action: it does not matter.
    (
        "hole-elsewhere",
        [_allow("cognito-idp:AdminInitiateAuth", POOL), _allow("sqs:SendMessage", HOLE)],
        ("cognito-idp:AdminInitiateAuth", POOL),
        False,
        Status.PASS,
        (),
    ),
]


@pytest.mark.parametrize(
    ("statements", "need", "caller_side", "status", "named"),
    [pytest.param(*case[1:], id=case[0]) for case in HOLE_CASES],
)
def test_a_verdict_resting_on_a_hole_is_asked_of_the_engine(
    statements: list[dict[str, object]],
    need: tuple[str, str],
    caller_side: bool,
    status: Status,
    named: tuple[str, ...],
) -> None:
    role = _role(POOL, tuple(v for v in named if v.startswith("<Unresolved.")) or (HOLE,))
    policy = {"Version": "2012-10-17", "Statement": statements}
    role = replace(role, inline=(PolicyDocument("migrate", PolicyKind.INLINE, policy),))
    found = judge_grants(
        LambdaAdminInitiateAuth.meta,
        role,
        [need],
        what="Lambda",
        fix=None,
        caller_side=caller_side,
    )
    assert (found.status, found.unresolved) == (status, named), found.message
    for value in named:
        assert describe(value) in found.message


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (SourceKind.CLOUDFORMATION, ("<Legacy>",)),
        (SourceKind.TERRAFORM, ("<Legacy>",)),
        # AWS returned the document: "<Legacy>" is text, compared as written
        (SourceKind.AUTH_DETAILS, ()),
        (SourceKind.LIVE, ()),
    ],
)
def test_only_a_template_or_plan_holds_placeholders(
    kind: SourceKind, expected: tuple[str, ...]
) -> None:
    from iam_audit.checks.ask import unknown_values

    role = _role(POOL.replace("eu-central-1_AbC", "<Legacy>"), ())
    role = replace(role, origin=Origin(kind, "x"))
    assert unknown_values(role) == expected
