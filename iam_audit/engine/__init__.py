"""The policy evaluation engine: pure Python, no boto3, faithful to IAM's documented logic.

Modules: ``parse`` (decode and validate documents), ``match`` (wildcards, policy variables),
``conditions`` (condition operators), ``compile`` (compiled documents, each kept on its document
object: the engine holds no module-level state), ``evaluate`` (the decision), ``actions`` (the
action catalogue), ``batch`` (one question asked of many principals), ``types`` (the values that
cross the boundary).

The action catalogue's names are read from ``actions`` on first use (:func:`__getattr__`):
loading the catalogue's module is a cost that questions about one named action (``who-can``)
never need.
"""

from typing import TYPE_CHECKING

from iam_audit.engine.batch import Question, request_context
from iam_audit.engine.compile import statement_alone
from iam_audit.engine.evaluate import (
    allows_not_principal,
    apply_organization,
    evaluate,
    evaluate_policies,
    named_principals,
    parse_policy,
    policy_notes,
    resource_account,
    resource_policy_decides,
    validate_policy,
)
from iam_audit.engine.parse import unknown_operators
from iam_audit.engine.types import (
    ContextMode,
    Decision,
    EvalResult,
    Principal,
    PrincipalKind,
    Request,
    StatementRef,
)

if TYPE_CHECKING:
    from iam_audit.engine.actions import (
        UnknownAction,
        expand_action,
        is_known_action,
        unknown_actions,
    )

_FROM_ACTIONS = frozenset({"UnknownAction", "expand_action", "is_known_action", "unknown_actions"})


def __getattr__(name: str) -> object:
    """``from iam_audit.engine import expand_action`` (and the catalogue's other names): the
    module :mod:`iam_audit.engine.actions`, imported now."""
    if name in _FROM_ACTIONS:
        from iam_audit.engine import actions

        return getattr(actions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ContextMode",
    "Decision",
    "EvalResult",
    "Principal",
    "PrincipalKind",
    "Question",
    "Request",
    "StatementRef",
    "UnknownAction",
    "allows_not_principal",
    "apply_organization",
    "evaluate",
    "evaluate_policies",
    "expand_action",
    "is_known_action",
    "named_principals",
    "parse_policy",
    "policy_notes",
    "request_context",
    "resource_account",
    "resource_policy_decides",
    "statement_alone",
    "unknown_actions",
    "unknown_operators",
    "validate_policy",
]
