"""The catalogue of IAM actions: today's, from :mod:`iam_audit.awsdata`.

The catalogue is AWS's Service Authorization Reference as shipped in ``iam_audit/data/`` (its
date: ``iam-audit --version``). An action the reference no longer lists but policyuniverse's older
catalogue (November 2023) did is *retired*, not unknown (:attr:`UnknownAction.retired`).

Action names compare case-insensitively ("The prefix and the action name are case insensitive",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
:func:`expand_action` returns names as the catalogue spells them (``cognito-idp:AdminInitiateAuth``).

Known limits: actions AWS added after the shipped data's date are reported unknown until
``scripts/refresh_aws_data.py`` is run.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from iam_audit.awsdata import (
    Catalogue,
    catalogue,
    named_by_aws_managed_policy,
    retired_action,
    retired_service,
)
from iam_audit.engine.compile import compile_policy
from iam_audit.engine.match import glob, has_wildcard
from iam_audit.model import PolicyDocument

__all__ = [
    "Catalogue",
    "UnknownAction",
    "catalogue",
    "expand_action",
    "is_known_action",
    "is_unknown_action",
    "suggest_action",
    "unknown_actions",
]


@dataclass(frozen=True, slots=True)
class UnknownAction:
    """An action a policy names that the catalogue does not know.

    ``policy``: the document's name; ``statement``: the statement's Sid or ``#index``;
    ``action``: as written; ``suggestion``: the closest known action, or ``None``;
    ``retired``: AWS listed the action (or its whole service) once and no longer does.
    """

    policy: str
    statement: str
    action: str
    suggestion: str | None
    retired: bool = False


def _services_for(service_pattern: str) -> list[str]:
    known = catalogue().services
    if not has_wildcard(service_pattern):
        return [service_pattern] if service_pattern in known else []
    pattern = glob(service_pattern)
    return sorted(prefix for prefix in known if pattern.fullmatch(prefix))


def expand_action(pattern: str) -> frozenset[str]:
    """Catalogue actions matched by ``pattern`` (``*``/``?`` wildcards, any case).

    Names come back as AWS spells them (``cognito-idp:AdminInitiateAuth``); an unknown action or
    service gives an empty set; ``"*"`` gives every action of every service.
    """
    lowered = pattern.strip().lower()
    if lowered == "*":
        lowered = "*:*"
    service, sep, name = lowered.partition(":")
    if not sep:
        return frozenset()
    found: set[str] = set()
    for prefix in _services_for(service):
        names = catalogue().names(prefix)
        if not has_wildcard(name):
            if name in names:
                found.add(f"{prefix}:{names[name]}")
            continue
        matcher = glob(name)
        found.update(f"{prefix}:{spelt}" for low, spelt in names.items() if matcher.fullmatch(low))
    return frozenset(found)


def is_known_action(action: str) -> bool:
    """Is ``action`` a real action, or a wildcard pattern matching at least one (any case)?

    ``"*"`` is known. An unknown service prefix makes any action unknown.
    """
    lowered = action.strip().lower()
    if lowered == "*":
        return True
    service, sep, name = lowered.partition(":")
    if not sep or not name:
        return False
    if not has_wildcard(lowered):
        return name in catalogue().names(service)
    return bool(expand_action(lowered))


def _suggest(action: str) -> str | None:
    """The closest known action: same service by spelling, else the closest service's action."""
    service, sep, name = action.strip().lower().partition(":")
    if not sep or has_wildcard(action):
        return None
    known = catalogue().services
    candidates = [service] if service in known else difflib.get_close_matches(service, known, 1)
    for prefix in candidates:
        names = known[prefix]
        if name in names:
            return f"{prefix}:{names[name]}"
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.8)
        if close:
            return f"{prefix}:{names[close[0]]}"
    return None


def is_unknown_action(action: str) -> bool:
    """Is ``action`` (no wildcard, or a pattern) absent from the catalogue? ``False`` when no
    catalogue is installed: nothing can then be called unknown."""
    return bool(catalogue().services) and not is_known_action(action)


def suggest_action(action: str) -> str | None:
    """The closest known action to ``action`` (``cognito-idp:AdminInitateAuth`` →
    ``cognito-idp:AdminInitiateAuth``), or ``None`` when nothing is close."""
    return _suggest(action)


def unknown_actions(policy: PolicyDocument) -> tuple[UnknownAction, ...]:
    """Every ``Action``/``NotAction`` entry of ``policy`` the catalogue does not know.

    With a suggestion from :mod:`difflib`, e.g. ``cognito-idp:AdminInitateAuth`` →
    ``cognito-idp:AdminInitiateAuth``; an action of a retired service, or one its service no longer
    lists, is marked ``retired`` (and gets no suggestion). An action a current AWS managed policy
    names is not reported, though the reference may not list it yet. Sorted by statement index, then action.
    """
    out: list[UnknownAction] = []
    for statement in compile_policy(policy).statements:
        for text in sorted(set(statement.actions.texts)):
            if is_known_action(text):
                continue
            prefix = text.strip().partition(":")[0]
            if retired_action(text) or (retired_service(prefix) and not has_wildcard(prefix)):
                out.append(UnknownAction(policy.name, statement.ref.label, text, None, True))
            elif not named_by_aws_managed_policy(text):
                out.append(UnknownAction(policy.name, statement.ref.label, text, _suggest(text)))
    return tuple(out)
