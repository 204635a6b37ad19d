"""``scan`` (every user pool of an account, region by region) and ``who-can`` (every principal)."""

from __future__ import annotations

import dataclasses
import functools
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from iam_audit.cli import options as opt
from iam_audit.cli.common import emit, handle_errors, report_crashes, sessions
from iam_audit.cli.conventions import config_of
from iam_audit.inputs import paused_gc, read_account, read_ahead, refuse_overlap
from iam_audit.outcome import exit_code
from iam_audit.render import OutputFormat, TextFormat
from iam_audit.render.escape import for_terminal
from iam_audit.results import FailOn

if TYPE_CHECKING:
    from iam_audit.sources.auth_details import AuthDetailsSource, UndecodedSource

__all__ = ["register"]

RegionsOpt = Annotated[
    str | None,
    typer.Option(
        "--regions",
        help="'all' (every region where Cognito user pools exist) or a comma-separated list "
        "(default: the configured region).",
    ),
]

SCAN_HELP = (
    "Audit every user pool of the account: each pool's migration Lambda role, the logs roles its "
    "import jobs name, and who may invoke the trigger.\n\n"
    "IAM is read once (get-account-authorization-details); regions are read concurrently.\n\n"
    "Exit codes: 0 clean; 1 a result at or above --fail-on failed; 3 some region or pool could not "
    "be read (denied, unreachable, or deleted mid-scan) even though the rest was audited, or "
    "nothing could be read; 4 a check crashed. The strictest applies: 4, then 3, then 1."
)

WHO_CAN_HELP = (
    "List every role and user whose own policies allow ACTION on --resource: their inline and "
    "attached policies (and their groups' for users), after explicit Denies and permissions "
    "boundaries.\n\n"
    "'conditional' means the answer depends on condition keys the source cannot resolve (listed "
    "as unresolved). A principal of another account than the resource is never listed: that needs "
    "a resource policy, and who-can reads none. Exit 0 when it ran, 3 on bad input."
)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector (:func:`iam_audit.inputs.paused_gc`): a parsed account is
    millions of containers without a cycle among them, and every automatic collection would walk
    them all again. Afterwards they are frozen (moved out of the collector's generations;
    reference counting still frees them)."""
    with paused_gc():
        try:
            yield
        finally:
            gc.freeze()


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr when it is a terminal; a no-op callback otherwise."""
    if total <= 0 or not sys.stderr.isatty():
        yield lambda _item: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda _item: bar.update(1)


def who_can(
    ctx: typer.Context,
    action: Annotated[
        str,
        typer.Argument(help="One action, e.g. cognito-idp:AdminInitiateAuth.", show_default=False),
    ],
    resource: Annotated[
        str, typer.Option("--resource", help="The resource ARN, e.g. a user pool ARN.")
    ],
    authorization_details: opt.AuthDetails = None,
    profile: opt.Profile = None,
    org: opt.OrgOptions = opt.NO_ORG_OPTIONS,
    fmt: opt.TextFormatOpt = TextFormat.TABLE,
    output: opt.OutputOpt = None,
    quiet: opt.QuietOpt = False,
) -> None:
    """``who-can``: the principals, from a file or the live account (help: WHO_CAN_HELP).

    ``--quiet``: the principals only, without the notes and the summary line."""
    reading = None
    if authorization_details is not None:  # read while the modules below load (36 MB: 25 ms)
        reading = read_ahead(functools.partial(read_account, authorization_details, writable=True))
    from iam_audit.render import renderer_for
    from iam_audit.results import WhoCanReport
    from iam_audit.whocan import check_action
    from iam_audit.whocan import who_can as answer

    check_action(action)
    refuse_overlap([("--authorization-details", authorization_details)], [("--output", output)])
    organization, org_notes = opt.organization(org)
    session = None
    if organization is None and authorization_details is None and not org.given:
        parts = resource.split(":")
        account = parts[4] if len(parts) > 5 and parts[4].isdigit() else None
        session = sessions(ctx)(profile, None)
        organization, org_notes = opt.live_organization(session, account)
    with _collector_paused():
        source: AuthDetailsSource | UndecodedSource
        if reading is not None and authorization_details is not None:
            from iam_audit.sources.auth_details import UndecodedSource

            # each worker decodes it; its read ends here, before the workers are forked
            source = UndecodedSource(authorization_details, reading())
        else:
            from iam_audit.scan import read_authorization_details

            if session is None:
                session = sessions(ctx)(profile, None)
            source = read_authorization_details(session=session)
        result = answer(source, action, resource, organization)
    report = WhoCanReport(result, notes=tuple(org_notes))
    emit(renderer_for(fmt, quiet=quiet).render(report), output)
    raise typer.Exit(int(exit_code()))


def scan(
    ctx: typer.Context,
    regions: RegionsOpt = None,
    region: opt.Region = None,
    profile: opt.Profile = None,
    org: opt.OrgOptions = opt.NO_ORG_OPTIONS,
    fmt: opt.FormatOpt = OutputFormat.TABLE,
    output: opt.OutputOpt = None,
    fail_on: opt.FailOnOpt = FailOn.ERROR,
    config: opt.ConfigOpt = None,
    skip: opt.SkipOpt = None,
    quiet: opt.QuietOpt = False,
) -> None:
    """``scan``: read, audit, render, exit (help and exit codes: SCAN_HELP)."""
    from iam_audit import aws
    from iam_audit.config import suppress, without_checks
    from iam_audit.render import renderer_for
    from iam_audit.scan import resolve_regions
    from iam_audit.scan import scan as run_scan

    refuse_overlap([("--config", config)], [("--output", output)])
    session = sessions(ctx)(profile, region)
    names = resolve_regions(session, regions)
    organization, org_notes = opt.organization(org)
    if organization is None and not org.given:
        identity = aws.call(aws.client(session, "sts", region or None), "sts", "GetCallerIdentity")
        organization, org_notes = opt.live_organization(session, str(identity["Account"]))
    with _collector_paused(), _progress(len(names) + 1, "reading the account") as tick:
        found = run_scan(session, names, progress=tick, organization=organization)
    result = without_checks(found.result, skip or ())
    if org_notes:
        result = dataclasses.replace(result, notes=(*result.notes, *org_notes))
    found = dataclasses.replace(found, result=suppress(result, config_of(ctx)))
    for failure in found.failures:
        typer.echo(f"warning: not read: {for_terminal(failure)}", err=True)
    renderer = renderer_for(fmt, fail_on=fail_on, quiet=quiet, exit_reason=not found.failures)
    emit(renderer.render(found.result), output)
    report_crashes(found.result.findings)
    raise typer.Exit(int(exit_code(found.result, fail_on=fail_on, unread=bool(found.failures))))


def register(app: typer.Typer) -> None:
    """Add ``scan`` and ``who-can`` to ``app``."""
    app.command("scan", help=SCAN_HELP)(handle_errors(opt.option_groups(scan)))
    app.command("who-can", help=WHO_CAN_HELP)(handle_errors(opt.option_groups(who_can)))
