"""The one place that builds boto3 sessions and turns AWS errors into ours.

Imported only by live code paths, so offline commands never import boto3.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

from iam_audit.errors import AccessError, ExitCode, IamAuditError, InputError, NoCredentialsError
from iam_audit.render.escape import for_terminal, redact_url

__all__ = [
    "AwsError",
    "EndpointWarnings",
    "SessionFactory",
    "aws_errors",
    "client",
    "endpoint_warning",
    "make_session",
    "permission_for",
    "translate",
    "translated",
]

T = TypeVar("T")

_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, user_agent_extra="iam-audit")

#: botocore service names whose IAM prefix differs
_PREFIX = {
    "cognito-idp": "cognito-idp",
    "logs": "logs",
    "lambda": "lambda",
    "iam": "iam",
    "sts": "sts",
}

_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "NotAuthorizedException",
    "403",
}
_NOT_AUTHORIZED = re.compile(r"not authorized to perform: ([\w-]+:\w+)")


#: Makes the AWS session of a live read from ``--profile`` and ``--region`` (either may be None):
#: :func:`make_session`, or what a test injects (:class:`iam_audit.cli.common.Runtime`).
SessionFactory = Callable[[str | None, str | None], Any]


def make_session(
    profile: str | None = None,
    region: str | None = None,
    *,
    warnings: EndpointWarnings | None = None,
) -> Any:
    """A boto3 session through the default credential chain (``AWS_ENDPOINT_URL`` honoured).

    Its clients (:func:`client`) say what ``warnings`` says of their endpoints: give the
    sessions of one run the run's :class:`EndpointWarnings` and each endpoint is warned about
    once in that run; without, the session has its own.
    """
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"AWS profile {profile!r} not found") from None
    session.events.register(_CLIENT_MADE, (warnings or EndpointWarnings()).on_client)
    return session


def client(
    session: Any, service: str, region: str | None = None, retries: int = 0, *, attempts: int = 0
) -> Any:
    """A client with adaptive retries for throttling (``retries`` attempts when given).

    ``attempts``, when given: attempts in total, the first included (``AWS_MAX_ATTEMPTS``'s
    meaning in the SDKs), in the standard retry mode. Every client of a run is made here, so
    each says what its session's :class:`EndpointWarnings` says of its endpoint.
    """
    config = _CONFIG
    if attempts:
        config = _CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": attempts}))
    elif retries:
        config = _CONFIG.merge(Config(retries={"mode": "standard", "max_attempts": retries}))
    try:
        made = session.client(service, region_name=region, config=config)
    except botocore.exceptions.NoRegionError:
        raise InputError(
            "no AWS region configured", advice="pass --region or set AWS_DEFAULT_REGION"
        ) from None
    # the session's EndpointWarnings (make_session) hears of the endpoint botocore chose
    session.events.emit(
        _CLIENT_MADE, endpoint_url=str(getattr(made.meta, "endpoint_url", "") or "")
    )
    return made


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_warning(url: str) -> str | None:
    """The warning for an endpoint that sends requests unencrypted off this machine, else ``None``.

    ``http://`` to a loopback address (``127.0.0.0/8``, ``::1``, ``localhost``: a local emulator)
    is fine; ``http://`` anywhere else carries signed requests and AWS's answers in clear text.
    The URL is shown without its user name and password.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or _loopback(host):
        return None
    shown = for_terminal(redact_url(url))
    return (
        f"warning: AWS endpoint {shown} is plain http to a host that is not this machine: "
        "requests and replies travel unencrypted (use https, or a loopback address for an emulator)"
    )


#: The event (on a session's emitter) by which :func:`client` tells the session's
#: :class:`EndpointWarnings` which endpoint a client it made uses.
_CLIENT_MADE = "iam-audit.client-made"


class EndpointWarnings:
    """What one run has said about its endpoints: :func:`endpoint_warning` on stderr once per
    endpoint, not once per client or session. The run owns it (the session factory of
    :class:`iam_audit.cli.common.Runtime`), so nothing outlives the run."""

    __slots__ = ("_said",)

    def __init__(self) -> None:
        self._said: set[str] = set()

    def on_client(self, endpoint_url: str = "", **_: Any) -> None:
        """A client of the run's sessions uses ``endpoint_url``: warn when it is the first."""
        warning = endpoint_warning(endpoint_url)
        if warning is None or endpoint_url in self._said:
            return
        self._said.add(endpoint_url)
        sys.stderr.write(warning + "\n")


def permission_for(service: str, operation: str) -> str:
    """The IAM action an API call needs: ``iam`` + ``GetRole`` → ``iam:GetRole``.

    The services this tool calls (iam, sts, cognito-idp, lambda, logs) use their botocore name as
    their IAM prefix.
    """
    return f"{service}:{operation}"


#: Codes that mean the credentials themselves were refused (expired, unknown, mis-signed).
_CREDENTIAL_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthFailure",
}
#: Codes of throttling that outlasted botocore's retries.
_THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
}
#: Every exception class a boto3 call raises for AWS's or the network's sake.
AWS_ERRORS = (
    botocore.exceptions.ClientError,
    botocore.exceptions.BotoCoreError,
    botocore.parsers.ResponseParserError,
)
#: The attribute :func:`aws_errors` sets on an error it lets through: the call it came from.
_CALL = "_iam_audit_call"


