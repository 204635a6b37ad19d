"""Names from a template cannot forge any output format (issue 9, "Output cannot be forged").

A CloudFormation template is what a pull request changes, so anyone can choose its names. Each
payload of :data:`tests.hostile.PAYLOADS` goes into the migration role's ``RoleName``, its inline
policy's ``PolicyName``, a statement ``Sid``, a tag and a condition key (``aws:RequestTag/…``,
which the audit lists as unresolved), and the function's ``FunctionName`` (without colons and newlines). The real CLI audits
it (in-process, through Typer's runner) in every format, and previews the fix. Each output is
compared with the same template holding a plain name: the same lines, the same test cases, the
same table cells, so a payload can neither add a line nor hide one. ``who-can`` gets the payload
as a role and policy name in an account file.
"""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.checks.casefile import LAMBDA_TRUST
from tests.hostile import (
    PAYLOAD_IDS,
    PAYLOADS,
    assert_terminal_safe,
    outside_code_spans,
    raw_characters,
    table_cells,
    workflow_lines,
)

runner = CliRunner()
ACCOUNT = "111122223333"
PLAIN = "plain-name"
FORMATS = ["table", "json", "sarif", "junit", "markdown"]


#: A migration trigger's code: it calls AdminInitiateAuth on the pool it migrates from.
MIGRATION_HANDLER = (
    "const { CognitoIdentityProviderClient: C, AdminInitiateAuthCommand: A } = require("
    '"@aws-sdk/client-cognito-identity-provider"); const c = new C({}); '
    "exports.handler = async (e) => { await c.send(new A({ UserPoolId: process.env.OLD_POOL, "
    'ClientId: "x", AuthFlow: "ADMIN_USER_PASSWORD_AUTH" })); return e; };'
)


def _function(name: str) -> str:
    """The payload as a function name: a ``:`` or a newline would make the function's ARN
    invalid (the audit then stops with one error line, before any output)."""
    return name.replace(":", "").replace("\n", "")


def _template(name: str) -> dict[str, Any]:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {  # allowed only on a condition the template cannot resolve: listed as unresolved
                "Sid": name,
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
                "Condition": {"StringEquals": {f"aws:RequestTag/{name}": "x"}},
            },
            {  # a misspelt action: COG008 names this policy and Sid as evidence
                "Sid": name,
                "Effect": "Allow",
                "Action": "cognito-idp:AdminInitateAuth",
                "Resource": "*",
            },
        ],
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "UserPool": {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {
                    "UserPoolName": "users",
                    "LambdaConfig": {"UserMigration": {"Fn::GetAtt": ["MigrationFunction", "Arn"]}},
                },
            },
            "MigrationFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": _function(name),
                    "Runtime": "nodejs20.x",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["MigrationRole", "Arn"]},
                    "Code": {"ZipFile": MIGRATION_HANDLER},
                },
            },
            "MigrationRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": name,
                    "AssumeRolePolicyDocument": LAMBDA_TRUST,
                    "Policies": [{"PolicyName": name, "PolicyDocument": policy}],
                    "Tags": [{"Key": name, "Value": name}],
                },
            },
        },
    }


def _run(tmp_path: Path, name: str, *args: str) -> Any:
    path = tmp_path / f"t{abs(hash(name))}.json"
    path.write_text(json.dumps(_template(name)), encoding="utf-8")
    source = ["--template", str(path), "--region", "eu-west-1", "--account-id", ACCOUNT]
    return runner.invoke(_app(), [*args, *source])


def _app() -> Any:
    from iam_audit.cli import app

    return app


def _audit(tmp_path: Path, name: str, fmt: str) -> Any:
    result = _run(tmp_path, name, "audit", "--format", fmt)
    assert result.exit_code == 1, result.output
    assert_terminal_safe(result.stderr)
    assert workflow_lines(result.stdout) == []
    return result


