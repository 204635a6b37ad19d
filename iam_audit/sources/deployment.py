"""Several CloudFormation stacks read as one deployment: templates, CDK cloud assemblies, nested stacks.

A migration trigger's role often lives in another stack than the pool, and a CDK app splits a
deployment into stacks that reference each other through exports. This module reads every stack
of the deployment with :func:`iam_audit.sources.cloudformation.read_stack` and gives the audit one
source over all of them:

* ``Fn::ImportValue`` resolves through the other stacks' ``Outputs`` with an ``Export`` ``Name``
  (CloudFormation's cross-stack references). Stacks are read again until no export changes, so
  an export that itself imports resolves too; a name no stack exports stays unresolved.
* A CDK cloud assembly (``cdk.out``) is read through its ``manifest.json``: every artifact of type
  ``aws:cloudformation:stack`` (or the ones ``--stack`` names, by stack name, artifact ID or
  display name), nested assemblies (CDK stages) included. Each stack takes its account and region
  from the artifact's ``environment`` (``aws://ACCOUNT/REGION``) unless the environment is
  agnostic. The CDK bootstrap parameter (``BootstrapVersion``) is not needed and not asked for.
* Nested stacks (``AWS::CloudFormation::Stack``) are followed where their template is local (CDK's
  ``aws:asset:path``, a relative ``TemplateURL`` as ``aws cloudformation package`` input or
  Amplify's ``amplify/backend`` layout); the parent's ``Parameters`` are passed in. One whose
  template is remote is named in a note.

Every role, function and pool is keyed ``STACK/LogicalId`` when the deployment has more than one
stack; a role is still found by its logical ID alone when only one stack has it, and by name or
ARN. Every origin names its file, line, stack and (CDK) construct path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.inputs import read_json
from iam_audit.model import JSON, LambdaFunction, Role, UserPool
from iam_audit.sources.cloudformation import Stack, TemplateSource, read_stack

__all__ = ["DeploymentSource", "StackFile", "cdk_stacks", "load_deployment"]

#: How deep nested stacks are followed (CloudFormation itself allows no cycles; this bounds a loop).
_MAX_NESTING = 10


@dataclass(frozen=True)
class StackFile:
    """One stack of the deployment: its name, template file and the values it is deployed with."""

    name: str
    path: Path
    region: str | None = None
    account_id: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: whether origins name the stack (not for a lone ``--template``, where the file says it all)
    named: bool = True
    #: the name the stack is deployed under, where the deployment says it (a CDK manifest); a
    #: template file does not, so ``AWS::StackName`` stays unresolved for it
    deployed_name: str | None = None


class DeploymentSource(TemplateSource):
    """The roles, functions and pools of every stack of a deployment (see the module docstring)."""

    def __init__(
        self,
        stacks: Sequence[tuple[StackFile, Stack]],
        notes: tuple[str, ...],
        account_id: str | None,
    ) -> None:
        single = len(stacks) == 1
        roles: dict[str, Role] = {}
        functions: dict[str, LambdaFunction] = {}
        pools: dict[str, UserPool] = {}
        for spec, stack in stacks:
            prefix = "" if single else f"{spec.name}/"
            inventory = stack.source
            roles.update({prefix + k: v for k, v in inventory._roles.items()})
            functions.update({prefix + k: v for k, v in inventory._functions.items()})
            pools.update({prefix + k: v for k, v in inventory._pools.items()})
        first = stacks[0][0].path
        super().__init__(first, roles, functions, pools, notes, account_id)
        #: per template file (as origins name it): what a fix in the template's language needs
        self.contexts = {
            str(spec.path): stack.context for spec, stack in stacks if stack.context is not None
        }
        #: export value → export name, over every stack (for ``Fn::ImportValue`` in fixes)
        self.exported: dict[str, tuple[str, str]] = {}
        for spec, stack in stacks:
            for name, value in stack.exports.items():
                if isinstance(value, str):
                    self.exported.setdefault(value, (str(spec.path), name))
        self.from_cdk = any(spec.deployed_name for spec, _ in stacks)

    def _by_logical(self, table: Mapping[str, object], ref: str) -> str:
        """The one key ``STACK/ref`` when exactly one stack has the logical ID ``ref``."""
        hits = [key for key in table if key.rpartition("/")[2] == ref]
        return hits[0] if len(hits) == 1 else ref

    def get_role(self, ref: str) -> Role:
        return super().get_role(self._by_logical(self._roles, ref))

    def get_function(self, ref: str) -> LambdaFunction | None:
        return super().get_function(self._by_logical(self._functions, ref))

    def get_user_pool(self, arn: str) -> UserPool | None:
        return super().get_user_pool(self._by_logical(self._pools, arn))


def _environment(value: object) -> tuple[str | None, str | None]:
    """``aws://ACCOUNT/REGION`` → (account, region); agnostic parts (``unknown-…``) → ``None``."""
    if not isinstance(value, str) or not value.startswith("aws://"):
        return None, None
    account, _, region = value[len("aws://") :].partition("/")
    return (
        account if account and not account.startswith("unknown-") else None,
        region if region and not region.startswith("unknown-") else None,
    )


