"""From the command line's selection to the role pair under audit (with discovery)."""

from __future__ import annotations

from dataclasses import dataclass

from iam_audit.checks import AuditTarget
from iam_audit.errors import InputError
from iam_audit.model import SourceKind, parse_arn, pool_arn_from_id
from iam_audit.sources.interface import Source
from iam_audit.sources.symbolic import unresolved_in

__all__ = ["Selection", "resolve_target"]


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


def _check_pool_arn(arn: str | None, what: str) -> None:
    """A pool ARN must be concrete: a template value left symbolic cannot scope a check."""
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


def resolve_target(selection: Selection, source: Source) -> tuple[AuditTarget, list[str]]:
    """The :class:`AuditTarget` for ``selection``, and notes on what was discovered."""
    notes: list[str] = []
    pool_arn = _pool_arn(selection, source)
    if selection.source_pool_arn:
        parse_arn(selection.source_pool_arn, expect_service="cognito-idp", what="source pool ARN")
    source_pool = selection.source_pool_arn
    lambda_ref = selection.lambda_role
    logs_ref = selection.logs_role
    function = None
    lambda_skip = "no migration Lambda role given (--lambda-role)"
    logs_skip = "no logs role given (--logs-role)"

    if selection.discover and (lambda_ref is None or logs_ref is None or source_pool is None):
        if source.kind in (SourceKind.CLOUDFORMATION, SourceKind.TERRAFORM):
            from iam_audit.discover import Item, discover

            inventory = source.inventory()
            notes.extend(inventory.notes)
            found = discover(inventory, user_pool_arn=pool_arn, source_pool_arn=source_pool)
            notes.extend(found.notes)
            lambda_skip = found.skip_reason(Item.LAMBDA_ROLE) or lambda_skip
            logs_skip = found.skip_reason(Item.LOGS_ROLE) or logs_skip
            pool_arn = pool_arn or (found.user_pool.arn if found.user_pool else None)
            function = found.function
            lambda_ref = lambda_ref or found.lambda_role_arn
            if logs_ref is None and len(found.logs_role_arns) == 1:
                logs_ref = found.logs_role_arns[0]
            elif logs_ref is None and found.logs_role_arns:
                logs_skip = (
                    "several roles trust cognito-idp.amazonaws.com ("
                    + ", ".join(found.logs_role_arns)
                    + "): pass --logs-role"
                )
            source_pool = source_pool or found.source_pool_arn
        elif pool_arn is not None:
            pool = source.get_user_pool(pool_arn)
            if pool is not None and pool.migration_lambda_arn:
                function = source.get_function(pool.migration_lambda_arn)
                if function is not None and lambda_ref is None:
                    lambda_ref = function.role_arn
                    notes.append(
                        f"Lambda role {function.role_arn} discovered from the pool's "
                        f"UserMigration trigger {function.name}"
                    )
            elif pool is not None and lambda_ref is None:
                lambda_skip = "the pool has no UserMigration trigger; pass --lambda-role"
            if pool is not None and logs_ref is None and len(pool.import_logs_role_arns) == 1:
                logs_ref = pool.import_logs_role_arns[0]
                notes.append(f"logs role {logs_ref} discovered from the pool's import jobs")
    lambda_role = source.get_role(lambda_ref) if lambda_ref else None
    logs_role = source.get_role(logs_ref) if logs_ref else None
    if lambda_role is None and logs_role is None:
        raise InputError(
            f"nothing to audit: {lambda_skip}; {logs_skip}",
            advice="name --lambda-role / --logs-role, or a pool whose roles can be discovered",
        )
    _check_pool_arn(pool_arn, "user pool ARN")
    _check_pool_arn(source_pool, "source pool ARN")
    target = AuditTarget(
        lambda_role=lambda_role,
        logs_role=logs_role,
        user_pool_arn=pool_arn,
        source_pool_arn=source_pool,
        function=function,
        lambda_skip_reason=lambda_skip,
        logs_skip_reason=logs_skip,
    )
    return target, notes
