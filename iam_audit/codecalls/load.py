"""Reading a function's package: a zip file or a folder, into ``{path: bytes}`` (an I/O edge)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from iam_audit.codecalls.analyse import JS_EXTENSIONS, is_dependency
from iam_audit.errors import InputError

__all__ = ["files_from_zip", "read_package"]

#: Lambda's limit for an unzipped package is 250 MB; only source files are read.
_MAX_TOTAL = 256 * 1024 * 1024
_SOURCES = (".py", *JS_EXTENSIONS)


def files_from_zip(data: bytes, name: str) -> dict[str, bytes]:
    """The source files of a zip package (dependencies' folders are left out)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"{name} is not a zip file") from None
    out: dict[str, bytes] = {}
    total = 0
    with archive:
        for info in archive.infolist():
            path = info.filename
            if info.is_dir() or not path.endswith(_SOURCES) or is_dependency(path):
                continue
            if path.startswith("/") or ".." in path.split("/"):
                continue
            total += info.file_size
            if total > _MAX_TOTAL:
                raise InputError(f"{name}: its sources are larger than 256 MB unzipped")
            try:
                out[path] = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as err:
                raise InputError(f"{name}: cannot read {path}: {err}") from None
    return out


def read_package(path: Path) -> dict[str, bytes]:
    """A ``.zip`` file's or a folder's source files, by path relative to the package root."""
    if path.is_dir():
        out: dict[str, bytes] = {}
        total = 0
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(path).as_posix()
            if not file.is_file() or not relative.endswith(_SOURCES) or is_dependency(relative):
                continue
            try:
                data = file.read_bytes()
            except OSError as err:
                raise InputError(f"cannot read {file}: {err.strerror}") from None
            total += len(data)
            if total > _MAX_TOTAL:
                raise InputError(f"{path}: its sources are larger than 256 MB")
            out[relative] = data
        return out
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"function code {path} does not exist") from None
    except OSError as err:
        raise InputError(f"cannot read function code {path}: {err.strerror}") from None
    return files_from_zip(data, str(path))
