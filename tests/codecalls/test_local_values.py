"""A parameter read into a local variable of the handler first (the common shape of a migration
function: ``pool_id = os.environ["OLD_USER_POOL_ID"]``, then ``UserPoolId=pool_id``) resolves
like one passed inline: the call inside the function is judged in the function's own scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app

HANDLERS = {
    "local": (
        "import os\nimport boto3\ncognito = boto3.client('cognito-idp')\n"
        "def handler(event, context):\n"
        "    pool_id = os.environ['OLD_USER_POOL_ID']\n"
        "    cognito.admin_get_user(UserPoolId=pool_id, Username='x')\n"
    ),
    "local-in-branch": (
        "import os\nimport boto3\ncognito = boto3.client('cognito-idp')\n"
        "def handler(event, context):\n"
        "    pool_id = os.environ.get('OLD_USER_POOL_ID')\n"
        "    if event['triggerSource'] == 'UserMigration_Authentication':\n"
        "        cognito.admin_get_user(UserPoolId=pool_id, Username='x')\n"
    ),
    "module-global": (
        "import os\nimport boto3\ncognito = boto3.client('cognito-idp')\n"
        "POOL = os.environ['OLD_USER_POOL_ID']\n"
        "def handler(event, context):\n"
        "    cognito.admin_get_user(UserPoolId=POOL, Username='x')\n"
    ),
}


@pytest.mark.parametrize("shape", sorted(HANDLERS))
def test_a_local_variable_from_the_environment_resolves(tmp_path: Path, shape: str) -> None:
    (tmp_path / "app.py").write_text(HANDLERS[shape])
    result = CliRunner().invoke(
        app,
        [
            "lambda", "calls", "--function-code", str(tmp_path),
            "--env", "OLD_USER_POOL_ID=eu-west-1_Abc",
            "--region", "eu-west-1", "--account-id", "111122223333", "--format", "json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (call,) = json.loads(result.stdout)["calls"]
    assert call["resource"] == "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Abc"
    assert call["resource_from"] == "env OLD_USER_POOL_ID"
