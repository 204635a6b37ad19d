"""The one place that builds boto3 sessions and turns AWS errors into ours.

Imported only by live code paths, so offline commands never import boto3.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
import botocore.exceptions
from botocore.config import Config

from iam_audit.errors import AccessError, InputError, NoCredentialsError
from iam_audit.render.escape import for_terminal, redact_url

__all__ = ["aws_errors", "client", "endpoint_warning", "make_session", "permission_for"]

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


def make_session(profile: str | None = None, region: str | None = None) -> Any:
    """A boto3 session through the default credential chain (``AWS_ENDPOINT_URL`` honoured)."""
    try:
        return boto3.session.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"AWS profile {profile!r} not found") from None


def client(session: Any, service: str, region: str | None = None, retries: int = 0) -> Any:
    """A client with adaptive retries for throttling (``retries`` attempts when given)."""
    config = _CONFIG
    if retries:
        config = _CONFIG.merge(Config(retries={"mode": "standard", "max_attempts": retries}))
    try:
        made = session.client(service, region_name=region, config=config)
    except botocore.exceptions.NoRegionError:
        raise InputError(
            "no AWS region configured", advice="pass --region or set AWS_DEFAULT_REGION"
        ) from None
    _warn_endpoint(str(getattr(made.meta, "endpoint_url", "") or ""))
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


#: Endpoints already warned about in this process (one line each, not one per client).
_WARNED: set[str] = set()


def _warn_endpoint(url: str) -> None:
    """Write :func:`endpoint_warning` for ``url`` to stderr, once per process."""
    warning = endpoint_warning(url)
    if warning is None or url in _WARNED:
        return
    _WARNED.add(url)
    sys.stderr.write(warning + "\n")


def permission_for(service: str, operation: str) -> str:
    """The IAM action an API call needs: ``iam`` + ``GetRole`` → ``iam:GetRole``.

    The services this tool calls (iam, sts, cognito-idp, lambda, logs) use their botocore name as
    their IAM prefix.
    """
    return f"{service}:{operation}"


@contextmanager
def aws_errors(service: str, operation: str) -> Iterator[None]:
    """Turn credential and access errors of one call into :class:`AccessError` (exit 3)."""
    try:
        yield
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.PartialCredentialsError,
    ):
        raise NoCredentialsError() from None
    except botocore.exceptions.ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        message = str(err.response.get("Error", {}).get("Message", ""))
        if code in _DENIED_CODES or "AccessDenied" in code:
            match = _NOT_AUTHORIZED.search(message)
            needed = match.group(1) if match else permission_for(service, operation)
            raise AccessError(
                f"AWS denied {operation}: {message or code}", permission=needed
            ) from None
        if code in ("InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken"):
            raise AccessError(f"AWS rejected the credentials: {message or code}") from None
        raise
    except botocore.exceptions.EndpointConnectionError as err:
        raise AccessError(f"cannot reach AWS: {redact_url(err)}") from None


def call(api: Any, service: str, operation: str, **kwargs: Any) -> Any:
    """``api.<operation>(**kwargs)`` with our error mapping (operation in PascalCase)."""
    method: Callable[..., Any] = getattr(api, _snake(operation))
    with aws_errors(service, operation):
        return method(**kwargs)


def paginate(api: Any, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under ``key`` across all pages of ``operation``."""
    paginator = api.get_paginator(_snake(operation))
    with aws_errors(service, operation):
        for page in paginator.paginate(**kwargs):
            yield from page.get(key, [])


def error_code(err: BaseException) -> str:
    """The AWS error code of a ClientError, else an empty string."""
    if isinstance(err, botocore.exceptions.ClientError):
        return str(err.response.get("Error", {}).get("Code", ""))
    return ""


ClientError = botocore.exceptions.ClientError


def _snake(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