class AwsError(IamAuditError):
    """AWS failed in a way that is neither access nor input: a 5xx or throttling after the
    retries, a dropped connection, a reply botocore cannot parse (exit 4)."""

    exit_code = ExitCode.INTERNAL


def translate(err: BaseException, call: str | None = None) -> IamAuditError | None:
    """The one mapping of boto3/botocore errors to ours; ``None`` for other exceptions.

    Exit 3 (:class:`AccessError`, :class:`InputError`) for what the user can fix: no or refused
    credentials, a denied call, an unknown profile or region, an endpoint that cannot be reached,
    a request AWS rejects as invalid (4xx). Exit 4 (:class:`AwsError`) otherwise: a server error
    or throttling after the retries, a dropped connection, a reply that cannot be parsed. The
    message names the API call (``iam:GetRole``).
    """
    if isinstance(err, IamAuditError):
        return err
    exc = botocore.exceptions
    if isinstance(err, exc.NoCredentialsError | exc.PartialCredentialsError):
        return NoCredentialsError()
    if isinstance(err, exc.ProfileNotFound):
        return InputError(f"AWS profile not found: {err}")
    if isinstance(err, exc.NoRegionError):
        return InputError(
            "no AWS region configured", advice="pass --region or set AWS_DEFAULT_REGION"
        )
    if isinstance(err, exc.ClientError):
        return _client_error(err, call)
    where = call or getattr(err, _CALL, None) or "an AWS call"
    if isinstance(err, botocore.parsers.ResponseParserError):  # not a BotoCoreError
        return AwsError(f"{where} failed: AWS's reply could not be parsed ({_first_line(err)})")
    if not isinstance(err, exc.BotoCoreError):
        return None
    if isinstance(err, exc.EndpointConnectionError):
        return AccessError(f"cannot reach AWS for {where}: {redact_url(err)}")
    if isinstance(err, exc.ConnectionClosedError | exc.ReadTimeoutError):
        return AwsError(
            f"{where} failed: the connection to AWS dropped before the reply ({redact_url(err)})"
        )
    return AwsError(f"{where} failed: {type(err).__name__}: {redact_url(_first_line(err))}")


def translated(err: BaseException, call: str | None = None) -> IamAuditError:
    """:func:`translate` of an error that is AWS's or ours (one of :data:`AWS_ERRORS`)."""
    mapped = translate(err, call)
    if mapped is None:  # pragma: no cover - translate maps every class of AWS_ERRORS
        raise TypeError(f"not an AWS error: {type(err).__name__}") from err
    return mapped


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def _client_error(err: Any, call: str | None) -> IamAuditError:
    response = err.response or {}
    code = str(response.get("Error", {}).get("Code", ""))
    message = " ".join(str(response.get("Error", {}).get("Message", "")).split())
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    operation = str(getattr(err, "operation_name", "") or "")
    call = call or getattr(err, _CALL, None)
    where = call or operation or "an AWS call"
    if code in _CREDENTIAL_CODES:
        return AccessError(f"AWS rejected the credentials for {where}: {message or code}")
    if code in _DENIED_CODES or "AccessDenied" in code:
        match = _NOT_AUTHORIZED.search(message)
        needed = match.group(1) if match else call
        return AccessError(f"AWS denied {where}: {message or code}", permission=needed)
    detail = f"{code or 'error'}{f' (HTTP {status})' if status else ''}: {message or code}"
    if code in _THROTTLE_CODES:
        return AwsError(f"{where} was throttled after the retries: {detail}")
    if isinstance(status, int) and status >= 500:
        return AwsError(f"{where} failed on AWS's side after the retries: {detail}")
    return InputError(f"AWS refused {where}: {detail}")


@contextmanager
def aws_errors(service: str, operation: str) -> Iterator[None]:
    """Turn credential and access errors of one call into :class:`AccessError` (exit 3).

    Other botocore errors go through unchanged, marked with the call, so callers can still handle
    ``NoSuchEntity`` and the like; what nobody handles reaches the CLI, which maps it with
    :func:`translate`.
    """
    call = permission_for(service, operation)
    try:
        yield
    except AWS_ERRORS as err:
        mapped = translate(err, call)
        if isinstance(mapped, AccessError | NoCredentialsError):
            raise mapped from None
        with suppress(AttributeError, TypeError):
            setattr(err, _CALL, call)
        raise


def call(api: Any, service: str, operation: str, **kwargs: Any) -> Any:
    """``api.<operation>(**kwargs)`` with our error mapping (operation in PascalCase)."""
    method: Callable[..., Any] = getattr(api, method_name(operation))
    with aws_errors(service, operation):
        return method(**kwargs)


def paginate(api: Any, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under ``key`` across all pages of ``operation``."""
    paginator = api.get_paginator(method_name(operation))
    with aws_errors(service, operation):
        for page in paginator.paginate(**kwargs):
            yield from page.get(key, [])


def error_code(err: BaseException) -> str:
    """The AWS error code of a ClientError, else an empty string."""
    if isinstance(err, botocore.exceptions.ClientError):
        return str(err.response.get("Error", {}).get("Code", ""))
    return ""


ClientError = botocore.exceptions.ClientError


def method_name(operation: str) -> str:
    """The boto3 method of an API operation: ``GetRole`` → ``get_role``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
