"""What a migration function's code calls: AWS SDK calls found in its package, never by running it.

``analyse_package`` (pure) reads Python with ``ast`` and JavaScript/TypeScript with a small
tokenizer; ``resolve`` turns the calls into IAM actions on resources under the function's
environment. The service data comes through an :class:`OperationMap`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iam_audit.codecalls.analyse import analyse_package
    from iam_audit.codecalls.interface import (
        Assumed,
        CodeCalls,
        OperationMap,
        SdkCall,
        ServiceInfo,
        Value,
    )

__all__ = [
    "Assumed",
    "CodeCalls",
    "OperationMap",
    "SdkCall",
    "ServiceInfo",
    "Value",
    "analyse_package",
]


def __getattr__(name: str) -> Any:
    """The names above, loaded when first asked for: an audit imports this package for
    :mod:`iam_audit.codecalls.target` (what it reads when a function's code is given), and a run
    without code needs none of the reader (its types alone took some 25M instructions)."""
    if name == "analyse_package":
        from iam_audit.codecalls.analyse import analyse_package

        return analyse_package
    if name in __all__:
        from iam_audit.codecalls import interface

        return getattr(interface, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
