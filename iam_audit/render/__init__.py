"""Output formats: each a class with ``render(result) -> str``."""

from __future__ import annotations

from typing import assert_never

from iam_audit.render.interface import OutputFormat, Renderer, TextFormat

__all__ = ["OutputFormat", "Renderer", "TextFormat", "renderer_for"]


def renderer_for(fmt: OutputFormat) -> Renderer:
    """The renderer of ``fmt`` (imported only when asked for)."""
    match fmt:
        case OutputFormat.TABLE:
            from iam_audit.render.table import TableRenderer

            return TableRenderer()
        case OutputFormat.JSON:
            from iam_audit.render.json import JsonRenderer

            return JsonRenderer()
        case OutputFormat.SARIF:
            from iam_audit.render.sarif import SarifRenderer

            return SarifRenderer()
        case OutputFormat.JUNIT:
            from iam_audit.render.junit import JunitRenderer

            return JunitRenderer()
        case OutputFormat.MARKDOWN:
            from iam_audit.render.markdown import MarkdownRenderer

            return MarkdownRenderer()
        case _:
            assert_never(fmt)
