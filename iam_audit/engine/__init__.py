"""The policy evaluation engine: pure Python, no boto3, faithful to IAM's documented logic."""

from iam_audit.engine.actions import UnknownAction, expand_action, is_known_action, unknown_actions
from iam_audit.engine.evaluate import (
    evaluate,
    evaluate_policies,
    named_principals,
    parse_policy,
    validate_policy,
)
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
    "Request",
    "StatementRef",
    "UnknownAction",
    "evaluate",
    "evaluate_policies",
    "expand_action",
    "is_known_action",
    "named_principals",
    "parse_policy",
    "unknown_actions",
    "validate_policy",
]
