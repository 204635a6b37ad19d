"""Command-line conventions (issue 14 item 3), each through Typer's runner."""

from __future__ import annotations

import contextlib
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.core import TyperOption
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.cli.conventions import IamAuditCommand, config_of
from iam_audit.errors import InternalError
from tests.conftest import asset, write_json

runner = CliRunner()


def said(text: str) -> str:
    """``text`` with Rich's error box and its line wrapping taken out."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _leaves(sub, (*path, name))


LEAVES = list(_leaves(typer.main.get_command(app)))


def _single_value_options() -> Iterator[tuple[tuple[str, ...], str]]:
    for path, command in LEAVES:
        for param in command.params:
            if not isinstance(param, TyperOption) or param.multiple or param.count:
                continue
            if getattr(param, "is_flag", False) or param.name == "help":
                continue
            yield path, param.opts[0]


SINGLE = list(_single_value_options())


def test_every_command_refuses_repeats() -> None:
    assert len(LEAVES) >= 12, LEAVES  # audit, fix, ..., csv check, lambda check, logs diagnose
    assert [p for p, c in LEAVES if not isinstance(c, IamAuditCommand)] == []


WITH_CONFIG = [path for path, command in LEAVES if any(p.name == "config" for p in command.params)]


def test_config_of_needs_the_command_line_to_have_read_it() -> None:
    # the one path by which a command gets its configuration: no command reads it again
    command = typer.main.get_command(app)
    with pytest.raises(InternalError, match="did not read the configuration"):
        config_of(typer.Context(command))


@pytest.mark.parametrize("path", WITH_CONFIG, ids=" ".join)
def test_the_command_line_reads_the_config_before_the_command_runs(
    tmp_path: Path, path: tuple[str, ...]
) -> None:
    """Every command with ``--config`` has it read by :class:`IamAuditCommand` (which is what
    its suppressions then come from): a bad file stops it before anything is read or asked."""
    assert WITH_CONFIG == [("audit",), ("scan",)]
    bad = tmp_path / "bad.toml"
    bad.write_text('colour = "red"\n')
    result = runner.invoke(app, [*path, "--config", str(bad)])
    assert result.exit_code == 3, result.output
    assert "unknown setting colour" in result.stderr


@pytest.mark.parametrize(("path", "option"), SINGLE, ids=[f"{' '.join(p)} {o}" for p, o in SINGLE])
def test_repeated_single_value_option_is_a_usage_error(path: tuple[str, ...], option: str) -> None:
    # Before the values are converted: two well-formed values are refused as well.
    result = runner.invoke(app, [*path, option, "one", option, "two"])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in said(result.stderr)
    assert "given 2 times; it takes one value" in said(result.stderr)


@pytest.mark.parametrize(
    "args",
    [
        # a list option is repeatable: --parameter twice is not refused by the convention
        ["audit", "--parameter", "A=1", "--parameter", "B=2"],
        # a plain flag may be said twice
        ["fix", "--yes", "--yes"],
    ],
)
def test_repeatable_options_are_not_refused(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert "given 2 times" not in result.stderr
    assert result.exit_code == 3, result.output  # nothing to audit: an input error, not usage


def test_spellings_of_one_option_count_together() -> None:
    result = runner.invoke(app, ["audit", "-f", "json", "--format", "table"])
    assert result.exit_code == 2
    assert "'--format' / '-f'" in said(result.stderr)


# -- audit conventions on the asset account ------------------------------------------------------

POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
BROKEN = ["--lambda-role", "TestingMigration-role", "--logs-role", "CognitoImportLogs"]
GOOD = ["--lambda-role", "GoodMigration", "--logs-role", "GoodImportLogs"]


def audit(*args: str, details: Path | None = None) -> Any:
    source = str(details or asset("auth_details", "account.json"))
    return runner.invoke(
        app, ["audit", "--authorization-details", source, "--user-pool-arn", POOL, *args]
    )


@pytest.fixture
def warning_only(tmp_path: Path) -> Path:
    """An account whose good pair has one defect, of a warning-severity check (COG005: the Lambda
    role cannot write its /aws/lambda logs)."""
    data = json.loads(asset("auth_details", "account.json").read_text())
    for role in data["RoleDetailList"]:
        if role["RoleName"] == "GoodMigration":
            role["AttachedManagedPolicies"] = []
    return write_json(tmp_path / "auth.json", data)


def test_quiet_prints_failures_only() -> None:
    loud, quiet = audit(*BROKEN), audit(*BROKEN, "--quiet")
    assert loud.exit_code == quiet.exit_code == 1
    assert "  PASS " in loud.stdout
    assert "  SKIP " in loud.stdout
    marks = [line.split()[0] for line in quiet.stdout.splitlines() if line.startswith("  ")]
    assert set(marks) >= {"FAIL", "WARN"}
    assert not set(marks) & {"PASS", "SKIP", "SUPPRESSED"}
    assert "note:" not in quiet.stdout
    # the summary still counts every result
    assert quiet.stdout.splitlines()[-1] == loud.stdout.splitlines()[-1]


def test_quiet_drops_notes_and_short_form(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    with _cwd(tmp_path):
        loud = audit(*BROKEN, "--skip", "COG008")
        quiet = audit(*BROKEN, "--skip", "COG008", "-q")
    assert "note: not run (skipped): COG008" in loud.stdout
    assert "note:" not in quiet.stdout


def test_output_creates_missing_folders(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "iam" / "audit.json"
    result = audit(*BROKEN, "-f", "json", "-o", str(out))
    assert result.exit_code == 1, result.output
    assert json.loads(out.read_text())["summary"]["fail"] == 2


def test_output_under_a_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = audit(*BROKEN, "-o", str(tmp_path / "file" / "audit.txt"))
    assert result.exit_code == 3
    assert result.stderr.startswith("error: cannot write")


def test_warning_severity_failure_says_why_exit_is_0(warning_only: Path) -> None:
    result = audit(*GOOD, details=warning_only)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    failing = [line for line in lines if line.startswith("  FAIL ")]
    assert len(failing) == 1
    assert "COG005 lambda-logging" in failing[0]
    assert "[warning] Lambda role GoodMigration" in failing[0]
    assert lines[-1] == (
        "1 warning-severity failure; exit 0 because --fail-on is error "
        "(--fail-on warning fails on them)"
    )
    strict = audit(*GOOD, "--fail-on", "warning", details=warning_only)
    assert strict.exit_code == 1
    assert "exit 0 because" not in strict.stdout
    never = audit(*BROKEN, "--fail-on", "never")
    assert never.exit_code == 0
    assert never.stdout.splitlines()[-1] == (
        "2 failures and 1 warn result; exit 0 because --fail-on is never"
    )


def _junit_cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml.split("\n", 1)[1])
    return {
        f"{case.get('classname', '').rsplit('/', 1)[-1]} {case.get('name')}": case
        for case in root.iter("testcase")
    }


@pytest.mark.parametrize(("fail_on", "marked"), [("error", "skipped"), ("warning", "failure")])
def test_junit_failure_only_at_or_above_fail_on(
    warning_only: Path, fail_on: str, marked: str
) -> None:
    result = audit(*GOOD, "-f", "junit", "--fail-on", fail_on, details=warning_only)
    cases = _junit_cases(result.stdout)
    case = cases["GoodMigration COG005 lambda-logging"]
    element = case.find(marked)
    assert element is not None, ET.tostring(case)
    assert len(list(case)) == 1
    if marked == "skipped":
        assert element.get("message", "").startswith("below --fail-on error: Lambda role")
        assert "missing: logs:CreateLogStream" in (element.text or "")
    # a green run has no red test case, a red one has
    failures = sum(1 for c in cases.values() if c.find("failure") is not None)
    assert failures == (0 if result.exit_code == 0 else 1)


def test_junit_error_severity_failure_stays_a_failure() -> None:
    cases = _junit_cases(audit(*BROKEN, "-f", "junit").stdout)
    assert (
        cases["TestingMigration-role COG001 lambda-admin-initiate-auth"].find("failure") is not None
    )
    warn = cases["CognitoImportLogs COG007 trust-too-broad"]
    assert warn.find("failure") is None
    assert warn.find("skipped") is not None


# -- configuration: defaults, discovery, --config ----------------------------------------------


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _repo(tmp_path: Path, config: str, where: str = "pyproject.toml") -> Path:
    """A repository holding ``config`` at its root; returns its ``infra/stacks`` folder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / where).write_text(config)
    inner = root / "infra" / "stacks"
    inner.mkdir(parents=True)
    return inner


