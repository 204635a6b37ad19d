"""Log diagnosis: the signature data, a corpus of log lines per error, grouping, exports, live.

The corpus (tests/preflight/logs/NAME.txt) holds the guide's example line for each of the nine
errors plus the variants seen in the runtimes' output; none.txt holds lines that must not match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.errors import InputError
from iam_audit.preflight.jobs import explain_completion
from iam_audit.preflight.logsdiag import (
    MAX_EVENT_BYTES,
    SEED_ERRORS,
    LogEvent,
    diagnose,
    load_signatures,
    match_text,
    parse_export,
)

CORPUS = Path(__file__).parent / "logs"
SIGNATURES = load_signatures()


def _corpus() -> list[tuple[str, str]]:
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        assert path.exists()
        for line in path.read_text("utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                out.append((path.stem, line))
    return out


CORPUS_LINES = _corpus()


def test_corpus_covers_every_seed_error() -> None:
    assert {name for name, _ in CORPUS_LINES} == {*SEED_ERRORS, "none"}


@pytest.mark.parametrize(
    ("expected", "line"), CORPUS_LINES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CORPUS_LINES)]
)
def test_corpus_line(expected: str, line: str) -> None:
    found = match_text(line, SIGNATURES)
    if expected == "none":
        assert found is None, found
    else:
        assert found is not None
        assert found.signature.name == expected


@pytest.mark.parametrize(
    ("expected", "line"), CORPUS_LINES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CORPUS_LINES)]
)
def test_a_jobs_completion_message_is_read_as_a_log_event(expected: str, line: str) -> None:
    """``jobs`` explains a failed job's CompletionMessage by the one diagnosis of log events."""
    pool = "eu-central-1_AbCdEf123"
    kind, why = explain_completion(line, pool_id=pool)
    if expected == "none":
        assert kind not in SEED_ERRORS
        return
    context = {"pool": pool, "logs_role": "LOGS_ROLE_ARN"}
    (diagnosis,) = diagnose([LogEvent(line)], context=context).diagnoses
    assert (kind, why) == (expected, diagnosis.fix)


@pytest.mark.parametrize("signature", SIGNATURES, ids=[s.id for s in SIGNATURES])
def test_each_signature_matches_its_own_example(signature: Any) -> None:
    found = match_text(signature.example, SIGNATURES)
    assert found is not None
    assert found.signature.id == signature.id  # not shadowed by an earlier, broader signature


def test_every_seed_error_has_a_signature_with_a_fix() -> None:
    assert {s.name for s in SIGNATURES} == set(SEED_ERRORS)
    assert all(s.fix.strip() and s.example.strip() for s in SIGNATURES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"signatures": [{"id": "x", "name": "Oops", "patterns": ["a"], "example": "a", "fix": "f"}]}',
            "not a seed error",
        ),
        (
            '{"signatures": [{"id": "x", "name": "UnexpectedHeaders", "patterns": ["("], "example": "a", "fix": "f"}]}',
            "malformed",
        ),
        (
            '{"signatures": [{"id": "x", "name": "UnexpectedHeaders", "patterns": ["a"], "example": "a", "fix": "f"},'
            ' {"id": "x", "name": "UnexpectedHeaders", "patterns": ["a"], "example": "a", "fix": "f"}]}',
            "appears twice",
        ),
        (
            '{"signatures": [{"id": "x", "name": "UnexpectedHeaders", "patterns": ["a.*?b"], "example": "a", "fix": "f"}]}',
            "lazy repeat",
        ),
        (
            '{"signatures": [{"id": "x", "name": "UnexpectedHeaders", "patterns": ["a(?P<r>[^x]+?)b"], "example": "a", "fix": "f"}]}',
            "lazy repeat",
        ),
        (
            '{"signatures": [{"id": "x", "name": "UnexpectedHeaders", "patterns": ["a.+b"], "example": "a", "fix": "f"}]}',
            "unbounded",
        ),
        (
            '{"signatures": [{"id": "x", "name": "UnexpectedHeaders", "patterns": [[]], "example": "a", "fix": "f"}]}',
            "non-empty list",
        ),
    ],
    ids=["unknown-name", "bad-regex", "duplicate-id", "lazy", "lazy-class", "dot-plus", "no-steps"],
)
def test_bad_signature_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_signatures(text)


