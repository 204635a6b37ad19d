"""Python packages: boto3 calls found with the standard library's ``ast``, never by running code.

The analysis is a small abstract interpretation over one module at a time. Every name is
evaluated lazily to one of the abstract values below (a boto3 module, a session, a client of a
service, the result of an ``sts:AssumeRole`` call, a string from a literal or the environment),
through module globals, function locals, the parameters helpers are called with, and the values
local functions return. A call is an SDK call when its receiver evaluates to a client and the
method is one of the service's operations.

Attributes set on ``self`` (``self.cognito = boto3.client(...)`` in ``__init__``) are followed by
name, module-wide. Known limits: other objects' attributes, containers of clients, and values
crossing modules are not followed; a ``getattr`` with a computed name is reported in the notes.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from iam_audit.codecalls.abstract import (
    TRIGGER_SOURCE,
    UNKNOWN,
    AssumeResult,
    Str,
    Unknown,
    call_result,
    either,
    sdk_call,
)
from iam_audit.codecalls.interface import Assumed, OperationMap, SdkCall, ServiceInfo, Value

__all__ = ["analyse_python"]

_CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


# -- abstract values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Module:
    """``boto3``, ``boto3.session``, ``os``, ``botocore.session``."""

    name: str


@dataclass(frozen=True, slots=True)
class _Factory:
    """A callable that builds SDK objects: ``boto3.client``, ``Session``, ``session.client``."""

    kind: str  # "client" | "resource" | "session" | "getenv" | "environ.get"
    creds: Assumed | None = None


@dataclass(frozen=True, slots=True)
class _Session:
    creds: Assumed | None = None


@dataclass(frozen=True, slots=True)
class _Client:
    service: ServiceInfo
    creds: Assumed | None = None


@dataclass(frozen=True, slots=True)
class _Resource:
    service: ServiceInfo
    creds: Assumed | None = None


@dataclass(frozen=True, slots=True)
class _Table:
    service: ServiceInfo
    name: Value
    creds: Assumed | None = None


@dataclass(frozen=True, slots=True)
class _Paginator:
    """``client.get_paginator("op")``: its ``paginate(...)`` makes the call."""

    client: _Client
    operation: str


@dataclass(frozen=True, slots=True)
class _Environ:
    pass


@dataclass(frozen=True, slots=True)
class _Dict:
    items: tuple[tuple[str, ast.expr], ...]


_Abstract = (
    Unknown
    | _Module
    | _Factory
    | _Session
    | _Client
    | _Resource
    | _Table
    | _Paginator
    | _Environ
    | AssumeResult
    | Str
    | _Dict
)


# -- scopes ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scope:
    """One module or function body: what each name is assigned, and where to look next."""

    node: ast.AST
    parent: _Scope | None
    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)
    imports: dict[str, _Abstract] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    bound: dict[str, list[tuple[ast.expr, _Scope]]] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    returns: list[ast.expr] = field(default_factory=list)


_IMPORTS: dict[str, _Abstract] = {
    "boto3": _Module("boto3"),
    "boto3.session": _Module("boto3.session"),
    "botocore.session": _Module("botocore.session"),
    "os": _Module("os"),
    "boto3.client": _Factory("client"),
    "boto3.resource": _Factory("resource"),
    "boto3.Session": _Factory("session"),
    "boto3.session.Session": _Factory("session"),
    "os.environ": _Environ(),
    "os.getenv": _Factory("getenv"),
    "botocore.session.get_session": _Factory("session"),
}


class _Analyser:
    """Finds the SDK calls of one Python module."""

    def __init__(self, path: str, tree: ast.Module, ops: OperationMap) -> None:
        self.path = path
        self.ops = ops
        self.calls: dict[tuple[int, int], SdkCall] = {}
        self.notes: list[str] = []
        self.triggers: set[str] = set()
        self.scope_of: dict[int, _Scope] = {}
        self.attributes: dict[str, list[tuple[ast.expr, _Scope]]] = {}
        self.module = self._build(tree, None)
        self._busy: set[int] = set()

    # scope construction ------------------------------------------------------------------

    def _build(self, node: ast.AST, parent: _Scope | None) -> _Scope:
        scope = _Scope(node, parent)
        self.scope_of[id(node)] = scope
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            scope.params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        body: list[ast.stmt] | list[ast.expr]
        body = [node.body] if isinstance(node, ast.Lambda) else list(getattr(node, "body", []))
        for child in body:
            self._collect(child, scope)
        return scope

    def _collect(self, node: ast.AST, scope: _Scope) -> None:
        """Record assignments, imports and nested functions of ``scope`` (not of inner ones)."""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            scope.functions[node.name] = node
            self._build(node, scope)
            return
        if isinstance(node, ast.Lambda):
            self._build(node, scope)
            return
        if isinstance(node, ast.ClassDef):
            for child in node.body:
                self._collect(child, scope)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.imports[alias.asname] = _IMPORTS.get(alias.name, UNKNOWN)
                else:
                    top = alias.name.split(".")[0]
                    scope.imports[top] = _IMPORTS.get(top, UNKNOWN)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                scope.imports[alias.asname or alias.name] = _IMPORTS.get(full, UNKNOWN)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._assign(target, node.value, scope)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            if isinstance(node, ast.AnnAssign):
                self._assign(node.target, node.value, scope)
        elif isinstance(node, ast.NamedExpr):
            self._assign(node.target, node.value, scope)
        elif isinstance(node, ast.Return) and node.value is not None:
            scope.returns.append(node.value)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, item.context_expr, scope)
        for sub in ast.iter_child_nodes(node):
            if isinstance(sub, ast.stmt | ast.NamedExpr | ast.Lambda):
                self._collect(sub, scope)
            elif isinstance(sub, ast.expr):
                for inner in ast.walk(sub):
                    if isinstance(inner, ast.NamedExpr | ast.Lambda):
                        self._collect(inner, scope)

    def _assign(self, target: ast.expr, value: ast.expr, scope: _Scope) -> None:
        if isinstance(target, ast.Name):
            scope.assigned.setdefault(target.id, []).append(value)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):  # self.client = boto3.client(...): one value per attribute name, module-wide
            self.attributes.setdefault(target.attr, []).append((value, scope))

    # evaluation --------------------------------------------------------------------------

    def lookup(self, name: str, scope: _Scope) -> _Abstract:
        current: _Scope | None = scope
        while current is not None:
            if name in current.assigned:
                for expr in reversed(current.assigned[name]):
                    found = self.eval(expr, current)
                    if not isinstance(found, Unknown):
                        return found
                return UNKNOWN
            if name in current.params:
                for expr, caller in current.bound.get(name, ()):
                    found = self.eval(expr, caller)
                    if not isinstance(found, Unknown):
                        return found
                return UNKNOWN
            if name in current.imports:
                return current.imports[name]
            current = current.parent
        return UNKNOWN

    def function(self, name: str, scope: _Scope) -> _Scope | None:
        current: _Scope | None = scope
        while current is not None:
            if name in current.functions:
                return self.scope_of.get(id(current.functions[name]))
            if name in current.assigned or name in current.params:
                return None
            current = current.parent
        return None

    def eval(self, expr: ast.expr, scope: _Scope) -> _Abstract:
        key = id(expr)
        if key in self._busy:  # a cycle (x = f(x)): no value
            return UNKNOWN
        self._busy.add(key)
        try:
            return self._eval(expr, scope)
        finally:
            self._busy.discard(key)

    def _eval(self, expr: ast.expr, scope: _Scope) -> _Abstract:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return Str(Value("literal", expr.value))
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id, scope)
        if isinstance(expr, ast.Await):
            return self.eval(expr.value, scope)
        if isinstance(expr, ast.Dict):
            items = tuple(
                (k.value, v)
                for k, v in zip(expr.keys, expr.values, strict=True)
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            )
            return _Dict(items)
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
            return functools.reduce(either, (self.eval(value, scope) for value in expr.values))
        if isinstance(expr, ast.Attribute):
            if (
                isinstance(expr.value, ast.Name)
                and expr.value.id == "self"
                and expr.attr in self.attributes
            ):
                for value, where in reversed(self.attributes[expr.attr]):
                    found = self.eval(value, where)
                    if not isinstance(found, Unknown):
                        return found
                return UNKNOWN
            return self._attribute(self.eval(expr.value, scope), expr.attr)
        if isinstance(expr, ast.Subscript):
            base = self.eval(expr.value, scope)
            if isinstance(base, AssumeResult):
                return base
            index = self.eval(expr.slice, scope)
            if (
                isinstance(base, _Environ)
                and isinstance(index, Str)
                and index.value.kind == "literal"
            ):
                return Str(Value("env", index.value.text))
            if isinstance(base, _Dict) and isinstance(index, Str):
                for k, v in base.items:
                    if k == index.value.text:
                        return self.eval(v, scope)
            return UNKNOWN
        if isinstance(expr, ast.Call):
            return self._call(expr, scope)
        return UNKNOWN

    def _attribute(self, base: _Abstract, attr: str) -> _Abstract:
        if isinstance(base, _Module):
            return _IMPORTS.get(f"{base.name}.{attr}", UNKNOWN)
        if isinstance(base, _Session):
            if attr in ("client", "create_client"):
                return _Factory("client", base.creds)
            if attr == "resource":
                return _Factory("resource", base.creds)
        if isinstance(base, _Environ) and attr == "get":
            return _Factory("environ.get")
        if isinstance(base, AssumeResult):
            return base
        return UNKNOWN

    def _callee(self, call: ast.Call, scope: _Scope) -> tuple[_Abstract, str | None]:
        """The receiver and method name of ``call`` (``getattr(x, "m")(...)`` included)."""
        func = call.func
        if isinstance(func, ast.Attribute):
            return self.eval(func.value, scope), func.attr
        if (
            isinstance(func, ast.Call)
            and isinstance(func.func, ast.Name)
            and func.func.id == "getattr"
            and len(func.args) >= 2
        ):
            receiver = self.eval(func.args[0], scope)
            name = self.eval(func.args[1], scope)
            if isinstance(name, Str) and name.value.kind == "literal":
                return receiver, name.value.text
            if isinstance(receiver, _Client | _Table):
                self.notes.append(
                    f"{self.path}:{call.lineno}: getattr with a computed name on an SDK client: "
                    "the operation is not resolved"
                )
            return UNKNOWN, None
        return self.eval(func, scope), None

    def _call(self, call: ast.Call, scope: _Scope) -> _Abstract:
        receiver, method = self._callee(call, scope)
        if method is not None:
            return self._method(call, receiver, method, scope)
        if isinstance(receiver, _Factory):
            return self._factory(call, receiver, scope)
        if isinstance(call.func, ast.Name):
            inner = self.function(call.func.id, scope)
            if inner is not None:
                for expr in inner.returns:
                    found = self.eval(expr, inner)
                    if not isinstance(found, Unknown):
                        return found
        return UNKNOWN

    def _first_str(self, call: ast.Call, scope: _Scope, keyword: str) -> Value | None:
        node: ast.expr | None = call.args[0] if call.args else None
        for kw in call.keywords:
            if kw.arg == keyword:
                node = kw.value
        found = self.eval(node, scope) if node is not None else UNKNOWN
        return found.value if isinstance(found, Str) else None

    def _creds(self, call: ast.Call, scope: _Scope, inherited: Assumed | None) -> Assumed | None:
        for kw in call.keywords:
            values: list[_Abstract] = []
            if kw.arg in _CREDENTIAL_KEYS:
                values.append(self.eval(kw.value, scope))
            elif kw.arg is None:  # **credentials
                spread = self.eval(kw.value, scope)
                values.append(spread)
                if isinstance(spread, _Dict):
                    values.extend(self.eval(v, scope) for k, v in spread.items)
            for value in values:
                if isinstance(value, AssumeResult):
                    return value.where
        return inherited

    def _factory(self, call: ast.Call, factory: _Factory, scope: _Scope) -> _Abstract:
        if factory.kind in ("getenv", "environ.get"):
            name = self._first_str(call, scope, "key")
            default = self.eval(call.args[1], scope) if len(call.args) > 1 else None
            if name is None or name.kind != "literal":
                return UNKNOWN
            fallback = (
                default.value.text
                if isinstance(default, Str) and default.value.kind == "literal"
                else None
            )
            return Str(Value("env", name.text, fallback))
        creds = self._creds(call, scope, factory.creds)
        if factory.kind == "session":
            return _Session(creds)
        name = self._first_str(call, scope, "service_name")
        if name is None or name.kind != "literal":
            if name is not None or call.args:
                self.notes.append(
                    f"{self.path}:{call.lineno}: an SDK {factory.kind} whose service the code "
                    "computes: its calls are not resolved"
                )
            return UNKNOWN
        service = self.ops.service(name.text)
        if service is None:
            return UNKNOWN
        if factory.kind == "resource":
            return _Resource(service, creds)
        return _Client(service, creds)

    def _method(self, call: ast.Call, receiver: _Abstract, method: str, scope: _Scope) -> _Abstract:
        if isinstance(receiver, _Session | _Module | _Environ):
            target = self._attribute(receiver, method)
            if isinstance(target, _Factory):
                return self._factory(call, target, scope)
            return UNKNOWN
        if isinstance(receiver, _Resource) and method == "Table":
            name = self._first_str(call, scope, "name")
            return _Table(receiver.service, name or Value("unknown"), receiver.creds)
        if isinstance(receiver, _Client | _Table):
            service = receiver.service
            if method in ("get_paginator", "get_waiter"):
                name = self._first_str(call, scope, "operation_name")
                if method == "get_paginator" and name is not None and name.kind == "literal":
                    operation = service.operation_for_method(name.text)
                    if operation and isinstance(receiver, _Client):
                        return _Paginator(receiver, operation)
                return UNKNOWN
            operation = service.operation_for_method(method)
            if operation is None:
                return UNKNOWN
            return self._record(call, receiver, operation, scope)
        if isinstance(receiver, _Paginator) and method == "paginate":
            return self._record(call, receiver.client, receiver.operation, scope)
        return UNKNOWN

    def _params(self, call: ast.Call, scope: _Scope) -> list[tuple[str, Value]]:
        out: list[tuple[str, Value]] = []
        for kw in call.keywords:
            if kw.arg is not None:
                found = self.eval(kw.value, scope)
                out.append((kw.arg, found.value if isinstance(found, Str) else Value("unknown")))
                continue
            spread = self.eval(kw.value, scope)
            if isinstance(spread, _Dict):
                for key, node in spread.items:
                    found = self.eval(node, scope)
                    value = found.value if isinstance(found, Str) else Value("unknown")
                    out.append((key, value))
        return out

    def _record(
        self,
        call: ast.Call,
        receiver: _Client | _Table,
        operation: str,
        scope: _Scope,
    ) -> _Abstract:
        key = (call.lineno, call.col_offset)
        service = receiver.service
        if key not in self.calls:
            params = self._params(call, scope)
            if isinstance(receiver, _Table):
                params.insert(0, ("TableName", receiver.name))
            self.calls[key] = sdk_call(
                self.ops, self.path, call.lineno, service, operation, tuple(params), receiver.creds
            )
        return call_result(service, operation, self.path, call.lineno)

    # the walk ----------------------------------------------------------------------------

    def bind_parameters(self) -> None:
        """Bind each local function's parameters to the arguments it is called with."""
        for scope in list(self.scope_of.values()):
            for node in self._own_nodes(scope):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                    continue
                inner = self.function(node.func.id, scope)
                if inner is None:
                    continue
                for index, arg in enumerate(node.args):
                    if index < len(inner.params) and not isinstance(arg, ast.Starred):
                        inner.bound.setdefault(inner.params[index], []).append((arg, scope))
                for kw in node.keywords:
                    if kw.arg in inner.params:
                        inner.bound.setdefault(kw.arg, []).append((kw.value, scope))

    def _own_nodes(self, scope: _Scope) -> Iterator[ast.AST]:
        """The nodes of ``scope``'s body, not descending into nested functions."""
        stack: list[ast.AST]
        if isinstance(scope.node, ast.Lambda):
            stack = [scope.node.body]
        else:
            stack = list(getattr(scope.node, "body", []))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # a function of the body is a scope of its own (its decorators aside)
            yield node
            for child in ast.iter_child_nodes(node):
                stack.append(child)

    def run(self) -> None:
        self.bind_parameters()
        for scope in list(self.scope_of.values()):
            for node in self._own_nodes(scope):
                if isinstance(node, ast.Call):
                    self.eval(node, scope)
                elif isinstance(node, ast.Compare):
                    for part in (node.left, *node.comparators):
                        self._triggers(part)
                elif isinstance(node, ast.MatchValue):
                    self._triggers(node.value)
                elif isinstance(node, ast.Dict):
                    for k in node.keys:
                        if k is not None:
                            self._triggers(k)

    def _triggers(self, node: ast.expr) -> None:
        items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
        for item in items:
            if (
                isinstance(item, ast.Constant)
                and isinstance(item.value, str)
                and TRIGGER_SOURCE.match(item.value)
            ):
                self.triggers.add(item.value)


def analyse_python(
    path: str, source: bytes, ops: OperationMap
) -> tuple[list[SdkCall], set[str], list[str]]:
    """The SDK calls, trigger sources and notes of one Python file (a syntax error is a note)."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as err:
        line = getattr(err, "lineno", None)
        return [], set(), [f"{path}:{line or 1}: not valid Python, not analysed"]
    analyser = _Analyser(path, tree, ops)
    analyser.run()
    calls = sorted(analyser.calls.values(), key=lambda c: (c.line, c.operation))
    return calls, analyser.triggers, analyser.notes
