"""The ``iam-audit`` command line: parse, call, render, exit. No IAM knowledge lives here."""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer.main

from iam_audit import __version__
from iam_audit.cli import options as opt
from iam_audit.cli.common import emit, handle_errors, parse_pairs, report_crashes, sessions
from iam_audit.cli.conventions import config_of, conventions_everywhere
from iam_audit.inputs import refuse_overlap
from iam_audit.render import OutputFormat, TextFormat
from iam_audit.render.escape import for_terminal
from iam_audit.results import FailOn

if TYPE_CHECKING:
    from typer.models import CommandInfo

app = typer.Typer(
    name="iam-audit",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Find and fix the IAM misconfigurations that break Amazon Cognito user imports.",
)


def _version(value: bool) -> None:
    if value:
        from iam_audit.awsdata import data_summary

        typer.echo(f"iam-audit {__version__}\n{data_summary()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Find and fix the IAM misconfigurations that break Amazon Cognito user imports."""


FormatOpt = opt.FormatOpt
TextFormatOpt = opt.TextFormatOpt
OutputOpt = opt.OutputOpt
FailOnOpt = opt.FailOnOpt
ConfigOpt = opt.ConfigOpt


@app.command()
@handle_errors
@opt.option_groups
def audit(
    ctx: typer.Context,
    sources: opt.SourceOptions = opt.NO_SOURCE_OPTIONS,
    org: opt.OrgOptions = opt.NO_ORG_OPTIONS,
    fmt: FormatOpt = OutputFormat.TABLE,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.ERROR,
    config: ConfigOpt = None,
    skip: opt.SkipOpt = None,
    quiet: opt.QuietOpt = False,
) -> None:
    """Audit the migration Lambda role and the CSV-import logs role."""
    from iam_audit.audit import run_planned
    from iam_audit.config import suppress, without_checks
    from iam_audit.fix import reads_templates
    from iam_audit.outcome import exit_code
    from iam_audit.render import renderer_for

    refuse_overlap([*sources.input_files(), ("--config", config)], [("--output", output)])
    resolved = opt.resolve(sources, org, read_organization=True, sessions=sessions(ctx))
    result = run_planned(resolved.planned, notes=resolved.notes)
    result = suppress(without_checks(result, skip or ()), config_of(ctx))
    if reads_templates(resolved.source, resolved.planned):  # else there is nothing to change
        from iam_audit.fix.iac import attach_template_fixes, template_changes

        changes = template_changes(result, resolved.planned, resolved.source)
        result = attach_template_fixes(result, changes)
    emit(renderer_for(fmt, fail_on=fail_on, quiet=quiet).render(result), output)
    report_crashes(result.findings)
    raise typer.Exit(int(exit_code(result, fail_on=fail_on)))


@app.command()
@handle_errors
@opt.option_groups
def fix(
    ctx: typer.Context,
    sources: opt.SourceOptions = opt.NO_SOURCE_OPTIONS,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="Also write each fixed document to DIR.")
    ] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Write the fixes to AWS.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    backup_dir: Annotated[
        Path, typer.Option("--backup-dir", help="Where --apply saves what it replaces.")
    ] = Path("iam-audit-backups"),
    fmt: TextFormatOpt = TextFormat.TABLE,
) -> None:
    """Show the minimal fixed policies (preview); with --apply, write them safely."""
    from iam_audit.audit import run_planned
    from iam_audit.findings import incomplete_notes
    from iam_audit.fix.emit import FixReport, write_plan
    from iam_audit.fix.plan import plan_fixes
    from iam_audit.outcome import exit_code
    from iam_audit.render import renderer_for
    from iam_audit.results import fails

    read = sources.input_files()
    refuse_overlap(read, [("--out-dir", out_dir)])
    refuse_overlap(read, [("--backup-dir", backup_dir)])
    resolved = opt.resolve(sources, sessions=sessions(ctx))
    result = run_planned(resolved.planned)
    chain_roles = [r for item in resolved.planned for r in item.target.chain_roles]
    plan = plan_fixes(result.findings, [*resolved.roles, *chain_roles])
    incomplete = incomplete_notes(result)
    homes = {r.account_id for r in resolved.roles}
    elsewhere = {r.arn for r in chain_roles if r.account_id not in homes}
    if apply and elsewhere:  # another account's roles: these credentials cannot write them
        from iam_audit.fix.plan import FixPlan

        plan = FixPlan(tuple(a for a in plan.actions if a.role_arn not in elsewhere))
        typer.echo(
            "note: fixes for " + ", ".join(sorted(elsewhere)) + " are in another account: "
            "preview them without --apply and apply them with that account's credentials",
            err=True,
        )
    if apply:
        from iam_audit.cli.apply import apply_command

        code = apply_command(
            plan,
            resolved.source,
            resolved.selection,
            yes=yes,
            backup_dir=backup_dir,
            fmt=fmt,
            audited=result,
        )
        raise typer.Exit(int(code))
    from iam_audit.fix.iac import template_changes as compute_template_changes

    template_changes = compute_template_changes(result, resolved.planned, resolved.source)
    report = FixReport(plan, tuple(incomplete), template_changes)
    emit(renderer_for(fmt).render(report), None)
    if out_dir is not None:
        for path in write_plan(plan, out_dir, read):
            typer.echo(f"wrote {for_terminal(path)}", err=True)
    # a check that crashed (4) or could not run (3) is never "nothing to fix"
    report_crashes(result.findings)
    raise typer.Exit(int(exit_code(result, fail_on=FailOn.NEVER, failed=fails(report))))


