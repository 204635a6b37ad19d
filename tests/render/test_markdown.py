"""Markdown pull-request comment: summary table, each failure with its fix as a JSON block."""

from __future__ import annotations

import json
import re

from iam_audit.findings import AuditResult
from iam_audit.render.markdown import MarkdownRenderer
from tests.render.goldens import check_golden


def test_summary_table_has_a_row_per_result(stack_result: AuditResult) -> None:
    text = MarkdownRenderer().render(stack_result)
    # skipped: COG007, and COG010/COG011 (this fixture's target carries no code)
    assert text.startswith("## iam-audit: 3 failed, 0 warned, 7 passed, 3 skipped\n")
    rows = [line for line in text.splitlines() if line.startswith("| COG")]
    assert len(rows) == len(stack_result.findings)
    assert (
        "| COG001 lambda-admin-initiate-auth | `cognito-migration-prod` | **FAIL** | `tests/assets/cfn/stack.yaml:37` |"
        in rows
    )


def test_every_fix_is_a_json_block(stack_result: AuditResult) -> None:
    text = MarkdownRenderer().render(stack_result)
    blocks = re.findall(r"```json\n(.*?)\n```", text, re.S)
    fixes = [f.fix for f in stack_result.findings if f.fix is not None and f.status.value == "fail"]
    assert [json.loads(b) for b in blocks] == fixes
    assert text.count("\n### ") == 3 + 1  # three failures, then the notes


def test_template_text_is_escaped(edge_result: AuditResult) -> None:
    text = MarkdownRenderer().render(edge_result)
    assert "Logs role &lt;ImportLogsRole&gt;: its trust policy" in text
    assert r"logs:\* on \* \| broader" not in text  # suppressed: not among the failures
    assert "`<ImportLogsRole>`" in text  # code spans need no escaping
    assert "<ImportLogsRole>:" not in text


def test_suppressed_results_are_listed_with_reasons(edge_result: AuditResult) -> None:
    text = MarkdownRenderer().render(edge_result)
    assert (
        "| COG006 least-privilege | `<ImportLogsRole>` | suppressed | `infra/stack.yaml:90` |"
        in text
    )
    assert (
        "- COG006 least-privilege on `<ImportLogsRole>`: kept until the old pool is retired "
        "(SEC-1234) (until 2027-01-31)" in text
    )
    assert "- suppression expired on 2026-01-01: audit account access, agreed" in text


def test_all_passing_still_renders() -> None:
    assert MarkdownRenderer().render(AuditResult(())) == (
        "## iam-audit: 0 failed, 0 warned, 0 passed, 0 skipped\n"
    )


def test_markdown_golden_stack(stack_result: AuditResult) -> None:
    check_golden("stack.md", MarkdownRenderer().render(stack_result))


def test_markdown_golden_edge(edge_result: AuditResult) -> None:
    check_golden("edge.md", MarkdownRenderer().render(edge_result))
