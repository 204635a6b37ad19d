"""JavaScript and TypeScript: AWS SDK v3 and v2 calls found on the token stream, never by running.

Names are bound file-wide (flow-insensitive): ``import``/``require`` of the SDK packages,
``const``/``let``/``var`` declarations (destructuring included), assignments, local functions
(their parameters bound to the arguments of each call, or to a client class named by a
TypeScript annotation; their value the expressions they return). Each member chain is evaluated
to an abstract value: a package, an SDK class, a client (with the credentials it was built
with), a v3 command, the result of an ``sts:AssumeRole``. The calls found:

* v3: ``new XCommand(params)`` from ``@aws-sdk/client-*`` (the client that ``send``s it gives
  the credentials), the aggregated client's methods (``new CognitoIdentityProvider().adminGetUser``),
  ``@aws-sdk/lib-dynamodb`` commands; ``fromTemporaryCredentials`` is an ``sts:AssumeRole``;
* v2: ``new AWS.CognitoIdentityServiceProvider(opts).adminInitiateAuth(params)``, clients from
  ``aws-sdk/clients/*``, ``DynamoDB.DocumentClient``; ``ChainableTemporaryCredentials`` and
  ``TemporaryCredentials`` are an ``sts:AssumeRole``.

Bundles work when the SDK stays external (``require("@aws-sdk/client-…")``, CDK's default on the
Node.js 18+ runtimes); code inside ``node_modules`` is not analysed. Known limits: a name bound to
different clients in different functions takes one of them; object properties are followed one
level (``opts.credentials = …``).
"""

from __future__ import annotations

import re
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
from iam_audit.codecalls.jstokens import Token, tokenize

__all__ = ["analyse_javascript"]

_COMPARE = frozenset(("===", "==", "!==", "!="))
_STATEMENT_START = frozenset(
    (
        "const", "let", "var", "function", "if", "return", "export", "import", "class", "for",
        "while", "switch", "try", "throw", "async",
    )
)  # fmt: skip
_BINARY = frozenset(
    (
        "+", "-", "*", "/", "%", "**", "==", "===", "!=", "!==", "<", ">", "<=", ">=", "&&",
        "||", "??", "&", "|", "^", "<<", ">>", ">>>", "instanceof", "in",
    )
)  # fmt: skip
#: ``DynamoDB.DocumentClient`` (v2) methods and ``@aws-sdk/lib-dynamodb`` commands: the SDK's
#: own names for the DynamoDB operations they call.
_DOCUMENT_OPERATIONS = {
    "get": "GetItem",
    "put": "PutItem",
    "update": "UpdateItem",
    "delete": "DeleteItem",
    "query": "Query",
    "scan": "Scan",
    "batchget": "BatchGetItem",
    "batchwrite": "BatchWriteItem",
    "transactget": "TransactGetItems",
    "transactwrite": "TransactWriteItems",
}
_V2_CREDENTIALS = frozenset(("ChainableTemporaryCredentials", "TemporaryCredentials"))
_WRAPPERS = re.compile(
    r"^(?:__toESM|__importDefault|__importStar|_interopRequire\w*|__toCommonJS)$"
)


# -- abstract values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Env:
    pass


@dataclass(frozen=True, slots=True)
class _Process:
    pass


@dataclass(frozen=True, slots=True)
class _Package:
    name: str


@dataclass(frozen=True, slots=True)
class _Class:
    """An SDK class: ``kind`` is ``v3client``, ``v3agg``, ``v2``, ``doc``, ``docv3``,
    ``command``, ``creds`` (v2 temporary credentials) or ``tempcreds`` (v3 provider)."""

    kind: str
    service: ServiceInfo | None = None
    operation: str = ""


@dataclass(frozen=True, slots=True)
class _Client:
    service: ServiceInfo
    style: str  # "v3" | "agg" | "v2" | "doc" | "docv3"
    creds: Assumed | None = None


@dataclass(frozen=True, slots=True)
class _Command:
    index: int


@dataclass(frozen=True, slots=True)
class _Provider:
    """A credentials provider that assumes a role (the implicit call at ``where``)."""

    where: Assumed


@dataclass(frozen=True, slots=True)
class _Object:
    start: int  # token index of "{"
    props: tuple[tuple[str, int], ...]  # name → token index of the value expression


