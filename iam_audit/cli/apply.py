"""``fix --apply`` and ``rollback`` on the terminal: preview, confirm, write, verify."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from iam_audit.errors import ConcurrentChangeError, ExitCode, IamAuditError, InputError, UsageError
from iam_audit.findings import AuditResult, FailOn
from iam_audit.fix.emit import Applied, FixReport
from iam_audit.fix.plan import FixPlan
from iam_audit.model import SourceKind
from iam_audit.outcome import exit_code
from iam_audit.render import TextFormat, renderer_for
from iam_audit.render.escape import for_terminal
from iam_audit.results import fails
from iam_audit.select import Selection
from iam_audit.sources.interface import Source

if TYPE_CHECKING:
    from iam_audit.aws import SessionFactory
    from iam_audit.fix.apply import ApplyReport


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(question: str) -> bool:
    return bool(typer.confirm(question, default=False))


def apply_command(
    plan: FixPlan,
    source: Source,
    selection: Selection,
    *,
    yes: bool,
    backup_dir: Path,
    fmt: TextFormat,
    audited: AuditResult | None = None,
) -> ExitCode:
    """Preview, confirm, write with backup, then audit again and report the verified result.
    ``audited``: the audit the plan came from (a check that crashed or could not run ends the
    command with its code when nothing is written)."""
    from iam_audit.audit import run_planned
    from iam_audit.fix.apply import confirm_or_refuse
    from iam_audit.select import resolve_targets
    from iam_audit.sources.live import LiveSource

    if source.kind is not SourceKind.LIVE or not isinstance(source, LiveSource):
        raise UsageError(
            "--apply writes to AWS and needs the live account; an offline source "
            "(--authorization-details, --template, --terraform-plan) can only be previewed"
        )
    renderer = renderer_for(fmt)
    preview = FixReport(plan, applying=True)
    if plan.empty:
        typer.echo(renderer.render(preview), nl=False)
        typer.echo("nothing to change: the roles already have what iam-audit would add", err=True)
        return exit_code(audited, fail_on=FailOn.NEVER, failed=fails(preview))
    if fmt is TextFormat.TABLE:  # the JSON report is one document, written once at the end
        typer.echo(renderer.render(preview), nl=False)
    if not confirm_or_refuse(yes, _interactive(), _ask, "Write these changes to AWS?"):
        typer.echo("nothing written", err=True)
        return exit_code(failed=True)
    report = _apply(plan, source, backup_dir)
    for fix in report.written:
        what = (
            "trust policy"
            if fix.target == "trust"
            else f"inline policy {for_terminal(fix.policy_name)}"
        )
        typer.echo(f"wrote {for_terminal(fix.role_name)}: {what}", err=True)
    try:
        fresh = LiveSource(session=source.session, region=source.region)
        found = resolve_targets(selection, fresh)
        verified = run_planned(found.planned, notes=found.notes)
    except Exception as err:
        raise _after_write(err, report.backup) from None
    applied = FixReport(plan, applied=Applied(report.backup, verified))
    typer.echo(("\n" if fmt is TextFormat.TABLE else "") + renderer.render(applied), nl=False)
    return exit_code(verified, failed=bool(report.skipped))


def _apply(plan: FixPlan, source: Any, backup_dir: Path) -> ApplyReport:
    """``apply_plan`` printing the backup path as soon as it exists, and every outcome."""
    from iam_audit.fix.apply import ApplyFailed, apply_plan, rollback_command_line

    def announce(path: Path) -> None:
        typer.echo(f"backup: {path} (undo with `{rollback_command_line(path)}`)", err=True)

    try:
        return apply_plan(plan, source.session, backup_dir=backup_dir, on_backup=announce)
    except ApplyFailed as err:
        for line in err.lines():
            typer.echo(line, err=True)
        raise


def _after_write(err: Exception, backup: Path | None) -> IamAuditError:
    """A failure of the verifying audit: the writes stand; one line, exit 3 or 4."""
    from iam_audit import aws
    from iam_audit.fix.apply import AwsCallError

    if isinstance(err, aws.AWS_ERRORS):
        err = aws.translated(err)
    if not isinstance(err, IamAuditError):
        raise err
    return AwsCallError(
        f"the fixes were written (backup: {backup}) but the audit that verifies them failed: "
        f"{err.message}",
        exit_code=err.exit_code,
        advice="run `iam-audit audit` with the same options to verify",
    )


def rollback_command(
    backup_file: Path,
    *,
    yes: bool,
    profile: str | None,
    region: str | None,
    force: bool = False,
    sessions: SessionFactory,
) -> ExitCode:
    """Restore the documents of a backup that still hold what the apply wrote; diff first
    (the AWS session from ``sessions``)."""
    from iam_audit.fix.apply import (
        ApplyFailed,
        Writer,
        caller_account,
        confirm_or_refuse,
        plan_rollback,
        read_backup,
        restore_backup,
        rollback_diff,
    )

    backup = read_backup(backup_file)
    if not backup.entries:
        typer.echo("the backup holds no documents", err=True)
        return exit_code()
    session = sessions(profile, region)
    account = caller_account(session)
    if account != backup.account:
        raise InputError(
            f"{backup_file} was made in account {backup.account}, but the credentials are for "
            f"account {account}; nothing was written"
        )
    writer = Writer(session)
    steps = plan_rollback(backup, writer)
    for step in steps:
        if step.state == "as before":
            typer.echo(f"{step.entry.label}: already as before", err=True)
            continue
        typer.echo(
            f"{step.entry.label}: "
            + ("restore" if step.entry.before is not None else "delete")
            + (" (changed since the apply wrote it)" if step.state == "changed" else "")
        )
        typer.echo(rollback_diff(step).rstrip("\n"))
    changed = [s for s in steps if s.state == "changed"]
    if changed and not force:
        names = ", ".join(s.entry.label for s in changed)
        raise ConcurrentChangeError(
            f"{names} changed since the apply wrote it; nothing was written",
            advice="review the diff above; --force restores it anyway",
        )
    todo = [s for s in steps if s.state != "as before"]
    if not todo:
        typer.echo("nothing to do: every document is already as before", err=True)
        return exit_code()
    if not confirm_or_refuse(yes, _interactive(), _ask, "Restore these documents in AWS?"):
        typer.echo("nothing written", err=True)
        return exit_code(failed=True)
    outcomes, failure = restore_backup(todo, writer, backup_file)
    for outcome in outcomes:
        typer.echo(outcome.line(), err=True)
    if failure is not None:
        raise ApplyFailed(
            f"rollback stopped: {failure.message}",
            exit_code=failure.exit_code,
            outcomes=outcomes,
            backup=backup_file,
            advice=failure.advice,
        )
    typer.echo(f"restored {len(todo)} document(s) from {for_terminal(backup_file)}", err=True)
    return exit_code()
