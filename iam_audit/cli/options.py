"""The options commands share, each defined once here, and building a source from them.

A command that reads a source option (``--template``, ``--region``, ``--profile``, ...) takes it
from here, as a group (:class:`SourceOptions`, :class:`OrgOptions`) or as its alias; a test
compares every command's options with these definitions."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar, cast

import typer

from iam_audit.render.interface import OutputFormat, TextFormat
from iam_audit.results import FailOn

if TYPE_CHECKING:  # the check registry is imported only by the commands that run checks
    from iam_audit.aws import SessionFactory
    from iam_audit.codecalls.target import CodeOptions
    from iam_audit.model import OrgPolicies
    from iam_audit.select import Resolved, Selection
    from iam_audit.sources.interface import Source

from iam_audit.cli.common import RunSessions, last_values

P = ParamSpec("P")
R = TypeVar("R")

SELECT = "Select"
SOURCE = "Source"
CODE = "Code"

# Each source option is spelled here once, as a type alias; commands take them as the groups
# below (SourceOptions, OrgOptions), expanded into single options by :func:`option_groups`.
_select = functools.partial(typer.Option, rich_help_panel=SELECT)
_source = functools.partial(typer.Option, rich_help_panel=SOURCE)
_code = functools.partial(typer.Option, rich_help_panel=CODE)

LambdaRole = Annotated[
    str | None,
    _select("--lambda-role", help="The migration Lambda's execution role (name or ARN)."),
]
LogsRole = Annotated[
    str | None, _select("--logs-role", help="The CSV-import CloudWatch Logs role (name or ARN).")
]
UserPoolArn = Annotated[
    str | None, _select("--user-pool-arn", help="The pool users are imported into.")
]
UserPoolId = Annotated[
    str | None,
    _select("--user-pool-id", help="The import pool by ID (account from the source)."),
]
SourcePoolArn = Annotated[
    str | None,
    _select(
        "--source-pool-arn",
        help="The pool the Lambda calls AdminInitiateAuth on (default: --user-pool-arn).",
    ),
]
Region = Annotated[
    str | None,
    _select("--region", help="AWS region (live), or ${AWS::Region} for templates and plans."),
]
AccountId = Annotated[
    str | None,
    _select(
        "--account-id",
        help="${AWS::AccountId} for templates and plans, and of the ARNs the function's code "
        "builds.",
    ),
]
Profile = Annotated[str | None, _source("--profile", help="AWS profile (live).")]
AuthDetails = Annotated[
    Path | None,
    _source(
        "--authorization-details", help="JSON from `aws iam get-account-authorization-details`."
    ),
]
Template = Annotated[
    list[Path] | None,
    _source(
        "--template",
        help="CloudFormation or SAM JSON/YAML; repeat for the stacks of one deployment.",
    ),
]
CdkOut = Annotated[
    Path | None,
    _source(
        "--cdk-out",
        help="A CDK cloud assembly (the cdk.out folder of `cdk synth`): every stack in it.",
    ),
]
Stacks = Annotated[
    list[str] | None, _source("--stack", help="With --cdk-out: only this stack (repeatable).")
]
TerraformPlan = Annotated[
    Path | None, _source("--terraform-plan", help="JSON of `terraform show -json PLAN`.")
]
Parameters = Annotated[
    list[str] | None, _source("--parameter", help="Template parameter KEY=VALUE (repeatable).")
]
Scp = Annotated[
    list[Path] | None,
    _source(
        "--scp",
        help="SCPs attached at one level of the account's path: a policy document or a JSON list "
        "of them (repeatable: root first, then each OU, then the account). Live: read from AWS "
        "Organizations when allowed.",
    ),
]
Rcp = Annotated[
    list[Path] | None,
    _source(
        "--rcp",
        help="RCPs attached at one level, as --scp (repeatable: root first, then each OU, then "
        "the account).",
    ),
]
FunctionCode = Annotated[
    Path | None,
    _code(
        "--function-code",
        help="The migration function's package (zip or folder) to read its SDK calls from.",
    ),
]
FunctionEnv = Annotated[
    list[str] | None,
    _code(
        "--env",
        help="The function's environment variable KEY=VALUE (repeatable; adds to or overrides "
        "its configuration's).",
    ),
]
SourceAuthDetails = Annotated[
    Path | None,
    _code(
        "--source-authorization-details",
        help="The source pool account's `get-account-authorization-details` JSON (COG011).",
    ),
]
SourceTemplate = Annotated[
    Path | None,
    _code(
        "--source-template",
        help="The source pool account's CloudFormation template of the deployment (COG011).",
    ),
]
SourceProfile = Annotated[
    str | None,
    _code("--source-profile", help="AWS profile of the source pool's account, read live (COG011)."),
]


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What to audit and where to read it: the selection, source and code options of ``audit``
    and ``fix``, one field each (a command takes the group; :func:`option_groups`)."""

    lambda_role: LambdaRole = None
    logs_role: LogsRole = None
    user_pool_arn: UserPoolArn = None
    user_pool_id: UserPoolId = None
    source_pool_arn: SourcePoolArn = None
    region: Region = None
    account_id: AccountId = None
    profile: Profile = None
    authorization_details: AuthDetails = None
    template: Template = None
    cdk_out: CdkOut = None
    stack: Stacks = None
    terraform_plan: TerraformPlan = None
    parameter: Parameters = None
    function_code: FunctionCode = None
    env: FunctionEnv = None
    source_authorization_details: SourceAuthDetails = None
    source_template: SourceTemplate = None
    source_profile: SourceProfile = None

    @property
    def deployment(self) -> bool:
        """Whether a deployment is named offline: ``--template``, ``--cdk-out`` or
        ``--terraform-plan`` (what ``lambda calls`` reads the function and its code from)."""
        return bool(self.template) or self.cdk_out is not None or self.terraform_plan is not None

    def code_options(self, sessions: SessionFactory | None = None) -> CodeOptions:
        """The options about the function's code and the source pool's account, as
        :mod:`iam_audit.codecalls.target` takes them (``--env`` given twice: the later wins)."""
        from iam_audit.codecalls.target import CodeOptions

        return CodeOptions(
            function_code=self.function_code,
            env=tuple(last_values(self.env, "--env").items()),
            source_authorization_details=self.source_authorization_details,
            source_template=self.source_template,
            source_profile=self.source_profile,
            profile=self.profile,
            region=self.region,
            account_id=self.account_id,
            sessions=sessions,
        )

    def input_files(self) -> list[tuple[str, Path | None]]:
        """(option, path) of every file these options read, for
        :func:`iam_audit.inputs.refuse_overlap`."""
        return [
            ("--authorization-details", self.authorization_details),
            *(("--template", path) for path in self.template or ()),
            ("--terraform-plan", self.terraform_plan),
        ]


