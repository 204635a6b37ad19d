"""Migration-Lambda preflight: the package errors Cognito would meet at the first sign-in.

Checks, in order (FACTS.md §3):

* the handler module is in the package (else the runtime's ``Runtime.ImportModuleError``);
* Python sources compile, with file and line (``Runtime.UserCodeSyntaxError``); modules the
  handler imports count as failures, other first-party files as warnings;
* the handler function is defined in the module (``Runtime.HandlerNotFound``, its own result);
* Node.js: the handler file exists (``.js``/``.mjs``/``.cjs``) and ``node --check`` accepts it,
  when a checker is injected and ``node`` is installed (else ``skip``);
* user pool and app client IDs in the environment exist (``ResourceNotFoundException``), and the
  client allows the password flow the code uses ("Auth flow not enabled for this client",
  ``InvalidParameterException``) — through an injected :class:`CognitoLookup`, else ``skip``;
* the timeout fits Cognito's 5-second limit.

Pure: the zip arrives as bytes, AWS lookups and ``node`` arrive as injected callables.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import weakref
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar, Protocol

from iam_audit.errors import InputError
from iam_audit.findings import Status
from iam_audit.render.escape import shell_command
from iam_audit.results import ResultKind, Row, Severity, fails

__all__ = [
    "COGNITO_TRIGGER_TIMEOUT",
    "MAX_UNZIPPED",
    "MAX_ZIPPED",
    "MAX_ZIP_FILE",
    "ClientInfo",
    "CognitoLookup",
    "FunctionPackage",
    "LambdaReport",
    "LambdaResult",
    "NodeCheck",
    "NodeSyntaxChecker",
    "check_function",
    "find_ids",
    "parse_handler",
]

#: "it must respond within 5 seconds ... You can't change this five-second timeout value."
COGNITO_TRIGGER_TIMEOUT = 5
_MAX_SOURCE_BYTES = 2 * 1024 * 1024
#: Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
#: "Deployment package (.zip file archive) size": "50 MB (zipped, when uploaded through the
#: Lambda API or SDKs). Upload larger files with Amazon S3." and "250 MB (unzipped)". Lambda
#: counts them in MiB: its error reads "Unzipped size must be smaller than 262144000 bytes".
MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024
#: A zip read offline is refused above this: no package Lambda accepts is larger zipped than its
#: unzipped limit.
MAX_ZIP_FILE = MAX_UNZIPPED
_CHUNK = 64 * 1024
_POOL_ID = re.compile(r"\b[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+\b")
_CLIENT_KEY = re.compile(r"CLIENT_?ID", re.IGNORECASE)
_ADMIN_FLOWS = ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
_USER_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH")
_USES_ADMIN = re.compile(rb"admin_?initiate_?auth", re.IGNORECASE)
_USES_USER = re.compile(rb"(?<![A-Za-z_])(?:initiate_auth|InitiateAuth|initiateAuth)(?![A-Za-z_])")
_NODE_EXTENSIONS = (".js", ".mjs", ".cjs")


@dataclass(frozen=True, slots=True)
class LambdaResult:
    """One check: the seed error it guards against (or ``None``), a status, where, and why."""

    error: str | None
    status: Status
    message: str
    file: str | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON shape."""
        return {
            "error": self.error,
            "status": self.status.value,
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class LambdaReport:
    """Every result, in check order."""

    kind: ClassVar[ResultKind] = ResultKind.LAMBDA

    function: str
    results: tuple[LambdaResult, ...]

    @property
    def failed(self) -> bool:
        """True when a check failed (the trigger would fail; a failing row); warnings do not."""
        return fails(self)

    def rows(self) -> tuple[Row, ...]:
        """One row per result, on the function (and the file and line, where known); every
        check is error-severity: a failure breaks the trigger, a warning does not fail."""
        return tuple(
            Row(
                subject=self.function
                + (f" ({r.file}{f':{r.line}' if r.line else ''})" if r.file else ""),
                check=r.error or "",
                status=r.status,
                severity=Severity.ERROR,
                message=r.message,
            )
            for r in self.results
        )

    def remarks(self) -> tuple[str, ...]:
        return ()

    def as_dict(self) -> dict[str, Any]:
        """``{"results": [...]}``: the stable JSON shape."""
        return {"results": [r.as_dict() for r in self.results]}


@dataclass(frozen=True, slots=True)
class FunctionPackage:
    """What a check needs to know about the function: from ``get_function`` or from options.

    ``timeout`` is ``None`` offline (unknown); ``layers`` lists layer ARNs (a module missing
    from the zip may come from one); ``package_type`` ``Image`` has no zip to inspect.
    """

    handler: str
    runtime: str
    code: bytes | None
    name: str = ""
    timeout: int | None = None
    environment: tuple[tuple[str, str], ...] = ()
    layers: tuple[str, ...] = ()
    package_type: str = "Zip"
    arn: str = ""


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """An app client as ``DescribeUserPoolClient`` returns it (only what the checks use)."""

    client_id: str
    pool_id: str
    explicit_auth_flows: tuple[str, ...]


class CognitoLookup(Protocol):
    """Looks up pools and clients in the account (``preflight.live`` implements it)."""

    def pool_exists(self, pool_id: str) -> bool:
        """True when the pool exists in its region (taken from the ID)."""
        ...

    def client(self, pool_id: str, client_id: str) -> ClientInfo | None:
        """The client, or ``None`` when the pool has no such client."""
        ...


@dataclass(frozen=True, slots=True)
class NodeCheck:
    """The outcome of ``node --check`` on one file."""

    ok: bool
    message: str = ""
    line: int | None = None


class NodeSyntaxChecker(Protocol):
    """Runs ``node --check`` on ``path`` inside the zip; ``None`` when node is not installed."""

    def __call__(self, code: bytes, path: str) -> NodeCheck | None: ...


def parse_handler(handler: str) -> tuple[str, str]:
    """Split ``MOD.FUNC`` the way the Python runtime does (last dot); ``InputError`` without one."""
    module, dot, func = handler.rpartition(".")
    if not dot or not module or not func:
        raise InputError(
            f"handler {handler!r} has no module part",
            advice="a handler is FILE.FUNCTION, e.g. lambda_function.lambda_handler",
        )
    return module, func


def find_ids(environment: Sequence[tuple[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """User pool IDs (any value, by shape) and app client IDs (values of ``*CLIENT_ID*`` keys)."""
    pools: list[str] = []
    clients: list[str] = []
    for key, value in environment:
        for found in _POOL_ID.findall(value):
            if found not in pools:
                pools.append(found)
        if _CLIENT_KEY.search(key) and value.strip() and value.strip() not in clients:
            clients.append(value.strip())
    return tuple(pools), tuple(clients)


def _open_zip(code: bytes, name: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(code))
    except zipfile.BadZipFile:
        raise InputError(f"{name} is not a zip file") from None
    except (zipfile.LargeZipFile, ValueError, EOFError, OverflowError, NotImplementedError) as err:
        raise InputError(f"{name} is not a usable zip file: {err}") from None
    _NAMES[archive] = name
    return archive


#: Bytes inflated so far from each open package, and its name (see :func:`read_member`).
_INFLATED: weakref.WeakKeyDictionary[zipfile.ZipFile, int] = weakref.WeakKeyDictionary()
_NAMES: weakref.WeakKeyDictionary[zipfile.ZipFile, str] = weakref.WeakKeyDictionary()


def read_member(archive: zipfile.ZipFile, path: str, cap: int) -> bytes:
    """The first ``cap`` bytes of member ``path``, inflated in chunks (never more than ``cap``).

    What is inflated is counted against the member's declared size and, for the whole package,
    against Lambda's 250 MB unzipped limit, so a zip whose sizes lie cannot take memory. Raises
    :class:`InputError` (exit 3) for a member that is corrupt (a bad CRC, a broken stream), is
    encrypted, or inflates beyond what it declares.
    """
    info = archive.getinfo(path)
    name = _NAMES.get(archive, "the package")
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while len(out) < cap:
                chunk = stream.read(min(_CHUNK, cap - len(out)))
                if not chunk:
                    break
                out += chunk
                total = _INFLATED.get(archive, 0) + len(chunk)
                _INFLATED[archive] = total
                if len(out) > info.file_size or total > MAX_UNZIPPED:
                    raise InputError(
                        f"{name}: {path} inflates to more than its declared "
                        f"{info.file_size:,} bytes (or the package beyond Lambda's "
                        f"{MAX_UNZIPPED:,}-byte unzipped limit)"
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as err:
        raise InputError(f"{name}: {path} is corrupt: {err}") from None
    except RuntimeError as err:  # zipfile: "File ... is encrypted, password required"
        raise InputError(f"{name}: {path} cannot be read: {err}") from None
    return bytes(out)


def _size_results(package: FunctionPackage, archive: zipfile.ZipFile) -> list[LambdaResult]:
    """Lambda's package limits, from the zip's length and its members' declared sizes."""
    name = package.name or "the package"
    zipped = len(package.code or b"")
    unzipped = sum(max(info.file_size, 0) for info in archive.infolist())
    results = []
    if zipped > MAX_ZIPPED:
        results.append(
            LambdaResult(
                None,
                Status.WARN,
                f"{name} is {zipped:,} bytes zipped; Lambda's API takes at most {MAX_ZIPPED:,} "
                "(50 MB): upload it through Amazon S3",
            )
        )
    if unzipped > MAX_UNZIPPED:
        results.append(
            LambdaResult(
                None,
                Status.FAIL,
                f"{name} unzips to {unzipped:,} bytes (by its members' declared sizes); "
                f"Lambda's limit is {MAX_UNZIPPED:,} (250 MB unzipped); its files were not read",
            )
        )
    return results


def check_function(
    package: FunctionPackage,
    *,
    lookup: CognitoLookup | None = None,
    node_check: NodeSyntaxChecker | None = None,
    live_hint: str = "--function NAME",
) -> LambdaReport:
    """Run every check on one function package.

    ``lookup`` ``None`` (offline) turns the pool/client checks into ``skip`` results naming
    ``live_hint``. Raises :class:`InputError` for a handler without a dot or code that is not a
    zip file.
    """
    name = package.name or "the package"
    results: list[LambdaResult] = []
    sources: dict[str, bytes] = {}
    runtime = package.runtime.lower()
    if package.package_type.lower() == "image":
        results.append(
            LambdaResult(
                None, Status.SKIP, "container image function: the package checks read zips only"
            )
        )
    elif runtime.startswith(("python", "nodejs")):
        parse_handler(package.handler)
        with _open_zip(package.code or b"", name) as archive:
            sized = _size_results(package, archive)
            results.extend(sized)
            # a package over Lambda's limit is not inflated: it would prove nothing more
            if not any(r.status is Status.FAIL for r in sized):
                if runtime.startswith("python"):
                    results.extend(_python_checks(archive, package, sources))
                else:
                    results.extend(_node_checks(archive, package, node_check, sources))
    else:
        results.append(
            LambdaResult(
                None,
                Status.SKIP,
                f"runtime {package.runtime}: the package checks cover python and nodejs",
            )
        )
    results.extend(_reference_checks(package, lookup, sources, live_hint))
    results.append(_timeout_check(package, live_hint))
    return LambdaReport(function=name, results=tuple(results))


# -- Python ---------------------------------------------------------------------------------


def _module_map(names: Sequence[str]) -> dict[str, str]:
    """Importable module name -> path in the zip, for ``.py`` files at any depth."""
    out: dict[str, str] = {}
    for path in names:
        if not path.endswith(".py"):
            continue
        parts = PurePosixPath(path).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and all(p.isidentifier() for p in parts):
            out.setdefault(".".join(parts), path)
    return out


def _runtime_version(runtime: str) -> tuple[int, int] | None:
    found = re.fullmatch(r"python(\d+)\.(\d+)", runtime.lower())
    return (int(found.group(1)), int(found.group(2))) if found else None


@dataclass(frozen=True, slots=True)
class _Parsed:
    tree: ast.Module | None
    error: SyntaxError | None


def _parse(source: bytes, path: str, version: tuple[int, int] | None) -> _Parsed:
    """``compile()`` the file (catches compiler-level errors too), then re-parse it with the
    runtime's grammar when the runtime is older than this interpreter."""
    try:
        compile(source, path, "exec", dont_inherit=True)
        tree = ast.parse(source, path)
        if version is not None and version < sys.version_info[:2] and version >= (3, 4):
            ast.parse(source, path, feature_version=version)
    except SyntaxError as err:
        return _Parsed(None, err)
    except ValueError as err:  # null bytes in source
        return _Parsed(None, SyntaxError(str(err), (path, 1, 0, "")))
    return _Parsed(tree, None)


def _imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Module names a module imports (and their parents), relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _prefixes(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                keep = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*keep, base] if base else keep)
            if base:
                yield from _prefixes(base)
                for alias in node.names:
                    if alias.name != "*":
                        yield f"{base}.{alias.name}"


def _prefixes(dotted: str) -> Iterator[str]:
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        yield ".".join(parts[:i])


def _top_level_names(tree: ast.Module) -> tuple[set[str], bool]:
    """Names a module binds at top level, and whether it may bind others dynamically."""
    names: set[str] = set()
    dynamic = False

    def visit(body: Sequence[ast.stmt]) -> None:
        nonlocal dynamic
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
                if node.name == "__getattr__":
                    dynamic = True
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    names.update(_target_names(target))
            elif isinstance(node, ast.AnnAssign | ast.AugAssign):
                names.update(_target_names(node.target))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        dynamic = True
                    names.add(alias.asname or alias.name)
            elif isinstance(node, ast.If | ast.For | ast.While | ast.With | ast.AsyncWith):
                visit(node.body)
                visit(getattr(node, "orelse", []))
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.Expr) and "globals()" in ast.unparse(node):
                dynamic = True

    visit(tree.body)
    return names, dynamic


def _target_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        out: set[str] = set()
        for element in target.elts:
            out |= _target_names(element)
        return out
    return set()


def _read(archive: zipfile.ZipFile, path: str) -> bytes | None:
    info = archive.getinfo(path)
    if info.file_size > _MAX_SOURCE_BYTES:
        return None
    return read_member(archive, path, _MAX_SOURCE_BYTES)


#: Syntax added after Python 3.11 (the interpreter here): PEP 695 type parameters and ``type``
#: statements, PEP 701 f-strings (3.12); ``except A, B:`` (PEP 758) and t-strings (3.14). A
#: syntax error on a line that uses one of them may be valid in a newer runtime.
_NEWER_SYNTAX = re.compile(
    r"""(?x)
    ^\s*type\s+\w+\s*(\[|=)            # type X = ... / type X[T] = ...
    | \b(?:def|class)\s+\w+\s*\[       # def f[T](...) / class C[T]:
    | (?<![\w'"])[fFtT][rR]?['"]        # f-strings and t-strings
    | ^\s*except\s+[^(:]+,             # except A, B:
    """
)


def _syntax_result(
    err: SyntaxError,
    path: str,
    module: str,
    version: tuple[int, int] | None,
) -> LambdaResult:
    """A syntax error as the runtime reports it; ``warn`` instead of ``fail`` when the runtime
    is newer than this interpreter and the line uses syntax only newer Pythons accept."""
    here = sys.version_info[:2]
    status = Status.FAIL
    note = ""
    if version is not None and version > here and _NEWER_SYNTAX.search(err.text or ""):
        status = Status.WARN
        note = (
            f" (checked with Python {here[0]}.{here[1]}; this line may be valid in "
            f"python{version[0]}.{version[1]})"
        )
    return LambdaResult(
        "UserCodeSyntaxError",
        status,
        f"Syntax error in module '{module}': {err.msg}{note}",
        file=path,
        line=err.lineno,
    )


def _python_checks(
    archive: zipfile.ZipFile, package: FunctionPackage, sources: dict[str, bytes]
) -> Iterator[LambdaResult]:
    module_path, func = parse_handler(package.handler)
    module = module_path.replace("/", ".")
    names = [n for n in archive.namelist() if not n.endswith("/")]
    modules = _module_map(names)
    path = modules.get(module)
    if path is None:
        stem = module.replace(".", "/")
        native = [n for n in names if n.startswith(stem + ".") and n.endswith((".so", ".pyc"))]
        if native:
            yield LambdaResult(
                "ImportModuleError",
                Status.PASS,
                f"handler module '{module}' is compiled ({native[0]}); its source is not checked",
                file=native[0],
            )
            return
        elsewhere = [n for n in names if n.endswith("/" + stem + ".py")]
        hint = (
            f"; found {elsewhere[0]}: zip the folder's contents, not the folder, or set the "
            f"handler to {elsewhere[0][:-3]}.{func}"
            if elsewhere
            else ""
        )
        layered = bool(package.layers)
        yield LambdaResult(
            "ImportModuleError",
            Status.WARN if layered else Status.FAIL,
            f"Unable to import module '{module}': no {stem}.py in the package{hint}"
            + ("; it may come from one of the function's layers" if layered else ""),
        )
        return
    yield LambdaResult(
        "ImportModuleError", Status.PASS, f"handler module '{module}' is {path}", file=path
    )
    version = _runtime_version(package.runtime)
    # the handler module and every first-party module it reaches: a syntax error fails the import
    reached: dict[str, str] = {}
    queue = [module]
    trees: dict[str, ast.Module] = {}
    syntax_failed = False
    while queue:
        current = queue.pop()
        current_path = modules.get(current)
        if current_path is None or current in reached:
            continue
        reached[current] = current_path
        source = _read(archive, current_path)
        if source is None:
            continue
        sources[current_path] = source
        parsed = _parse(source, current_path, version)
        if parsed.error is not None:
            syntax_failed = True
            yield _syntax_result(parsed.error, current_path, module, version)
            continue
        assert parsed.tree is not None
        trees[current] = parsed.tree
        queue.extend(_imports(parsed.tree, current, current_path.endswith("__init__.py")))
    if not syntax_failed:
        yield LambdaResult(
            "UserCodeSyntaxError",
            Status.PASS,
            f"{len(reached)} module(s) reached from the handler compile",
            file=path,
        )
    # other first-party files: a syntax error matters only if something imports them later
    tops = _dependency_tops(archive, names)
    for other, other_path in sorted(modules.items()):
        if other in reached or _is_dependency(other_path, tops):
            continue
        source = _read(archive, other_path)
        if source is None:
            continue
        sources[other_path] = source
        parsed = _parse(source, other_path, version)
        if parsed.error is not None:
            yield LambdaResult(
                "UserCodeSyntaxError",
                Status.WARN,
                f"syntax error in {other_path}: {parsed.error.msg}; the handler does not import "
                "it directly, so it fails only if something imports it",
                file=other_path,
                line=parsed.error.lineno,
            )
    tree = trees.get(module)
    if tree is None:
        return
    bound, dynamic = _top_level_names(tree)
    if func in bound:
        yield LambdaResult(
            "HandlerNotFound", Status.PASS, f"'{func}' is defined in {path}", file=path
        )
    elif dynamic:
        yield LambdaResult(
            "HandlerNotFound",
            Status.WARN,
            f"'{func}' is not defined by name in {path}, which may bind it dynamically "
            "(star import, __getattr__, globals())",
            file=path,
        )
    else:
        yield LambdaResult(
            "HandlerNotFound",
            Status.FAIL,
            f"Handler '{func}' missing on module '{module}': {path} defines no '{func}'",
            file=path,
        )


def _dependency_tops(archive: zipfile.ZipFile, names: Sequence[str]) -> frozenset[str]:
    """Top-level names of installed distributions (``pip install -t``): from each
    ``*.dist-info``/``*.egg-info`` directory's name, ``top_level.txt`` and ``RECORD``."""
    tops: set[str] = set()
    for name in names:
        parts = PurePosixPath(name).parts
        if len(parts) != 2 or not parts[0].endswith((".dist-info", ".egg-info")):
            continue
        tops.add(parts[0].rsplit(".", 1)[0].split("-")[0].lower())
        if parts[1] in ("top_level.txt", "RECORD"):
            text = read_member(archive, name, _MAX_SOURCE_BYTES).decode("utf-8", errors="replace")
            for row in text.splitlines():
                head = PurePosixPath(row.split(",")[0]).parts[:1]
                if head and not head[0].endswith((".dist-info", ".egg-info")):
                    tops.add(head[0].removesuffix(".py").lower())
    return frozenset(tops)


def _is_dependency(path: str, tops: frozenset[str]) -> bool:
    """True for a file of an installed distribution, which is not the function's own code."""
    head = PurePosixPath(path).parts[0].removesuffix(".py").lower()
    return head in tops or head.replace("-", "_") in tops


# -- Node.js --------------------------------------------------------------------------------


def _node_exports(source: str, name: str) -> bool:
    escaped = re.escape(name)
    patterns = (
        rf"exports\.{escaped}\s*=",
        rf"exports\[['\"]{escaped}['\"]\]\s*=",
        r"module\.exports\s*=",
        rf"export\s+(?:async\s+)?function\s*\*?\s*{escaped}\b",
        rf"export\s+(?:const|let|var)\s+{escaped}\b",
        rf"export\s*\{{[^}}]*\b{escaped}\b[^}}]*\}}",
    )
    return any(re.search(p, source) for p in patterns)


def _node_checks(
    archive: zipfile.ZipFile,
    package: FunctionPackage,
    node_check: NodeSyntaxChecker | None,
    sources: dict[str, bytes],
) -> Iterator[LambdaResult]:
    # The Node.js runtime splits "dir/file.a.b" into module "dir/file" and handler path "a.b".
    directory, _, base = package.handler.rpartition("/")
    module, _, handler_path = base.partition(".")
    stem = f"{directory}/{module}" if directory else module
    names = set(archive.namelist())
    path = next((stem + ext for ext in _NODE_EXTENSIONS if stem + ext in names), None)
    if path is None:
        ts = stem + ".ts" if stem + ".ts" in names else None
        hint = f"; found {ts}: compile TypeScript to JavaScript before packaging" if ts else ""
        yield LambdaResult(
            "ImportModuleError",
            Status.WARN if package.layers else Status.FAIL,
            f"Error: Cannot find module '{stem}': no {stem}.js, .mjs or .cjs in the package{hint}",
        )
        return
    yield LambdaResult("ImportModuleError", Status.PASS, f"handler file is {path}", file=path)
    source = _read(archive, path)
    if source is None:
        return
    sources[path] = source
    if node_check is None:
        yield LambdaResult(
            "UserCodeSyntaxError", Status.SKIP, "node --check not run (no checker)", file=path
        )
    else:
        outcome = node_check(package.code or b"", path)
        if outcome is None:
            yield LambdaResult(
                "UserCodeSyntaxError",
                Status.SKIP,
                "node is not installed here, so the syntax was not checked",
                file=path,
            )
        elif outcome.ok:
            yield LambdaResult(
                "UserCodeSyntaxError", Status.PASS, "node --check accepts it", file=path
            )
        else:
            yield LambdaResult(
                "UserCodeSyntaxError",
                Status.FAIL,
                outcome.message or "node --check rejects it",
                file=path,
                line=outcome.line,
            )
    first = handler_path.split(".")[0]
    if _node_exports(source.decode("utf-8", errors="replace"), first):
        yield LambdaResult(
            "HandlerNotFound", Status.PASS, f"{path} exports '{first}' (by pattern)", file=path
        )
    else:
        yield LambdaResult(
            "HandlerNotFound",
            Status.WARN,
            f"{path} does not visibly export '{first}' (Runtime.HandlerNotFound: "
            f"{package.handler} is undefined or not exported)",
            file=path,
        )


# -- references and timeout ------------------------------------------------------------------


def _required_flows(sources: Mapping[str, bytes]) -> tuple[tuple[str, ...], str]:
    """The flows the code needs: admin unless it only calls the client-side InitiateAuth."""
    admin = any(_USES_ADMIN.search(s) for s in sources.values())
    user = any(_USES_USER.search(s) for s in sources.values())
    if user and not admin:
        return _USER_FLOWS, "USER_PASSWORD_AUTH (the code calls InitiateAuth)"
    return _ADMIN_FLOWS, "ADMIN_USER_PASSWORD_AUTH (for AdminInitiateAuth)"


def _reference_checks(
    package: FunctionPackage,
    lookup: CognitoLookup | None,
    sources: Mapping[str, bytes],
    live_hint: str,
) -> Iterator[LambdaResult]:
    pools, clients = find_ids(package.environment)
    if not pools and not clients:
        yield LambdaResult(
            "ResourceNotFoundException",
            Status.SKIP,
            "no user pool or app client ID in the environment: nothing to look up",
        )
        return
    if lookup is None:
        for pool in pools:
            yield LambdaResult(
                "ResourceNotFoundException",
                Status.SKIP,
                f"user pool {pool}: not looked up offline (run with {live_hint})",
            )
        for client in clients:
            yield LambdaResult(
                "ResourceNotFoundException",
                Status.SKIP,
                f"app client {client}: not looked up offline (run with {live_hint})",
            )
        return
    existing = []
    for pool in pools:
        region = pool.split("_", 1)[0]
        if lookup.pool_exists(pool):
            existing.append(pool)
            yield LambdaResult(
                "ResourceNotFoundException", Status.PASS, f"user pool {pool} exists in {region}"
            )
        else:
            yield LambdaResult(
                "ResourceNotFoundException",
                Status.FAIL,
                f"User pool {pool} does not exist in {region} in this account: check the ID, "
                "the region and the account the function runs in",
            )
    flows, flow_label = _required_flows(sources)
    for client in clients:
        if not existing:
            yield LambdaResult(
                "ResourceNotFoundException",
                Status.SKIP,
                f"app client {client}: no existing user pool ID in the environment to look it up in",
            )
            continue
        info = next((c for c in (lookup.client(p, client) for p in existing) if c), None)
        if info is None:
            yield LambdaResult(
                "ResourceNotFoundException",
                Status.FAIL,
                f"User pool client {client} does not exist in {', '.join(existing)}",
            )
            continue
        yield LambdaResult(
            "ResourceNotFoundException",
            Status.PASS,
            f"app client {client} exists in {info.pool_id}",
        )
        if any(f in info.explicit_auth_flows for f in flows):
            yield LambdaResult(
                "InvalidParameterException",
                Status.PASS,
                f"app client {client} allows {flow_label}",
            )
        else:
            allowed = ", ".join(info.explicit_auth_flows) or "the defaults"
            update = shell_command(
                [
                    *("aws", "cognito-idp", "update-user-pool-client"),
                    *("--user-pool-id", info.pool_id, "--client-id", client),
                    "--explicit-auth-flows",
                    *sorted({*info.explicit_auth_flows, flows[0]}),
                ]
            )
            yield LambdaResult(
                "InvalidParameterException",
                Status.FAIL,
                f"Auth flow not enabled for this client: app client {client} allows {allowed}, "
                f"not {flow_label}; add {flows[0]} with `{update}` "
                "(also pass every other setting you keep: omitted ones reset to defaults)",
            )


def _timeout_check(package: FunctionPackage, live_hint: str) -> LambdaResult:
    if package.timeout is None:
        return LambdaResult(
            None, Status.SKIP, f"timeout unknown offline (run with {live_hint} to read it)"
        )
    if package.timeout > COGNITO_TRIGGER_TIMEOUT:
        return LambdaResult(
            None,
            Status.WARN,
            f"Timeout is {package.timeout} s but Cognito waits only {COGNITO_TRIGGER_TIMEOUT} s: "
            '"When Amazon Cognito calls your Lambda function, it must respond within 5 seconds. '
            "If it does not, Amazon Cognito retries the call. After three unsuccessful attempts, "
            'the function times out." Make the migration answer within 5 s and set the timeout '
            "to 5 s so a slow call fails visibly in its own logs",
        )
    return LambdaResult(
        None,
        Status.PASS,
        f"timeout {package.timeout} s fits Cognito's {COGNITO_TRIGGER_TIMEOUT}-second limit",
    )
