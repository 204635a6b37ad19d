"""Work on a large list shared among forked worker processes, one per core.

A question over every principal of a 10,000-role account (``who-can``) is work on independent
items after one long read of the file. On Linux, with more than one core and no other thread
running, the items are split among ``jobs`` processes forked *after* the read: each child sees
the decoded file as the parent holds it (copy-on-write pages, nothing serialized) and sends back
only its answers. Anywhere else (one core, another OS, threads that a fork would not carry
over, a short list) the same function runs in the calling process, over the whole list.

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
#: Below this many items a fork costs more than it saves.
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
    items: Sequence[T],
    work: Callable[[Sequence[T], int], P],
    *,
    jobs: int | None = None,
) -> list[P]:
    """``work(block, start)`` for consecutive blocks of ``items`` (``start``: the index of the
    block's first item), shared among ``jobs`` processes (``None``: :func:`available_jobs`); the
    parts in block order. ``work`` raises as a single process would: the exception of the
    lowest item index is raised here, after every worker has ended.

    ``work`` must return a picklable part; it may keep state between the blocks of one
    process (a cache), never across processes."""
    count = len(items)
    wanted = available_jobs() if jobs is None else max(1, jobs)
    if wanted <= 1 or count < MIN_ITEMS or not _can_fork():
        return [work(items, 0)]
    starts = list(range(0, count, BLOCK))
    wanted = min(wanted, len(starts))
    # process k works blocks k, k + wanted, …: neighbours differ little, so the loads even out
    shares = [starts[k::wanted] for k in range(wanted)]
    children: dict[int, tuple[int, list[int]]] = {}  # pid: read end, its blocks
    sys.stdout.flush()
    sys.stderr.flush()
    parts: dict[int, P | Failed] = {}
    try:
        for share in shares[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: work its blocks, send them, leave without clean-up
                os.close(read_end)
                _child(items, work, share, write_end)
            os.close(write_end)
            children[pid] = (read_end, share)
        for start in shares[0]:
            parts[start] = _guarded(items, work, start)
        for pid, (read_end, share) in list(children.items()):
            received = _receive(read_end)  # closes it
            children[pid] = (-1, share)
            os.waitpid(pid, 0)
            del children[pid]
            for start in share:  # a worker that died: its blocks are worked here
                found = received[start] if start in received else _guarded(items, work, start)
                parts[start] = found  # type: ignore[assignment]
    finally:
        for pid, (read_end, _share) in children.items():  # interrupted: no worker outlives us
            _end(pid, read_end)
    failures = [part for part in parts.values() if isinstance(part, Failed)]
    if failures:
        raise min(failures, key=lambda failed: failed.start).error
    return [parts[start] for start in starts]  # type: ignore[misc]


def _guarded(items: Sequence[T], work: Callable[[Sequence[T], int], P], start: int) -> P | Failed:
    try:
        return work(items[start : start + BLOCK], start)
    except Exception as error:  # raised by run_split, in item order
        return Failed(start, error)


def _child(
    items: Sequence[T], work: Callable[[Sequence[T], int], P], share: list[int], write_end: int
) -> None:
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the caller reports an interruption
        found = {start: _guarded(items, work, start) for start in share}
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
