"""The pipeline gate through the CLI: templates and plans in, every format out, exit codes.

Runs from the repository root with relative paths, as a CI job would, so SARIF locations and
golden files are stable.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner, Result

from iam_audit.cli import app
from tests.render.goldens import check_golden

ROOT = Path(__file__).resolve().parent.parent
STACK = "tests/assets/cfn/stack.yaml"
CDK = "tests/assets/cfn/cdk-synth.template.json"
PLAN = "tests/assets/terraform/cognito-import/plan.json"
PSEUDO = ["--region", "eu-west-1", "--account-id", "111122223333"]
SARIF_SCHEMA = json.loads((ROOT / "tests" / "render" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args])


def line_of(path: str, text: str) -> int:
    return (ROOT / path).read_text().splitlines().index(text) + 1


def test_sarif_points_at_the_role_to_change() -> None:
    result = run("--template", STACK, *PSEUDO, "--format", "sarif")
    assert result.exit_code == 1, result.output
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    lines = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in log["runs"][0]["results"]
    }
    assert lines == {
        "COG001": line_of(STACK, "  MigrationRole:"),
        "COG010": line_of(STACK, "  MigrationRole:"),  # the inline code calls AdminInitiateAuth
        "COG002": line_of(STACK, "  ImportLogsRole:"),
        "COG007": line_of(STACK, "  ImportLogsRole:"),
    }
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {STACK}


def _verdicts(args: list[str]) -> list[tuple[str, str, str]]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 1, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    kinds = {"COG001": "lambda", "COG004": "lambda", "COG005": "lambda"}
    verdicts = []
    for item in data["results"]:
        role = item["role"]
        kind = "lambda" if "migrat" in role else "logs"
        assert kinds.get(item["check"], kind) == kind
        verdicts.append((kind, item["check"], item["status"]))
    return sorted(verdicts)


def test_the_plan_is_judged_like_the_template() -> None:
    """The same setup written in Terraform: the same verdict, check by check."""
    assert _verdicts(["--template", STACK, *PSEUDO]) == _verdicts(["--terraform-plan", PLAN])


def test_plan_sarif_names_the_resource_address() -> None:
    result = run("--terraform-plan", PLAN, "--format", "sarif")
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    first = log["runs"][0]["results"][0]["locations"][0]
    assert first["physicalLocation"] == {"artifactLocation": {"uri": PLAN}}
    assert first["logicalLocations"][1]["fullyQualifiedName"] == (
        "module.migration.aws_iam_role.migrate"
    )


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("never", 0)])
def test_fail_on_threshold(fail_on: str, code: int) -> None:
    # the CDK stack's only failure is COG006 (a warning): logs:* on *
    result = run("--template", CDK, *PSEUDO, "--fail-on", fail_on)
    assert result.exit_code == code, result.output
    assert "FAIL  COG006 least-privilege" in result.stdout


def test_parameter_overrides_default() -> None:
    result = run("--template", STACK, *PSEUDO, "--parameter", "Stage=dev", "--format", "json")
    roles = {item["role"] for item in json.loads(result.stdout)["results"]}
    assert "arn:aws:iam::111122223333:role/cognito-migration-dev" in roles


def _one_line_error(result: Result) -> str:
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("tests/assets/cfn/bad/invalid-yaml.yaml", "invalid-yaml.yaml:7: invalid template"),
        ("tests/assets/cfn/bad/unknown-tag.yaml", "unknown intrinsic function Fn::Concat"),
        ("tests/assets/cfn/bad/circular.yaml", "circular dependency between resources"),
        ("tests/assets/cfn/absent.yaml", "no such file"),
    ],
)
def test_bad_templates_exit_3_with_one_line(template: str, message: str) -> None:
    assert message in _one_line_error(run("--template", template))


def test_bad_plan_exits_3(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format_version": "1.0", "values": {}}')
    assert "not a Terraform plan" in _one_line_error(run("--terraform-plan", str(state)))


def test_bad_parameter_exits_3() -> None:
    assert "no parameter Stag" in _one_line_error(
        run("--template", STACK, "--parameter", "Stag=dev")
    )


def test_without_cfn_lint_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cfnlint.decode", None)
    assert "pip install 'iam-audit[iac]'" in _one_line_error(run("--template", STACK))


def test_suppression_from_config_passes_the_gate(tmp_path: Path) -> None:
    config = tmp_path / "gate.toml"
    config.write_text(
        "[[suppressions]]\n"
        'check = "COG006"\nrole = "ImportLogsRole1F2E3D4C"\n'
        'reason = "logs:* kept until the shared log policy lands (SEC-42)"\n'
    )
    result = run("--template", CDK, *PSEUDO, "--fail-on", "warning", "--config", str(config))
    assert result.exit_code == 0, result.output
    data = json.loads(
        run("--template", CDK, *PSEUDO, "--config", str(config), "--format", "json").stdout
    )
    (suppressed,) = [r for r in data["results"] if "suppressed" in r]
    assert suppressed["check"] == "COG006"
    assert suppressed["suppressed"]["reason"].startswith("logs:* kept")


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "junit", "markdown"])
@pytest.mark.parametrize(
    ("name", "source"),
    [("stack", ["--template", STACK, *PSEUDO]), ("plan", ["--terraform-plan", PLAN])],
)
def test_cli_golden_every_format(name: str, source: list[str], fmt: str) -> None:
    result = run(*source, "--format", fmt)
    assert result.exit_code == 1, result.output
    extension = {"table": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "markdown": "md"}
    check_golden(f"cli-{name}.{extension[fmt]}", result.stdout)


# -- the pre-commit hook -------------------------------------------------------------------------

PASSING = """\
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      LambdaConfig: {UserMigration: !GetAtt Fn.Arn}
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
      Policies:
        - PolicyName: migrate
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: cognito-idp:AdminInitiateAuth
                Resource: !Sub "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/eu-west-1_Old1"
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt FnRole.Arn
      Environment: {Variables: {OLD_POOL: eu-west-1_Old1}}
  FnInvoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: cognito-idp.amazonaws.com
      SourceArn: !GetAtt Pool.Arn
  LogsRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: cognito-idp.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogGroup, logs:CreateLogStream, logs:DescribeLogStreams, logs:PutLogEvents]
                Resource: !Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/cognito/*"
"""


def _hook(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry the way pre-commit does: entry, then args, then file names."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [*shlex.split(hook["entry"]), *args], capture_output=True, text=True, env=env, check=False
    )


def test_pre_commit_hook_audits_each_file(tmp_path: Path) -> None:
    good = tmp_path / "templates" / "ok.yaml"
    good.parent.mkdir()
    good.write_text(PASSING)
    options = ["--region=eu-west-1", "--account-id=111122223333"]
    passing = _hook(*options, str(good))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "0 failed" in passing.stdout
    both = _hook(*options, str(good), STACK)
    assert both.returncode == 1, both.stdout + both.stderr
    assert both.stdout.count("failed,") == 2  # one summary per template
    assert "cognito-migration-prod" in both.stdout
    broken = _hook(*options, "tests/assets/cfn/bad/unknown-tag.yaml")
    assert broken.returncode == 3  # a failing run's own code
    assert "unknown intrinsic function" in broken.stderr


def test_pre_commit_manifest_is_well_formed() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["id"] == "iam-audit-cloudformation"
    assert "cfn-lint>=1.0" in hook["additional_dependencies"]
