"""Adding what the function's code calls to an audit target (an edge: reads files, maybe AWS).

The package comes from ``--function-code`` (a zip or a folder), the function's code location
(live), or the local code a template or plan names; the environment from the function's
configuration, overridden by ``--env``. The roles the code assumes are read from the same source
when they are in its account, else from ``--source-authorization-details``, ``--source-template``
(the source account's stack of the same deployment) or ``--source-profile``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from iam_audit.checks.base import AuditTarget
from iam_audit.errors import InputError
from iam_audit.model import LambdaFunction, Role, SourceKind
from iam_audit.sources.interface import Source

if TYPE_CHECKING:  # the code reader is loaded when there is code to read (an audit without
    # any: none of it)
    from iam_audit.aws import SessionFactory
    from iam_audit.codecalls.resolve import CodeFacts, ResolvedCall

__all__ = [
    "CodeOptions",
    "attach_code",
    "code_facts",
    "fetch_within_endpoint",
    "function_files",
    "migration_function",
]


@dataclass(frozen=True, slots=True)
class CodeOptions:
    """The command-line options about the function's code and the source account."""

    function_code: Path | None = None
    env: tuple[tuple[str, str], ...] = ()
    source_authorization_details: Path | None = None
    source_template: Path | None = None
    source_profile: str | None = None
    profile: str | None = None
    region: str | None = None
    account_id: str | None = None
    #: how ``--source-profile``'s session is made (default :func:`iam_audit.aws.make_session`)
    sessions: SessionFactory | None = None


def code_facts(
    files: Mapping[str, bytes],
    name: str,
    options: CodeOptions,
    *,
    environment: Iterable[tuple[str, str]] = (),
    arn: str | None = None,
) -> CodeFacts:
    """The calls of the package ``files`` resolved as the function runs them: under its
    configured ``environment`` with ``--env`` (``options.env``) over it, in the account and
    region of its ``arn`` unless ``--account-id`` and ``--region`` say otherwise. What
    ``lambda calls`` lists and what ``audit`` checks the role against (COG010) are this."""
    from iam_audit.codecalls.facts import facts_for, place_of

    merged = dict(environment)
    merged.update(options.env)
    return facts_for(files, name, merged, place_of(arn, options.region, options.account_id))


def _files(
    target: AuditTarget, source: Source, options: CodeOptions
) -> tuple[dict[str, bytes], str] | str:
    """The package's files and name, or why there are none."""
    if options.function_code is not None:
        from iam_audit.codecalls.load import read_package

        return read_package(options.function_code), str(options.function_code)
    function = target.function
    if function is None:
        return target.code_skip_reason
    return function_files(function, source, options)


def function_files(
    function: LambdaFunction, source: Source, options: CodeOptions
) -> tuple[dict[str, bytes], str] | str:
    """The files of ``function``'s package as ``source`` locates them, or why there are none."""
    if source.kind is SourceKind.LIVE:
        return _live_files(function.arn or function.name, options)
    code_path = function.code_path
    if code_path and Path(code_path).exists():
        from iam_audit.codecalls.load import read_package

        return read_package(Path(code_path)), code_path
    if code_path:
        return (
            f"the code of {function.name} that the {source.kind.value} source names "
            f"({code_path}) is not on disk: build it (cdk synth, terraform plan) or pass "
            "--function-code PATH"
        )
    inline = function.inline_code
    if inline:
        name = "index.py" if (function.runtime or "").startswith("python") else "index.js"
        return {name: inline.encode()}, f"{function.name} (inline code)"
    return (
        f"the {source.kind.value} source does not say where the code of {function.name} is on "
        "disk: pass --function-code PATH"
    )


def fetch_within_endpoint(url: str) -> bytes:
    """Download ``url``, unless ``AWS_ENDPOINT_URL`` names another host (then nothing leaves)."""
    from iam_audit.preflight import live

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint and urlsplit(endpoint).hostname != urlsplit(url).hostname:
        raise InputError(
            f"its code location is outside AWS_ENDPOINT_URL ({urlsplit(url).hostname}), so it "
            "was not downloaded"
        )
    return live.download(url)


def _live_files(name: str, options: CodeOptions) -> tuple[dict[str, bytes], str] | str:
    """The live function's package through its code location, or why it could not be read."""
    from iam_audit.preflight import live

    client = live.make_client(
        "lambda", profile=options.profile, region=options.region, sessions=options.sessions
    )
    try:
        package = live.load_function(name, client=client, fetch=fetch_within_endpoint)
        if package.code is None:
            return f"function {name} is a container image: pass --function-code PATH"
        from iam_audit.codecalls.load import files_from_zip

        return files_from_zip(package.code, name), name
    except InputError as err:  # the audit goes on without the code
        return f"the code of {name} could not be read ({err.message}): pass --function-code PATH"