DEFAULTS = '[tool.iam-audit]\nfail-on = "never"\nformat = "json"\nskip = ["COG008"]\n'


def test_config_found_from_a_subfolder_gives_defaults(tmp_path: Path) -> None:
    with _cwd(_repo(tmp_path, DEFAULTS)):
        result = audit(*BROKEN)
    assert result.exit_code == 0, result.output  # fail-on never
    data = json.loads(result.stdout)  # format json
    every = {f"COG00{i}" for i in range(1, 8)} | {"COG009", "COG010", "COG011"}
    assert {r["check"] for r in data["results"]} == every
    assert "not run (skipped): COG008" in data["notes"]


@pytest.mark.parametrize(
    ("args", "code", "starts"),
    [
        (["--fail-on", "error"], 1, "{"),
        (["--format", "table"], 0, "CognitoImportLogs"),
        (["-f", "table", "--fail-on", "warning"], 1, "CognitoImportLogs"),
    ],
)
def test_command_line_wins_over_config(
    tmp_path: Path, args: list[str], code: int, starts: str
) -> None:
    with _cwd(_repo(tmp_path, DEFAULTS)):
        result = audit(*BROKEN, *args)
    assert result.exit_code == code, result.output
    assert result.stdout.startswith(starts)


def test_environment_wins_over_config(tmp_path: Path) -> None:
    with _cwd(_repo(tmp_path, DEFAULTS)):
        result = runner.invoke(
            app,
            [
                "audit",
                "--authorization-details",
                str(asset("auth_details", "account.json")),
                "--user-pool-arn",
                POOL,
                *BROKEN,
            ],
            env={"IAM_AUDIT_FORMAT": "table"},
        )
    assert result.stdout.startswith("CognitoImportLogs")


