"""The AWS edge of preflight: the only module here that talks to AWS (boto3 imported lazily).

Every function takes an already built client, so tests pass a moto-backed or Stubber-wrapped
one; :func:`make_client` builds real ones for the CLI. botocore errors become the tool's own
(:class:`AccessError` naming the permission, :class:`InputError` for what does not exist).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from iam_audit.errors import InputError
from iam_audit.preflight.jobs import ImportJob
from iam_audit.preflight.lambdacheck import ClientInfo, FunctionPackage
from iam_audit.preflight.logsdiag import LogEvent
from iam_audit.preflight.schema import PoolSchema, parse_header_text, pool_schema

if TYPE_CHECKING:
    from iam_audit.aws import SessionFactory

__all__ = [
    "LiveCognitoLookup",
    "NotFoundError",
    "download",
    "fetch_pool_schema",
    "find_log_groups",
    "find_log_streams",
    "list_import_jobs",
    "load_function",
    "make_client",
    "pool_region",
    "read_job_log",
    "read_log_events",
]

_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+")


class NotFoundError(InputError):
    """AWS answered ``ResourceNotFoundException`` (exit 3 when it reaches the CLI)."""


#: Lambda code packages are at most 250 MB unzipped; a zip larger than this is not a package.
_MAX_DOWNLOAD = 256 * 1024 * 1024


def pool_region(pool_id: str, region: str | None = None) -> str:
    """The region a pool ID names (``eu-central-1_abc`` → ``eu-central-1``).

    Raises :class:`InputError` for an ID of another shape, or when ``region`` contradicts it.
    """
    found = _POOL_ID.fullmatch(pool_id)
    if not found:
        raise InputError(f"{pool_id!r} is not a user pool ID (REGION_ID, e.g. us-east-1_AbC123)")
    if region and region != found.group("region"):
        raise InputError(f"user pool {pool_id} is in {found.group('region')}, not {region}")
    return found.group("region")


def make_client(
    service: str,
    *,
    profile: str | None = None,
    region: str | None = None,
    sessions: SessionFactory | None = None,
) -> Any:
    """A boto3 client of the session ``sessions`` makes for ``--profile`` and ``--region``
    (default: the credential chain, :func:`iam_audit.aws.make_session`); built by
    :mod:`iam_audit.aws`, so ``AWS_ENDPOINT_URL`` and the retry policy apply."""
    from iam_audit import aws

    return aws.client((sessions or aws.make_session)(profile, region), service, region)


def _code(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


@contextmanager
def _aws(permission: str, *, not_found: str | None = None) -> Iterator[None]:
    """Translate botocore errors raised inside the block with :func:`iam_audit.aws.translate`,
    the tool's one mapping (``ResourceNotFoundException`` becomes :class:`NotFoundError`)."""
    from iam_audit import aws

    try:
        yield
    except aws.AWS_ERRORS as err:
        if _code(err) == "ResourceNotFoundException":
            raise NotFoundError(not_found or f"{permission}: ResourceNotFoundException") from None
        raise aws.translated(err, permission) from None


# -- csv check ------------------------------------------------------------------------------


def fetch_pool_schema(pool_id: str, *, client: Any) -> PoolSchema:
    """``GetCSVHeader`` and ``DescribeUserPool`` for one pool, as a :class:`PoolSchema`."""
    missing = f"user pool {pool_id} does not exist in {pool_region(pool_id)}"
    with _aws("cognito-idp:GetCSVHeader", not_found=missing):
        header = client.get_csv_header(UserPoolId=pool_id)["CSVHeader"]
    with _aws("cognito-idp:DescribeUserPool", not_found=missing):
        described = client.describe_user_pool(UserPoolId=pool_id)
    return pool_schema(described, parse_header_text(",".join(header)))


# -- jobs -----------------------------------------------------------------------------------


def list_import_jobs(pool_id: str, *, client: Any) -> tuple[ImportJob, ...]:
    """Every import job of the pool (``ListUserImportJobs``, 60 a page, ``PaginationToken``)."""
    missing = f"user pool {pool_id} does not exist in {pool_region(pool_id)}"
    jobs: list[ImportJob] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
        if token:
            kwargs["PaginationToken"] = token
        with _aws("cognito-idp:ListUserImportJobs", not_found=missing):
            page = client.list_user_import_jobs(**kwargs)
        jobs.extend(ImportJob.from_api(entry) for entry in page.get("UserImportJobs", []))
        token = page.get("PaginationToken")
        if not token:
            return tuple(jobs)


# -- lambda check ---------------------------------------------------------------------------


def download(url: str) -> bytes:
    """Fetch a function's code package from its presigned ``Code.Location`` URL."""
    if not url.startswith(("https://", "http://")):
        raise InputError("the function's code location is not an HTTP(S) URL")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data: bytes = response.read(_MAX_DOWNLOAD + 1)
    except (urllib.error.URLError, OSError) as err:
        raise InputError(f"cannot download the function's code: {err}") from None
    if len(data) > _MAX_DOWNLOAD:
        raise InputError("the function's code package is larger than 256 MB")
    return data


