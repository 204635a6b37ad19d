"""From the command line's selection to the targets under audit: the one target builder.

``audit`` and ``fix`` (every source: live, authorization details, template, plan) and ``scan``
build their targets here, from an :class:`~iam_audit.model.Inventory` through
:func:`iam_audit.discover.discover`, so the same pool gets the same answer from every command:

* a template or plan gives its whole inventory (it knows every pool it deploys);
* an authorization-details file gives its roles (it knows no pool or function);
* the live account gives the named pool, its ``UserMigration`` function and the roles whose
  trust policy names ``cognito-idp.amazonaws.com`` (:func:`live_inventory`);
* ``scan`` gives each pool it read, with the account's roles (:func:`build_targets`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from iam_audit.checks import AuditTarget
from iam_audit.discover import COGNITO_SERVICE, Discovery, Item, Skip, Survey, discover
from iam_audit.errors import InputError
from iam_audit.model import Inventory, Role, SourceKind, parse_arn, pool_arn_from_id
from iam_audit.sources.interface import Source
from iam_audit.sources.symbolic import unresolved_in

if TYPE_CHECKING:
    from iam_audit.sources.live import LiveSource

__all__ = [
    "Planned",
    "Resolved",
    "Selection",
    "Targets",
    "build_targets",
    "live_inventory",
    "resolve_target",
    "resolve_targets",
]


@dataclass(frozen=True, slots=True)
class Selection:
    """What the user named: roles, pools, and values for template pseudo-parameters."""

    lambda_role: str | None = None
    logs_role: str | None = None
    user_pool_arn: str | None = None
    user_pool_id: str | None = None
    source_pool_arn: str | None = None
    account_id: str | None = None
    discover: bool = True


@dataclass(frozen=True, slots=True)
class Planned:
    """One target and how to run it: ``label`` names its pool (and function) when the run has
    several targets (else empty); ``logs_only`` runs only the logs-role checks (a second logs
    role of the same pool, whose Lambda side the first target already judged)."""

    target: AuditTarget
    label: str = ""
    logs_only: bool = False


@dataclass(frozen=True, slots=True)
class Targets:
    """Every target of a run, and the notes on what was discovered (none: not applicable)."""

    planned: tuple[Planned, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolved:
    """What ``audit`` and ``fix`` work on (:func:`iam_audit.cli.options.resolve`): the selection,
    its source, the targets and notes."""

    selection: Selection
    source: Source
    planned: tuple[Planned, ...]
    notes: tuple[str, ...]

    @property
    def roles(self) -> list[Role]:
        """Every role under audit, once each."""
        found: dict[str, Role] = {}
        for item in self.planned:
            for role in (item.target.lambda_role, item.target.logs_role):
                if role is not None:
                    found.setdefault(role.arn, role)
        return list(found.values())


class _RoleReader(Protocol):
    def __call__(self, ref: str) -> Role: ...


def _check_pool_arn(arn: str | None, what: str) -> None:
    """The import pool's ARN must be concrete: a template value left symbolic cannot scope the
    logs role's log group."""
    if arn is not None and unresolved_in(arn):
        raise InputError(
            f"the {what} depends on values the template leaves unresolved: {arn}",
            advice="pass --region and --account-id (and --parameter KEY=VALUE)",
        )


def _pool_arn(selection: Selection, source: Source) -> str | None:
    if selection.user_pool_arn:
        parse_arn(selection.user_pool_arn, expect_service="cognito-idp", what="user pool ARN")
        return selection.user_pool_arn
    if selection.user_pool_id:
        account = selection.account_id or source.account_id()
        if not account:
            raise InputError(
                "--user-pool-id needs the account: pass --account-id or --user-pool-arn"
            )
        return pool_arn_from_id(selection.user_pool_id, account)
    return None