def test_dedicated_file_and_suppressions_found_from_a_subfolder(tmp_path: Path) -> None:
    config = (
        'fail-on = "error"\n[[suppressions]]\ncheck = "COG003"\nrole = "CognitoImportLogs"\n'
        'reason = "trust fixed in the next stack (SEC-7)"\n'
        '[[suppressions]]\ncheck = "COG001"\nrole = "TestingMigration-role"\nreason = "r"\n'
    )
    with _cwd(_repo(tmp_path, config, ".iam-audit.toml")):
        result = audit(*BROKEN)
    assert result.exit_code == 0, result.output
    assert "suppressed: trust fixed in the next stack (SEC-7)" in result.stdout


def test_config_above_the_repository_root_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".iam-audit.toml").write_text('fail-on = "never"\n')
    with _cwd(_repo(tmp_path, "[project]\nname = 'x'\n")):
        assert audit(*BROKEN).exit_code == 1


def test_explicit_config_wins_over_discovery(tmp_path: Path) -> None:
    named = tmp_path / "ci.toml"
    named.write_text('format = "sarif"\n')
    with _cwd(_repo(tmp_path, DEFAULTS)):
        result = audit(*BROKEN, "--config", str(named))
    assert result.exit_code == 1  # the discovered fail-on never is not read
    assert json.loads(result.stdout)["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ('format = "html"\n', "format must be one of table, json, sarif, junit, markdown"),
        ('fail-on = "sometimes"\n', "fail-on must be one of error, warning, never"),
        ('account-id = "1234"\n', "account-id must be 12 digits"),
        ('skip = ["COG999"]\n', "skip names unknown check COG999"),
        ('colour = "red"\n', "unknown setting colour"),
    ],
)
def test_bad_config_setting_is_an_input_error(tmp_path: Path, config: str, said: str) -> None:
    with _cwd(_repo(tmp_path, config, ".iam-audit.toml")):
        result = audit(*BROKEN)
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert said in lines[0]


def test_help_works_beside_a_broken_config(tmp_path: Path) -> None:
    with _cwd(_repo(tmp_path, "not toml [", ".iam-audit.toml")):
        assert runner.invoke(app, ["audit", "--help"]).exit_code == 0
        assert runner.invoke(app, ["audit"]).exit_code == 3


