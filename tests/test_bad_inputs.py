"""Every kind of input the tool reads, spoilt every way (tests/badinput.py): exit 3, exactly one
line on stderr naming the file, no traceback, no hang. A sample also runs through the installed
CLI (tests/e2e/test_bad_inputs_installed.py).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.cli.common import last_values, parse_pairs
from tests import badinput
from tests.badinput import Case, argv, deadline, expected_exit, make_input
from tests.conftest import asset
from tests.preflight.conftest import make_zip

CASES = list(badinput.cases())
#: Seconds one in-process case may take; the slowest good run here takes well under one.
TIMEOUT = 20.0
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials and no AWS config: a case that reached AWS would fail loudly."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "IAM_AUDIT_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def _unreadable(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """chmod 000 does not stop root: make opening ``path`` fail as it would for anyone else."""
    real_open = os.open

    def guarded(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(name) == path:
            raise PermissionError(13, "Permission denied", path)
        return int(real_open(name, flags, *args, **kwargs))

    monkeypatch.setattr(os, "open", guarded)


def invoke(case: Case, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    monkeypatch.chdir(tmp)
    path = make_input(case, tmp)
    if case.variant == "unreadable" and IS_ROOT:
        _unreadable(monkeypatch, path)
    with deadline(TIMEOUT):
        result = CliRunner().invoke(app, argv(case, path))
    return result, path


@cache
def _good_exit(kind_name: str, tmp: Path) -> int:
    kind = next(k for k in badinput.KINDS if k.name == kind_name)
    folder = tmp / f"good-{kind_name}"
    folder.mkdir()
    old = Path.cwd()
    os.chdir(folder)
    try:
        path = make_input(Case(kind, "good"), folder)
        with deadline(TIMEOUT):
            result = CliRunner().invoke(app, argv(Case(kind, "good"), path))
    finally:
        os.chdir(old)
    assert "Traceback" not in result.output
    return int(result.exit_code)


@pytest.fixture(scope="module")
def good_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("good")


@pytest.mark.parametrize("kind", badinput.KINDS, ids=lambda k: k.name)
def test_the_good_file_of_each_kind_is_read(kind: badinput.Kind, good_dir: Path) -> None:
    """The matrix means something only if its good files are good: none of them is exit 3/4."""
    assert _good_exit(kind.name, good_dir) in (0, 1)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_and_exit_3(
    case: Case, tmp_path: Path, good_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_exit(case)
    if expected == "good":
        expected = _good_exit(case.kind.name, good_dir)
    result, path = invoke(case, tmp_path, monkeypatch)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert result.exit_code == expected, result.stderr
    if expected == 3:
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("error: "), result.stderr
        assert Path(path).name in result.stderr, result.stderr


POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"


def _key_value_commands(tmp_path: Path) -> dict[str, list[str]]:
    """Every option that takes ``KEY=VALUE``, each in a command line that reaches its parsing."""
    policy = tmp_path / "p.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": []}')
    package = tmp_path / "function.zip"
    package.write_bytes(make_zip({"lambda_function.py": "def lambda_handler(e, c):\n    pass\n"}))
    details = str(asset("auth_details", "account.json"))
    roles = ["--lambda-role", "TestingMigration-role", "--logs-role", "CognitoImportLogs"]
    return {
        "simulate --context": [
            *("simulate", "--action", "s3:GetObject", "--resource", "*", "--policy", str(policy)),
            "--context",
        ],
        "audit --parameter": [
            "audit",
            "--template",
            str(asset("cfn", "stack.yaml")),
            "--parameter",
        ],
        "audit --env": [
            *("audit", "--authorization-details", details, "--user-pool-arn", POOL, *roles),
            "--env",
        ],
        "fix --parameter": ["fix", "--template", str(asset("cfn", "stack.yaml")), "--parameter"],
        "fix --env": [
            *("fix", "--authorization-details", details, "--user-pool-arn", POOL, *roles),
            "--env",
        ],
        "lambda check --env": [
            *("lambda", "check", "--zip", str(package), "--runtime", "python3.12"),
            *("--handler", "lambda_function.lambda_handler", "--env"),
        ],
        "lambda calls --env": ["lambda", "calls", "--function-code", str(package), "--env"],
        "lambda calls --parameter": [
            *("lambda", "calls", "--template", str(asset("cfn", "stack.yaml")), "--parameter"),
        ],
    }


def _options_taking_key_value() -> list[str]:
    """``COMMAND --option`` for every option whose help says it takes ``KEY=VALUE``."""

    def leaves(command: Any, path: tuple[str, ...]) -> Any:
        for name, sub in getattr(command, "commands", {}).items():
            yield from (
                leaves(sub, (*path, name)) if hasattr(sub, "commands") else [((*path, name), sub)]
            )

    return sorted(
        " ".join((*path, param.opts[0]))
        for path, command in leaves(typer.main.get_command(app), ())
        for param in command.params
        if "KEY=VALUE" in (getattr(param, "help", None) or "")
    )


@pytest.mark.parametrize("value", ["novalue", "=x", " =x"])
@pytest.mark.parametrize(
    "option",
    ["simulate --context", "audit --parameter", "audit --env", "fix --parameter", "fix --env",
     "lambda check --env", "lambda calls --env", "lambda calls --parameter"],
)  # fmt: skip
def test_a_bad_key_value_is_one_line_for_every_option(
    tmp_path: Path, option: str, value: str
) -> None:
    """Every ``KEY=VALUE`` option is read by the one parser (``cli.common.parse_pairs``)."""
    commands = _key_value_commands(tmp_path)
    assert sorted(commands) == _options_taking_key_value()
    result = CliRunner().invoke(app, [*commands[option], value])
    assert result.exit_code == 3, result.output
    assert result.stderr == f"error: {option.split()[-1]} takes KEY=VALUE, got {value!r}\n"


@pytest.mark.parametrize(
    ("given", "pairs", "last"),
    [
        ([], {}, {}),
        (["A=1"], {"A": ["1"]}, {"A": "1"}),
        (["A=1", "A=2"], {"A": ["1", "2"]}, {"A": "2"}),  # repeated: the later one wins
        (["A=x=y"], {"A": ["x=y"]}, {"A": "x=y"}),  # the value is all after the first =
        (["A="], {"A": [""]}, {"A": ""}),
        ([" A =1"], {"A": ["1"]}, {"A": "1"}),
    ],
)
def test_key_value_pairs(
    given: list[str], pairs: dict[str, list[str]], last: dict[str, str]
) -> None:
    assert parse_pairs(given, "--env") == pairs
    assert last_values(given, "--env") == last


def test_matrix_size() -> None:
    """The matrix covers every kind with every variant that applies to it (counted in notes)."""
    assert len(badinput.KINDS) == 13
    assert len(CASES) >= 150
