"""``scan``: every user pool of an account, in one or many regions, audited with one IAM read.

The live edge of the scale commands (boto3 is imported only through :mod:`iam_audit.aws`). What it
reads, and how often, for an account with N roles and P user pools in R regions:

* IAM once: ``get-account-authorization-details``, paginated with ``Marker`` (1,000 items a
  page: about N/1000 calls). Managed policies come once, shared by every role that attaches them.
* Per region: ``list-user-pools`` (60 a page).
* Per pool: ``describe-user-pool``; for a ``UserMigration`` trigger ``get-function-configuration``
  and ``get-policy`` (once per function); ``list-user-import-jobs`` for the logs roles.

So a scan costs O(N/1000 + P + R) calls, never one per role. Regions are read concurrently (one
thread each, clients built up front: boto3 sessions are not thread-safe, clients are); botocore's
adaptive retry mode absorbs throttling. Then every pool's roles are audited with the same checks as
``audit`` and the findings merged into one :class:`~iam_audit.findings.AuditResult`.

Partial failure: a region or pool that cannot be read (denied, unreachable, deleted while the scan
ran) becomes a note naming it, and the rest is still audited; :func:`iam_audit.outcome.exit_code`
then returns 3 (exit 4 for a crashed check still wins). ``list-user-import-jobs`` answering with something that is
not the API (an emulator without it) only loses the logs roles of that pool, said in a note.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.exceptions

from iam_audit import aws
from iam_audit.checks import ALL_CHECKS, Check
from iam_audit.errors import IamAuditError, InputError
from iam_audit.findings import AuditResult, Finding
from iam_audit.model import (
    Inventory,
    LambdaFunction,
    OrgPolicies,
    Origin,
    SourceKind,
    UserPool,
)
from iam_audit.render.escape import redact_url
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.sources.live import read_function

__all__ = [
    "ALL_FILTERS",
    "ROLE_FILTERS",
    "PoolRead",
    "RegionRead",
    "ScanResult",
    "fetch_authorization_pages",
    "read_authorization_details",
    "read_region",
    "resolve_regions",
    "scan",
]

#: ``Filter`` values for the roles a scan audits, and for ``who-can`` (users and groups too).
ROLE_FILTERS = ("Role", "LocalManagedPolicy", "AWSManagedPolicy")
ALL_FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")
#: Where findings of the live authorization details point (there is no file).
LIVE_DETAILS = Path("get-account-authorization-details")

_PAGE_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_UNAVAILABLE = ("ResponseParserError", "ParamValidationError", "UnknownOperationError")


# ---------------------------------------------------------------------------------------------
# IAM, once per account


def fetch_authorization_pages(
    iam: Any, filters: Sequence[str] = ROLE_FILTERS
) -> list[dict[str, Any]]:
    """Every page of ``get-account-authorization-details`` (``MaxItems`` 1000, ``Marker``).

    IAM "might return fewer results, even when there are more results available": the loop follows
    ``IsTruncated``/``Marker`` until the last page, whatever the page sizes.
    """
    pages: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        kwargs: dict[str, Any] = {"Filter": list(filters), "MaxItems": 1000}
        if marker:
            kwargs["Marker"] = marker
        page = aws.call(iam, "iam", "GetAccountAuthorizationDetails", **kwargs)
        pages.append({key: page.get(key) or [] for key in _PAGE_KEYS})
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return pages


def read_authorization_details(
    *,
    profile: str | None = None,
    session: Any = None,
    filters: Sequence[str] = ALL_FILTERS,
) -> AuthDetailsSource:
    """The live account's authorization details as an offline source (documents shared)."""
    session = session or aws.make_session(profile)
    iam = aws.client(session, "iam")
    return AuthDetailsSource(LIVE_DETAILS, data=fetch_authorization_pages(iam, filters))


# ---------------------------------------------------------------------------------------------
# Regions


