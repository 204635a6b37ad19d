"""Discovery: which roles and pools to audit when the user named none (DESIGN.md, "Commands").

Pure: an :class:`~iam_audit.model.Inventory` in, a :class:`Discovery` out. The rules, and no
others (what they cannot settle is a :class:`Skip` naming the option that would, never a guess):

1. The import pool is the one named; with none named and exactly one pool in the inventory, that
   one.
2. The pool's ``UserMigration`` trigger leads to the function, and the function to its role (the
   Lambda role).
3. A role whose trust policy lets ``cognito-idp.amazonaws.com`` call ``sts:AssumeRole`` (asked of the
   engine, exactly as check COG003 asks it) is a logs-role candidate; so is a role the pool's
   import jobs used, where the source knows them.
4. With no source pool named, a user pool ID (or ARN) in the function's environment variables is
   the source pool; two different ones are ambiguous and settle nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from iam_audit.checks.ask import ask_trust
from iam_audit.engine import Principal, PrincipalKind
from iam_audit.model import Inventory, LambdaFunction, Role, UserPool, pool_arn_from_id

__all__ = ["COGNITO_SERVICE", "Discovery", "Item", "Skip", "discover"]

COGNITO_SERVICE = "cognito-idp.amazonaws.com"

_POOL_ID_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+_[0-9A-Za-z]+$")
_POOL_ARN_RE = re.compile(r"^arn:[^:]+:cognito-idp:[^:]+:[^:]+:userpool/[^/]+$")


class Item(StrEnum):
    """What discovery looks for."""

    USER_POOL = "user-pool"
    FUNCTION = "function"
    LAMBDA_ROLE = "lambda-role"
    LOGS_ROLE = "logs-role"
    SOURCE_POOL = "source-pool"


@dataclass(frozen=True, slots=True)
class Skip:
    """Something discovery could not settle, and the option that would."""

    item: Item
    reason: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """What the inventory revealed, how (``notes``), and what it could not (``skips``).

    ``logs_role_arns`` are candidates, sorted: one is the logs role; several need ``--logs-role``.
    """

    user_pool: UserPool | None = None
    function: LambdaFunction | None = None
    lambda_role_arn: str | None = None
    logs_role_arns: tuple[str, ...] = ()
    source_pool_arn: str | None = None
    notes: tuple[str, ...] = ()
    skips: tuple[Skip, ...] = ()

    def skip_reason(self, item: Item) -> str | None:
        """Why ``item`` was not discovered, or ``None``."""
        return next((s.reason for s in self.skips if s.item is item), None)


def _pool(
    inventory: Inventory, user_pool_arn: str | None, notes: list[str], skips: list[Skip]
) -> UserPool | None:
    pools = inventory.user_pools
    if user_pool_arn is not None:
        found = next((p for p in pools if user_pool_arn in (p.arn, p.pool_id)), None)
        if found is None:
            skips.append(Skip(Item.USER_POOL, f"user pool {user_pool_arn} is not in the source"))
        return found
    if len(pools) == 1:
        notes.append(f"user pool {pools[0].arn} is the only pool in the source; auditing it")
        return pools[0]
    if not pools:
        skips.append(Skip(Item.USER_POOL, "no user pool in the source; pass --user-pool-arn"))
    else:
        names = ", ".join(p.arn for p in pools)
        skips.append(Skip(Item.USER_POOL, f"several user pools ({names}); pass --user-pool-arn"))
    return None


def _function(
    inventory: Inventory, pool: UserPool, notes: list[str], skips: list[Skip]
) -> LambdaFunction | None:
    trigger = pool.migration_lambda_arn
    if not trigger:
        skips.append(Skip(Item.FUNCTION, f"user pool {pool.arn} has no UserMigration trigger"))
        return None
    found = next((f for f in inventory.functions if trigger in (f.arn, f.name)), None)
    if found is None:
        skips.append(
            Skip(Item.FUNCTION, f"the UserMigration trigger {trigger} is not in the source")
        )
        return None
    notes.append(f"function {found.name} is the UserMigration trigger of {pool.arn}")
    return found


def _trusts_cognito(role: Role) -> bool:
    """The engine's answer to "may cognito-idp.amazonaws.com assume this role?" (or "maybe")."""
    if role.trust is None:
        return False
    answer = ask_trust(role, Principal(PrincipalKind.SERVICE, COGNITO_SERVICE))
    return answer.allowed or answer.result.conditional