@app.command()
@handle_errors
def rollback(
    ctx: typer.Context,
    backup_file: Annotated[Path, typer.Argument(help="A backup written by fix --apply.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    profile: opt.Profile = None,
    region: opt.Region = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Also restore documents changed since the apply wrote them."),
    ] = False,
) -> None:
    """Restore the documents a `fix --apply` run replaced, exactly as they were."""
    from iam_audit.cli.apply import rollback_command

    raise typer.Exit(
        int(
            rollback_command(
                backup_file,
                yes=yes,
                profile=profile,
                region=region,
                force=force,
                sessions=sessions(ctx),
            )
        )
    )


@app.command()
@handle_errors
@opt.option_groups
def simulate(
    action: Annotated[str, typer.Option("--action", help="The action, e.g. s3:GetObject.")],
    resource: Annotated[str, typer.Option("--resource", help="The resource ARN (or *).")],
    policy: Annotated[
        list[Path] | None, typer.Option("--policy", help="Identity policy file (repeatable).")
    ] = None,
    boundary: Annotated[
        Path | None, typer.Option("--boundary", help="Permissions boundary policy file.")
    ] = None,
    caller_arn: Annotated[
        str | None, typer.Option("--caller-arn", help="The principal making the request.")
    ] = None,
    resource_policy: Annotated[
        Path | None,
        typer.Option("--resource-policy", help="Resource or trust policy file."),
    ] = None,
    principal_service: Annotated[
        str | None,
        typer.Option(
            "--principal-service", help="Service principal, e.g. cognito-idp.amazonaws.com."
        ),
    ] = None,
    context: Annotated[
        list[str] | None,
        typer.Option(
            "--context", help="Request context KEY=VALUE (repeatable; the whole request)."
        ),
    ] = None,
    org: opt.OrgOptions = opt.NO_ORG_OPTIONS,
    fmt: TextFormatOpt = TextFormat.TABLE,
    trust_policy: Annotated[
        Path | None,
        typer.Option(
            "--trust-policy",
            help="The role's trust policy: the question is then whether the caller may assume it.",
        ),
    ] = None,
) -> None:
    """Answer one question offline: may this principal do ACTION on RESOURCE?

    Exit 0 when allowed, 1 when denied.
    """
    from iam_audit.model import PolicyKind
    from iam_audit.outcome import exit_code
    from iam_audit.render import renderer_for
    from iam_audit.simulate import (
        SimulateQuestion,
        SimulateReport,
        action_warning,
        load_policy_file,
        resource_policy_kind,
    )
    from iam_audit.simulate import simulate as run_simulation

    warning = action_warning(action)
    if warning:
        typer.echo(warning, err=True)
    pairs = parse_pairs(context, "--context")
    question = SimulateQuestion(
        action=action,
        resource=resource,
        policies=tuple(load_policy_file(p, PolicyKind.INLINE) for p in policy or ()),
        boundary=load_policy_file(boundary, PolicyKind.BOUNDARY) if boundary else None,
        caller_arn=caller_arn,
        resource_policy=(
            load_policy_file(resource_policy, resource_policy_kind(action, resource))
            if resource_policy
            else None
        ),
        principal_service=principal_service,
        context=tuple((k, tuple(v)) for k, v in sorted(pairs.items())),
        organization=opt.organization(org)[0],
        trust_policy=load_policy_file(trust_policy, PolicyKind.TRUST) if trust_policy else None,
    )
    result = run_simulation(question)
    report = SimulateReport(result, action, resource, caller_arn or principal_service or "")
    emit(renderer_for(fmt).render(report), None)
    raise typer.Exit(int(exit_code(report)))


@app.command()
@handle_errors
def checks(fmt: TextFormatOpt = TextFormat.TABLE) -> None:
    """List the check catalogue (id, slug, severity, summary)."""
    import json

    from iam_audit.checks import catalogue

    metas = catalogue()
    if fmt is TextFormat.JSON:
        data = [
            {
                "id": m.id,
                "slug": m.slug,
                "severity": m.severity.value,
                "role": m.role_kind.value,
                "fixability": m.fixability.value,
                "summary": m.summary,
            }
            for m in metas
        ]
        emit(json.dumps(data, indent=2), None)
        return
    width = max(len(m.slug) for m in metas)
    emit(
        "\n".join(f"{m.id}  {m.slug:<{width}}  {m.severity.value:<7}  {m.summary}" for m in metas),
        None,
    )


@app.command()
@handle_errors
def demo() -> None:
    """Run the whole story on an embedded moto account (no AWS account needed)."""
    from iam_audit.cli.demo import run_demo

    raise typer.Exit(int(run_demo()))


def _register_extensions() -> None:
    """Commands that live in their own modules."""
    from iam_audit.cli import preflight, scale

    preflight.register(app)
    scale.register(app)


_register_extensions()
conventions_everywhere(app)  # after every command is registered


def app_for(args: Sequence[str]) -> typer.Typer:
    """``app``, or, when ``args`` starts with the name of one of its commands or command groups
    (``who-can``, ``csv``), a copy of ``app`` that holds that one alone.

    Typer turns every registered command into a Click command before it runs any (about 10 ms
    here, a tenth of a ``who-can`` run), and a command line runs one. The copy shares the root
    callback (``--version``) and the command's own registration, so the command parses, helps,
    errs and exits exactly as it does in ``app``; anything else (``--help``, ``--version``, no
    arguments, a misspelt name that Click suggests a command for) gets ``app`` itself.
    """
    name = args[0] if args else None
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    alone = copy.copy(app)
    alone.registered_commands = commands
    alone.registered_groups = groups
    return alone


def _command_name(info: CommandInfo) -> str | None:
    """The name a command is called by: its own, or Typer's from its function's name."""
    if info.name or info.callback is None:
        return info.name
    return typer.main.get_command_name(info.callback.__name__)


def main() -> None:
    """Console-script entry point: the command line's command, built alone (:func:`app_for`)."""
    app_for(sys.argv[1:])()