def resolve_regions(session: Any, regions: str | None) -> tuple[str, ...]:
    """``None``: the configured region; ``"all"``: every region where user pools exist (the SDK's
    endpoint data for ``cognito-idp`` in the session's partition); else a comma-separated list."""
    if regions is None or not regions.strip():
        if not session.region_name:
            raise InputError(
                "no AWS region configured",
                advice="pass --regions, --region or set AWS_DEFAULT_REGION",
            )
        return (session.region_name,)
    if regions.strip().lower() == "all":
        partition = "aws"
        if session.region_name:
            partition = session.get_partition_for_region(session.region_name)
        found = session.get_available_regions("cognito-idp", partition_name=partition)
        if not found:
            raise InputError(f"no region of partition {partition} offers Cognito user pools")
        return tuple(sorted(found))
    names = tuple(dict.fromkeys(r.strip() for r in regions.split(",") if r.strip()))
    known = set(session.get_available_regions("cognito-idp"))
    for partition in ("aws-cn", "aws-us-gov"):
        known.update(session.get_available_regions("cognito-idp", partition_name=partition))
    unknown = [r for r in names if known and r not in known]
    if unknown or not names:
        raise InputError(
            f"--regions: {', '.join(unknown) or regions!r} is not a region with Cognito user pools",
            advice="give region names such as eu-west-1,us-east-1, or 'all'",
        )
    return names


@dataclass(frozen=True, slots=True)
class PoolRead:
    """One user pool as the scan read it."""

    pool: UserPool
    region: str
    function: LambdaFunction | None = None
    notes: tuple[str, ...] = ()
    lambda_skip: str | None = None


@dataclass(frozen=True, slots=True)
class RegionRead:
    """What one region gave: its pools, notes, and the items that could not be read."""

    region: str
    pools: tuple[PoolRead, ...] = ()
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Clients:
    idp: Any
    lam: Any
    quick_idp: Any  # one attempt: list-user-import-jobs may not exist where the scan runs


def _clients(session: Any, region: str) -> _Clients:
    return _Clients(
        idp=aws.client(session, "cognito-idp", region),
        lam=aws.client(session, "lambda", region),
        quick_idp=aws.client(session, "cognito-idp", region, retries=1),
    )


def _why(err: Exception) -> str:
    """Why a region or pool was not read: the one AWS error mapping's line (:func:`aws.translate`)."""
    mapped = aws.translate(err)
    if mapped is not None:
        return mapped.diagnostics().removeprefix("error: ")
    return f"{type(err).__name__}: {redact_url(err)}"


def _import_logs_roles(clients: _Clients, pool_id: str) -> tuple[tuple[str, ...], str | None]:
    """The logs roles the pool's import jobs name, and a note when the API is not there."""
    roles: set[str] = set()
    token: str | None = None
    try:
        for _ in range(10):  # the 600 most recent jobs are plenty to name the logs roles
            kwargs: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
            if token:
                kwargs["PaginationToken"] = token
            page = aws.call(clients.quick_idp, "cognito-idp", "ListUserImportJobs", **kwargs)
            for job in page.get("UserImportJobs") or ():
                if job.get("CloudWatchLogsRoleArn"):
                    roles.add(job["CloudWatchLogsRoleArn"])
            token = page.get("PaginationToken")
            if not token:
                break
    except NotImplementedError as err:
        return (), f"list-user-import-jobs is unavailable here ({err}); logs roles not discovered"
    except aws.ClientError as err:
        code = aws.error_code(err)
        if code not in ("NotImplemented", "InternalFailure", "501", "500", "404"):
            raise
        return (), f"list-user-import-jobs is unavailable here ({code}); logs roles not discovered"
    except Exception as err:  # an endpoint that is not the API (an emulator) answers garbage
        if type(err).__name__ not in _UNAVAILABLE:
            raise
        return (), (
            f"list-user-import-jobs is unavailable here ({type(err).__name__}); logs roles not "
            "discovered"
        )
    return tuple(sorted(roles)), None


