"""One package: every file's SDK calls, with the dependencies a package bundles left out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from iam_audit.codecalls.interface import CodeCalls, OperationMap, SdkCall

__all__ = ["JS_EXTENSIONS", "analyse_package", "is_dependency"]

JS_EXTENSIONS = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
#: Larger files are minified bundles of libraries, not the function's code.
_MAX_FILE = 4 * 1024 * 1024
_DIST_INFO = re.compile(r"^([A-Za-z0-9_.]+)-[^/]*\.(?:dist|egg)-info$")


def _dependency_tops(paths: list[str]) -> frozenset[str]:
    """Top-level names installed next to a ``*.dist-info`` folder (``pip install -t .``)."""
    tops: set[str] = set()
    for path in paths:
        first = path.split("/", 1)[0]
        match = _DIST_INFO.match(first)
        if match:
            tops.add(match.group(1).lower().replace("-", "_"))
    return frozenset(tops)


def is_dependency(path: str, tops: frozenset[str] = frozenset()) -> bool:
    """Installed libraries: ``node_modules``, ``site-packages``, dist-info, type declarations."""
    parts = PurePosixPath(path).parts
    if any(p in ("node_modules", "site-packages", "__pycache__") for p in parts):
        return True
    if path.endswith((".d.ts", ".d.mts", ".d.cts", ".min.js")) or ".dist-info/" in path:
        return True
    if parts and parts[0].lower().replace("-", "_") in tops:
        return True
    return bool(parts) and parts[0].endswith((".dist-info", ".egg-info"))


def analyse_package(files: Mapping[str, bytes], ops: OperationMap, name: str) -> CodeCalls:
    """The SDK calls of every first-party Python and JavaScript/TypeScript file in ``files``."""
    # the analysers are loaded by the commands that read code, not by every one that imports this
    from iam_audit.codecalls.javascript import analyse_javascript
    from iam_audit.codecalls.python import analyse_python

    calls: list[SdkCall] = []
    triggers: set[str] = set()
    notes: list[str] = []
    analysed: list[str] = []
    paths = sorted(files)
    tops = _dependency_tops(paths)
    for path in paths:
        if is_dependency(path, tops):
            continue
        data = files[path]
        if path.endswith(".py"):
            found, seen, said = analyse_python(path, data, ops)
        elif path.endswith(JS_EXTENSIONS):
            if len(data) > _MAX_FILE:
                notes.append(f"{path}: larger than 4 MB, not analysed")
                continue
            found, seen, said = analyse_javascript(path, data, ops)
        else:
            continue
        analysed.append(path)
        calls.extend(found)
        triggers |= seen
        notes.extend(said)
    calls.sort(key=lambda c: (c.file, c.line, c.operation))
    return CodeCalls(
        package=name,
        calls=tuple(calls),
        trigger_sources=tuple(sorted(triggers)),
        files=tuple(analysed),
        notes=tuple(notes),
    )
