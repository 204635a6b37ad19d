"""COG001, COG010 and COG011 on real packages and two accounts' authorization details.

The packages and accounts are in tests/assets/codecalls (README there). "A cross-account
AssumeRole needs both sides": the caller's identity policy must allow ``sts:AssumeRole`` on the
role, and the role's trust policy must trust the caller (IAM User Guide, "How to provide access to
an IAM user in another AWS account that you own", id_roles_common-scenarios_aws-accounts.html).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import asset

runner = CliRunner()
FN = "arn:aws:iam::111122223333:role/"
SRC = "arn:aws:iam::222233334444:role/legacy-pool-reader"
SAME_POOL = "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_Legacy1"
NEW_POOL = "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_New1"
OLD_POOL = "arn:aws:cognito-idp:eu-west-1:222233334444:userpool/eu-west-1_OldPool1"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:legacy-db-AbCdEf"
CROSS_ENV = (
    f"SOURCE_ROLE_ARN={SRC}",
    "SOURCE_EXTERNAL_ID=migr-7f3a",
    "SOURCE_USER_POOL_ID=eu-west-1_OldPool1",
    f"ROLE_TO_ASSUME_ARN={SRC}",
)
SAME_ENV = ("OLD_USER_POOL_ID=us-east-1_Legacy1", f"DB_SECRET_ARN={SECRET}")

# (id, lambda role, package, source pool, source account file, expected (check, status, role, missing))
CASES: list[tuple[str, str, str, str, str | None, set[tuple[str, str, str, tuple[str, ...]]]]] = [
    (
        "cognito-same-account-pass",
        "migration-same",
        "packages/py_cognito",
        SAME_POOL,
        None,
        {
            ("COG001", "pass", "migration-same", ()),
            ("COG010", "pass", "migration-same", ()),
            ("COG011", "skip", "migration-same", ()),
        },
    ),
    (
        "cognito-groups-and-lookup-missing",
        "migration-same-authonly",
        "packages/py_cognito",
        SAME_POOL,
        None,
        {
            ("COG001", "pass", "migration-same-authonly", ()),
            ("COG010", "pass", "migration-same-authonly", ()),
            ("COG010", "fail", "migration-same-authonly", ("cognito-idp:AdminGetUser",)),
            ("COG010", "fail", "migration-same-authonly", ("cognito-idp:AdminListGroupsForUser",)),
            ("COG011", "skip", "migration-same-authonly", ()),
        },
    ),
    (
        "forgot-password-only",
        "migration-same-authonly",
        "packages/node_forgot_password",
        SAME_POOL,
        None,
        {
            ("COG001", "skip", "migration-same-authonly", ()),
            ("COG010", "fail", "migration-same-authonly", ("cognito-idp:AdminGetUser",)),
            ("COG011", "skip", "migration-same-authonly", ()),
        },
    ),
    (
        "postgres-secret-allowed",
        "migration-db",
        "packages/py_postgres",
        NEW_POOL,
        None,
        {
            ("COG001", "skip", "migration-db", ()),
            ("COG010", "pass", "migration-db", ()),
            ("COG011", "skip", "migration-db", ()),
        },
    ),
    (
        "postgres-secret-missing",
        "migration-db-nosecret",
        "packages/py_postgres",
        NEW_POOL,
        None,
        {
            ("COG001", "skip", "migration-db-nosecret", ()),
            ("COG010", "fail", "migration-db-nosecret", ("secretsmanager:GetSecretValue",)),
            ("COG011", "skip", "migration-db-nosecret", ()),
        },
    ),
    *[
        (
            f"{store}-no-aws-call",
            "migration-db-nosecret",
            f"packages/{package}",
            NEW_POOL,
            None,
            {
                ("COG001", "skip", "migration-db-nosecret", ()),
                ("COG010", "pass", "migration-db-nosecret", ()),
                ("COG011", "skip", "migration-db-nosecret", ()),
            },
        )
        for store, package in (("ldap", "py_ldap"), ("oauth", "node_oauth"))
    ],
    (
        "cross-account-chain-complete",
        "migration-cross",
        "packages/py_cross_account",
        OLD_POOL,
        "source_ok.json",
        {
            ("COG001", "skip", "migration-cross", ()),
            ("COG010", "pass", "migration-cross", ()),
            ("COG011", "pass", "migration-cross", ()),
            ("COG011", "pass", "legacy-pool-reader", ()),
        },
    ),
    (
        "cross-account-caller-may-not-assume",
        "migration-cross-noassume",
        "packages/py_cross_account",
        OLD_POOL,
        "source_ok_no_external_id.json",
        {
            ("COG001", "skip", "migration-cross-noassume", ()),
            ("COG010", "pass", "migration-cross-noassume", ()),
            ("COG011", "fail", "migration-cross-noassume", ("sts:AssumeRole",)),
            (
                "COG011",
                "fail",
                "legacy-pool-reader",
                ("sts:AssumeRole",),
            ),  # trusts migration-cross only
            ("COG011", "pass", "legacy-pool-reader", ()),
        },
    ),
    (
        "cross-account-trusts-another-account",
        "migration-cross",
        "packages/py_cross_account",
        OLD_POOL,
        "source_trusts_other.json",
        {
            ("COG001", "skip", "migration-cross", ()),
            ("COG010", "pass", "migration-cross", ()),
            ("COG011", "pass", "migration-cross", ()),
            ("COG011", "fail", "legacy-pool-reader", ("sts:AssumeRole",)),
            ("COG011", "pass", "legacy-pool-reader", ()),
        },
    ),
    (
        "cross-account-wrong-external-id",
        "migration-cross",
        "packages/py_cross_account",
        OLD_POOL,
        "source_other_external_id.json",
        {
            ("COG001", "skip", "migration-cross", ()),
            ("COG010", "pass", "migration-cross", ()),
            ("COG011", "pass", "migration-cross", ()),
            ("COG011", "fail", "legacy-pool-reader", ("sts:AssumeRole",)),
            ("COG011", "pass", "legacy-pool-reader", ()),
        },
    ),
    (
        "cross-account-source-role-lacks-admin-get-user",
        "migration-cross",
        "packages/py_cross_account",
        OLD_POOL,
        "source_no_getuser.json",
        {
            ("COG001", "skip", "migration-cross", ()),
            ("COG010", "pass", "migration-cross", ()),
            ("COG011", "pass", "migration-cross", ()),
            ("COG011", "pass", "legacy-pool-reader", ()),
            ("COG011", "fail", "legacy-pool-reader", ("cognito-idp:AdminGetUser",)),
        },
    ),
    (
        "public-previewme-no-external-id-against-a-trust-requiring-one",
        "migration-cross",
        "public/previewme",
        OLD_POOL,
        "source_ok.json",
        {
            ("COG001", "skip", "migration-cross", ()),
            ("COG010", "pass", "migration-cross", ()),
            ("COG011", "pass", "migration-cross", ()),
            ("COG011", "fail", "legacy-pool-reader", ("sts:AssumeRole",)),
            ("COG011", "pass", "legacy-pool-reader", ()),
        },
    ),
    (
        "public-previewme-chain-complete",
        "migration-cross",
        "public/previewme",
        OLD_POOL,
        "source_ok_no_external_id.json",
        {
            ("COG001", "skip", "migration-cross", ()),
            ("COG010", "pass", "migration-cross", ()),
            ("COG011", "pass", "migration-cross", ()),
            ("COG011", "pass", "legacy-pool-reader", ()),
        },
    ),
    (
        "public-awsdocs-no-aws-call",
        "migration-db-nosecret",
        "public/awsdocs",
        NEW_POOL,
        None,
        {
            ("COG001", "skip", "migration-db-nosecret", ()),
            ("COG010", "pass", "migration-db-nosecret", ()),
            ("COG011", "skip", "migration-db-nosecret", ()),
        },
    ),
    (
        "cross-account-pool-called-with-own-credentials",
        "migration-same",
        "packages/py_cognito",
        OLD_POOL,
        None,
        {
            ("COG001", "fail", "migration-same", ("cognito-idp:AdminInitiateAuth",)),
            ("COG010", "pass", "migration-same", ()),
            ("COG011", "fail", "migration-same", ("cognito-idp:AdminGetUser",)),
        },
    ),
]


def _audit(
    role: str, package: str | None, pool: str, source: str | None, *extra: str
) -> dict[str, Any]:
    args = [
        "audit", "--authorization-details", str(asset("codecalls", "accounts", "function_account.json")),
        "--lambda-role", role, "--source-pool-arn", pool, "--user-pool-arn", NEW_POOL, "-f", "json",
    ]  # fmt: skip
    if package is not None:
        args += ["--function-code", str(asset("codecalls", package))]
        args += [f"--env={e}" for e in (*CROSS_ENV, *SAME_ENV)]
    if source is not None:
        args += ["--source-authorization-details", str(asset("codecalls", "accounts", source))]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _verdicts(data: dict[str, Any]) -> set[tuple[str, str, str, tuple[str, ...]]]:
    return {
        (f["check"], f["status"], f["role"].rsplit("/", 1)[-1], tuple(f["missing"]))
        for f in data["results"]
        if f["check"] in ("COG001", "COG010", "COG011")
    }


@pytest.mark.parametrize(
    ("role", "package", "pool", "source", "expected"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_verdicts(
    role: str,
    package: str,
    pool: str,
    source: str | None,
    expected: set[tuple[str, str, str, tuple[str, ...]]],
) -> None:
    assert _verdicts(_audit(role, package, pool, source)) == expected


def _messages(data: dict[str, Any], check: str) -> list[str]:
    return [f["message"] for f in data["results"] if f["check"] == check]


def test_cog001_skip_reason_names_another_store() -> None:
    data = _audit("migration-db", "packages/py_postgres", NEW_POOL, None)
    assert _messages(data, "COG001") == [
        "the function calls no Cognito API: it authenticates against another store"
    ]


def test_without_code_cog001_points_cross_account_pools_to_cog011() -> None:
    data = _audit("migration-same", None, OLD_POOL, None)
    (message,) = _messages(data, "COG001")
    assert "COG011" in message
    assert "run the function in the pool's account" not in message
    assert {f["status"] for f in data["results"] if f["check"] in ("COG010", "COG011")} == {"skip"}


def test_without_the_source_account_cog011_skips_naming_the_options() -> None:
    data = _audit("migration-cross", "packages/py_cross_account", OLD_POOL, None)
    skips = [m for m in _messages(data, "COG011") if "--source-authorization-details" in m]
    assert skips == [
        f"role {SRC} is in account 222233334444: pass --source-authorization-details FILE, "
        "--source-template FILE or --source-profile NAME to audit its trust and permissions"
    ]


def test_trust_messages_say_which_condition_fails() -> None:
    wrong = _messages(
        _audit(
            "migration-cross",
            "packages/py_cross_account",
            OLD_POOL,
            "source_other_external_id.json",
        ),
        "COG011",
    )
    assert (
        "migration-cross may not assume legacy-pool-reader: its trust does not accept the sts:ExternalId 'migr-7f3a' the code passes"
        in wrong
    )
    absent = _messages(
        _audit("migration-cross", "public/previewme", OLD_POOL, "source_ok.json"), "COG011"
    )
    assert any(
        "requires an sts:ExternalId the code does not pass at index.ts:18" in m for m in absent
    )


def test_fix_adds_a_statement_on_each_side_of_the_chain() -> None:
    args = [
        "fix", "--authorization-details", str(asset("codecalls", "accounts", "function_account.json")),
        "--lambda-role", "migration-cross-noassume", "--source-pool-arn", OLD_POOL,
        "--function-code", str(asset("codecalls", "packages", "py_cross_account")),
        "--source-authorization-details", str(asset("codecalls", "accounts", "source_trusts_other.json")),
        "-f", "json", *[f"--env={e}" for e in CROSS_ENV],
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    changes = {
        (c["role_name"], c["target"]): c["after"]["Statement"][-1]
        for c in json.loads(result.output)["changes"]
    }
    assert changes == {
        ("migration-cross-noassume", "inline"): {
            "Sid": "IamAuditAssumeSourceRole",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": SRC,
        },
        ("legacy-pool-reader", "trust"): {
            "Sid": "IamAuditTrustMigrationFunction",
            "Effect": "Allow",
            "Principal": {"AWS": FN + "migration-cross-noassume"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "migr-7f3a"}},
        },
    }


def _fixed_statements(lambda_role: str) -> list[dict[str, Any]]:
    """The statements of the one document ``fix`` changes for ``lambda_role`` (py_cognito)."""
    args = [
        "fix", "--authorization-details", str(asset("codecalls", "accounts", "function_account.json")),
        "--lambda-role", lambda_role, "--source-pool-arn", SAME_POOL,
        "--function-code", str(asset("codecalls", "packages", "py_cognito")),
        "-f", "json", *[f"--env={e}" for e in SAME_ENV],
    ]  # fmt: skip
    result = runner.invoke(app, args)
    (change,) = json.loads(result.output)["changes"]
    return list(change["after"]["Statement"])


def test_fix_for_missing_code_actions_is_one_statement_per_action() -> None:
    statements = _fixed_statements("migration-same-authonly")
    added = [s for s in statements if s["Sid"].startswith("IamAudit")]
    assert added == [
        {
            "Sid": "IamAuditAdminGetUser",
            "Effect": "Allow",
            "Action": "cognito-idp:AdminGetUser",
            "Resource": SAME_POOL,
        },
        {
            "Sid": "IamAuditAdminListGroupsForUser",
            "Effect": "Allow",
            "Action": "cognito-idp:AdminListGroupsForUser",
            "Resource": SAME_POOL,
        },
    ]


@pytest.mark.parametrize(
    ("action", "options", "sid"),
    [
        ("cognito-idp:AdminGetUser", {}, "IamAuditAdminGetUser"),  # COG010
        ("cognito-idp:AdminGetUser", {"prefix": "IamAuditSource"}, "IamAuditSourceAdminGetUser"),
        ("secretsmanager:GetSecretValue", {}, "IamAuditGetSecretValue"),
        ("sts:AssumeRole", {"sid": "IamAuditAssumeSourceRole"}, "IamAuditAssumeSourceRole"),
        ("execute-api:Invoke", {}, "IamAuditInvoke"),
        ("odd:Name-With.Marks_", {}, "IamAuditNameWithMarks"),  # a Sid takes letters and digits
    ],
)
def test_one_builder_for_a_grant_fix(action: str, options: dict[str, str], sid: str) -> None:
    """COG010's and COG011's fixes for a call are one builder's, apart from the Sid's prefix."""
    from iam_audit.checks.grants import grant_policy

    assert grant_policy(action, SAME_POOL, **options) == {
        "Version": "2012-10-17",
        "Statement": [{"Sid": sid, "Effect": "Allow", "Action": action, "Resource": SAME_POOL}],
    }


@pytest.mark.parametrize(
    ("default", "changed", "trust"),
    [
        (None, None, ("pass", ())),
        ("migr-7f3a", "rotated", ("fail", ("sts:AssumeRole",))),
        (FN + "migration-cross", FN + "someone-else", ("fail", ("sts:AssumeRole",))),
    ],
    ids=[
        "stack-trusts-the-function",
        "stack-wants-another-external-id",
        "stack-trusts-another-role",
    ],
)
def test_source_account_from_its_template(
    default: str | None, changed: str | None, trust: tuple[str, tuple[str, ...]], tmp_path: Path
) -> None:
    """``--source-template``: the other account's stack of the same deployment (a parameter's
    default changed to make each failing variant)."""
    text = asset("codecalls", "stacks", "source-account.yaml").read_text()
    if default is not None and changed is not None:
        assert f"Default: {default}" in text
        text = text.replace(f"Default: {default}", f"Default: {changed}")
    template = tmp_path / "source-account.yaml"
    template.write_text(text)
    data = _audit(
        "migration-cross", "packages/py_cross_account", OLD_POOL, None,
        "--source-template", str(template),
    )  # fmt: skip
    found = {
        (f["status"], tuple(f["missing"]))
        for f in data["results"]
        if f["check"] == "COG011" and f["role"] == SRC
    }
    assert found == {trust, ("pass", ())}


def test_source_template_leaving_the_external_id_unresolved_warns(tmp_path: Path) -> None:
    """The stack's ExternalId parameter has no value: whether the trust accepts the one the code
    passes rests on that value, so the engine's answer is conditional on it (warn, naming the
    parameter), never a fail that asks to trust the code's value beside it."""
    text = asset("codecalls", "stacks", "source-account.yaml").read_text()
    assert "    Default: migr-7f3a\n" in text
    template = tmp_path / "source-account.yaml"
    template.write_text(text.replace("    Default: migr-7f3a\n", ""))
    data = _audit(
        "migration-cross", "packages/py_cross_account", OLD_POOL, None,
        "--source-template", str(template),
    )  # fmt: skip
    (trust,) = [
        f
        for f in data["results"]
        if f["check"] == "COG011" and f["role"] == SRC and "Source role" not in f["message"]
    ]  # the trust link (the others are the source role's calls)
    assert (trust["status"], trust["unresolved"], trust["fix"]) == (
        "warn",
        ["<Unresolved.Parameter.ExternalId>"],
        None,
    ), trust["message"]
    assert "parameter ExternalId (no value: pass --parameter ExternalId=VALUE)" in trust["message"]


