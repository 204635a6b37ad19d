"""Resolving a decoded template's intrinsic functions, parameters, pseudo-parameters and conditions
the way CloudFormation would at deploy time, as far as the inputs allow (placeholders otherwise).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.model import (
    JSON,
    partition_for_region,
)
from iam_audit.sources.cloudformation.decode import _FUNCTIONS, _SUB_RE, _line
from iam_audit.sources.symbolic import generated, has_placeholder, unresolved

_DYNAMIC_REF_RE = re.compile(r"\{\{resolve:([^}]*)\}\}")


class _NoValue:
    """``AWS::NoValue``: the property or list item disappears."""


_NO_VALUE = _NoValue()


class _Resolver:
    """Evaluates intrinsic functions against one template and the values the user gave."""

    def __init__(
        self,
        path: Path,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        region: str | None,
        account_id: str | None,
        imports: Mapping[str, JSON] | None = None,
        nested_outputs: Mapping[str, Mapping[str, JSON]] | None = None,
        stack_name: str | None = None,
    ) -> None:
        self.path = path
        self.stack_name = stack_name
        self.template = template
        self.imports: Mapping[str, JSON] = imports or {}
        self.nested_outputs: Mapping[str, Mapping[str, JSON]] = nested_outputs or {}
        self.resources: Mapping[str, Any] = template["Resources"]
        self.region = region
        self.account = account_id
        self.partition = partition_for_region(region) if region else None
        self.notes: set[str] = set()
        self._conditions: dict[str, bool | None] = {}
        self._active: list[str] = []
        self._cache: dict[tuple[str, str], tuple[JSON, frozenset[str]]] = {}
        self.parameters = self._parameter_values(parameters)

    # -- errors and guards ---------------------------------------------------------------------

    def error(self, node: object, message: str) -> InputError:
        return InputError(f"{self.path}:{_line(node) or '?'}: {message}")

    @contextmanager
    def _guard(self, key: str, node: object) -> Iterator[None]:
        if key in self._active:
            chain = " → ".join([*self._active[self._active.index(key) :], key])
            raise self.error(node, f"circular reference: {chain}")
        self._active.append(key)
        try:
            yield
        finally:
            self._active.pop()

    # -- parameters and pseudo-parameters ------------------------------------------------------

    def _parameter_values(self, given: Mapping[str, str]) -> dict[str, JSON]:
        declared = self.template.get("Parameters") or {}
        if not isinstance(declared, dict):
            raise InputError(f"{self.path}: Parameters must be a mapping")
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise InputError(
                f"{self.path}: the template has no parameter {', '.join(unknown)}",
                advice="parameters: " + (", ".join(sorted(declared)) or "none"),
            )
        values: dict[str, JSON] = {}
        for name, spec in declared.items():
            spec = spec if isinstance(spec, dict) else {}
            kind = str(spec.get("Type", "String"))
            value: JSON
            if name in given:
                value = given[name]
            elif "Default" in spec and not kind.startswith("AWS::SSM::Parameter::Value"):
                default = spec["Default"]
                value = default if isinstance(default, str) else json.dumps(default)
            else:
                values[str(name)] = unresolved("Parameter", str(name))
                continue
            if kind == "CommaDelimitedList" or kind.startswith("List<"):
                value = [part.strip() for part in str(value).split(",")]
            values[str(name)] = value
        return values

    def _pseudo(self, name: str) -> JSON | _NoValue:
        match name:
            case "AWS::NoValue":
                return _NO_VALUE
            case "AWS::Region":
                return self.region or self._unknown_pseudo("Region", "--region")
            case "AWS::AccountId":
                return self.account or self._unknown_pseudo("AccountId", "--account-id")
            case "AWS::Partition":
                return self.partition or self._unknown_pseudo("Partition", "--region")
            case "AWS::URLSuffix":
                if self.partition is None:
                    return self._unknown_pseudo("URLSuffix", "--region")
                return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
            case "AWS::StackName" if self.stack_name:
                return self.stack_name
            case "AWS::StackName" | "AWS::StackId":
                return generated(name.replace("::", "."))
            case "AWS::NotificationARNs":
                return [unresolved("AWS", "NotificationARNs")]
        raise InputError(f"{self.path}: unknown pseudo-parameter {name}")

    def _unknown_pseudo(self, what: str, option: str) -> str:
        self.notes.add(f"AWS::{what} is unresolved (pass {option})")
        return unresolved("AWS", what)

    # -- resources -----------------------------------------------------------------------------

    def resource(self, logical: str) -> Mapping[str, Any]:
        body = self.resources.get(logical)
        return body if isinstance(body, dict) else {}

    def rtype(self, logical: str) -> str:
        return str(self.resource(logical).get("Type", ""))

    def prop(self, logical: str, key: str, marks: set[str]) -> JSON | _NoValue:
        """Property ``key`` of resource ``logical``, resolved; ``_NO_VALUE`` when absent."""
        props = self.resource(logical).get("Properties")
        if not isinstance(props, dict) or key not in props:
            return _NO_VALUE
        return self.resolve(props[key], marks)

    def _name(self, logical: str, key: str, marks: set[str]) -> str:
        value = self.prop(logical, key, marks)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
        return generated(logical)

    def role_path(self, logical: str, marks: set[str]) -> str:
        value = self.prop(logical, "Path", marks)
        return value if isinstance(value, str) and value.startswith("/") else "/"

    def _arn(self, service: str, region: bool, resource: str, marks: set[str]) -> str:
        partition = self._pseudo("AWS::Partition")
        where = self._pseudo("AWS::Region") if region else ""
        account = self._pseudo("AWS::AccountId")
        return f"arn:{partition}:{service}:{where}:{account}:{resource}"

    def _cached(
        self, key: tuple[str, str], node: object, compute: Callable[[set[str]], JSON]
    ) -> tuple[JSON, frozenset[str]]:
        if key not in self._cache:
            marks: set[str] = set()
            with self._guard(".".join(key), node):
                value = compute(marks)
            self._cache[key] = (value, frozenset(marks))
        return self._cache[key]

    def ref_resource(self, logical: str, node: object, marks: set[str]) -> JSON:
        """What ``Ref`` returns for a resource of this template."""

        def compute(inner: set[str]) -> JSON:
            match self.rtype(logical):
                case "AWS::IAM::Role":
                    return self._name(logical, "RoleName", inner)
                case "AWS::IAM::ManagedPolicy":
                    return self.managed_policy_arn(logical, inner)
                case "AWS::Lambda::Function":
                    return self._name(logical, "FunctionName", inner)
                case "AWS::Logs::LogGroup":
                    return self._name(logical, "LogGroupName", inner)
                case "AWS::S3::Bucket":
                    return self._name(logical, "BucketName", inner)
                case "AWS::IAM::InstanceProfile":
                    return self._name(logical, "InstanceProfileName", inner)
            return generated(logical)

        value, found = self._cached((logical, "Ref"), node, compute)
        marks.update(found)
        return value

    def managed_policy_arn(self, logical: str, marks: set[str]) -> str:
        name = self._name(logical, "ManagedPolicyName", marks)
        return self._arn("iam", False, f"policy{self.role_path(logical, marks)}{name}", marks)

    def role_arn(self, logical: str, marks: set[str]) -> str:
        name = self.ref_resource(logical, self.resource(logical), marks)
        return self._arn("iam", False, f"role{self.role_path(logical, marks)}{name}", marks)

    def get_att(self, logical: str, attribute: str, node: object, marks: set[str]) -> JSON:
        """What ``Fn::GetAtt`` returns for the attributes the checks need; a placeholder else."""
        if logical not in self.resources:
            raise self.error(node, f"Fn::GetAtt names unknown resource {logical!r}")

        def compute(inner: set[str]) -> JSON:
            rtype = self.rtype(logical)
            ref = self.ref_resource(logical, node, inner)
            match rtype, attribute:
                case "AWS::IAM::Role", "Arn":
                    return self.role_arn(logical, inner)
                case "AWS::IAM::ManagedPolicy", "PolicyArn":
                    return str(ref)
                case "AWS::Lambda::Function", "Arn":
                    return self._arn("lambda", True, f"function:{ref}", inner)
                case "AWS::Cognito::UserPool", "Arn":
                    return self._arn("cognito-idp", True, f"userpool/{ref}", inner)
                case "AWS::Cognito::UserPool", "UserPoolId":
                    return ref
                case "AWS::Cognito::UserPool", "ProviderName":
                    suffix = self._pseudo("AWS::URLSuffix")
                    return f"cognito-idp.{self._pseudo('AWS::Region')}.{suffix}/{ref}"
                case "AWS::Cognito::UserPool", "ProviderURL":
                    suffix = self._pseudo("AWS::URLSuffix")
                    return f"https://cognito-idp.{self._pseudo('AWS::Region')}.{suffix}/{ref}"
                case "AWS::Logs::LogGroup", "Arn":
                    return self._arn("logs", True, f"log-group:{ref}:*", inner)
                case "AWS::S3::Bucket", "Arn":
                    return f"arn:{self._pseudo('AWS::Partition')}:s3:::{ref}"
                case "AWS::CloudFormation::Stack", _ if attribute.startswith("Outputs."):
                    outputs = self.nested_outputs.get(logical, {})
                    name = attribute.removeprefix("Outputs.")
                    if name in outputs:
                        return outputs[name]
            return generated(logical, attribute)

        value, found = self._cached((logical, f"GetAtt.{attribute}"), node, compute)
        marks.update(found)
        return value

    # -- conditions ----------------------------------------------------------------------------

    def condition(self, name: object, node: object) -> bool | None:
        """The value of condition ``name``; ``None`` when it hangs on an unresolved value."""
        conditions = self.template.get("Conditions") or {}
        if not isinstance(name, str) or name not in conditions:
            raise self.error(node, f"unknown condition {name!r}")
        if name not in self._conditions:
            with self._guard(f"Condition.{name}", node):
                self._conditions[name] = self._evaluate(conditions[name])
            if self._conditions[name] is None:
                self.notes.add(
                    f"condition {name} could not be evaluated; its true branch was taken"
                )
        return self._conditions[name]

    def _evaluate(self, node: Any) -> bool | None:
        if not isinstance(node, dict) or len(node) != 1:
            raise self.error(node, "a condition must be one of Fn::Equals/And/Or/Not/Condition")
        ((key, arg),) = node.items()
        args = arg if isinstance(arg, list) else [arg]
        match key:
            case "Condition":
                return self.condition(arg, node)
            case "Fn::Equals":
                if len(args) != 2:
                    raise self.error(node, "Fn::Equals takes two values")
                marks: set[str] = set()
                left, right = (self.resolve(a, marks) for a in args)
                if left == right:
                    return None if marks else True
                if marks or has_placeholder(json.dumps([left, right], default=str)):
                    return None
                return False
            case "Fn::Not":
                value = self._evaluate(args[0])
                return None if value is None else not value
            case "Fn::And" | "Fn::Or":
                values = [self._evaluate(a) for a in args]
                decisive = key == "Fn::Or"
                if decisive in values:
                    return decisive
                return None if None in values else not decisive
        raise self.error(node, f"{key} is not a condition function")

    # -- intrinsic functions -------------------------------------------------------------------

    def resolve(self, node: Any, marks: set[str]) -> Any:
        """``node`` with every intrinsic function evaluated; ``_NO_VALUE`` for ``AWS::NoValue``.

        ``marks`` receives the unresolved conditions whose true branch was taken (placeholders
        in strings are found later by scanning the result).
        """
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, arg),) = node.items()
                if key == "Ref":
                    return self._ref(arg, node, marks)
                if isinstance(key, str) and key.startswith("Fn::") and key in _FUNCTIONS:
                    return self._function(str(key), arg, node, marks)
            out: dict[str, Any] = {}
            for key, value in node.items():
                resolved = self.resolve(value, marks)
                if resolved is not _NO_VALUE:
                    out[str(key)] = resolved
            return out
        if isinstance(node, list):
            items = (self.resolve(v, marks) for v in node)
            return [v for v in items if v is not _NO_VALUE]
        if isinstance(node, str):
            return _DYNAMIC_REF_RE.sub(lambda m: unresolved("resolve", m.group(1)), str(node))
        return node

    def _ref(self, name: object, node: object, marks: set[str]) -> Any:
        if not isinstance(name, str):
            raise self.error(node, "Ref takes a name")
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.parameters:
            value = self.parameters[name]
            if value == unresolved("Parameter", name):
                self.notes.add(f"parameter {name} has no value (pass --parameter {name}=VALUE)")
            return value
        if name in self.resources:
            return self.ref_resource(name, node, marks)
        raise self.error(node, f"Ref to unknown parameter or resource {name!r}")

    def _string(self, value: Any, node: object, what: str) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(node, f"{what} needs a string, got {type(value).__name__}")
        return str(value)

    def _function(self, key: str, arg: Any, node: object, marks: set[str]) -> Any:
        match key:
            case "Fn::GetAtt":
                if isinstance(arg, str) and "." in arg:
                    logical, attribute = arg.split(".", 1)
                elif isinstance(arg, list) and len(arg) == 2:
                    logical = self._string(arg[0], node, key)
                    attribute = self._string(self.resolve(arg[1], marks), node, key)
                else:
                    raise self.error(node, "Fn::GetAtt takes [resource, attribute]")
                return self.get_att(logical, attribute, node, marks)
            case "Fn::Sub":
                return self._sub(arg, node, marks)
            case "Fn::Join":
                if not isinstance(arg, list) or len(arg) != 2:
                    raise self.error(node, "Fn::Join takes [delimiter, list]")
                delimiter = self._string(self.resolve(arg[0], marks), node, key)
                items = self.resolve(arg[1], marks)
                if isinstance(items, str):
                    return unresolved("Join") if has_placeholder(items) else items
                if not isinstance(items, list):
                    raise self.error(node, "Fn::Join needs a list")
                return delimiter.join(self._string(i, node, key) for i in items)
            case "Fn::Select":
                if not isinstance(arg, list) or len(arg) != 2:
                    raise self.error(node, "Fn::Select takes [index, list]")
                index = self.resolve(arg[0], marks)
                items = self.resolve(arg[1], marks)
                if not isinstance(items, list) or has_placeholder(str(index)):
                    return unresolved("Select")
                try:
                    return items[int(index)]
                except (ValueError, IndexError):
                    raise self.error(node, f"Fn::Select index {index} out of range") from None
            case "Fn::Split":
                if not isinstance(arg, list) or len(arg) != 2:
                    raise self.error(node, "Fn::Split takes [delimiter, string]")
                delimiter = self._string(self.resolve(arg[0], marks), node, key)
                text = self._string(self.resolve(arg[1], marks), node, key)
                return text.split(delimiter)
            case "Fn::If":
                if not isinstance(arg, list) or len(arg) != 3:
                    raise self.error(node, "Fn::If takes [condition, then, else]")
                value = self.condition(arg[0], node)
                if value is None:
                    marks.add(unresolved("Condition", str(arg[0])))
                return self.resolve(arg[1] if value is not False else arg[2], marks)
            case "Fn::FindInMap":
                return self._find_in_map(arg, node, marks)
            case "Fn::ImportValue":
                name = self._string(self.resolve(arg, marks), node, key)
                if name in self.imports:
                    return self.imports[name]
                return unresolved("ImportValue", name)
            case "Fn::Base64":
                text = self._string(self.resolve(arg, marks), node, key)
                return base64.b64encode(text.encode()).decode()
            case "Fn::ToJsonString":
                return json.dumps(self.resolve(arg, marks), separators=(",", ":"))
            case "Fn::Length":
                items = self.resolve(arg, marks)
                return len(items) if isinstance(items, list) else unresolved("Length")
        return unresolved(key[4:])  # Fn::GetAZs, Fn::Cidr, Fn::Transform

    def _sub(self, arg: Any, node: object, marks: set[str]) -> str:
        if isinstance(arg, str):
            text, local = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text = self._string(arg[0], node, "Fn::Sub")
            local = {str(k): self.resolve(v, marks) for k, v in arg[1].items()}
        else:
            raise self.error(node, "Fn::Sub takes a string or [string, variables]")

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            name = inner.strip()
            if name in local:
                value = local[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                logical, attribute = name.split(".", 1)
                value = self.get_att(logical, attribute, node, marks)
            else:
                value = self._ref(name, node, marks)
            return self._string(value, node, f"${{{name}}} in Fn::Sub")

        return _DYNAMIC_REF_RE.sub(
            lambda m: unresolved("resolve", m.group(1)), _SUB_RE.sub(replace, str(text))
        )

    def _find_in_map(self, arg: Any, node: object, marks: set[str]) -> Any:
        if not isinstance(arg, list) or len(arg) not in (3, 4):
            raise self.error(node, "Fn::FindInMap takes [map, key, key]")
        keys = [self.resolve(a, marks) for a in arg[:3]]
        default = arg[3].get("DefaultValue") if len(arg) == 4 and isinstance(arg[3], dict) else None
        map_name = str(keys[0])
        if any(not isinstance(k, str) or has_placeholder(k) for k in keys):
            return unresolved("FindInMap", map_name)
        mappings = self.template.get("Mappings") or {}
        try:
            return self.resolve(mappings[keys[0]][keys[1]][keys[2]], marks)
        except (KeyError, TypeError):
            if default is not None:
                return self.resolve(default, marks)
            raise self.error(node, f"Fn::FindInMap: no {'/'.join(keys)} in Mappings") from None

    def resource_condition(self, logical: str, marks: set[str]) -> bool:
        """Whether the resource exists; an unresolvable ``Condition`` counts as yes, marked."""
        name = self.resource(logical).get("Condition")
        if name is None:
            return True
        value = self.condition(name, self.resource(logical))
        if value is None:
            marks.add(unresolved("Condition", str(name)))
        return value is not False
