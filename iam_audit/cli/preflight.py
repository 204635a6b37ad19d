"""Preflight commands: ``csv check``, ``jobs``, ``lambda check``, ``logs diagnose``.

Each command parses options, calls the pure checker in :mod:`iam_audit.preflight` (through
:mod:`iam_audit.preflight.live` when it reads AWS), renders, writes, and exits 0 (clean), 1
(problems that would fail the import), 2 (usage) or 3 (bad input; nothing written).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from iam_audit import inputs
from iam_audit.cli import options as opt
from iam_audit.cli.common import emit, handle_errors, last_values, sessions
from iam_audit.errors import InputError
from iam_audit.outcome import exit_code
from iam_audit.render import TextFormat
from iam_audit.results import Result

__all__ = ["register"]

FunctionOpt = Annotated[
    str | None, typer.Option("--function", help="Live: the migration function's name.")
]
PoolIdOpt = Annotated[
    str | None,
    typer.Option(
        "--user-pool-id", help="The user pool to read live from AWS (in the region its ID names)."
    ),
]


@opt.option_group
@dataclass(frozen=True, slots=True)
class PreflightOptions:
    """The options every preflight command takes: where its report goes, how it reads AWS."""

    fmt: opt.TextFormatOpt = TextFormat.TABLE
    output: opt.OutputOpt = None
    profile: opt.Profile = None
    region: opt.Region = None

    def client(self, ctx: typer.Context, service: str, region: str | None = None) -> Any:
        """A client of ``service`` in ``region`` (default ``--region``) for ``--profile``, from
        the command's session factory (:func:`iam_audit.cli.common.sessions`)."""
        from iam_audit.preflight import live

        where = region if region is not None else self.region
        return live.make_client(service, profile=self.profile, region=where, sessions=sessions(ctx))

    def emit(self, report: Result, *, quiet: bool = False) -> None:
        """Write the report in ``--format`` to ``--output`` (or stdout)."""
        emit(_render(self.fmt, report, quiet=quiet), self.output)


NO_OPTIONS = PreflightOptions()


def _render(fmt: TextFormat, report: Result, *, quiet: bool = False) -> str:
    from iam_audit.render import renderer_for

    return renderer_for(fmt, quiet=quiet).render(report)


@contextmanager
def _atomic(paths: tuple[Path | None, ...]) -> Iterator[tuple[IO[bytes] | None, ...]]:
    """Open temporary files next to ``paths``; move them in place only if the block succeeds."""
    import tempfile  # only `csv check --write-clean/--write-rejects` writes through here

    temps: list[tuple[Path, IO[bytes]] | None] = []
    try:
        for path in paths:
            if path is None:
                temps.append(None)
                continue
            try:
                handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below)
                    dir=path.parent if str(path.parent) else ".",
                    prefix=f".{path.name}.",
                    delete=False,
                )
            except OSError as err:
                raise InputError(f"cannot write {path}: {err.strerror}") from None
            temps.append((path, handle))
        yield tuple(t[1] if t else None for t in temps)
    except BaseException:
        for item in temps:
            if item:
                item[1].close()
                Path(item[1].name).unlink(missing_ok=True)
        raise
    for item in temps:
        if item:
            item[1].close()
            os.replace(item[1].name, item[0])


# -- csv check ------------------------------------------------------------------------------