def cdk_stacks(cdk_out: Path, wanted: Sequence[str] = ()) -> list[StackFile]:
    """The stacks of the cloud assembly in ``cdk_out`` (nested assemblies included).

    ``wanted`` picks stacks by stack name, artifact ID or display name (``Stage/Stack``); an
    unknown name is an :class:`InputError` listing the stacks there are.
    """
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(
            f"{cdk_out}: not a CDK cloud assembly (no manifest.json)",
            advice="run `cdk synth` first; it writes cdk.out/",
        )
    found: list[tuple[StackFile, set[str]]] = []

    def visit(folder: Path, depth: int) -> None:
        manifest = read_json(folder / "manifest.json", "CDK manifest")
        artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
        if not isinstance(artifacts, dict):
            raise InputError(f"{folder / 'manifest.json'}: no artifacts in the CDK manifest")
        for artifact_id, artifact in sorted(artifacts.items()):
            if not isinstance(artifact, dict):
                continue
            props = artifact.get("properties")
            props = props if isinstance(props, dict) else {}
            kind = artifact.get("type")
            if kind == "cdk:cloud-assembly" and depth < _MAX_NESTING:
                directory = props.get("directoryName")
                if isinstance(directory, str):
                    visit(folder / directory, depth + 1)
            if kind != "aws:cloudformation:stack":
                continue
            template = props.get("templateFile")
            if not isinstance(template, str):
                continue
            account, region = _environment(artifact.get("environment"))
            name = str(props.get("stackName") or artifact_id)
            aliases = {name, str(artifact_id), str(artifact.get("displayName") or name)}
            spec = StackFile(name, folder / template, region, account, deployed_name=name)
            found.append((spec, aliases))

    visit(cdk_out, 0)
    if not wanted:
        return [spec for spec, _ in found]
    chosen: list[StackFile] = []
    for name in wanted:
        match = [spec for spec, aliases in found if name in aliases]
        if not match:
            names = ", ".join(sorted(spec.name for spec, _ in found)) or "none"
            raise InputError(f"{cdk_out}: no stack {name!r} in the cloud assembly", advice=names)
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def _parameters_for(given: Mapping[str, str], declared: set[str]) -> dict[str, str]:
    return {k: v for k, v in given.items() if k in declared}


class _Decoded(dict[Path, dict[str, Any]]):
    """Each template file decoded once per deployment (so ``--template -`` reads stdin once)."""

    def of(self, path: Path) -> dict[str, Any]:
        from iam_audit.sources.cloudformation import decode_template

        if path not in self:
            self[path] = decode_template(path)
        return self[path]

    def parameters(self, path: Path) -> set[str]:
        declared = self.of(path).get("Parameters")
        return {str(k) for k in declared} if isinstance(declared, dict) else set()


