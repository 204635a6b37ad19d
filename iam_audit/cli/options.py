"""Options shared by ``audit``, ``fix`` and ``scan``, and building a source from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from iam_audit.errors import InputError
from iam_audit.findings import FailOn
from iam_audit.render.interface import OutputFormat, TextFormat

if TYPE_CHECKING:  # the check registry is imported only by the commands that run checks
    from iam_audit.model import OrgPolicies, Role
    from iam_audit.select import Planned, Selection
    from iam_audit.sources.interface import Source

SELECT = "Select"
SOURCE = "Source"

LambdaRole = Annotated[
    str | None,
    typer.Option(
        "--lambda-role",
        help="The migration Lambda's execution role (name or ARN).",
        rich_help_panel=SELECT,
    ),
]
LogsRole = Annotated[
    str | None,
    typer.Option(
        "--logs-role",
        help="The CSV-import CloudWatch Logs role (name or ARN).",
        rich_help_panel=SELECT,
    ),
]
UserPoolArn = Annotated[
    str | None,
    typer.Option(
        "--user-pool-arn", help="The pool users are imported into.", rich_help_panel=SELECT
    ),
]
UserPoolId = Annotated[
    str | None,
    typer.Option(
        "--user-pool-id",
        help="The import pool by ID (account from the source).",
        rich_help_panel=SELECT,
    ),
]
SourcePoolArn = Annotated[
    str | None,
    typer.Option(
        "--source-pool-arn",
        help="The pool the Lambda calls AdminInitiateAuth on (default: --user-pool-arn).",
        rich_help_panel=SELECT,
    ),
]
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="AWS region (live), or ${AWS::Region} for templates.",
        rich_help_panel=SELECT,
    ),
]
AccountId = Annotated[
    str | None,
    typer.Option(
        "--account-id", help="${AWS::AccountId} for templates and plans.", rich_help_panel=SELECT
    ),
]
Profile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (live).", rich_help_panel=SOURCE)
]
AuthDetails = Annotated[
    Path | None,
    typer.Option(
        "--authorization-details",
        help="JSON from `aws iam get-account-authorization-details`.",
        rich_help_panel=SOURCE,
    ),
]
Template = Annotated[
    list[Path] | None,
    typer.Option(
        "--template",
        help="CloudFormation or SAM JSON/YAML; repeat for the stacks of one deployment.",
        rich_help_panel=SOURCE,
    ),
]
CdkOut = Annotated[
    Path | None,
    typer.Option(
        "--cdk-out",
        help="A CDK cloud assembly (the cdk.out folder of `cdk synth`): every stack in it.",
        rich_help_panel=SOURCE,
    ),
]
Stacks = Annotated[
    list[str] | None,
    typer.Option(
        "--stack", help="With --cdk-out: only this stack (repeatable).", rich_help_panel=SOURCE
    ),
]
TerraformPlan = Annotated[
    Path | None,
    typer.Option(
        "--terraform-plan", help="JSON of `terraform show -json PLAN`.", rich_help_panel=SOURCE
    ),
]
Parameters = Annotated[
    list[str] | None,
    typer.Option(
        "--parameter", help="Template parameter KEY=VALUE (repeatable).", rich_help_panel=SOURCE
    ),
]

Scp = Annotated[
    list[Path] | None,
    typer.Option(
        "--scp",
        help="SCPs attached at one level of the account's path: a policy document or a JSON list "
        "of them (repeatable: root first, then each OU, then the account). Live: read from AWS "
        "Organizations when allowed.",
        rich_help_panel=SOURCE,
    ),
]
Rcp = Annotated[
    list[Path] | None,
    typer.Option(
        "--rcp",
        help="RCPs attached at one level, as --scp (repeatable: root first, then each OU, then "
        "the account).",
        rich_help_panel=SOURCE,
    ),
]
CODE = "Code"
FunctionCode = Annotated[
    Path | None,
    typer.Option(
        "--function-code",
        help="The migration function's package (zip or folder) to read its SDK calls from.",
        rich_help_panel=CODE,
    ),
]
FunctionEnv = Annotated[
    list[str] | None,
    typer.Option(
        "--env",
        help="The function's environment variable KEY=VALUE (repeatable; overrides the source).",
        rich_help_panel=CODE,
    ),
]
SourceAuthDetails = Annotated[
    Path | None,
    typer.Option(
        "--source-authorization-details",
        help="The source pool account's `get-account-authorization-details` JSON (COG011).",
        rich_help_panel=CODE,
    ),
]
SourceTemplate = Annotated[
    Path | None,
    typer.Option(
        "--source-template",
        help="The source pool account's CloudFormation template of the deployment (COG011).",
        rich_help_panel=CODE,
    ),
]
SourceProfile = Annotated[
    str | None,
    typer.Option(
        "--source-profile",
        help="AWS profile of the source pool's account, read live (COG011).",
        rich_help_panel=CODE,
    ),
]


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


def build_source(
    *,
    authorization_details: Path | None,
    template: list[Path] | None,
    terraform_plan: Path | None,
    parameters: list[str] | None,
    profile: str | None,
    region: str | None,
    account_id: str | None,
    cdk_out: Path | None = None,
    stack: list[str] | None = None,
) -> Source:
    """The one source the options name; live AWS when none is named."""
    templates = template or []
    named = [
        p
        for p in (authorization_details, templates or None, terraform_plan, cdk_out)
        if p is not None
    ]
    if len(named) > 1:
        raise typer.BadParameter(
            "give at most one of --authorization-details, --template, --cdk-out, --terraform-plan"
        )
    if stack and cdk_out is None:
        raise typer.BadParameter("--stack goes with --cdk-out")
    if authorization_details is not None:
        from iam_audit.sources.auth_details import AuthDetailsSource

        # the roles asked about are read (and validated) as they are used, not the whole file
        return AuthDetailsSource(authorization_details, lazy=True)
    if templates or cdk_out is not None:
        from iam_audit.sources.deployment import StackFile, cdk_stacks, load_deployment

        if cdk_out is not None:
            stacks = cdk_stacks(cdk_out, stack or ())
        else:
            stacks = [
                StackFile(_stack_name(p, templates), p, named=len(templates) > 1) for p in templates
            ]
        return load_deployment(
            stacks,
            parameters=_pairs(parameters),
            region=region,
            account_id=account_id,
        )
    if terraform_plan is not None:
        from iam_audit.sources.terraform import load_plan

        return load_plan(terraform_plan, region=region, account_id=account_id)
    from iam_audit.sources.live import LiveSource

    return LiveSource(profile=profile, region=region)


def _stack_name(path: Path, paths: list[Path]) -> str:
    """A template's stack name: its file name without the extension, unless two files share it."""
    stems = [p.stem.removesuffix(".template") for p in paths]
    stem = path.stem.removesuffix(".template")
    return stem if stems.count(stem) == 1 else str(path)


