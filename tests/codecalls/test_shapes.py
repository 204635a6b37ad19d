"""The SDK call shapes the analyser must find, and the look-alikes it must not invent.

Each row is a whole file: its language comes from the name, and the expected calls are
``(line, IAM action, credentials)`` where credentials is ``"own"`` or the line of the
``sts:AssumeRole`` whose credentials the client uses. Nothing is run: the analyser reads text.
"""

from __future__ import annotations

import pytest

from iam_audit.codecalls import analyse_package
from iam_audit.codecalls.botocore_map import BotocoreOperationMap

OPS = BotocoreOperationMap()

SHAPES: list[tuple[str, str, str, list[tuple[int, str, str]]]] = [
    # -- Python: found ----------------------------------------------------------------------
    (
        "py-module-global-client",
        "f.py",
        'import boto3\nc = boto3.client("cognito-idp")\ndef h(e, x):\n    c.admin_get_user(UserPoolId="p", Username="u")\n',
        [(4, "cognito-idp:AdminGetUser", "own")],
    ),
    (
        "py-from-import-alias",
        "f.py",
        'from boto3 import client as mk\nmk("cognito-idp").admin_initiate_auth(UserPoolId="p")\n',
        [(2, "cognito-idp:AdminInitiateAuth", "own")],
    ),
    (
        "py-session-client",
        "f.py",
        'import boto3\ns = boto3.Session(region_name="eu-west-1")\ns.client("secretsmanager").get_secret_value(SecretId="x")\n',
        [(3, "secretsmanager:GetSecretValue", "own")],
    ),
    (
        "py-boto3-session-module",
        "f.py",
        'import boto3.session\nboto3.session.Session().client(service_name="sts").get_caller_identity()\n',
        [(2, "sts:GetCallerIdentity", "own")],
    ),
    (
        "py-client-passed-to-helper",
        "f.py",
        'import boto3\ndef look(cl, name):\n    return cl.admin_list_groups_for_user(UserPoolId="p", Username=name)\ndef h(e, x):\n    look(boto3.client("cognito-idp"), "u")\n',
        [(3, "cognito-idp:AdminListGroupsForUser", "own")],
    ),
    (
        "py-client-factory-function",
        "f.py",
        'import boto3\ndef make():\n    return boto3.client("cognito-idp")\ndef h(e, x):\n    make().admin_get_user(UserPoolId="p", Username="u")\n',
        [(5, "cognito-idp:AdminGetUser", "own")],
    ),
    (
        "py-getattr-literal",
        "f.py",
        'import boto3\nc = boto3.client("cognito-idp")\ngetattr(c, "admin_get_user")(UserPoolId="p")\n',
        [(3, "cognito-idp:AdminGetUser", "own")],
    ),
    (
        "py-paginator",
        "f.py",
        'import boto3\nc = boto3.client("cognito-idp")\np = c.get_paginator("list_users")\nfor page in p.paginate(UserPoolId="x"):\n    pass\n',
        [(4, "cognito-idp:ListUsers", "own")],
    ),
    (
        "py-dynamodb-table",
        "f.py",
        'import boto3\nt = boto3.resource("dynamodb").Table("users")\nt.get_item(Key={"id": "1"})\n',
        [(3, "dynamodb:GetItem", "own")],
    ),
    (
        "py-assumed-credentials",
        "f.py",
        'import boto3\nr = boto3.client("sts").assume_role(RoleArn="arn:aws:iam::222233334444:role/r", RoleSessionName="s")\nk = r["Credentials"]\nold = boto3.client("cognito-idp", aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"], aws_session_token=k["SessionToken"])\nold.admin_initiate_auth(UserPoolId="p")\n',
        [(2, "sts:AssumeRole", "own"), (5, "cognito-idp:AdminInitiateAuth", "2")],
    ),
    (
        "py-client-on-self",
        "f.py",
        'import boto3\nclass Migrator:\n    def __init__(self):\n        self.cognito = boto3.client("cognito-idp")\n    def look(self, name):\n        return self.cognito.admin_get_user(UserPoolId="p", Username=name)\n',
        [(6, "cognito-idp:AdminGetUser", "own")],
    ),
    # -- Python: not calls ------------------------------------------------------------------
    (
        "py-dead-import-string-comment",
        "f.py",
        'import boto3  # admin_initiate_auth\n"boto3.client(\'cognito-idp\').admin_initiate_auth()"\n# c.admin_get_user(UserPoolId="p")\n',
        [],
    ),
    (
        "py-unknown-method-and-other-object",
        "f.py",
        'import boto3\nc = boto3.client("cognito-idp")\nc.not_an_operation()\nclass X:\n    def admin_get_user(self):\n        pass\nX().admin_get_user()\n',
        [],
    ),
    (
        "py-computed-service",
        "f.py",
        'import boto3, os\nboto3.client(os.environ["SERVICE"]).admin_get_user(UserPoolId="p")\n',
        [],
    ),
    # -- JavaScript / TypeScript: found -----------------------------------------------------
    (
        "js-v3-named-import-send",
        "f.mjs",
        'import { CognitoIdentityProviderClient, AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";\nconst c = new CognitoIdentityProviderClient({});\nawait c.send(new AdminGetUserCommand({ UserPoolId: "p" }));\n',
        [(3, "cognito-idp:AdminGetUser", "own")],
    ),
    (
        "js-v3-namespace-import",
        "f.ts",
        'import * as cip from "@aws-sdk/client-cognito-identity-provider";\nconst c = new cip.CognitoIdentityProviderClient({});\nconst cmd = new cip.AdminInitiateAuthCommand({ UserPoolId: "p" });\nc.send(cmd);\n',
        [(3, "cognito-idp:AdminInitiateAuth", "own")],
    ),
    (
        "js-v3-aggregated-client",
        "f.js",
        'const { CognitoIdentityProvider } = require("@aws-sdk/client-cognito-identity-provider");\nconst c = new CognitoIdentityProvider({});\nc.adminListGroupsForUser({ UserPoolId: "p", Username: "u" });\n',
        [(3, "cognito-idp:AdminListGroupsForUser", "own")],
    ),
    (
        "js-v3-secrets-manager",
        "f.js",
        'const sm = require("@aws-sdk/client-secrets-manager");\nconst c = new sm.SecretsManagerClient({});\nc.send(new sm.GetSecretValueCommand({ SecretId: process.env.DB_SECRET }));\n',
        [(3, "secretsmanager:GetSecretValue", "own")],
    ),
    (
        "js-v3-from-temporary-credentials",
        "f.mjs",
        'import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";\nimport { CognitoIdentityProviderClient, AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";\nconst c = new CognitoIdentityProviderClient({\n  credentials: fromTemporaryCredentials({ params: { RoleArn: "arn:aws:iam::222233334444:role/r" } }),\n});\nc.send(new AdminGetUserCommand({ UserPoolId: "p" }));\n',
        [(4, "sts:AssumeRole", "own"), (6, "cognito-idp:AdminGetUser", "4")],
    ),
    (
        "js-v2-new-aws-class-chain",
        "f.js",
        'const AWS = require("aws-sdk");\nnew AWS.CognitoIdentityServiceProvider().adminInitiateAuth({ UserPoolId: "p" }).promise();\n',
        [(2, "cognito-idp:AdminInitiateAuth", "own")],
    ),
    (
        "js-v2-clients-path-default-import",
        "f.ts",
        'import CognitoIdentityServiceProvider from "aws-sdk/clients/cognitoidentityserviceprovider";\nconst c: CognitoIdentityServiceProvider = new CognitoIdentityServiceProvider();\nc.adminGetUser({ UserPoolId: "p", Username: "u" });\n',
        [(3, "cognito-idp:AdminGetUser", "own")],
    ),
    (
        "js-v2-document-client",
        "f.js",
        'const AWS = require("aws-sdk");\nconst db = new AWS.DynamoDB.DocumentClient();\ndb.get({ TableName: "users", Key: { id: "1" } }).promise();\n',
        [(3, "dynamodb:GetItem", "own")],
    ),
    (
        "ts-typed-parameter",
        "f.ts",
        'import { CognitoIdentityServiceProvider } from "aws-sdk";\nasync function look(isp: CognitoIdentityServiceProvider, name: string): Promise<void> {\n  await isp.adminGetUser({ UserPoolId: "p", Username: name }).promise();\n}\n',
        [(3, "cognito-idp:AdminGetUser", "own")],
    ),
    (
        "js-template-substitution",
        "f.js",
        'const AWS = require("aws-sdk");\nconst c = new AWS.CognitoIdentityServiceProvider();\nconsole.log(`${await c.adminGetUser({ UserPoolId: "p" }).promise()}`);\n',
        [(3, "cognito-idp:AdminGetUser", "own")],
    ),
    # -- JavaScript / TypeScript: not calls -------------------------------------------------
    (
        "js-strings-comments-regex",
        "f.js",
        'const { AdminInitiateAuthCommand } = require("@aws-sdk/client-cognito-identity-provider");\n// new AdminInitiateAuthCommand({})\n/* client.send(new AdminInitiateAuthCommand({})) */\nconst s = "new AdminInitiateAuthCommand({})";\nconst t = `new AdminInitiateAuthCommand({})`;\nconst r = /new AdminInitiateAuthCommand\\(/;\n',
        [],
    ),
    (
        "js-dead-import-and-type-only",
        "f.ts",
        'import type { AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";\nimport { AdminDeleteUserCommand } from "@aws-sdk/client-cognito-identity-provider";\nexport const x = 1;\n',
        [],
    ),
    (
        "js-lookalike-not-sdk",
        "f.js",
        "class AdminGetUserCommand {}\nconst c = { adminInitiateAuth() {} };\nnew AdminGetUserCommand();\nc.adminInitiateAuth({});\n",
        [],
    ),
    (
        "js-division-not-regex",
        "f.js",
        'const AWS = require("aws-sdk");\nconst half = total / 2; const q = (a) / b / c;\nnew AWS.STS().getCallerIdentity({}).promise();\n',
        [(3, "sts:GetCallerIdentity", "own")],
    ),
]


def _shape(calls: tuple) -> list[tuple[int, str, str]]:
    return [
        (c.line, c.actions[0], "own" if c.assumed is None else str(c.assumed.line)) for c in calls
    ]


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [pytest.param(n, s, e, id=i) for i, n, s, e in SHAPES],
)
def test_shape(name: str, source: str, expected: list[tuple[int, str, str]]) -> None:
    found = analyse_package({name: source.encode()}, OPS, "t")
    assert _shape(found.calls) == expected


def test_dependencies_are_not_analysed() -> None:
    files = {
        "node_modules/@aws-sdk/client-sts/dist/index.js": b'const AWS = require("aws-sdk"); new AWS.STS().assumeRole({});',
        "boto3/__init__.py": b"import boto3\nboto3.client('sts').assume_role()\n",
        "boto3-1.35.0.dist-info/RECORD": b"",
        "app.py": b"",
    }
    found = analyse_package(files, OPS, "t")
    assert found.calls == ()
    assert found.files == ("app.py",)


def test_invalid_python_is_a_note_not_a_crash() -> None:
    found = analyse_package({"bad.py": b"def (:\n"}, OPS, "t")
    assert found.calls == ()
    assert found.notes == ("bad.py:1: not valid Python, not analysed",)
