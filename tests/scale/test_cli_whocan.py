"""`iam-audit who-can` through the CLI: the report (its notes too) on stdout, documented exit
codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.errors import InputError
from iam_audit.inputs import MAX_ACCOUNT, read_account
from tests.scale.accounts import ACTION, POOL
from tests.scale.test_whocan import EXPECTED, hand_built

runner = CliRunner()


@pytest.fixture
def details(tmp_path: Path) -> Path:
    path = tmp_path / "account.json"
    path.write_text(json.dumps(hand_built(), indent=4))
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_on_stdout_and_exit_0(details: Path) -> None:
    code, out, err = _run(
        "who-can", ACTION, "--resource", POOL, "--authorization-details", str(details), "-f", "json"
    )
    assert code == 0, err
    rows = [
        (p["arn"], p["type"], p["decision"], p["unresolved"], p["via"])
        for p in json.loads(out)["principals"]
    ]
    assert rows == EXPECTED
    assert any("NotInTheFile" in note for note in json.loads(out)["notes"])
    assert err == ""


def test_table_for_people(details: Path) -> None:
    code, out, _ = _run(
        "who-can", ACTION, "--resource", POOL, "--authorization-details", str(details)
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == f"13 allowed, 3 conditional, of 30 principals: {ACTION} on {POOL}"
    assert any(
        line.startswith("conditional role arn:aws:iam::123456789012:role/source-ip  via p")
        and line.endswith("(depends on aws:SourceIp)")
        for line in lines
    )


def test_output_file(details: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, out, _ = _run(
        "who-can",
        ACTION,
        "--resource",
        POOL,
        "--authorization-details",
        str(details),
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert (code, out) == (0, "")
    assert len(json.loads(target.read_text())["principals"]) == len(EXPECTED)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--authorization-details", "missing.json"], 3, "cannot read"),
        (["--authorization-details", "{bad}"], 3, "not valid JSON"),
        (["--authorization-details", "{not-details}"], 3, "not authorization details"),
        (["--authorization-details", "{good}", "--format", "sarif"], 2, "'sarif' is not one of"),
    ],
    ids=["missing", "invalid-json", "not-details", "format"],
)
def test_bad_input_is_one_line_and_a_documented_code(
    details: Path, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "other.json").write_text('{"Users": []}')
    args = [
        a.format(
            bad=tmp_path / "bad.json", good=details, **{"not-details": tmp_path / "other.json"}
        )
        for a in args
    ]
    exit_code, out, err = _run("who-can", ACTION, "--resource", POOL, *args)
    assert exit_code == code
    assert message in err
    assert "Traceback" not in err + out


def test_a_pattern_is_not_an_action(details: Path) -> None:
    code, _, err = _run(
        "who-can", "cognito-idp:*", "--resource", POOL, "--authorization-details", str(details)
    )
    assert code == 3
    assert err.startswith("error: not an action: 'cognito-idp:*'")


def test_offline_who_can_never_imports_boto3(details: Path) -> None:
    """Start-up is part of the figure: an offline run must not pay for boto3 and botocore."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from iam_audit.cli import app\n"
        f"result = CliRunner().invoke(app, ['who-can', {ACTION!r}, '--resource', {POOL!r}, "
        f"'--authorization-details', {str(details)!r}, '-f', 'json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def _read_error(path: Path | str) -> str:
    """The line a read of ``path`` on its own raises (what the command must print)."""
    with pytest.raises(InputError) as caught:
        read_account(path)
    return caught.value.diagnostics()


@pytest.mark.parametrize("how", ["missing", "directory", "fifo", "too-large"])
def test_a_file_read_while_the_command_loads_fails_as_a_read_would(
    tmp_path: Path, how: str
) -> None:
    """The file is read in a thread while the command's modules load; its error is the same
    one line, exit 3, as the read's own."""
    path = tmp_path / "account.json"
    if how == "directory":
        path.mkdir()
    elif how == "fifo":
        os.mkfifo(path)  # no writer: it must be refused, not opened
    elif how == "too-large":
        with path.open("wb") as handle:
            handle.truncate(MAX_ACCOUNT + 1)  # sparse
    code, out, err = _run(
        "who-can", ACTION, "--resource", POOL, "--authorization-details", str(path)
    )
    assert (code, out, err) == (3, "", _read_error(path) + "\n")


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (["not-an-action"], "error: not an action: 'not-an-action'"),
        ([ACTION, "--output", "{path}"], "error: --output {path} is the same file as"),
    ],
    ids=["action", "output-is-the-input"],
)
def test_errors_found_before_the_read_are_still_found_first(
    details: Path, tmp_path: Path, args: list[str], first: str
) -> None:
    """What the command refused before reading the file it still refuses first, though the read
    has begun: a bad action before a missing file, an output that would overwrite the input."""
    missing = tmp_path / "missing.json"
    for path in (missing, details):
        given = [a.format(path=path) for a in args]
        code, _, err = _run(
            "who-can", *given, "--resource", POOL, "--authorization-details", str(path)
        )
        assert code == 3
        assert err.startswith(first.format(path=path)), err


def test_standard_input_gives_what_the_file_gives(details: Path) -> None:
    args = ["who-can", ACTION, "--resource", POOL, "-f", "json", "--authorization-details"]
    from_file = runner.invoke(app, [*args, str(details)])
    piped = runner.invoke(app, [*args, "-"], input=details.read_bytes())
    assert (piped.exit_code, piped.stdout) == (0, from_file.stdout)
    assert json.loads(piped.stdout)["principals"]


def test_a_failure_before_the_read_ends_exits_at_once_while_stdin_stays_open() -> None:
    """Standard input is read in a thread that may still wait when the command fails (here: a
    bad action, with standard input a pipe nobody closes): the command exits 3 with its one line
    at once. Reading through ``sys.stdin``'s buffer would abort the exit instead (exit 134,
    "could not acquire lock ... possibly due to daemon threads")."""
    args = ["who-can", "not-an-action", "--resource", POOL, "--authorization-details", "-"]
    process = subprocess.Popen(
        [sys.executable, "-m", "iam_audit", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        code = process.wait(timeout=60)
        assert process.stderr is not None
        err = process.stderr.read().decode()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.kill()
        process.wait()
    assert (code, err) == (
        3,
        "error: not an action: 'not-an-action' (give one action as "
        "SERVICE:Action, e.g. cognito-idp:AdminInitiateAuth)\n",
    )