def _logs_roles(
    inventory: Inventory, pool: UserPool | None, notes: list[str], skips: list[Skip]
) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for role in inventory.roles:
        if _trusts_cognito(role):
            found[role.arn] = f"its trust policy lets {COGNITO_SERVICE} assume it"
    if pool is not None:
        for arn in pool.import_logs_role_arns:
            found.setdefault(arn, "the pool's import jobs used it")
    for arn in sorted(found):
        notes.append(f"logs role candidate {arn}: {found[arn]}")
    if not found:
        skips.append(
            Skip(
                Item.LOGS_ROLE,
                f"no role in the source trusts {COGNITO_SERVICE}; pass --logs-role",
            )
        )
    elif len(found) > 1:
        skips.append(
            Skip(
                Item.LOGS_ROLE,
                f"several roles trust {COGNITO_SERVICE} ({', '.join(sorted(found))}); "
                "pass --logs-role",
            )
        )
    return tuple(sorted(found))


def _account_and_partition(function: LambdaFunction) -> tuple[str, str]:
    """The function's account and partition: user pools have no resource policy, so the pool it
    calls AdminInitiateAuth on can only be in its own account."""
    parts = function.arn.split(":")
    if len(parts) > 5:
        return parts[4], parts[1]
    parts = function.role_arn.split(":")
    return (parts[4], parts[1]) if len(parts) > 5 else ("", "aws")


def _source_pool(
    inventory: Inventory, function: LambdaFunction, notes: list[str], skips: list[Skip]
) -> str | None:
    account, _partition = _account_and_partition(function)
    candidates: dict[str, list[str]] = {}
    for name, value in function.environment:
        value = value.strip()
        arn: str | None = None
        known = next((p for p in inventory.user_pools if value in (p.pool_id, p.arn)), None)
        if known is not None:
            arn = known.arn
        elif _POOL_ARN_RE.match(value):
            arn = value
        elif _POOL_ID_RE.match(value) and account:
            arn = pool_arn_from_id(value, account)
        if arn is not None:
            candidates.setdefault(arn, []).append(name)
    if not candidates:
        notes.append(
            f"no user pool ID in the environment of function {function.name}; the source pool "
            "is the import pool unless --source-pool-arn says otherwise"
        )
    if len(candidates) == 1:
        ((arn, names),) = candidates.items()
        notes.append(
            f"source pool {arn} taken from {', '.join(sorted(names))} in the environment of "
            f"function {function.name}"
        )
        return arn
    if candidates:
        listed = "; ".join(f"{', '.join(sorted(n))}={a}" for a, n in sorted(candidates.items()))
        skips.append(
            Skip(
                Item.SOURCE_POOL,
                f"function {function.name} names several user pools ({listed}); "
                "pass --source-pool-arn",
            )
        )
    return None


def discover(
    inventory: Inventory, *, user_pool_arn: str | None, source_pool_arn: str | None
) -> Discovery:
    """Apply the discovery rules (module docstring) to ``inventory``.

    ``user_pool_arn`` is the import pool the user named (or ``None``); ``source_pool_arn`` the
    source pool they named, kept as given. ``notes`` say what was discovered and how, for the
    output; ``skips`` what was not, with the option that would supply it.
    """
    notes: list[str] = []
    skips: list[Skip] = []
    pool = _pool(inventory, user_pool_arn, notes, skips)
    function = _function(inventory, pool, notes, skips) if pool is not None else None
    lambda_role_arn = None
    if function is not None:
        lambda_role_arn = function.role_arn or None
        if lambda_role_arn:
            notes.append(f"Lambda role {lambda_role_arn} is the execution role of {function.name}")
    if lambda_role_arn is None:
        reason = next((s.reason for s in skips), "the migration function has no role")
        joiner = " or " if re.search(r"pass --[a-z-]+$", reason) else "; pass "
        skips.append(Skip(Item.LAMBDA_ROLE, f"{reason}{joiner}--lambda-role"))
    logs_roles = _logs_roles(inventory, pool, notes, skips)
    source_pool = source_pool_arn
    if source_pool is None and function is not None:
        source_pool = _source_pool(inventory, function, notes, skips)
    if source_pool is None and source_pool_arn is None and function is None:
        skips.append(
            Skip(Item.SOURCE_POOL, "no migration function to read it from; pass --source-pool-arn")
        )
    return Discovery(
        user_pool=pool,
        function=function,
        lambda_role_arn=lambda_role_arn,
        logs_role_arns=logs_roles,
        source_pool_arn=source_pool,
        notes=tuple(notes),
        skips=tuple(skips),
    )