def _shape(line: str) -> str:
    """What must not change with the name: the first word and the indentation of a line."""
    stripped = line.lstrip()
    return f"{len(line) - len(stripped)}:{stripped.split(' ', 1)[0][:6]}"


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_table(tmp_path: Path, kind: str, payload: str) -> None:
    text = _audit(tmp_path, payload, "table").stdout
    plain = _audit(tmp_path, PLAIN, "table").stdout
    assert_terminal_safe(text)
    assert len(text.splitlines()) == len(plain.splitlines())
    # every line that does not begin with the name keeps its first word and indentation
    for mine, theirs in zip(text.splitlines(), plain.splitlines(), strict=True):
        if not theirs.startswith(PLAIN):
            assert _shape(mine) == _shape(theirs), (mine, theirs)
    assert f"arn:aws:iam::{ACCOUNT}:role/" in text


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_json_is_the_exact_data(tmp_path: Path, kind: str, payload: str) -> None:
    data = json.loads(_audit(tmp_path, payload, "json").stdout)
    role = f"arn:aws:iam::{ACCOUNT}:role/{payload}"
    assert role in {r["role"] for r in data["results"]}
    (cog008,) = [r for r in data["results"] if r["check"] == "COG008"]
    assert {"policy": payload, "statement": payload}.items() <= cog008["evidence"][0].items()
    (cog005,) = [r for r in data["results"] if r["check"] == "COG005"]
    assert cog005["unresolved"] == [f"aws:RequestTag/{payload}"]


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_sarif(tmp_path: Path, kind: str, payload: str) -> None:
    log = json.loads(_audit(tmp_path, payload, "sarif").stdout)
    (run,) = log["runs"]
    assert run["results"]
    for result in run["results"]:
        assert raw_characters(result["message"]["text"]) == [], result["message"]["text"]
        assert result["properties"]["role"] == f"arn:aws:iam::{ACCOUNT}:role/{payload}"
        assert "markdown" not in result["message"]
    # the only Markdown code scanning renders is the rule help, which is ours, not input
    for rule in run["tool"]["driver"]["rules"]:
        assert payload not in rule["help"]["markdown"]


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_junit_is_well_formed(tmp_path: Path, kind: str, payload: str) -> None:
    root = ET.fromstring(_audit(tmp_path, payload, "junit").stdout)
    plain = ET.fromstring(_audit(tmp_path, PLAIN, "junit").stdout)
    cases = root.iter("testcase")
    assert [c.attrib["name"] for c in cases] == [c.attrib["name"] for c in plain.iter("testcase")]
    for element in root.iter():
        for value in [element.text or "", element.tail or "", *element.attrib.values()]:
            assert raw_characters(value) == [], value
            assert workflow_lines(value) == []
    classnames = {c.attrib["classname"] for c in root.iter("testcase")}
    assert any(c.startswith(f"arn:aws:iam::{ACCOUNT}:role/") for c in classnames)


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_markdown(tmp_path: Path, kind: str, payload: str) -> None:
    text = _audit(tmp_path, payload, "markdown").stdout
    plain = _audit(tmp_path, PLAIN, "markdown").stdout
    assert len(text.splitlines()) == len(plain.splitlines())
    assert raw_characters(text) == []
    for line in text.splitlines():
        if line.startswith(("    ", "  ", "{", "}", "]")):  # the ```json fix blocks: JSON text
            continue
        rendered = outside_code_spans(line).lower()
        assert "<script" not in rendered, line
        assert "<img" not in rendered, line
        assert "<b>" not in rendered, line
        if line.startswith("| "):
            assert table_cells(line) == 4, line
    for mine, theirs in zip(text.splitlines(), plain.splitlines(), strict=True):
        assert _shape(mine)[:2] == _shape(theirs)[:2], (mine, theirs)


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_fix_preview(tmp_path: Path, kind: str, payload: str) -> None:
    table = _run(tmp_path, payload, "fix")
    plain = _run(tmp_path, PLAIN, "fix")
    assert table.exit_code == plain.exit_code == 1, table.output
    assert_terminal_safe(table.stdout + table.stderr)
    assert len(table.stdout.splitlines()) == len(plain.stdout.splitlines())
    data = json.loads(_run(tmp_path, payload, "fix", "--format", "json").stdout)
    (change,) = data["changes"]
    assert change["role_name"] == payload
    assert change["diff"].startswith(f"--- /dev/null\n+++ b/{payload}/iam-audit-cognito-import\n")


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_suggested_command_round_trips(tmp_path: Path, kind: str, payload: str) -> None:
    """COG009's ``aws lambda add-permission`` names the function: ``shlex.split`` of the
    suggested command gives back its exact ARN (and the unresolved ``<UserPool>`` ARN, which
    unquoted would be a shell redirection)."""
    data = json.loads(_audit(tmp_path, payload, "json").stdout)
    (cog009,) = [r for r in data["results"] if r["check"] == "COG009"]
    command = cog009["message"].split("; run: ", 1)[1]
    words = shlex.split(command)
    assert words[words.index("--function-name") + 1] == (
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{_function(payload)}"
    )
    assert words[words.index("--source-arn") + 1] == (
        f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/<UserPool>"
    )
    assert words[:3] == ["aws", "lambda", "add-permission"]


def _details(tmp_path: Path, name: str) -> Path:
    """tests/assets/auth_details/account.json with GoodMigration (the one role allowed
    AdminInitiateAuth) renamed, and its inline policy named, after the payload."""
    from tests.conftest import asset

    data = json.loads(asset("auth_details", "account.json").read_text())
    (role,) = [r for r in data["RoleDetailList"] if r["RoleName"] == "GoodMigration"]
    role["RoleName"] = name
    role["Arn"] = role["Arn"].replace("GoodMigration", name)
    for policy in role["RolePolicyList"]:
        policy["PolicyName"] = name
    path = tmp_path / f"d{abs(hash(name))}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_who_can(tmp_path: Path, kind: str, payload: str) -> None:
    pool = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
    args = ["who-can", "cognito-idp:AdminInitiateAuth", "--resource", pool]

    def run(name: str, *extra: str) -> Any:
        result = runner.invoke(
            _app(), [*args, "--authorization-details", str(_details(tmp_path, name)), *extra]
        )
        assert result.exit_code == 0, result.output
        return result

    table, plain = run(payload), run(PLAIN)
    assert_terminal_safe(table.stdout + table.stderr)
    assert len(table.stdout.splitlines()) == len(plain.stdout.splitlines())
    data = json.loads(run(payload, "--format", "json").stdout)
    assert f"arn:aws:iam::123456789012:role/{payload}" in [p["arn"] for p in data["principals"]]
