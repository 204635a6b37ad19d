"""From SDK calls to IAM requests: which action, on which resource, with whose credentials.

Pure. A resource is built only from what the code passes (a literal, or an environment variable
the function's configuration sets) and where the function runs (its account, region and
partition); anything else is *unresolved*, with the reason, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from iam_audit.codecalls.interface import Assumed, CodeCalls, SdkCall, Value
from iam_audit.results import ResultKind, Row, Severity, Status
from iam_audit.sources.symbolic import has_placeholder

__all__ = ["CodeFacts", "Place", "ResolvedCall", "resolve_calls"]

_POOL_ID = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$")
_ARN = re.compile(r"^arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")
_NO_ACCOUNT = "the account of the role whose credentials it uses is unresolved"
_ROLE_ARN = re.compile(r"^arn:[a-z0-9-]+:iam::(\d{12}):role/.+$")


@dataclass(frozen=True, slots=True)
class Place:
    """Where the function runs: the account, region and partition its calls default to.

    An empty ``account`` or ``region`` is unknown: resources that need it stay unresolved.
    """

    account: str
    region: str
    partition: str = "aws"


@dataclass(frozen=True, slots=True)
class ResolvedCall:
    """One IAM action one SDK call needs.

    ``resource`` is the ARN the call targets, or ``None`` with ``unresolved`` saying why;
    ``named_by`` how the code names it (``env OLD_USER_POOL_ID``, ``literal``). ``via`` is the
    ``sts:AssumeRole`` call whose credentials the client uses, ``via_role`` the role it assumes
    (``None`` when that is unresolved too).
    """

    call: SdkCall
    action: str
    resource: str | None
    named_by: str = ""
    unresolved: str = ""
    via: ResolvedCall | None = None

    @property
    def via_role(self) -> str | None:
        return self.via.resource if self.via is not None else None

    @property
    def where(self) -> str:
        return f"{self.call.file}:{self.call.line}"

    @property
    def is_assume_role(self) -> bool:
        return self.action.lower() == "sts:assumerole"

    def external_id(self, environment: Mapping[str, str]) -> tuple[bool, str | None]:
        """Whether the call passes an ``ExternalId``, and its value when the code says it."""
        value = self.call.param("ExternalId")
        if value is None:
            return False, None
        return True, value.resolve(dict(environment))

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``lambda calls``."""
        return {
            "file": self.call.file,
            "line": self.call.line,
            "service": self.call.service,
            "operation": self.call.operation,
            "action": self.action,
            "resource": self.resource,
            "resource_from": self.named_by or None,
            "unresolved": self.unresolved or None,
            "credentials": (
                "function role"
                if self.via is None
                else f"role assumed at {self.via.where}: {self.via.resource or 'unresolved'}"
            ),
            "implicit": self.call.implicit,
        }


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """A package's calls resolved against the function's environment and place."""

    kind: ClassVar[ResultKind] = ResultKind.CALLS

    package: str
    calls: tuple[ResolvedCall, ...]
    trigger_sources: tuple[str, ...]
    environment: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def own(self) -> tuple[ResolvedCall, ...]:
        """The calls made with the function role's own credentials."""
        return tuple(c for c in self.calls if c.via is None)

    @property
    def assumptions(self) -> tuple[ResolvedCall, ...]:
        """The ``sts:AssumeRole`` calls made with the function's own credentials."""
        return tuple(c for c in self.own if c.is_assume_role)

    def through(self, assume: ResolvedCall) -> tuple[ResolvedCall, ...]:
        """The calls made with the credentials ``assume`` returns."""
        return tuple(c for c in self.calls if c.via is assume)

    def calls_cognito(self) -> bool:
        return any(c.call.service == "cognito-idp" for c in self.calls)

    def rows(self) -> tuple[Row, ...]:
        """One row per IAM action a call needs, at its place in the code: ``pass`` with the
        resource it names, ``warn`` where the resource is unresolved (a listing: it fails
        nothing, so warning severity)."""
        return tuple(
            Row(
                subject=c.where,
                check=c.action,
                status=Status.PASS if c.resource is not None else Status.WARN,
                severity=Severity.WARNING,
                message=c.resource if c.resource is not None else f"unresolved: {c.unresolved}",
            )
            for c in self.calls
        )

    def remarks(self) -> tuple[str, ...]:
        return self.notes

    def as_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "calls": [c.as_dict() for c in self.calls],
            "trigger_sources": list(self.trigger_sources),
            "notes": list(self.notes),
        }


