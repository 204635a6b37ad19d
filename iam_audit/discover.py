"""Discovery: which pools, functions and roles to audit (DESIGN.md, "Commands").

Pure: an :class:`~iam_audit.model.Inventory` in, a :class:`Survey` out; every command and every
source (live, authorization details, template, plan, ``scan``) goes through it, so the same pool
gets the same answer everywhere. The rules, and no others (what they cannot settle is a
:class:`Skip`, never a guess; a skip with ``needs`` names the option that settles it):

1. **Pools.** The pool named. With none named: every pool of the inventory that has a
   ``UserMigration`` trigger or whose import jobs name a logs role, each audited on its own; else
   the only pool; several pools with neither are ambiguous (``--user-pool-arn``).
2. **Function.** The pool's ``UserMigration`` trigger. With no trigger in the inventory and a
   Lambda role named, the functions whose execution role it is (each audited on its own), so the
   checks know the function's region, name, environment and invoke permission.
3. **Lambda role.** The one named, else the function's execution role.
4. **Logs role.** The roles the pool's import jobs used (each audited). Else the roles whose trust
   policy lets ``cognito-idp.amazonaws.com`` call ``sts:AssumeRole`` (asked of the engine, as check
   COG003 asks it; ``"*"`` is every principal, services included), except the pool's SMS role: the role a pool's ``SmsConfiguration``
   names, or one that Cognito may assume only with an ``sts:ExternalId`` and that may
   ``sns:Publish`` (the shape CDK gives every pool with SMS). One candidate is the logs role;
   several are ambiguous (``--logs-role``); none means the deployment does no CSV import (not
   applicable).
5. **Source pool.** The one named; else a user pool ID or ARN in the function's environment. A
   pool variable whose value the template leaves unresolved is kept as it is (COG001 then warns,
   naming it); two different pools are ambiguous (``--source-pool-arn``); none means the import
   pool, and the note says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from iam_audit.checks.ask import ask_identity, ask_trust
from iam_audit.engine import Principal, PrincipalKind
from iam_audit.model import Inventory, LambdaFunction, Role, UserPool, pool_arn_from_id
from iam_audit.sources.symbolic import unresolved_in

__all__ = [
    "COGNITO_SERVICE",
    "Discovery",
    "Item",
    "Skip",
    "Survey",
    "discover",
    "logs_role_candidates",
]

COGNITO_SERVICE = "cognito-idp.amazonaws.com"

_POOL_ID_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+_[0-9A-Za-z]+$")
_POOL_ARN_RE = re.compile(r"^arn:[^:]+:cognito-idp:[^:]+:[^:]+:userpool/[^/]+$")
_POOL_NAME_RE = re.compile(r"POOL", re.IGNORECASE)


class Item(StrEnum):
    """What discovery looks for."""

    USER_POOL = "user-pool"
    FUNCTION = "function"
    LAMBDA_ROLE = "lambda-role"
    LOGS_ROLE = "logs-role"
    SOURCE_POOL = "source-pool"


@dataclass(frozen=True, slots=True)
class Skip:
    """Something discovery could not settle. ``needs`` is the option that would, when the user
    can give it; ``None`` when the source simply has no such part (not applicable)."""

    item: Item
    reason: str
    needs: str | None = None


@dataclass(frozen=True, slots=True)
class Discovery:
    """One unit to audit (a pool, and the function that migrates into it), how it was found
    (``notes``), and what could not be (``skips``).

    ``logs_role_arns`` are the logs roles to audit, each on its own (the roles the pool's import
    jobs used, or the one candidate its trust makes); empty when there is none or the candidates
    are ambiguous (then ``skips`` says so).
    """

    user_pool: UserPool | None = None
    function: LambdaFunction | None = None
    lambda_role_arn: str | None = None
    logs_role_arns: tuple[str, ...] = ()
    source_pool_arn: str | None = None
    notes: tuple[str, ...] = ()
    skips: tuple[Skip, ...] = ()

    def skip(self, item: Item) -> Skip | None:
        """Why ``item`` was not discovered, or ``None``."""
        return next((s for s in self.skips if s.item is item), None)


@dataclass(frozen=True, slots=True)
class Survey:
    """Every unit to audit. ``applicable`` is false when the inventory holds nothing of an import:
    no pool with a ``UserMigration`` trigger or import jobs, no logs-role candidate (for a source
    that knows its pools, a template or plan, that means there is nothing to audit)."""

    discoveries: tuple[Discovery, ...]
    applicable: bool = True


# ---------------------------------------------------------------------------------------------
# Logs-role candidates


def _trust_answer(role: Role) -> tuple[bool, tuple[str, ...]]:
    """(may Cognito assume the role, the condition keys that answer hangs on), from the engine."""
    if role.trust is None:
        return False, ()
    answer = ask_trust(role, Principal(PrincipalKind.SERVICE, COGNITO_SERVICE))
    return answer.allowed or answer.result.conditional, answer.result.unresolved


def _sms_role(role: Role, unresolved: tuple[str, ...], sms_roles: set[str]) -> str | None:
    """Why ``role`` is a pool's SMS role (never the logs role), or ``None``.

    Cognito passes the ``ExternalId`` of the pool's SMS configuration when it assumes the SMS role
    to call ``sns:Publish`` ("SMS message settings for Amazon Cognito user pools"); a CSV import
    assumes its logs role with none.
    """
    if role.arn in sms_roles:
        return "a user pool's SmsConfiguration names it (SnsCallerArn)"
    if "sts:externalid" in {key.lower() for key in unresolved}:
        publish = ask_identity(role, "sns:Publish", "*")
        if publish.allowed or publish.result.conditional:
            return "Cognito may assume it only with an sts:ExternalId and it may sns:Publish"
    return None


def logs_role_candidates(inventory: Inventory) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The roles of ``inventory`` that rule 4 makes logs-role candidates (sorted), and a note for
    each role it considered, saying why it is or is not one."""
    sms_roles = {p.sms_role_arn for p in inventory.user_pools if p.sms_role_arn}
    found: list[str] = []
    notes: list[str] = []
    for role in sorted(inventory.roles, key=lambda r: r.arn):
        trusted, unresolved = _trust_answer(role)
        if not trusted:
            continue
        why_not = _sms_role(role, unresolved, sms_roles)
        if why_not:
            notes.append(f"role {role.arn} is not a logs-role candidate: {why_not} (SMS role)")
            continue
        found.append(role.arn)
        notes.append(
            f"logs role candidate {role.arn}: its trust policy lets {COGNITO_SERVICE} assume it"
        )
    return tuple(found), tuple(notes)


