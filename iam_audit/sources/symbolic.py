"""Placeholders for values a template or plan does not fix before deployment.

Two kinds, both written in angle brackets so that they never read as an IAM policy variable
(``${aws:username}``), a CloudFormation dynamic reference (``{{resolve:...}}``) or an IAM wildcard
(``*``, ``?``), and never contain ``:`` so that an ARN holding one still splits into its six parts:

* **generated** — ``<LogicalId>`` or ``<LogicalId.Attribute>`` (``<aws_iam_role.logs.name>`` in a
  plan): a physical ID the deployment itself will create, such as a role name CloudFormation
  generates. The same placeholder always stands for the same value, and a freshly generated value
  can equal no literal written elsewhere, so string matching on it is sound. Not "unresolved".
* **unresolved** — ``<Unresolved.KIND.NAME>``: a value the tool could not work out (an imported
  export, a parameter with no value, ``AWS::AccountId`` without ``--account-id``, an unknown value in
  a plan). Sources list each one a role depends on in :attr:`iam_audit.model.Role.symbolic`, so the
  audit can warn instead of passing or failing silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = [
    "UNRESOLVED_RE",
    "describe",
    "generated",
    "has_placeholder",
    "placeholders_in",
    "unresolved",
    "unresolved_in",
]

#: One unresolved placeholder inside a string.
UNRESOLVED_RE = re.compile(r"<Unresolved\.[^<>]*>")
_ANY_PLACEHOLDER_RE = re.compile(r"<[A-Za-z_][^<>\s]*>")
_UNSAFE = re.compile(r"[:<>\s]+")


def _clean(part: str) -> str:
    return _UNSAFE.sub(".", part).strip(".")


def unresolved(*parts: str) -> str:
    """``<Unresolved.ImportValue.shared-PoolArn>`` for ``unresolved("ImportValue", "shared:PoolArn")``."""
    return "<Unresolved." + ".".join(_clean(p) for p in parts if p) + ">"


def generated(name: str, attribute: str | None = None) -> str:
    """``<MigrationRole>`` or ``<UserPool.ProviderName>``: a value the deployment generates."""
    text = _clean(name)
    if attribute:
        text += "." + _clean(attribute)
    return f"<{text}>"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def unresolved_in(*values: Any) -> set[str]:
    """Every unresolved placeholder in the strings of ``values`` (nested dicts and lists too)."""
    found: set[str] = set()
    for value in values:
        for text in _strings(value):
            found.update(UNRESOLVED_RE.findall(text))
    return found


def placeholders_in(*values: Any) -> set[str]:
    """Every placeholder of either kind in the strings of ``values`` (nested dicts and lists
    too): :func:`unresolved_in` with generated names (``<MigrationRole>``) as well."""
    found: set[str] = set()
    for value in values:
        for text in _strings(value):
            found.update(_ANY_PLACEHOLDER_RE.findall(text))
    return found


def has_placeholder(values: Iterable[str] | str) -> bool:
    """Whether any of ``values`` holds a placeholder of either kind."""
    if isinstance(values, str):
        values = (values,)
    return any(_ANY_PLACEHOLDER_RE.search(v) for v in values)


_PSEUDO_OPTIONS = {"AccountId": "--account-id", "Region": "--region", "Partition": "--region"}


def describe(placeholder: str) -> str:
    """What an unresolved placeholder stands for in the template's words, and how to supply it:
    ``!ImportValue shared-PoolArn (an export of another stack)``, ``parameter OldPoolId (no value:
    pass --parameter OldPoolId=VALUE)``, ``AWS::AccountId (pass --account-id)``."""
    inner = placeholder.removeprefix("<Unresolved.").removesuffix(">")
    kind, _, name = inner.partition(".")
    if kind == "ImportValue":
        return f"!ImportValue {name} (an export of another stack)"
    if kind == "Parameter":
        return f"parameter {name} (no value: pass --parameter {name}=VALUE)"
    if kind == "AWS" and name in _PSEUDO_OPTIONS:
        return f"AWS::{name} (pass {_PSEUDO_OPTIONS[name]})"
    if kind == "resolve":
        return f"the dynamic reference {{{{resolve:{name}}}}}"
    if not placeholder.startswith("<Unresolved."):
        return f"{placeholder} (a name the deployment generates)"
    return placeholder
