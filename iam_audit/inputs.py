"""The one reader of every file the tool is given, and the guard of every path it writes.

Every source, preflight check and command reads its files through :func:`read_bytes`,
:func:`read_text`, :func:`read_json` or :func:`open_binary`, so every bad input meets the same
rules and gives the same kind of answer, one line and exit 3 (:class:`InputError`):

* only a regular file is read (or ``-``, standard input): a directory, a FIFO, a socket or a
  device (``/dev/zero``) is refused after ``os.stat`` and before any read; the file is opened
  with ``O_NONBLOCK`` and checked again with ``fstat``, so a path swapped for a FIFO between the
  two calls cannot make the open wait for a writer;
* a file larger than the limit of its kind is refused before it is read, and no more than the
  limit is ever read from standard input;
* text is UTF-8, with or without a byte-order mark;
* JSON that nests too deeply, or holds a number Python refuses to convert, is an error naming
  the file, never a ``RecursionError``.

Paths written go through :func:`safe_name` (a name from input becomes one file name, never a
path) and :func:`inside` (the path resolves, after symlinks, inside its folder);
:func:`refuse_overlap` refuses an output that is also an input, or two outputs on one path,
before anything is read or written.
"""

from __future__ import annotations

import gc
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar, overload

from iam_audit.errors import InputError

T = TypeVar("T")

__all__ = [
    "ACCOUNT_DETAILS",
    "MAX_ACCOUNT",
    "MAX_CONFIG",
    "MAX_JSON",
    "MAX_LOG",
    "MAX_PLAN",
    "MAX_POLICY",
    "MAX_TEMPLATE",
    "STDIN",
    "check_regular",
    "inside",
    "open_binary",
    "parse_json",
    "paused_gc",
    "read_account",
    "read_ahead",
    "read_bytes",
    "read_json",
    "read_text",
    "refuse_overlap",
    "safe_name",
]


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: for building many objects that hold no cycles (a
    decoded account, the answers over its principals), where each collection would walk every
    object built so far. Reference counting still frees everything as usual; the collector
    runs again afterwards if it ran before."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


#: The name that stands for standard input.
STDIN = "-"

MiB = 1024 * 1024

#: IAM's largest policy is a managed policy of 6,144 characters, a resource policy of a few
#: tens of KB; a policy file above 1 MiB is not a policy.
MAX_POLICY = 1 * MiB
#: CloudFormation accepts template bodies of at most 1 MB from S3; 16 MiB leaves room for
#: ``cdk synth`` output with metadata that is stripped before deploying.
MAX_TEMPLATE = 16 * MiB
#: ``terraform show -json`` of a large plan, or an account's authorization details.
MAX_PLAN = 512 * MiB
#: An account's authorization details (the largest are parsed from a memory map).
MAX_ACCOUNT = 4096 * MiB
#: What messages call the file ``aws iam get-account-authorization-details`` writes.
ACCOUNT_DETAILS = "authorization details"
#: Small JSON documents: a header file, describe-user-pool output, a backup.
MAX_JSON = 16 * MiB
#: ``pyproject.toml`` / ``.iam-audit.toml``.
MAX_CONFIG = 1 * MiB
#: An exported log file (``aws logs filter-log-events``) or a log stream on standard input.
MAX_LOG = 256 * MiB

_CHUNK = 1 * MiB


