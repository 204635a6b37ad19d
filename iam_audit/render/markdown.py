"""``--format markdown``: a pull-request comment.

A title with the counts, a summary table (check, role, status, where), then each failing or
warning result with its message, evidence and fix as a ```` ```json ```` block, then suppressed
results with their reasons, then the run's notes. Every value from input goes through
:mod:`iam_audit.render.escape`: text is escaped (a generated name such as ``<MigrationRole>`` is
shown rather than swallowed as an HTML tag), names are code spans no backtick can break out of,
and nothing from input can end a line or a table row.
"""

from __future__ import annotations

import json
import re
from typing import assert_never

from iam_audit.findings import Finding, Status
from iam_audit.render.escape import for_markdown_code as _code
from iam_audit.render.escape import for_markdown_text as _text
from iam_audit.render.interface import (
    OutputFormat,
    audit_only,
    counts_line,
    evidence_lines,
    fix_target_label,
    role_name,
)
from iam_audit.results import Result

__all__ = ["MarkdownRenderer"]


def _status(finding: Finding) -> str:
    if finding.suppressed:
        return "suppressed"
    match finding.status:
        case Status.FAIL:
            return "**FAIL**"
        case Status.WARN:
            return "**WARN**"
        case Status.ERROR:
            return "**ERROR**"
        case Status.PASS:
            return "pass"
        case Status.SKIP:
            return "skip"
        case _:
            assert_never(finding.status)


def _where(finding: Finding, *, in_table: bool = False) -> str:
    origin = finding.origin
    if origin is None:
        return ""
    where = origin.location
    if origin.line is not None:
        where += f":{origin.line}"
    elif origin.pointer and origin.pointer != origin.location:
        where += f" {origin.pointer}"
    return _code(where, in_table=in_table)


def _section(finding: Finding) -> list[str]:
    lines = [
        f"### {finding.check} {finding.slug} on {_code(role_name(finding.role))}",
        "",
        f"{_status(finding)} ({finding.severity.value}) {_text(finding.message)}",
        "",
        f"- role: {_code(finding.role or '(no role)')}",
    ]
    if finding.origin is not None:
        lines.append(f"- where: {_where(finding)}")
        if finding.origin.pointer and finding.origin.line is not None:
            lines.append(f"- resource: {_code(finding.origin.pointer)}")
        if finding.origin.stack:
            lines.append(f"- stack: {_code(finding.origin.stack)}")
        if finding.origin.construct:
            lines.append(f"- construct: {_code(finding.origin.construct)}")
    lines += [
        f"- {line}"
        for line in evidence_lines(
            finding,
            lambda names: ", ".join(_code(name) for name in names),
            lambda e: f"{_text(e.effect)} in {_code(e.policy)} statement {_code(e.statement)}",
        )
    ]
    if finding.suppression is not None and finding.suppression.expired:
        lines.append(
            f"- suppression expired on {_text(finding.suppression.expires)}: "
            f"{_text(finding.suppression.reason)}"
        )
    if finding.fix is not None:
        lines += [
            "",
            f"Fix ({_text(fix_target_label(finding))}):",
            "",
            *_block("json", json.dumps(finding.fix, indent=2)),
        ]
    change = finding.template_fix
    if change is not None:
        lines += [
            "",
            f"Fix in the template ({_code(change.file)} at {_code(change.where)}):",
            "",
            *_block(change.language, change.snippet.rstrip("\n")),
        ]
        if change.note:
            lines += ["", _text(change.note)]
        if change.diff:
            lines += ["", *_block("diff", change.diff.rstrip("\n"))]
    lines.append("")
    return lines


def _block(language: str, text: str) -> list[str]:
    """A fenced code block whose fence is longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", text, fence]


class MarkdownRenderer:
    """A pull-request comment; always output, even when everything passes."""

    def render(self, result: Result) -> str:
        result = audit_only(result, OutputFormat.MARKDOWN)
        findings = sorted(result.findings, key=Finding.sort_key)
        lines = [f"## iam-audit: {counts_line(result)}", ""]
        if findings:
            lines += ["| Check | Role | Status | Where |", "| --- | --- | --- | --- |"]
            for finding in findings:
                role = _code(role_name(finding.role), in_table=True)
                where = _where(finding, in_table=True)
                lines.append(
                    f"| {finding.check} {finding.slug} | {role} | {_status(finding)} | {where} |"
                )
            lines.append("")
        reported = [f for f in findings if f.counts_as_failure]
        for finding in reported:
            lines += _section(finding)
        suppressed = [f for f in findings if f.suppressed]
        if suppressed:
            lines += ["### Suppressed", ""]
            for finding in suppressed:
                assert finding.suppression is not None
                until = (
                    f" (until {_text(finding.suppression.expires)})"
                    if finding.suppression.expires
                    else ""
                )
                lines.append(
                    f"- {finding.check} {finding.slug} on {_code(role_name(finding.role))}: "
                    f"{_text(finding.suppression.reason)}{until}"
                )
            lines.append("")
        if result.remarks():
            lines += ["### Notes", ""]
            lines += [f"- {_text(note)}" for note in result.remarks()]
            lines.append("")
        return "\n".join(lines).rstrip("\n") + "\n"
