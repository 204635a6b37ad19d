"""The minimal policy templates shipped in ``policies/``, filled with partition, region, account."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from iam_audit.errors import InternalError

__all__ = ["fill", "load_template", "policies_dir"]

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")


def policies_dir() -> Path:
    """The ``policies/`` folder: inside the installed wheel, or at the top of a source checkout."""
    shipped = Path(str(resources.files("iam_audit"))) / "_policies"
    if shipped.is_dir():
        return shipped
    checkout = Path(__file__).resolve().parent.parent / "policies"
    if checkout.is_dir():
        return checkout
    raise InternalError("the policies/ folder is missing from this installation")


@cache
def _read(name: str) -> str:
    path = policies_dir() / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:  # pragma: no cover - packaging bug
        raise InternalError(f"cannot read shipped policy {name}: {err}") from None


def load_template(name: str) -> dict[str, Any]:
    """A fresh copy of the JSON document ``policies/<name>``."""
    loaded: dict[str, Any] = json.loads(_read(name))
    return copy.deepcopy(loaded)


def fill(name: str, **values: str) -> dict[str, Any]:
    """Template ``name`` with every ``${Placeholder}`` replaced; a missing value is a bug."""

    def substitute(node: Any) -> Any:
        if isinstance(node, str):

            def repl(match: re.Match[str]) -> str:
                key = match.group(1)
                if key not in values:
                    raise InternalError(f"template {name} needs a value for ${{{key}}}")
                return values[key]

            return _PLACEHOLDER.sub(repl, node)
        if isinstance(node, list):
            return [substitute(item) for item in node]
        if isinstance(node, dict):
            return {key: substitute(item) for key, item in node.items()}
        return node

    filled: dict[str, Any] = substitute(load_template(name))
    return filled