def csv_check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The user-import CSV file.", show_default=False)],
    user_pool_id: PoolIdOpt = None,
    header_file: Annotated[
        Path | None,
        typer.Option(
            "--header-file",
            help="Offline: the expected header (get-csv-header JSON or the header line); "
            "alone, the rules that need the pool's schema are skipped.",
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(
            "--schema",
            help="Offline, with --header-file: describe-user-pool JSON of the target pool.",
        ),
    ] = None,
    max_per_rule: Annotated[
        int, typer.Option("--max-per-rule", min=0, help="Problems shown per rule.")
    ] = 20,
    write_clean: Annotated[
        Path | None,
        typer.Option("--write-clean", help="Write the header and the importable rows here."),
    ] = None,
    write_rejects: Annotated[
        Path | None,
        typer.Option("--write-rejects", help="Write the header and the failing rows here."),
    ] = None,
    opts: PreflightOptions = NO_OPTIONS,
    quiet: opt.QuietOpt = False,
) -> None:
    """Check a user-import CSV against the pool's header and schema before importing it."""
    from iam_audit.preflight.csvcheck import check_csv
    from iam_audit.preflight.schema import header_only, parse_header_text, pool_schema

    offline = header_file is not None or schema is not None
    if user_pool_id and offline:
        raise typer.BadParameter("use --user-pool-id or --header-file/--schema, not both")
    if not user_pool_id and header_file is None:
        raise typer.BadParameter("give --user-pool-id, or --header-file (and --schema)")
    inputs.refuse_overlap(
        [("the CSV file", file), ("--header-file", header_file), ("--schema", schema)],
        [
            ("--write-clean", write_clean),
            ("--write-rejects", write_rejects),
            ("--output", opts.output),
        ],
    )
    if header_file is not None:
        header_text = inputs.read_text(header_file, "header file", inputs.MAX_JSON)
        header_names = parse_header_text(header_text, f"header file {header_file}")
        if schema is None:  # the header alone: the schema's rules are skipped, with a note
            pool = header_only(header_names)
        else:
            described = inputs.read_json(schema, "schema file")
            if not isinstance(described, dict):
                raise InputError(f"schema file {schema} is not describe-user-pool output")
            pool = pool_schema(described, header_names, f"schema file {schema}")
    else:
        from iam_audit.preflight import live

        assert user_pool_id is not None
        client = opts.client(ctx, "cognito-idp", live.pool_region(user_pool_id, opts.region))
        pool = live.fetch_pool_schema(user_pool_id, client=client)
    with (
        inputs.open_binary(file, "CSV file") as stream,
        _atomic((write_clean, write_rejects)) as (clean, rejects),
    ):
        report = check_csv(
            stream, pool, name=str(file), max_per_rule=max_per_rule, clean=clean, rejects=rejects
        )
    opts.emit(report, quiet=quiet)
    raise typer.Exit(int(exit_code(report)))


# -- jobs -----------------------------------------------------------------------------------


def jobs(
    ctx: typer.Context,
    user_pool_id: Annotated[
        str, typer.Option("--user-pool-id", help="The user pool whose import jobs to list.")
    ],
    opts: PreflightOptions = NO_OPTIONS,
) -> None:
    """List the pool's import jobs and flag expiring, expired, conflicting and failed ones."""
    from iam_audit.errors import IamAuditError
    from iam_audit.preflight import live
    from iam_audit.preflight.jobs import diagnose_jobs, needs_log
    from iam_audit.preflight.logsdiag import DiagnosisReport, diagnose

    region = live.pool_region(user_pool_id, opts.region)
    client = opts.client(ctx, "cognito-idp", region)
    found = live.list_import_jobs(user_pool_id, client=client)
    logs: dict[str, DiagnosisReport | str] = {}
    explain = [j for j in found if needs_log(j)][:_JOB_LOGS]
    if explain:
        logs_client = opts.client(ctx, "logs", region)
        for job in explain:
            try:
                events = live.read_job_log(user_pool_id, job.job_id, client=logs_client)
            except IamAuditError as err:  # the listing stands without the log
                logs[job.job_id] = f"its log stream could not be read: {err.message}"
                continue
            logs[job.job_id] = diagnose(events, context={"pool": user_pool_id})
    report = diagnose_jobs(found, now=datetime.now(UTC), pool_id=user_pool_id, logs=logs)
    opts.emit(report)
    raise typer.Exit(int(exit_code(report)))


#: How many failed jobs (newest first) get their log stream read.
_JOB_LOGS = 3


# -- lambda check ---------------------------------------------------------------------------


