"""The one result protocol (``iam_audit/results.py``): every command's result, read from real
inputs, is rendered by the same renderers, and its rows fail exactly when the command fails."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from msgspec import structs

from iam_audit.audit import run_checks
from iam_audit.checks import AuditTarget
from iam_audit.codecalls.facts import facts_for, place_of
from iam_audit.codecalls.load import files_from_zip
from iam_audit.errors import UsageError
from iam_audit.findings import (
    AuditResult,
    FailOn,
    Finding,
    Severity,
    Status,
    Suppression,
)
from iam_audit.fix.emit import FixReport
from iam_audit.fix.plan import FixPlan, plan_fixes
from iam_audit.model import PolicyKind
from iam_audit.outcome import exit_code
from iam_audit.preflight.csvcheck import check_csv
from iam_audit.preflight.jobs import ImportJob, JobStatus, diagnose_jobs
from iam_audit.preflight.lambdacheck import FunctionPackage, check_function
from iam_audit.preflight.logsdiag import LogEvent, diagnose
from iam_audit.preflight.schema import header_only
from iam_audit.render import OutputFormat, renderer_for
from iam_audit.render.interface import counts_line
from iam_audit.render.json import json_text
from iam_audit.render.views import text_view
from iam_audit.results import Result, ResultKind, WhoCanReport
from iam_audit.simulate import SimulateQuestion, SimulateReport, load_policy_file, simulate
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.whocan import who_can
from tests.conftest import asset
from tests.preflight.conftest import STANDARD_HEADER, csv_bytes, make_pool, make_zip
from tests.preflight.conftest import row as csv_row

POOL = "arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_AbCdEf123"
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
LOGS = Path(__file__).parent / "preflight" / "logs"


def _audit() -> AuditResult:
    source = AuthDetailsSource(asset("auth_details", "account.json"))
    target = AuditTarget(
        lambda_role=source.get_role("TestingMigration-role"),
        logs_role=source.get_role("CognitoImportLogs"),
        user_pool_arn=POOL,
    )
    return run_checks(target)


def _fix() -> FixReport:
    source = AuthDetailsSource(asset("auth_details", "account.json"))
    roles = [source.get_role("TestingMigration-role"), source.get_role("CognitoImportLogs")]
    return FixReport(plan_fixes(_audit().findings, roles))


def _who_can() -> WhoCanReport:
    source = AuthDetailsSource(asset("auth_details", "account.json"))
    return WhoCanReport(who_can(source, "cognito-idp:AdminInitiateAuth", POOL))


def _simulate(tmp_path: Path, action: str) -> SimulateReport:
    path = tmp_path / "policy.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
        encoding="utf-8",
    )
    policy = load_policy_file(path, PolicyKind.INLINE)
    question = SimulateQuestion(action=action, resource="*", policies=(policy,))
    return SimulateReport(simulate(question), action, "*")


def _log_line(error: str) -> str:
    path = LOGS / f"{error}.txt"
    assert path.exists()
    lines = path.read_text("utf-8").splitlines()
    return next(line for line in lines if line.strip() and not line.startswith("#"))


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Result]]:
    """Each kind of result, from real inputs, failing and clean where the command can fail."""
    tmp_path = tmp_path_factory.mktemp("results")
    expired = ImportJob("import-old", "old", "eu-central-1_AbCdEf123", JobStatus.EXPIRED)
    expiring = ImportJob(
        "import-x", "x", "eu-central-1_AbCdEf123", JobStatus.CREATED, created=NOW - timedelta(1)
    )
    done = ImportJob(
        "import-y", "y", "eu-central-1_AbCdEf123", JobStatus.SUCCEEDED, created=NOW, imported=2
    )
    broken = FunctionPackage(
        handler="lambda_function.lambda_handler",
        runtime="python3.12",
        code=make_zip({"other.py": "def f(event):\n    return event\n"}),
        name="broken.zip",
    )
    calls = make_zip(
        {"app.py": "import boto3\n\ndef handler(e, c):\n    boto3.client('s3').list_buckets()\n"}
    )
    return {
        "audit": [_audit(), AuditResult.of([])],
        "fix": [_fix(), FixReport(FixPlan(()))],
        "who-can": [_who_can()],
        "simulate": [_simulate(tmp_path, "s3:GetObject"), _simulate(tmp_path, "s3:PutObject")],
        "csv check": [
            check_csv(io.BytesIO(csv_bytes([csv_row(), csv_row()])), make_pool(), max_per_rule=0),
            check_csv(
                io.BytesIO(csv_bytes([csv_row(), csv_row(cognito__username="u2")])), make_pool()
            ),
        ],
        "jobs": [
            diagnose_jobs([expiring, expired], now=NOW, pool_id="eu-central-1_AbCdEf123"),
            diagnose_jobs([done], now=NOW, pool_id="eu-central-1_AbCdEf123"),
        ],
        "lambda check": [check_function(broken, lookup=None)],
        "lambda calls": [
            facts_for(files_from_zip(calls, "calls.zip"), "calls.zip", {}, place_of(None))
        ],
        "logs diagnose": [
            diagnose([LogEvent(_log_line("AccessDeniedException"))]),
            diagnose([LogEvent("START RequestId: 1 Version: $LATEST")]),
        ],
    }


@pytest.fixture(scope="module")
def every(found: dict[str, list[Result]]) -> list[Result]:
    return [result for results in found.values() for result in results]


def test_every_command_result_serves_the_protocol(found: dict[str, list[Result]]) -> None:
    assert sorted(found) == sorted(kind.value for kind in ResultKind)
    for kind, results in found.items():
        for result in results:
            assert isinstance(result, Result)
            assert result.kind.value == kind


def test_json_is_the_payload_for_every_kind(every: list[Result]) -> None:
    for result in every:
        text = renderer_for(OutputFormat.JSON).render(result)
        assert json.loads(text) == result.as_dict()
        # one encoding for every command: what the preflight reports always wrote
        assert text == json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"


def test_the_table_shows_every_kind(every: list[Result]) -> None:
    for result in every:
        text = renderer_for(OutputFormat.TABLE).render(result)
        assert text.endswith("\n")
        if not isinstance(result, AuditResult):  # its view, the notes between lines and summary
            view = text_view(result)
            notes = [f"note: {note}" for note in result.remarks()]
            assert text == "\n".join((*view.lines, *notes, *view.summary)) + "\n"
        for row in result.rows():  # every failing row is in the text a person reads
            if row.status is Status.FAIL:
                assert row.message in text, (result.kind, row)


@pytest.mark.parametrize("fmt", [OutputFormat.SARIF, OutputFormat.JUNIT, OutputFormat.MARKDOWN])
def test_a_format_that_cannot_express_a_kind_is_a_usage_error(
    every: list[Result], fmt: OutputFormat
) -> None:
    for result in every:
        renderer = renderer_for(fmt)
        if isinstance(result, AuditResult):
            assert renderer.render(result)
            continue
        with pytest.raises(UsageError) as caught:
            renderer.render(result)
        assert caught.value.message == f"--format {fmt.value} cannot express a {result.kind} result"


def test_rows_fail_exactly_when_the_command_fails(found: dict[str, list[Result]]) -> None:
    # every command's exit code is read from its result's rows (``outcome.exit_code``)
    codes = {kind: [int(exit_code(x)) for x in v] for kind, v in found.items()}
    assert codes == {
        "audit": [1, 0],
        "fix": [1, 0],  # documents to change: 1, nothing to fix: 0
        "who-can": [0],  # a listing: exit 0 whenever it ran
        "simulate": [0, 1],  # allowed: 0, denied: 1
        "csv check": [1, 0],  # the duplicate counted, though max_per_rule shows none
        "jobs": [1, 0],
        "lambda check": [1],
        "lambda calls": [0],
        "logs diagnose": [1, 0],
    }
    for kind in ("csv check", "jobs", "lambda check", "logs diagnose"):
        # the reports' own verdict ("the import would fail") is the same reading
        assert [int(getattr(r, "failed")) for r in found[kind]] == codes[kind]  # noqa: B009


_OK = Suppression("ok")
_OLD = Suppression("old", "2020-01-01", expired=True)
_E, _W = Severity.ERROR, Severity.WARNING


@pytest.mark.parametrize(
    ("severity", "status", "suppression", "needs", "fail_on", "code"),
    [
        (_E, Status.FAIL, None, None, FailOn.ERROR, 1),
        (_E, Status.FAIL, None, None, FailOn.NEVER, 0),
        (_E, Status.FAIL, _OK, None, FailOn.ERROR, 0),  # suppressed: shown, fails nothing
        (_E, Status.FAIL, _OLD, None, FailOn.ERROR, 1),  # an expired suppression holds nothing
        (_W, Status.FAIL, None, None, FailOn.ERROR, 0),  # below the threshold
        (_W, Status.FAIL, None, None, FailOn.WARNING, 1),
        (_E, Status.WARN, None, None, FailOn.ERROR, 0),
        (_E, Status.WARN, None, None, FailOn.WARNING, 1),
        (_W, Status.WARN, _OK, None, FailOn.WARNING, 0),
        (_E, Status.PASS, None, None, FailOn.WARNING, 0),
        (_E, Status.SKIP, None, None, FailOn.WARNING, 0),  # not applicable
        (_E, Status.SKIP, None, "--source-pool-arn", FailOn.NEVER, 3),  # incomplete
        (_W, Status.SKIP, None, "--source-pool-arn", FailOn.ERROR, 0),  # a warning's skip
        (_E, Status.ERROR, None, None, FailOn.NEVER, 4),  # a check that crashed
        (_E, Status.ERROR, _OK, None, FailOn.ERROR, 4),  # a crash is never suppressed away
    ],
)
def test_an_audit_exits_as_readme_exit_codes_says(
    severity: Severity,
    status: Status,
    suppression: Suppression | None,
    needs: str | None,
    fail_on: FailOn,
    code: int,
) -> None:
    # README "Exit codes": 1 "a result at or above the threshold failed", 3 "an incomplete
    # audit", 4 "a check ... crashed"; the same rule renders the table's and JUnit's verdict
    finding = Finding(
        "COG001",
        "s",
        severity,
        status,
        "arn:aws:iam::1:role/r",
        "m",
        suppression=suppression,
        needs=needs,
    )
    passing = Finding("COG002", "s", Severity.ERROR, Status.PASS, "arn:aws:iam::1:role/r", "ok")
    assert exit_code(AuditResult.of([passing, finding]), fail_on=fail_on) == code


def test_json_text_writes_what_orjson_refuses() -> None:
    # a lone surrogate (a str json.loads makes of "\ud800") is not UTF-8: written escaped
    payload = {"name": "role-\ud800", "n": 2**70}
    assert json.loads(json_text(payload)) == payload
    assert json_text({"name": "José"}) == '{\n  "name": "José"\n}\n'


def _noted(found: dict[str, list[Result]], tmp_path: Path) -> dict[str, Result]:
    """A result of every kind that can have notes, with some: the command's own where it makes
    them, else the kind's notes field given one."""
    audit, calls = found["audit"][0], found["lambda calls"][0]
    simulated = _simulate(tmp_path, "s3:GetObject")
    csv = check_csv(io.BytesIO(csv_bytes([csv_row()])), header_only(STANDARD_HEADER))
    return {
        "audit": dataclasses.replace(audit, notes=("suppression X matched nothing",)),
        "fix": FixReport(FixPlan(()), ("incomplete: COG010 could not run (pass --function-code)",)),
        "who-can": WhoCanReport(
            who_can(AuthDetailsSource(asset("auth_details", "account.json")), "s3:GetObject", "*"),
            notes=("SCPs and RCPs were not evaluated",),
        ),
        "csv check": csv,  # the schema's rules are skipped: one note
        "lambda calls": dataclasses.replace(calls, notes=("code of x: 1 file not read",)),
        "logs diagnose": diagnose([LogEvent("The user import job has expired. " + "x" * 300_000)]),
        "simulate": dataclasses.replace(
            simulated, result=structs.replace(simulated.result, notes=("statement 2 unused",))
        ),
    }


