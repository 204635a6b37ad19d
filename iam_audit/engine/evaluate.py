"""Policy evaluation (API contract; the implementation is being written)."""

from __future__ import annotations

from collections.abc import Sequence

from iam_audit.engine.types import EvalResult, Principal, Request
from iam_audit.model import JSON, PolicyDocument, PolicyKind


def parse_policy(
    value: str | JSON, *, name: str, kind: PolicyKind, location: str = ""
) -> PolicyDocument:
    """Decode a dict, JSON text or URL-encoded JSON text into a validated PolicyDocument."""
    raise NotImplementedError


def validate_policy(document: JSON, *, location: str = "") -> None:
    """Raise PolicyParseError naming ``location`` and the JSON path if not a policy."""
    raise NotImplementedError


def evaluate(
    request: Request,
    *,
    identity: Sequence[PolicyDocument] = (),
    boundary: PolicyDocument | None = None,
    resource_policy: PolicyDocument | None = None,
    resource_account: str | None = None,
) -> EvalResult:
    """Evaluate one request the way IAM does."""
    raise NotImplementedError


def evaluate_policies(request: Request, policies: Sequence[PolicyDocument]) -> EvalResult:
    """Evaluate ``policies`` as one layer (Deny beats Allow, else implicit deny)."""
    raise NotImplementedError


def named_principals(policy: PolicyDocument, action: str) -> tuple[tuple[Principal, bool], ...]:
    """Principals that Allow statements covering ``action`` name, each with has-condition flag."""
    raise NotImplementedError
