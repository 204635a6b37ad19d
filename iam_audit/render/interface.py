"""The seam every output format implements: a :class:`~iam_audit.results.Result` in, text out."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from iam_audit.errors import UsageError
from iam_audit.results import Result

if TYPE_CHECKING:  # the formats are option types every command loads; findings are audits'
    from iam_audit.findings import AuditResult, Evidence, Finding

__all__ = [
    "OutputFormat",
    "Renderer",
    "TextFormat",
    "audit_only",
    "counts_line",
    "evidence_lines",
    "fix_target_label",
    "role_name",
]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"


class TextFormat(StrEnum):
    """The formats of commands whose output is not an audit result (fix, simulate, checks)."""

    TABLE = "table"
    JSON = "json"


class Renderer(Protocol):
    """Turns any command's result into text; never writes anything itself (the CLI does)."""

    def render(self, result: Result) -> str: ...


def audit_only(result: Result, fmt: OutputFormat) -> AuditResult:
    """``result`` as the audit result it must be for ``fmt`` (SARIF, JUnit and Markdown report
    checks on roles), or a usage error naming the formats that express it."""
    from iam_audit.findings import AuditResult

    if isinstance(result, AuditResult):
        return result
    raise UsageError(
        f"--format {fmt.value} cannot express a {result.kind.value} result",
        advice="use --format table or --format json",
    )


def counts_line(result: AuditResult) -> str:
    """``N failed, N warned, N passed, N skipped`` (and suppressed, internal errors when any)."""
    summary = result.summary()
    return (
        f"{summary['fail']} failed, {summary['warn']} warned, {summary['pass']} passed, "
        f"{summary['skip']} skipped"
        + (f", {summary['suppressed']} suppressed" if summary["suppressed"] else "")
        + (f", {summary['error']} internal errors" if summary["error"] else "")
    )


def fix_target_label(finding: Finding) -> str:
    """What a finding's fix document is: ``trust policy``, ``inline policy`` or ``policy``."""
    return f"{finding.fix_target} policy" if finding.fix_target else "policy"


def role_name(arn: str) -> str:
    """The role's name (the last part of its ARN), or ``(no role)`` (unescaped)."""
    return arn.rsplit("/", 1)[-1] if arn else "(no role)"


def evidence_lines(
    finding: Finding,
    names: Callable[[tuple[str, ...]], str],
    statement: Callable[[Evidence], str],
) -> list[str]:
    """What a report says under a failing result, in the order every report keeps: the actions
    missing, the condition keys it depends on, each statement that decided it. ``names`` and
    ``statement`` write a list of names and a statement in the report's own escaping."""
    lines = [f"missing: {names(finding.missing)}"] if finding.missing else []
    if finding.unresolved:
        lines.append(f"depends on: {names(finding.unresolved)}")
    lines.extend(f"evidence: {statement(evidence)}" for evidence in finding.evidence)
    return lines
