"""CloudFormation templates (JSON, YAML, ``cdk synth`` output) as a source.

The template is decoded by cfn-lint's ``cfnlint.decode`` (kept by AWS): it turns the short-form
tags (``!Sub``, ``!GetAtt`` ...) into their long forms and keeps the line of every node, which
SARIF needs. Plain YAML scalars that YAML 1.1 would type as dates or numbers
(``Version: 2012-10-17``, an unquoted account ID) keep the text written, as CloudFormation reads
them (:func:`_load_yaml`). Intrinsic functions are then resolved here, the way CloudFormation would at deploy
time, as far as the template, ``--parameter`` values, ``--region`` and ``--account-id`` allow:

* ``Ref`` to parameters (given value, else ``Default``), pseudo-parameters and resources;
  ``Fn::GetAtt``; ``Fn::Sub`` (both forms); ``Fn::Join``; ``Fn::Select``; ``Fn::Split``;
  ``Fn::If`` with the template's ``Conditions`` (``Fn::Equals``/``And``/``Or``/``Not``);
  ``Fn::FindInMap``; ``Fn::Base64``; ``Fn::ToJsonString``/``Fn::Length``; ``AWS::NoValue``.
* What cannot be known before deployment stays a placeholder (:mod:`iam_audit.sources.symbolic`):
  physical IDs the stack generates (``<MigrationRole>``) and unresolved values
  (``<Unresolved.ImportValue.Name>``, ``<Unresolved.AWS.AccountId>``, dynamic references). A
  condition that cannot be evaluated takes its true branch and is recorded as unresolved. Every
  role lists the unresolved values it depends on in ``Role.symbolic``.

Roles come from ``AWS::IAM::Role`` (``Policies``, ``ManagedPolicyArns``, ``PermissionsBoundary``,
``AssumeRolePolicyDocument``, ``Path``, ``RoleName``, ``Tags``) plus ``AWS::IAM::Policy``,
``AWS::IAM::ManagedPolicy`` and ``AWS::IAM::RolePolicy`` attached to them; functions from
``AWS::Lambda::Function`` with a resource policy built from ``AWS::Lambda::Permission``; user pools
from ``AWS::Cognito::UserPool``. Every role and document carries an :class:`Origin` with the JSON
pointer and line of the resource.

A SAM template (``Transform: AWS::Serverless-2016-10-31``) is expanded first by AWS's translator
(:mod:`iam_audit.sources.sam`). Several templates, a CDK cloud assembly and nested stacks are read
as one deployment by :mod:`iam_audit.sources.deployment`, which feeds each stack the values the
others export.

Known limits: other macros and transforms (``AWS::Include``, ``Fn::ForEach``) are not expanded
(the inventory notes say so); roles and policies outside the deployment are not known.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.inputs import MAX_TEMPLATE, read_text
from iam_audit.model import (
    JSON,
    LambdaFunction,
    Origin,
    PolicyDocument,
    PolicyKind,
    Role,
    SourceKind,
    UserPool,
    partition_for_region,
)
from iam_audit.sources.static import StaticSource
from iam_audit.sources.symbolic import generated, has_placeholder, unresolved, unresolved_in

__all__ = [
    "NestedStack",
    "Stack",
    "StackContext",
    "TemplateSource",
    "decode_template",
    "load_template",
    "read_stack",
]

_INSTALL_ADVICE = "pip install 'iam-audit[iac]'"

#: Intrinsic functions this module understands (or deliberately leaves unresolved).
_FUNCTIONS = frozenset(
    {
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::FindInMap",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::If",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Length",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
        "Fn::ToJsonString",
        "Fn::Transform",
    }
)
#: Valid in ``Conditions`` and ``Rules`` only; never resolved in resources.
_CONDITION_FUNCTIONS = frozenset(
    {
        "Fn::Equals",
        "Fn::And",
        "Fn::Or",
        "Fn::Not",
        "Fn::Contains",
        "Fn::EachMemberEquals",
        "Fn::EachMemberIn",
        "Fn::RefAll",
        "Fn::ValueOf",
        "Fn::ValueOfAll",
    }
)

_SUB_RE = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC_REF_RE = re.compile(r"\{\{resolve:([^}]*)\}\}")


#: Amplify Gen 1 uploads category templates as ``…/amplify-cfn-templates/CATEGORY/FILE``.
_AMPLIFY_URL_RE = re.compile(r"/amplify-cfn-templates/([^/]+)/([^/?]+)$")


def _amplify_template(root: Path, url: str) -> Path | None:
    """The local copy of an Amplify Gen 1 category template the root stack names by S3 URL.

    The Amplify CLI builds each category stack to ``amplify/backend/CATEGORY/RESOURCE/build/FILE``
    and copies it under ``amplify/backend/awscloudformation/build/CATEGORY/RESOURCE/build/``
    beside the root stack; either is the same template. ``None`` unless exactly one file fits.
    """
    match = _AMPLIFY_URL_RE.search(url)
    if match is None:
        return None
    category, name = match.groups()
    build = root.parent  # amplify/backend/awscloudformation/build
    near = sorted(p for p in (build / category).glob(f"*/build/{name}") if p.is_file())
    far = sorted(p for p in (build.parent.parent / category).glob(f"*/build/{name}") if p.is_file())
    candidates = near or far  # the copy beside the root stack is the one deployed
    return candidates[0] if len(candidates) == 1 else None


class _NoValue:
    """``AWS::NoValue``: the property or list item disappears."""


_NO_VALUE = _NoValue()


def _line(node: object) -> int | None:
    """The 1-based line of a decoded node, when the decoder recorded one."""
    mark = getattr(node, "start_mark", None)
    line = getattr(mark, "line", None)
    return line + 1 if isinstance(line, int) else None


def _key_line(mapping: Mapping[str, Any], key: str) -> int | None:
    """The line of ``key`` itself in ``mapping`` (the decoder keeps marks on keys)."""
    for candidate in mapping:
        if candidate == key:
            return _line(candidate) or _line(mapping[key])
    return None


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


@dataclasses.dataclass(frozen=True)
class _Written:
    """For a template a transform rewrote: each written resource's line, each generated one's owner."""

    lines: Mapping[str, int | None]
    owners: Mapping[str, str]


def _decode(path: Path) -> dict[str, Any]:
    """Read ``path`` with cfn-lint's decoder; one-line :class:`InputError` on any problem."""
    text = read_text(path, "template", MAX_TEMPLATE)
    try:
        from cfnlint.decode import decode_str
    except ImportError:
        raise InputError(
            "reading CloudFormation templates needs cfn-lint", advice=_INSTALL_ADVICE
        ) from None
    # cfn-lint logs its parse errors; we report them ourselves, once.
    logging.getLogger("cfnlint").addHandler(logging.NullHandler())
    logging.getLogger("cfnlint").propagate = False
    # Anchors ("&x") go through cfn-lint first: its decoder refuses alias bombs.
    template = _load_yaml(text, str(path)) if "&" not in text else None
    if template is None:
        template, matches = decode_str(text)
        if matches:
            first = matches[0]
            line = getattr(first, "linenumber", None)
            where = f"{path}:{line}" if line else str(path)
            message = str(getattr(first, "message", first)).strip()
            raise InputError(f"{where}: invalid template: {message}")
        if "&" in text:
            template = _load_yaml(text, str(path)) or template
    if not isinstance(template, dict):
        raise InputError(f"{path}: not a CloudFormation template (expected a mapping)")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        if path.name.startswith("serverless.") or {"service", "provider"} <= set(template):
            raise InputError(
                f"{path}: a Serverless Framework service, not a CloudFormation template",
                advice="run `sls package` and audit "
                ".serverless/cloudformation-template-update-stack.json",
            )
        raise InputError(f"{path}: not a CloudFormation template (no Resources section)")
    for logical, resource in resources.items():
        # CloudFormation refuses these too: "[/Resources/R] resource definition is malformed"
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            line = _line(resource) or _line(logical)
            raise InputError(
                f"{path}:{line or '?'}: resource {logical} is not an object with a string Type"
            )
    return template


