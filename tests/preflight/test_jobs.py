"""Import-job diagnosis through botocore's Stubber: moto lacks ListUserImportJobs, and the
Stubber validates every request and response against the real service model.

Job states and messages: FACTS.md §2 (CreateUserImportJob / ListUserImportJobs API reference,
aws-cli example ``list-user-import-jobs.rst``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iam_audit.errors import AccessError
from iam_audit.preflight.jobs import ImportJob, JobStatus, NoteLevel, diagnose_jobs
from tests.conftest import clients_runner
from tests.preflight.conftest import POOL_ID

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/service-role/Cognito-UserImport-Role"


def job(job_id: str, status: str, age: timedelta, **extra: Any) -> dict[str, Any]:
    """One ``UserImportJobType`` as the API returns it."""
    entry: dict[str, Any] = {
        "JobName": f"name-{job_id}",
        "JobId": f"import-{job_id}",
        "UserPoolId": POOL_ID,
        "PreSignedUrl": "https://example.invalid/upload",
        "CreationDate": NOW - age,
        "Status": status,
        "CloudWatchLogsRoleArn": ROLE,
        "ImportedUsers": 0,
        "SkippedUsers": 0,
        "FailedUsers": 0,
    }
    entry.update(extra)
    return entry


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[Any, Any]]:
    """A real cognito-idp client wrapped in a Stubber."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("cognito-idp", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _list(
    stubber: Any, jobs: list[dict[str, Any]], token: str | None = None, sent: str | None = None
) -> None:
    response: dict[str, Any] = {"UserImportJobs": jobs}
    if token:
        response["PaginationToken"] = token
    expected: dict[str, Any] = {"UserPoolId": POOL_ID, "MaxResults": 60}
    if sent:
        expected["PaginationToken"] = sent
    stubber.add_response("list_user_import_jobs", response, expected)


def _diagnose(stubbed: tuple[Any, Any], entries: list[dict[str, Any]]) -> Any:
    from iam_audit.preflight import live

    client, stubber = stubbed
    _list(stubber, entries)
    return diagnose_jobs(live.list_import_jobs(POOL_ID, client=client), now=NOW, pool_id=POOL_ID)


def _kinds(report: Any) -> list[tuple[str, str, str]]:
    return [(n.job_id, n.level.value, n.kind) for n in report.notes]


