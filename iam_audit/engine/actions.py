"""The catalogue of IAM actions, read from the data file policyuniverse ships.

policyuniverse's module code prints, mutates its arguments and loads its 8 MB catalogue at import
time (STYLE.md §5, Appendix B), so this module never imports it: it locates the installed package
with :func:`importlib.util.find_spec` (which does not execute the package) and reads its
``data.json`` once, on first use. Only service prefixes and action names are kept.

Action names compare case-insensitively ("The prefix and the action name are case insensitive",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
:func:`expand_action` returns names as the catalogue spells them (``cognito-idp:AdminInitiateAuth``).

Known limits: the catalogue is as recent as the installed policyuniverse release (1.5.1.20231109:
November 2023); actions AWS added later are reported unknown.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from iam_audit.engine.compile import compile_policy
from iam_audit.engine.match import glob, has_wildcard
from iam_audit.model import PolicyDocument

__all__ = [
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
    ``action``: as written; ``suggestion``: the closest known action, or ``None``.
    """

    policy: str
    statement: str
    action: str
    suggestion: str | None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Service prefix → {lower-case action name → name as AWS spells it}."""

    services: Mapping[str, Mapping[str, str]]

    def names(self, service: str) -> Mapping[str, str]:
        return self.services.get(service, {})


def _data_file() -> Path | None:
    spec = importlib.util.find_spec("policyuniverse")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data.json"
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def catalogue() -> Catalogue:
    """The action catalogue, read once. Empty when policyuniverse is not installed."""
    path = _data_file()
    if path is None:
        return Catalogue({})
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    services: dict[str, dict[str, str]] = {}
    if isinstance(data, dict):
        for entry in data.values():
            if not isinstance(entry, dict):
                continue
            prefix, actions = entry.get("prefix"), entry.get("actions")
            if isinstance(prefix, str) and isinstance(actions, dict):
                names = services.setdefault(prefix.lower(), {})
                for name in actions:
                    if isinstance(name, str):
                        names[name.lower()] = name
    return Catalogue({prefix: dict(names) for prefix, names in services.items()})


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
    ``cognito-idp:AdminInitiateAuth``. Sorted by statement index, then action. Nothing is
    reported when policyuniverse is not installed (every action would look unknown).
    """
    if not catalogue().services:
        return ()
    out: list[UnknownAction] = []
    for statement in compile_policy(policy).statements:
        for text in sorted(set(statement.actions.texts)):
            if not is_known_action(text):
                out.append(UnknownAction(policy.name, statement.ref.label, text, _suggest(text)))
    return tuple(out)