def _read_pool(
    clients: _Clients, region: str, pool_id: str, functions: dict[str, LambdaFunction | None]
) -> PoolRead | str:
    """One pool, or why it could not be read (a failure of the scan)."""
    try:
        described = aws.call(clients.idp, "cognito-idp", "DescribeUserPool", UserPoolId=pool_id)
    except aws.ClientError as err:
        if aws.error_code(err) == "ResourceNotFoundException":
            return f"pool {pool_id} ({region}) was deleted while the scan ran; not audited"
        return f"pool {pool_id} ({region}): {_why(err)}"
    except (IamAuditError, botocore.exceptions.BotoCoreError) as err:
        return f"pool {pool_id} ({region}): {_why(err)}"
    data = described["UserPool"]
    arn = str(data.get("Arn") or "")
    trigger = (data.get("LambdaConfig") or {}).get("UserMigration")
    notes: list[str] = []
    function = None
    lambda_skip = None
    try:
        if trigger:
            if trigger not in functions:
                functions[trigger] = read_function(clients.lam, trigger)
            function = functions[trigger]
            if function is None:
                lambda_skip = (
                    f"the pool's UserMigration trigger {trigger} does not exist: every migrating "
                    "sign-in fails"
                )
                notes.append(lambda_skip)
        logs_roles, unavailable = _import_logs_roles(clients, pool_id)
    except (IamAuditError, botocore.exceptions.BotoCoreError, aws.ClientError) as err:
        return f"pool {pool_id} ({region}): {_why(err)}"
    if unavailable:
        notes.append(unavailable)
    pool = UserPool(
        arn=arn,
        pool_id=pool_id,
        origin=Origin(SourceKind.LIVE, arn),
        name=str(data.get("Name") or ""),
        migration_lambda_arn=trigger,
        import_logs_role_arns=logs_roles,
        sms_role_arn=(data.get("SmsConfiguration") or {}).get("SnsCallerArn"),
    )
    return PoolRead(pool, region, function, tuple(notes), lambda_skip)


def read_region(clients: _Clients, region: str) -> RegionRead:
    """Every pool of ``region``; what cannot be read is a failure naming it, never an exception."""
    try:
        ids = [
            str(p["Id"])
            for p in aws.paginate(
                clients.idp, "cognito-idp", "ListUserPools", "UserPools", MaxResults=60
            )
        ]
    except (IamAuditError, botocore.exceptions.BotoCoreError, aws.ClientError) as err:
        return RegionRead(region, failures=(f"region {region}: {_why(err)}",))
    pools: list[PoolRead] = []
    failures: list[str] = []
    functions: dict[str, LambdaFunction | None] = {}
    for pool_id in ids:
        found = _read_pool(clients, region, pool_id, functions)
        if isinstance(found, str):
            failures.append(found)
        else:
            pools.append(found)
    return RegionRead(region, tuple(pools), tuple(failures))


# ---------------------------------------------------------------------------------------------
# The scan


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The merged audit, and what the scan could not read (``failures``)."""

    result: AuditResult
    regions: tuple[str, ...]
    pools: int
    failures: tuple[str, ...] = ()


def _in_pool(finding: Finding, read: PoolRead) -> Finding:
    """A finding as one pool's: its message says which pool, its locator keeps pools apart."""
    label = read.pool.name or read.pool.pool_id
    return dataclasses.replace(
        finding,
        message=f"[{label} {read.region}] {finding.message}",
        locator=f"{read.pool.arn}#{finding.locator}",
    )


def _audit_pool(
    read: PoolRead,
    source: AuthDetailsSource,
    checks: Sequence[type[Check]],
    candidates: tuple[tuple[str, ...], tuple[str, ...]],
    organization: OrgPolicies | None = None,
) -> tuple[list[Finding], list[str]]:
    """The pool's targets from the one target builder (:func:`iam_audit.select.build_targets`),
    exactly as ``audit --user-pool-arn POOL`` builds them, then the checks on each."""
    from iam_audit.audit import run_planned
    from iam_audit.discover import discover
    from iam_audit.select import build_targets
    from iam_audit.sources.organizations import attach

    pool = read.pool
    prefix = f"pool {pool.pool_id} ({read.region})"
    notes = [f"{prefix}: {note}" for note in read.notes if note != read.lambda_skip]
    inventory = Inventory(functions=(read.function,) if read.function else (), user_pools=(pool,))
    absent = {pool.migration_lambda_arn: read.lambda_skip} if read.lambda_skip else {}
    survey = discover(
        inventory,
        user_pool_arn=pool.arn,
        source_pool_arn=None,
        candidates=candidates,
        absent={k: v for k, v in absent.items() if k},
    )
    shared = set(candidates[1])
    for unit in survey.discoveries:
        notes.extend(f"{prefix}: {n}" for n in unit.notes if n not in shared)
    planned = build_targets(
        survey, lambda ref: attach(source.get_role(ref), organization), user_pool_arn=pool.arn
    )
    result = run_planned(planned, checks)
    return [_in_pool(f, read) for f in result.findings], notes


