"""Output formats: each a class with ``render(result) -> str`` for any command's
:class:`~iam_audit.results.Result`."""

from __future__ import annotations

from typing import assert_never

from iam_audit.render.interface import OutputFormat, Renderer, TextFormat
from iam_audit.results import FailOn

__all__ = ["OutputFormat", "Renderer", "TextFormat", "renderer_for"]


def renderer_for(
    fmt: OutputFormat | TextFormat,
    *,
    fail_on: FailOn = FailOn.ERROR,
    quiet: bool = False,
    exit_reason: bool = True,
) -> Renderer:
    """The renderer of ``fmt`` (imported only when asked for).

    ``fail_on`` lets the table say why failures below it leave the exit code 0, and JUnit mark
    only results at or above it as ``<failure>``; ``quiet`` (``--quiet``) makes the table print
    failures only (the other formats are complete reports for machines and stay whole);
    ``exit_reason=False`` keeps the table from explaining an exit code 0 the command will not
    return. A text-only command's format (table, json) picks the same renderers.
    """
    match OutputFormat(fmt):
        case OutputFormat.TABLE:
            from iam_audit.render.table import TableRenderer

            return TableRenderer(fail_on=fail_on, quiet=quiet, exit_reason=exit_reason)
        case OutputFormat.JSON:
            from iam_audit.render.json import JsonRenderer

            return JsonRenderer()
        case OutputFormat.SARIF:
            from iam_audit.render.sarif import SarifRenderer

            return SarifRenderer()
        case OutputFormat.JUNIT:
            from iam_audit.render.junit import JunitRenderer

            return JunitRenderer(fail_on=fail_on)
        case OutputFormat.MARKDOWN:
            from iam_audit.render.markdown import MarkdownRenderer

            return MarkdownRenderer()
        case unknown:
            assert_never(unknown)
