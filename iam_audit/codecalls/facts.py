"""The calls of one package, resolved: the entry point the commands use (botocore at the edge)."""

from __future__ import annotations

from collections.abc import Mapping

from iam_audit.codecalls.analyse import analyse_package
from iam_audit.codecalls.interface import OperationMap
from iam_audit.codecalls.resolve import CodeFacts, Place, resolve_calls

__all__ = ["default_map", "facts_for", "place_of"]


def default_map() -> OperationMap:
    """Services from botocore's models; actions from the shipped service reference data.

    ``iam_audit.awsdata.actions_for_operation`` (AWS's Service Authorization Reference, with its
    documented exceptions such as S3's ``ListObjectsV2`` → ``s3:ListBucket``) where this
    installation has it; otherwise, and for operations it does not know, ``prefix:Operation``.
    """
    import importlib
    import importlib.util

    from iam_audit.codecalls.botocore_map import BotocoreOperationMap

    if importlib.util.find_spec("iam_audit.awsdata") is not None:
        awsdata = importlib.import_module("iam_audit.awsdata")
        lookup = getattr(awsdata, "actions_for_operation", None)
        if callable(lookup):
            return BotocoreOperationMap(actions=lookup)
    return BotocoreOperationMap()


def place_of(arn: str | None, region: str | None = None, account: str | None = None) -> Place:
    """Where a function runs, from its (or its role's) ARN, ``--region`` and ``--account-id``."""
    parts = (arn or "").split(":")
    if len(parts) > 5 and parts[0] == "arn":
        return Place(
            account=account or parts[4],
            region=region or parts[3],
            partition=parts[1] or "aws",
        )
    return Place(account=account or "", region=region or "")


def facts_for(
    files: Mapping[str, bytes],
    name: str,
    environment: Mapping[str, str],
    place: Place,
    ops: OperationMap | None = None,
) -> CodeFacts:
    """Analyse ``files`` (never run them) and resolve the calls under ``environment``."""
    code = analyse_package(files, ops or default_map(), name)
    return resolve_calls(code, environment, place)
