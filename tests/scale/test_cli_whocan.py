"""`iam-audit who-can` through the CLI: the report (its notes too) on stdout, documented exit
codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
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