def test_config_region_and_account_reach_the_template_source(tmp_path: Path) -> None:
    inner = _repo(tmp_path, '[tool.iam-audit]\nregion = "eu-west-3"\naccount-id = "444455556666"\n')
    stack = str(asset("cfn", "stack.yaml"))
    with _cwd(inner):
        from_config = runner.invoke(app, ["audit", "--template", stack, "-f", "json"])
        given = runner.invoke(
            app, ["audit", "--template", stack, "-f", "json", "--account-id", "111122223333"]
        )
    roles = {r["role"] for r in json.loads(from_config.stdout)["results"]}
    assert "arn:aws:iam::444455556666:role/cognito-migration-prod" in roles
    roles = {r["role"] for r in json.loads(given.stdout)["results"]}
    assert "arn:aws:iam::111122223333:role/cognito-migration-prod" in roles


def test_help_ignores_the_config_defaults_it_cannot_read(tmp_path: Path) -> None:
    with _cwd(_repo(tmp_path, DEFAULTS)):
        assert runner.invoke(app, ["audit", "--help"]).exit_code == 0


# -- suppressions in a template resource's Metadata ---------------------------------------------

# cfn-lint reads its own from `Metadata: cfn-lint: config: ignore_checks` and checkov from
# `Metadata: checkov: skip: [{id, comment}]`; ours sit under `Metadata: iam-audit: ignore:`.
PSEUDO = ["--region", "eu-west-1", "--account-id", "111122223333"]


def _stack(tmp_path: Path, metadata: str, resource: str = "ImportLogsRole") -> Path:
    text = asset("cfn", "stack.yaml").read_text()
    head = f"  {resource}:\n    Type: AWS::IAM::Role\n"
    assert head in text
    indented = "".join(f"      {line}\n" for line in metadata.splitlines())
    path = tmp_path / "stack.yaml"
    path.write_text(text.replace(head, f"{head}    Metadata:\n{indented}"))
    return path


def _template_audit(path: Path, fmt: str = "json") -> Any:
    (path.parent / ".git").mkdir(exist_ok=True)  # no configuration above the test's folder
    with _cwd(path.parent):
        return runner.invoke(app, ["audit", "--template", str(path), *PSEUDO, "-f", fmt])


def _by_check(result: Any) -> dict[str, dict[str, Any]]:
    return {r["check"]: r for r in json.loads(result.stdout)["results"] if "Import" in r["role"]}


IGNORE_TRUST = (
    "iam-audit:\n  ignore:\n    - id: COG007\n      reason: partner account, reviewed (SEC-9)\n"
)


def test_metadata_suppression_marks_the_resource_result(tmp_path: Path) -> None:
    before = _by_check(_template_audit(_stack(tmp_path, "")))
    result = _template_audit(_stack(tmp_path, IGNORE_TRUST))
    after = _by_check(result)
    assert "suppressed" not in before["COG007"]
    assert after["COG007"]["suppressed"] == {
        "reason": "partner account, reviewed (SEC-9)",
        "expires": None,
        "expired": False,
    }
    assert "suppressed" not in after["COG002"]  # another check of the same resource
    assert result.exit_code == 1  # COG001 and COG002 still fail


def test_metadata_suppression_applies_only_to_its_resource(tmp_path: Path) -> None:
    meta = "iam-audit:\n  ignore:\n    - id: COG001\n      reason: not this resource's result\n"
    result = _template_audit(_stack(tmp_path, meta))
    data = json.loads(result.stdout)
    cog001 = next(r for r in data["results"] if r["check"] == "COG001")
    assert "suppressed" not in cog001  # COG001 is the migration role's, not ImportLogsRole's
    assert any("COG001 on ImportLogsRole" in n and "matched no failing" in n for n in data["notes"])


def test_metadata_suppression_expires(tmp_path: Path) -> None:
    meta = IGNORE_TRUST + "      expires: 2020-01-31\n"
    result = _template_audit(_stack(tmp_path, meta))
    data = json.loads(result.stdout)
    assert _by_check(result)["COG007"]["suppressed"]["expired"] is True
    assert any("expired on 2020-01-31; its results count again" in n for n in data["notes"])


