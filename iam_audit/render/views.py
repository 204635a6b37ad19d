"""The table views of the results that are not audits: ``fix``, ``who-can``, ``simulate``,
``csv check``, ``jobs``, ``lambda check``, ``lambda calls``, ``logs diagnose`` (:class:`~iam_audit.render.table.
TableRenderer` shows an audit itself and hands every other kind here).

A view is the result's own lines and its summary line; the notes of every kind
(:meth:`~iam_audit.results.Result.remarks`) are the table renderer's, set between the two.

They show CSV values, job names, completion messages, log lines, ARNs and code that anyone may
have written: every such value goes through :func:`iam_audit.render.escape.for_terminal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, assert_never, cast

from iam_audit.render.escape import for_terminal as _t
from iam_audit.results import Result, ResultKind, Status, WhoCanReport

if TYPE_CHECKING:
    from iam_audit.codecalls.resolve import CodeFacts
    from iam_audit.fix.emit import FixReport
    from iam_audit.fix.iac import IacFix
    from iam_audit.preflight.csvcheck import CsvReport
    from iam_audit.preflight.jobs import JobsReport
    from iam_audit.preflight.lambdacheck import LambdaReport
    from iam_audit.preflight.logsdiag import DiagnosisReport
    from iam_audit.simulate import SimulateReport

__all__ = [
    "View",
    "calls_table",
    "csv_table",
    "diagnoses_table",
    "fix_table",
    "iac_table",
    "jobs_table",
    "lambda_table",
    "simulate_table",
    "text_view",
    "who_can_table",
]


@dataclass(frozen=True, slots=True)
class View:
    """A result's table without its notes: its ``lines``, then its ``summary`` (the last lines,
    which the notes come before)."""

    lines: tuple[str, ...]
    summary: tuple[str, ...] = ()


def _view(lines: list[str], *summary: str) -> View:
    return View(tuple(lines), summary)


def text_view(result: Result, *, quiet: bool = False) -> View:
    """The table view of ``result`` (any kind but an audit); ``quiet``: failures only, where the
    kind has more to leave out."""
    match result.kind:
        case ResultKind.AUDIT:
            raise TypeError("an audit result is shown by TableRenderer itself")
        case ResultKind.WHO_CAN:
            return who_can_table(cast("WhoCanReport", result), quiet=quiet)
        case ResultKind.SIMULATE:
            return simulate_table(cast("SimulateReport", result))
        case ResultKind.CSV:
            return csv_table(cast("CsvReport", result), quiet=quiet)
        case ResultKind.JOBS:
            return jobs_table(cast("JobsReport", result))
        case ResultKind.LAMBDA:
            return lambda_table(cast("LambdaReport", result), quiet=quiet)
        case ResultKind.CALLS:
            return calls_table(cast("CodeFacts", result))
        case ResultKind.LOGS:
            return diagnoses_table(cast("DiagnosisReport", result))
        case ResultKind.FIX:
            return fix_table(cast("FixReport", result))
        case _:
            assert_never(result.kind)


def fix_table(report: FixReport) -> View:
    """Per role: what changes, the diff, and the full fixed document; then what is not fixed
    (never "nothing to fix" when a check could not run: its note says so). For a template, the
    changes to make in it instead (:func:`iac_table`), then the checks they do not cover. Once
    applied, the verifying audit."""
    from iam_audit.fix.emit import label, unified_diff

    if report.applied is not None:
        from iam_audit.render.table import TableRenderer

        verified = TableRenderer(show_fix=False).render(report.applied.verified)
        return _view(["verified after writing:", *verified.rstrip("\n").split("\n")])
    plan = report.plan
    if report.template_changes:
        changes = report.template_changes
        covered = {(c.role_arn, check) for c in changes for check in c.checks}
        left = [
            f"not fixed: {s.check} {_t(s.role_arn)}: {_t(s.reason)}"
            for s in plan.skipped
            if (s.role_arn, s.check) not in covered
        ]
        body, summary = iac_table(changes)
        return View((*body, *summary, *left))
    lines: list[str] = []
    for fix in plan.fixes:
        if not fix.changed:
            continue
        lines.append(
            f"{_t(fix.role_name)}: {_t(label(fix))} ({', '.join(fix.checks)})"
            + (" — new" if fix.before is None else "")
        )
        lines.append(unified_diff(fix, for_display=True).rstrip("\n"))
        lines.append("")
    for skipped in plan.skipped:
        lines.append(f"not fixed: {skipped.check} {_t(skipped.role_arn)}: {_t(skipped.reason)}")
    if not lines and not report.incomplete:
        return _view([], "nothing to fix: every check that iam-audit can fix passes")
    changed = sum(1 for f in plan.fixes if f.changed)
    if report.applying:
        return _view(lines, *([f"{changed} document(s) to write"] if changed else []))
    return _view(
        lines, f"{changed} document(s) to change; nothing was written (run with --apply to write)"
    )


def iac_table(fixes: tuple[IacFix, ...]) -> tuple[list[str], list[str]]:
    """The template changes as text: where, the snippet, and the diff to apply with `patch -p0`;
    then the line that counts them.

    Every value from the template (names, paths, the diff's lines) is escaped for the terminal.
    """
    from iam_audit.fix.iac import iac_target

    lines: list[str] = []
    for fix in fixes:
        name = _t(fix.role_arn.rpartition("/")[2])
        lines.append(f"{name}: add to {_t(iac_target(fix))} ({', '.join(fix.checks)})")
        if fix.note:
            lines.append(f"  note: {_t(fix.note)}")
        lines.extend("  " + _t(line) for line in fix.snippet.rstrip("\n").splitlines())
        if fix.diff:
            lines.extend(_t(line) for line in fix.diff.rstrip("\n").splitlines())
        lines.append("")
    if not fixes:
        return lines, []
    diffs = " (each diff applies with `patch -p0`, in order)" if any(f.diff for f in fixes) else ""
    return lines, [
        f"{len(fixes)} change(s) to make where you deploy from{diffs}; "
        "--apply writes to a live account only"
    ]


def who_can_table(report: WhoCanReport, *, quiet: bool = False) -> View:
    """One line per principal: decision, type, ARN, the policies that allow it and what it
    depends on; then (not when ``quiet``) the counts."""
    from iam_audit.whocan import Access

    result = report.answer
    heads: dict[tuple[object, object], str] = {}  # the decision and type columns, once a pair
    vias: dict[tuple[str, ...], str] = {}  # principals share policies: each list escaped once
    lines = []
    allowed = 0
    for g in result.principals:  # a large account lists thousands
        key = (g.decision, g.type)
        head = heads.get(key) or heads.setdefault(key, f"{g.decision.value:<11} {g.type.value:<4}")
        via = vias.get(g.via)
        if via is None:
            via = vias[g.via] = _t(", ".join(g.via)) or "-"
        line = f"{head} {_t(g.arn)}  via {via}"
        lines.append(
            f"{line}  (depends on {_t(', '.join(g.unresolved))})" if g.unresolved else line
        )
        allowed += g.decision is Access.ALLOWED
    if quiet:
        return _view(lines)
    return _view(
        lines,
        f"{allowed} allowed, {len(result.principals) - allowed} conditional, "
        f"of {result.examined} principals: {_t(result.action)} on {_t(result.resource)}",
    )


def simulate_table(report: SimulateReport) -> View:
    """The decision, the statements that made it, why it is denied, what it depends on."""
    from iam_audit.engine import Decision

    data = report.as_dict()
    lines = [f"{data['decision']}: {_t(report.action)} on {_t(report.resource)}"]
    lines += [
        f"  {_t(m['effect']):<5} {_t(m['policy'])} {_t(m['statement'])}"
        for m in data["matched_statements"]
    ]
    if data.get("decided_by"):
        lines.append(f"  decided by {_t(data['decided_by'])}")
    if data["decision"] == Decision.IMPLICIT_DENY.value and data["reason"]:
        lines.append(f"  denied: {_t(data['reason'])}")
    if data["unresolved"]:
        keys = _t(", ".join(data["unresolved"]))
        lines.append(f"  depends on condition keys not in --context: {keys}")
    return _view(lines)


def csv_table(report: CsvReport, *, quiet: bool = False) -> View:
    """One line per problem shown, a line per truncated rule (not when ``quiet``), the verdict."""
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
    s = report.summary()
    verdict = "the import would fail" if report.failed else "ready to import"
    warn = f", {s['warnings']:,} warnings" if s["warnings"] else ""
    return _view(
        out,
        f"{_t(report.file)}: {s['users']:,} users, {s['rejected_users']:,} would fail, "
        f"{s['errors']:,} errors{warn}: {verdict}",
    )


def jobs_table(report: JobsReport) -> View:
    """Each job with state, age and counts, then its notes and commands."""
    if not report.jobs:
        return _view([], f"user pool {_t(report.pool_id)}: no import jobs")
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
    return _view(out)


def lambda_table(report: LambdaReport, *, quiet: bool = False) -> View:
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
    return _view(out, f"{_t(report.function)}: {failed} failed, {warned} warnings")


def diagnoses_table(report: DiagnosisReport) -> View:
    """Each diagnosis with its count, first time seen, example line and fix."""
    if not report.diagnoses:
        return _view([], f"no known import error in {report.events:,} log events")
    out = []
    for d in report.diagnoses:
        when = f", first {d.first_seen.isoformat()}" if d.first_seen else ""
        out.append(f"{_t(d.error)} ({d.count}x{when})")
        out.append(f"  example: {_t(d.example)}")
        out.append(f"  fix: {_t(d.fix)}")
    return _view(out, f"{len(report.diagnoses)} diagnoses in {report.events:,} log events")


def calls_table(facts: CodeFacts) -> View:
    """One line per IAM action a call needs: where, action, resource (or why it is unresolved)."""
    out: list[str] = []
    width = max((len(c.where) for c in facts.calls), default=0)
    action_width = max((len(c.action) for c in facts.calls), default=0)
    for c in facts.calls:
        if c.resource is not None:
            target = c.resource + (f" ({c.named_by})" if c.named_by else "")
        else:
            target = f"unresolved: {c.unresolved}"
        extra = []
        if c.via is not None:
            extra.append(f"as the role assumed at {c.via.where}")
        if c.call.implicit:
            extra.append("made by the SDK's credentials provider")
        suffix = f"  [{'; '.join(extra)}]" if extra else ""
        out.append(_t(f"{c.where:<{width}}  {c.action:<{action_width}}  {target}{suffix}"))
    triggers = ", ".join(facts.trigger_sources) or "none found"
    out.append(_t(f"trigger sources: {triggers}"))
    files = len({c.call.file for c in facts.calls})
    actions = "1 IAM action" if len(facts.calls) == 1 else f"{len(facts.calls)} IAM actions"
    where = "1 file" if files == 1 else f"{files} files"
    return _view(out, _t(f"{facts.package}: {actions} from SDK calls in {where}"))
