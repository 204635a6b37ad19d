"""``fix --apply`` and ``rollback`` on the terminal: preview, confirm, write, verify."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from iam_audit.errors import ExitCode, UsageError
from iam_audit.findings import FailOn, exit_code_for
from iam_audit.fix.emit import plan_to_dict, render_plan
from iam_audit.fix.plan import FixPlan
from iam_audit.model import SourceKind
from iam_audit.render import TextFormat
from iam_audit.render.escape import for_terminal, shell_command
from iam_audit.select import Selection
from iam_audit.sources.interface import Source


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
) -> ExitCode:
    """Preview, confirm, write with backup, then audit again and report the verified result."""
    from iam_audit.audit import run_checks
    from iam_audit.fix.apply import apply_plan, confirm_or_refuse
    from iam_audit.render.json import result_to_dict
    from iam_audit.render.table import TableRenderer
    from iam_audit.select import resolve_target
    from iam_audit.sources.live import LiveSource

    if source.kind is not SourceKind.LIVE or not isinstance(source, LiveSource):
        raise UsageError(
            "--apply writes to AWS and needs the live account; an offline source "
            "(--authorization-details, --template, --terraform-plan) can only be previewed"
        )
    preview = render_plan(plan, TextFormat.TABLE)
    if plan.empty:
        typer.echo(
            preview.rstrip("\n").replace("nothing was written (run with --apply to write)", "")
        )
        typer.echo("nothing to change: the roles already have what iam-audit would add", err=True)
        return ExitCode.FINDINGS if plan.skipped else ExitCode.OK
    if fmt is TextFormat.TABLE:
        typer.echo(preview.rstrip("\n").rsplit("\n", 1)[0])
    if not confirm_or_refuse(yes, _interactive(), _ask, "Write these changes to AWS?"):
        typer.echo("nothing written", err=True)
        return ExitCode.FINDINGS
    report = apply_plan(plan, source.session, backup_dir=backup_dir)
    for fix in report.written:
        what = (
            "trust policy"
            if fix.target == "trust"
            else f"inline policy {for_terminal(fix.policy_name)}"
        )
        typer.echo(f"wrote {for_terminal(fix.role_name)}: {what}", err=True)
    undo = for_terminal(shell_command(["iam-audit", "rollback", report.backup]))
    typer.echo(f"backup: {for_terminal(report.backup)} (undo with `{undo}`)", err=True)
    fresh = LiveSource(session=source.session, region=source.region)
    target, notes = resolve_target(selection, fresh)
    verified = run_checks(target, notes=notes)
    if fmt is TextFormat.JSON:
        typer.echo(
            json.dumps(
                {
                    "plan": plan_to_dict(plan),
                    "backup": str(report.backup),
                    "verified": result_to_dict(verified),
                },
                indent=2,
            )
        )
    else:
        typer.echo("\nverified after writing:")
        typer.echo(TableRenderer(show_fix=False).render(verified).rstrip("\n"))
    code = exit_code_for(verified, FailOn.ERROR)
    if code is ExitCode.OK and report.skipped:
        return ExitCode.FINDINGS
    return code


def rollback_command(
    backup_file: Path, *, yes: bool, profile: str | None, region: str | None
) -> ExitCode:
    """Restore every document of a backup exactly as it was."""
    from iam_audit.fix.apply import confirm_or_refuse, read_backup, restore_backup
    from iam_audit.sources.live import LiveSource

    backup = read_backup(backup_file)
    for entry in backup.entries:
        action = "restore" if entry.text is not None else "delete"
        what = (
            "trust policy"
            if entry.kind == "trust"
            else f"inline policy {for_terminal(entry.policy_name)}"
        )
        typer.echo(f"{action} {for_terminal(entry.role_name)}: {what}")
    if not backup.entries:
        typer.echo("the backup holds no documents", err=True)
        return ExitCode.OK
    if not confirm_or_refuse(yes, _interactive(), _ask, "Restore these documents in AWS?"):
        typer.echo("nothing written", err=True)
        return ExitCode.FINDINGS
    source = LiveSource(profile=profile, region=region)
    restored = restore_backup(backup, source.session)
    typer.echo(f"restored {len(restored)} document(s) from {for_terminal(backup_file)}", err=True)
    return ExitCode.OK