def _problem(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "no such file"
    if isinstance(err, PermissionError):
        return "permission denied"
    return (err.strerror or str(err)).lower()


def _not_regular(mode: int) -> str | None:
    """Why a file of ``mode`` is not read, or ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a regular file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def check_regular(path: Path | str, what: str) -> os.stat_result:
    """``os.stat(path)`` when ``path`` is a regular file; :class:`InputError` otherwise.

    Nothing is opened, so a FIFO without a writer cannot block.
    """
    try:
        info = os.stat(path)
    except OSError as err:
        raise InputError(f"cannot read {what} {path}: {_problem(err)}") from None
    except ValueError:  # "embedded null byte"
        raise InputError(f"cannot read {what} {str(path)!r}: its name holds a NUL byte") from None
    why = _not_regular(info.st_mode)
    if why:
        raise InputError(f"cannot read {what} {path}: it {why}")
    return info


def _too_large(
    what: str, path: Path | str, size: int | None, limit: int, rule: str | None
) -> InputError:
    shown = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return InputError(
        f"cannot read {what} {path}: it is {shown}; "
        f"{rule or f'a {what} is at most'} {limit:,} bytes"
    )


def _open_fd(path: Path | str, what: str) -> int:
    """A read-only descriptor of the regular file ``path`` (never blocks on a FIFO)."""
    check_regular(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(f"cannot read {what} {path}: {_problem(err)}") from None
    try:
        why = _not_regular(os.fstat(fd).st_mode)
        if why:  # swapped between the stat and the open
            raise InputError(f"cannot read {what} {path}: it {why}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_capped(
    handle: IO[bytes],
    what: str,
    path: Path | str,
    limit: int,
    rule: str | None,
    size: int = 0,
    *,
    writable: bool = False,
) -> bytes | bytearray:
    """Up to ``limit`` bytes of ``handle``. ``size``: what the file's size says; it is read in
    one call (no copy), and only a file that grew since is read on in chunks. ``writable``: in
    a :class:`bytearray` (read into, no copy either)."""
    if size:
        want = min(size, limit) + 1
        data: bytes | bytearray
        if writable:
            data = bytearray(want)
            got = 0
            with memoryview(data) as view:
                while got < want:
                    with view[got:] as rest:
                        count = handle.readinto(rest)  # type: ignore[attr-defined]
                    if not count:
                        break
                    got += count
            del data[got:]
        else:
            data = handle.read(want)
        if len(data) > limit:
            raise _too_large(what, path, None, limit, rule)
        if len(data) <= size:
            return data  # a regular file returns less than asked only at its end
        buffer = bytearray(data)
    else:
        buffer = bytearray()
    while True:
        chunk = handle.read(min(_CHUNK, limit + 1 - len(buffer)))
        if not chunk:
            return buffer if writable else bytes(buffer)
        buffer += chunk
        if len(buffer) > limit:
            raise _too_large(what, path, None, limit, rule)


@overload
def read_bytes(path: Path | str, what: str, limit: int, *, rule: str | None = None) -> bytes: ...
@overload
def read_bytes(
    path: Path | str, what: str, limit: int, *, rule: str | None = None, writable: bool
) -> bytes | bytearray: ...
def read_bytes(
    path: Path | str, what: str, limit: int, *, rule: str | None = None, writable: bool = False
) -> bytes | bytearray:
    """The bytes of the regular file ``path`` (``-``: standard input), at most ``limit``.

    ``what`` names the input in messages ("template", "log file"); ``rule`` words the limit
    ("Lambda's limit for a zipped package is"); ``writable``: in a :class:`bytearray`. Raises
    :class:`InputError` for a missing, unreadable or non-regular file, or one larger than
    ``limit``.
    """
    if str(path) == STDIN:
        return _read_capped(_stdin(), what, "(standard input)", limit, rule, writable=writable)
    fd = _open_fd(path, what)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise _too_large(what, path, size, limit, rule)
        try:
            return _read_capped(handle, what, path, limit, rule, size, writable=writable)
        except OSError as err:
            raise InputError(f"cannot read {what} {path}: {_problem(err)}") from None


def _stdin() -> IO[bytes]:
    """Standard input's bytes, unbuffered where it has a file behind it: a thread reading it
    (:func:`read_ahead`) then holds no lock of ``sys.stdin``, which the interpreter takes as it
    exits (were a command to fail before it waits for the read, with standard input still open,
    exiting would abort: "could not acquire lock ... possibly due to daemon threads"). Nothing
    reads standard input before a command's one read of it, so its buffer holds nothing."""
    buffer = sys.stdin.buffer
    return getattr(buffer, "raw", buffer)


@overload
def read_account(path: Path | str) -> bytes: ...
@overload
def read_account(path: Path | str, *, writable: bool) -> bytes | bytearray: ...
def read_account(path: Path | str, *, writable: bool = False) -> bytes | bytearray:
    """The bytes of an account's authorization-details file (``-``: standard input), without a
    byte-order mark. It is read here, not beside its decoder
    (:mod:`iam_audit.sources.auth_details`), so that a command can start the read before it
    loads the modules that decode it (:func:`read_ahead`). ``writable``: in a
    :class:`bytearray` (a decoder that splices the text in place:
    :meth:`~iam_audit.sources.auth_details.UndecodedSource.load_roles`)."""
    data = read_bytes(path, ACCOUNT_DETAILS, MAX_ACCOUNT, writable=writable)
    if isinstance(data, bytearray):
        if data.startswith(b"\xef\xbb\xbf"):
            del data[:3]
        return data
    return data.removeprefix(b"\xef\xbb\xbf")


def read_ahead(read: Callable[[], T]) -> Callable[[], T]:
    """``read()`` begun now, in a thread of its own, while the caller goes on (a command loads
    its modules: a large file's read waits on the kernel, which runs beside them); the function
    returned waits for the read, once, and returns what it gave or raises what it raised, so an
    error is raised where the caller would have read the file itself, after the errors it
    finds before that. Call it before forking (:func:`iam_audit.workers.run_split` forks only
    while no other thread runs). A caller that fails first leaves the thread behind, to end with
    the process: a read of standard input may wait for ever."""
    import threading

    done: list[tuple[bool, Any]] = []

    def reading() -> None:
        try:
            done.append((True, read()))
        except BaseException as error:  # raised by the caller, in its own thread
            done.append((False, error))

    thread = threading.Thread(target=reading, name="read-ahead", daemon=True)
    thread.start()

    def wait() -> T:
        thread.join()
        ok, value = done.pop()
        if not ok:
            raise value
        return value

    return wait


def decode_text(data: bytes, what: str, path: Path | str) -> str:
    """UTF-8 text of ``data`` without its byte-order mark; :class:`InputError` if not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{what} {path} is not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        ) from None


def read_text(path: Path | str, what: str, limit: int) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a leading byte-order mark is dropped)."""
    return decode_text(read_bytes(path, what, limit), what, path)


def parse_json(text: str | bytes, what: str, path: Path | str) -> Any:
    """JSON from ``text``; :class:`InputError` naming the file for anything that is not JSON.

    Deep nesting (Python's parser recurses), numbers over Python's digit limit and a non-UTF-8
    byte are each one line, not an exception.
    """
    if isinstance(text, bytes | bytearray):
        text = decode_text(bytes(text), what, path)
    name = f"{what} {path}".strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{name} is not valid JSON (line {err.lineno} column {err.colno}: {err.msg})"
        ) from None
    except RecursionError:
        raise InputError(f"{name} is not usable JSON: it nests too deeply") from None
    except ValueError as err:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"{name} is not usable JSON: {err}") from None