def load_deployment(
    stacks: Sequence[StackFile],
    *,
    parameters: Mapping[str, str] = {},
    region: str | None = None,
    account_id: str | None = None,
) -> DeploymentSource:
    """Read ``stacks`` (and the nested stacks they name) as one deployment.

    ``parameters`` go to every stack that declares them (a name no stack declares is an
    :class:`InputError`); ``region`` and ``account_id`` fill what a stack's own environment leaves
    open. Raises :class:`InputError` for the first unreadable template.
    """
    if not stacks:
        raise InputError("no template to read")
    names = [s.name for s in stacks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"two templates are named stack {duplicates[0]!r}; give distinct files")
    files = _Decoded()
    declared = {spec.path: files.parameters(spec.path) for spec in stacks}
    unknown = sorted(set(parameters) - set().union(*declared.values()))
    if unknown:
        where = f"{stacks[0].path}: the template has" if len(stacks) == 1 else "no template has"
        raise InputError(
            f"{where} no parameter {', '.join(unknown)}",
            advice="parameters: " + (", ".join(sorted(set().union(*declared.values()))) or "none"),
        )
    specs = [
        StackFile(
            s.name,
            s.path,
            s.region or region,
            s.account_id or account_id,
            {**_parameters_for(parameters, declared[s.path]), **s.parameters},
            s.named,
            s.deployed_name,
        )
        for s in stacks
    ]
    known = _Known()
    for _ in range(len(specs) * _MAX_NESTING + 1):
        loaded, notes = _read_all(specs, known, files)
        fresh = _Known.of(loaded)
        names = [spec.name for spec, _ in loaded]
        if fresh.seen_by(names) == known.seen_by(names):
            break  # another reading would give every stack what this one gave it
        known = fresh
    accounts = {spec.account_id for spec, _ in loaded if spec.account_id}
    account = account_id or (next(iter(accounts)) if len(accounts) == 1 else None)
    return DeploymentSource(loaded, tuple(sorted(notes)), account)


@dataclass(frozen=True)
class _Known:
    """What one reading of the stacks learnt for the next: exports, outputs, permissions."""

    exports: Mapping[str, JSON] = field(default_factory=dict)
    #: by stack name; a nested stack's name is ``PARENT/LogicalId``
    outputs: Mapping[str, Mapping[str, JSON]] = field(default_factory=dict)
    permissions: Mapping[str, tuple[tuple[set[str], dict[str, Any]], ...]] = field(
        default_factory=dict
    )

    @classmethod
    def of(cls, loaded: Sequence[tuple[StackFile, Stack]]) -> _Known:
        exports: dict[str, JSON] = {}
        for _spec, stack in loaded:
            exports.update(stack.exports)
        return cls(
            exports,
            {spec.name: stack.outputs for spec, stack in loaded},
            {spec.name: stack.permissions for spec, stack in loaded},
        )

    def nested_outputs(self, parent: str) -> dict[str, Mapping[str, JSON]]:
        """The outputs of ``parent``'s nested stacks, by their logical IDs."""
        return {
            name.rpartition("/")[2]: values
            for name, values in self.outputs.items()
            if name.rpartition("/")[0] == parent
        }

    def seen_by(self, names: Sequence[str]) -> tuple[object, ...]:
        """What a reading of the stacks ``names`` takes from this knowledge."""
        return (
            self.exports,
            [(name, self.nested_outputs(name), self.foreign_permissions(name)) for name in names],
        )

    def foreign_permissions(self, stack: str) -> list[tuple[set[str], dict[str, Any]]]:
        """The Lambda permissions every other stack declares."""
        return [p for name, found in self.permissions.items() if name != stack for p in found]


def _read_all(
    specs: Sequence[StackFile], known: _Known, files: _Decoded
) -> tuple[list[tuple[StackFile, Stack]], set[str]]:
    """Every stack and its nested stacks, read with what the previous reading learnt."""
    loaded: list[tuple[StackFile, Stack]] = []
    notes: set[str] = set()
    queue: list[tuple[StackFile, int]] = [(spec, 0) for spec in specs]
    while queue:
        spec, depth = queue.pop(0)
        stack = read_stack(
            spec.path,
            parameters=spec.parameters,
            region=spec.region,
            account_id=spec.account_id,
            imports=known.exports,
            nested_outputs=known.nested_outputs(spec.name),
            foreign_permissions=known.foreign_permissions(spec.name),
            stack=spec.name if spec.named else "",
            stack_name=spec.deployed_name,
            decoded=files.of(spec.path),
        )
        loaded.append((spec, stack))
        notes.update(stack.source.inventory().notes)
        for nested in stack.nested:
            child = f"{spec.name}/{nested.logical}"
            if nested.path is None or not nested.path.is_file():
                where = nested.url or "no TemplateURL"
                notes.add(f"nested stack {child} not read: its template is not local ({where})")
                continue
            if depth + 1 > _MAX_NESTING:
                notes.add(f"nested stack {child} not read: nested more than {_MAX_NESTING} deep")
                continue
            declared = files.parameters(nested.path)
            passed = {k: v for k, v in nested.parameters.items() if k in declared}
            queue.append(
                (StackFile(child, nested.path, spec.region, spec.account_id, passed), depth + 1)
            )
    return loaded, notes
