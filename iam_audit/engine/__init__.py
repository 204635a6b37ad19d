"""The policy evaluation engine: pure Python, no boto3, faithful to IAM's documented logic.

Modules: ``parse`` (decode and validate documents), ``match`` (wildcards, policy variables),
``conditions`` (condition operators), ``compile`` (compiled documents, each kept on its document
object: the engine holds no module-level state), ``evaluate`` (the decision), ``actions`` (the
action catalogue), ``batch`` (one question asked of many principals), ``types`` (the values that
cross the boundary).
"""

from iam_audit.engine.actions import UnknownAction, expand_action, is_known_action, unknown_actions
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
