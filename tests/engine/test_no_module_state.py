"""The engine keeps no state between runs: nothing at module level fills up as it evaluates.

Compiled forms live on the documents (``PolicyDocument.compiled``), matchers on the patterns that
hold them; a module-level cache would let one run's documents (or one request's values) outlive
it, and would hide a stale form behind an identity that Python may reuse.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from types import ModuleType
from typing import Any

import iam_audit.engine
from iam_audit.engine import ContextMode, Principal, PrincipalKind, Request, evaluate, parse_policy
from iam_audit.model import PolicyKind

from .cases import POOL, ROLE, allow, deny, policy


def _engine_modules() -> list[ModuleType]:
    names = [info.name for info in pkgutil.iter_modules(iam_audit.engine.__path__)]
    return [importlib.import_module(f"iam_audit.engine.{name}") for name in sorted(names)]


def _module_state() -> dict[str, Any]:
    """Every module-level dict, list and set of the engine, copied."""
    state: dict[str, Any] = {}
    for module in _engine_modules():
        for name, value in vars(module).items():
            if isinstance(value, dict | list | set) and not name.startswith("__"):
                state[f"{module.__name__}.{name}"] = copy.copy(value)
    return state


def test_no_function_of_the_engine_is_memoised() -> None:
    cached = [
        f"{module.__name__}.{name}"
        for module in _engine_modules()
        for name, value in vars(module).items()
        if callable(value)
        and hasattr(value, "cache_info")
        # tables read once from package data (iam_audit.awsdata's catalogue) are not run state
        and value.__module__.startswith("iam_audit.engine")
    ]
    assert cached == []


def test_evaluating_leaves_module_state_unchanged() -> None:
    before = _module_state()
    body = policy(
        allow("cognito-idp:Admin*", "arn:aws:cognito-idp:*:*:userpool/${aws:PrincipalTag/pool}"),
        allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
        deny(
            "*",
            Condition={
                "NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"},
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                "DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                "ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:f*"},
                "StringLike": {"aws:UserAgent": "bot*"},
            },
        ),
    )
    document = parse_policy(body, name="p", kind=PolicyKind.INLINE)
    user = Principal(PrincipalKind.AWS, "arn:aws:iam::111122223333:user/alice")
    context = {
        "aws:PrincipalTag/pool": ("us-east-1_AbC123",),
        "aws:MultiFactorAuthAge": ("10",),
        "aws:SourceIp": ("192.0.2.1",),
        "aws:CurrentTime": ("2026-01-01T00:00:00Z",),
        "aws:SourceArn": ("arn:aws:lambda:us-east-1:111122223333:function:g",),
        "aws:UserAgent": ("curl",),
    }
    answers = [
        evaluate(
            Request("cognito-idp:AdminInitiateAuth", POOL, principal, context, mode),
            identity=[document],
        )
        for principal in (ROLE, user)
        for mode in ContextMode
    ]
    answers.append(
        evaluate(Request("s3:GetObject", "arn:aws:s3:::b/alice/k", user), identity=[document])
    )
    assert answers[2].decision.value == "allowed"  # the conditions were evaluated, not skipped
    assert answers[-1].decision.value == "allowed"
    assert _module_state() == before