def load_function(
    name: str, *, client: Any, fetch: Callable[[str], bytes] | None = None
) -> FunctionPackage:
    """``GetFunction`` and the code package, as a :class:`FunctionPackage`.

    ``fetch`` downloads ``Code.Location`` (default :func:`download`). moto answers with an S3
    URL it does not serve, so tests inject the bytes they uploaded.
    """
    with _aws("lambda:GetFunction", not_found=f"Lambda function {name} not found"):
        answer = client.get_function(FunctionName=name)
    config = answer.get("Configuration", {})
    package_type = str(config.get("PackageType") or "Zip")
    code = None
    location = answer.get("Code", {}).get("Location")
    if package_type == "Zip" and location:
        code = (fetch or download)(location)
    variables = (config.get("Environment") or {}).get("Variables") or {}
    return FunctionPackage(
        handler=str(config.get("Handler") or ""),
        runtime=str(config.get("Runtime") or ""),
        code=code,
        name=name,
        timeout=int(config["Timeout"]) if "Timeout" in config else None,
        environment=tuple(sorted((str(k), str(v)) for k, v in variables.items())),
        layers=tuple(str(layer.get("Arn", "")) for layer in config.get("Layers") or ()),
        package_type=package_type,
        arn=str(config.get("FunctionArn") or ""),
    )


class LiveCognitoLookup:
    """:class:`~iam_audit.preflight.lambdacheck.CognitoLookup` over real (or moto) clients.

    ``factory(region)`` returns a ``cognito-idp`` client for that region; each pool is looked
    up in the region its ID names.
    """

    def __init__(self, factory: Callable[[str], Any]) -> None:
        self._factory = factory
        self._clients: dict[str, Any] = {}

    def _client(self, pool_id: str) -> Any:
        region = pool_region(pool_id)
        if region not in self._clients:
            self._clients[region] = self._factory(region)
        return self._clients[region]

    def pool_exists(self, pool_id: str) -> bool:
        """``DescribeUserPool``: False on ``ResourceNotFoundException``."""
        try:
            with _aws("cognito-idp:DescribeUserPool"):
                self._client(pool_id).describe_user_pool(UserPoolId=pool_id)
        except NotFoundError:
            return False
        return True

    def client(self, pool_id: str, client_id: str) -> ClientInfo | None:
        """``DescribeUserPoolClient``: ``None`` on ``ResourceNotFoundException``."""
        try:
            with _aws("cognito-idp:DescribeUserPoolClient"):
                answer = self._client(pool_id).describe_user_pool_client(
                    UserPoolId=pool_id, ClientId=client_id
                )
        except NotFoundError:
            return None
        described = answer.get("UserPoolClient", {})
        return ClientInfo(
            client_id=client_id,
            pool_id=pool_id,
            explicit_auth_flows=tuple(described.get("ExplicitAuthFlows") or ()),
        )


# -- logs diagnose --------------------------------------------------------------------------


def find_log_groups(prefix: str, *, client: Any) -> tuple[str, ...]:
    """Log group names starting with ``prefix`` (``DescribeLogGroups``, ``nextToken``)."""
    names: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupNamePrefix": prefix}
        if token:
            kwargs["nextToken"] = token
        with _aws("logs:DescribeLogGroups"):
            page = client.describe_log_groups(**kwargs)
        names.extend(g["logGroupName"] for g in page.get("logGroups", []))
        token = page.get("nextToken")
        if not token:
            return tuple(names)


def read_log_events(
    group: str,
    *,
    client: Any,
    start_ms: int | None = None,
    streams: tuple[str, ...] | None = None,
) -> Iterator[LogEvent]:
    """Every event of ``group`` (since ``start_ms``; only in ``streams`` when given) through
    ``FilterLogEvents`` and ``nextToken``.

    Raises :class:`NotFoundError` when the group does not exist.
    """
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group}
        if start_ms is not None:
            kwargs["startTime"] = start_ms
        if streams:
            kwargs["logStreamNames"] = list(streams)
        if token:
            kwargs["nextToken"] = token
        with _aws("logs:FilterLogEvents", not_found=f"log group {group} does not exist"):
            page = client.filter_log_events(**kwargs)
        for event in page.get("events", []):
            yield LogEvent(
                message=str(event.get("message", "")),
                timestamp=event.get("timestamp"),
                source=f"{group}/{event.get('logStreamName', '')}",
            )
        token = page.get("nextToken")
        if not token:
            return


def find_log_streams(group: str, prefix: str, *, client: Any) -> tuple[str, ...]:
    """Stream names in ``group`` starting with ``prefix`` (``DescribeLogStreams``, ``nextToken``).

    Resolved first because moto ignores ``logStreamNamePrefix`` on ``FilterLogEvents``.
    """
    names: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamNamePrefix": prefix}
        if token:
            kwargs["nextToken"] = token
        with _aws("logs:DescribeLogStreams", not_found=f"log group {group} does not exist"):
            page = client.describe_log_streams(**kwargs)
        names.extend(s["logStreamName"] for s in page.get("logStreams", []))
        token = page.get("nextToken")
        if not token:
            return tuple(names)


def read_job_log(pool_id: str, job_id: str, *, client: Any) -> tuple[LogEvent, ...]:
    """The events of one import job: stream ``JOB_ID/JOB_NAME`` in the pool's log group(s)."""
    events: list[LogEvent] = []
    for group in find_log_groups(f"/aws/cognito/userpools/{pool_id}/", client=client):
        streams = find_log_streams(group, f"{job_id}/", client=client)
        for start in range(0, len(streams), 100):  # FilterLogEvents takes up to 100 names
            chunk = streams[start : start + 100]
            events.extend(read_log_events(group, client=client, streams=chunk))
    return tuple(events)