def _value(value: Value | None, env: dict[str, str]) -> tuple[str | None, str, str]:
    """``(text, named_by, why unresolved)`` of a parameter."""
    if value is None:
        return None, "", "the call does not pass it"
    text = value.resolve(env)
    named = value.describe()
    if text is None:
        if value.kind == "env":
            return None, named, f"environment variable {value.text} is not set"
        return None, "", "the code computes it"
    if value.kind == "env" and value.text in env and has_placeholder(text):
        return None, named, f"the template leaves it unresolved ({text})"
    return text, named, ""


def _account_of(arn: str | None) -> str | None:
    found = _ROLE_ARN.match(arn or "")
    return found.group(1) if found else None


def _resource(
    call: SdkCall, env: dict[str, str], place: Place, account: str | None
) -> tuple[str | None, str, str]:
    """The ARN ``call`` targets (under ``account``'s credentials), how it is named, or why not."""
    service, operation = call.service, call.operation
    if service == "sts" and operation.startswith("AssumeRole"):
        text, named, why = _value(call.param("RoleArn"), env)
        if text is not None and not _ROLE_ARN.match(text):
            return None, named, f"RoleArn {text!r} is not a role ARN"
        return text, named, f"RoleArn: {why}" if why else ""
    if service == "cognito-idp":
        text, named, why = _value(call.param("UserPoolId"), env)
        if text is None:
            return None, named, f"UserPoolId: {why}"
        match = _POOL_ID.match(text)
        if not match:
            return None, named, f"UserPoolId {text!r} is not a user pool ID"
        if account is None:
            return None, named, _NO_ACCOUNT
        arn = f"arn:{place.partition}:cognito-idp:{match.group(1)}:{account}:userpool/{text}"
        return arn, named, ""
    if service == "secretsmanager":
        text, named, why = _value(call.param("SecretId"), env)
        if text is None:
            return None, named, f"SecretId: {why}"
        if _ARN.match(text):
            return text, named, ""
        return None, named, f"SecretId {text!r} is a name: its ARN ends in a random suffix"
    if account is None:
        return None, "", _NO_ACCOUNT
    if not place.region:
        return None, "", "the function's region is unknown (pass --region)"
    prefix = f"arn:{place.partition}"
    for param, build in (
        ("TableName", f"{prefix}:dynamodb:{place.region}:{account}:table/{{}}"),
        ("FunctionName", f"{prefix}:lambda:{place.region}:{account}:function:{{}}"),
        ("KeyId", None),
        (
            "Name",
            f"{prefix}:ssm:{place.region}:{account}:parameter/{{}}" if service == "ssm" else None,
        ),
    ):
        value = call.param(param)
        if value is None:
            continue
        text, named, why = _value(value, env)
        if text is None:
            return None, named, f"{param}: {why}"
        if _ARN.match(text):
            return text, named, ""
        if build is None:
            return None, named, f"{param} {text!r} is not an ARN"
        return build.format(text.lstrip("/")), named, ""
    return None, "", "iam-audit does not know which parameter names this operation's resource"


def resolve_calls(code: CodeCalls, environment: Mapping[str, str], place: Place) -> CodeFacts:
    """Every call of ``code`` as IAM actions on resources, under ``environment`` at ``place``."""
    env = dict(environment)
    resolved: list[ResolvedCall] = []
    assumes: dict[Assumed, ResolvedCall] = {}
    # AssumeRole calls first: the others may use their credentials
    ordered = sorted(code.calls, key=lambda c: c.assumed is not None)
    for call in ordered:
        via = assumes.get(call.assumed) if call.assumed is not None else None
        if call.assumed is not None and via is None:
            account = None
        elif via is not None:
            account = _account_of(via.resource)
        else:
            account = place.account or None
        for action in call.actions:
            resource, named, why = _resource(call, env, place, account)
            if why == _NO_ACCOUNT and via is None and call.assumed is None:
                why = "the function's account is unknown (pass --account-id)"
            found = ResolvedCall(call, action, resource, named, why, via)
            resolved.append(found)
            if call.service == "sts" and call.operation.startswith("AssumeRole"):
                assumes.setdefault(Assumed(call.file, call.line), found)
    resolved.sort(key=lambda c: (c.call.file, c.call.line, c.action))
    return CodeFacts(
        package=code.package,
        calls=tuple(resolved),
        trigger_sources=code.trigger_sources,
        environment=tuple(sorted(env.items())),
        notes=code.notes,
    )