def _chain_roles(
    facts: CodeFacts, lambda_role: Role, source: Source, options: CodeOptions
) -> tuple[tuple[Role, ...], str, Source | None]:
    """The roles the code assumes, read from the account that holds each, and a skip reason."""
    roles: list[Role] = []
    reasons: list[str] = []
    other: Source | None = None
    for assume in facts.assumptions:
        arn = assume.resource
        if arn is None:
            continue
        account = arn.split(":")[4]
        if account == lambda_role.account_id:
            try:
                roles.append(source.get_role(arn))
            except InputError as err:
                reasons.append(
                    f"role {arn}, which the code assumes, is not in the source ({err.message})"
                )
            continue
        if other is None:
            other = _source_account(options, account, _region_of(facts, assume, options))
        if other is None:
            reasons.append(
                f"role {arn} is in account {account}: pass --source-authorization-details FILE, "
                "--source-template FILE or --source-profile NAME to audit its trust and permissions"
            )
            continue
        found = other.account_id()
        if found and found != account:
            raise InputError(
                f"the source account's side is account {found}, but the code assumes {arn}",
                advice="pass the authorization details (or profile) of the account that holds it",
            )
        roles.append(other.get_role(arn))
    return tuple(roles), "; ".join(reasons), other


def _region_of(facts: CodeFacts, assume: ResolvedCall, options: CodeOptions) -> str | None:
    """``--region``, else the region of what the code calls as the assumed role (its pool)."""
    if options.region:
        return options.region
    for call in facts.through(assume):
        parts = (call.resource or "").split(":")
        if len(parts) > 5 and parts[3]:
            return parts[3]
    return None


def _source_account(options: CodeOptions, account: str, region: str | None) -> Source | None:
    """The source for the source pool's account, from whichever option names it."""
    if options.source_authorization_details is not None:
        from iam_audit.sources.auth_details import AuthDetailsSource

        # the roles asked about are read (and validated) as they are used, not the whole file
        return AuthDetailsSource(options.source_authorization_details, lazy=True)
    if options.source_template is not None:
        from iam_audit.sources.deployment import StackFile, load_deployment

        # read as a deployment of one stack, so its fixes are written in the template's language
        stack = StackFile(options.source_template.stem, options.source_template, named=False)
        return load_deployment([stack], region=region, account_id=account)
    if options.source_profile is not None:
        from iam_audit import aws
        from iam_audit.sources.live import LiveSource

        sessions = options.sessions or aws.make_session
        return LiveSource(
            session=sessions(options.source_profile, options.region), region=options.region
        )
    return None


def attach_code(
    target: AuditTarget, source: Source, options: CodeOptions
) -> tuple[AuditTarget, list[str]]:
    """``target`` with the function's code calls (and the roles they assume), and notes."""
    role = target.lambda_role
    if role is None:
        return target, []
    found = _files(target, source, options)
    if isinstance(found, str):
        return replace(target, code_skip_reason=found), []
    files, name = found
    function = target.function
    facts = code_facts(
        files,
        name,
        options,
        environment=function.environment if function is not None else (),
        arn=function.arn if function is not None and function.arn.startswith("arn:") else role.arn,
    )
    chain, reason, other = _chain_roles(facts, role, source, options)
    notes = [
        f"code of {name}: {len(facts.calls)} IAM actions from its SDK calls (lambda calls lists them)"
    ]
    return (
        replace(
            target, code=facts, chain_roles=chain, chain_skip_reason=reason, chain_source=other
        ),
        notes,
    )


def migration_function(source: Source) -> LambdaFunction:
    """The one migration function a template or plan holds: a pool's UserMigration trigger, or
    the only function; :class:`InputError` otherwise."""
    inventory = source.inventory()
    triggers = {p.migration_lambda_arn for p in inventory.user_pools if p.migration_lambda_arn}
    found = [f for f in inventory.functions if f.arn in triggers or f.name in triggers]
    if not found and len(inventory.functions) == 1:
        found = list(inventory.functions)
    if len(found) != 1:
        names = ", ".join(sorted(f.name for f in inventory.functions)) or "none"
        raise InputError(
            "cannot tell which function is the migration function",
            advice=f"functions in the source: {names}; pass --function-code PATH",
        )
    return found[0]