@pytest.mark.parametrize("sid", ["CognitoMigrationAdminInitiateAuth", "RenamedInTheTemplate"])
def test_cog001_and_cog010_fix_the_same_grant_once(
    sid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the statement's Sid is defined once, in COG001's policy template: renamed there, both
    # checks still add the one statement
    from iam_audit import templates

    shipped = templates.policies_dir()
    policies = tmp_path / "policies"
    shutil.copytree(shipped, policies)
    name = "lambda-admin-initiate-auth.json"
    text = (shipped / name).read_text()
    assert '"Sid": "CognitoMigrationAdminInitiateAuth"' in text
    (policies / name).write_text(text.replace("CognitoMigrationAdminInitiateAuth", sid))
    monkeypatch.setattr(templates, "policies_dir", lambda: policies)
    templates._read.cache_clear()
    try:
        fixed = _fixed_statements("migration-db-nosecret")
    finally:
        templates._read.cache_clear()
    statements = [s for s in fixed if "cognito-idp" in json.dumps(s)]
    assert [s["Sid"] for s in statements] == [
        sid,
        "IamAuditAdminGetUser",
        "IamAuditAdminListGroupsForUser",
    ]
    assert statements[0] == {
        "Sid": sid,
        "Effect": "Allow",
        "Action": "cognito-idp:AdminInitiateAuth",
        "Resource": SAME_POOL,
    }
