"""What the code analysers produce, and the service catalogue they are given.

Pure values: a package arrives as a mapping of file path to bytes, the service data as a
:class:`OperationMap` (loaded from botocore's service models at the edge, in
:mod:`iam_audit.codecalls.botocore_map`). Nothing here imports an AWS SDK or runs package code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "Assumed",
    "CodeCalls",
    "OperationMap",
    "SdkCall",
    "ServiceInfo",
    "Value",
]


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """One AWS service as the SDKs name it.

    ``name`` is the boto3 client name (``cognito-idp``), ``service_id`` botocore's ``serviceId``
    (``Cognito Identity Provider``, from which the JavaScript v3 package
    ``@aws-sdk/client-cognito-identity-provider`` is named), ``prefix`` the IAM service prefix
    (the model's ``signingName``), ``operations`` the API operation names and ``methods`` the
    boto3 method name of each (``admin_initiate_auth`` → ``AdminInitiateAuth``).
    """

    name: str
    service_id: str
    prefix: str
    operations: frozenset[str]
    methods: tuple[tuple[str, str], ...] = ()

    def operation_for_method(self, method: str) -> str | None:
        """The operation a boto3 method calls, or ``None`` (``get_paginator``, a typo)."""
        for name, operation in self.methods:
            if name == method:
                return operation
        return None

    def operation_named(self, name: str) -> str | None:
        """The operation called ``name`` in any case (``adminInitiateAuth``), or ``None``."""
        lowered = name.lower()
        for operation in self.operations:
            if operation.lower() == lowered:
                return operation
        return None


class OperationMap(Protocol):
    """The service reference data the analysers need (the seam; see ``botocore_map``)."""

    def service(self, name: str) -> ServiceInfo | None:
        """The service a boto3 ``client(name)`` builds, or ``None`` when there is none."""
        ...

    def service_for_js(self, name: str) -> ServiceInfo | None:
        """The service of a JavaScript SDK name: v3 package suffix or v2 class name."""
        ...

    def actions_for_operation(self, service: ServiceInfo, operation: str) -> tuple[str, ...]:
        """The IAM actions calling ``operation`` needs (``cognito-idp:AdminInitiateAuth``)."""
        ...


@dataclass(frozen=True, slots=True)
class Value:
    """What the code says a parameter is: a literal, an environment variable, or unknown.

    ``kind`` is ``literal``, ``env`` or ``unknown``; ``text`` the literal or the variable name;
    ``default`` a literal fallback (``os.environ.get("K", "x")``, ``process.env.K || "x"``).
    """

    kind: str
    text: str = ""
    default: str | None = None

    def resolve(self, environment: dict[str, str]) -> str | None:
        """The value under ``environment``, or ``None`` when the code does not say."""
        if self.kind == "literal":
            return self.text
        if self.kind == "env":
            if self.text in environment:
                return environment[self.text]
            return self.default or None  # an empty default is no value
        return None

    def describe(self) -> str:
        """How the code names it, for a report: ``env OLD_POOL_ID``, ``literal``."""
        if self.kind == "env":
            return f"env {self.text}"
        return self.kind


@dataclass(frozen=True, slots=True, order=True)
class Assumed:
    """A client's credentials: those returned by the ``sts:AssumeRole`` call at ``file:line``."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class SdkCall:
    """One AWS SDK call in the package, as found (before resolution against an environment).

    ``params`` holds the parameters that name a resource or a trust condition (``UserPoolId``,
    ``RoleArn``, ``ExternalId``, ...); ``assumed`` is set when the client uses the credentials
    an ``sts:AssumeRole`` call in the package returned (that call's place).
    ``implicit`` marks calls the SDK makes for the code (a credentials provider's AssumeRole).
    """

    file: str
    line: int
    service: str
    operation: str
    actions: tuple[str, ...]
    params: tuple[tuple[str, Value], ...] = ()
    assumed: Assumed | None = None
    implicit: bool = False

    def param(self, name: str) -> Value | None:
        """The parameter ``name`` as the code passes it, or ``None``."""
        for key, value in self.params:
            if key == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class CodeCalls:
    """Every SDK call found in one package, the trigger sources it tests, and what was skipped."""

    package: str
    calls: tuple[SdkCall, ...]
    trigger_sources: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """The raw shape (before resolution), for debugging and tests."""
        return {
            "package": self.package,
            "calls": [
                {
                    "file": c.file,
                    "line": c.line,
                    "service": c.service,
                    "operation": c.operation,
                    "actions": list(c.actions),
                }
                for c in self.calls
            ],
            "trigger_sources": list(self.trigger_sources),
        }