def live_inventory(
    source: LiveSource, pool_arn: str | None, *, logs_roles: bool
) -> tuple[Inventory, dict[str, str]]:
    """What discovery needs of the live account: the pool (when named), its ``UserMigration``
    function, and (``logs_roles``) the roles whose trust policy names Cognito; and the triggers
    that name no function, with why."""
    pools = []
    functions = []
    absent: dict[str, str] = {}
    if pool_arn is not None:
        pool = source.get_user_pool(pool_arn)
        if pool is None:
            raise InputError(f"user pool {pool_arn} does not exist (or is in another account)")
        pools.append(pool)
        if pool.migration_lambda_arn:
            function = source.get_function(pool.migration_lambda_arn)
            if function is None:
                absent[pool.migration_lambda_arn] = (
                    f"the pool's UserMigration trigger {pool.migration_lambda_arn} does not "
                    "exist: every migrating sign-in fails"
                )
            else:
                functions.append(function)
    roles = source.trusted_roles(COGNITO_SERVICE) if logs_roles else ()
    inventory = Inventory(
        roles=roles,
        functions=tuple(functions),
        user_pools=tuple(pools),
        notes=tuple(absent.values()),
    )
    return inventory, absent


def _inventory(
    source: Source, pool_arn: str | None, selection: Selection
) -> tuple[Inventory, dict[str, str]]:
    if source.kind is SourceKind.LIVE:
        from iam_audit.sources.live import LiveSource

        if isinstance(source, LiveSource):
            return live_inventory(source, pool_arn, logs_roles=selection.logs_role is None)
        return Inventory(), {}
    if source.kind is SourceKind.AUTH_DETAILS:
        if selection.logs_role is not None:
            return Inventory(), {}
        trusted = getattr(source, "trusted_roles", None)
        roles = trusted(COGNITO_SERVICE) if trusted else source.inventory().roles
        return Inventory(roles=roles), {}
    return source.inventory(), {}


def _label(unit: Discovery, several_functions: bool) -> str:
    pool = unit.user_pool
    label = (pool.name or pool.pool_id) if pool is not None else ""
    if several_functions and unit.function is not None:
        label = f"{label} {unit.function.name}".strip()
    return label


def _role(
    ref: str | None, get_role: _RoleReader, named: bool, what: str
) -> tuple[Role | None, str | None]:
    """The role ``ref``; a role the user named must exist, a discovered one that does not is a
    skip reason."""
    if ref is None:
        return None, None
    if named:
        return get_role(ref), None
    try:
        return get_role(ref), None
    except InputError:
        return None, f"the discovered {what} {ref} is not in the source"


def _reason(skip: Skip | None, option: str) -> str:
    """A skip's reason, with the option that settles it (``needs``, or the role's own option)."""
    if skip is None:
        return ""
    return f"{skip.reason}; pass {skip.needs or option}"


def build_targets(
    survey: Survey,
    get_role: _RoleReader,
    *,
    lambda_role: str | None = None,
    logs_role: str | None = None,
    user_pool_arn: str | None = None,
) -> list[Planned]:
    """The targets of ``survey``: one per unit (pool and function), a logs-only one for each
    further logs role of a pool. ``lambda_role`` and ``logs_role`` are what the user named (they
    must exist); ``user_pool_arn`` the pool they named."""
    planned: list[Planned] = []
    units = survey.discoveries
    pools = {u.user_pool.arn if u.user_pool else None for u in units}
    several = len(units) > 1
    several_functions = len(units) > len(pools)
    for unit in units:
        lambda_ref = lambda_role or unit.lambda_role_arn
        lambda_obj, lambda_missing = _role(
            lambda_ref, get_role, lambda_role is not None, "Lambda role"
        )
        lambda_skip = unit.skip(Item.LAMBDA_ROLE)
        logs_refs: tuple[str | None, ...] = (logs_role,) if logs_role else unit.logs_role_arns
        logs_skip = unit.skip(Item.LOGS_ROLE)
        pool_arn = user_pool_arn or (unit.user_pool.arn if unit.user_pool else None)
        source_skip = unit.skip(Item.SOURCE_POOL)
        base = AuditTarget(
            lambda_role=lambda_obj,
            user_pool_arn=pool_arn,
            source_pool_arn=unit.source_pool_arn,
            function=unit.function,
            lambda_skip_reason=lambda_missing
            or _reason(lambda_skip, "--lambda-role")
            or "no migration Lambda role given (--lambda-role)",
            lambda_skip_needs=lambda_skip.needs if lambda_skip and not lambda_missing else None,
            logs_skip_reason=_reason(logs_skip, "--logs-role")
            or "no logs role given (--logs-role)",
            logs_skip_needs=logs_skip.needs if logs_skip else None,
            source_pool_skip=(
                (source_skip.reason, source_skip.needs or "--source-pool-arn")
                if source_skip
                else None
            ),
        )
        label = _label(unit, several_functions) if several else ""
        if not logs_refs:
            logs_refs = (None,)
        for index, ref in enumerate(logs_refs):
            logs_obj, logs_missing = _role(ref, get_role, logs_role is not None, "logs role")
            target = replace(
                base,
                logs_role=logs_obj,
                logs_skip_reason=logs_missing or base.logs_skip_reason,
                logs_skip_needs=None if logs_missing else base.logs_skip_needs,
            )
            if index == 0:
                planned.append(Planned(target, label))
            elif logs_obj is not None:
                planned.append(Planned(replace(target, lambda_role=None), label, logs_only=True))
    return planned


