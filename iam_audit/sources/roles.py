"""A role of an offline source (template, plan) while its policies are gathered, and the Role it ends as.

Both :mod:`iam_audit.sources.cloudformation` and :mod:`iam_audit.sources.terraform` read a role's
own properties first (:func:`role_parts`), then attach the policies other resources give it, then
finish it (:func:`finish_role`): each attached managed policy is looked up in the file, then in the
AWS managed policy snapshot, and one neither holds is listed as unknown, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from iam_audit.model import Origin, PolicyDocument, Role
from iam_audit.sources.symbolic import unresolved_in

if TYPE_CHECKING:
    from iam_audit.managed import ManagedLookup

__all__ = ["RoleParts", "finish_role", "role_parts", "tag_pairs"]


@dataclass
class RoleParts:
    """A role while its policies are being gathered from several resources.

    ``key`` is the file's own name for it (logical ID, resource address); mutable on purpose:
    attachments append to ``inline`` and ``managed_arns`` and add to ``marks``.
    """

    key: str
    arn: str
    name: str
    path: str
    origin: Origin
    trust: PolicyDocument | None
    inline: list[PolicyDocument]
    managed_arns: list[str]
    boundary_arn: str | None
    tags: tuple[tuple[str, str], ...]
    marks: set[str]


def tag_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """Tags, sorted, from a ``{key: value}`` map (Terraform) or ``[{Key, Value}]`` (CloudFormation)."""
    if isinstance(value, dict):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(
            sorted((str(t.get("Key")), str(t.get("Value"))) for t in value if isinstance(t, dict))
        )
    return ()


def role_parts(
    *,
    key: str,
    arn: str,
    name: str,
    path: str,
    origin: Origin,
    trust: PolicyDocument | None,
    inline: list[PolicyDocument],
    managed_arns: list[str],
    boundary_arn: str | None,
    tags: tuple[tuple[str, str], ...],
    marks: set[str],
) -> RoleParts:
    """A role's own parts; ``marks`` gains every unresolved value in its ARN and documents."""
    marks |= unresolved_in(arn, managed_arns, boundary_arn)
    marks |= unresolved_in(*(d.document for d in inline), trust.document if trust else None)
    return RoleParts(
        key=key,
        arn=arn,
        name=name,
        path=path,
        origin=origin,
        trust=trust,
        inline=inline,
        managed_arns=managed_arns,
        boundary_arn=boundary_arn,
        tags=tags,
        marks=marks,
    )


def finish_role(parts: RoleParts, managed: ManagedLookup, notes: set[str], *, file: str) -> Role:
    """The Role: each attached managed policy looked up in ``managed`` (the file's own, by ARN,
    then the AWS managed policy snapshot); one in neither is listed as unknown and noted in
    ``notes`` (``file`` names the kind of file: ``template``, ``plan``)."""
    documents, unknown = managed.attached(parts.managed_arns)
    boundary = managed.boundary(parts.boundary_arn)
    for arn in unknown:
        notes.add(
            f"managed policy {arn} attached to {parts.key} is neither in the {file} "
            "nor in the AWS managed policy snapshot; assumed unknown"
        )
    return Role(
        arn=parts.arn,
        name=parts.name,
        origin=parts.origin,
        trust=parts.trust,
        inline=tuple(parts.inline),
        managed=documents,
        boundary=boundary,
        boundary_arn=parts.boundary_arn,
        unknown_managed=unknown,
        path=parts.path,
        tags=parts.tags,
        symbolic=tuple(sorted(parts.marks)),
    )
