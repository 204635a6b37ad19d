"""The seam every output format implements."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from iam_audit.findings import AuditResult

__all__ = ["OutputFormat", "Renderer"]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"


class Renderer(Protocol):
    """Turns a result into text; never writes anything itself (the CLI does)."""

    def render(self, result: AuditResult) -> str: ...