def _pairs(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in values or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--parameter takes KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


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
    scp: list[Path] | None, rcp: list[Path] | None, source: Source | None = None
) -> tuple[OrgPolicies | None, tuple[str, ...]]:
    """The SCPs and RCPs to evaluate: the files given, else (live) AWS Organizations' own.

    Offline sources without ``--scp``/``--rcp`` evaluate none and say nothing; live, a caller
    that may not read AWS Organizations gets a note saying what was not evaluated and why.
    """
    from iam_audit.model import SourceKind
    from iam_audit.sources.organizations import organization_from_files

    found = organization_from_files(scp, rcp)
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


@dataclass(frozen=True, slots=True)
class Resolved:
    """What ``audit`` and ``fix`` work on: the selection, its source, the target and notes."""

    selection: Selection
    source: Source
    planned: tuple[Planned, ...]
    notes: tuple[str, ...]

    @property
    def roles(self) -> list[Role]:
        """Every role under audit, once each."""
        found: dict[str, Role] = {}
        for item in self.planned:
            for role in (item.target.lambda_role, item.target.logs_role):
                if role is not None:
                    found.setdefault(role.arn, role)
        return list(found.values())


def resolve(
    *,
    lambda_role: str | None,
    logs_role: str | None,
    user_pool_arn: str | None,
    user_pool_id: str | None,
    source_pool_arn: str | None,
    region: str | None,
    account_id: str | None,
    profile: str | None,
    authorization_details: Path | None,
    template: list[Path] | None,
    terraform_plan: Path | None,
    parameter: list[str] | None,
    cdk_out: Path | None = None,
    stack: list[str] | None = None,
    scp: list[Path] | None = None,
    rcp: list[Path] | None = None,
    read_organization: bool = False,
    function_code: Path | None = None,
    env: list[str] | None = None,
    source_authorization_details: Path | None = None,
    source_template: Path | None = None,
    source_profile: str | None = None,
) -> Resolved:
    """Options → selection → source → the targets under audit, with the code's calls.

    With ``--scp``/``--rcp`` files, or live when ``read_organization``, every role carries the
    organization policies of its account (:attr:`iam_audit.model.Role.organization`). Each
    target's migration function has its code's SDK calls attached (COG010, COG011).
    """
    import dataclasses

    from iam_audit.codecalls.target import CodeOptions, attach_code
    from iam_audit.select import resolve_targets

    chosen = selection(
        lambda_role, logs_role, user_pool_arn, user_pool_id, source_pool_arn, account_id
    )
    source = build_source(
        authorization_details=authorization_details,
        template=template,
        terraform_plan=terraform_plan,
        parameters=parameter,
        profile=profile,
        region=region,
        account_id=account_id,
        cdk_out=cdk_out,
        stack=stack,
    )
    found = resolve_targets(chosen, source)
    planned, notes = found.planned, list(found.notes)
    if scp or rcp or read_organization:
        from iam_audit.sources.organizations import attach

        policies, org_notes = organization(scp, rcp, source)
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
    given = [o for o in (source_authorization_details, source_template, source_profile) if o]
    if len(given) > 1:
        raise typer.BadParameter(
            "give one of --source-authorization-details, --source-template, --source-profile"
        )
    code = CodeOptions(
        function_code=function_code,
        env=tuple((k, v) for k, _, v in (_env_pair(p) for p in env or ())),
        source_authorization_details=source_authorization_details,
        source_template=source_template,
        source_profile=source_profile,
        profile=profile,
        region=region,
        account_id=account_id,
    )
    with_code = []
    for item in planned:
        target, code_notes = attach_code(item.target, source, code)
        with_code.append(dataclasses.replace(item, target=target))
        notes.extend(n for n in code_notes if n not in notes)
    return Resolved(chosen, source, tuple(with_code), tuple(notes))


def _env_pair(pair: str) -> tuple[str, str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--env takes KEY=VALUE, got {pair!r}")
    return key.strip(), sep, value