def _logs_roles(
    pool: UserPool | None,
    candidates: tuple[str, ...],
    notes: list[str],
    skips: list[Skip],
) -> tuple[str, ...]:
    if pool is not None and pool.import_logs_role_arns:
        for arn in pool.import_logs_role_arns:
            notes.append(f"logs role {arn}: the import jobs of {pool.arn} used it")
        return tuple(sorted(pool.import_logs_role_arns))
    if len(candidates) == 1:
        return candidates
    if candidates:
        skips.append(
            Skip(
                Item.LOGS_ROLE,
                f"several roles trust {COGNITO_SERVICE} ({', '.join(candidates)}); none was picked",
                needs="--logs-role",
            )
        )
    else:
        skips.append(
            Skip(
                Item.LOGS_ROLE,
                f"no import job names a logs role and no role in the source is trusted by "
                f"{COGNITO_SERVICE} for it: the source does no CSV import",
            )
        )
    return ()


# ---------------------------------------------------------------------------------------------
# Pools and functions


def _pools(
    inventory: Inventory, user_pool_arn: str | None, notes: list[str], skips: list[Skip]
) -> list[UserPool | None]:
    pools = inventory.user_pools
    if user_pool_arn is not None:
        found = next((p for p in pools if user_pool_arn in (p.arn, p.pool_id)), None)
        if found is None and pools:
            notes.append(f"user pool {user_pool_arn} is not in the source; audited as named")
        return [found]
    active = [p for p in pools if p.migration_lambda_arn or p.import_logs_role_arns]
    for pool in active:
        why = "a UserMigration trigger" if pool.migration_lambda_arn else "import jobs"
        notes.append(f"user pool {pool.arn} has {why}; auditing it")
    if active:
        return list(active)
    if len(pools) == 1:
        notes.append(f"user pool {pools[0].arn} is the only pool in the source; auditing it")
        return [pools[0]]
    if pools:
        names = ", ".join(p.arn for p in pools)
        skips.append(
            Skip(
                Item.USER_POOL,
                f"several user pools ({names}) and none has a UserMigration trigger or import jobs",
                needs="--user-pool-arn",
            )
        )
    return [None]


def _functions(
    inventory: Inventory,
    pool: UserPool | None,
    lambda_role_arn: str | None,
    absent: Mapping[str, str],
    notes: list[str],
    skips: list[Skip],
) -> list[LambdaFunction | None]:
    trigger = pool.migration_lambda_arn if pool is not None else None
    if trigger and pool is not None:
        found = next((f for f in inventory.functions if trigger in (f.arn, f.name)), None)
        if found is not None:
            notes.append(f"function {found.name} is the UserMigration trigger of {pool.arn}")
            return [found]
        if trigger in absent:
            skips.append(Skip(Item.FUNCTION, absent[trigger]))
        elif lambda_role_arn is None:
            skips.append(
                Skip(
                    Item.FUNCTION,
                    f"the UserMigration trigger {trigger} is not in the source",
                    needs="--lambda-role",
                )
            )
    if lambda_role_arn is not None:
        running = [f for f in inventory.functions if f.role_arn == lambda_role_arn]
        for function in running:
            notes.append(f"function {function.name} runs with the Lambda role {lambda_role_arn}")
        if running:
            return list(running)
    elif pool is not None and not trigger:
        skips.append(Skip(Item.FUNCTION, f"user pool {pool.arn} has no UserMigration trigger"))
    return [None]


