"""The check catalogue: an explicit tuple, no import side effects, no directory scan."""

from iam_audit.checks.base import AuditTarget, Check, CheckMeta, Fixability, RoleKind
from iam_audit.checks.cog001_lambda_admin_initiate_auth import LambdaAdminInitiateAuth
from iam_audit.checks.cog002_logs_role_permissions import LogsRolePermissions
from iam_audit.checks.cog003_logs_role_trust import LogsRoleTrust
from iam_audit.checks.cog004_lambda_role_trust import LambdaRoleTrust
from iam_audit.checks.cog005_lambda_logging import LambdaLogging
from iam_audit.checks.cog006_least_privilege import LeastPrivilege
from iam_audit.checks.cog007_trust_too_broad import TrustTooBroad
from iam_audit.checks.cog008_unknown_action import UnknownAction
from iam_audit.checks.cog009_lambda_invoke_permission import LambdaInvokePermission
from iam_audit.checks.cog010_lambda_code_actions import LambdaCodeActions
from iam_audit.checks.cog011_source_account_role import SourceAccountRole

ALL_CHECKS: tuple[type[Check], ...] = (
    LambdaAdminInitiateAuth,
    LogsRolePermissions,
    LogsRoleTrust,
    LambdaRoleTrust,
    LambdaLogging,
    LeastPrivilege,
    TrustTooBroad,
    UnknownAction,
    LambdaInvokePermission,
    LambdaCodeActions,
    SourceAccountRole,
)


def catalogue() -> tuple[CheckMeta, ...]:
    """Every check's metadata, in ID order."""
    return tuple(sorted((c.meta for c in ALL_CHECKS), key=lambda m: m.id))


def check_doc(check_id: str) -> str:
    """The docstring of check ``check_id`` (its rule page), or an empty string."""
    for check in ALL_CHECKS:
        if check.meta.id == check_id:
            return check.__doc__ or ""
    return ""


__all__ = [
    "ALL_CHECKS",
    "AuditTarget",
    "Check",
    "CheckMeta",
    "Fixability",
    "RoleKind",
    "catalogue",
    "check_doc",
]
