"""``lambda calls`` lists exactly the calls each fixture package makes (tests/assets/codecalls)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from tests.conftest import asset

runner = CliRunner()
SCHEMA = json.loads(
    (Path(__file__).parent.parent.parent / "policies/schemas/lambda-calls.schema.json").read_text()
)
POOL = "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_Legacy1"
OLD_POOL = "arn:aws:cognito-idp:eu-west-1:222233334444:userpool/eu-west-1_OldPool1"
SOURCE_ROLE = "arn:aws:iam::222233334444:role/legacy-pool-reader"
SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:legacy-db-AbCdEf"
ENV = {
    "OLD_USER_POOL_ID": "us-east-1_Legacy1",
    "DB_SECRET_ARN": SECRET,
    "SOURCE_ROLE_ARN": SOURCE_ROLE,
    "ROLE_TO_ASSUME_ARN": SOURCE_ROLE,
    "OLD_ROLE_ARN": SOURCE_ROLE,
    "SOURCE_USER_POOL_ID": "eu-west-1_OldPool1",
}
OLD_ACCOUNT_POOL = "arn:aws:cognito-idp:us-east-1:222233334444:userpool/us-east-1_Legacy1"
ASSUMED_124 = f"role assumed at index.ts:124: {SOURCE_ROLE}"
AUTH = "UserMigration_Authentication"
FORGOT = "UserMigration_ForgotPassword"
OWN = "function role"

# (folder, [(file:line, action, resource, credentials)], trigger sources)
PACKAGES = [
    (
        "packages/py_cognito",
        [
            ("lambda_function.py:13", "cognito-idp:AdminGetUser", POOL, OWN),
            ("lambda_function.py:19", "cognito-idp:AdminListGroupsForUser", POOL, OWN),
            ("lambda_function.py:25", "cognito-idp:AdminInitiateAuth", POOL, OWN),
        ],
        [AUTH, FORGOT],
    ),
    (
        "packages/py_postgres",
        [("app.py:13", "secretsmanager:GetSecretValue", SECRET, OWN)],
        [AUTH],
    ),
    ("packages/py_ldap", [], [AUTH]),
    ("packages/node_oauth", [], [AUTH]),
    (
        "packages/node_forgot_password",
        [("index.js:16", "cognito-idp:AdminGetUser", POOL, OWN)],
        [FORGOT],
    ),
    (
        "packages/node_v2_groups",
        [
            ("index.js:8", "cognito-idp:AdminListGroupsForUser", POOL, OWN),
            ("index.js:16", "cognito-idp:AdminInitiateAuth", POOL, OWN),
        ],
        [AUTH],
    ),
    (
        "packages/py_cross_account",
        [
            ("main.py:11", "sts:AssumeRole", SOURCE_ROLE, OWN),
            (
                "main.py:30",
                "cognito-idp:AdminInitiateAuth",
                OLD_POOL,
                f"role assumed at main.py:11: {SOURCE_ROLE}",
            ),
            (
                "main.py:36",
                "cognito-idp:AdminGetUser",
                OLD_POOL,
                f"role assumed at main.py:11: {SOURCE_ROLE}",
            ),
        ],
        [AUTH],
    ),
    (
        "packages/node_esbuild",
        [
            ("index.js:29", "cognito-idp:AdminListGroupsForUser", POOL, OWN),
            ("index.js:35", "cognito-idp:AdminInitiateAuth", POOL, OWN),
            ("index.js:44", "cognito-idp:AdminGetUser", POOL, OWN),
        ],
        [AUTH],
    ),
    (
        "public/previewme",
        [
            ("index.ts:18", "sts:AssumeRole", SOURCE_ROLE, OWN),
            (
                "index.ts:36",
                "cognito-idp:AdminInitiateAuth",
                OLD_POOL,
                f"role assumed at index.ts:18: {SOURCE_ROLE}",
            ),
            (
                "index.ts:63",
                "cognito-idp:AdminGetUser",
                OLD_POOL,
                f"role assumed at index.ts:18: {SOURCE_ROLE}",
            ),
        ],
        [AUTH, FORGOT],
    ),
    (
        "public/collaborne",
        [
            # the pool ID is read in the account of the role the credentials belong to
            ("index.ts:41", "cognito-idp:AdminInitiateAuth", OLD_ACCOUNT_POOL, ASSUMED_124),
            ("index.ts:58", "cognito-idp:AdminGetUser", OLD_ACCOUNT_POOL, ASSUMED_124),
            ("index.ts:124", "sts:AssumeRole", SOURCE_ROLE, OWN),
        ],
        [AUTH, FORGOT],
    ),
    ("public/awsdocs", [], [AUTH, FORGOT]),
]


def _calls(path: Path, *extra: str) -> dict[str, object]:
    env = [f"--env={k}={v}" for k, v in ENV.items()]
    result = runner.invoke(
        app,
        ["lambda", "calls", "--function-code", str(path), "--account-id", "111122223333",
         "--region", "us-east-1", "-f", "json", *env, *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


@pytest.mark.parametrize(
    ("folder", "expected", "triggers"), PACKAGES, ids=[p[0].split("/")[-1] for p in PACKAGES]
)
def test_lambda_calls_lists_exactly_the_package_calls(
    folder: str, expected: list[tuple[str, str, str | None, str]], triggers: list[str]
) -> None:
    data = _calls(asset("codecalls", folder))
    found = [
        (f"{c['file']}:{c['line']}", c["action"], c["resource"], c["credentials"])
        for c in data["calls"]  # type: ignore[attr-defined]
    ]
    assert found == expected
    assert data["trigger_sources"] == triggers
    jsonschema.Draft7Validator(SCHEMA).validate(data)


def test_a_zip_package_gives_the_same_calls_as_its_folder(tmp_path: Path) -> None:
    folder = asset("codecalls", "packages", "py_cognito")
    archive = tmp_path / "fn.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in folder.iterdir():
            out.write(file, file.name)
    assert _calls(archive)["calls"] == _calls(folder)["calls"]


def test_unresolved_resource_says_why() -> None:
    result = runner.invoke(
        app,
        [
            "lambda",
            "calls",
            "--function-code",
            str(asset("codecalls", "packages", "node_forgot_password")),
        ],
    )
    assert result.exit_code == 0
    assert (
        "unresolved: UserPoolId: environment variable OLD_USER_POOL_ID is not set" in result.output
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "give one of --function NAME, --function-code PATH"),
        (["--function-code", "/nonexistent/fn.zip"], 3, "does not exist"),
        (["--function-code", "README.md"], 3, "is not a zip file"),
        (["--function-code", "tests", "--env", "NOEQUALS"], 3, "--env takes KEY=VALUE"),
    ],
)
def test_bad_input_is_one_line_and_an_exit_code(args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["lambda", "calls", *args])
    assert result.exit_code == code
    assert message in result.output


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("\x1b[31mevil", "\\x1b[31mevil"),  # a terminal escape sequence
        ("\u202eevil", "\\u202eevil"),  # a bidi override reorders what the terminal shows
    ],
)
def test_control_characters_from_the_package_are_escaped(value: str, shown: str) -> None:
    source = f'import boto3\nboto3.client("sts").assume_role(RoleArn="{value}")\n'
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("x.py", source.encode())
    from iam_audit.codecalls.facts import facts_for, place_of
    from iam_audit.codecalls.load import files_from_zip
    from iam_audit.render import TextFormat, renderer_for

    facts = facts_for(files_from_zip(archive.getvalue(), "x.zip"), "x.zip", {}, place_of(None))
    text = renderer_for(TextFormat.TABLE).render(facts)
    assert value[0] not in text
    assert shown in text


def test_collaborne_fallback_literal_is_not_a_pool_id() -> None:
    """``process.env.OLD_USER_POOL_ID || '<OLD_USER_POOL_ID>'`` unset: the fallback is no ID."""
    result = runner.invoke(
        app,
        ["lambda", "calls", "--function-code", str(asset("codecalls", "public", "collaborne")),
         "--env", f"OLD_ROLE_ARN={SOURCE_ROLE}", "-f", "json"],
    )  # fmt: skip
    calls = json.loads(result.output)["calls"]
    assert [c["unresolved"] for c in calls if c["service"] == "cognito-idp"] == [
        "UserPoolId '<OLD_USER_POOL_ID>' is not a user pool ID"
    ] * 2