def scan(
    session: Any,
    regions: Sequence[str],
    *,
    checks: Sequence[type[Check]] = ALL_CHECKS,
    progress: Callable[[str], None] | None = None,
    workers: int = 8,
    organization: OrgPolicies | None = None,
) -> ScanResult:
    """Read IAM once and every region concurrently, then audit every pool that imports users.

    A pool with neither a ``UserMigration`` trigger nor an import job is listed in a note and not
    audited (there is nothing of the import path to check). ``progress`` is called, from this
    thread, with each region's name (and ``"iam"``) as its read completes. Raises
    :class:`~iam_audit.errors.AccessError` when IAM cannot be read at all: without the roles
    nothing can be audited. ``organization``: the account's SCPs and RCPs, evaluated for every
    role audited.
    """
    # IAM is global; its client still wants a region when none is configured
    iam = aws.client(session, "iam", session.region_name or (regions[0] if regions else None))
    clients = {region: _clients(session, region) for region in regions}
    reads: list[RegionRead] = []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(regions) + 1))) as executor:
        iam_future = executor.submit(fetch_authorization_pages, iam, ROLE_FILTERS)
        futures: dict[Future[RegionRead], str] = {
            executor.submit(read_region, clients[region], region): region for region in regions
        }
        pages = iam_future.result()  # an AccessError here ends the scan (exit 3)
        if progress:
            progress("iam")
        for future in _completed(futures):
            reads.append(future.result())
            if progress:
                progress(futures[future])
    from iam_audit.discover import COGNITO_SERVICE, logs_role_candidates

    source = AuthDetailsSource(LIVE_DETAILS, data=pages)
    every_pool = tuple(p.pool for read in reads for p in read.pools)
    candidates = logs_role_candidates(
        Inventory(roles=source.trusted_roles(COGNITO_SERVICE), user_pools=every_pool)
    )
    findings: list[Finding] = []
    notes: list[str] = list(candidates[1])
    failures: list[str] = []
    audited = 0
    for read in sorted(reads, key=lambda r: r.region):
        failures.extend(read.failures)
        for pool_read in sorted(read.pools, key=lambda p: p.pool.pool_id):
            pool = pool_read.pool
            # a pool that neither migrates nor imports is not audited: an account-wide logs-role
            # candidate would otherwise be judged against every pool of the account
            if not pool.migration_lambda_arn and not pool.import_logs_role_arns:
                notes.append(
                    f"pool {pool.pool_id} ({read.region}): no UserMigration trigger and no import "
                    "job; nothing to audit"
                    + ("".join(f"; {n}" for n in pool_read.notes) if pool_read.notes else "")
                )
                continue
            audited += 1
            pool_findings, pool_notes = _audit_pool(
                pool_read, source, checks, candidates, organization
            )
            findings.extend(pool_findings)
            notes.extend(pool_notes)
    notes.extend(f"not read: {failure}" for failure in failures)
    total = sum(len(r.pools) for r in reads)
    notes.insert(
        0,
        f"scanned {len(regions)} region(s): {total} user pool(s), {audited} audited"
        + (f", {len(failures)} item(s) could not be read" if failures else ""),
    )
    result = AuditResult.of(findings, notes)
    return ScanResult(result, tuple(regions), total, tuple(failures))


def _completed(futures: Iterable[Future[RegionRead]]) -> Iterable[Future[RegionRead]]:
    from concurrent.futures import as_completed

    return as_completed(list(futures))
