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
    from iam_audit.checks.base import AuditTarget
    from iam_audit.select import Selection
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
    Path | None,
    typer.Option(
        "--template",
        help="CloudFormation JSON/YAML (also `cdk synth` output).",
        rich_help_panel=SOURCE,
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
        "--config", help="Suppressions file (default: .iam-audit.toml or pyproject.toml)."
    ),
]


def build_source(
    *,
    authorization_details: Path | None,
    template: Path | None,
    terraform_plan: Path | None,
    parameters: list[str] | None,
    profile: str | None,
    region: str | None,
    account_id: str | None,
) -> Source:
    """The one source the options name; live AWS when none is named."""
    named = [p for p in (authorization_details, template, terraform_plan) if p is not None]
    if len(named) > 1:
        raise typer.BadParameter(
            "give at most one of --authorization-details, --template, --terraform-plan"
        )
    if authorization_details is not None:
        from iam_audit.sources.auth_details import AuthDetailsSource

        return AuthDetailsSource(authorization_details)
    if template is not None:
        from iam_audit.sources.cloudformation import load_template

        return load_template(
            template,
            parameters=_pairs(parameters),
            region=region,
            account_id=account_id,
        )
    if terraform_plan is not None:
        from iam_audit.sources.terraform import load_plan

        return load_plan(terraform_plan, region=region, account_id=account_id)
    from iam_audit.sources.live import LiveSource

    return LiveSource(profile=profile, region=region)


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


@dataclass(frozen=True, slots=True)
class Resolved:
    """What ``audit`` and ``fix`` work on: the selection, its source, the target and notes."""

    selection: Selection
    source: Source
    target: AuditTarget
    notes: tuple[str, ...]


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
    template: Path | None,
    terraform_plan: Path | None,
    parameter: list[str] | None,
    function_code: Path | None = None,
    env: list[str] | None = None,
    source_authorization_details: Path | None = None,
    source_template: Path | None = None,
    source_profile: str | None = None,
) -> Resolved:
    """Options → selection → source → the role pair under audit (with its code's calls)."""
    from iam_audit.codecalls.target import CodeOptions, attach_code
    from iam_audit.select import resolve_target

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
    )
    target, notes = resolve_target(chosen, source)
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
    target, code_notes = attach_code(target, source, code)
    return Resolved(chosen, source, target, (*notes, *code_notes))


def _env_pair(pair: str) -> tuple[str, str, str]:
    key, sep, value = pair.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--env takes KEY=VALUE, got {pair!r}")
    return key.strip(), sep, value
