"""Decoding a CloudFormation template: cfn-lint's decoder, YAML scalars kept as written, the lines of
nodes, the intrinsic functions a template may use, and the references that must not form a cycle.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.inputs import MAX_TEMPLATE, read_text

__all__ = ["decode_template"]

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


def decode_template(path: Path) -> dict[str, Any]:
    """The template at ``path`` (``-``: standard input) decoded, as :func:`read_stack` reads it."""
    return _decode(path)
