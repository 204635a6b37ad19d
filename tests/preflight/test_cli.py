"""The preflight commands through CliRunner: every exit code, every bad-input case.

Exit codes: 0 clean, 1 problems that would fail the import, 2 usage (Typer's), 3 bad input
(one line on stderr, no traceback, nothing written).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from iam_audit.cli.preflight import register
from tests.conftest import clients_runner
from tests.preflight.conftest import POOL_ID, STANDARD_HEADER, csv_bytes, describe, make_zip, row

GOOD_PY = "def lambda_handler(event, context):\n    return event\n"


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


@pytest.fixture
def pool_files(tmp_path: Path) -> tuple[Path, Path]:
    """Offline pool description: get-csv-header JSON and describe-user-pool JSON."""
    header = tmp_path / "header.json"
    header.write_text(json.dumps({"CSVHeader": list(STANDARD_HEADER), "UserPoolId": POOL_ID}))
    schema = tmp_path / "pool.json"
    schema.write_text(json.dumps(describe()))
    return header, schema


def run(app: typer.Typer, *args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_bad_input(result: Any, *, written: tuple[Path, ...] = ()) -> None:
    """Exit 3, one line on stderr, no traceback, nothing on stdout, no file created."""
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    for path in written:
        assert not path.exists(), path
        assert not list(path.parent.glob(f".{path.name}.*")), "temporary file left behind"


# -- csv check ------------------------------------------------------------------------------


def test_csv_clean_exits_0(app: typer.Typer, tmp_path: Path, pool_files: tuple[Path, Path]) -> None:
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes([row(), row(cognito__username="u2")]))
    header, schema = pool_files
    result = run(app, "csv", "check", data, "--header-file", header, "--schema", schema)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip().endswith("2 users, 0 would fail, 0 errors: ready to import")


def test_csv_problems_exit_1_with_json_and_split(
    app: typer.Typer, tmp_path: Path, pool_files: tuple[Path, Path]
) -> None:
    data = tmp_path / "users.csv"
    content = csv_bytes([row(), row(cognito__username="u2", phone_number="555-0100"), row()])
    data.write_bytes(content)
    header, schema = pool_files
    clean, rejects, report = tmp_path / "ok.csv", tmp_path / "rej.csv", tmp_path / "report.json"
    result = run(
        app, "csv", "check", data, "--header-file", header, "--schema", schema,
        "--format", "json", "--output", report, "--write-clean", clean, "--write-rejects", rejects,
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    parsed = json.loads(report.read_text())
    assert [(p["line"], p["rule"]) for p in parsed["problems"]] == [
        (3, "phone-not-e164"),
        (4, "duplicate-username"),
    ]
    assert parsed["summary"]["import_would_fail"] is True
    lines = content.splitlines(keepends=True)
    assert clean.read_bytes() == lines[0] + lines[1]
    assert rejects.read_bytes() == lines[0] + lines[2] + lines[3]
    assert not list(tmp_path.glob(".*.csv.*"))


def test_csv_schema_accepts_the_inner_object_and_a_header_line(
    app: typer.Typer, tmp_path: Path
) -> None:
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes([row()]))
    header = tmp_path / "header.csv"
    header.write_text(",".join(STANDARD_HEADER) + "\n")
    schema = tmp_path / "pool.json"
    schema.write_text(json.dumps(describe()["UserPool"]))
    result = run(app, "csv", "check", data, "--header-file", header, "--schema", schema)
    assert result.exit_code == 0, result.stderr


# -- csv check --header-file without --schema: the header's rules run, the schema's are skipped


def _header_only(app: typer.Typer, tmp_path: Path, header: tuple[str, ...], *rows: str) -> Any:
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes(list(rows), header=header))
    header_file = tmp_path / "header.json"
    header_file.write_text(json.dumps({"CSVHeader": list(STANDARD_HEADER), "UserPoolId": POOL_ID}))
    return (
        run(app, "csv", "check", data, "--header-file", header_file),
        run(app, "csv", "check", data, "--header-file", header_file, "--format", "json"),
    )


def test_csv_header_file_alone_is_clean_with_one_note(app: typer.Typer, tmp_path: Path) -> None:
    # family_name is required and custom:tier a Number 1-5 in the pool's schema (describe());
    # without it neither can be checked, so the file is clean and the note says what was skipped
    table, as_json = _header_only(
        app,
        tmp_path,
        STANDARD_HEADER,
        row(family_name="", custom__tier="99", email_verified="FALSE"),
    )
    assert table.exit_code == 0, (table.stdout, table.stderr)
    notes = [line for line in table.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1
    assert "required-attribute-missing" in notes[0]
    assert "--schema" in notes[0]
    assert "--user-pool-id" in notes[0]
    assert "describe-user-pool" in notes[0]
    assert table.stdout.endswith("ready to import\n")
    summary = json.loads(as_json.stdout)["summary"]
    assert as_json.exit_code == 0
    assert summary["notes"] == [notes[0].removeprefix("note: ")]
    assert summary["rules"] == {}


def test_csv_header_file_alone_finds_the_header_mismatch(app: typer.Typer, tmp_path: Path) -> None:
    header = (*STANDARD_HEADER[1:], "Email")
    table, as_json = _header_only(
        app, tmp_path, header, row(header=header, phone_number="0612345678")
    )
    assert table.exit_code == as_json.exit_code == 1, table.stdout
    found = {(p["line"], p["rule"], p["column"]) for p in json.loads(as_json.stdout)["problems"]}
    assert found == {
        (1, "header-missing-column", "cognito:username"),
        (1, "header-unknown-column", "Email"),
        (2, "phone-not-e164", "phone_number"),
    }
    assert table.stdout.count("note: ") == 1


def test_csv_header_file_with_schema_has_no_note(
    app: typer.Typer, tmp_path: Path, pool_files: tuple[Path, Path]
) -> None:
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes([row(family_name="")]))
    header, schema = pool_files
    result = run(app, "csv", "check", data, "--header-file", header, "--schema", schema)
    assert result.exit_code == 1
    assert "required-attribute-missing" in result.stdout
    assert "note: " not in result.stdout


def test_csv_live_through_stubber(app: typer.Typer, tmp_path: Path, aws_env: None) -> None:
    """moto lacks GetCSVHeader: the live path runs on a Stubber-wrapped real client, handed out
    by the injected session factory."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("cognito-idp", region_name="us-east-1")
    runner = clients_runner({"cognito-idp": client})
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes([row(email_verified="FALSE")]))
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_csv_header",
            {"UserPoolId": POOL_ID, "CSVHeader": list(STANDARD_HEADER)},
            {"UserPoolId": POOL_ID},
        )
        stubber.add_response("describe_user_pool", describe(), {"UserPoolId": POOL_ID})
        result = runner.invoke(app, ["csv", "check", str(data), "--user-pool-id", POOL_ID])
        stubber.assert_no_pending_responses()
    assert runner.made == [(None, "us-east-1")]  # the pool ID's region
    assert result.exit_code == 1, result.stderr
    assert "line 2: no-auto-verified-attribute-true [email_verified]" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"", "empty"),
        (",".join(STANDARD_HEADER).encode() + b"\n", "no users"),
        (";".join(STANDARD_HEADER).encode() + b"\nu1;x\n", "semicolons"),
        ("\t".join(STANDARD_HEADER).encode() + b"\nu1\tx\n", "tabs"),
        (b"nam\xe9,email\nx,y\n", "not UTF-8"),
    ],
    ids=["binary", "empty", "header-only", "semicolons", "tabs", "latin1"],
)
def test_csv_bad_input_exits_3_and_writes_nothing(
    app: typer.Typer, tmp_path: Path, pool_files: tuple[Path, Path], content: bytes, message: str
) -> None:
    data = tmp_path / "users.csv"
    data.write_bytes(content)
    header, schema = pool_files
    outs = (tmp_path / "ok.csv", tmp_path / "rej.csv", tmp_path / "report.txt")
    result = run(
        app, "csv", "check", data, "--header-file", header, "--schema", schema,
        "--write-clean", outs[0], "--write-rejects", outs[1], "--output", outs[2],
    )  # fmt: skip
    assert_bad_input(result, written=outs)
    assert message in result.stderr


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing-file", "cannot read"),
        ("schema-not-json", "is not valid JSON"),
        ("schema-wrong-shape", "not describe-user-pool output"),
        ("header-not-header", "no CSVHeader"),
        ("output-is-input", "it would overwrite an input"),
    ],
)
def test_csv_bad_side_files_exit_3(
    app: typer.Typer, tmp_path: Path, pool_files: tuple[Path, Path], setup: str, message: str
) -> None:
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes([row()]))
    header, schema = pool_files
    extra: list[str | Path] = []
    if setup == "missing-file":
        data = tmp_path / "nope.csv"
    elif setup == "schema-not-json":
        schema.write_text("UserPool:\n  Id: x\n")
    elif setup == "schema-wrong-shape":
        schema.write_text('{"Users": []}')
    elif setup == "header-not-header":
        header.write_text('{"Header": "x"}')
    elif setup == "output-is-input":
        extra = ["--write-clean", data]
    result = run(app, "csv", "check", data, "--header-file", header, "--schema", schema, *extra)
    assert_bad_input(result)
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--schema", "s.json"],
        ["--user-pool-id", POOL_ID, "--schema", "s.json"],
        ["--format", "sarif", "--user-pool-id", POOL_ID],
        ["--max-per-rule", "-1", "--user-pool-id", POOL_ID],
    ],
    ids=["no-source", "schema-without-header", "both-sources", "bad-format", "negative-max"],
)
def test_csv_usage_errors_exit_2(app: typer.Typer, tmp_path: Path, args: list[str]) -> None:
    data = tmp_path / "users.csv"
    data.write_bytes(csv_bytes([row()]))
    result = run(app, "csv", "check", data, *args)
    assert result.exit_code == 2