def lambda_check(
    ctx: typer.Context,
    function: FunctionOpt = None,
    zip_file: Annotated[
        Path | None, typer.Option("--zip", help="Offline: the deployment package.")
    ] = None,
    handler: Annotated[
        str | None, typer.Option("--handler", help="Offline: MOD.FUNC, as configured.")
    ] = None,
    runtime: Annotated[
        str | None, typer.Option("--runtime", help="Offline: e.g. python3.12, nodejs20.x.")
    ] = None,
    env: opt.FunctionEnv = None,
    opts: PreflightOptions = NO_OPTIONS,
    quiet: opt.QuietOpt = False,
) -> None:
    """Check the migration Lambda's package, handler, referenced IDs and timeout."""
    from iam_audit.preflight.lambdacheck import MAX_ZIP_FILE, FunctionPackage, check_function
    from iam_audit.preflight.nodecheck import node_check

    offline = zip_file is not None or handler is not None or runtime is not None or env
    if function and offline:
        raise typer.BadParameter("use --function, or --zip/--handler/--runtime/--env, not both")
    if not function and (zip_file is None or handler is None or runtime is None):
        raise typer.BadParameter("give --function NAME, or --zip, --handler and --runtime")
    inputs.refuse_overlap([("--zip", zip_file)], [("--output", opts.output)])
    if function:
        from iam_audit.preflight import live

        package = live.load_function(function, client=opts.client(ctx, "lambda"))
        lookup: Any = live.LiveCognitoLookup(lambda r: opts.client(ctx, "cognito-idp", r))
    else:
        assert zip_file is not None
        assert handler is not None
        assert runtime is not None
        package = FunctionPackage(
            handler=handler,
            runtime=runtime,
            code=inputs.read_bytes(
                zip_file, "zip file", MAX_ZIP_FILE, rule="no Lambda package is larger than"
            ),
            name=str(zip_file),
            environment=tuple(sorted(last_values(env, "--env").items())),
        )
        lookup = None
    report = check_function(package, lookup=lookup, node_check=node_check)
    opts.emit(report, quiet=quiet)
    raise typer.Exit(int(exit_code(report)))


# -- lambda calls ---------------------------------------------------------------------------


def lambda_calls(
    ctx: typer.Context,
    function: FunctionOpt = None,
    function_code: opt.FunctionCode = None,
    env: opt.FunctionEnv = None,
    template: opt.Template = None,
    cdk_out: opt.CdkOut = None,
    stack: opt.Stacks = None,
    terraform_plan: opt.TerraformPlan = None,
    parameter: opt.Parameters = None,
    account_id: opt.AccountId = None,
    opts: PreflightOptions = NO_OPTIONS,
) -> None:
    """List the AWS SDK calls in the function's code: file:line, IAM action, resource."""
    from iam_audit.codecalls.load import files_from_zip, read_package
    from iam_audit.codecalls.target import code_facts

    # the source options of `audit`, read by the same reader (opt.build_source)
    sources = opt.SourceOptions(
        function_code=function_code,
        env=env,
        template=template,
        cdk_out=cdk_out,
        stack=stack,
        terraform_plan=terraform_plan,
        parameter=parameter,
        region=opts.region,
        account_id=account_id,
        profile=opts.profile,
    )
    named = [o for o in (function, function_code, template, cdk_out, terraform_plan) if o]
    if len(named) != 1:
        raise typer.BadParameter(
            "give one of --function NAME, --function-code PATH, --template FILE (repeatable), "
            "--cdk-out DIR, --terraform-plan FILE"
        )
    if function and env:
        raise typer.BadParameter("--env is for --function-code; live, the function's is used")
    inputs.refuse_overlap(sources.input_files(), [("--output", opts.output)])
    where = sources.code_options()
    if sources.deployment:
        from iam_audit.codecalls.target import function_files, migration_function

        source = opt.build_source(sources)
        chosen = migration_function(source)
        found = function_files(chosen, source, where)
        if isinstance(found, str):
            raise InputError(found)
        files, name = found
        facts = code_facts(files, name, where, environment=chosen.environment, arn=chosen.arn)
    elif function:
        from iam_audit.codecalls.target import fetch_within_endpoint
        from iam_audit.preflight import live

        client = opts.client(ctx, "lambda")
        package = live.load_function(function, client=client, fetch=fetch_within_endpoint)
        if package.code is None:
            raise InputError(f"function {function} has no zip package (a container image)")
        files = files_from_zip(package.code, function)
        facts = code_facts(files, function, where, environment=package.environment, arn=package.arn)
    else:
        assert function_code is not None
        facts = code_facts(read_package(function_code), str(function_code), where)
    opts.emit(facts)
    raise typer.Exit(int(exit_code(facts)))


# -- logs diagnose --------------------------------------------------------------------------

