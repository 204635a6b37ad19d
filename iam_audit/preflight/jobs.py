"""Import-job diagnosis: which job is stuck, expiring, expired or failed, and what to run next.

Pure: takes ``ListUserImportJobs`` entries and the current time (the CLI passes the clock), returns
notes. The facts it applies (FACTS.md §2): a job in ``Created`` expires if not started "within
24-48 hours" of creation and can then never be started; its upload URL is valid for 15 minutes;
"only one import job can be active at a time per account"; stopped and expired jobs cannot be
restarted; a failed job explains itself in ``CompletionMessage``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, assert_never

from iam_audit.errors import InputError
from iam_audit.preflight import logsdiag
from iam_audit.render.escape import shell_command
from iam_audit.results import ResultKind, Row, Severity, Status, fails

__all__ = [
    "EXPIRY_WARNING_AGE",
    "ImportJob",
    "JobNote",
    "JobStatus",
    "JobsReport",
    "NoteLevel",
    "diagnose_jobs",
    "explain_completion",
    "needs_log",
]

#: A Created job this old is flagged: Cognito expires it 24-48 h after creation.
EXPIRY_WARNING_AGE = timedelta(hours=20)
#: "PreSignedUrl ... is valid for 15 minutes" (CreateUserImportJob).
UPLOAD_URL_LIFETIME = timedelta(minutes=15)


class JobStatus(StrEnum):
    """``UserImportJobStatusType`` in the service model."""

    CREATED = "Created"
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    STOPPING = "Stopping"
    EXPIRED = "Expired"
    STOPPED = "Stopped"
    FAILED = "Failed"
    SUCCEEDED = "Succeeded"

    @property
    def active(self) -> bool:
        """Started and not finished: the states that block another job from starting."""
        match self:
            case JobStatus.PENDING | JobStatus.IN_PROGRESS | JobStatus.STOPPING:
                return True
            case (
                JobStatus.CREATED
                | JobStatus.EXPIRED
                | JobStatus.STOPPED
                | JobStatus.FAILED
                | JobStatus.SUCCEEDED
            ):
                return False
            case _:
                assert_never(self)


class NoteLevel(StrEnum):
    """``error`` fails the run (exit 1); ``warning`` and ``info`` do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class ImportJob:
    """One ``UserImportJobType``; dates are timezone-aware UTC, counts default to 0."""

    job_id: str
    job_name: str
    pool_id: str
    status: JobStatus
    created: datetime | None = None
    started: datetime | None = None
    completed: datetime | None = None
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    completion_message: str = ""
    logs_role_arn: str = ""

    @classmethod
    def from_api(cls, entry: Mapping[str, Any]) -> ImportJob:
        """From one ``UserImportJobs`` entry (boto3 gives datetimes; exported JSON, strings)."""
        try:
            status = JobStatus(entry["Status"])
            return cls(
                job_id=str(entry["JobId"]),
                job_name=str(entry.get("JobName", "")),
                pool_id=str(entry.get("UserPoolId", "")),
                status=status,
                created=_when(entry.get("CreationDate")),
                started=_when(entry.get("StartDate")),
                completed=_when(entry.get("CompletionDate")),
                imported=int(entry.get("ImportedUsers") or 0),
                skipped=int(entry.get("SkippedUsers") or 0),
                failed=int(entry.get("FailedUsers") or 0),
                completion_message=str(entry.get("CompletionMessage") or ""),
                logs_role_arn=str(entry.get("CloudWatchLogsRoleArn") or ""),
            )
        except (KeyError, ValueError, TypeError) as err:
            raise InputError(f"an import job entry is malformed: {err}") from None

    def age(self, now: datetime) -> timedelta | None:
        """Time since creation, or ``None`` when the creation date is unknown."""
        return None if self.created is None else now - self.created


