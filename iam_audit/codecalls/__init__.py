"""What a migration function's code calls: AWS SDK calls found in its package, never by running it.

``analyse_package`` (pure) reads Python with ``ast`` and JavaScript/TypeScript with a small
tokenizer; ``resolve`` turns the calls into IAM actions on resources under the function's
environment. The service data comes through an :class:`OperationMap`.
"""

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
