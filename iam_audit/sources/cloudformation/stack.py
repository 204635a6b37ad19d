"""Reading one stack: decode, resolve, build, in that order (:func:`read_stack`,
:func:`load_template`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iam_audit.managed import ManagedLookup
from iam_audit.model import JSON
from iam_audit.sources.cloudformation.build import NestedStack, TemplateSource, _Builder
from iam_audit.sources.cloudformation.decode import (
    _check_functions,
    _decode,
    _find_cycle,
    _key_line,
    _Written,
)
from iam_audit.sources.cloudformation.resolve import _Resolver
from iam_audit.sources.roles import finish_role
from iam_audit.sources.symbolic import has_placeholder

__all__ = ["Stack", "StackContext", "load_template", "read_stack"]


@dataclasses.dataclass(frozen=True)
class StackContext:
    """What a fix written in the template's own language needs to know of one stack.

    ``references`` maps a value the stack's resources have (an ARN, a name, a pool ID) to the
    intrinsic function that yields it: ``("GetAtt", "ImportPool.Arn")`` or ``("Ref", "X")``.
    """

    path: Path
    stack: str
    region: str | None
    account_id: str | None
    partition: str | None
    logical_ids: frozenset[str]
    references: Mapping[str, tuple[str, str]]
    #: generated logical ID → the written (SAM) resource it came from
    written_as: Mapping[str, str]
    sam: bool
    #: a distinctive parameter value (6 characters or more) → the parameter that holds it
    parameters: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Stack:
    """One template read as one stack: its source, its exports and its nested stacks."""

    source: TemplateSource
    outputs: Mapping[str, JSON]
    exports: Mapping[str, JSON]
    nested: tuple[NestedStack, ...]
    #: SAM function logical ID → the local ``CodeUri`` (relative to the template's folder)
    code_uris: Mapping[str, str]
    #: this stack's ``AWS::Lambda::Permission`` statements with the function names they target
    permissions: tuple[tuple[set[str], dict[str, Any]], ...] = ()
    context: StackContext | None = None


def load_template(
    path: Path,
    *,
    parameters: Mapping[str, str] = {},
    region: str | None = None,
    account_id: str | None = None,
) -> TemplateSource:
    """Read the CloudFormation template at ``path`` (JSON or YAML, also ``cdk synth`` output).

    ``parameters`` override the template's parameter defaults; ``region`` and ``account_id`` give
    the pseudo-parameters ``AWS::Region`` (and from it ``AWS::Partition`` and ``AWS::URLSuffix``)
    and ``AWS::AccountId``. A SAM template is expanded first (:mod:`iam_audit.sources.sam`).
    Raises :class:`InputError` (exit 3) with the file and line for invalid YAML/JSON, an unknown
    tag or intrinsic function, a circular reference or a policy document that is not an IAM
    policy; raises it too when cfn-lint is not installed.
    """
    return read_stack(path, parameters=parameters, region=region, account_id=account_id).source


def read_stack(
    path: Path,
    *,
    parameters: Mapping[str, str] = {},
    region: str | None = None,
    account_id: str | None = None,
    imports: Mapping[str, JSON] | None = None,
    nested_outputs: Mapping[str, Mapping[str, JSON]] | None = None,
    foreign_permissions: Sequence[tuple[set[str], dict[str, Any]]] = (),
    stack: str = "",
    stack_name: str | None = None,
    decoded: dict[str, Any] | None = None,
) -> Stack:
    """Read one template as one stack of a deployment (see :func:`load_template`).

    ``imports`` gives the values other stacks export (``Fn::ImportValue`` resolves to them);
    ``nested_outputs`` the ``Outputs`` of this stack's nested stacks by logical ID (for
    ``Fn::GetAtt [Nested, Outputs.Name]``); ``foreign_permissions`` the ``AWS::Lambda::Permission``
    statements of the other stacks (a permission often lives beside the pool, not the function);
    ``stack`` names the stack in every origin; ``stack_name``, where the deployment says it (a CDK
    manifest), is the value of ``AWS::StackName``; ``decoded`` is the template already read (a
    file is read once, so ``-`` works). The result carries the values this stack exports
    and its nested stacks, for :mod:`iam_audit.sources.deployment` to follow.
    """
    from iam_audit.sources import sam

    template = decoded if decoded is not None else _decode(path)
    _check_functions(path, template)
    written = None
    code_uris: Mapping[str, str] = {}
    if sam.is_sam(template):
        original = template["Resources"]
        expansion = sam.expand(template, path, region=region)
        lines = {str(k): _key_line(original, k) for k in original}
        written = _Written(lines=lines, owners=expansion.generated_from)
        template = expansion.template
        code_uris = expansion.code_uris
    _find_cycle(path, template["Resources"])
    resolver = _Resolver(
        path, template, parameters, region, account_id, imports, nested_outputs, stack_name
    )
    builder = _Builder(path, resolver, stack=stack, written=written)
    builder.code_uris = code_uris
    builder.transform_notes()
    parts = builder.roles()
    managed = ManagedLookup(builder.attach_policies(parts))
    roles = {
        logical: finish_role(p, managed, resolver.notes, file="template")
        for logical, p in parts.items()
    }
    functions = builder.functions(foreign_permissions)
    pools = builder.user_pools()
    outputs, exports = builder.outputs()
    nested = builder.nested_stacks()
    source = TemplateSource(
        path,
        roles,
        functions,
        pools,
        tuple(sorted(resolver.notes)),
        account_id,
    )
    references: dict[str, tuple[str, str]] = {}
    for table in (pools, functions, roles):
        for logical, value in table.items():
            references.setdefault(value.arn, ("GetAtt", f"{logical}.Arn"))
    for logical, pool in pools.items():
        references.setdefault(pool.pool_id, ("Ref", logical))
    for logical, function in functions.items():
        references.setdefault(function.name, ("Ref", logical))
    for logical, role in roles.items():
        references.setdefault(role.name, ("Ref", logical))
    context = StackContext(
        path=path,
        stack=stack,
        region=region,
        account_id=account_id,
        partition=resolver.partition,
        logical_ids=frozenset(str(k) for k in template["Resources"]),
        references=references,
        written_as=dict(written.owners) if written else {},
        sam=written is not None,
        parameters={
            value: name
            for name, value in sorted(resolver.parameters.items(), reverse=True)
            if isinstance(value, str) and len(value) >= 6 and not has_placeholder(value)
        },
    )
    return Stack(
        source=source,
        outputs=outputs,
        exports=exports,
        nested=nested,
        code_uris=code_uris,
        permissions=tuple(builder.permissions()),
        context=context,
    )
