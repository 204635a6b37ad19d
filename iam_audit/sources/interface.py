"""The seam every source implements: live AWS, an authorization-details file, a template, a plan."""

from __future__ import annotations

from typing import Protocol

from iam_audit.model import Inventory, LambdaFunction, Role, SourceKind, UserPool

__all__ = ["Source", "may_name"]


class Source(Protocol):
    """Reads roles, functions and pools; never evaluates anything.

    ``get_role`` takes a role name or ARN and raises :class:`iam_audit.errors.InputError` naming
    the role when the source does not hold it. ``inventory`` returns everything the source knows,
    for discovery; a live source may fetch it lazily.
    """

    kind: SourceKind

    def get_role(self, ref: str) -> Role: ...

    def get_function(self, ref: str) -> LambdaFunction | None: ...

    def get_user_pool(self, arn: str) -> UserPool | None: ...

    def inventory(self) -> Inventory: ...

    def account_id(self) -> str | None: ...


def may_name(text: str, service: str) -> bool:
    """Can a trust policy whose JSON text is ``text`` name ``service``? The sources' pre-filter
    for discovery's logs-role candidates (the engine then judges each trust policy in full):
    the service's name, a ``*``, or a JSON escape, which may spell either (``\\u002a`` is ``*``:
    RFC 8259, section 7)."""
    return service in text or "*" in text or "\\" in text
