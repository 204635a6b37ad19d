"""A source whose every value is read up front: templates and plans."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from iam_audit.errors import InputError
from iam_audit.model import Inventory, LambdaFunction, Role, SourceKind, UserPool

__all__ = ["StaticSource"]


class StaticSource:
    """Roles, functions and pools keyed by the file's own names (logical ID, resource address).

    Implements :class:`iam_audit.sources.interface.Source`: a value is found by its key, its ARN,
    or its name (pools: their ID).
    """

    kind: SourceKind

    def __init__(
        self,
        path: Path,
        roles: Mapping[str, Role],
        functions: Mapping[str, LambdaFunction],
        user_pools: Mapping[str, UserPool],
        notes: tuple[str, ...],
        account_id: str | None,
    ) -> None:
        self.path = path
        self._roles = dict(roles)
        self._functions = dict(functions)
        self._pools = dict(user_pools)
        self._notes = notes
        self._account = account_id

    def get_role(self, ref: str) -> Role:
        """The role with key, name or ARN ``ref``; :class:`InputError` naming the others if absent."""
        role = self._roles.get(ref) or next(
            (r for r in self._roles.values() if ref in (r.arn, r.name)), None
        )
        if role is None:
            known = ", ".join(sorted(self._roles)) or "none"
            raise InputError(f"role {ref!r} is not in {self.path}", advice=f"roles in it: {known}")
        return role

    def get_function(self, ref: str) -> LambdaFunction | None:
        """The function with key, name or ARN ``ref``, or ``None``."""
        return self._functions.get(ref) or next(
            (f for f in self._functions.values() if ref in (f.arn, f.name)), None
        )

    def get_user_pool(self, arn: str) -> UserPool | None:
        """The pool with key, ARN or ID ``arn``, or ``None``."""
        return self._pools.get(arn) or next(
            (p for p in self._pools.values() if arn in (p.arn, p.pool_id)), None
        )

    def inventory(self) -> Inventory:
        """Every role, function and pool, sorted by ARN, with notes on what stayed unresolved."""
        return Inventory(
            roles=tuple(sorted(self._roles.values(), key=lambda r: r.arn)),
            functions=tuple(sorted(self._functions.values(), key=lambda f: f.arn)),
            user_pools=tuple(sorted(self._pools.values(), key=lambda p: p.arn)),
            notes=self._notes,
        )

    def account_id(self) -> str | None:
        """The account the file was read for (``--account-id``, or what the file says)."""
        return self._account