@dataclass(frozen=True, slots=True)
class OrgOptions:
    """``--scp`` and ``--rcp``: the organization policies to evaluate."""

    scp: Scp = None
    rcp: Rcp = None

    @property
    def given(self) -> bool:
        """Whether either option was given."""
        return bool(self.scp or self.rcp)


#: The option groups a command may take as one parameter each (:func:`option_group`).
GROUPS: set[type] = {SourceOptions, OrgOptions}
#: Their defaults, every option not given: ``sources: SourceOptions = NO_SOURCE_OPTIONS``.
NO_SOURCE_OPTIONS = SourceOptions()
NO_ORG_OPTIONS = OrgOptions()

G = TypeVar("G", bound=type)


def option_group(cls: G) -> G:
    """Make the dataclass ``cls`` an option group, like :class:`SourceOptions`: its fields are
    options, each with its typer annotation and default."""
    GROUPS.add(cls)
    return cls


@functools.cache
def _group_fields(kind: type) -> tuple[tuple[str, object, object], ...]:
    """(name, default, annotation) of each field of the option group ``kind``: worked out once
    for every command that takes the group (every command is registered on every run)."""
    hints = typing.get_type_hints(kind, include_extras=True)
    defaults = kind()
    return tuple(
        (f.name, getattr(defaults, f.name), hints[f.name]) for f in dataclasses.fields(kind)
    )


def option_groups(func: Callable[P, R]) -> Callable[P, R]:
    """Let a command take an option group (:data:`GROUPS`) as one parameter.

    Typer sees each field of the group as its own option (its annotation and default, at the
    group's place in the signature); the command is called with the group built from them.
    The expanded signature is worked out when Typer first asks for it (:class:`_Grouped`).
    """
    return cast("Callable[P, R]", _Grouped(func))