@pytest.mark.parametrize(
    "pattern", [r"a\.*b", r"a\\\.+b", r"[.]+x", r"a{2}b", r"\?", r"x\*?"], ids=str
)
def test_linear_patterns_are_accepted(pattern: str) -> None:
    # An escaped dot or star, a bounded repeat: nothing that rescans the line.
    entry = {"id": "x", "name": "UnexpectedHeaders", "patterns": [pattern], "example": "a"}
    assert load_signatures(json.dumps({"signatures": [{**entry, "fix": "f"}]}))


def test_steps_are_found_in_order() -> None:
    # ["ResourceNotFoundException", "User pool client ..."] means: the second after the first.
    line = "ResourceNotFoundException: User pool client 4abc does not exist."
    found = match_text(line, SIGNATURES)
    assert found is not None
    assert (found.signature.id, dict(found.fields)) == (
        "resource-not-found-client",
        {"client": "4abc"},
    )
    reversed_line = "User pool client 4abc does not exist. ResourceNotFoundException"
    found = match_text(reversed_line, SIGNATURES)
    assert found is not None
    assert found.signature.id == "resource-not-found-generic"


def test_row_invalid_value_keeps_line_and_attribute() -> None:
    line = "[FAILED] Line Number 12 - The User Record contains an invalid value for phone_number."
    found = match_text(line, SIGNATURES)
    assert found is not None
    fields = dict(found.fields)
    assert (found.signature.id, fields["line"], fields["attribute"]) == (
        "row-invalid-value",
        "12",
        "phone_number",
    )