# -- lambda check ---------------------------------------------------------------------------


def _zip(tmp_path: Path, files: dict[str, str]) -> Path:
    path = tmp_path / "function.zip"
    path.write_bytes(make_zip(files))
    return path


def test_lambda_offline_clean_exits_0(app: typer.Typer, tmp_path: Path) -> None:
    package = _zip(tmp_path, {"lambda_function.py": GOOD_PY})
    result = run(
        app, "lambda", "check", "--zip", package, "--handler", "lambda_function.lambda_handler",
        "--runtime", "python3.12", "--env", f"OLD_USER_POOL_ID={POOL_ID}", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    results = json.loads(result.stdout)["results"]
    assert all(set(r) == {"error", "status", "file", "line", "message"} for r in results)
    assert [(r["error"], r["status"]) for r in results] == [
        ("ImportModuleError", "pass"),
        ("UserCodeSyntaxError", "pass"),
        ("HandlerNotFound", "pass"),
        ("ResourceNotFoundException", "skip"),
        (None, "skip"),
    ]


def test_lambda_offline_syntax_error_exits_1(app: typer.Typer, tmp_path: Path) -> None:
    package = _zip(tmp_path, {"lambda_function.py": "def lambda_handler(e, c)\n    return e\n"})
    result = run(
        app, "lambda", "check", "--zip", package, "--handler", "lambda_function.lambda_handler",
        "--runtime", "python3.12",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "FAIL  UserCodeSyntaxError: Syntax error in module 'lambda_function'" in result.stdout
    assert "(lambda_function.py:1)" in result.stdout


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("not-a-zip", "is not a zip file"),
        ("handler-without-dot", "has no module part"),
        ("missing-zip", "cannot read"),
        ("env-without-equals", "--env takes KEY=VALUE"),
    ],
)
def test_lambda_bad_input_exits_3(
    app: typer.Typer, tmp_path: Path, setup: str, message: str
) -> None:
    package = _zip(tmp_path, {"lambda_function.py": GOOD_PY})
    handler = "lambda_function.lambda_handler"
    extra: list[str] = []
    if setup == "not-a-zip":
        package.write_bytes(b"PK? not really")
    elif setup == "handler-without-dot":
        handler = "lambda_handler"
    elif setup == "missing-zip":
        package = tmp_path / "nope.zip"
    elif setup == "env-without-equals":
        extra = ["--env", "JUSTAKEY"]
    report = tmp_path / "out.json"
    result = run(
        app, "lambda", "check", "--zip", package, "--handler", handler, "--runtime", "python3.12",
        "--output", report, *extra,
    )  # fmt: skip
    assert_bad_input(result, written=(report,))
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--zip", "f.zip"],
        ["--function", "f", "--zip", "f.zip"],
        ["--function", "f", "--env", "A=b"],
    ],
    ids=["nothing", "zip-only", "both", "env-with-function"],
)
def test_lambda_usage_errors_exit_2(app: typer.Typer, args: list[str]) -> None:
    assert run(app, "lambda", "check", *args).exit_code == 2