class _Grouped:
    """A command that takes option groups, as Typer sees it: its signature, with each group
    expanded into its fields, is worked out on first use (``__signature__``, which
    :func:`inspect.signature` reads), not when the command is registered: every command is
    registered on every run, and a command line builds one (the annotations of a module with
    postponed evaluation are strings, and evaluating those of every command took some 20M
    instructions of each run's start-up)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        functools.update_wrapper(self, func)  # name, doc, module, __wrapped__
        self._func = func
        # its own dict (the function's annotations, postponed), made the expanded ones in place
        # by _expanded: a decorator over this one (handle_errors) shares it, so Typer's
        # get_type_hints then reads objects instead of evaluating the strings a second time
        self.__annotations__ = dict(func.__annotations__)

    @functools.cached_property
    def _expanded(self) -> tuple[inspect.Signature, dict[str, tuple[type, tuple[str, ...]]]]:
        """The signature Typer sees and, for each group parameter, its class and fields."""
        signature = inspect.signature(self._func)
        hints = typing.get_type_hints(self._func, include_extras=True)
        params: list[inspect.Parameter] = []
        groups: dict[str, tuple[type, tuple[str, ...]]] = {}
        for param in signature.parameters.values():
            kind = hints.get(param.name, param.annotation)
            if kind not in GROUPS:
                params.append(param.replace(annotation=kind))
                continue
            fields = _group_fields(kind)
            params.extend(
                inspect.Parameter(name, param.kind, default=default, annotation=annotation)
                for name, default, annotation in fields
            )
            groups[param.name] = (kind, tuple(name for name, _, _ in fields))
        self.__annotations__.clear()
        self.__annotations__.update({p.name: p.annotation for p in params})
        return signature.replace(parameters=params), groups

    @property
    def __signature__(self) -> inspect.Signature:
        return self._expanded[0]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for group, (kind, names) in self._expanded[1].items():
            kwargs[group] = kind(**{name: kwargs.pop(name) for name in names})
        return self._func(*args, **kwargs)


FormatOpt = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", envvar="IAM_AUDIT_FORMAT", case_sensitive=False, help="Output format."
    ),
]
TextFormatOpt = Annotated[
    TextFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to FILE, not stdout.")
]
FailOnOpt = Annotated[
    FailOn,
    typer.Option(
        "--fail-on", case_sensitive=False, help="Exit 1 when a result at or above this level fails."
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Defaults and suppressions (default: the first .iam-audit.toml, or pyproject.toml "
        "with a tool.iam-audit table, from here up to the repository root).",
    ),
]
SkipOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--skip", help="A check not to run, e.g. COG008 (repeatable).", show_default=False
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print failures only: no passing or skipped results, no notes."
    ),
]


def build_source(options: SourceOptions, *, sessions: SessionFactory | None = None) -> Source:
    """The one source the options name; live AWS (a session from ``sessions``) when none is."""
    o = options
    templates = o.template or []
    named = [
        p
        for p in (o.authorization_details, templates or None, o.terraform_plan, o.cdk_out)
        if p is not None
    ]
    if len(named) > 1:
        raise typer.BadParameter(
            "give at most one of --authorization-details, --template, --cdk-out, --terraform-plan"
        )
    if o.stack and o.cdk_out is None:
        raise typer.BadParameter("--stack goes with --cdk-out")
    if o.authorization_details is not None:
        from iam_audit.sources.auth_details import AuthDetailsSource

        # the roles asked about are read (and validated) as they are used, not the whole file
        return AuthDetailsSource(o.authorization_details, lazy=True)
    if templates or o.cdk_out is not None:
        from iam_audit.sources.deployment import StackFile, cdk_stacks, load_deployment

        if o.cdk_out is not None:
            stacks = cdk_stacks(o.cdk_out, o.stack or ())
        else:
            stacks = [
                StackFile(_stack_name(p, templates), p, named=len(templates) > 1) for p in templates
            ]
        return load_deployment(
            stacks,
            parameters=last_values(o.parameter, "--parameter"),
            region=o.region,
            account_id=o.account_id,
        )
    if o.terraform_plan is not None:
        from iam_audit.sources.terraform import load_plan

        return load_plan(o.terraform_plan, region=o.region, account_id=o.account_id)
    from iam_audit.sources.live import LiveSource

    return LiveSource(session=(sessions or RunSessions())(o.profile, o.region), region=o.region)


def _stack_name(path: Path, paths: list[Path]) -> str:
    """A template's stack name: its file name without the extension, unless two files share it."""
    stems = [p.stem.removesuffix(".template") for p in paths]
    stem = path.stem.removesuffix(".template")
    return stem if stems.count(stem) == 1 else str(path)


