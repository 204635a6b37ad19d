"""Log lines, job names, CSV values and handler names cannot forge preflight output (issue 9).

Each payload of :data:`tests.hostile.PAYLOADS` goes where the outside world writes: a CloudWatch
log event (``logs diagnose``), an import job's ID, name and ``CompletionMessage`` (``jobs``), a
CSV header and value (``csv check``) and the handler setting (``lambda check``). The table views
must show it escaped, on the lines a plain value would take; the JSON views keep it exactly; and
every command the tool suggests splits back (``shlex.split``) to exactly the values it names.
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from iam_audit.cli.preflight import register
from iam_audit.preflight.jobs import ImportJob, diagnose_jobs
from iam_audit.render import TextFormat, renderer_for
from tests.hostile import PAYLOAD_IDS, PAYLOADS, assert_terminal_safe
from tests.preflight.conftest import POOL_ID, STANDARD_HEADER, csv_bytes, describe, make_zip, row

PLAIN = "plain-value"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/service-role/Cognito-UserImport-Role"


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def run(app: typer.Typer, *args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def _same_lines(text: str, plain: str) -> None:
    assert_terminal_safe(text)
    assert len(text.splitlines()) == len(plain.splitlines()), text


# -- logs diagnose ---------------------------------------------------------------------------


def _resource(payload: str) -> str:
    """A pool ARN ending in the payload, as the AccessDenied signature captures it (up to white
    space, a comma or a quote), ending in a letter so no trailing punctuation is trimmed."""
    return (
        "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/"
        + re.sub(r'[\s,"]', "", payload)
        + "X"
    )


def _log_file(tmp_path: Path, payload: str) -> Path:
    line = (
        f"{payload} An error occurred (AccessDeniedException) when calling the AdminInitiateAuth "
        "operation: User: arn:aws:sts::111122223333:assumed-role/Migrate-role/Migrate is not "
        "authorized to perform: cognito-idp:AdminInitiateAuth on resource: "
        f"{_resource(payload)} because no identity-based policy allows it"
    )
    events = [
        {"message": line, "timestamp": 1717243200000},
        {"message": f"[ERROR] Runtime.ImportModuleError: Unable to import module '{payload}': x"},
    ]
    path = tmp_path / f"log{abs(hash(payload))}.json"
    path.write_text(json.dumps({"events": events}), encoding="utf-8")
    return path


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_logs_diagnose(app: typer.Typer, tmp_path: Path, kind: str, payload: str) -> None:
    table = run(app, "logs", "diagnose", "--file", _log_file(tmp_path, payload))
    plain = run(app, "logs", "diagnose", "--file", _log_file(tmp_path, PLAIN))
    assert table.exit_code == plain.exit_code == 1, table.output
    _same_lines(table.stdout, plain.stdout)
    assert_terminal_safe(table.stderr)
    data = json.loads(
        run(app, "logs", "diagnose", "--file", _log_file(tmp_path, payload), "-f", "json").stdout
    )
    denied = next(d for d in data["diagnoses"] if d["error"] == "AccessDeniedException")
    # the suggested commands: `iam-audit audit ... --source-pool-arn ARN` (check COG001) ...
    command = denied["fix"].split("`iam-audit audit ", 1)[1].split("` (check COG001)", 1)[0]
    words = shlex.split("iam-audit audit " + command)
    assert words == [
        *("iam-audit", "audit", "--lambda-role", "Migrate-role"),
        *("--source-pool-arn", _resource(payload)),
    ]
    assert _resource(payload) in denied["example"]


# -- jobs ------------------------------------------------------------------------------------


def _jobs_report(payload: str) -> Any:
    entries = [
        {  # Created long ago: the start command names its ID
            "JobName": payload,
            "JobId": f"import-{payload}",
            "UserPoolId": POOL_ID,
            "CreationDate": NOW - timedelta(hours=30),
            "Status": "Created",
            "CloudWatchLogsRoleArn": ROLE,
        },
        {  # Expired: the create command names the job
            "JobName": payload,
            "JobId": "import-expired",
            "UserPoolId": POOL_ID,
            "CreationDate": NOW - timedelta(days=3),
            "Status": "Expired",
            "CloudWatchLogsRoleArn": ROLE,
        },
        {  # Failed with a message that embeds the payload
            "JobName": payload,
            "JobId": "import-failed",
            "UserPoolId": POOL_ID,
            "CreationDate": NOW - timedelta(days=4),
            "Status": "Failed",
            "CompletionMessage": f"{payload}\nsomething unknown went wrong",
            "CloudWatchLogsRoleArn": ROLE,
        },
    ]
    jobs = [ImportJob.from_api(e) for e in entries]
    return diagnose_jobs(jobs, now=NOW, pool_id=POOL_ID)


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_jobs(kind: str, payload: str) -> None:
    report = _jobs_report(payload)
    table = renderer_for(TextFormat.TABLE)
    _same_lines(table.render(report), table.render(_jobs_report(PLAIN)))
    notes = [n for j in report.as_dict()["jobs"] for n in j["notes"]]
    commands = [n["command"] for n in notes if n["command"]]
    words = [shlex.split(c) for c in commands]
    assert ["--job-id", f"import-{payload}"] in [w[-2:] for w in words]
    create = next(w for w in words if "create-user-import-job" in w)
    assert create[create.index("--job-name") + 1] == payload
    assert create[create.index("--cloud-watch-logs-role-arn") + 1] == ROLE


# -- csv check -------------------------------------------------------------------------------


def _csv_value(payload: str) -> str:
    """The payload as one CSV value: Cognito's CSV has no quoting, so a newline or a comma is
    a new row or a new value there, and a backslash escapes the comma after it; a NUL makes the
    file binary (refused, exit 3: tested with the bad inputs)."""
    return re.sub(r"[\r\n,\\\x00]", "", payload).strip()


def _csv_check(app: typer.Typer, tmp_path: Path, payload: str, *args: str) -> Any:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    header = folder / "header.json"
    header.write_text(json.dumps({"CSVHeader": list(STANDARD_HEADER), "UserPoolId": POOL_ID}))
    schema = folder / "pool.json"
    schema.write_text(json.dumps(describe()))
    value = _csv_value(payload)
    columns = (*STANDARD_HEADER, value)
    data = folder / "users.csv"
    lines = [row(header=columns, custom__team=value, phone_number=value, **{value: value})]
    data.write_bytes(csv_bytes(lines, header=columns))
    return run(app, "csv", "check", data, "--header-file", header, "--schema", schema, *args)


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_csv_check(app: typer.Typer, tmp_path: Path, kind: str, payload: str) -> None:
    table = _csv_check(app, tmp_path, payload)
    assert table.exit_code == 1, table.output
    data = json.loads(_csv_check(app, tmp_path, payload, "--format", "json").stdout)
    assert _csv_value(payload) in [p["column"] for p in data["problems"]]
    # one line per problem, then the verdict: a value cannot add a line
    assert_terminal_safe(table.stdout)
    assert len(table.stdout.splitlines()) == len(data["problems"]) + 1, table.stdout


# -- lambda check ----------------------------------------------------------------------------


def _lambda_check(app: typer.Typer, tmp_path: Path, payload: str) -> Any:
    package = tmp_path / f"p{abs(hash(payload))}.zip"
    package.write_bytes(
        make_zip({"lambda_function.py": "def lambda_handler(e, c):\n    return e\n"})
    )
    handler = f"{payload.replace('.', '')}.handler"
    return run(
        app, "lambda", "check", "--zip", package, "--handler", handler, "--runtime", "python3.12",
    )  # fmt: skip


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_lambda_check(app: typer.Typer, tmp_path: Path, kind: str, payload: str) -> None:
    table = _lambda_check(app, tmp_path, payload)
    plain = _lambda_check(app, tmp_path, PLAIN)
    assert table.exit_code == plain.exit_code, table.output
    _same_lines(table.stdout + table.stderr, plain.stdout + plain.stderr)