def _load_yaml(text: str, filename: str) -> Any:
    """The template read by cfn-lint's YAML loader, with scalars kept as CloudFormation reads them.

    YAML 1.1 (PyYAML, so cfn-lint's decoder too) reads the plain scalar ``2012-10-17`` as a
    date, ``111122223333`` as an integer and ``012345670123`` as an *octal* integer (another
    number), ``1.50`` as the float ``1.5``. CloudFormation takes ``Version: 2012-10-17`` and an
    unquoted account ID as the text written. So plain timestamps, integers and floats are
    built as strings holding their source text (with the node's marks, like every other
    string); where a number is wanted (``Fn::Select``'s index, ``Timeout``) the text reads as
    it. Booleans and nulls stay as YAML reads them. ``None`` when the text is not YAML that
    this loader reads; cfn-lint's decoder is then asked, and says what is wrong.
    """
    from yaml import YAMLError

    loader = _source_text_loader()(text, filename)
    try:
        return loader.get_single_data()
    except (YAMLError, ValueError, TypeError, RecursionError):
        return None
    finally:
        loader.dispose()


@functools.cache
def _source_text_loader() -> type[Any]:
    """cfn-lint's ``CfnFullLoader`` with timestamps and numbers built from their source text."""
    from cfnlint.decode import cfn_yaml
    from cfnlint.decode.node import str_node

    class SourceTextLoader(cfn_yaml.CfnFullLoader):
        """Plain scalars that YAML 1.1 reads as timestamps or numbers keep their text."""

    def source_text(loader: Any, node: Any) -> Any:
        return str_node(node.value, node.start_mark, node.end_mark)

    for tag in ("timestamp", "int", "float"):
        SourceTextLoader.add_constructor(f"tag:yaml.org,2002:{tag}", source_text)
    SourceTextLoader.add_multi_constructor("!", cfn_yaml.multi_constructor)
    return SourceTextLoader