def test_created_job_near_expiry_gets_the_start_command(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(stubbed, [job("a1", "Created", timedelta(hours=21))])
    assert _kinds(report) == [("import-a1", "warning", "ImportJobExpiring")]
    (note,) = report.notes
    assert "24-48 h" in note.message
    assert note.command == (
        f"aws cognito-idp start-user-import-job --user-pool-id {POOL_ID} --job-id import-a1"
    )
    assert not report.failed


def test_fresh_created_job_is_info_with_command(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(stubbed, [job("a1", "Created", timedelta(minutes=5))])
    assert _kinds(report) == [("import-a1", "info", "NotStarted")]
    assert report.notes[0].command is not None
    assert "upload URL expired" not in report.notes[0].message


def test_created_after_upload_url_expiry_says_so(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(stubbed, [job("a1", "Created", timedelta(hours=2))])
    assert "upload URL expired 15 minutes after creation" in report.notes[0].message


def test_expired_job_cannot_be_restarted(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(
        stubbed,
        [
            job(
                "e1",
                "Expired",
                timedelta(days=3),
                CompletionMessage="The user import job has expired.",
            )
        ],
    )
    assert _kinds(report) == [("import-e1", "error", "ImportJobExpired")]
    note = report.notes[0]
    assert "cannot be restarted" in note.message
    assert note.command is not None
    assert note.command.startswith("aws cognito-idp create-user-import-job")
    assert ROLE in note.command
    assert report.failed


def test_another_active_job_blocks_a_created_one(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(
        stubbed,
        [
            job("c1", "Created", timedelta(hours=1)),
            job("r1", "InProgress", timedelta(hours=2), StartDate=NOW - timedelta(hours=1)),
        ],
    )
    assert ("import-c1", "warning", "ActiveJobConflict") in _kinds(report)
    conflict = next(n for n in report.notes if n.kind == "ActiveJobConflict")
    assert "only one import job can be active at a time per account" in conflict.message
    assert "stop-user-import-job" in conflict.message
    assert ("import-r1", "info", "Active") in _kinds(report)


def test_two_active_jobs_are_flagged(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(
        stubbed,
        [job("p1", "Pending", timedelta(hours=1)), job("r1", "Stopping", timedelta(hours=2))],
    )
    assert ("import-p1", "warning", "several-active") in _kinds(report)


# CompletionMessage texts: the first four are AWS's (doc and CLI examples); the logs-role and
# header texts follow the troubleshooting guide's wording (unverified in English, matched loosely).
FAILED_MESSAGES = [
    ("Too many users have failed or been skipped during the import.", "FailedOrSkippedUsers"),
    (
        "The CloudWatch Logs role configured is missing permissions or has an invalid trust policy.",
        "LogsRoleMissingPermission",
    ),
    (
        "The Amazon CloudWatch Logs role cannot be assumed, doesn't have the correct access policy, "
        "or has been deleted.",
        "LogsRoleMissingPermission",
    ),
    (
        "The header in the CSV file does not match the expected headers. Use the GetCSVHeader API.",
        "UnexpectedHeaders",
    ),
    ("Amazon Cognito is unable to parse the .csv file.", "CsvUnparseable"),
    ("The user pool has been deleted.", "PoolDeleted"),
    ("Something nobody documented.", "Unknown"),
]


@pytest.mark.parametrize(("message", "kind"), FAILED_MESSAGES, ids=[k for _, k in FAILED_MESSAGES])
def test_failed_job_is_explained(stubbed: tuple[Any, Any], message: str, kind: str) -> None:
    report = _diagnose(
        stubbed,
        [job("f1", "Failed", timedelta(hours=3), CompletionMessage=message, FailedUsers=7)],
    )
    (note,) = report.notes
    assert (note.level, note.kind) == (NoteLevel.ERROR, kind)
    assert "7 failed" in note.message
    if kind == "LogsRoleMissingPermission":
        assert f"iam-audit audit --logs-role {ROLE} --user-pool-id {POOL_ID}" in note.message
        assert "COG002" in note.message
        assert "COG003" in note.message
    if kind == "FailedOrSkippedUsers":
        assert "iam-audit csv check" in note.message


def test_failure_superseded_by_a_newer_success_is_history(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(
        stubbed,
        [
            job(
                "s1",
                "Succeeded",
                timedelta(hours=1),
                ImportedUsers=10,
                CompletionMessage="Import Job Completed Successfully.",
            ),
            job(
                "f1",
                "Failed",
                timedelta(hours=5),
                CompletionMessage="Too many users have failed or been skipped during the import.",
            ),
        ],
    )
    assert _kinds(report) == [("import-f1", "info", "FailedOrSkippedUsers")]
    assert not report.failed


def test_success_with_failed_rows_warns(stubbed: tuple[Any, Any]) -> None:
    report = _diagnose(stubbed, [job("s1", "Succeeded", timedelta(hours=1), FailedUsers=2)])
    assert _kinds(report) == [("import-s1", "warning", "FailedOrSkippedUsers")]


def test_pagination_follows_the_token(stubbed: tuple[Any, Any]) -> None:
    from iam_audit.preflight import live

    client, stubber = stubbed
    _list(stubber, [job(f"p{i}", "Succeeded", timedelta(hours=i)) for i in range(60)], token="t1")
    _list(stubber, [job("last", "Created", timedelta(hours=30))], sent="t1")
    jobs = live.list_import_jobs(POOL_ID, client=client)
    assert len(jobs) == 61
    assert jobs[-1].job_id == "import-last"
    assert jobs[-1].status is JobStatus.CREATED


def test_access_denied_names_the_permission(stubbed: tuple[Any, Any]) -> None:
    from iam_audit.preflight import live

    client, stubber = stubbed
    stubber.add_client_error(
        "list_user_import_jobs", service_error_code="AccessDeniedException", http_status_code=400
    )
    with pytest.raises(AccessError) as caught:
        live.list_import_jobs(POOL_ID, client=client)
    assert caught.value.permission == "cognito-idp:ListUserImportJobs"


def test_from_api_accepts_exported_json_dates() -> None:
    parsed = ImportJob.from_api(
        {
            "JobId": "import-x",
            "Status": "Created",
            "CreationDate": "2016-11-09T14:22:28.480000-08:00",
        }
    )
    assert parsed.created == datetime(2016, 11, 9, 22, 22, 28, 480000, tzinfo=UTC)


# -- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli(stubbed: tuple[Any, Any]) -> tuple[Any, Any, Any]:
    """The Typer app, and a runner whose injected sessions hand out the stubbed client."""
    import typer

    from iam_audit.cli.preflight import register

    client, stubber = stubbed
    app = typer.Typer()
    register(app)
    return app, stubber, clients_runner({"cognito-idp": client})


def test_cli_exit_1_and_json_for_an_expired_job(cli: tuple[Any, Any, Any]) -> None:
    app, stubber, runner = cli
    created = datetime.now(UTC) - timedelta(days=3)
    _list(stubber, [job("e1", "Expired", timedelta(0), CreationDate=created)])
    result = runner.invoke(app, ["jobs", "--user-pool-id", POOL_ID, "--format", "json"])
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["jobs"][0]["status"] == "Expired"
    assert data["jobs"][0]["notes"][0]["kind"] == "ImportJobExpired"
    assert data["summary"] == {"jobs": 1, "errors": 1, "warnings": 0}


def test_cli_exit_0_table_for_a_fresh_job(cli: tuple[Any, Any, Any]) -> None:
    app, stubber, runner = cli
    _list(stubber, [job("c1", "Created", timedelta(0), CreationDate=datetime.now(UTC))])
    result = runner.invoke(app, ["jobs", "--user-pool-id", POOL_ID])
    assert result.exit_code == 0, result.stderr
    assert "import-c1  Created" in result.stdout
    assert "run: aws cognito-idp start-user-import-job" in result.stdout


def test_cli_exit_3_on_access_denied(cli: tuple[Any, Any, Any]) -> None:
    app, stubber, runner = cli
    stubber.add_client_error("list_user_import_jobs", service_error_code="AccessDeniedException")
    result = runner.invoke(app, ["jobs", "--user-pool-id", POOL_ID])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cognito-idp:ListUserImportJobs" in result.stderr


def test_cli_exit_3_on_a_malformed_pool_id(cli: tuple[Any, Any, Any]) -> None:
    app, _, runner = cli
    result = runner.invoke(app, ["jobs", "--user-pool-id", "not-a-pool"])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_cli_failed_job_is_explained_from_its_log_stream(stubbed: tuple[Any, Any]) -> None:
    """The job's own stream (JOB_ID/JOB_NAME in /aws/cognito/userpools/ID/NAME, FACTS.md §1)
    is read from moto's logs; the job list comes from the Stubber."""
    import boto3
    import typer
    from moto import mock_aws

    from iam_audit.cli.preflight import register

    client, stubber = stubbed
    created = datetime.now(UTC) - timedelta(hours=2)
    failed = [
        job("f1", "Failed", timedelta(0), CreationDate=created, FailedUsers=2,
            CompletionMessage="Too many users have failed or been skipped during the import."),
        job("f0", "Failed", timedelta(0), CreationDate=created - timedelta(hours=1),
            CompletionMessage="Too many users have failed or been skipped during the import."),
    ]  # fmt: skip
    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1")
        group = f"/aws/cognito/userpools/{POOL_ID}/example"
        now_ms = int(datetime.now(UTC).timestamp() * 1000)  # CloudWatch drops events > 14 days old
        logs.create_log_group(logGroupName=group)
        for stream, lines in (
            ("import-f1/name-f1", ["[FAILED] Line Number 3 - The User Record contains an invalid value for birthdate.",
                                   "[FAILED] Line Number 9 - The User Record contains an invalid value for birthdate."]),
            ("import-other/x", ["[SKIPPED] Line Number 2 - The user already exists."]),
        ):  # fmt: skip
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now_ms + i, "message": m} for i, m in enumerate(lines)],
            )
        app = typer.Typer()
        register(app)
        _list(stubber, failed)
        runner = clients_runner({"cognito-idp": client, "logs": logs})
        result = runner.invoke(app, ["jobs", "--user-pool-id", POOL_ID, "--format", "json"])
    assert result.exit_code == 1, result.stderr
    by_job = {j["job_id"]: j["notes"] for j in json.loads(result.stdout)["jobs"]}
    assert [n["kind"] for n in by_job["import-f1"]] == [
        "FailedOrSkippedUsers",
        "InvalidAttributeValue",
    ]
    assert "2x" in by_job["import-f1"][1]["message"]
    assert "line 3, line 9" in by_job["import-f1"][1]["message"]
    # f0 has no stream: the note says where to look instead of failing the command
    assert [n["kind"] for n in by_job["import-f0"]] == ["FailedOrSkippedUsers", "LogRead"]
    assert "COG002" in by_job["import-f0"][1]["message"]
