"""``simulate``: one question, AWS's answer, the statements behind it, the keys it hangs on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import write_json

runner = CliRunner()
POOL = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_AbCdEf123"
ROLE = "arn:aws:iam::111122223333:role/MigrationRole"


def simulate(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["simulate", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    v = "2012-10-17"
    docs = {
        "allow.json": {
            "Version": v,
            "Statement": [
                {
                    "Sid": "Auth",
                    "Effect": "Allow",
                    "Action": "cognito-idp:AdminInitiateAuth",
                    "Resource": POOL,
                }
            ],
        },
        "deny.json": {
            "Version": v,
            "Statement": [
                {
                    "Sid": "NoAdmin",
                    "Effect": "Deny",
                    "Action": "cognito-idp:Admin*",
                    "Resource": "*",
                }
            ],
        },
        "boundary.json": {
            "Version": v,
            "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
        },
        "vpc.json": {
            "Version": v,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-idp:AdminInitiateAuth",
                    "Resource": POOL,
                    "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
                }
            ],
        },
        "trust.json": {
            "Version": v,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cognito-idp.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    }
    return {name: str(write_json(tmp_path / name, doc)) for name, doc in docs.items()}


def test_allowed_names_the_statement(files: dict[str, str]) -> None:
    code, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--caller-arn",
        ROLE,
    )
    assert code == 0
    assert data["decision"] == "allowed"
    assert [(m["policy"], m["statement"]) for m in data["matched_statements"]] == [
        ("allow.json", "Auth")
    ]


def test_explicit_deny_beats_allow(files: dict[str, str]) -> None:
    # "An explicit deny in any policy overrides any allows." (IAM evaluation logic)
    code, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--policy",
        files["deny.json"],
    )
    assert code == 1
    assert data["decision"] == "explicitDeny"
    assert [m["statement"] for m in data["matched_statements"]] == ["NoAdmin"]


def test_boundary_intersects(files: dict[str, str]) -> None:
    code, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--boundary",
        files["boundary.json"],
    )
    assert (code, data["decision"]) == (1, "implicitDeny")


@pytest.mark.parametrize(
    ("context", "decision"),
    [
        ([], "implicitDeny"),
        (["--context", "aws:SourceVpc=vpc-1"], "allowed"),
        (["--context", "aws:sourcevpc=vpc-2"], "implicitDeny"),
    ],
)
def test_context_is_the_request(files: dict[str, str], context: list[str], decision: str) -> None:
    _, data = simulate(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["vpc.json"],
        *context,
    )
    assert data["decision"] == decision
    # the key is listed only when the context did not supply it
    assert ("aws:SourceVpc".lower() in [k.lower() for k in data["unresolved"]]) == (not context)


def test_trust_policy_with_service_principal(files: dict[str, str]) -> None:
    code, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--resource-policy",
        files["trust.json"],
        "--principal-service",
        "cognito-idp.amazonaws.com",
    )
    assert (code, data["decision"]) == (0, "allowed")
    code, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--resource-policy",
        files["trust.json"],
        "--principal-service",
        "ec2.amazonaws.com",
    )
    assert (code, data["decision"]) == (1, "implicitDeny")


def test_not_a_policy_names_file_and_path(tmp_path: Path) -> None:
    bad = write_json(
        tmp_path / "bad.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Permit", "Action": "*"},
            ],
        },
    )
    result = runner.invoke(
        app, ["simulate", "--action", "s3:GetObject", "--resource", "*", "--policy", str(bad)]
    )
    assert result.exit_code == 3
    assert "bad.json" in result.stderr
    assert "Statement[1]" in result.stderr


def test_bad_context_pair(files: dict[str, str]) -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--policy",
            files["allow.json"],
            "--context",
            "novalue",
        ],
    )
    assert result.exit_code == 3
    assert "KEY=VALUE" in result.stderr


# --- trust policies, boundaries, key policies, invalid policies (issue 10 item 12, issue 12) ---

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parent.parent / "policies/schemas/simulate-result.schema.json"
    ).read_text(encoding="utf-8")
)
KEY = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CALLER = "arn:aws:iam::111122223333:user/alice"


@pytest.fixture
def more(tmp_path: Path) -> dict[str, str]:
    v = "2012-10-17"
    docs = {
        "star.json": {
            "Version": v,
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
        "lambda-trust.json": {
            "Version": v,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        "alice-trust.json": {
            "Version": v,
            "Statement": [
                {
                    "Sid": "Alice",
                    "Effect": "Allow",
                    "Principal": {"AWS": CALLER},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        "default-key.json": {
            "Version": v,
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        "typo-operator.json": {
            "Version": v,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cognito-idp:AdminInitiateAuth",
                    "Resource": POOL,
                    "Condition": {"StringEqualz": {"aws:SourceVpc": "vpc-1"}},
                }
            ],
        },
    }
    return {name: str(write_json(tmp_path / name, doc)) for name, doc in docs.items()}


def _full(*args: str) -> Any:
    return runner.invoke(app, ["simulate", *args])


@pytest.mark.parametrize(
    ("policy_option", "decision", "blocked_by", "reason"),
    [
        # "Role trust policies and KMS key policies are exceptions to this logic, because they must
        # explicitly allow access for principals." (IAM "Policy evaluation logic",
        # reference_policies_evaluation-logic.html): an identity Allow * and a trust policy naming
        # only lambda.amazonaws.com do not let alice assume the role.
        (
            "--trust-policy",
            "implicitDeny",
            "resource-policy",
            "the trust policy does not allow the caller (an identity Allow is not enough)",
        ),
        # The same file as --resource-policy: an sts:AssumeRole question on a role is trust.
        (
            "--resource-policy",
            "implicitDeny",
            "resource-policy",
            "the trust policy does not allow the caller (an identity Allow is not enough)",
        ),
    ],
)
def test_identity_allow_star_does_not_assume_a_role(
    more: dict[str, str], policy_option: str, decision: str, blocked_by: str, reason: str
) -> None:
    code, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--policy",
        more["star.json"],
        policy_option,
        more["lambda-trust.json"],
        "--caller-arn",
        CALLER,
    )
    assert (code, data["decision"], data["blocked_by"], data["reason"]) == (
        1,
        decision,
        blocked_by,
        reason,
    )


def test_trust_policy_that_names_the_caller(more: dict[str, str]) -> None:
    # Same account: a trust policy naming alice allows her with no identity policy.
    code, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--trust-policy",
        more["alice-trust.json"],
        "--caller-arn",
        CALLER,
    )
    assert (code, data["decision"]) == (0, "allowed")
    assert [(m["policy"], m["kind"], m["statement"]) for m in data["matched_statements"]] == [
        ("alice-trust.json", "trust", "Alice")
    ]


@pytest.mark.parametrize(
    ("identity", "code", "decision"),
    [("star.json", 0, "allowed"), ("allow.json", 1, "implicitDeny")],
)
def test_cross_account_trust_needs_both(
    tmp_path: Path,
    more: dict[str, str],
    files: dict[str, str],
    identity: str,
    code: int,
    decision: str,
) -> None:
    # "the request is allowed only if both evaluations return a decision of Allow"
    # (reference_policies_evaluation-logic-cross-account.html): bob of another account is named
    # by the trust policy and still needs his own identity Allow (allow.json grants only
    # cognito-idp:AdminInitiateAuth).
    bob = "arn:aws:iam::444455556666:user/bob"
    trust = write_json(
        tmp_path / "bob-trust.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": bob}, "Action": "sts:AssumeRole"}
            ],
        },
    )
    args = ["--policy", {**files, **more}[identity]]
    got, data = simulate(
        "--action",
        "sts:AssumeRole",
        "--resource",
        ROLE,
        "--trust-policy",
        str(trust),
        *args,
        "--caller-arn",
        bob,
    )
    assert (got, data["decision"]) == (code, decision)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--action", "s3:GetObject", "--resource", ROLE, "--trust-policy", "alice-trust.json"],
            "--trust-policy answers sts: actions",
        ),
        (
            [
                "--action",
                "sts:AssumeRole",
                "--resource",
                POOL,
                "--trust-policy",
                "alice-trust.json",
            ],
            "--resource must be the role's ARN",
        ),
        (
            [
                "--action",
                "sts:AssumeRole",
                "--resource",
                ROLE,
                "--trust-policy",
                "alice-trust.json",
                "--resource-policy",
                "alice-trust.json",
            ],
            "not both",
        ),
    ],
    ids=["not-sts", "not-a-role", "both"],
)
def test_trust_policy_misuse_is_bad_input(
    more: dict[str, str], args: list[str], message: str
) -> None:
    result = _full(*[more.get(a, a) for a in args], "--caller-arn", CALLER)
    assert result.exit_code == 3
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_boundary_that_denies_says_so(files: dict[str, str]) -> None:
    # "The effective permissions are the intersection of both policy types" ... an identity
    # Allow that no boundary statement allows is denied (access_policies_boundaries.html).
    args = [
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        "--policy",
        files["allow.json"],
        "--boundary",
        files["boundary.json"],
    ]
    code, data = simulate(*args)
    assert (code, data["blocked_by"], data["reason"]) == (
        1,
        "boundary",
        "no statement of the permissions boundary allows it",
    )
    table = _full(*args)
    assert table.stdout.splitlines() == [
        f"implicitDeny: cognito-idp:AdminInitiateAuth on {POOL}",
        "  Allow allow.json Auth",
        "  denied: no statement of the permissions boundary allows it",
    ]


@pytest.mark.parametrize(
    ("args", "code", "decision", "reason"),
    [
        # "Unless the key policy explicitly allows it, you cannot use IAM policies to allow access
        # to a KMS key." (AWS KMS "Key policies", kms/latest/developerguide/key-policies.html)
        (
            ["--policy", "star.json"],
            1,
            "implicitDeny",
            "it depends on the key policy, which was not given (--resource-policy FILE): "
            "IAM policies allow access to a KMS key only where its key policy lets them",
        ),
        # "The default key policy enables IAM policies." (same page)
        (["--policy", "star.json", "--resource-policy", "default-key.json"], 0, "allowed", None),
        # The default key policy alone: the account's IAM policies must still allow it.
        (
            ["--resource-policy", "default-key.json", "--policy", "allow.json"],
            1,
            "implicitDeny",
            "the resource policy grants the caller's account, but no identity policy allows it",
        ),
    ],
    ids=["no-key-policy", "default-key-policy", "default-key-policy-no-iam-allow"],
)
def test_kms_keys_are_decided_by_their_key_policy(
    more: dict[str, str],
    files: dict[str, str],
    args: list[str],
    code: int,
    decision: str,
    reason: str | None,
) -> None:
    paths = {**files, **more}
    got_code, data = simulate(
        "--action",
        "kms:Decrypt",
        "--resource",
        KEY,
        *[paths.get(a, a) for a in args],
        "--caller-arn",
        CALLER,
    )
    assert (got_code, data["decision"], data["reason"]) == (code, decision, reason)


def test_aws_managed_policy_arn_is_not_another_account(more: dict[str, str]) -> None:
    # "An AWS managed policy is a standalone policy that is created and administered by AWS ...
    # For example, arn:aws:iam::aws:policy/IAMReadOnlyAccess is an AWS managed policy."
    # (access_policies_managed-vs-inline.html): "aws" is not an account to cross into.
    code, data = simulate(
        "--action",
        "iam:GetPolicy",
        "--resource",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "--policy",
        more["star.json"],
        "--caller-arn",
        CALLER,
    )
    assert (code, data["decision"]) == (0, "allowed")


@pytest.mark.parametrize("option", ["--policy", "--boundary"])
def test_unknown_condition_operator_is_an_invalid_policy(more: dict[str, str], option: str) -> None:
    # IAM refuses a policy whose condition operator it does not define; the operators are listed
    # on reference_policies_elements_condition_operators.html (StringEquals, not StringEqualz).
    result = _full(
        "--action",
        "cognito-idp:AdminInitiateAuth",
        "--resource",
        POOL,
        option,
        more["typo-operator.json"],
    )
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines() == [
        f"error: {more['typo-operator.json']} $.Statement[0].Condition.StringEqualz: unknown condition "
        "operator 'StringEqualz' (did you mean StringEquals?); IAM refuses such a policy"
    ]


@pytest.mark.parametrize(
    ("action", "warning"),
    [
        (
            "cognito-idp:AdminInitateAuth",
            "warning: 'cognito-idp:AdminInitateAuth' is not a known action; "
            "did you mean cognito-idp:AdminInitiateAuth?",
        ),
        ("cognito-idp:AdminInitiateAuth", ""),
        ("COGNITO-IDP:admininitiateauth", ""),  # "The action name is not case sensitive"
    ],
)
def test_misspelt_action_gets_a_warning(files: dict[str, str], action: str, warning: str) -> None:
    result = _full("--action", action, "--resource", POOL, "--policy", files["allow.json"])
    assert result.stderr.strip() == warning


def test_json_matches_its_schema(files: dict[str, str], more: dict[str, str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for args in (
        [
            "--action",
            "cognito-idp:AdminInitiateAuth",
            "--resource",
            POOL,
            "--policy",
            files["allow.json"],
        ],
        ["--action", "kms:Decrypt", "--resource", KEY, "--policy", more["star.json"]],
        [
            "--action",
            "cognito-idp:AdminInitiateAuth",
            "--resource",
            POOL,
            "--policy",
            files["deny.json"],
        ],
    ):
        _, data = simulate(*args)
        jsonschema.validate(data, SCHEMA)