def read_json(path: Path | str, what: str, limit: int = MAX_JSON) -> Any:
    """:func:`read_text` parsed as JSON (see :func:`parse_json`)."""
    return parse_json(read_text(path, what, limit), what, path)


def open_binary(path: Path | str, what: str, limit: int = MAX_LOG) -> IO[bytes]:
    """A seekable binary stream of the regular file ``path``, for reading in passes.

    ``-`` copies standard input (at most ``limit`` bytes) to a temporary file first, as a pipe
    cannot be read twice.
    """
    if str(path) == STDIN:
        import tempfile  # only for standard input (its import costs every command's start)

        spool = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
        copied = 0
        while chunk := sys.stdin.buffer.read(_CHUNK):
            copied += len(chunk)
            if copied > limit:
                spool.close()
                raise _too_large(what, "(standard input)", None, limit, None)
            spool.write(chunk)
        spool.seek(0)
        return spool
    return os.fdopen(_open_fd(path, what), "rb")


# -- paths written -----------------------------------------------------------------------------

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=,@")
#: Longest encoded name kept whole; longer ones are cut and end in a digest of the whole name.
_MAX_NAME = 180


def safe_name(name: str) -> str:
    """``name`` as one file name: every byte outside ``[A-Za-z0-9_+=,@-]`` percent-encoded.

    ``.`` and ``%`` are encoded too, so the result never is ``.`` or ``..``, never holds a
    separator, NUL or control character, and two distinct names never give one result (decode
    with ``urllib.parse.unquote``). A result over 180 characters is cut and ends in ``~`` and a
    SHA-256 digest of the whole name (``~`` is otherwise always encoded).
    """
    data = name.encode("utf-8", errors="surrogatepass")
    encoded = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in data) or "%"
    if len(encoded) > _MAX_NAME:
        import hashlib  # only for a name this long: every command loads this module

        digest = hashlib.sha256(data).hexdigest()[:32]
        encoded = f"{encoded[: _MAX_NAME - 33]}~{digest}"
    return encoded


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, once it is certain the path resolves (after symlinks) to a file directly
    inside ``folder``; :class:`InputError` otherwise (a name with a separator, ``..``, an absolute
    path, or an existing symlink that points elsewhere)."""
    path = folder / name
    base = folder.resolve()
    resolved = path.resolve()
    if Path(name).name != name or name in ("", ".", "..") or resolved.parent != base:
        raise InputError(f"refusing to write {path}: it is not a file inside {folder}")
    return path


def _identity(path: Path) -> tuple[object, ...]:
    """What makes two paths one file: the inode when it exists, else the resolved path."""
    try:
        info = os.stat(path)
    except OSError:
        return ("path", str(path.resolve()))
    return ("inode", info.st_dev, info.st_ino)


def refuse_overlap(
    inputs: Iterable[tuple[str, Path | str | None]],
    outputs: Iterable[tuple[str, Path | str | None]],
) -> None:
    """Refuse (exit 3) an output that is one of the inputs, or two outputs on one file.

    Each item is ``(option, path)``; ``None`` and ``-`` are skipped. Runs before anything is read
    or written, so a refused run changes nothing.
    """
    seen: dict[tuple[object, ...], tuple[str, str]] = {}
    for option, value in inputs:
        if value is None or str(value) == STDIN:
            continue
        seen.setdefault(_identity(Path(value)), (option, str(value)))
    taken: dict[tuple[object, ...], tuple[str, str]] = {}
    for option, value in outputs:
        if value is None or str(value) == STDIN:
            continue
        key = _identity(Path(value))
        if key in seen:
            other, shown = seen[key]
            raise InputError(
                f"{option} {value} is the same file as {other} {shown}: "
                "it would overwrite an input; choose another output name"
            )
        if key in taken:
            other, shown = taken[key]
            raise InputError(
                f"{option} {value} and {other} {shown} are the same file; give each its own"
            )
        taken[key] = (option, str(value))
