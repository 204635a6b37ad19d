"""What the Python and the JavaScript analysers share: the abstract values that mean the same in
both languages, and the rules that follow from the SDK rather than from the language.

Each analyser evaluates an expression to an abstract value of its own (a boto3 session, a
JavaScript SDK class, ...). These are the ones both have: a value the analysis cannot tell, a
string (a literal or an environment variable), and the credentials an ``sts:AssumeRole`` call
returns; with them, how ``a or b`` / ``a || b`` picks a fallback, what an SDK call records and
what it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from iam_audit.codecalls.interface import Assumed, OperationMap, SdkCall, ServiceInfo, Value

__all__ = [
    "TRIGGER_SOURCE",
    "UNKNOWN",
    "AssumeResult",
    "Str",
    "Unknown",
    "call_result",
    "either",
    "sdk_call",
]

#: The trigger sources of a user migration Lambda (``UserMigration_Authentication``,
#: ``UserMigration_ForgotPassword``), as the code compares ``event.triggerSource`` with them.
TRIGGER_SOURCE = re.compile(r"^UserMigration_[A-Za-z]+$")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the analysis cannot tell."""


UNKNOWN = Unknown()


@dataclass(frozen=True, slots=True)
class Str:
    """A string: a literal, or an environment variable with its literal fallback if any."""

    value: Value


@dataclass(frozen=True, slots=True)
class AssumeResult:
    """What the ``sts:AssumeRole`` call at ``where`` returns (and anything read from it)."""

    where: Assumed


_A = TypeVar("_A")


def either(left: _A, right: _A) -> _A | Str:
    """``left or right`` (Python), ``left || right`` / ``left ?? right`` (JavaScript).

    An environment variable without a fallback yet (none, or an empty one: both are false)
    takes a literal ``right`` as its fallback; otherwise the first value known. Folded left to
    right over a chain, a variable keeps the first literal after it, as both languages do.
    """
    if (
        isinstance(left, Str)
        and isinstance(right, Str)
        and left.value.kind == "env"
        and not left.value.default
        and right.value.kind == "literal"
    ):
        return Str(Value("env", left.value.text, right.value.text))
    return left if not isinstance(left, Unknown) else right


def sdk_call(
    ops: OperationMap,
    path: str,
    line: int,
    service: ServiceInfo,
    operation: str,
    params: tuple[tuple[str, Value], ...],
    assumed: Assumed | None = None,
    *,
    implicit: bool = False,
) -> SdkCall:
    """The SDK call to ``operation`` at ``path:line``, with the IAM actions it needs."""
    return SdkCall(
        file=path,
        line=line,
        service=service.name,
        operation=operation,
        actions=ops.actions_for_operation(service, operation),
        params=params,
        assumed=assumed,
        implicit=implicit,
    )


def call_result(
    service: ServiceInfo, operation: str, path: str, line: int
) -> AssumeResult | Unknown:
    """What the call to ``operation`` at ``path:line`` returns to the analysis: the credentials
    of an ``sts:AssumeRole*`` call (a client built with them acts as that role), else unknown."""
    if service.prefix == "sts" and operation.startswith("AssumeRole"):
        return AssumeResult(Assumed(path, line))
    return UNKNOWN
