"""``node --check`` on a handler file from a zip: the one place preflight runs a program.

It writes the handler file and the ``package.json`` files above it (they decide CommonJS or ES
module) into a temporary directory, runs ``node --check`` there and reads the first error.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from iam_audit.preflight.lambdacheck import MAX_UNZIPPED, NodeCheck, read_member

__all__ = ["node_check"]

_LOCATION = re.compile(r":(\d+)\s*$")


def _safe(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts


def node_check(code: bytes, path: str, *, node: str | None = None) -> NodeCheck | None:
    """Run ``node --check`` on ``path`` from the zip ``code``; ``None`` when node is missing.

    ``node`` overrides the executable looked up on ``PATH`` (tests use it to simulate absence).
    """
    executable = node if node is not None else shutil.which("node")
    if not executable or not Path(executable).exists() or not _safe(path):
        return None
    with zipfile.ZipFile(io.BytesIO(code)) as archive, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wanted = [path]
        parent = PurePosixPath(path).parent
        while True:
            wanted.append(str(parent / "package.json") if str(parent) != "." else "package.json")
            if str(parent) in (".", ""):
                break
            parent = parent.parent
        names = set(archive.namelist())
        for name in wanted:
            if name in names and _safe(name):
                target = root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(read_member(archive, name, MAX_UNZIPPED))
        try:
            done = subprocess.run(
                [executable, "--check", str(root / path)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    if done.returncode == 0:
        return NodeCheck(ok=True)
    lines = done.stderr.splitlines()
    line = None
    if lines:
        found = _LOCATION.search(lines[0])
        line = int(found.group(1)) if found else None
    message = next((x.strip() for x in lines if re.match(r"\s*\w*Error\b", x)), "")
    return NodeCheck(ok=False, message=message or "node --check failed", line=line)