def selection(
    lambda_role: str | None,
    logs_role: str | None,
    user_pool_arn: str | None,
    user_pool_id: str | None,
    source_pool_arn: str | None,
    account_id: str | None,
) -> Selection:
    from iam_audit.select import Selection

    if user_pool_arn and user_pool_id:
        raise typer.BadParameter("give --user-pool-arn or --user-pool-id, not both")
    return Selection(
        lambda_role=lambda_role,
        logs_role=logs_role,
        user_pool_arn=user_pool_arn,
        user_pool_id=user_pool_id,
        source_pool_arn=source_pool_arn,
        account_id=account_id,
    )


def organization(
    org: OrgOptions, source: Source | None = None
) -> tuple[OrgPolicies | None, tuple[str, ...]]:
    """The SCPs and RCPs to evaluate: the files given, else (live) AWS Organizations' own.

    Offline sources without ``--scp``/``--rcp`` evaluate none and say nothing; live, a caller
    that may not read AWS Organizations gets a note saying what was not evaluated and why.
    """
    from iam_audit.model import SourceKind
    from iam_audit.sources.organizations import organization_from_files

    found = organization_from_files(org.scp, org.rcp)
    if found is not None or source is None or source.kind is not SourceKind.LIVE:
        return found, ()  # offline: only the files evaluate SCPs (boto3 is not even imported)
    from iam_audit.sources.live import LiveSource

    if not isinstance(source, LiveSource):
        return None, ()
    return live_organization(source.session, source.account_id())


def live_organization(
    session: object, account_id: str | None
) -> tuple[OrgPolicies | None, tuple[str, ...]]:
    """AWS Organizations' SCPs and RCPs for ``account_id``, with the note of what was not read."""
    if not account_id:
        return None, ()
    from iam_audit.sources.live import read_live_organization

    found, note = read_live_organization(session, account_id)
    return found, (note,) if note else ()


def resolve(
    options: SourceOptions,
    org: OrgOptions | None = None,
    *,
    read_organization: bool = False,
    sessions: SessionFactory | None = None,
) -> Resolved:
    """Options → selection → source → the targets under audit, with the code's calls.

    With ``--scp``/``--rcp`` files, or live when ``read_organization``, every role carries the
    organization policies of its account (:attr:`iam_audit.model.Role.organization`). Each
    target's migration function has its code's SDK calls attached (COG010, COG011). Live
    sources get their AWS sessions from ``sessions`` (default: the real credential chain).
    """
    from iam_audit.codecalls.target import attach_code
    from iam_audit.select import Resolved, resolve_targets

    org = org or NO_ORG_OPTIONS
    o = options
    chosen = selection(
        o.lambda_role, o.logs_role, o.user_pool_arn, o.user_pool_id, o.source_pool_arn, o.account_id
    )
    source = build_source(o, sessions=sessions)
    found = resolve_targets(chosen, source)
    planned, notes = found.planned, list(found.notes)
    if org.given or read_organization:
        from iam_audit.sources.organizations import attach

        policies, org_notes = organization(org, source)
        planned = tuple(
            dataclasses.replace(
                item,
                target=dataclasses.replace(
                    item.target,
                    lambda_role=attach(item.target.lambda_role, policies),
                    logs_role=attach(item.target.logs_role, policies),
                ),
            )
            for item in planned
        )
        notes = [*notes, *org_notes]
    given = [v for v in (o.source_authorization_details, o.source_template, o.source_profile) if v]
    if len(given) > 1:
        raise typer.BadParameter(
            "give one of --source-authorization-details, --source-template, --source-profile"
        )
    code = o.code_options(sessions)
    with_code = []
    for item in planned:
        target, code_notes = attach_code(item.target, source, code)
        with_code.append(dataclasses.replace(item, target=target))
        notes.extend(n for n in code_notes if n not in notes)
    return Resolved(chosen, source, tuple(with_code), tuple(notes))