@pytest.mark.parametrize(
    ("metadata", "said"),
    [
        ("iam-audit:\n  ignore:\n    - id: COG007\n", "reason is required"),
        ("iam-audit:\n  ignore:\n    - id: COG999\n      reason: r\n", "unknown check 'COG999'"),
        (
            "iam-audit:\n  ignore:\n    - id: COG007\n      reason: r\n      until: x\n",
            "unknown key until",
        ),
        (  # a YAML key that is not a string is named beside the others
            "iam-audit:\n  ignore:\n    - id: COG007\n      reason: r\n      until: x\n"
            "      1: y\n",
            "unknown key 1, until",
        ),
        (
            "iam-audit:\n  ignore:\n    - id: COG007\n      reason: r\n      expires: soon\n",
            "expires must be a date",
        ),
        ("iam-audit:\n  skip: [COG007]\n", "expected a mapping with one key, ignore"),
        (
            "iam-audit:\n  ignore:\n    - COG007\n",
            "an ignore entry is a mapping {id, reason, expires}",
        ),
    ],
)
def test_bad_metadata_suppression_is_an_input_error(
    tmp_path: Path, metadata: str, said: str
) -> None:
    result = _template_audit(_stack(tmp_path, metadata))
    assert result.exit_code == 3, result.output
    line = result.stderr.strip()
    assert "\n" not in line
    assert "stack.yaml /Resources/ImportLogsRole/Metadata/iam-audit" in line
    assert said in line


# -- long repeated details are said once -----------------------------------------------------


def test_csv_header_mismatch_says_the_expected_header_once(tmp_path: Path) -> None:
    from tests.preflight.conftest import POOL_ID, STANDARD_HEADER, describe

    header = tmp_path / "header.json"
    header.write_text(json.dumps({"CSVHeader": list(STANDARD_HEADER), "UserPoolId": POOL_ID}))
    schema = tmp_path / "pool.json"
    schema.write_text(json.dumps(describe()))
    data = tmp_path / "users.csv"
    # four columns of the 20-odd: every other one is missing, one is unknown
    data.write_text("name,email,Email_Verified,cognito:username\nA,a@example.com,true,a\n")
    result = runner.invoke(
        app,
        ["csv", "check", str(data), "--header-file", str(header), "--schema", str(schema)],
        env={"COLUMNS": "100"},
    )
    assert result.exit_code == 1, result.output
    missing = [line for line in result.stdout.splitlines() if "header-missing-column" in line]
    assert len(missing) >= 10
    expected = ",".join(STANDARD_HEADER)
    assert result.stdout.count(expected) == 1
    first = next(line for line in result.stdout.splitlines() if line.startswith("line 1: header-"))
    assert f"expected header: {expected}" in first


def test_who_can_quiet_prints_the_principals_only(tmp_path: Path) -> None:
    from tests.scale.accounts import ACTION
    from tests.scale.accounts import POOL as SCALE_POOL
    from tests.scale.test_whocan import hand_built

    details = write_json(tmp_path / "account.json", hand_built())
    args = ["who-can", ACTION, "--resource", SCALE_POOL, "--authorization-details", str(details)]
    loud, quiet = runner.invoke(app, args), runner.invoke(app, [*args, "--quiet"])
    assert loud.exit_code == quiet.exit_code == 0
    assert loud.stderr == quiet.stderr == ""
    principals = [line for line in loud.stdout.splitlines() if not line.startswith("note: ")][:-1]
    assert "note: " in loud.stdout
    assert quiet.stdout.splitlines() == principals
    assert all(line.split()[0] in ("allowed", "conditional") for line in principals)


def test_csv_check_quiet_drops_the_not_shown_notes(tmp_path: Path) -> None:
    from tests.preflight.conftest import POOL_ID, STANDARD_HEADER, describe

    header = tmp_path / "header.json"
    header.write_text(json.dumps({"CSVHeader": list(STANDARD_HEADER), "UserPoolId": POOL_ID}))
    schema = tmp_path / "pool.json"
    schema.write_text(json.dumps(describe()))
    data = tmp_path / "users.csv"
    data.write_text("name,email,Email_Verified,cognito:username\nA,a@example.com,true,a\n")
    base = ["csv", "check", str(data), "--header-file", str(header), "--schema", str(schema)]
    args = [*base, "--max-per-rule", "2"]
    loud, quiet = runner.invoke(app, args), runner.invoke(app, [*args, "-q"])
    assert loud.exit_code == quiet.exit_code == 1
    assert "more not shown" in loud.stdout
    assert "more not shown" not in quiet.stdout
    assert [line for line in loud.stdout.splitlines() if "more not shown" not in line] == (
        quiet.stdout.splitlines()
    )


