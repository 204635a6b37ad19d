"""AWS managed policies offline: the default version of every one, dated, shipped compressed.

A role that attaches ``AWSLambdaBasicExecutionRole`` or ``ReadOnlyAccess`` must not be judged as
if that policy were empty. Offline sources (templates, plans, authorization-details files that
omit AWS managed policies) ask :func:`aws_managed_policy` for the document; ``None`` means the
policy is outside the snapshot, and the source then lists its ARN in
:attr:`iam_audit.model.Role.unknown_managed` so checks say it was assumed unknown. Live and
authorization-details sources use the account's own copy first (:func:`attached_policies`).

The snapshot is ``iam_audit/data/aws_managed_policies.json.xz``: minified JSON
``{ARN: [default version, last updated, document]}`` (about 250 KB for some 1,600 policies),
decompressed once, on the first lookup. Its package, version and date are in
``iam_audit/data/manifest.json`` (:func:`snapshot`); ``scripts/refresh_aws_data.py`` regenerates
both.
"""

from __future__ import annotations

import functools
import lzma
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
from msgspec import structs

from iam_audit.model import Origin, PolicyDocument, PolicyKind, SourceKind

__all__ = [
    "SNAPSHOT_FILE",
    "Snapshot",
    "attached_policies",
    "aws_managed_policy",
    "boundary_policy",
    "is_aws_managed",
    "snapshot",
]

SNAPSHOT_FILE = "aws_managed_policies.json.xz"

_AWS_MANAGED_RE = re.compile(r"^arn:([^:]+):iam::aws:policy(/.*)$")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The snapshot's provenance and the ARNs (in the ``aws`` partition) it holds."""

    source: str
    retrieved: str
    arns: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...]


@functools.cache
def _load() -> dict[str, Any]:
    raw = resources.files("iam_audit").joinpath("data", SNAPSHOT_FILE).read_bytes()
    data: dict[str, Any] = orjson.loads(lzma.decompress(raw))
    return data


def snapshot() -> Snapshot:
    """Where the snapshot came from, when (its newest policy update), and what it holds."""
    from iam_audit.awsdata import data_info

    info = data_info()["managed_policies"]
    return Snapshot(
        source=f"{info.package} {info.version} ({info.origin})",
        retrieved=info.updated,
        arns=tuple(sorted(_load())),
        left_out=(),
    )


def is_aws_managed(arn: str) -> bool:
    """Whether ``arn`` names an AWS managed policy (``arn:PARTITION:iam::aws:policy/...``)."""
    return _AWS_MANAGED_RE.match(arn) is not None


def _canonical(arn: str) -> str | None:
    """The snapshot key for ``arn``: the same policy path in the ``aws`` partition."""
    match = _AWS_MANAGED_RE.match(arn)
    return f"arn:aws:iam::aws:policy{match.group(2)}" if match else None


def aws_managed_policy(arn: str) -> PolicyDocument | None:
    """The default version of AWS managed policy ``arn`` from the snapshot, or ``None``.

    Any partition is accepted (``arn:aws-cn:iam::aws:policy/...``); the document is the one
    recorded for the ``aws`` partition, which AWS keeps the same in the others for the
    policies in the snapshot. ARNs that are not AWS managed policies, or are outside the
    snapshot, give ``None``. Each call builds a new :class:`PolicyDocument` (it carries its
    compiled form): a run keeps the one it uses in a :class:`ManagedLookup`, or its source.
    """
    key = _canonical(arn)
    if key is None:
        return None
    entry = _load().get(key)
    if entry is None:
        return None
    from iam_audit.engine import parse_policy

    version, _updated, body = entry
    pointer = "/" + key.replace("~", "~0").replace("/", "~1") + "/2"
    document = parse_policy(
        body,
        name=arn,
        kind=PolicyKind.MANAGED,
        location=f"{SNAPSHOT_FILE} {key}",
    )
    return structs.replace(
        document,
        origin=Origin(SourceKind.FILE, SNAPSHOT_FILE, pointer=pointer),
        version_id=str(version),
    )


class ManagedLookup:
    """The managed policies of one source: its own, by ARN, then AWS's from the snapshot, each
    read once; the same document object for every role that attaches one, so the engine
    compiles it once (the run owns it: nothing is kept between runs)."""

    def __init__(self, known: Mapping[str, PolicyDocument]) -> None:
        self._known = known
        self._aws: dict[str, PolicyDocument | None] = {}
        self._boundaries: dict[str, PolicyDocument | None] = {}

    def policy(self, arn: str) -> PolicyDocument | None:
        found = self._known.get(arn)
        if found is None:
            if arn not in self._aws:
                self._aws[arn] = aws_managed_policy(arn)
            found = self._aws[arn]
        return found

    def attached(self, arns: Iterable[str]) -> tuple[tuple[PolicyDocument, ...], tuple[str, ...]]:
        """The documents of attached managed policies; the ARNs found nowhere, sorted, are
        unknown (never read as empty)."""
        documents: list[PolicyDocument] = []
        unknown: set[str] = set()
        for arn in arns:
            found = self.policy(arn)
            if found is None:
                unknown.add(arn)
            else:
                documents.append(found)
        return tuple(documents), tuple(sorted(unknown))

    def boundary(self, arn: str | None) -> PolicyDocument | None:
        """The permissions boundary ``arn`` as a boundary document, or ``None`` when unknown."""
        if not arn:
            return None
        if arn not in self._boundaries:
            found = self.policy(arn)
            self._boundaries[arn] = (
                structs.replace(found, kind=PolicyKind.BOUNDARY) if found else None
            )
        return self._boundaries[arn]
