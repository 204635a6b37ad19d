"""Templates and plans: the audit reads the code they name on disk (CDK asset folders, ZipFile)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.codecalls.target import CodeOptions, code_facts
from tests.conftest import asset

runner = CliRunner()
ASSET = "asset.5f2a1c3e9b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"


def _audit(template: Path, *extra: str) -> dict[str, dict[str, Any]]:
    result = runner.invoke(
        app,
        ["audit", "--template", str(template), "--region", "us-east-1", "--account-id",
         "111122223333", "-f", "json", *extra],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    return {f["check"]: f for f in data["results"] if f["check"] in ("COG001", "COG010", "COG011")}


def test_cdk_asset_folder_is_the_code(tmp_path: Path) -> None:
    shutil.copy(asset("cfn", "cdk-synth.template.json"), tmp_path / "t.json")
    shutil.copytree(asset("codecalls", "packages", "node_forgot_password"), tmp_path / ASSET)
    found = _audit(tmp_path / "t.json", "--env", "OLD_USER_POOL_ID=eu-west-1_Src0Pool9")
    assert found["COG001"]["status"] == "skip"
    assert found["COG010"]["status"] == "fail"
    assert found["COG010"]["missing"] == ["cognito-idp:AdminGetUser"]
    assert "(called at index.js:16)" in found["COG010"]["message"]


def test_cdk_asset_folder_not_on_disk_is_a_skip_naming_it(tmp_path: Path) -> None:
    shutil.copy(asset("cfn", "cdk-synth.template.json"), tmp_path / "t.json")
    found = _audit(tmp_path / "t.json")
    assert found["COG010"]["status"] == "skip"
    assert f"({tmp_path / ASSET}) is not on disk" in found["COG010"]["message"]


def test_inline_zipfile_code_is_read(tmp_path: Path) -> None:
    template = json.loads(asset("cfn", "cdk-synth.template.json").read_text())
    function = next(
        body for body in template["Resources"].values() if body["Type"] == "AWS::Lambda::Function"
    )
    function["Metadata"].pop("aws:asset:path")
    function["Properties"]["Runtime"] = "python3.12"
    function["Properties"]["Code"] = {
        "ZipFile": "import boto3, os\n"
        "def handler(event, context):\n"
        "    boto3.client('cognito-idp').admin_get_user(UserPoolId=os.environ['SOURCE_USER_POOL_ID'], Username='u')\n"
    }
    (tmp_path / "t.json").write_text(json.dumps(template))
    found = _audit(tmp_path / "t.json")
    assert found["COG010"]["missing"] == ["cognito-idp:AdminGetUser"]
    assert "index.py:3" in found["COG010"]["message"]


def test_lambda_calls_reads_the_code_a_template_or_plan_names() -> None:
    """The stack's inline ZipFile and the plan's migrate.zip hold the same one-line handler."""
    pool = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_OldPool42"
    outputs = []
    for option, path in (
        ("--template", "tests/assets/cfn/stack.yaml"),
        ("--terraform-plan", "tests/assets/terraform/cognito-import/plan.json"),
    ):
        result = runner.invoke(
            app,
            ["lambda", "calls", option, path, "--region", "eu-central-1", "--account-id",
             "111122223333", "-f", "json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append(
            [
                (c["file"], c["line"], c["action"], c["resource"])
                for c in json.loads(result.output)["calls"]
            ]
        )
    assert outputs == [[("index.js", 1, "cognito-idp:AdminInitiateAuth", pool)]] * 2


def test_lambda_calls_on_a_template_without_its_code_on_disk_exits_3() -> None:
    result = runner.invoke(
        app, ["lambda", "calls", "--template", "tests/assets/cfn/cdk-synth.template.json"]
    )
    assert result.exit_code == 3
    assert "is not on disk" in result.output


_GET_USER = {
    "index.py": "import boto3, os\n"
    "def handler(event, context):\n"
    "    boto3.client('cognito-idp').admin_get_user(UserPoolId=os.environ['POOL'], Username='u')\n"
}
_FN = "arn:aws:lambda:eu-west-1:111122223333:function:migrate"
_AAA = (("POOL", "eu-west-1_Aaa"),)
_BBB = (("POOL", "eu-west-1_Bbb"),)
_HOME, _OTHER = "111122223333", "444455556666"


def _pool(account: str, pool: str, partition: str = "aws") -> str:
    return f"arn:{partition}:cognito-idp:eu-west-1:{account}:userpool/eu-west-1_{pool}"


@pytest.mark.parametrize(
    ("environment", "arn", "options", "resource"),
    [
        (_AAA, _FN, CodeOptions(), _pool(_HOME, "Aaa")),
        (_AAA, _FN, CodeOptions(env=_BBB), _pool(_HOME, "Bbb")),  # --env wins over its own
        # --account-id wins over the function's ARN; the partition stays the ARN's
        (_AAA, _FN.replace("arn:aws:", "arn:aws-cn:"), CodeOptions(account_id=_OTHER),
         _pool(_OTHER, "Aaa", "aws-cn")),
        ((), None, CodeOptions(), None),  # no pool ID anywhere: unresolved, never guessed
        ((), None, CodeOptions(env=_BBB, account_id=_OTHER), _pool(_OTHER, "Bbb")),
    ],
)  # fmt: skip
def test_the_code_is_read_where_and_as_the_function_runs(
    environment: tuple[tuple[str, str], ...],
    arn: str | None,
    options: CodeOptions,
    resource: str | None,
) -> None:
    """``code_facts``: what ``lambda calls`` lists and ``audit`` checks (COG010) alike."""
    facts = code_facts(_GET_USER, "p", options, environment=environment, arn=arn)
    assert [(c.action, c.resource) for c in facts.calls] == [("cognito-idp:AdminGetUser", resource)]


def test_lambda_calls_env_overrides_the_templates_environment() -> None:
    result = runner.invoke(
        app,
        ["lambda", "calls", "--template", "tests/assets/cfn/stack.yaml", "--region",
         "eu-central-1", "--account-id", "111122223333", "--env",
         "OLD_USER_POOL_ID=eu-west-1_Other1", "-f", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (call,) = json.loads(result.output)["calls"]
    assert (
        call["resource"] == "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Other1"
    )


# -- lambda calls takes audit's source options (options.py), with their conventions -------------

MULTI = ("tests/assets/iac/multi/legacy.yaml", "tests/assets/iac/multi/import.yaml")
CDK_OUT = "tests/assets/iac/cdk-ts/cdk.out"
PSEUDO = ["--region", "eu-west-1", "--account-id", "111122223333"]


def _calls(*args: str, stdin: str | None = None) -> list[tuple[str, str | None, str | None]]:
    result = runner.invoke(app, ["lambda", "calls", *args, *PSEUDO, "-f", "json"], input=stdin)
    assert result.exit_code == 0, result.output
    return [
        (c["action"], c["resource"], c["unresolved"]) for c in json.loads(result.stdout)["calls"]
    ]


def test_lambda_calls_reads_repeated_templates_as_one_deployment() -> None:
    """``--template`` repeats, as for ``audit``: the import stack's ``!ImportValue`` of the
    legacy pool resolves to the legacy stack's pool only when both stacks are read."""
    both = _calls("--template", MULTI[0], "--template", MULTI[1])
    alone = _calls("--template", MULTI[1])
    assert both == [("cognito-idp:AdminInitiateAuth", None,
                     "UserPoolId: the template leaves it unresolved (<LegacyPool>)")]  # fmt: skip
    assert alone == [("cognito-idp:AdminInitiateAuth", None,
                      "UserPoolId: the template leaves it unresolved "
                      "(<Unresolved.ImportValue.shared-LegacyPoolId>)")]  # fmt: skip