def _account(function: LambdaFunction) -> str:
    """The function's account: user pools have no resource policy, so the pool it calls
    AdminInitiateAuth on can only be in its own account."""
    for arn in (function.arn, function.role_arn):
        parts = arn.split(":")
        if len(parts) > 5:
            return parts[4]
    return ""


def _source_pool(
    inventory: Inventory, function: LambdaFunction, notes: list[str], skips: list[Skip]
) -> str | None:
    account = _account(function)
    candidates: dict[str, list[str]] = {}
    for name, raw in function.environment:
        value = raw.strip()
        arn: str | None = None
        known = next((p for p in inventory.user_pools if value in (p.pool_id, p.arn)), None)
        if known is not None:
            arn = known.arn
        elif _POOL_ARN_RE.match(value):
            arn = value
        elif _POOL_ID_RE.match(value) and account:
            arn = pool_arn_from_id(value, account)
        elif _POOL_NAME_RE.search(name) and unresolved_in(value):
            arn = value  # a pool the template does not resolve: COG001 warns, naming it
        if arn is not None:
            candidates.setdefault(arn, []).append(name)
    if not candidates:
        notes.append(
            f"no user pool ID in the environment of function {function.name}; the source pool "
            "is the import pool unless --source-pool-arn says otherwise"
        )
        return None
    if len(candidates) == 1:
        ((arn, names),) = candidates.items()
        notes.append(
            f"source pool {arn} taken from {', '.join(sorted(names))} in the environment of "
            f"function {function.name}"
        )
        return arn
    listed = "; ".join(f"{', '.join(sorted(n))}={a}" for a, n in sorted(candidates.items()))
    skips.append(
        Skip(
            Item.SOURCE_POOL,
            f"function {function.name} names several user pools ({listed})",
            needs="--source-pool-arn",
        )
    )
    return None


def _unit(
    inventory: Inventory,
    pool: UserPool | None,
    function: LambdaFunction | None,
    *,
    lambda_role_arn: str | None,
    source_pool_arn: str | None,
    candidates: tuple[str, ...],
    notes: list[str],
    skips: list[Skip],
) -> Discovery:
    role = lambda_role_arn
    if role is None and function is not None and function.role_arn:
        role = function.role_arn
        notes.append(f"Lambda role {role} is the execution role of {function.name}")
    if role is None:
        cause = next((s for s in skips if s.item in (Item.USER_POOL, Item.FUNCTION)), None)
        if cause is not None:
            skips.append(Skip(Item.LAMBDA_ROLE, cause.reason, needs=cause.needs))
        elif pool is None:
            skips.append(
                Skip(Item.LAMBDA_ROLE, "no user pool in the source leads to a migration function")
            )
        else:
            skips.append(Skip(Item.LAMBDA_ROLE, "the migration function has no execution role"))
    logs = _logs_roles(pool, candidates, notes, skips)
    source_pool = source_pool_arn
    if source_pool is None and function is not None:
        source_pool = _source_pool(inventory, function, notes, skips)
    return Discovery(
        user_pool=pool,
        function=function,
        lambda_role_arn=role,
        logs_role_arns=logs,
        source_pool_arn=source_pool,
        notes=tuple(notes),
        skips=tuple(skips),
    )


def discover(
    inventory: Inventory,
    *,
    user_pool_arn: str | None,
    source_pool_arn: str | None,
    lambda_role_arn: str | None = None,
    candidates: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
    absent: Mapping[str, str] | None = None,
) -> Survey:
    """Apply the discovery rules (module docstring) to ``inventory``.

    ``user_pool_arn`` is the import pool the user named (or ``None``), ``source_pool_arn`` the
    source pool and ``lambda_role_arn`` the Lambda role they named (its ARN), each kept as given.
    ``candidates`` is :func:`logs_role_candidates` of the inventory when the caller already has it
    (a scan asks it once for every pool); ``absent`` the triggers the account is known not to
    hold (a live read found no such function), with why. Each :class:`Discovery` says what was discovered and how
    (``notes``) and what was not (``skips``, with the option that would supply it).
    """
    if candidates is None:
        candidates = logs_role_candidates(inventory)
    absent = absent or {}
    found, candidate_notes = candidates
    head: list[str] = []
    head_skips: list[Skip] = []
    pools = _pools(inventory, user_pool_arn, head, head_skips)
    units: list[Discovery] = []
    for pool in pools:
        pool_notes = list(head)
        pool_skips = list(head_skips)
        functions = _functions(inventory, pool, lambda_role_arn, absent, pool_notes, pool_skips)
        for function in functions:
            notes = [*pool_notes, *candidate_notes]
            units.append(
                _unit(
                    inventory,
                    pool,
                    function,
                    lambda_role_arn=lambda_role_arn,
                    source_pool_arn=source_pool_arn,
                    candidates=found,
                    notes=notes,
                    skips=list(pool_skips),
                )
            )
    applicable = bool(found) or any(
        p.migration_lambda_arn or p.import_logs_role_arns for p in inventory.user_pools
    )
    return Survey(tuple(units), applicable)