def test_every_kind_shows_its_notes_once_before_its_summary(
    found: dict[str, list[Result]], tmp_path: Path
) -> None:
    """The one path of a result's notes: the table's ``note:`` lines (none with --quiet) and the
    JSON payload; no view, no command prints them on its own (issue 14 item 1)."""
    noted = _noted(found, tmp_path)
    assert set(noted) | {"jobs", "lambda check"} == {kind.value for kind in ResultKind}
    for kind, result in noted.items():
        remarks = result.remarks()
        assert remarks, kind
        lines = renderer_for(OutputFormat.TABLE).render(result).splitlines()
        notes = [line for line in lines if line.startswith("note: ")]
        assert notes == [f"note: {remark}" for remark in remarks], kind
        if notes:  # together, and after them only the summary (the audit: its counts)
            first = lines.index(notes[0])
            assert lines[first : first + len(notes)] == notes, kind
            after = [line for line in lines[first + len(notes) :] if line]
            if isinstance(result, AuditResult):
                assert after == [counts_line(result)], kind
            else:
                assert after == list(text_view(result).summary), kind
        quiet = renderer_for(OutputFormat.TABLE, quiet=True).render(result)
        assert "note: " not in quiet, kind
        payload = renderer_for(OutputFormat.JSON).render(result)
        for remark in remarks:
            assert json.dumps(remark)[1:-1] in payload, (kind, remark)


def test_jobs_and_lambda_check_say_everything_in_their_rows(found: dict[str, list[Result]]) -> None:
    # their notes are per job, per check: rows, not remarks
    for kind in ("jobs", "lambda check"):
        for result in found[kind]:
            assert result.remarks() == ()