def test_lambda_calls_reads_a_template_from_standard_input() -> None:
    stack = "tests/assets/cfn/stack.yaml"
    from_file = _calls("--template", stack)
    assert from_file == _calls("--template", "-", stdin=Path(stack).read_text())
    assert [action for action, _, _ in from_file] == ["cognito-idp:AdminInitiateAuth"]


def test_lambda_calls_reads_a_cloud_assembly_and_its_stacks() -> None:
    """``--cdk-out`` (and ``--stack``), as for ``audit``: the whole assembly resolves the legacy
    stack's export; the import stack alone leaves it an unresolved import."""
    whole = _calls("--cdk-out", CDK_OUT)
    one = _calls("--cdk-out", CDK_OUT, "--stack", "UserImport")
    assert [a for a, _, _ in whole] == [a for a, _, _ in one] == [
        "cognito-idp:AdminInitiateAuth", "cognito-idp:AdminGetUser",
    ]  # fmt: skip
    assert all("(<LegacyPoolE8122B3D>)" in str(u) for _, _, u in whole)
    assert all("Unresolved.ImportValue.LegacyUsers" in str(u) for _, _, u in one)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--template", MULTI[1], "--terraform-plan", "tests/assets/terraform/cognito-import/plan.json"],
         "give one of --function NAME"),
        (["--template", MULTI[1], "--function-code", "tests/assets/cfn"], "give one of"),
        (["--terraform-plan", "a.json", "--terraform-plan", "b.json"], "given 2 times"),
        (["--function-code", "tests/assets/cfn", "--account-id", "1", "--account-id", "2"],
         "given 2 times"),
        (["--function-code", "tests/assets/cfn", "--region", "a", "--region", "b"], "given 2 times"),
        (["--stack", "UserImport", "--template", MULTI[1]], "--stack goes with --cdk-out"),
    ],
)  # fmt: skip
def test_lambda_calls_usage_errors_exit_2(args: list[str], said: str) -> None:
    result = runner.invoke(app, ["lambda", "calls", *args])
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.stderr.replace("│", " ").split())


def test_lambda_calls_refuses_to_write_over_its_template(tmp_path: Path) -> None:
    template = tmp_path / "stack.yaml"
    shutil.copy("tests/assets/cfn/stack.yaml", template)
    result = runner.invoke(
        app, ["lambda", "calls", "--template", str(template), "-o", str(template)]
    )
    assert result.exit_code == 3
    assert "would overwrite an input" in result.stderr
    assert template.read_text() == Path("tests/assets/cfn/stack.yaml").read_text()
