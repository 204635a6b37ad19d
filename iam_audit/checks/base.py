"""What every check declares and receives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, assert_never

from iam_audit.findings import Evidence, Finding, Severity, Status
from iam_audit.model import LambdaFunction, Role

if TYPE_CHECKING:  # the code reader is loaded only by a run that reads a function's code
    from iam_audit.codecalls.resolve import CodeFacts
    from iam_audit.sources.interface import Source

__all__ = [
    "AuditTarget",
    "Check",
    "CheckMeta",
    "CodeCheck",
    "Fixability",
    "RoleCheck",
    "RoleKind",
    "finding",
]


class Fixability(StrEnum):
    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


class RoleKind(StrEnum):
    """Which of the two roles a check judges."""

    LAMBDA = "lambda"
    LOGS = "logs"


@dataclass(frozen=True, slots=True)
class CheckMeta:
    """A check's stable identity; also drives ``checks``, SARIF rules and JUnit cases."""

    id: str
    slug: str
    severity: Severity
    summary: str
    role_kind: RoleKind
    fixability: Fixability = Fixability.NONE
    help_uri: str = ""


@dataclass(frozen=True, slots=True)
class AuditTarget:
    """The role pair under audit and the pools that scope it.

    ``user_pool_arn`` is the pool users are imported into (it scopes the logs role);
    ``source_pool_arn`` the pool the migration Lambda calls AdminInitiateAuth on. A role that could
    not be found or discovered is ``None`` and its checks report ``skip`` with ``skip_reasons``;
    ``*_skip_needs`` is the option that would supply it when the user can (discovery found several
    candidates, say), ``None`` when the source simply has no such role. ``source_pool_skip`` is
    ``(reason, option)`` when discovery could not settle the source pool (the function names
    several): COG001 then skips, never falling back to the import pool.
    """

    lambda_role: Role | None = None
    logs_role: Role | None = None
    user_pool_arn: str | None = None
    source_pool_arn: str | None = None
    function: LambdaFunction | None = None
    lambda_skip_reason: str = "no migration Lambda role given (--lambda-role)"
    logs_skip_reason: str = "no logs role given (--logs-role)"
    lambda_skip_needs: str | None = None
    logs_skip_needs: str | None = None
    source_pool_skip: tuple[str, str] | None = None
    #: what the function's code calls (``None``: the code is unknown, ``code_skip_reason`` why)
    code: CodeFacts | None = None
    code_skip_reason: str = (
        "the function's code is unknown: pass --function-code PATH, or audit it live or from "
        "a template whose code is on disk"
    )
    #: the roles the code assumes, as their account's source holds them
    chain_roles: tuple[Role, ...] = ()
    chain_skip_reason: str = ""
    #: the other account's source the chain roles were read from (its template, for fixes)
    chain_source: Source | None = None


class Check(Protocol):
    """One check: metadata plus a generator of findings for a target."""

    meta: ClassVar[CheckMeta]

    def run(self, target: AuditTarget) -> Iterator[Finding]: ...


def finding(
    meta: CheckMeta,
    role: Role | None,
    status: Status,
    message: str,
    *,
    role_arn: str = "",
    evidence: tuple[Evidence, ...] = (),
    missing: tuple[str, ...] = (),
    fix: dict[str, Any] | None = None,
    fix_target: str | None = None,
    unresolved: tuple[str, ...] = (),
    locator: str = "",
    needs: str | None = None,
) -> Finding:
    """A finding of check ``meta`` on ``role`` (or on ``role_arn`` when the role is absent)."""
    return Finding(
        check=meta.id,
        slug=meta.slug,
        severity=meta.severity,
        status=status,
        role=role.arn if role else role_arn,
        message=message,
        evidence=evidence,
        missing=missing,
        fix=fix,
        fix_target=fix_target,
        unresolved=unresolved,
        locator=locator,
        origin=role.origin if role else None,
        needs=needs,
    )


class RoleCheck:
    """The template of a check that judges the one role its ``meta.role_kind`` names.

    :meth:`run` says ``skip`` (with the target's reason) when that role is absent, the prologue
    every such check shares, and otherwise hands the role to :meth:`judge`.
    """

    meta: ClassVar[CheckMeta]

    def run(self, target: AuditTarget) -> Iterator[Finding]:
        """The check's findings on ``target``: one ``skip`` when its role is missing."""
        kind = self.meta.role_kind
        if kind is RoleKind.LAMBDA:
            role, reason = target.lambda_role, target.lambda_skip_reason
        elif kind is RoleKind.LOGS:
            role, reason = target.logs_role, target.logs_skip_reason
        else:
            assert_never(kind)
        if role is None:
            yield finding(self.meta, None, Status.SKIP, reason)
            return
        yield from self.judge(target, role)

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        """The check proper, on the role that is there."""
        raise NotImplementedError

    def skip(self, role: Role, reason: str, *, needs: str | None = None) -> Finding:
        """``skip`` on ``role`` for ``reason`` (located at the check's ID), with the option that
        would supply what is missing when the user can."""
        return finding(self.meta, role, Status.SKIP, reason, locator=self.meta.id, needs=needs)


class CodeCheck(RoleCheck):
    """A :class:`RoleCheck` that judges what the function's code calls: ``skip`` with the
    target's reason when the code is unknown, otherwise :meth:`judge_code`."""

    def judge(self, target: AuditTarget, role: Role) -> Iterator[Finding]:
        if target.code is None:
            yield self.skip(role, target.code_skip_reason)
            return
        yield from self.judge_code(target, role, target.code)

    def judge_code(self, target: AuditTarget, role: Role, code: CodeFacts) -> Iterator[Finding]:
        """The check proper, on the role and the code that are there."""
        raise NotImplementedError
