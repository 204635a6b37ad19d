"""A plan's resources and the values of their arguments: planned values, what is unknown until apply,
and the configuration's expressions, references, variables and module calls followed to a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iam_audit.model import partition_for_region
from iam_audit.sources.symbolic import generated, unresolved

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