@dataclass(frozen=True, slots=True)
class _Function:
    name: str


_Abstract = (
    Unknown
    | Str
    | _Env
    | _Process
    | _Package
    | _Class
    | _Client
    | _Command
    | _Provider
    | AssumeResult
    | _Object
    | _Function
)


@dataclass(slots=True)
class _FunctionInfo:
    params: list[str]
    types: dict[str, str]
    body: tuple[int, int]  # token range
    expression: int | None = None  # an arrow function's expression body
    bound: dict[str, list[int]] = field(default_factory=dict)


@dataclass(slots=True)
class _CommandRecord:
    service: ServiceInfo
    operation: str
    line: int
    params: tuple[tuple[str, Value], ...]
    creds: Assumed | None = None
    sent: bool = False


class _Analyser:
    def __init__(self, path: str, tokens: list[Token], ops: OperationMap) -> None:
        self.path = path
        self.t = tokens
        self.ops = ops
        #: a name's values: an expression's token index, a value, or (index, key) when the name
        #: is destructured from that expression's property ``key``
        self.bindings: dict[str, list[int | tuple[int, str] | _Abstract]] = {}
        self.props: dict[str, dict[str, int]] = {}
        self.functions: dict[str, _FunctionInfo] = {}
        self.calls: dict[int, SdkCall] = {}
        self.commands: dict[int, _CommandRecord] = {}
        self.triggers: set[str] = set()
        self.notes: list[str] = []
        self._busy: set[tuple[str, int]] = set()
        self._memo: dict[int, _Abstract] = {}
        self._closing = self._pair_brackets()
        self._names: dict[str, _Abstract] = {}  # a name's value (bindings, not parameters)
        self._cycles = 0  # how many evaluations a cycle cut short

    # token helpers -----------------------------------------------------------------------

    def tok(self, i: int) -> Token | None:
        return self.t[i] if 0 <= i < len(self.t) else None

    def text(self, i: int) -> str:
        token = self.tok(i)
        return token.text if token else ""

    def is_(self, i: int, *texts: str) -> bool:
        token = self.tok(i)
        return token is not None and token.kind in ("punct", "id") and token.text in texts

    def match(self, i: int) -> int:
        """The index of the bracket closing the one at ``i`` (or the end); ``i`` if none."""
        if self.text(i) not in ("(", "[", "{"):
            return i
        return self._closing.get(i, len(self.t) - 1)

    def _pair_brackets(self) -> dict[int, int]:
        """Every opening bracket's closing one, in one pass (unbalanced ones close at the end)."""
        pairs: dict[int, int] = {}
        stack: list[int] = []
        for j, token in enumerate(self.t):
            if token.kind != "punct":
                continue
            if token.text in ("(", "[", "{"):
                stack.append(j)
            elif token.text in (")", "]", "}") and stack:
                pairs[stack.pop()] = j
        return pairs

    def skip_expression(self, i: int) -> int:
        """The index just after the expression starting at ``i`` (brackets balanced; ASI)."""
        j = i
        first = self.tok(i)
        line = first.line if first is not None else 0
        while j < len(self.t):
            token = self.t[j]
            if token.kind == "punct" and token.text in "([{":
                j = self.match(j) + 1
                line = self.t[j - 1].line
                continue
            if token.kind == "punct" and token.text in (",", ";", ")", "]", "}"):
                return j
            if (
                j > i
                and token.line > line
                and token.kind == "id"
                and token.text in _STATEMENT_START
            ):
                return j
            line = token.line
            j += 1
        return j

    def skip_type(self, i: int) -> int:
        """The index after a TypeScript type starting at ``i`` (``Promise<X>``, ``{a: T} | U``)."""
        j = i
        operand = True  # where a type may start: at the beginning, after | & => , and so on
        while j < len(self.t):
            token = self.t[j]
            text = token.text if token.kind == "punct" else ""
            if operand and (token.kind in ("id", "str", "num") or text in ("(", "{", "[")):
                j = self.match(j) + 1 if text else j + 1
                operand = token.kind == "id" and token.text in ("typeof", "keyof", "readonly")
            elif not operand and text == "[" and self.is_(j + 1, "]"):
                j += 2
            elif not operand and text == "<":
                depth = 0
                while j < len(self.t):
                    depth += {"<": 1, ">": -1, ">>": -2, ">>>": -3}.get(self.t[j].text, 0)
                    j += 1
                    if depth <= 0:
                        break
            elif (
                (not operand and text == ".")
                or text in ("|", "&", "=>")
                or (operand and text == "?")
            ):
                j += 1
                operand = True
            else:
                return j
        return j

    # the prepass -------------------------------------------------------------------------

    def bind(self, name: str, value: int | tuple[int, str] | _Abstract) -> None:
        self.bindings.setdefault(name, []).append(value)

    def prepass(self) -> None:
        t = self.t
        i = 0
        while i < len(t):
            token = t[i]
            if token.kind == "id" and not self.is_(i - 1, ".", "?."):
                if token.text == "import" and not self.is_(i + 1, "(", "."):
                    i = self._import(i)
                    continue
                if token.text in ("const", "let", "var"):
                    self._declaration(i + 1)  # the tokens inside are scanned too
                if token.text == "function":
                    self._function_declaration(i)
                elif self.is_(i + 1, "=") and not self.is_(i - 1, "const", "let", "var"):
                    self._assignment(token.text, i + 2)
                elif self.is_(i + 1, ".") and self.is_(i + 3, "=") and self.tok(i + 2):
                    prop = self.text(i + 2)
                    self.props.setdefault(token.text, {})[prop] = i + 4
            elif (
                token.kind == "str"
                and token.value
                and TRIGGER_SOURCE.match(token.value)
                and (self.is_(i - 1, *_COMPARE, "case") or self.is_(i + 1, *_COMPARE))
            ):
                self.triggers.add(token.value)
            i += 1

    def _import(self, i: int) -> int:
        """``import X, { A as B } from "m"`` / ``import * as X from "m"``; the index after it."""
        j = i + 1
        if self.is_(j, "type"):
            return j
        names: list[tuple[str, str]] = []  # (local, imported; "*" or "default")
        while j < len(self.t) and not self.is_(j, "from") and self.t[j].kind != "str":
            if self.is_(j, "*") and self.is_(j + 1, "as"):
                names.append((self.text(j + 2), "*"))
                j += 3
            elif self.is_(j, "{"):
                end = self.match(j)
                k = j + 1
                while k < end:
                    if self.is_(k, "type"):
                        k += 1
                    imported = self.text(k)
                    local = imported
                    if self.is_(k + 1, "as"):
                        local = self.text(k + 2)
                        k += 2
                    if imported and imported != ",":
                        names.append((local, imported))
                    k += 1
                    while k < end and self.is_(k, ","):
                        k += 1
                j = end + 1
            elif self.t[j].kind == "id":
                names.append((self.t[j].text, "default"))
                j += 1
            else:
                j += 1
        if self.is_(j, "from"):
            j += 1
        module = self.tok(j)
        if module is None or module.kind != "str" or module.value is None:
            return j
        package = _Package(module.value)
        for local, imported in names:
            self.bind(local, package if imported == "*" else self.member(package, imported))
        return j + 1

    def _declaration(self, i: int) -> int:
        """``NAME [: T] = expr, {a, b: c} = expr, ...``; the index after the declaration."""
        j = i
        while j < len(self.t):
            if self.is_(j, "{", "["):
                end = self.match(j)
                pattern = (j, end)
                j = end + 1
                if self.is_(j, ":"):
                    j = self.skip_type(j + 1)
                if not self.is_(j, "="):
                    return j
                self._destructure(pattern, j + 1)
                j = self.skip_expression(j + 1)
            elif self.t[j].kind == "id":
                name = self.t[j].text
                j += 1
                if self.is_(j, "!"):
                    j += 1
                if self.is_(j, ":"):
                    j = self.skip_type(j + 1)
                if self.is_(j, "="):
                    self._assignment(name, j + 1)
                    j = self.skip_expression(j + 1)
            else:
                return j
            if not self.is_(j, ","):
                return j
            j += 1
        return j

    def _destructure(self, pattern: tuple[int, int], value: int) -> None:
        start, end = pattern
        if self.text(start) != "{":
            return
        k = start + 1
        while k < end:
            if self.t[k].kind == "id":
                key = self.t[k].text
                local = key
                if self.is_(k + 1, ":") and self.tok(k + 2) and self.t[k + 2].kind == "id":
                    local = self.t[k + 2].text
                    k += 2
                self.bind(local, (value, key))
                while k < end and not self.is_(k, ","):
                    k += 1
            k += 1

    def _assignment(self, name: str, value: int) -> None:
        if self._arrow_or_function(name, value):
            return
        self.bind(name, value)

    def _arrow_or_function(self, name: str, i: int) -> bool:
        j = i
        if self.is_(j, "async"):
            j += 1
        if self.is_(j, "function"):
            j += 1
            if self.tok(j) and self.t[j].kind == "id":
                j += 1
            return self._function_at(name, j)
        if self.tok(j) and self.t[j].kind == "id" and self.is_(j + 1, "=>"):
            return self._function_body(name, [self.t[j].text], {}, j + 2)
        if self.is_(j, "("):
            end = self.match(j)
            k = end + 1
            if self.is_(k, ":"):
                k = self.skip_type(k + 1)
            if self.is_(k, "=>"):
                params, types = self._params(j, end)
                return self._function_body(name, params, types, k + 1)
        return False

    def _function_declaration(self, i: int) -> None:
        j = i + 1
        if self.is_(j, "*"):
            j += 1
        if self.tok(j) is None or self.t[j].kind != "id":
            return
        self._function_at(self.t[j].text, j + 1)

    def _function_at(self, name: str, j: int) -> bool:
        if self.is_(j, "<"):
            j = self.skip_type(j)
        if not self.is_(j, "("):
            return False
        end = self.match(j)
        params, types = self._params(j, end)
        k = end + 1
        if self.is_(k, ":"):
            k = self.skip_type(k + 1)
        return self._function_body(name, params, types, k)

    def _params(self, start: int, end: int) -> tuple[list[str], dict[str, str]]:
        params: list[str] = []
        types: dict[str, str] = {}
        k = start + 1
        while k < end:
            if self.is_(k, "{", "["):
                params.append("")
                k = self.match(k) + 1
            elif self.t[k].kind == "id":
                name = self.t[k].text
                if name in ("public", "private", "readonly", "protected"):
                    k += 1
                    continue
                params.append(name)
                k += 1
                if self.is_(k, "?"):
                    k += 1
                if self.is_(k, ":") and self.tok(k + 1) and self.t[k + 1].kind == "id":
                    types[name] = self.t[k + 1].text
            if self.is_(k, "..."):
                k += 1
                continue
            # skip to the next top-level comma
            while k < end and not self.is_(k, ","):
                k = self.match(k) + 1 if self.is_(k, "(", "[", "{") else k + 1
            k += 1
        return params, types

    def _function_body(self, name: str, params: list[str], types: dict[str, str], k: int) -> bool:
        if self.is_(k, "{"):
            info = _FunctionInfo(params, types, (k, self.match(k)))
        else:
            info = _FunctionInfo(params, types, (k, self.skip_expression(k)), expression=k)
        self.functions.setdefault(name, info)
        return True

    def bind_calls(self) -> None:
        """Bind local functions' parameters to the arguments at each call site."""
        for i, token in enumerate(self.t):
            if token.kind != "id" or token.text not in self.functions:
                continue
            if not self.is_(i + 1, "(") or self.is_(i - 1, ".", "function"):
                continue
            info = self.functions[token.text]
            for index, arg in enumerate(self._arguments(i + 1)):
                if index < len(info.params) and info.params[index]:
                    info.bound.setdefault(info.params[index], []).append(arg)

    def _arguments(self, i: int) -> list[int]:
        """Token indices where each argument of the call whose ``(`` is at ``i`` starts."""
        end = self.match(i)
        out: list[int] = []
        k = i + 1
        while k < end:
            out.append(k)
            k = self.skip_expression(k)
            if self.is_(k, ","):
                k += 1
            else:
                break
        return out

    # evaluation --------------------------------------------------------------------------

    def lookup(self, name: str, at: int) -> _Abstract:
        if name == "process":
            return _Process()
        if name == "require":
            return _Function("require")
        if name in self.bindings:
            if name in self._names:
                return self._names[name]
            cycles = self._cycles
            value: _Abstract = UNKNOWN
            for item in reversed(self.bindings[name]):
                found = self.eval_binding(name, item)
                if not isinstance(found, Unknown):
                    value = found
                    break
            if self._cycles == cycles:  # no cycle cut this short: the answer is final
                self._names[name] = value
            return value
        info = self._function_with_param(name, at)
        if info is not None:
            for arg in info.bound.get(name, ()):
                found = self.expression(arg)
                if not isinstance(found, Unknown):
                    return found
            annotated = info.types.get(name)
            if annotated:
                cls = self.lookup(annotated, -1)
                if isinstance(cls, _Class) and cls.service is not None:
                    style = {"v3client": "v3", "v3agg": "agg", "v2": "v2"}.get(cls.kind)
                    if style:
                        return _Client(cls.service, style)
        if name in self.functions:
            return _Function(name)
        return UNKNOWN

    def eval_binding(self, name: str, item: int | tuple[int, str] | _Abstract) -> _Abstract:
        if not isinstance(item, int | tuple):
            return item
        start = item if isinstance(item, int) else item[0]
        key = (name, start)
        if key in self._busy:
            self._cycles += 1
            return UNKNOWN
        self._busy.add(key)
        try:
            if isinstance(item, tuple):
                return self.member(self.expression(item[0]), item[1])
            return self.expression(item)
        finally:
            self._busy.discard(key)

    def _function_with_param(self, name: str, at: int) -> _FunctionInfo | None:
        best: _FunctionInfo | None = None
        for info in self.functions.values():
            inside = at < 0 or info.body[0] <= at <= info.body[1]
            if name in info.params and inside and (best is None or info.body[0] > best.body[0]):
                best = info
        if best is None:  # a name used outside: take any function with that parameter
            for info in self.functions.values():
                if name in info.params and info.bound.get(name):
                    return info
        return best

    def expression(self, i: int) -> _Abstract:
        """The value of the expression starting at token ``i``."""
        if i in self._memo:
            return self._memo[i]
        key = ("", i)
        if key in self._busy:
            self._cycles += 1
            return UNKNOWN
        self._busy.add(key)
        cycles = self._cycles
        try:
            value, _ = self._binary(i)
        finally:
            self._busy.discard(key)
        if self._cycles == cycles or not isinstance(value, Unknown):
            self._memo[i] = value
        return value

    def _binary(self, i: int) -> tuple[_Abstract, int]:
        left, j = self._unary(i)
        while j < len(self.t):
            if self.is_(j, "as", "satisfies"):
                j = self.skip_type(j + 1)
                continue
            if self.is_(j, "?"):  # a ternary: either branch
                then, k = self._binary(j + 1)
                otherwise: _Abstract = UNKNOWN
                if self.is_(k, ":"):
                    otherwise, k = self._binary(k + 1)
                left = then if not isinstance(then, Unknown) else otherwise
                j = k
                continue
            op = self.tok(j)
            if op is None or op.kind not in ("punct", "id") or op.text not in _BINARY:
                break
            right, j = self._unary(j + 1)
            if op.text in ("||", "??"):
                left = either(left, right)
            elif op.text == "&&":
                left = right
            else:
                left = UNKNOWN
        return left, j

    def _unary(self, i: int) -> tuple[_Abstract, int]:
        if self.is_(i, "await", "...", "void"):
            return self._unary(i + 1)
        if self.is_(i, "!", "typeof", "-", "+", "~", "delete"):
            _, j = self._unary(i + 1)
            return UNKNOWN, j
        if self.is_(i, "new"):
            return self._new(i)
        return self._postfix(i)

    def _new(self, i: int) -> tuple[_Abstract, int]:
        # new A.B.C(args): the callee chain has no calls
        j = i + 1
        value = self._primary_name(j)
        j += 1
        while self.is_(j, ".") and self.tok(j + 1):
            value = self.member(value, self.text(j + 1))
            j += 2
        args: list[int] = []
        if self.is_(j, "("):
            args = self._arguments(j)
            j = self.match(j) + 1
        result = self.construct(value, args, i)
        return self._chain(result, j)

    def _primary_name(self, i: int) -> _Abstract:
        token = self.tok(i)
        if token is None or token.kind != "id":
            return UNKNOWN
        return self.lookup(token.text, i)

    def _postfix(self, i: int) -> tuple[_Abstract, int]:
        token = self.tok(i)
        if token is None:
            return UNKNOWN, i
        if token.kind == "str" or (token.kind == "tpl" and token.value is not None):
            return self._chain(Str(Value("literal", token.value or "")), i + 1)
        if token.kind in ("tpl", "num", "regex"):
            return self._chain(UNKNOWN, i + 1)
        if token.kind == "punct":
            if token.text == "(":
                end = self.match(i)
                after = end + 1
                if self.is_(after, ":"):
                    after = self.skip_type(after + 1)
                if self.is_(after, "=>"):  # an arrow function: not evaluated
                    return UNKNOWN, self.skip_expression(after + 1)
                inner, _ = self._binary(i + 1)
                return self._chain(inner, end + 1)
            if token.text == "{":
                return self._chain(self._object(i), self.match(i) + 1)
            if token.text == "[":
                return self._chain(UNKNOWN, self.match(i) + 1)
            return UNKNOWN, i + 1
        if token.text in ("function", "class"):
            j = i + 1
            while j < len(self.t) and not self.is_(j, "{"):
                j = self.match(j) + 1 if self.is_(j, "(") else j + 1
            return UNKNOWN, self.match(j) + 1
        if token.text == "async" and (self.is_(i + 1, "(", "function") or self.is_(i + 2, "=>")):
            return UNKNOWN, self.skip_expression(i + 1)
        if self.is_(i + 1, "=>"):
            return UNKNOWN, self.skip_expression(i + 2)
        return self._chain(self.lookup(token.text, i), i + 1)

    def _chain(self, value: _Abstract, j: int) -> tuple[_Abstract, int]:
        while j < len(self.t):
            if self.is_(j, ".", "?.") and self.tok(j + 1) and self.t[j + 1].kind == "id":
                name = self.t[j + 1].text
                if self.is_(j + 2, "("):
                    args = self._arguments(j + 2)
                    value = self.method(value, name, args, j + 1)
                    j = self.match(j + 2) + 1
                else:
                    value = self.member(value, name)
                    j += 2
            elif self.is_(j, "?.") and self.is_(j + 1, "("):
                j += 1
            elif self.is_(j, "["):
                inner, _ = self._binary(j + 1)
                end = self.match(j)
                if isinstance(inner, Str) and inner.value.kind == "literal":
                    value = self.member(value, inner.value.text)
                else:
                    value = UNKNOWN
                j = end + 1
            elif self.is_(j, "("):
                value = self.call(value, self._arguments(j), j)
                j = self.match(j) + 1
            elif self.is_(j, "!") and not self.is_(j + 1, "="):
                j += 1  # TypeScript non-null assertion
            else:
                break
        return value, j

    def _object(self, i: int) -> _Object:
        end = self.match(i)
        props: list[tuple[str, int]] = []
        k = i + 1
        while k < end:
            token = self.t[k]
            if token.kind in ("id", "str") and self.is_(k + 1, ":"):
                key = (token.value if token.kind == "str" else token.text) or ""
                props.append((key, k + 2))
                k = self.skip_expression(k + 2)
            elif token.kind == "id" and self.is_(k + 1, ",", "}"):
                props.append((token.text, k))  # shorthand {UserPoolId}
                k += 1
            else:
                k = self.skip_expression(k)
            if self.is_(k, ",") or (k < end and not self.is_(k, "}")):
                k += 1
        return _Object(i, tuple(props))

    def _prop(self, obj: _Abstract, name: str) -> _Abstract:
        if isinstance(obj, _Object):
            for key, at in obj.props:
                if key == name:
                    return self.expression(at)
        return UNKNOWN

    def _object_props(self, arg: int | None) -> tuple[_Abstract, dict[str, int]]:
        """The object an argument evaluates to, and extra properties assigned to its name."""
        if arg is None:
            return UNKNOWN, {}
        value = self.expression(arg)
        extra: dict[str, int] = {}
        token = self.tok(arg)
        if token is not None and token.kind == "id" and self.skip_expression(arg) == arg + 1:
            extra = self.props.get(token.text, {})
        return value, extra

    def _params_of(self, arg: int | None) -> tuple[tuple[str, Value], ...]:
        value, extra = self._object_props(arg)
        out: list[tuple[str, Value]] = []
        names: list[tuple[str, int]] = list(value.props) if isinstance(value, _Object) else []
        names += list(extra.items())
        for key, at in names:
            found = self.expression(at)
            out.append((key, found.value if isinstance(found, Str) else Value("unknown")))
        return tuple(out)

    def _creds_of(self, arg: int | None) -> Assumed | None:
        value, extra = self._object_props(arg)
        candidates: list[_Abstract] = []
        if isinstance(value, _Object):
            candidates.append(self._prop(value, "credentials"))
        if "credentials" in extra:
            candidates.append(self.expression(extra["credentials"]))
        for found in candidates:
            if isinstance(found, _Provider | AssumeResult):
                return found.where
            if isinstance(found, _Object):
                for _, at in found.props:
                    inner = self.expression(at)
                    if isinstance(inner, AssumeResult):
                        return inner.where
        return None

    # SDK semantics -----------------------------------------------------------------------

    def member(self, value: _Abstract, name: str) -> _Abstract:
        if isinstance(value, _Process) and name == "env":
            return _Env()
        if isinstance(value, _Env):
            return Str(Value("env", name))
        if isinstance(value, AssumeResult):
            return value
        if isinstance(value, _Package):
            return self._package_member(value.name, name)
        if (
            isinstance(value, _Class)
            and value.kind == "v2"
            and name == "DocumentClient"
            and value.service is not None
            and value.service.name == "dynamodb"
        ):
            return _Class("doc", value.service)
        if isinstance(value, _Object):
            for key, at in value.props:
                if key == name:
                    return self.expression(at)
        return UNKNOWN

    def _package_member(self, package: str, name: str) -> _Abstract:
        if package.startswith("aws-sdk/clients/"):
            if name != "default":
                return UNKNOWN
            service = self.ops.service_for_js(package.removeprefix("aws-sdk/clients/"))
            return _Class("v2", service) if service is not None else UNKNOWN
        if name == "default":
            return _Package(package)
        if package.startswith("@aws-sdk/client-"):
            service = self.ops.service_for_js(package.removeprefix("@aws-sdk/client-"))
            if service is None:
                return UNKNOWN
            if name.endswith("Command"):
                operation = service.operation_named(name.removesuffix("Command"))
                return _Class("command", service, operation) if operation else UNKNOWN
            if name.endswith("Client"):
                return _Class("v3client", service)
            if self.ops.service_for_js(name) == service:
                return _Class("v3agg", service)
            return UNKNOWN
        if package == "@aws-sdk/lib-dynamodb":
            service = self.ops.service("dynamodb")
            if service is None:
                return UNKNOWN
            if name == "DynamoDBDocumentClient":
                return _Class("docv3", service)
            if name.endswith("Command"):
                operation = _DOCUMENT_OPERATIONS.get(name.removesuffix("Command").lower())
                return _Class("command", service, operation) if operation else UNKNOWN
            return UNKNOWN
        if package.startswith("@aws-sdk/credential-provider"):
            if name == "fromTemporaryCredentials":
                return _Class("tempcreds", self.ops.service("sts"))
            return UNKNOWN
        if package in ("aws-sdk", "aws-sdk/global"):
            if name in _V2_CREDENTIALS:
                return _Class("creds", self.ops.service("sts"))
            service = self.ops.service_for_js(name)
            return _Class("v2", service) if service is not None else UNKNOWN
        return UNKNOWN

    def construct(self, cls: _Abstract, args: list[int], at: int) -> _Abstract:
        first = args[0] if args else None
        if isinstance(cls, _Package) and cls.name.startswith("aws-sdk/clients/"):
            cls = self._package_member(cls.name, "default")
        if not isinstance(cls, _Class) or cls.service is None:
            return UNKNOWN
        line = self.t[at].line
        if cls.kind == "command":
            if at not in self.commands:
                self.commands[at] = _CommandRecord(
                    cls.service, cls.operation, line, self._params_of(first)
                )
            return _Command(at)
        if cls.kind == "creds":
            return self._provider(cls.service, first, at)
        style = {"v3client": "v3", "v3agg": "agg", "v2": "v2", "doc": "doc"}.get(cls.kind)
        if style is None:
            return UNKNOWN
        return _Client(cls.service, style, self._creds_of(first))

    def _provider(self, sts: ServiceInfo, options: int | None, at: int) -> _Abstract:
        """A temporary-credentials provider: the AssumeRole it makes, from ``options.params``."""
        params: tuple[tuple[str, Value], ...] = ()
        value, _ = self._object_props(options)
        if isinstance(value, _Object):
            for key, inner in value.props:
                if key == "params":
                    token = self.tok(inner)
                    params = self._params_of(inner) if token else ()
        where = Assumed(self.path, self.t[at].line)
        if at not in self.calls:
            self.calls[at] = sdk_call(
                self.ops, self.path, self.t[at].line, sts, "AssumeRole", params, implicit=True
            )
        return _Provider(where)

    def call(self, callee: _Abstract, args: list[int], at: int) -> _Abstract:
        first = args[0] if args else None
        if isinstance(callee, _Function):
            if callee.name == "require":
                found = self.expression(first) if first is not None else UNKNOWN
                if isinstance(found, Str) and found.value.kind == "literal":
                    return _Package(found.value.text)
                return UNKNOWN
            if _WRAPPERS.match(callee.name) and first is not None:
                return self.expression(first)
            return self._returns(callee.name)
        if isinstance(callee, _Class) and callee.kind == "tempcreds" and callee.service:
            return self._provider(callee.service, first, at)
        if isinstance(callee, AssumeResult):
            return callee
        return UNKNOWN

    def _returns(self, name: str) -> _Abstract:
        info = self.functions.get(name)
        if info is None:
            return UNKNOWN
        if info.expression is not None:
            return self.expression(info.expression)
        start, end = info.body
        for k in range(start, end):
            if self.is_(k, "return"):
                found = self.expression(k + 1)
                if not isinstance(found, Unknown):
                    return found
        return UNKNOWN

    def method(self, receiver: _Abstract, name: str, args: list[int], at: int) -> _Abstract:
        first = args[0] if args else None
        if isinstance(receiver, _Package) and name in ("fromTemporaryCredentials",):
            return self.call(self._package_member(receiver.name, name), args, at)
        if isinstance(receiver, AssumeResult):
            return receiver
        if isinstance(receiver, _Function):
            return self.call(receiver, args, at) if name in ("call", "apply") else UNKNOWN
        if isinstance(receiver, _Class) and receiver.kind == "docv3" and name == "from":
            client = self.expression(first) if first is not None else UNKNOWN
            creds = client.creds if isinstance(client, _Client) else None
            if receiver.service is not None:
                return _Client(receiver.service, "docv3", creds)
            return UNKNOWN
        if not isinstance(receiver, _Client):
            return UNKNOWN
        if name == "send" and receiver.style in ("v3", "agg", "docv3"):
            command = self.expression(first) if first is not None else UNKNOWN
            if isinstance(command, _Command):
                record = self.commands[command.index]
                if not record.sent:
                    record.sent = True
                    record.creds = receiver.creds
                return call_result(record.service, record.operation, self.path, record.line)
            return UNKNOWN
        if receiver.style in ("doc",):
            operation = _DOCUMENT_OPERATIONS.get(name.lower())
        elif receiver.style in ("v2", "agg"):
            operation = receiver.service.operation_named(name)
        else:
            operation = None
        if operation is None:
            return UNKNOWN
        line = self.t[at].line
        if at not in self.calls:
            self.calls[at] = sdk_call(
                self.ops,
                self.path,
                line,
                receiver.service,
                operation,
                self._params_of(first),
                receiver.creds,
            )
        return call_result(receiver.service, operation, self.path, line)

    # the walk ----------------------------------------------------------------------------

    def run(self) -> None:
        self.prepass()
        self.bind_calls()
        for i, token in enumerate(self.t):
            starts = token.text == "new" or self.is_(i + 1, ".", "?.", "(")
            if token.kind == "id" and not self.is_(i - 1, ".", "?.") and starts:
                self._unary(i)

    def results(self) -> list[SdkCall]:
        out = list(self.calls.values())
        for r in self.commands.values():
            out.append(
                sdk_call(self.ops, self.path, r.line, r.service, r.operation, r.params, r.creds)
            )
        return sorted(out, key=lambda c: (c.line, c.operation))


def analyse_javascript(
    path: str, source: bytes, ops: OperationMap
) -> tuple[list[SdkCall], set[str], list[str]]:
    """The SDK calls, trigger sources and notes of one JavaScript or TypeScript file."""
    text = source.decode("utf-8", errors="replace")
    analyser = _Analyser(path, tokenize(text), ops)
    analyser.run()
    return analyser.results(), analyser.triggers, analyser.notes