# -- README: the pre-commit snippet works as written ---------------------------------------------


def test_readme_pre_commit_hook_runs_as_written(tmp_path: Path) -> None:
    """pre-commit runs a hook as ``shlex.split(entry) + [files]``; do the same with the README's
    local hook and the installed ``iam-audit`` (next to this interpreter) on PATH."""
    import shlex
    import subprocess
    import sys

    import yaml

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### pre-commit") :]
    snippet = re.search(r"```yaml\n(# \.pre-commit-config\.yaml.*?)```", section, re.S)
    assert snippet is not None
    (repo,) = yaml.safe_load(snippet.group(1))["repos"]
    assert repo["repo"] == "local"  # no rev: to name a release that does not exist
    (hook,) = repo["hooks"]
    assert hook["language"] == "system"
    stack = asset("cfn", "stack.yaml")
    assert re.search(hook["files"], "infra/stack.yaml")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [*shlex.split(hook["entry"]), str(stack), str(stack)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the asset stack fails COG001/COG002/COG007/COG010
    summaries = [line for line in done.stdout.splitlines() if line.endswith("skipped")]
    # COG001, COG002, COG007 and COG010 fail; COG011 skips (no cross-account call), as COG006
    assert summaries == ["4 failed, 0 warned, 7 passed, 2 skipped"] * 2  # once per file


def test_metadata_suppression_is_in_source_in_sarif(tmp_path: Path) -> None:
    result = _template_audit(_stack(tmp_path, IGNORE_TRUST), "sarif")
    (run,) = json.loads(result.stdout)["runs"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["COG007"]["suppressions"] == [
        {"kind": "inSource", "justification": "partner account, reviewed (SEC-9)"}
    ]
    assert "suppressions" not in by_rule["COG002"]


def test_lambda_check_quiet_prints_failures_only(tmp_path: Path) -> None:
    from tests.preflight.conftest import make_zip

    package = tmp_path / "function.zip"
    package.write_bytes(
        make_zip({"lambda_function.py": "def lambda_handler(e, c)\n    return e\n"})
    )
    args = ["lambda", "check", "--zip", str(package), "--runtime", "python3.12"]
    args += ["--handler", "lambda_function.lambda_handler"]
    loud, quiet = runner.invoke(app, args), runner.invoke(app, [*args, "--quiet"])
    assert loud.exit_code == quiet.exit_code == 1
    assert {line.split()[0] for line in loud.stdout.splitlines()[:-1]} >= {"PASS", "FAIL", "SKIP"}
    lines = quiet.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["FAIL"]
    assert lines[-1] == loud.stdout.splitlines()[-1]


def test_skip_names_a_known_check() -> None:
    result = audit(*BROKEN, "--skip", "COG999")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: --skip: unknown check COG999")
    kept = json.loads(audit(*BROKEN, "--skip", "COG001", "--skip", "COG003", "-f", "json").stdout)
    assert {r["check"] for r in kept["results"]} & {"COG001", "COG003"} == set()


def test_config_from_standard_input_is_read_once(tmp_path: Path) -> None:
    """`--config -` (the shared input reader's standard input): its defaults and its
    suppressions both apply, so the command line reads it once and the command reuses it."""
    config = (
        'format = "json"\n[[suppressions]]\ncheck = "COG003"\nrole = "CognitoImportLogs"\n'
        'reason = "piped in"\n'
    )
    with _cwd(_repo(tmp_path, "[project]\nname = 'x'\n")):
        result = runner.invoke(
            app,
            ["audit", "--authorization-details", str(asset("auth_details", "account.json")),
             "--user-pool-arn", POOL, *BROKEN, "--config", "-"],
            input=config,
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    by_check = {r["check"]: r for r in json.loads(result.stdout)["results"]}  # format from stdin
    assert by_check["COG003"]["suppressed"]["reason"] == "piped in"