def test_a_line_longer_than_a_cloudwatch_event_is_cut_and_said_so() -> None:
    # "Event size: 256 KB (maximum). This quota can't be changed." (CloudWatch Logs quotas,
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html)
    head = "[FAILED] Line Number 3 - The User Record contains an invalid value for birthdate. "
    tail = " Runtime.ImportModuleError: Unable to import module 'x': y"
    message = head + "é" * (MAX_EVENT_BYTES // 2) + tail  # 2 bytes each: the tail is past the cut
    report = diagnose([LogEvent(message, source="stream-1")])
    assert [d.error for d in report.diagnoses] == ["InvalidAttributeValue"]
    assert report.notes == (
        f"event 1 stream-1 is {len(message.encode()):,} bytes, more than a CloudWatch Logs event "
        "can hold (262,144); only its first 262,144 bytes were read",
    )
    fits = diagnose([LogEvent(head + "a" * (MAX_EVENT_BYTES - len(head)))])
    assert fits.notes == ()


def test_a_full_size_event_of_repeated_triggers_is_diagnosed() -> None:
    # Once quadratic: every "ResourceNotFoundException" rescanned the rest of the line. The
    # answer is asserted here; the time is in benchmarks/match_bench.py.
    unit = "ResourceNotFoundException "
    message = unit * (MAX_EVENT_BYTES // len(unit))
    report = diagnose([LogEvent(message)])
    assert [d.error for d in report.diagnoses] == ["ResourceNotFoundException"]


ACCESS_DENIED = [line for name, line in CORPUS_LINES if name == "AccessDeniedException"]


@pytest.mark.parametrize(
    ("line", "role", "action", "resource"),
    [
        (
            ACCESS_DENIED[0],
            "TestingMigration-role",
            "cognito-idp:AdminInitiateAuth",
            "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_YYYYOOOO",
        ),
        (
            ACCESS_DENIED[1],
            "migrate-role",
            "cognito-idp:AdminInitiateAuth",
            "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123",
        ),
        (
            ACCESS_DENIED[2],
            "r",
            "cognito-idp:AdminGetUser",
            "arn:aws-cn:cognito-idp:cn-north-1:123456789012:userpool/cn-north-1_Q1",
        ),
    ],
    ids=["guide", "explicit-deny", "node-json-cn"],
)
def test_access_denied_names_role_action_resource_and_the_fix(
    line: str, role: str, action: str, resource: str
) -> None:
    (d,) = diagnose([LogEvent(line)]).diagnoses
    assert d.error == "AccessDeniedException"
    assert f"role {role} may not call {action} on {resource}" in d.fix
    assert f"iam-audit audit --lambda-role {role} --source-pool-arn {resource}" in d.fix
    assert f"iam-audit fix --lambda-role {role} --source-pool-arn {resource} --apply" in d.fix
    assert "COG001" in d.fix


def test_logs_role_diagnosis_points_to_cog002_and_cog003() -> None:
    (d,) = diagnose(
        [
            LogEvent(
                "The CloudWatch Logs role configured is missing permissions or has an invalid trust policy."
            )
        ],
        context={"pool": "us-east-1_P1"},
    ).diagnoses
    assert "COG002" in d.fix
    assert "COG003" in d.fix
    assert "iam-audit audit --logs-role LOGS_ROLE_ARN --user-pool-id us-east-1_P1" in d.fix


def test_grouping_counts_first_seen_and_row_lines() -> None:
    base = 1_700_000_000_000
    events = [
        LogEvent("[SKIPPED] Line Number 9 - The user already exists.", base + 3000),
        LogEvent("[SKIPPED] Line Number 4 - The user already exists.", base + 1000),
        LogEvent(
            "[FAILED] Line Number 5 - The User Record contains an invalid value for birthdate.",
            base + 2000,
        ),
        LogEvent(
            "[FAILED] Line Number 6 - The User Record contains an invalid value for phone_number.",
            base,
        ),
        LogEvent(
            "[FAILED] Line Number 7 - The User Record contains an invalid value for birthdate.",
            base + 500,
        ),
        LogEvent("[SUCCEEDED] Line Number 8 - The import succeeded.", base),
        LogEvent("Too many users have failed or been skipped during the import.", base + 9000),
        LogEvent(ACCESS_DENIED[0], base + 10),
        LogEvent(ACCESS_DENIED[1], base + 20),
        LogEvent(ACCESS_DENIED[0], base + 5),
    ]
    report = diagnose(events, context={"pool": "us-east-1_P1"})
    assert report.events == 10
    got = [
        (d.error, d.count, d.first_seen.timestamp() * 1000 - base if d.first_seen else None)
        for d in report.diagnoses
    ]
    assert got == [
        ("AccessDeniedException", 2, 5),  # TestingMigration-role
        ("AccessDeniedException", 1, 20),  # migrate-role
        ("FailedOrSkippedUsers", 2, 1000),  # skipped: user exists
        ("FailedOrSkippedUsers", 1, 9000),  # too many
        ("InvalidAttributeValue", 2, 500),  # birthdate
        ("InvalidAttributeValue", 1, 0),  # phone_number
    ]
    skipped = report.diagnoses[2]
    assert skipped.example == "[SKIPPED] Line Number 4 - The user already exists."  # the earliest
    assert "Rows (line 9, line 4) were skipped: The user already exists." in skipped.fix
    birthdate = report.diagnoses[4]
    assert "Rows (line 5, line 7) hold an invalid birthdate" in birthdate.fix


def test_json_shape_is_exact() -> None:
    data = diagnose([LogEvent("The user import job has expired.", 0)]).as_dict()
    assert list(data) == ["diagnoses", "notes"]
    assert data["notes"] == []
    (entry,) = data["diagnoses"]
    assert list(entry) == ["error", "count", "first_seen", "example", "fix"]
    assert entry["first_seen"] == "1970-01-01T00:00:00+00:00"
    assert entry["error"] == "ImportJobExpired"
    assert "cannot be started" in entry["fix"] or "can never be started" in entry["fix"]


# -- exports ----------------------------------------------------------------------------------


def test_parse_filter_log_events_json() -> None:
    export = {
        "events": [
            {
                "logStreamName": "import-1/job",
                "timestamp": 1700000000000,
                "message": "The user import job has expired.",
                "ingestionTime": 1,
                "eventId": "1",
            }
        ],
        "searchedLogStreams": [],
    }
    (event,) = parse_export(json.dumps(export).encode(), "x.json")
    assert event == LogEvent("The user import job has expired.", 1700000000000, "import-1/job")


def test_parse_plain_text_takes_timestamps_from_lines() -> None:
    text = b"[ERROR]\t2024-01-15T10:00:00.500Z\treq\tsomething\n\n[FAILED] Line Number 2 - x\n"
    events = parse_export(text, "x.log")
    assert [e.timestamp for e in events] == [1705312800500, None]
    assert events[1].message == "[FAILED] Line Number 2 - x"


def test_plain_text_starting_with_a_bracket_is_text() -> None:
    (event,) = parse_export(
        b"[ERROR] Runtime.ImportModuleError: Unable to import module 'a': x\n", "x"
    )
    assert event.message.startswith("[ERROR]")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x00\x01PK\x03\x04", "binary"),
        (b'{"logGroups": []}', "not a log export"),
        (b'{"events": {"a": 1}}', "not a list"),
        (b'{"events": [{"timestamp": 1}]}', "no 'message'"),
        (b'{"events": [', "does not parse"),
        (b"\xff\xfe\xfa not utf8", "not UTF-8"),
    ],
    ids=[
        "empty",
        "blank",
        "binary",
        "other-json",
        "events-not-list",
        "no-message",
        "broken-json",
        "not-utf8",
    ],
)
def test_unknown_export_shapes_are_bad_input(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_export(data, "export.json")


# -- live (moto) and pagination (Stubber) ---------------------------------------------------------

POOL = "us-east-1_LogsPool1"


@pytest.fixture
def moto_logs(aws_env: None) -> Iterator[Any]:
    """Import logs and Lambda logs as Cognito and Lambda write them, in moto."""
    import time

    import boto3
    from moto import mock_aws

    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1")
        now = int(time.time() * 1000)
        streams = {
            f"/aws/cognito/userpools/{POOL}/my-pool": (
                "import-AbC/job-1",
                [
                    "[SUCCEEDED] Line Number 2 - The import succeeded.",
                    "[FAILED] Line Number 3 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).",
                    "[FAILED] Line Number 4 - The User Record does not set any of the auto verified attributes to true. (Example: email_verified to true).",
                ],
            ),
            "/aws/lambda/migrate": ("2024/01/15/[$LATEST]abc", [ACCESS_DENIED[0]]),
            f"/aws/cognito/userpools/{POOL}X/other-pool": (
                "import-Zz/job",
                ["The user import job has expired."],
            ),
        }
        for group, (stream, lines) in streams.items():
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[
                    {"timestamp": now - 60_000 + i, "message": m} for i, m in enumerate(lines)
                ],
            )
        logs.create_log_group(logGroupName="/aws/lambda/old")
        logs.create_log_stream(logGroupName="/aws/lambda/old", logStreamName="s")
        logs.put_log_events(
            logGroupName="/aws/lambda/old",
            logStreamName="s",
            logEvents=[{"timestamp": now - 3 * 3600_000, "message": ACCESS_DENIED[0]}],
        )
        yield logs


