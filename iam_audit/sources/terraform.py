"""Terraform plans (the JSON of ``terraform show -json PLAN``) as a source.

What a plan knows is in ``planned_values`` (root and child modules) and ``resource_changes``
(``after``, and ``after_unknown`` for what only apply will know). Where a planned value is unknown,
the ``configuration`` section's expressions are followed: a ``constant_value`` is taken as is, and
an expression whose ``references`` name one attribute (``aws_iam_role.lambda.arn``, ``var.x``,
``module.m.out``) is resolved to that attribute, recursively and across modules. What a plan
cannot tell stays a placeholder (:mod:`iam_audit.sources.symbolic`): ``<aws_iam_role.logs.name>``
for a name Terraform will generate, ``<Unresolved...>`` for anything else, which the role then lists
in ``Role.symbolic``.

A resource whose every value is unknown (an attachment of a new role and a new policy) has no
``values`` in ``planned_values``; it is read from ``after_unknown`` and the configuration like any
other. Instances of ``count`` and ``for_each`` (``aws_iam_role.x[0]``, ``aws_iam_role.x["a"]``)
and resources of child modules are read like root ones; ``count.index``, ``each.key`` and
``each.value`` in a reference are the instance's own. An attachment whose policy or role stays
unknown is kept as an unknown policy (on every role, granting nothing, when the role is unknown). The
region is ``data.aws_region``, else the root aws provider's ``region`` (a constant or a variable
from the plan's ``variables``). A plan with ``"errored": true`` or ``"complete": false`` is refused.

Known limits: the plan's JSON holds only the references of an expression, not its text, so
``"${aws_x.y.arn}/*"`` and ``aws_x.y.arn`` look alike; a policy field resolved that way is marked
unresolved on the role (``<Unresolved.Expression...>``). ``local.*`` values are not evaluated, and
a reference that lost its attribute (``aws_iam_role.x[each.key].name`` reaches the plan as
``aws_iam_role.x`` and ``each.key``) is resolved only for the fields whose attribute is implied,
and read as the idiom ``X[count.index]`` / ``X[each.key]`` (``X[count.index + 1]`` looks the same).
Plans carry no line numbers: origins point at resource addresses.

Resources read: ``aws_iam_role`` (``inline_policy`` blocks, ``managed_policy_arns``,
``permissions_boundary``, ``assume_role_policy``), ``aws_iam_role_policy``, ``aws_iam_policy``,
``aws_iam_role_policy_attachment``, ``aws_iam_role_policies_exclusive``,
``aws_iam_role_policy_attachments_exclusive``, ``aws_lambda_function``, ``aws_lambda_permission``,
``aws_cognito_user_pool``, and ``data.aws_iam_policy_document`` (rebuilt from its configuration
when its ``json`` is unknown), ``data.aws_caller_identity`` and ``data.aws_region``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.inputs import MAX_PLAN, read_json
from iam_audit.model import (
    LambdaFunction,
    Origin,
    PolicyDocument,
    PolicyKind,
    SourceKind,
    UserPool,
    partition_for_region,
)
from iam_audit.sources.lambda_permission import permission_statement
from iam_audit.sources.roles import RoleParts, finish_role, role_parts, tag_pairs
from iam_audit.sources.static import StaticSource
from iam_audit.sources.symbolic import generated, unresolved, unresolved_in

__all__ = ["PlanSource", "load_plan"]

_INDEX_RE = re.compile(r"\[[^\]]*\]")
_REF_RE = re.compile(
    r"^(?P<head>(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)(?P<rest>.*)$"
)

#: Unknown is ``after_unknown`` (or absent from ``values``).
_UNKNOWN = object()

#: The attribute a field takes from the resource type it names, for references that lost it
#: (``role = aws_iam_role.x[count.index].id`` reaches the plan as ``aws_iam_role.x``,
#: ``count.index``): (resource type, field, referenced type) → attribute. For these fields the
#: provider takes one value only (a role name, a policy ARN, a role ARN, a function ARN), so
#: ``name`` and ``id`` (equal for roles) or ``arn`` and ``id`` (equal for policies) agree.
_IMPLIED_ATTRIBUTE: dict[tuple[str, str, str], str] = {
    ("aws_iam_role_policy", "role", "aws_iam_role"): "name",
    ("aws_iam_role_policy_attachment", "role", "aws_iam_role"): "name",
    ("aws_iam_role_policy_attachment", "policy_arn", "aws_iam_policy"): "arn",
    ("aws_iam_role_policies_exclusive", "role_name", "aws_iam_role"): "name",
    ("aws_iam_role_policy_attachments_exclusive", "role_name", "aws_iam_role"): "name",
    ("aws_lambda_function", "role", "aws_iam_role"): "arn",
    ("aws_lambda_permission", "function_name", "aws_lambda_function"): "function_name",
    ("aws_cognito_user_pool", "lambda_config.user_migration", "aws_lambda_function"): "arn",
}
_OBJECT_RE = re.compile(r"^(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+$")


def _is_object(ref: str) -> bool:
    """``aws_iam_role.x`` or ``data.aws_x.y``: a whole resource, no index or attribute."""
    return bool(_OBJECT_RE.match(ref)) and not ref.startswith(
        ("var.", "local.", "module.", "each.", "count.", "path.", "terraform.")
    )


@dataclass
class _Resource:
    """One resource instance of the plan, with where its configuration lives."""

    address: str
    module: str  # "" for the root, "module.a.module.b" (instance keys kept) otherwise
    mode: str
    type: str
    name: str
    values: dict[str, Any]
    unknown: Any = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    index: str | int | None = None  # the ``count`` index or ``for_each`` key of this instance
    for_each: list[str] = field(default_factory=list)  # references of its ``for_each_expression``


def _strip_index(address: str) -> str:
    return _INDEX_RE.sub("", address)


def _config_module_key(module: str) -> str:
    """``module.a["x"].module.b`` → ``module.a.module.b`` (configuration has no instance keys)."""
    return _strip_index(module)


def _split_address(address: str) -> tuple[str, str]:
    """``module.a["k"].aws_x.y[0]`` → (``module.a["k"]``, ``aws_x.y[0]``)."""
    parts = address.split(".")
    index = 0
    while index + 1 < len(parts) and parts[index] == "module":
        index += 2
    return ".".join(parts[:index]), ".".join(parts[index:])


def _leaf_references(references: list[str]) -> list[str]:
    """Drop references that only name the object of a longer one (``aws_x.y`` after ``aws_x.y.arn``)."""
    unique = list(dict.fromkeys(references))
    return [
        r
        for r in unique
        if not any(o != r and (o.startswith(r + ".") or o.startswith(r + "[")) for o in unique)
    ]


def _get(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        in_list = isinstance(step, int) and isinstance(value, list) and step < len(value)
        in_dict = isinstance(step, str) and isinstance(value, dict) and step in value
        if not (in_list or in_dict):
            return _UNKNOWN
        value = value[step]
    return value


def _is_unknown(unknown: Any, path: tuple[str | int, ...]) -> bool:
    """``after_unknown`` marks ``true`` at an unknown value (or at any of its parents)."""
    node = unknown
    for step in path:
        if node is True:
            return True
        node = _get(node, (step,))
        if node is _UNKNOWN:
            return False
    return node is True


class _Plan:
    """The parsed plan: resources by address, configuration by module, variables, outputs."""

    def __init__(
        self, path: Path, data: Mapping[str, Any], region: str | None, account: str | None
    ) -> None:
        self.path = path
        self.data = data
        self.resources: dict[str, _Resource] = {}
        self.notes: set[str] = set()
        self._configs: dict[str, dict[str, Any]] = {}  # module key → configuration module
        self._index_configuration(data.get("configuration", {}).get("root_module", {}), "")
        unknowns = {
            str(rc.get("address")): (rc.get("change") or {}).get("after_unknown") or {}
            for rc in data.get("resource_changes") or []
            if isinstance(rc, dict)
        }
        # What the plan destroys is gone after apply: prior_state still lists it.
        destroyed = {
            str(rc.get("address"))
            for rc in data.get("resource_changes") or []
            if isinstance(rc, dict) and (rc.get("change") or {}).get("actions") == ["delete"]
        }
        prior = (data.get("prior_state") or {}).get("values", {}).get("root_module", {})
        for module in (prior, (data.get("planned_values") or {}).get("root_module", {})):
            for raw in self._walk_modules(module):
                resource = self._resource(raw, unknowns)
                if resource is not None and resource.address not in destroyed:
                    self.resources[resource.address] = resource
        self.region: str | None = None  # read while the plan's own region is worked out
        self.account: str | None = None
        self.partition: str | None = None
        self.region = region or self._region()
        self.account = account or self._account()
        self.partition = partition_for_region(self.region) if self.region else None

    # -- reading the plan ----------------------------------------------------------------------

    def _walk_modules(self, module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        for raw in module.get("resources") or []:
            if isinstance(raw, dict):
                yield raw
        for child in module.get("child_modules") or []:
            if isinstance(child, dict):
                yield from self._walk_modules(child)

    def _resource(self, raw: Mapping[str, Any], unknowns: Mapping[str, Any]) -> _Resource | None:
        """One resource of ``planned_values`` (or ``prior_state``).

        A resource whose every value is unknown until apply (an attachment of a role and a policy
        that are both new) has no ``values`` at all: it is kept, and its values are then taken
        from ``after_unknown`` and the configuration like any other unknown value.
        """
        address = raw.get("address")
        values = raw.get("values", {})
        if not isinstance(address, str) or not isinstance(values, dict):
            return None
        module, local = _split_address(address)
        config = self._configs.get(_config_module_key(module), {}).get(_strip_index(local), {})
        index = raw.get("index")
        for_each = (config.get("for_each_expression") or {}).get("references") or []
        return _Resource(
            address=address,
            module=module,
            mode=str(raw.get("mode", "managed")),
            type=str(raw.get("type", "")),
            name=str(raw.get("name", "")),
            values=dict(values),
            unknown=unknowns.get(address, {}),
            config=config.get("expressions") or {},
            index=index if isinstance(index, str | int) and not isinstance(index, bool) else None,
            for_each=[str(r) for r in for_each],
        )

    def _index_configuration(self, module: Mapping[str, Any], key: str) -> None:
        entries: dict[str, Any] = {}
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                entries[resource["address"]] = resource
        entries["__module__"] = module
        self._configs[key] = entries
        for name, call in (module.get("module_calls") or {}).items():
            child = f"{key}.module.{name}" if key else f"module.{name}"
            self._configs.setdefault(child, {})
            self._index_configuration((call or {}).get("module") or {}, child)
            self._configs[child]["__call__"] = call
            self._configs[child]["__parent__"] = key

    def _region(self) -> str | None:
        for resource in self.resources.values():
            if resource.type == "aws_region" and resource.mode == "data":
                value = resource.values.get("region") or resource.values.get("name")
                if isinstance(value, str) and value:
                    self.notes.add(f"region {value} taken from {resource.address}")
                    return value
        config = (self.data.get("configuration") or {}).get("provider_config") or {}
        # The root module's default aws provider (key "aws"; "aws.east" is an alias, and
        # "module.m:aws" a module's own): its region is a constant or, the commonest layout,
        # ``region = var.region``, read from the plan's ``variables``.
        defaults = sorted(
            (key != "aws", str(key))
            for key, provider in config.items()
            if isinstance(provider, dict) and provider.get("name") == "aws" and ":" not in key
        )
        for _, key in defaults:
            expression = (config[key].get("expressions") or {}).get("region")
            if not isinstance(expression, dict):
                continue
            value = self.expression(expression, "", set(), f"provider {key} region")
            if isinstance(value, str) and value:
                self.notes.add(f"region {value} taken from the aws provider configuration")
                return value
        self.notes.add("the region is unknown (pass --region)")
        return None

    def _account(self) -> str | None:
        for resource in self.resources.values():
            if resource.type == "aws_caller_identity" and resource.mode == "data":
                value = resource.values.get("account_id")
                if isinstance(value, str) and value:
                    self.notes.add(f"account {value} taken from {resource.address}")
                    return value
        self.notes.add("the account is unknown (pass --account-id)")
        return None

    # -- values, following configuration where the plan does not know them ---------------------

    def value(self, resource: _Resource, *path: str | int, marks: set[str]) -> Any:
        """The planned value at ``path``, else what the configuration says, else ``_UNKNOWN``."""
        if not _is_unknown(resource.unknown, path):
            known = _get(resource.values, path)
            if known is not _UNKNOWN:
                return known
        expression = _get(resource.config, path)
        if isinstance(expression, dict):
            return self.expression(
                expression,
                resource.module,
                marks,
                f"{resource.address}.{'.'.join(map(str, path))}",
                site=resource,
                field=".".join(str(p) for p in path if isinstance(p, str)),
            )
        return _UNKNOWN

    def expression(
        self,
        expression: Mapping[str, Any],
        module: str,
        marks: set[str],
        where: str,
        *,
        site: _Resource | None = None,
        field: str = "",
    ) -> Any:
        """The value of a configuration expression: a constant, or the one thing it references.

        ``site`` is the resource instance the expression belongs to (``field`` its attribute):
        ``count.index``, ``each.key`` and ``each.value`` are read from that instance.
        """
        if "constant_value" in expression:
            return expression["constant_value"]
        leaves = _leaf_references([str(r) for r in expression.get("references") or []])
        if site is not None:
            leaves = self._instance_references(leaves, site, field)
        if len(leaves) != 1:
            return _UNKNOWN
        return self.reference(leaves[0], module, marks)

    def _instance_references(self, leaves: list[str], site: _Resource, field: str) -> list[str]:
        """References with ``count.index``/``each.key``/``each.value`` read from ``site``.

        The plan keeps only the references of ``aws_iam_role.x[each.key].name``: ``aws_iam_role.x``
        and ``each.key``, without the attribute. The index is ``site``'s own; the attribute is
        the one ``field`` takes from that resource type (:data:`_IMPLIED_ATTRIBUTE`), and without
        one the expression stays unknown. ``each.value.name`` under ``for_each = aws_iam_role.x``
        is ``aws_iam_role.x[KEY].name``.
        """
        if site.index is None:
            return leaves
        key = json.dumps(site.index)
        objects = [r for r in _leaf_references(site.for_each) if _is_object(r)]
        out: list[str] = []
        for ref in leaves:
            if ref == "each.value" or ref.startswith("each.value."):
                if len(objects) != 1:
                    return leaves
                ref = f"{objects[0]}[{key}]{ref[len('each.value') :]}"
                if "." not in ref.rsplit("]", 1)[-1]:
                    ref = self._with_attribute(ref, objects[0], site, field)
            out.append(ref)
        counters = [r for r in out if r in ("count.index", "each.key")]
        rest = [r for r in out if r not in counters]
        if counters and len(rest) == 1 and _is_object(rest[0]):
            return [self._with_attribute(f"{rest[0]}[{key}]", rest[0], site, field)]
        return out

    @staticmethod
    def _with_attribute(ref: str, target: str, site: _Resource, field: str) -> str:
        target_type = target.split(".")[-2]
        attribute = _IMPLIED_ATTRIBUTE.get((site.type, field, target_type))
        return f"{ref}.{attribute}" if attribute else ref

    def _module_config(self, module: str) -> dict[str, Any]:
        return self._configs.get(_config_module_key(module), {})

    def reference(self, ref: str, module: str, marks: set[str]) -> Any:
        """Resolve ``var.x``, ``module.m.out``, ``TYPE.NAME[.attr...]`` as seen from ``module``."""
        if ref.startswith("var."):
            return self._variable(ref[4:].split(".")[0], module, marks)
        if ref.startswith("module."):
            parts = ref.split(".")
            if len(parts) < 3:
                return _UNKNOWN
            child = f"{module}.module.{parts[1]}" if module else f"module.{parts[1]}"
            outputs = self._module_config(child).get("__module__", {}).get("outputs") or {}
            output = outputs.get(parts[2])
            if isinstance(output, dict) and isinstance(output.get("expression"), dict):
                return self.expression(output["expression"], child, marks, ref)
            return _UNKNOWN
        match = _REF_RE.match(ref)
        if not match or ref.startswith(("local.", "each.", "count.", "path.", "terraform.")):
            return _UNKNOWN
        head, rest = match.group("head"), match.group("rest")
        address = f"{module}.{head}" if module else head
        resource = self.resources.get(address) or self.resources.get(f"{address}[0]")
        if resource is None:
            resource = self._from_configuration(address, module, head)
        if resource is None:
            return _UNKNOWN
        steps: list[str | int] = [
            int(s) if s.isdigit() else s for s in rest.strip(".").split(".") if s
        ]
        if not steps:
            return _UNKNOWN
        return self.attribute(resource, tuple(steps), marks)

    def _from_configuration(self, address: str, module: str, head: str) -> _Resource | None:
        """A resource the plan does not list (a data source read only at apply): config only."""
        config = self._module_config(module).get(_strip_index(head))
        if not isinstance(config, dict):
            return None
        return _Resource(
            address=address,
            module=module,
            mode=str(config.get("mode", "managed")),
            type=str(config.get("type", "")),
            name=str(config.get("name", "")),
            values={},
            unknown=True,
            config=config.get("expressions") or {},
        )

    def _variable(self, name: str, module: str, marks: set[str]) -> Any:
        if not module:
            variables = self.data.get("variables") or {}
            entry = variables.get(name)
            return entry.get("value", _UNKNOWN) if isinstance(entry, dict) else _UNKNOWN
        config = self._module_config(module)
        call = config.get("__call__") or {}
        expression = (call.get("expressions") or {}).get(name)
        if isinstance(expression, dict):
            return self.expression(
                expression, config.get("__parent__", ""), marks, f"{module}.var.{name}"
            )
        default = ((config.get("__module__") or {}).get("variables") or {}).get(name) or {}
        return default.get("default", _UNKNOWN)

    # -- attributes Terraform computes at apply, rebuilt from what is known --------------------

    def _arn(self, service: str, regional: bool, resource: str) -> str:
        partition = self.partition or unresolved("AWS", "Partition")
        region = (self.region or unresolved("AWS", "Region")) if regional else ""
        account = self.account or unresolved("AWS", "AccountId")
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    def _name(self, resource: _Resource, key: str, marks: set[str]) -> str:
        value = self.value(resource, key, marks=marks)
        return value if isinstance(value, str) and value else generated(f"{resource.address}.{key}")

    def attribute(self, resource: _Resource, path: tuple[str | int, ...], marks: set[str]) -> Any:
        value = self.value(resource, *path, marks=marks)
        if value is not _UNKNOWN and value is not None:
            return value
        attr = path[0] if len(path) == 1 else None
        kind = (resource.mode, resource.type, attr)
        match kind:
            case ("managed", "aws_iam_role", "name" | "id"):
                return self._name(resource, "name", marks)
            case ("managed", "aws_iam_role", "arn"):
                path_value = self.value(resource, "path", marks=marks)
                role_path = path_value if isinstance(path_value, str) and path_value else "/"
                return self._arn(
                    "iam", False, f"role{role_path}{self._name(resource, 'name', marks)}"
                )
            case ("managed", "aws_iam_policy", "arn" | "id"):
                path_value = self.value(resource, "path", marks=marks)
                policy_path = path_value if isinstance(path_value, str) and path_value else "/"
                name = self._name(resource, "name", marks)
                return self._arn("iam", False, f"policy{policy_path}{name}")
            case ("managed", "aws_lambda_function", "function_name" | "id"):
                return self._name(resource, "function_name", marks)
            case ("managed", "aws_lambda_function", "arn" | "qualified_arn"):
                name = self._name(resource, "function_name", marks)
                return self._arn("lambda", True, f"function:{name}")
            case ("managed", "aws_cognito_user_pool", "id"):
                return generated(f"{resource.address}.id")
            case ("managed", "aws_cognito_user_pool", "arn"):
                pool_id = self.attribute(resource, ("id",), marks)
                return self._arn("cognito-idp", True, f"userpool/{pool_id}")
            case ("managed", "aws_cloudwatch_log_group", "arn"):
                return self._arn("logs", True, f"log-group:{self._name(resource, 'name', marks)}")
            case ("data", "aws_iam_policy_document", "json" | "minified_json"):
                return self._policy_document(resource, marks)
        if attr in ("id", "arn", "name"):
            return generated(f"{resource.address}.{attr}")
        return _UNKNOWN

    def _policy_document(self, resource: _Resource, marks: set[str]) -> Any:
        """Rebuild ``data.aws_iam_policy_document`` from its configuration blocks."""
        statements = resource.config.get("statement")
        if not isinstance(statements, list):
            return _UNKNOWN
        out: list[dict[str, Any]] = []
        for index, block in enumerate(statements):
            where = f"{resource.address}.statement.{index}"
            statement: dict[str, Any] = {}

            def field_value(
                name: str, default: Any = _UNKNOWN, *, block: Any = block, where: str = where
            ) -> Any:
                expression = block.get(name) if isinstance(block, dict) else None
                if not isinstance(expression, dict):
                    return default
                if "constant_value" not in expression:
                    marks.add(unresolved("Expression", f"{where}.{name}"))
                value = self.expression(expression, resource.module, marks, where)
                if value is _UNKNOWN:
                    return unresolved("Expression", f"{where}.{name}")
                return value

            sid = field_value("sid", None)
            if sid:
                statement["Sid"] = sid
            statement["Effect"] = field_value("effect", "Allow")
            for tf_name, iam_name in (
                ("actions", "Action"),
                ("not_actions", "NotAction"),
                ("resources", "Resource"),
                ("not_resources", "NotResource"),
            ):
                value = field_value(tf_name, None)
                if value is not None:
                    statement[iam_name] = value if isinstance(value, list) else [value]
            for tf_name, iam_name in (
                ("principals", "Principal"),
                ("not_principals", "NotPrincipal"),
            ):
                blocks = block.get(tf_name) if isinstance(block, dict) else None
                for principal in blocks or []:
                    kind = field_value("type", block=principal, where=f"{where}.{tf_name}")
                    ids = field_value("identifiers", block=principal, where=f"{where}.{tf_name}")
                    ids = ids if isinstance(ids, list) else [ids]
                    if kind == "*":
                        statement[iam_name] = "*"
                        continue
                    statement.setdefault(iam_name, {}).setdefault(str(kind), []).extend(ids)
            for condition in (block.get("condition") if isinstance(block, dict) else None) or []:
                test = field_value("test", block=condition, where=f"{where}.condition")
                variable = field_value("variable", block=condition, where=f"{where}.condition")
                values = field_value("values", block=condition, where=f"{where}.condition")
                values = values if isinstance(values, list) else [values]
                statement.setdefault("Condition", {}).setdefault(str(test), {})[str(variable)] = (
                    values
                )
            out.append(statement)
        return json.dumps({"Version": "2012-10-17", "Statement": out})


class PlanSource(StaticSource):
    """The roles, functions and user pools of one Terraform plan.

    Roles are found by resource address (``aws_iam_role.logs``, ``module.m.aws_iam_role.x``),
    name or ARN; the account is ``--account-id``, else ``data.aws_caller_identity`` in the plan.
    """

    kind: SourceKind = SourceKind.TERRAFORM


class _Builder:
    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.location = str(plan.path)

    def origin(self, address: str) -> Origin:
        return Origin(SourceKind.TERRAFORM, self.location, pointer=address)

    def of_type(self, rtype: str, mode: str = "managed") -> Iterator[_Resource]:
        for address in sorted(self.plan.resources):
            resource = self.plan.resources[address]
            if resource.type == rtype and resource.mode == mode:
                yield resource

    def _policy(
        self, value: Any, address: str, *, name: str, kind: PolicyKind
    ) -> PolicyDocument | None:
        from iam_audit.engine import parse_policy

        if not isinstance(value, str | dict) or value == "":
            return None
        if isinstance(value, str) and not value.lstrip().startswith("{"):
            # Terraform writes every known policy as JSON text; anything else was followed from
            # a reference inside the expression (``jsonencode({... Resource = x.arn})`` reaches
            # the plan as just ``x.arn``): the document is unknown until apply.
            return None
        document = parse_policy(value, name=name, kind=kind, location=f"{self.location} {address}")
        return dataclasses.replace(document, origin=self.origin(address))

    def _unknown_policy(self, address: str, what: str, marks: set[str]) -> None:
        mark = unresolved(address, what)
        marks.add(mark)
        self.plan.notes.add(f"{address}: {what} is unknown until apply; its policy is not judged")

    def roles(self) -> dict[str, RoleParts]:
        plan = self.plan
        out: dict[str, RoleParts] = {}
        for resource in self.of_type("aws_iam_role"):
            marks: set[str] = set()
            arn = str(plan.attribute(resource, ("arn",), marks))
            name = str(plan.attribute(resource, ("name",), marks))
            path_value = plan.value(resource, "path", marks=marks)
            role_path = path_value if isinstance(path_value, str) and path_value else "/"
            trust_value = plan.value(resource, "assume_role_policy", marks=marks)
            trust = self._policy(trust_value, resource.address, name="trust", kind=PolicyKind.TRUST)
            if trust is None:
                self._unknown_policy(resource.address, "assume_role_policy", marks)
            inline: list[PolicyDocument] = []
            blocks = plan.value(resource, "inline_policy", marks=marks)
            for index, block in enumerate(blocks if isinstance(blocks, list) else []):
                policy_name = plan.value(resource, "inline_policy", index, "name", marks=marks)
                policy = plan.value(resource, "inline_policy", index, "policy", marks=marks)
                if not isinstance(block, dict) or not policy_name:
                    continue
                document = self._policy(
                    policy, resource.address, name=str(policy_name), kind=PolicyKind.INLINE
                )
                if document is None:
                    self._unknown_policy(resource.address, f"inline_policy {policy_name}", marks)
                else:
                    inline.append(document)
            managed_value = plan.value(resource, "managed_policy_arns", marks=marks)
            managed = [str(a) for a in managed_value] if isinstance(managed_value, list) else []
            boundary = plan.value(resource, "permissions_boundary", marks=marks)
            out[resource.address] = role_parts(
                key=resource.address,
                arn=arn,
                name=name,
                path=role_path,
                origin=self.origin(resource.address),
                trust=trust,
                inline=inline,
                managed_arns=managed,
                boundary_arn=boundary if isinstance(boundary, str) and boundary else None,
                tags=tag_pairs(plan.value(resource, "tags", marks=marks)),
                marks=marks,
            )
        return out

    def _targets(self, roles: Mapping[str, RoleParts], value: Any) -> list[RoleParts]:
        if not isinstance(value, str):
            return []
        return [p for p in roles.values() if value in (p.name, p.arn)]

    def _role_targets(
        self, roles: Mapping[str, RoleParts], resource: _Resource, key: str, marks: set[str]
    ) -> list[RoleParts]:
        """The roles a policy resource's ``key`` names (a role name or ARN).

        When the plan cannot tell which role, the policy is not dropped: it may land on any role
        of the plan, so every role lists ``<Unresolved.ADDRESS.KEY>`` among the managed policies
        the source does not hold (a grant it lacks is then ``warn``, never ``fail``), and none
        gets the policy's statements (nothing passes on them). No role is returned.
        """
        value = self.plan.value(resource, key, marks=marks)
        if isinstance(value, str) and value:
            return self._targets(roles, value)
        mark = unresolved(resource.address, key)
        self.plan.notes.add(
            f"{resource.address}: {key} is unknown until apply; the policy may land on any role "
            "of the plan and counts as unknown on each"
        )
        for parts in roles.values():
            parts.marks.add(mark)
            if mark not in parts.managed_arns:
                parts.managed_arns.append(mark)
        return []

    def attach(self, roles: Mapping[str, RoleParts]) -> dict[str, PolicyDocument]:
        """Attach role policies and managed policies; apply the ``*_exclusive`` resources."""
        plan = self.plan
        for resource in self.of_type("aws_iam_role_policy"):
            marks: set[str] = set()
            targets = self._role_targets(roles, resource, "role", marks)
            name = plan.value(resource, "name", marks=marks)
            policy = plan.value(resource, "policy", marks=marks)
            document = self._policy(
                policy, resource.address, name=str(name), kind=PolicyKind.INLINE
            )
            for parts in targets:
                if document is None:
                    self._unknown_policy(resource.address, "policy", parts.marks)
                    continue
                parts.inline.append(document)
                parts.marks |= marks | unresolved_in(document.document)
        managed: dict[str, PolicyDocument] = {}
        for resource in self.of_type("aws_iam_policy"):
            marks = set()
            arn = str(plan.attribute(resource, ("arn",), marks))
            document = self._policy(
                plan.value(resource, "policy", marks=marks),
                resource.address,
                name=arn,
                kind=PolicyKind.MANAGED,
            )
            if document is not None:
                managed[arn] = document
        for resource in self.of_type("aws_iam_role_policy_attachment"):
            marks = set()
            arn = plan.value(resource, "policy_arn", marks=marks)
            if not isinstance(arn, str) or not arn:
                arn = unresolved(resource.address, "policy_arn")
                plan.notes.add(
                    f"{resource.address}: policy_arn is unknown until apply; "
                    "the policy it attaches is not judged"
                )
            for parts in self._role_targets(roles, resource, "role", marks):
                if arn not in parts.managed_arns:
                    parts.managed_arns.append(arn)
                    parts.marks |= marks | unresolved_in(arn)
        for resource in self.of_type("aws_iam_role_policies_exclusive"):
            marks = set()
            names = plan.value(resource, "policy_names", marks=marks)
            for parts in self._targets(roles, plan.value(resource, "role_name", marks=marks)):
                if isinstance(names, list):
                    kept = [d for d in parts.inline if d.name in names]
                    dropped = sorted(d.name for d in parts.inline if d.name not in names)
                    parts.inline[:] = kept
                    if dropped:
                        plan.notes.add(
                            f"{resource.address} removes inline policies {', '.join(dropped)} "
                            f"from {parts.name}"
                        )
        for resource in self.of_type("aws_iam_role_policy_attachments_exclusive"):
            marks = set()
            arns = plan.value(resource, "policy_arns", marks=marks)
            for parts in self._targets(roles, plan.value(resource, "role_name", marks=marks)):
                if isinstance(arns, list):
                    parts.managed_arns[:] = [str(a) for a in arns]
                    parts.marks |= marks | unresolved_in(arns)
        return managed

    def functions(self) -> dict[str, LambdaFunction]:
        plan = self.plan
        permissions: list[tuple[str, dict[str, Any], str]] = []
        for resource in self.of_type("aws_lambda_permission"):
            marks: set[str] = set()
            target = plan.value(resource, "function_name", marks=marks)
            sid = plan.value(resource, "statement_id", marks=marks)
            statement = permission_statement(
                sid if isinstance(sid, str) and sid else resource.address,
                str(plan.value(resource, "principal", marks=marks)),
                str(plan.value(resource, "action", marks=marks)),
                str(target),
                source_arn=plan.value(resource, "source_arn", marks=marks),
                source_account=plan.value(resource, "source_account", marks=marks),
                principal_org_id=plan.value(resource, "principal_org_id", marks=marks),
                function_url_auth_type=plan.value(resource, "function_url_auth_type", marks=marks),
            )
            if isinstance(target, str):
                permissions.append((target, statement, resource.address))
        out: dict[str, LambdaFunction] = {}
        for resource in self.of_type("aws_lambda_function"):
            marks = set()
            arn = str(plan.attribute(resource, ("arn",), marks))
            name = str(plan.attribute(resource, ("function_name",), marks))
            role = plan.value(resource, "role", marks=marks)
            variables = plan.value(resource, "environment", 0, "variables", marks=marks)
            env = (
                tuple(sorted((str(k), str(v)) for k, v in variables.items()))
                if isinstance(variables, dict)
                else ()
            )
            statements = [
                {**s, "Resource": arn} for target, s, _ in permissions if target in (arn, name)
            ]
            policy = None
            if statements:
                first = next(a for t, _, a in permissions if t in (arn, name))
                policy = self._policy(
                    {"Version": "2012-10-17", "Id": "default", "Statement": statements},
                    first,
                    name=f"{name} resource policy",
                    kind=PolicyKind.RESOURCE,
                )
            timeout = plan.value(resource, "timeout", marks=marks)
            handler = plan.value(resource, "handler", marks=marks)
            runtime = plan.value(resource, "runtime", marks=marks)
            out[resource.address] = LambdaFunction(
                arn=arn,
                name=name,
                role_arn=role if isinstance(role, str) else "",
                origin=self.origin(resource.address),
                environment=env,
                resource_policy=policy,
                handler=handler if isinstance(handler, str) else None,
                runtime=runtime if isinstance(runtime, str) else None,
                timeout=timeout if isinstance(timeout, int) else None,
                code_path=self._code_path(resource, marks),
            )
        return out

    def _code_path(self, resource: _Resource, marks: set[str]) -> str | None:
        """The package ``filename`` names (relative to the plan's folder, where terraform ran),
        or the ``source_dir`` of the ``archive_file`` whose ``output_path`` it is."""
        filename = self.plan.value(resource, "filename", marks=marks)
        if not isinstance(filename, str) or not filename:
            return None
        base = Path(self.location).parent
        for archive in self.of_type("archive_file", mode="data"):
            output = self.plan.value(archive, "output_path", marks=marks)
            source_dir = self.plan.value(archive, "source_dir", marks=marks)
            if output == filename and isinstance(source_dir, str) and source_dir:
                return str(base / source_dir)
        return str(base / filename)

    def user_pools(self) -> dict[str, UserPool]:
        plan = self.plan
        out: dict[str, UserPool] = {}
        for resource in self.of_type("aws_cognito_user_pool"):
            marks: set[str] = set()
            migration = plan.value(resource, "lambda_config", 0, "user_migration", marks=marks)
            name = plan.value(resource, "name", marks=marks)
            sms_role = plan.value(resource, "sms_configuration", 0, "sns_caller_arn", marks=marks)
            out[resource.address] = UserPool(
                arn=str(plan.attribute(resource, ("arn",), marks)),
                pool_id=str(plan.attribute(resource, ("id",), marks)),
                origin=self.origin(resource.address),
                name=name if isinstance(name, str) else "",
                migration_lambda_arn=migration
                if isinstance(migration, str) and migration
                else None,
                sms_role_arn=sms_role if isinstance(sms_role, str) and sms_role else None,
            )
        return out


def _read(path: Path) -> dict[str, Any]:
    data = read_json(path, "plan", MAX_PLAN)
    if (
        not isinstance(data, dict)
        or "format_version" not in data
        or ("planned_values" not in data and "resource_changes" not in data)
    ):
        raise InputError(
            f"{path}: not a Terraform plan in JSON",
            advice="pass the output of `terraform show -json PLAN`, not the binary plan or state",
        )
    wrong = _wrong_shape(data)
    if wrong:
        raise InputError(
            f"{path}: not a Terraform plan in JSON: {wrong}",
            advice="pass the output of `terraform show -json PLAN`",
        )
    major = str(data["format_version"]).split(".")[0]
    if major != "1":
        raise InputError(
            f"{path}: plan JSON format_version {data['format_version']} is not supported (1.x is)"
        )
    return data


def _refuse_partial(path: Path, data: Mapping[str, Any]) -> None:
    """A plan Terraform did not finish says nothing of what it left out: refuse it (exit 3).

    ``errored`` is true when planning failed part-way (Terraform still writes the plan file);
    ``complete`` is false when changes were left out: ``-target``, or deferred actions. Plans
    from before Terraform 1.6/1.8 carry neither field and are taken as whole.
    """
    if data.get("errored") is True:
        raise InputError(
            f"{path}: the plan errored (terraform plan failed part-way), so it is not audited",
            advice="fix the errors `terraform plan` reported and plan again",
        )
    if data.get("complete") is False:
        raise InputError(
            f"{path}: the plan is incomplete (planned with -target, or with deferred changes), "
            "so it is not audited",
            advice="audit a plan of the whole configuration: `terraform plan -out` without -target",
        )


#: The containers of ``terraform show -json`` and their JSON types, as the reader walks them.
_SHAPE: dict[str, type] = {
    "planned_values": dict,
    "planned_values.root_module": dict,
    "prior_state": dict,
    "prior_state.values": dict,
    "prior_state.values.root_module": dict,
    "configuration": dict,
    "configuration.root_module": dict,
    "configuration.provider_config": dict,
    "resource_changes": list,
    "variables": dict,
}
_MODULE_SHAPE: dict[str, type] = {
    "resources": list,
    "child_modules": list,
    "module_calls": dict,
}


def _wrong_shape(data: Mapping[str, Any]) -> str | None:
    """The first container of the plan that has the wrong JSON type, named by its path."""
    for dotted, expected in _SHAPE.items():
        node: Any = data
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None and not isinstance(node, expected):
            return f"{dotted} is not a JSON {'object' if expected is dict else 'array'}"
    for root in ("planned_values", "prior_state.values", "configuration"):
        node = data
        for key in (*root.split("."), "root_module"):
            node = node.get(key) if isinstance(node, dict) else None
        pending = [(f"{root}.root_module", node)]
        while pending:
            where, module = pending.pop()
            if not isinstance(module, dict):
                continue
            for key, expected in _MODULE_SHAPE.items():
                value = module.get(key)
                if value is not None and not isinstance(value, expected):
                    return (
                        f"{where}.{key} is not a JSON {'object' if expected is dict else 'array'}"
                    )
            for index, child in enumerate(module.get("child_modules") or []):
                pending.append((f"{where}.child_modules[{index}]", child))
            for name, call in (module.get("module_calls") or {}).items():
                inner = call.get("module") if isinstance(call, dict) else None
                pending.append((f"{where}.module_calls.{name}.module", inner))
    return None


def load_plan(
    path: Path, *, region: str | None = None, account_id: str | None = None
) -> PlanSource:
    """Read the JSON of ``terraform show -json PLAN`` at ``path``.

    ``region`` and ``account_id`` fill ARNs Terraform computes at apply; without them the plan's
    ``data.aws_region``/``data.aws_caller_identity`` (or the aws provider's ``region``) are used,
    and the inventory notes say so. Raises :class:`InputError` (exit 3) for a file that is not a
    plan in JSON or a policy that is not an IAM policy.
    """
    if path.suffix == ".tf" or path.is_dir():
        raise InputError(
            f"{path}: Terraform configuration, not a plan in JSON",
            advice="terraform plan -out tfplan && terraform show -json tfplan > plan.json, "
            "then --terraform-plan plan.json",
        )
    data = _read(path)
    _refuse_partial(path, data)
    plan = _Plan(path, data, region, account_id)
    builder = _Builder(plan)
    parts = builder.roles()
    managed = builder.attach(parts)
    roles = {
        address: finish_role(p, managed, plan.notes, file="plan") for address, p in parts.items()
    }
    functions = builder.functions()
    pools = builder.user_pools()
    return PlanSource(path, roles, functions, pools, tuple(sorted(plan.notes)), plan.account)