def _check_functions(path: Path, node: Any) -> None:
    """Reject unknown intrinsic functions (an unknown YAML tag ``!Foo`` decodes to ``Fn::Foo``)."""
    if isinstance(node, dict):
        if len(node) == 1:
            (key,) = node
            if (
                isinstance(key, str)
                and key.startswith("Fn::")
                and not key.startswith("Fn::ForEach")
                and key not in _FUNCTIONS
                and key not in _CONDITION_FUNCTIONS
            ):
                raise InputError(
                    f"{path}:{_line(node) or '?'}: unknown intrinsic function {key} "
                    f"(or unknown tag !{key[4:]})"
                )
        for value in node.values():
            _check_functions(path, value)
    elif isinstance(node, list):
        for value in node:
            _check_functions(path, value)


def _references(node: Any) -> Iterator[str]:
    """Names a subtree refers to: ``Ref``, ``Fn::GetAtt`` and ``${X}`` / ``${X.Attr}`` in ``Fn::Sub``."""
    if isinstance(node, dict):
        if len(node) == 1:
            (key, arg), *_ = node.items()
            if key == "Ref" and isinstance(arg, str):
                yield arg
            elif key == "Fn::GetAtt":
                if isinstance(arg, list) and arg and isinstance(arg[0], str):
                    yield arg[0]
                elif isinstance(arg, str):
                    yield arg.split(".", 1)[0]
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                local = arg[1] if isinstance(arg, list) and len(arg) > 1 else {}
                if isinstance(text, str):
                    for match in _SUB_RE.finditer(text):
                        name = match.group(1).strip()
                        if not name.startswith("!") and name not in (local or {}):
                            yield name.split(".", 1)[0]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _find_cycle(path: Path, resources: Mapping[str, Any]) -> None:
    """Raise :class:`InputError` on a dependency cycle, as CloudFormation rejects one."""
    edges: dict[str, list[str]] = {}
    for name, body in resources.items():
        deps = set(_references(body))
        depends_on = body.get("DependsOn") if isinstance(body, dict) else None
        if isinstance(depends_on, str):
            deps.add(depends_on)
        elif isinstance(depends_on, list):
            deps.update(d for d in depends_on if isinstance(d, str))
        edges[str(name)] = sorted(d for d in deps if d in resources)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in edges[node]:
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                line = _key_line(resources, cycle[0])
                raise InputError(
                    f"{path}:{line or '?'}: circular dependency between resources: "
                    + " → ".join(cycle)
                )
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name)


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