# compiled on first use (re's own cache of patterns), not at import: only --since needs it
_SINCE = r"(\d+)\s*([smhd])"
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d`` (also ``s``) as a timedelta; usage error otherwise."""
    found = re.fullmatch(_SINCE, text.strip().lower())
    if not found or int(found.group(1)) == 0:
        raise typer.BadParameter(f"{text!r}: use a number and a unit, e.g. 30m, 24h, 7d")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def logs_diagnose(
    ctx: typer.Context,
    user_pool_id: Annotated[
        str | None,
        typer.Option(
            "--user-pool-id", help="Live: read /aws/cognito/userpools/ID/... (import logs)."
        ),
    ] = None,
    function: Annotated[
        str | None, typer.Option("--function", help="Live: read /aws/lambda/NAME.")
    ] = None,
    since: Annotated[
        str, typer.Option("--since", help="Live: how far back to read (30m, 24h, 7d).")
    ] = "24h",
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="Offline: `aws logs filter-log-events` JSON, or text, one event a line."
        ),
    ] = None,
    opts: PreflightOptions = NO_OPTIONS,
) -> None:
    """Recognise the import errors in CloudWatch Logs and print the fix for each."""
    from iam_audit.preflight.logsdiag import diagnose, parse_export

    window = parse_since(since)
    if file is not None and (user_pool_id or function):
        raise typer.BadParameter("use --file, or --user-pool-id/--function, not both")
    if file is None and not (user_pool_id or function):
        raise typer.BadParameter("give --user-pool-id and/or --function, or --file")
    inputs.refuse_overlap([("--file", file)], [("--output", opts.output)])
    context = {k: v for k, v in (("pool", user_pool_id), ("function", function)) if v}
    notes: list[str] = []
    events: Any
    if file is not None:
        events = parse_export(inputs.read_bytes(file, "log file", inputs.MAX_LOG), str(file))
    else:
        events = _live_events(ctx, user_pool_id, function, window, opts, notes)
    report = diagnose(events, context=context)
    # the groups not found are known once the events are read: notes of the report, as its own
    report = dataclasses.replace(report, notes=(*notes, *report.notes))
    opts.emit(report)
    raise typer.Exit(int(exit_code(report)))


def _live_events(
    ctx: typer.Context,
    pool_id: str | None,
    function: str | None,
    window: timedelta,
    opts: PreflightOptions,
    notes: list[str],
) -> Iterator[Any]:
    from iam_audit.preflight import live

    region = live.pool_region(pool_id, opts.region) if pool_id else opts.region
    client = opts.client(ctx, "logs", region)
    start = int((datetime.now(UTC) - window).timestamp() * 1000)
    groups: list[str] = []
    if pool_id:
        prefix = f"/aws/cognito/userpools/{pool_id}/"
        found = live.find_log_groups(prefix, client=client)
        if not found:
            notes.append(
                f"no log group under {prefix}: no import job has logged yet, or the "
                "jobs' CloudWatch Logs role cannot write (checks COG002, COG003)"
            )
        groups.extend(found)
    if function:
        groups.append(f"/aws/lambda/{function}")
    for group in groups:
        try:
            yield from live.read_log_events(group, client=client, start_ms=start)
        except live.NotFoundError:
            notes.append(
                f"log group {group} does not exist: the function has not run, or its "
                "role cannot write logs (check COG005)"
            )


def register(app: typer.Typer) -> None:
    """Add ``csv check``, ``jobs``, ``lambda check`` and ``logs diagnose`` to ``app``."""
    csv_app = typer.Typer(no_args_is_help=True, help="Check user-import CSV files.")
    csv_app.command("check")(handle_errors(opt.option_groups(csv_check)))
    app.add_typer(csv_app, name="csv")
    app.command("jobs")(handle_errors(opt.option_groups(jobs)))
    lambda_app = typer.Typer(no_args_is_help=True, help="Check the user-migration Lambda.")
    lambda_app.command("check")(handle_errors(opt.option_groups(lambda_check)))
    lambda_app.command("calls")(handle_errors(opt.option_groups(lambda_calls)))
    app.add_typer(lambda_app, name="lambda")
    logs_app = typer.Typer(
        no_args_is_help=True, help="Diagnose import errors from CloudWatch Logs."
    )
    logs_app.command("diagnose")(handle_errors(opt.option_groups(logs_diagnose)))
    app.add_typer(logs_app, name="logs")