def _when(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class JobNote:
    """Something to act on for one job: a level, the explanation, and the command to run."""

    job_id: str
    level: NoteLevel
    kind: str
    message: str
    command: str | None = None

    def row(self) -> Row:
        """This note as a row of the result protocol (see :meth:`JobsReport.rows`)."""
        match self.level:
            case NoteLevel.ERROR:
                status, severity = Status.FAIL, Severity.ERROR
            case NoteLevel.WARNING:
                status, severity = Status.WARN, Severity.WARNING
            case NoteLevel.INFO:
                status, severity = Status.PASS, Severity.WARNING
            case _:
                assert_never(self.level)
        return Row(self.job_id, self.kind, status, severity, self.message, self.command or "")

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of a note."""
        return {
            "level": self.level.value,
            "kind": self.kind,
            "message": self.message,
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class JobsReport:
    """All jobs (newest first) with their notes, judged at ``now``."""

    kind: ClassVar[ResultKind] = ResultKind.JOBS

    pool_id: str
    now: datetime
    jobs: tuple[ImportJob, ...]
    notes: tuple[JobNote, ...]

    @property
    def failed(self) -> bool:
        """True when a note is at ``error`` level (its row fails)."""
        return fails(self)

    def rows(self) -> tuple[Row, ...]:
        """One row per note: an ``error`` note fails (error severity), a ``warning`` warns, an
        ``info`` note passes (there is nothing to fix); the command to run is the fix."""
        return tuple(note.row() for note in self.notes)

    def remarks(self) -> tuple[str, ...]:
        return ()

    def notes_for(self, job_id: str) -> tuple[JobNote, ...]:
        """The notes about one job, in the order they were made."""
        return tuple(n for n in self.notes if n.job_id == job_id)

    def as_dict(self) -> dict[str, Any]:
        """``{"pool_id", "now", "jobs": [... with "notes"], "summary"}``."""
        jobs = []
        for job in self.jobs:
            age = job.age(self.now)
            jobs.append(
                {
                    "job_id": job.job_id,
                    "job_name": job.job_name,
                    "status": job.status.value,
                    "created": job.created.isoformat() if job.created else None,
                    "age_hours": round(age.total_seconds() / 3600, 1) if age else None,
                    "imported": job.imported,
                    "skipped": job.skipped,
                    "failed": job.failed,
                    "completion_message": job.completion_message or None,
                    "notes": [n.as_dict() for n in self.notes_for(job.job_id)],
                }
            )
        return {
            "pool_id": self.pool_id,
            "now": self.now.isoformat(),
            "jobs": jobs,
            "summary": {
                "jobs": len(self.jobs),
                "errors": sum(1 for n in self.notes if n.level is NoteLevel.ERROR),
                "warnings": sum(1 for n in self.notes if n.level is NoteLevel.WARNING),
            },
        }


@dataclass(frozen=True, slots=True)
class _Known:
    kind: str
    pattern: re.Pattern[str]
    explanation: str


#: CompletionMessage texts that are not among the nine seed errors (those come from the log
#: signatures, so a job's message and a log line are explained by the same data).
_OTHER_COMPLETIONS: tuple[_Known, ...] = (
    _Known(
        "CsvUnparseable",
        re.compile(r"unable to parse the \.?csv", re.I),
        "Cognito could not parse the file (encoding, delimiter, byte-order mark): run "
        "`iam-audit csv check FILE --user-pool-id {pool}`",
    ),
    _Known(
        "PoolDeleted",
        re.compile(r"user pool has been deleted", re.I),
        "the user pool was deleted while the job ran; import into an existing pool",
    ),
    _Known(
        "StoppedByDeveloper",
        re.compile(r"stopped by the developer", re.I),
        "someone stopped the job (stop-user-import-job); a stopped job cannot be restarted",
    ),
    _Known("Succeeded", re.compile(r"completed successfully", re.I), "the job finished"),
)


def explain_completion(message: str, *, pool_id: str, role_arn: str = "") -> tuple[str, str]:
    """(kind, explanation) for a ``CompletionMessage``; kind ``Unknown`` when nothing matches.

    The nine seed errors are recognised by the same signatures as log lines
    (:mod:`iam_audit.preflight.logsdiag`), so ``kind`` is then the seed error's name.
    """
    context = {"pool": pool_id, "logs_role": role_arn or "LOGS_ROLE_ARN"}
    report = logsdiag.diagnose([logsdiag.LogEvent(message)], context=context)
    if report.diagnoses:  # one event: at most one diagnosis
        return report.diagnoses[0].error, report.diagnoses[0].fix
    for known in _OTHER_COMPLETIONS:
        if known.pattern.search(message):
            return known.kind, known.explanation.format(pool=pool_id)
    return (
        "Unknown",
        f"read the job's log stream JOB_ID/JOB_NAME in /aws/cognito/userpools/{pool_id}/"
        f"POOL_NAME, or run `{_diagnose_command(pool_id)}`",
    )


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"


def _diagnose_command(pool_id: str) -> str:
    return shell_command(["iam-audit", "logs", "diagnose", "--user-pool-id", pool_id])


def _start_command(job: ImportJob) -> str:
    return shell_command(
        [
            *("aws", "cognito-idp", "start-user-import-job"),
            *("--user-pool-id", job.pool_id, "--job-id", job.job_id),
        ]
    )


def _stop_command(job: ImportJob) -> str:
    return shell_command(
        [
            *("aws", "cognito-idp", "stop-user-import-job"),
            *("--user-pool-id", job.pool_id, "--job-id", job.job_id),
        ]
    )


def _create_command(job: ImportJob) -> str:
    return shell_command(
        [
            *("aws", "cognito-idp", "create-user-import-job"),
            *("--user-pool-id", job.pool_id, "--job-name", job.job_name or "NAME"),
            *("--cloud-watch-logs-role-arn", job.logs_role_arn or "LOGS_ROLE_ARN"),
        ]
    )


def _superseded(job: ImportJob, jobs: Sequence[ImportJob]) -> bool:
    """True when a later job of the pool succeeded (an old failure is then history)."""
    if job.created is None:
        return False
    return any(
        other.status is JobStatus.SUCCEEDED
        and other.created is not None
        and other.created > job.created
        for other in jobs
    )


def needs_log(job: ImportJob) -> bool:
    """True for a job whose log stream explains something: it failed, or rows failed/skipped."""
    return job.status is JobStatus.FAILED or (
        job.status is JobStatus.SUCCEEDED and (job.failed > 0 or job.skipped > 0)
    )


def diagnose_jobs(
    entries: Iterable[ImportJob],
    *,
    now: datetime,
    pool_id: str,
    logs: Mapping[str, logsdiag.DiagnosisReport | str] | None = None,
) -> JobsReport:
    """Judge every job at time ``now`` (timezone-aware).

    Notes: a ``Created`` job gets the start command, a warning from 20 h of age on ("expires
    within 24-48 h of creation") and a warning when another job is active; ``Expired`` and
    ``Failed`` jobs are errors unless a newer job of the pool succeeded (then ``info``); more
    than one active job is a warning. Only this pool's jobs are listed, while the one-active-job
    limit is per account: the note says so.

    ``logs`` maps a job ID to the diagnosis of its log stream (``JOB_ID/JOB_NAME`` in
    ``/aws/cognito/userpools/POOL_ID/POOL_NAME``), or to the reason it could not be read; each
    becomes an ``info`` note on that job.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    jobs = tuple(
        sorted(
            entries,
            key=lambda j: j.created or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
    )
    notes: list[JobNote] = []
    active = [j for j in jobs if j.status.active]
    for job in jobs:
        notes.extend(_notes(job, jobs, active, now))
        found = (logs or {}).get(job.job_id)
        if isinstance(found, str):
            notes.append(JobNote(job.job_id, NoteLevel.INFO, "LogUnread", found))
        elif found is not None:
            notes.extend(_log_notes(job, found))
    if len(active) > 1:
        notes.append(
            JobNote(
                active[0].job_id,
                NoteLevel.WARNING,
                "several-active",
                f"{len(active)} jobs are active ({', '.join(j.job_id for j in active)}); Cognito "
                "runs one import job at a time per account",
            )
        )
    return JobsReport(pool_id=pool_id, now=now, jobs=jobs, notes=tuple(notes))


def _log_notes(job: ImportJob, report: logsdiag.DiagnosisReport) -> list[JobNote]:
    if report.events == 0:
        return [
            JobNote(
                job.job_id,
                NoteLevel.INFO,
                "LogRead",
                "no log events for this job: Cognito could not write them if its CloudWatch "
                "Logs role lacks permissions or trust (checks COG002, COG003)",
            )
        ]
    if not report.diagnoses:
        return [
            JobNote(
                job.job_id,
                NoteLevel.INFO,
                "LogRead",
                f"its log stream has {report.events} events, none of a known import error",
            )
        ]
    return [
        JobNote(job.job_id, NoteLevel.INFO, d.error, f"log: {d.count}x {d.example} -> {d.fix}")
        for d in report.diagnoses
    ]


def _notes(
    job: ImportJob, jobs: Sequence[ImportJob], active: Sequence[ImportJob], now: datetime
) -> list[JobNote]:
    age = job.age(now)
    history = _superseded(job, jobs)
    old = NoteLevel.INFO if history else NoteLevel.ERROR
    later = " (a newer job succeeded)" if history else ""
    match job.status:
        case JobStatus.CREATED:
            return _created_notes(job, active, age)
        case JobStatus.EXPIRED:
            return [
                JobNote(
                    job.job_id,
                    old,
                    "ImportJobExpired",
                    "the job expired: it was not started within 24-48 hours of creation and "
                    f"cannot be restarted; create a new job{later}",
                    _create_command(job),
                )
            ]
        case JobStatus.FAILED:
            kind, why = explain_completion(
                job.completion_message, pool_id=job.pool_id, role_arn=job.logs_role_arn
            )
            counts = f" ({job.imported} imported, {job.skipped} skipped, {job.failed} failed)"
            return [JobNote(job.job_id, old, kind, f"failed{counts}: {why}{later}")]
        case JobStatus.STOPPED:
            return [
                JobNote(
                    job.job_id,
                    NoteLevel.INFO,
                    "Stopped",
                    "stopped jobs cannot be restarted; create a new job to import the rest",
                )
            ]
        case JobStatus.PENDING | JobStatus.IN_PROGRESS | JobStatus.STOPPING:
            return [
                JobNote(
                    job.job_id,
                    NoteLevel.INFO,
                    "Active",
                    f"{job.status.value}: no other import job can start in this account "
                    "until it ends",
                )
            ]
        case JobStatus.SUCCEEDED:
            if job.failed or job.skipped:
                return [
                    JobNote(
                        job.job_id,
                        NoteLevel.WARNING,
                        "FailedOrSkippedUsers",
                        f"succeeded with {job.failed} failed and {job.skipped} skipped users; "
                        f"see `{_diagnose_command(job.pool_id)}`",
                    )
                ]
            return []
        case _:
            assert_never(job.status)


def _created_notes(
    job: ImportJob, active: Sequence[ImportJob], age: timedelta | None
) -> list[JobNote]:
    notes: list[JobNote] = []
    blocking = [a for a in active if a.job_id != job.job_id]
    if blocking:
        first = blocking[0]
        notes.append(
            JobNote(
                job.job_id,
                NoteLevel.WARNING,
                "ActiveJobConflict",
                f"job {first.job_id} is {first.status.value}; only one import job can be active "
                f"at a time per account: wait for it, or stop it with `{_stop_command(first)}`",
            )
        )
    upload = ""
    if age is not None and age > UPLOAD_URL_LIFETIME:
        upload = (
            "; its upload URL expired 15 minutes after creation, so if the file was not "
            "uploaded yet, create a new job instead"
        )
    if age is not None and age >= EXPIRY_WARNING_AGE:
        notes.append(
            JobNote(
                job.job_id,
                NoteLevel.WARNING,
                "ImportJobExpiring",
                f"created {_hours(age)} ago and never started: Cognito expires a job within "
                f"24-48 h of creation, and an expired job cannot be started; start it now{upload}",
                _start_command(job),
            )
        )
    else:
        notes.append(
            JobNote(
                job.job_id,
                NoteLevel.INFO,
                "NotStarted",
                "created but not started; start it within 24 h of creation"
                f"{upload if upload else ' (after uploading the file)'}",
                _start_command(job),
            )
        )
    return notes