def _app() -> Any:
    import typer

    from iam_audit.cli.preflight import register

    app = typer.Typer()
    register(app)
    return app


def test_live_pool_and_function_logs(moto_logs: Any) -> None:
    result = CliRunner().invoke(
        _app(),
        ["logs", "diagnose", "--user-pool-id", POOL, "--function", "migrate", "--format", "json"],
    )
    assert result.exit_code == 1, result.stderr
    got = [(d["error"], d["count"]) for d in json.loads(result.stdout)["diagnoses"]]
    # the other pool (same ID prefix) is not read
    assert got == [("AccessDeniedException", 1), ("FailedOrSkippedUsers", 2)]
    fix = json.loads(result.stdout)["diagnoses"][1]["fix"]
    assert f"--user-pool-id {POOL}" in fix
    assert "line 3, line 4" in fix


def test_live_since_window_excludes_old_events(moto_logs: Any) -> None:
    runner = CliRunner()
    recent = runner.invoke(_app(), ["logs", "diagnose", "--function", "old", "--since", "30m"])
    assert recent.exit_code == 0, recent.stderr
    assert "no known import error in 0 log events" in recent.stdout
    week = runner.invoke(_app(), ["logs", "diagnose", "--function", "old", "--since", "7d"])
    assert week.exit_code == 1
    assert "AccessDeniedException (1x" in week.stdout


