"""Every path written stays inside its folder; no output overwrites an input or another output.

Issue 9 item 4: `fix --template t.yaml --out-dir out` with `RoleName: "../../../../x"` (or an
absolute name) wrote the file four folders above `out` (or at that path); `--output` equal to the
input CSV or account file, `--write-clean X --write-rejects X` and `--write-rejects` equal to
`--header-file` overwrote inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.errors import InputError
from iam_audit.inputs import inside, safe_name
from tests.badinput import CSV, HEADER, SCHEMA
from tests.conftest import asset

POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
PSEUDO = ["--region", "eu-central-1", "--account-id", "123456789012"]


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def template(role_name: str) -> str:
    """A stack whose migration role lacks AdminInitiateAuth (so `fix` writes a document)."""
    return json.dumps(
        {
            "Resources": {
                "MigrationRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": role_name,
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "lambda.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        },
                    },
                }
            }
        }
    )


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "role_name",
    ["../../../../x", "{tmp}/absolute-x", "..", "a/../../b", "x\u0000y\nz", "evil\\..\\..\\w"],
    ids=["dotdot", "absolute", "only-dots", "inner-dotdot", "nul-newline", "backslashes"],
)
def test_fix_out_dir_keeps_every_file_inside(tmp_path: Path, role_name: str) -> None:
    role_name = role_name.replace("{tmp}", str(tmp_path))
    work = tmp_path / "a" / "b" / "c" / "d"
    work.mkdir(parents=True)
    (work / "t.json").write_text(template(role_name))
    before = files_under(tmp_path)
    out = work / "out"
    result = run(
        "fix",
        "--template",
        work / "t.json",
        "--out-dir",
        out,
        "--lambda-role",
        role_name,
        "--user-pool-arn",
        POOL,
        *PSEUDO,
    )
    assert result.exit_code == 1, result.output
    created = files_under(tmp_path) - before
    assert len(created) == 1, created
    (written,) = created
    assert written.parent == out
    # percent-encoding: the name decodes back to the role and policy it came from
    assert unquote(written.name.removesuffix(".json")) == f"{role_name}.iam-audit-cognito-import"


def test_fix_out_dir_refuses_a_symlink_pointing_outside(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(template("victim"))
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "elsewhere.json"
    target.write_text("precious")
    (out / "victim.iam-audit-cognito-import.json").symlink_to(target)
    result = run(
        "fix",
        "--template",
        tmp_path / "t.json",
        "--out-dir",
        out,
        "--lambda-role",
        "victim",
        "--user-pool-arn",
        POOL,
        *PSEUDO,
    )
    assert result.exit_code == 3, result.output
    assert "is not a file inside" in result.stderr
    assert target.read_text() == "precious"


def test_fix_out_dir_never_overwrites_the_template(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = out / "victim.iam-audit-cognito-import.json"  # the name the fix would write
    source.write_text(template("victim"))
    text = source.read_text()
    result = run(
        "fix", "--template", source, "--out-dir", out, "--lambda-role", "victim",
        "--user-pool-arn", POOL, *PSEUDO,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "would overwrite an input" in result.stderr
    assert source.read_text() == text


@given(st.text(max_size=80), st.text(max_size=80))
def test_safe_names_are_one_component_and_never_collide(first: str, second: str) -> None:
    for name in (first, second):
        encoded = safe_name(name)
        assert "/" not in encoded
        assert "\\" not in encoded
        assert encoded not in ("", ".", "..")
        assert all(0x21 <= ord(c) < 0x7F for c in encoded)
        if name and "~" not in encoded:  # "" is "%"; a cut name ends in "~" and a digest
            assert unquote(encoded, errors="surrogatepass") == name
    if first != second:
        assert safe_name(first) != safe_name(second)


def test_long_names_are_cut_with_a_digest() -> None:
    long_a, long_b = "é" * 200, "é" * 199 + "e"
    assert len(safe_name(long_a)) <= 180
    assert safe_name(long_a) != safe_name(long_b)


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "..", "", "a/b"])
def test_inside_refuses_names_that_leave_the_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="is not a file inside"):
        inside(tmp_path, name)


# -- outputs that are inputs, or one another -------------------------------------------------


@pytest.fixture
def pool_files(tmp_path: Path) -> dict[str, Path]:
    files = {"csv": CSV, "header": HEADER, "schema": json.dumps(SCHEMA)}
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.txt"
        out[name].write_text(text)
    return out


@pytest.mark.parametrize(
    ("extra", "clobbered"),
    [
        (["--output", "{csv}"], "csv"),
        (["--write-clean", "{csv}"], "csv"),
        (["--write-rejects", "{header}"], "header"),
        (["--write-clean", "{schema}"], "schema"),
        (["--write-clean", "{tmp}/x.csv", "--write-rejects", "{tmp}/x.csv"], None),
        (["--write-rejects", "{tmp}/y.csv", "--output", "{tmp}/y.csv"], None),
    ],
    ids=["output-csv", "clean-csv", "rejects-header", "clean-schema", "clean-rejects", "rej-out"],
)
def test_csv_check_refuses_outputs_on_inputs_or_each_other(
    tmp_path: Path, pool_files: dict[str, Path], extra: list[str], clobbered: str | None
) -> None:
    texts = {name: path.read_text() for name, path in pool_files.items()}
    names = {**{k: str(v) for k, v in pool_files.items()}, "tmp": str(tmp_path)}
    args = [a.format(**names) for a in extra]
    result = run(
        "csv", "check", pool_files["csv"], "--header-file", pool_files["header"],
        "--schema", pool_files["schema"], *args,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert result.stderr.count("\n") == 1
    assert {n: p.read_text() for n, p in pool_files.items()} == texts
    if clobbered is None:
        assert not (tmp_path / "x.csv").exists()
        assert not (tmp_path / "y.csv").exists()


def test_audit_output_on_the_account_file_is_refused(tmp_path: Path) -> None:
    account = tmp_path / "account.json"
    account.write_bytes(asset("auth_details", "account.json").read_bytes())
    link = tmp_path / "link.json"
    link.symlink_to(account)  # the same file by another name
    before = account.read_bytes()
    for output in (account, link):
        result = run(
            "audit", "--authorization-details", account, "--user-pool-arn", POOL,
            "--lambda-role", "TestingMigration-role", "--output", output,
        )  # fmt: skip
        assert result.exit_code == 3, result.output
        assert "would overwrite an input" in result.stderr
    assert account.read_bytes() == before


def test_log_file_from_standard_input() -> None:
    line = "2024-05-01T10:00:00Z Runtime.ImportModuleError: Unable to import module 'app'\n"
    result = CliRunner().invoke(app, ["logs", "diagnose", "--file", "-"], input=line)
    assert result.exit_code == 1, result.output
    assert "ImportModuleError" in result.stdout


def test_template_and_csv_from_standard_input(tmp_path: Path) -> None:
    """`-` reads standard input; the CSV check reads it twice, so it is spooled first."""
    stack = asset("cfn", "stack.yaml")
    pseudo = ["--region", "eu-central-1", "--account-id", "123456789012"]
    piped = CliRunner().invoke(app, ["audit", "--template", "-", *pseudo], input=stack.read_text())
    named = CliRunner().invoke(app, ["audit", "--template", str(stack), *pseudo])
    assert piped.exit_code == named.exit_code == 1
    assert piped.stdout == named.stdout.replace(str(stack), "-")
    header = tmp_path / "header.csv"
    header.write_text(HEADER)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    result = CliRunner().invoke(
        app, ["csv", "check", "-", "--header-file", str(header), "--schema", str(schema)], input=CSV
    )
    assert result.exit_code == 0, result.output
    assert "1 users, 0 would fail" in result.stdout
