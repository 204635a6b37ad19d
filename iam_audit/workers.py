"""Work on a large list shared among forked worker processes, one per core.

A question over every principal of a 10,000-role account (``who-can``) is work on independent
items once a large file is decoded. On Linux, with more than one core and no other thread
running, ``jobs`` processes are forked *before* the decoding: each decodes the file's bytes
(read once, before the fork) itself, works its share of the items and sends back only its
answers. Forking after the decoding would share the decoded objects instead, but every object
a worker reads has its reference count written, so each page it touches is copied: on a 36 MB
file that costs more than the decoding does. Anywhere else (one core, another OS, threads that a
fork would not carry over, a short list) the same functions run in the calling process, over
the whole list.

The result never depends on how the work was split: items are taken in blocks, each block is
worked by one process in list order, and the parts come back in block order. The error raised
is the one a single process would have raised first (the lowest item index); a worker that
dies without answering (killed, out of memory) has its blocks worked again by the caller.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["Failed", "available_jobs", "run_split"]

T = TypeVar("T")
P = TypeVar("P")

#: Items per block: large enough that a block's answers are worth a pipe, small enough that the
#: blocks even out between processes.
BLOCK = 512
#: Below this many items a fork costs more than it saves (callers judge ``worth`` by it).
MIN_ITEMS = 2_000


class Failed:
    """A block that raised ``error``; ``start``: its first item's index. A block is worked in
    order and stops at its first error, so the failed block of lowest ``start`` holds the
    error a single process would have raised."""

    __slots__ = ("error", "start")

    def __init__(self, start: int, error: BaseException) -> None:
        self.start = start
        self.error = error


def available_jobs() -> int:
    """The processes that can work at once: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return sys.platform == "linux" and hasattr(os, "fork") and threading.active_count() == 1


def run_split(
    load: Callable[[], Sequence[T]],
    work: Callable[[Sequence[T], int], P],
    *,
    jobs: int | None = None,
    worth: bool = True,
) -> list[P]:
    """``work(block, start)`` for consecutive blocks of the items ``load()`` gives (``start``:
    the index of the block's first item), shared among ``jobs`` processes (``None``:
    :func:`available_jobs`) when the caller says the list is large enough to be ``worth`` it;
    the parts in block order. ``work`` raises as a single process would: the exception of the
    lowest item index is raised here, after every worker has ended.

    Each process calls ``load`` itself, after the fork: what it builds (a decoded file) is the
    process's own, so no page is shared that the work would write to (and so copy). ``load``
    must give every process the same items; an error it raises is raised here (a worker whose
    ``load`` fails leaves its blocks to the caller). ``work`` must return a picklable part; it
    may keep state between the blocks of one process (a cache), never across processes."""
    wanted = available_jobs() if jobs is None else max(1, jobs)
    if wanted <= 1 or not worth or not _can_fork():
        items = load()
        return [work(items, 0)] if items else []
    children: dict[int, tuple[int, int]] = {}  # pid: read end, its number
    sys.stdout.flush()
    sys.stderr.flush()
    parts: dict[int, P | Failed] = {}
    try:
        for number in range(1, wanted):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: work its blocks, send them, leave without clean-up
                os.close(read_end)
                _child(load, work, number, wanted, write_end)
            os.close(write_end)
            children[pid] = (read_end, number)
        items = load()
        starts = list(range(0, len(items), BLOCK))
        for start in _share(starts, 0, wanted):
            parts[start] = _guarded(items, work, start)
        for pid, (read_end, number) in list(children.items()):
            received = _receive(read_end)  # closes it
            children[pid] = (-1, number)
            os.waitpid(pid, 0)
            del children[pid]
            for start in _share(starts, number, wanted):  # a worker that died: worked here
                found = received[start] if start in received else _guarded(items, work, start)
                parts[start] = found  # type: ignore[assignment]
    finally:
        for pid, (read_end, _number) in children.items():  # interrupted: no worker outlives us
            _end(pid, read_end)
    failures = [part for part in parts.values() if isinstance(part, Failed)]
    if failures:
        raise min(failures, key=lambda failed: failed.start).error
    return [parts[start] for start in starts]  # type: ignore[misc]


def _share(starts: list[int], number: int, wanted: int) -> list[int]:
    """The blocks process ``number`` of ``wanted`` works: blocks ``number``, ``number + wanted``,
    …: neighbouring blocks differ little, so the processes' loads even out."""
    return starts[number::wanted]


def _guarded(items: Sequence[T], work: Callable[[Sequence[T], int], P], start: int) -> P | Failed:
    try:
        return work(items[start : start + BLOCK], start)
    except Exception as error:  # raised by run_split, in item order
        return Failed(start, error)


def _child(
    load: Callable[[], Sequence[T]],
    work: Callable[[Sequence[T], int], P],
    number: int,
    wanted: int,
    write_end: int,
) -> None:
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the caller reports an interruption
        items = load()
        starts = list(range(0, len(items), BLOCK))
        found = {start: _guarded(items, work, start) for start in _share(starts, number, wanted)}
        try:
            data = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an answer that does not pickle: the caller works it
            data = pickle.dumps({}, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        os._exit(code)


def _receive(read_end: int) -> dict[int, object]:
    """What a worker sent; ``{}`` when it died before sending all of it."""
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    try:
        found = pickle.loads(data) if data else {}
    except Exception:  # cut short
        return {}
    return found if isinstance(found, dict) else {}


def _end(pid: int, read_end: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    if read_end >= 0:
        os.close(read_end)