def resolve_targets(selection: Selection, source: Source) -> Targets:
    """Every :class:`Planned` target for ``selection`` on ``source``, and notes on discovery.

    Raises :class:`InputError` (exit 3) for a role the user named that the source does not hold,
    and for a source that cannot show what to audit (no role named, none discovered). A source
    that knows its pools (a template, a plan, the named live pool) and holds nothing of an import
    is not applicable: no target, one note.
    """
    pool_arn = _pool_arn(selection, source)
    if selection.source_pool_arn:
        parse_arn(selection.source_pool_arn, expect_service="cognito-idp", what="source pool ARN")
    lambda_arn = source.get_role(selection.lambda_role).arn if selection.lambda_role else None
    if selection.logs_role:
        source.get_role(selection.logs_role)
    notes: list[str] = []
    inventory, absent = (
        _inventory(source, pool_arn, selection) if selection.discover else (Inventory(), {})
    )
    notes.extend(inventory.notes)
    survey = discover(
        inventory,
        user_pool_arn=pool_arn,
        source_pool_arn=selection.source_pool_arn,
        lambda_role_arn=lambda_arn,
        absent=absent,
    )
    knows_pools = source.kind in (SourceKind.CLOUDFORMATION, SourceKind.TERRAFORM) or bool(
        inventory.user_pools
    )
    named = selection.lambda_role or selection.logs_role
    if not survey.applicable and knows_pools and not named:
        what = "pool" if pool_arn else "source"
        notes.append(
            f"not applicable: the {what} has no UserMigration trigger, no import job and no role "
            f"trusted by {COGNITO_SERVICE} for CSV import; nothing to audit"
        )
        return Targets((), tuple(notes))
    for unit in survey.discoveries:
        notes.extend(n for n in unit.notes if n not in notes)
    planned = build_targets(
        survey,
        source.get_role,
        lambda_role=selection.lambda_role,
        logs_role=selection.logs_role,
        user_pool_arn=pool_arn,
    )
    if all(p.target.lambda_role is None and p.target.logs_role is None for p in planned):
        first = planned[0].target if planned else AuditTarget()
        raise InputError(
            f"nothing to audit: {first.lambda_skip_reason}; {first.logs_skip_reason}",
            advice="name --lambda-role / --logs-role, or a pool whose roles can be discovered",
        )
    for item in planned:
        _check_pool_arn(item.target.user_pool_arn, "user pool ARN")
    return Targets(tuple(planned), tuple(notes))


def resolve_target(selection: Selection, source: Source) -> tuple[AuditTarget, list[str]]:
    """The first target of :func:`resolve_targets` and the notes (for callers that audit one)."""
    found = resolve_targets(selection, source)
    if not found.planned:
        raise InputError("nothing to audit: " + "; ".join(found.notes))
    return found.planned[0].target, list(found.notes)