def test_lambda_live_under_moto(
    app: typer.Typer, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live path end to end; the code download is swapped for the uploaded bytes because moto's
    Code.Location is an S3 URL it does not serve (download() itself is tested on 127.0.0.1)."""
    import boto3
    from moto import mock_aws

    from iam_audit.preflight import live

    code = make_zip(
        {"lambda_function.py": "import helpers\n\ndef lambda_handler(e, c):\n    return e\n"}
    )
    monkeypatch.setattr(live, "download", lambda url: code)
    with mock_aws():
        role = boto3.client("iam").create_role(
            RoleName="r",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        boto3.client("lambda", region_name="us-east-1").create_function(
            FunctionName="migrate", Runtime="python3.12", Role=role, Handler="lambda_function.lambda_handler",
            Code={"ZipFile": code}, Timeout=10, Environment={"Variables": {"OLD_USER_POOL_ID": "us-east-1_Gone"}},
        )  # fmt: skip
        result = run(
            app,
            "lambda",
            "check",
            "--function",
            "migrate",
            "--region",
            "us-east-1",
            "--format",
            "json",
        )
        missing = run(app, "lambda", "check", "--function", "ghost", "--region", "us-east-1")
    assert result.exit_code == 1, result.stderr
    got = [(r["error"], r["status"]) for r in json.loads(result.stdout)["results"]]
    assert ("ResourceNotFoundException", "fail") in got
    assert got[-1] == (None, "warn")  # 10 s > Cognito's 5 s
    assert_bad_input(missing)
    assert "Lambda function ghost not found" in missing.stderr


# -- logs diagnose --------------------------------------------------------------------------


def test_logs_offline_json_exits_1(app: typer.Typer, tmp_path: Path) -> None:
    export = tmp_path / "events.json"
    export.write_text(
        json.dumps({"events": [{"timestamp": 0, "message": "The user import job has expired."}]})
    )
    result = run(app, "logs", "diagnose", "--file", export, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["diagnoses"][0]["error"] == "ImportJobExpired"


def test_logs_offline_nothing_known_exits_0(app: typer.Typer, tmp_path: Path) -> None:
    export = tmp_path / "events.txt"
    export.write_text("[SUCCEEDED] Line Number 2 - The import succeeded.\n")
    result = run(app, "logs", "diagnose", "--file", export)
    assert result.exit_code == 0
    assert result.stdout == "no known import error in 1 log events\n"


def test_logs_line_over_a_cloudwatch_event_is_cut_with_a_note(
    app: typer.Typer, tmp_path: Path
) -> None:
    # "Event size: 256 KB (maximum)." (CloudWatch Logs quotas, cloudwatch_limits_cwl.html)
    export = tmp_path / "events.txt"
    export.write_text("The user import job has expired. " + "x" * 300_000 + "\n")
    result = run(app, "logs", "diagnose", "--file", export, "--format", "json")
    assert result.exit_code == 1
    cut = (
        "event 1 is 300,033 bytes, more than a CloudWatch Logs event can hold (262,144); "
        "only its first 262,144 bytes were read"
    )
    data = json.loads(result.stdout)
    assert data["diagnoses"][0]["error"] == "ImportJobExpired"
    assert data["notes"] == [cut]
    assert result.stderr == ""
    table = run(app, "logs", "diagnose", "--file", export)  # the note, then the summary
    assert table.stdout.splitlines()[-2:] == [f"note: {cut}", "1 diagnoses in 1 log events"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b'{"logGroups": []}', "not a log export"), (b"\x00\x00\x00", "binary"), (b"", "empty")],
    ids=["unknown-json", "binary", "empty"],
)
def test_logs_bad_export_exits_3(
    app: typer.Typer, tmp_path: Path, content: bytes, message: str
) -> None:
    export = tmp_path / "events.json"
    export.write_bytes(content)
    report = tmp_path / "out.json"
    result = run(app, "logs", "diagnose", "--file", export, "--output", report)
    assert_bad_input(result, written=(report,))
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--file", "x", "--function", "f"],
        ["--function", "f", "--since", "yesterday"],
        ["--function", "f", "--since", "0h"],
    ],
    ids=["nothing", "both", "bad-since", "zero-since"],
)
def test_logs_usage_errors_exit_2(app: typer.Typer, args: list[str]) -> None:
    assert run(app, "logs", "diagnose", *args).exit_code == 2


def test_since_units() -> None:
    from datetime import timedelta

    from iam_audit.cli.preflight import parse_since

    assert parse_since("30m") == timedelta(minutes=30)
    assert parse_since("24h") == timedelta(hours=24)
    assert parse_since("7d") == timedelta(days=7)
    assert parse_since("90s") == timedelta(seconds=90)


def test_no_credentials_is_one_line_exit_3(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = run(app, "jobs", "--user-pool-id", POOL_ID)
    assert_bad_input(result)
    assert "credentials" in result.stderr
