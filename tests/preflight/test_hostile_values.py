"""Values inside a well-formed file that used to crash a reader (issue 9): a log line dated
``0001-01-01T00:00:00+01:00`` (before year 1 once moved to UTC), event timestamps no date can have,
and a 5,000-digit ``updated_at`` (Python refuses ``int()`` of more than 4,300 digits)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.preflight.logsdiag import diagnose, parse_export
from tests.badinput import HEADER, SCHEMA

IMPORT_ERROR = "Runtime.ImportModuleError: Unable to import module 'app'"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    "stamp",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2024-13-45T99:99:99Z"],
)
def test_log_lines_with_dates_out_of_range(tmp_path: Path, stamp: str) -> None:
    log = tmp_path / "log.txt"
    log.write_text(f"{stamp} {IMPORT_ERROR}\n")
    result = run("logs", "diagnose", "--file", log)
    assert result.exit_code == 1, result.output  # recognised, not crashed
    assert "ImportModuleError" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("timestamp", ["1e400", "-1", "NaN", "1e20", "true", "253402300800000"])
def test_json_event_timestamps_no_date_can_have(timestamp: str) -> None:
    data = f'{{"events": [{{"message": "{IMPORT_ERROR}", "timestamp": {timestamp}}}]}}'
    events = parse_export(data.encode(), "export.json")
    assert events[0].timestamp is None
    report = diagnose(events)
    assert report.diagnoses[0].first_seen is None


def test_a_5000_digit_timestamp_is_one_line(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(f'{{"events": [{{"message": "x", "timestamp": {"9" * 5000}}}]}}')
    result = run("logs", "diagnose", "--file", export)
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "export.json is not usable JSON" in result.stderr


def test_a_5000_digit_updated_at_is_a_finding(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text(f"{HEADER}\nalice,alice@example.com,true,{'9' * 5000}\n")
    header = tmp_path / "header.csv"
    header.write_text(HEADER)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(SCHEMA))
    result = run(
        "csv", "check", users, "--header-file", header, "--schema", schema, "--format", "json"
    )
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)
    assert "updated-at-not-epoch" in json.dumps(problems)
    assert "5000 digits" in result.stdout


@pytest.mark.parametrize("timestamp", [10**19, -(10**19), 253402300800000])
def test_live_event_timestamps_no_date_can_have(timestamp: int) -> None:
    """A live FilterLogEvents reply hands over its Long as it is."""
    from iam_audit.preflight.logsdiag import LogEvent

    report = diagnose([LogEvent(message=IMPORT_ERROR, timestamp=timestamp)])
    assert report.diagnoses[0].first_seen is None
