"""Text and JSON views of the four preflight reports. Renderers return strings; the CLI writes.

The text views show CSV values, job names, completion messages and log lines that anyone may
have written: every such value goes through :func:`iam_audit.render.escape.for_terminal`. The
JSON views are the exact data.
"""

from __future__ import annotations

import json
from typing import Any

from iam_audit.findings import Status
from iam_audit.preflight.csvcheck import CsvReport
from iam_audit.preflight.jobs import JobsReport
from iam_audit.preflight.lambdacheck import LambdaReport
from iam_audit.preflight.logsdiag import DiagnosisReport
from iam_audit.render.escape import for_terminal as _t

__all__ = ["csv_table", "diagnoses_table", "jobs_table", "lambda_table", "to_json"]


def to_json(data: dict[str, Any]) -> str:
    """Indented JSON with a final newline (key order as built: the documented shapes)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def csv_table(report: CsvReport, *, quiet: bool = False) -> str:
    """One line per problem shown, a note per truncated rule (not when ``quiet``), the verdict."""
    out = []
    for p in report.problems:
        column = f" [{_t(p.column)}]" if p.column else ""
        out.append(f"line {p.line}: {_t(p.rule)}{column}: {_t(p.message)}")
    shown: dict[str, int] = {}
    for p in report.problems:
        shown[p.rule] = shown.get(p.rule, 0) + 1
    for rule_id, count in () if quiet else report.counts:
        if count > shown.get(rule_id, 0):
            out.append(
                f"{_t(rule_id)}: {count - shown.get(rule_id, 0):,} more not shown "
                f"(--max-per-rule raises the limit of {report.max_per_rule})"
            )
    out.extend(_t(note) for note in (() if quiet else report.notes))
    s = report.summary()
    verdict = "the import would fail" if report.failed else "ready to import"
    warn = f", {s['warnings']:,} warnings" if s["warnings"] else ""
    out.append(
        f"{_t(report.file)}: {s['users']:,} users, {s['rejected_users']:,} would fail, "
        f"{s['errors']:,} errors{warn}: {verdict}"
    )
    return "\n".join(out) + "\n"


def jobs_table(report: JobsReport) -> str:
    """Each job with state, age and counts, then its notes and commands."""
    if not report.jobs:
        return f"user pool {_t(report.pool_id)}: no import jobs\n"
    out = [f"user pool {_t(report.pool_id)}: {len(report.jobs)} import job(s)"]
    for job in report.jobs:
        age = job.age(report.now)
        hours = f"{age.total_seconds() / 3600:.1f} h" if age is not None else "?"
        out.append(
            f"{_t(job.job_id)}  {job.status.value:<10} age {hours:<8} imported {job.imported} "
            f"skipped {job.skipped} failed {job.failed}  {_t(job.job_name)}"
        )
        if job.completion_message:
            out.append(f"  CompletionMessage: {_t(job.completion_message)}")
        for note in report.notes_for(job.job_id):
            out.append(f"  {note.level.value}: {_t(note.message)}")
            if note.command:
                out.append(f"    run: {_t(note.command)}")
    return "\n".join(out) + "\n"


def lambda_table(report: LambdaReport, *, quiet: bool = False) -> str:
    """One line per result (``quiet``: per failure or warning): status, the error it guards
    against, where, the message; then the counts."""
    out = []
    for r in report.results:
        if quiet and r.status not in (Status.FAIL, Status.WARN):
            continue
        where = ""
        if r.file:
            where = f" ({_t(r.file)}{f':{r.line}' if r.line else ''})"
        name = f"{_t(r.error)}: " if r.error else ""
        out.append(f"{r.status.value.upper():<4}  {name}{_t(r.message)}{where}")
    failed = sum(1 for r in report.results if r.status is Status.FAIL)
    warned = sum(1 for r in report.results if r.status is Status.WARN)
    out.append(f"{_t(report.function)}: {failed} failed, {warned} warnings")
    return "\n".join(out) + "\n"


def diagnoses_table(report: DiagnosisReport) -> str:
    """Each diagnosis with its count, first time seen, example line and fix."""
    if not report.diagnoses:
        return f"no known import error in {report.events:,} log events\n"
    out = []
    for d in report.diagnoses:
        when = f", first {d.first_seen.isoformat()}" if d.first_seen else ""
        out.append(f"{_t(d.error)} ({d.count}x{when})")
        out.append(f"  example: {_t(d.example)}")
        out.append(f"  fix: {_t(d.fix)}")
    out.append(f"{len(report.diagnoses)} diagnoses in {report.events:,} log events")
    return "\n".join(out) + "\n"
