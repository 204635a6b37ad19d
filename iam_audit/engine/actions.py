"""Action catalogue (API contract; the implementation is being written)."""

from __future__ import annotations

from dataclasses import dataclass

from iam_audit.model import PolicyDocument


@dataclass(frozen=True, slots=True)
class UnknownAction:
    policy: str
    statement: str
    action: str
    suggestion: str | None


def is_known_action(action: str) -> bool:
    raise NotImplementedError


def expand_action(pattern: str) -> frozenset[str]:
    raise NotImplementedError


def unknown_actions(policy: PolicyDocument) -> tuple[UnknownAction, ...]:
    raise NotImplementedError
