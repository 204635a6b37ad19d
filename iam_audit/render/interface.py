"""The seam every output format implements."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from iam_audit.findings import AuditResult

__all__ = ["OutputFormat", "Renderer", "TextFormat"]


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
    """Turns a result into text; never writes anything itself (the CLI does)."""

    def render(self, result: AuditResult) -> str: ...