def test_live_missing_groups_are_notes_not_errors(moto_logs: Any) -> None:
    result = CliRunner().invoke(
        _app(), ["logs", "diagnose", "--user-pool-id", "us-east-1_Nothing", "--function", "ghost"]
    )
    assert result.exit_code == 0
    notes = [line for line in result.stdout.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2, result.stdout
    assert "no log group under /aws/cognito/userpools/us-east-1_Nothing/" in notes[0]
    assert "log group /aws/lambda/ghost does not exist" in notes[1]
    assert "COG005" in notes[1]
    assert result.stderr == ""


@pytest.fixture
def stubbed_logs(aws_env: None) -> Iterator[tuple[Any, Any]]:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("logs", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_filter_log_events_follows_next_token(stubbed_logs: tuple[Any, Any]) -> None:
    from iam_audit.preflight import live

    client, stubber = stubbed_logs
    group = "/aws/lambda/f"
    stubber.add_response(
        "filter_log_events",
        {"events": [{"timestamp": 1, "message": "a", "logStreamName": "s"}], "nextToken": "n1"},
        {"logGroupName": group, "startTime": 0},
    )
    stubber.add_response(
        "filter_log_events",
        {"events": [{"timestamp": 2, "message": "b", "logStreamName": "s"}]},
        {"logGroupName": group, "startTime": 0, "nextToken": "n1"},
    )
    events = list(live.read_log_events(group, client=client, start_ms=0))
    assert [(e.message, e.timestamp, e.source) for e in events] == [
        ("a", 1, f"{group}/s"),
        ("b", 2, f"{group}/s"),
    ]


def test_describe_log_groups_follows_next_token(stubbed_logs: tuple[Any, Any]) -> None:
    from iam_audit.preflight import live

    client, stubber = stubbed_logs
    prefix = f"/aws/cognito/userpools/{POOL}/"
    stubber.add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": prefix + "a"}], "nextToken": "t"},
        {"logGroupNamePrefix": prefix},
    )
    stubber.add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": prefix + "b"}]},
        {"logGroupNamePrefix": prefix, "nextToken": "t"},
    )
    assert live.find_log_groups(prefix, client=client) == (prefix + "a", prefix + "b")


@pytest.mark.parametrize(
    ("line", "signature_id", "fields"),
    [
        (
            "[FAILED] Line Number 8 - The User Record does not set any of the auto verified "
            "attributes to verified. (Example: email_verified to true).",
            "row-auto-verified",
            {"line": "8"},
        ),
        (
            "[FAILED] Line Number 12 - The User Record contains an invalid value for phone_number.",
            "row-invalid-value",
            {"line": "12", "attribute": "phone_number"},
        ),
        (ACCESS_DENIED[1], "access-denied-assumed-role", {"role": "migrate-role"}),
        (
            "[ERROR] Runtime.ImportModuleError: Error: Cannot find module 'index'",
            "import-module-error",
            {"module": "index"},
        ),
        (
            "ResourceNotFoundException: User pool us-east-1_Gone01 does not exist.",
            "resource-not-found-pool",
            {"pool_id": "us-east-1_Gone01"},
        ),
        (
            "[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module 'app': invalid syntax "
            "(app.py, line 7)",
            "user-code-syntax-error",
            {"module": "app", "reason": "invalid syntax (app.py, line 7)"},
        ),
    ],
    ids=["to-verified", "invalid-value-row", "explicit-deny", "node-module", "pool", "syntax"],
)
def test_variants_hit_the_specific_signature(
    line: str, signature_id: str, fields: dict[str, str]
) -> None:
    """Wording variants must reach the specific signature (and its fix), not a generic one."""
    found = match_text(line, SIGNATURES)
    assert found is not None
    assert found.signature.id == signature_id
    assert fields.items() <= dict(found.fields).items()