@dataclasses.dataclass
class _RoleParts:
    """A role while its policies are being gathered from several resources."""

    logical: str
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


class TemplateSource(StaticSource):
    """The roles, functions and user pools of one CloudFormation template.

    Roles are found by logical ID, ``RoleName`` (or generated-name placeholder) or ARN; functions
    also by a qualified ARN or name (the ``:alias``/``:version`` is ignored).
    """

    kind: SourceKind = SourceKind.CLOUDFORMATION

    def get_function(self, ref: str) -> LambdaFunction | None:
        return super().get_function(_unqualified(ref))


def _unqualified(ref: str) -> str:
    """A function ARN or name without its ``:alias``/``:version`` qualifier."""
    parts = ref.split(":")
    if ref.startswith("arn:") and len(parts) == 8:
        return ":".join(parts[:7])
    if not ref.startswith("arn:") and len(parts) == 2:
        return parts[0]
    return ref


class _Builder:
    """Turns a decoded template into roles, functions and pools."""

    def __init__(
        self,
        path: Path,
        resolver: _Resolver,
        *,
        stack: str = "",
        written: _Written | None = None,
    ) -> None:
        self.path = path
        self.r = resolver
        self.location = str(path)
        self.stack = stack
        self.written = written
        #: SAM function logical ID → its local ``CodeUri`` (relative to the template's folder)
        self.code_uris: Mapping[str, str] = {}

    def origin(self, pointer: str, line: int | None) -> Origin:
        """Where ``pointer`` is, with its resource's ``Metadata: iam-audit:`` (suppressions); a
        resource a transform generated points at the one written."""
        logical = _unescape(pointer.split("/")[2]) if pointer.startswith("/Resources/") else ""
        construct = ""
        own = None
        if logical:
            metadata = self.r.resource(logical).get("Metadata")
            path = metadata.get("aws:cdk:path") if isinstance(metadata, dict) else None
            construct = path if isinstance(path, str) else ""
            own = metadata.get("iam-audit") if isinstance(metadata, dict) else None
        if self.written is not None and logical:
            owner = self.written.owners.get(logical)
            if owner is not None:
                pointer = f"/Resources/{_escape(owner)}"
            line = line or self.written.lines.get(owner or logical)
        return Origin(
            SourceKind.CLOUDFORMATION,
            self.location,
            pointer=pointer,
            line=line,
            stack=self.stack,
            construct=construct,
            metadata=own,
        )

    def _resource_origin(self, logical: str) -> Origin:
        return self.origin(f"/Resources/{_escape(logical)}", _key_line(self.r.resources, logical))

    def _policy(
        self, value: Any, line: int | None, pointer: str, *, name: str, kind: PolicyKind
    ) -> PolicyDocument:
        """Validate ``value`` as a policy; its origin is ``pointer`` at ``line`` (its key's line)."""
        from iam_audit.engine import parse_policy

        document = parse_policy(
            value, name=name, kind=kind, location=f"{self.location}:{line or '?'} {pointer}"
        )
        return dataclasses.replace(document, origin=self.origin(pointer, line))

    def _props(self, logical: str) -> Mapping[str, Any]:
        props = self.r.resource(logical).get("Properties")
        return props if isinstance(props, dict) else {}

    def _logicals(self, rtype: str) -> Iterator[tuple[str, set[str]]]:
        """Logical IDs of type ``rtype`` whose ``Condition`` does not rule them out."""
        for logical in self.r.resources:
            if self.r.rtype(logical) == rtype:
                marks: set[str] = set()
                if self.r.resource_condition(logical, marks):
                    yield str(logical), marks

    def _arn_list(self, value: Any) -> list[str]:
        if value is _NO_VALUE or value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items if isinstance(v, str)]

    def roles(self) -> dict[str, _RoleParts]:
        out: dict[str, _RoleParts] = {}
        for logical, marks in self._logicals("AWS::IAM::Role"):
            props = self._props(logical)
            base = f"/Resources/{_escape(logical)}/Properties"
            name = str(self.r.ref_resource(logical, self.r.resource(logical), marks))
            path = self.r.role_path(logical, marks)
            arn = self.r.role_arn(logical, marks)
            trust = None
            if "AssumeRolePolicyDocument" in props:
                node = props["AssumeRolePolicyDocument"]
                value = self.r.resolve(node, marks)
                trust = self._policy(
                    value,
                    _key_line(props, "AssumeRolePolicyDocument"),
                    f"{base}/AssumeRolePolicyDocument",
                    name="trust",
                    kind=PolicyKind.TRUST,
                )
            inline: list[PolicyDocument] = []
            policies = props.get("Policies")
            for index, entry in enumerate(policies if isinstance(policies, list) else []):
                resolved = self.r.resolve(entry, marks)
                if not isinstance(resolved, dict):
                    continue
                line = _key_line(entry, "PolicyDocument") if isinstance(entry, dict) else None
                inline.append(
                    self._policy(
                        resolved.get("PolicyDocument"),
                        line or _line(entry),
                        f"{base}/Policies/{index}/PolicyDocument",
                        name=str(resolved.get("PolicyName", f"Policies[{index}]")),
                        kind=PolicyKind.INLINE,
                    )
                )
            managed = self._arn_list(self.r.prop(logical, "ManagedPolicyArns", marks))
            boundary = self._arn_list(self.r.prop(logical, "PermissionsBoundary", marks))
            tags_value = self.r.prop(logical, "Tags", marks)
            tags = tuple(
                sorted(
                    (str(t.get("Key")), str(t.get("Value")))
                    for t in (tags_value if isinstance(tags_value, list) else [])
                    if isinstance(t, dict)
                )
            )
            marks |= unresolved_in(arn, managed, boundary)
            marks |= unresolved_in(*(d.document for d in inline), trust.document if trust else None)
            out[logical] = _RoleParts(
                logical=logical,
                arn=arn,
                name=name,
                path=path,
                origin=self._resource_origin(logical),
                trust=trust,
                inline=inline,
                managed_arns=managed,
                boundary_arn=boundary[0] if boundary else None,
                tags=tags,
                marks=marks,
            )
        return out

    def _targets(self, roles: Mapping[str, _RoleParts], names: Any) -> list[_RoleParts]:
        """The template roles that ``Roles``/``RoleName`` values (names) name."""
        wanted = set(self._arn_list(names))
        return [parts for parts in roles.values() if parts.name in wanted]

    def attach_policies(self, roles: Mapping[str, _RoleParts]) -> dict[str, PolicyDocument]:
        """Attach ``AWS::IAM::Policy``/``RolePolicy``/``ManagedPolicy``; the managed ones by ARN."""
        for rtype, key in (("AWS::IAM::Policy", "Roles"), ("AWS::IAM::RolePolicy", "RoleName")):
            for logical, marks in self._logicals(rtype):
                props = self._props(logical)
                targets = self._targets(roles, self.r.prop(logical, key, marks))
                if not targets or "PolicyDocument" not in props:
                    continue
                node = props["PolicyDocument"]
                value = self.r.resolve(node, marks)
                name = self.r.prop(logical, "PolicyName", marks)
                document = self._policy(
                    value,
                    _key_line(props, "PolicyDocument"),
                    f"/Resources/{_escape(logical)}/Properties/PolicyDocument",
                    name=str(name) if isinstance(name, str) else logical,
                    kind=PolicyKind.INLINE,
                )
                for parts in targets:
                    parts.inline.append(document)
                    parts.marks |= marks | unresolved_in(value)
        managed: dict[str, PolicyDocument] = {}
        for logical, marks in self._logicals("AWS::IAM::ManagedPolicy"):
            props = self._props(logical)
            if "PolicyDocument" not in props:
                continue
            arn = self.r.managed_policy_arn(logical, marks)
            node = props["PolicyDocument"]
            value = self.r.resolve(node, marks)
            managed[arn] = self._policy(
                value,
                _key_line(props, "PolicyDocument"),
                f"/Resources/{_escape(logical)}/Properties/PolicyDocument",
                name=arn,
                kind=PolicyKind.MANAGED,
            )
            for parts in self._targets(roles, self.r.prop(logical, "Roles", marks)):
                if arn not in parts.managed_arns:
                    parts.managed_arns.append(arn)
                parts.marks |= marks | unresolved_in(value)
        return managed

    def finish_role(self, parts: _RoleParts, managed: Mapping[str, PolicyDocument]) -> Role:
        """Look up every attached managed policy: in the template, then the AWS snapshot."""
        from iam_audit.managed import attached_policies, boundary_policy

        documents, unknown = attached_policies(parts.managed_arns, managed)
        boundary = boundary_policy(parts.boundary_arn, managed)
        for arn in unknown:
            self.r.notes.add(
                f"managed policy {arn} attached to {parts.logical} is neither in the template "
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

    def functions(
        self, foreign: Sequence[tuple[set[str], dict[str, Any]]] = ()
    ) -> dict[str, LambdaFunction]:
        """Each ``AWS::Lambda::Function``, with the permissions of this and ``foreign`` stacks."""
        permissions = [*self._permissions(), *foreign]
        out: dict[str, LambdaFunction] = {}
        for logical, marks in self._logicals("AWS::Lambda::Function"):
            node = self.r.resource(logical)
            arn = self.r.get_att(logical, "Arn", node, marks)
            name = self.r.ref_resource(logical, node, marks)
            role = self.r.prop(logical, "Role", marks)
            environment = self.r.prop(logical, "Environment", marks)
            variables = environment.get("Variables") if isinstance(environment, dict) else None
            env = tuple(
                sorted(
                    (str(k), v if isinstance(v, str) else json.dumps(v))
                    for k, v in (variables or {}).items()
                )
            )
            # AddPermission names the function ARN as the statement's Resource.
            statements = [
                {**s, "Resource": str(arn)}
                for targets, s in permissions
                if {str(arn), str(name)} & targets
            ]
            policy = None
            if statements:
                document = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
                first = statements[0]["Sid"]
                policy = self._policy(
                    document,
                    _key_line(self.r.resources, first),
                    f"/Resources/{_escape(first)}",
                    name=f"{name} resource policy",
                    kind=PolicyKind.RESOURCE,
                )
            timeout = self.r.prop(logical, "Timeout", marks)
            handler = self.r.prop(logical, "Handler", marks)
            runtime = self.r.prop(logical, "Runtime", marks)
            out[logical] = LambdaFunction(
                arn=str(arn),
                name=str(name),
                role_arn=str(role) if isinstance(role, str) else "",
                origin=self._resource_origin(logical),
                environment=env,
                resource_policy=policy,
                handler=handler if isinstance(handler, str) else None,
                runtime=runtime if isinstance(runtime, str) else None,
                timeout=int(str(timeout)) if str(timeout).isdigit() else None,
                code_path=self._code_path(logical, marks),
                inline_code=self._inline_code(logical, marks),
            )
        return out

    def permissions(self) -> list[tuple[set[str], dict[str, Any]]]:
        """This template's ``AWS::Lambda::Permission`` statements (see :meth:`_permissions`)."""
        return self._permissions()

    def _code_path(self, logical: str, marks: set[str]) -> str | None:
        """Where the function's code is on disk, where the deployment tool left it there.

        A SAM ``CodeUri`` folder (what ``sam build`` would package); the folder ``cdk synth``
        staged it in (``aws:asset:path``); or the package a deployment tool wrote beside the
        template and names by ``Code.S3Key`` (``sls package``'s ``.serverless/SERVICE.zip``).
        """
        uri = self.code_uris.get(logical)
        if uri is not None:
            return str(self.path.parent / uri)
        metadata = self.r.resource(logical).get("Metadata")
        asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
        if isinstance(asset, str) and asset:
            return str(self.path.parent / asset)
        code = self.r.prop(logical, "Code", marks)
        key = code.get("S3Key") if isinstance(code, dict) else None
        if isinstance(key, str) and key.endswith(".zip"):
            beside = self.path.parent / key.rsplit("/", 1)[-1]
            if beside.is_file():
                return str(beside)
        return None

    def _inline_code(self, logical: str, marks: set[str]) -> str | None:
        code = self.r.prop(logical, "Code", marks)
        inline = code.get("ZipFile") if isinstance(code, dict) else None
        return inline if isinstance(inline, str) else None

    def _permissions(self) -> list[tuple[set[str], dict[str, Any]]]:
        """Each ``AWS::Lambda::Permission`` as a resource-policy statement, with its targets.

        Mirrors what Lambda's AddPermission writes: ``SourceArn`` becomes ``ArnLike
        AWS:SourceArn``, ``SourceAccount`` ``StringEquals AWS:SourceAccount``, ``PrincipalOrgID``
        ``StringEquals aws:PrincipalOrgID``.
        """
        out: list[tuple[set[str], dict[str, Any]]] = []
        for logical, marks in self._logicals("AWS::Lambda::Permission"):
            resolved = self.r.resolve(self._props(logical), marks)
            if not isinstance(resolved, dict):
                continue
            target = _unqualified(str(resolved.get("FunctionName", "")))
            principal = str(resolved.get("Principal", ""))
            if principal == "*":
                who: Any = "*"
            elif principal.endswith((".amazonaws.com", ".amazon.com")):
                who = {"Service": principal}
            else:
                who = {"AWS": principal}
            statement: dict[str, Any] = {
                "Sid": logical,
                "Effect": "Allow",
                "Principal": who,
                "Action": str(resolved.get("Action", "lambda:InvokeFunction")),
                "Resource": target,
            }
            condition: dict[str, dict[str, str]] = {}
            if "SourceArn" in resolved:
                condition.setdefault("ArnLike", {})["AWS:SourceArn"] = str(resolved["SourceArn"])
            if "SourceAccount" in resolved:
                condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = str(
                    resolved["SourceAccount"]
                )
            if "PrincipalOrgID" in resolved:
                condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = str(
                    resolved["PrincipalOrgID"]
                )
            if "FunctionUrlAuthType" in resolved:
                condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = str(
                    resolved["FunctionUrlAuthType"]
                )
            if condition:
                statement["Condition"] = condition
            out.append(({target}, statement))
        return out

    def user_pools(self) -> dict[str, UserPool]:
        out: dict[str, UserPool] = {}
        for logical, marks in self._logicals("AWS::Cognito::UserPool"):
            node = self.r.resource(logical)
            config = self.r.prop(logical, "LambdaConfig", marks)
            migration = config.get("UserMigration") if isinstance(config, dict) else None
            name = self.r.prop(logical, "UserPoolName", marks)
            sms = self.r.prop(logical, "SmsConfiguration", marks)
            sms_role = sms.get("SnsCallerArn") if isinstance(sms, dict) else None
            out[logical] = UserPool(
                arn=str(self.r.get_att(logical, "Arn", node, marks)),
                pool_id=str(self.r.ref_resource(logical, node, marks)),
                origin=self._resource_origin(logical),
                name=name if isinstance(name, str) else "",
                migration_lambda_arn=migration if isinstance(migration, str) else None,
                sms_role_arn=sms_role if isinstance(sms_role, str) else None,
            )
        return out

    def outputs(self) -> tuple[dict[str, JSON], dict[str, JSON]]:
        """``Outputs``: name → value, and export name → value (what ``Fn::ImportValue`` gets)."""
        outputs = self.r.template.get("Outputs")
        values: dict[str, JSON] = {}
        exports: dict[str, JSON] = {}
        for key, body in (outputs if isinstance(outputs, dict) else {}).items():
            if not isinstance(body, dict) or "Value" not in body:
                continue
            condition = body.get("Condition")
            if condition is not None and self.r.condition(condition, body) is False:
                continue
            marks: set[str] = set()
            value = self.r.resolve(body["Value"], marks)
            values[str(key)] = value
            if isinstance(body.get("Export"), dict):
                name = self.r.resolve(body["Export"].get("Name"), marks)
                if isinstance(name, str) and not has_placeholder(name):
                    exports[name] = value
        return values, exports

    def nested_stacks(self) -> tuple[NestedStack, ...]:
        """Each ``AWS::CloudFormation::Stack``: its local template (if any) and its parameters.

        A CDK nested stack names its template in the ``aws:asset:path`` metadata (a file beside
        the parent in ``cdk.out``); a packaged or hand-written one in ``TemplateURL`` (a relative
        path or ``file://``); an ``https://``/``s3://`` URL is not local.
        """
        out: list[NestedStack] = []
        for logical, marks in self._logicals("AWS::CloudFormation::Stack"):
            body = self.r.resource(logical)
            metadata = body.get("Metadata")
            asset = metadata.get("aws:asset:path") if isinstance(metadata, dict) else None
            url = self.r.prop(logical, "TemplateURL", marks)
            url_text = str(url) if isinstance(url, str) else ""
            local: Path | None = None
            if isinstance(asset, str) and asset.endswith(".json"):
                local = self.path.parent / asset
                url_text = url_text or asset
            elif url_text.startswith("file://"):
                local = self.path.parent / url_text[len("file://") :]
            elif url_text and "://" not in url_text and not has_placeholder(url_text):
                local = self.path.parent / url_text
            elif _AMPLIFY_URL_RE.search(url_text):
                local = _amplify_template(self.path, url_text)
            given = self.r.prop(logical, "Parameters", marks)
            values: dict[str, str] = {}
            for key, value in (given if isinstance(given, dict) else {}).items():
                if isinstance(value, list):
                    values[str(key)] = ",".join(str(v) for v in value)
                elif isinstance(value, str | int | float) and not isinstance(value, bool):
                    values[str(key)] = str(value)
            out.append(NestedStack(str(logical), local, url_text, values))
        return tuple(out)

    def transform_notes(self) -> None:
        transform = self.r.template.get("Transform")
        names = transform if isinstance(transform, list) else [transform] if transform else []
        for name in names:
            if name == "AWS::Serverless-2016-10-31":
                continue  # expanded before the template is read
            self.r.notes.add(
                f"the template uses Transform {name}; resources it would generate are not read "
                "(audit the processed template, e.g. from `sam build` or the console)"
            )
        for logical in self.r.resources:
            if str(logical).startswith("Fn::ForEach"):
                self.r.notes.add(f"{logical} is not expanded (AWS::LanguageExtensions)")


@dataclasses.dataclass(frozen=True)
class NestedStack:
    """An ``AWS::CloudFormation::Stack`` of a template: where its template is, what it is passed."""

    logical: str
    #: the local file its template is in, when the template names one (``None``: not local)
    path: Path | None
    #: what the template says of it (``TemplateURL`` or the CDK asset path), for notes
    url: str
    parameters: Mapping[str, str]


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


def decode_template(path: Path) -> dict[str, Any]:
    """The template at ``path`` (``-``: standard input) decoded, as :func:`read_stack` reads it."""
    return _decode(path)


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
    managed = builder.attach_policies(parts)
    roles = {logical: builder.finish_role(p, managed) for logical, p in parts.items()}
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
