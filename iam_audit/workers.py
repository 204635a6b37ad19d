"""Work on a large list shared among forked worker processes, one per core.

A question over every principal of a 10,000-role account (``who-can``) is work on independent
items once a large file is decoded. On Linux, with more than one core and no other thread
running, ``jobs`` worker processes are forked *before* the decoding: each decodes the file's
bytes (read once, before the fork) itself, works its share of the items, sends back only its
answers and leaves without freeing what it built (the system takes a process's memory back at
once; freeing a decoded account object by object takes longer than some of the work). The
caller decodes nothing: it hands out the blocks and gathers the answers. Forking after the
decoding would share the decoded objects instead, but every object a worker reads has its
reference count written, so each page it touches is copied (a 36 MB file decodes to some 80 MB
of objects). Where the input splits (``shares``: a file's roles cut into runs), each worker
loads what every share needs once, then only the shares it takes (the next one as soon as it is
free), each worked whole; should any share fail, the work is done the usual way. Anywhere
else (one core, another OS, threads that a fork would not carry over, a short list) the same
functions run in the calling process, over the whole list.

The result never depends on how the work was split: items are taken in blocks (a process takes
the next block as soon as it is free), each block is worked by one process in list order, and
the parts come back in block order. The error raised is the one a single process would have
raised first (the lowest item index); when a worker dies without answering (killed, out of
memory) or cannot load the items, the caller loads them and works the blocks nobody answered.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

__all__ = ["Failed", "Shares", "available_jobs", "run_split"]

T = TypeVar("T")
P = TypeVar("P")

#: Items per block: large enough that a block's answers are worth a pipe, small enough that the
#: blocks even out between processes.
BLOCK = 512
#: At most this many blocks (a huge list gets larger blocks rather than ever more of them).
MAX_BLOCKS = 8_192
#: Below this many items a fork costs more than it saves (callers judge ``worth`` by it).
MIN_ITEMS = 2_000
#: At most this many workers unless the caller asks for more: each decodes the whole input
#: (some 80 MB of objects for a 36 MB account), so memory grows with every worker while the
#: time saved shrinks (the decoding is not shared; only the rest of the work is).
MAX_WORKERS = 4


class Shares(NamedTuple, Generic[T]):
    """Items in ``number`` shares, each loaded on its own: ``begin()``, called once in each
    worker, loads what every share needs and gives the loader of share ``k``'s items."""

    number: int
    begin: Callable[[], Callable[[int], Sequence[T]]]


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
    shares: Callable[[int], Shares[T] | None] | None = None,
) -> list[P]:
    """``work(block, start)`` for consecutive blocks of the items ``load()`` gives (``start``:
    the index of the block's first item), shared among ``jobs`` worker processes (``None``:
    :func:`available_jobs`, at most :data:`MAX_WORKERS`) when the caller says the list is
    large enough to be ``worth`` it;
    the parts in block order. ``work`` raises as a single process would: the exception of the
    lowest item index is raised here, after every worker has ended.

    Each worker calls ``load`` itself, after the fork: what it builds (a decoded file) is the
    process's own, so no page is shared that the work would write to (and so copy). ``load``
    must give every process the same items; an error it raises is raised here (the caller
    then loads the items itself). ``work`` must return a picklable part; it may keep state
    between the blocks of one process (a cache), never across processes.

    ``shares``: when the work is forked among ``jobs`` workers, ``shares(jobs)`` may split the
    items into shares instead (:class:`Shares`; ``None``: the input does not split so): each
    worker loads only the shares it takes, each worked whole, as one block (``start`` counts
    from the share's first item); the parts come back in share order, one per share. A share
    that cannot be loaded or worked (any exception, a worker that dies) voids them all: the work
    is then done the usual way, so the parts, and the error raised, are those one process would
    give."""
    wanted = min(available_jobs(), MAX_WORKERS) if jobs is None else max(1, jobs)
    if wanted <= 1 or not worth or not _can_fork():
        items = load()
        return [work(items, 0)] if items else []
    sys.stdout.flush()
    sys.stderr.flush()
    _pickler()  # loaded once, here: the workers inherit it (loading pickle took each 5-7 ms)
    share = shares(wanted) if shares is not None else None
    if share is not None:
        shared = _run_shares(share, work, wanted)
        if shared is not None:
            return shared
    children: dict[int, int] = {}  # pid: the read end of its answers
    parts: dict[int, P | Failed] = {}
    count: int | None = None  # how many items the workers loaded
    # the blocks to work, one 4-byte number each, written once a worker has said how many items
    # it loaded (while the workers read them: a pipe may hold as little as one page): a worker
    # takes the next number when it is free, so a slower one takes fewer; a pipe's reads are
    # whole records, as every read asks for 4 bytes
    queue_read, queue_write = os.pipe()
    try:
        _fork(wanted, children, queue_read, queue_write, _blocks(load, work))
        os.close(queue_read)
        queue_read = -1

        def head(first: bytes) -> None:
            """The first worker to have loaded the items says how many: hand out the blocks."""
            nonlocal count, queue_write
            count = int.from_bytes(first, "little")
            _hand_out(queue_write, len(_starts(count)))  # the same items for all
            os.close(queue_write)
            queue_write = -1

        # each worker's stream: its item count (8 bytes), then its answers
        for stream in _gather(children, head=head).values():
            found = _answers(stream)
            if found is not None:
                parts.update(found)  # type: ignore[arg-type]
        starts = None if count is None else _starts(count)
        if starts is None or any(start not in parts for start in starts):
            items = load()  # a worker died, or none could load the items: work what is missing
            size = _size(len(items))
            starts = _starts(len(items))
            for start in starts:
                if start not in parts:
                    parts[start] = _guarded(items, work, start, size)
    finally:
        _clean_up(children, queue_read, queue_write)
    failures = [part for part in parts.values() if isinstance(part, Failed)]
    if failures:
        raise min(failures, key=lambda failed: failed.start).error
    return [parts[start] for start in starts]  # type: ignore[misc]


def _run_shares(
    share: Shares[T], work: Callable[[Sequence[T], int], P], count: int
) -> list[P] | None:
    """The parts of ``share``'s shares, worked by ``count`` workers, each taking the next share
    as soon as it is free (a slower one takes fewer); ``None`` when one could not (every worker
    is then ended at once: the caller does the work the usual way)."""
    children: dict[int, int] = {}  # pid: the read end of its parts
    queue_read, queue_write = os.pipe()
    try:
        _fork(count, children, queue_read, queue_write, _shares(share.begin, work))
        os.close(queue_read)
        queue_read = -1
        _hand_out(queue_write, share.number)
        os.close(queue_write)
        queue_write = -1
        streams = _gather(children, go_on=bool)  # an empty stream: that worker failed
        if len(streams) < count or not all(streams.values()):
            return None
        pickle = _pickler()
        parts: dict[int, P] = {}
        for stream in streams.values():
            parts.update(pickle.loads(stream))
        return [parts[index] for index in range(share.number)]
    except Exception:  # an answer cut short, or a share nobody sent: the usual way
        return None
    finally:
        _clean_up(children, queue_read, queue_write)


def _fork(
    count: int, children: dict[int, int], queue_read: int, queue_write: int, body: _Body
) -> None:
    """Fork ``count`` workers, each added to ``children`` (pid: the read end of its pipe) as it
    is made; each runs ``body``, sends what it gives and leaves without clean-up."""
    for _number in range(count):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            os.close(queue_write)
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # the caller reports an interruption
                data = body(queue_read, write_end)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)  # nothing freed, flushed or run at exit: the caller owns all that
        os.close(write_end)
        children[pid] = read_end


def _clean_up(children: dict[int, int], *pipes: int) -> None:
    """Close the queue's ends still open (``-1``: closed) and end every worker of ``children``
    not reaped yet (interrupted: no worker outlives the call)."""
    for fd in pipes:
        if fd >= 0:
            os.close(fd)
    for pid, read_end in children.items():
        _end(pid, read_end)


def _gather(
    children: dict[int, int],
    *,
    head: Callable[[bytes], None] | None = None,
    go_on: Callable[[bytes], bool] | None = None,
) -> dict[int, bytes]:
    """All that each worker of ``children`` (pid: the read end of its pipe) writes, by read end,
    read as it comes, whichever worker is first (a worker never waits on a full pipe while this
    process waits on another); then each worker is reaped (``children`` marks it so).
    ``head``: called once with the first 8 bytes a worker sends. ``go_on``: asked of each
    stream as it ends; on no, the gathering stops there (the caller ends the others)."""
    streams: dict[int, list[bytes]] = {read_end: [] for read_end in children.values()}
    done: dict[int, bytes] = {}
    poller = select.poll()
    for read_end in streams:
        poller.register(read_end, select.POLLIN)
    while streams:
        for read_end, _event in poller.poll():
            chunk = os.read(read_end, 1 << 20)
            if chunk:
                streams[read_end].append(chunk)
                if head is not None and sum(map(len, streams[read_end])) >= 8:
                    head(b"".join(streams[read_end])[:8])
                    head = None
                continue
            poller.unregister(read_end)
            done[read_end] = b"".join(streams.pop(read_end))
            if go_on is not None and not go_on(done[read_end]):
                return done
    for pid, read_end in list(children.items()):  # all have ended, or are about to
        os.close(read_end)
        children[pid] = -1
        os.waitpid(pid, 0)
        del children[pid]
    return done


def _starts(count: int) -> list[int]:
    """Where the blocks of ``count`` items start: :data:`BLOCK` items each, larger where there
    would be more than :data:`MAX_BLOCKS`."""
    return list(range(0, count, _size(count)))


def _size(count: int) -> int:
    return max(BLOCK, -(-count // MAX_BLOCKS))


def _hand_out(queue: int, blocks: int) -> None:
    """Write the numbers of ``blocks`` blocks to ``queue`` (as the workers read them); stop if
    no worker is left to read."""
    data = memoryview(b"".join(n.to_bytes(4, "little") for n in range(blocks)))
    try:
        while data:
            data = data[os.write(queue, data) :]
    except BrokenPipeError:  # every worker died: the caller works what is missing
        pass


def _work_queue(
    items: Sequence[T], work: Callable[[Sequence[T], int], P], queue: int
) -> dict[int, P | Failed]:
    """Work the blocks whose numbers this process reads from ``queue``, until it is empty."""
    starts = _starts(len(items))
    size = _size(len(items))
    found: dict[int, P | Failed] = {}
    while True:
        token = os.read(queue, 4)
        if len(token) < 4:
            return found
        start = starts[int.from_bytes(token, "little")]
        found[start] = _guarded(items, work, start, size)


def _guarded(
    items: Sequence[T], work: Callable[[Sequence[T], int], P], start: int, size: int
) -> P | Failed:
    try:
        return work(items[start : start + size], start)
    except Exception as error:  # raised by run_split, in item order
        return Failed(start, error)


#: What a forked worker does: given the queue's read end and its own pipe's write end, the bytes
#: it sends the caller last (:func:`_fork` writes them)
_Body = Callable[[int, int], bytes]


def _blocks(load: Callable[[], Sequence[T]], work: Callable[[Sequence[T], int], P]) -> _Body:
    """A worker of blocks: it loads the items, says how many (the caller then hands out the
    blocks), works the blocks it takes; then its answers, pickled."""

    def body(queue: int, write_end: int) -> bytes:
        items = load()
        os.write(write_end, len(items).to_bytes(8, "little"))
        found = _work_queue(items, work, queue)
        pickle = _pickler()
        try:
            data: bytes = pickle.dumps(found, protocol=-1)  # the highest
        except Exception:  # an answer that does not pickle: the caller works it
            data = pickle.dumps({}, protocol=-1)
        return data

    return body


def _shares(
    begin: Callable[[], Callable[[int], Sequence[T]]], work: Callable[[Sequence[T], int], P]
) -> _Body:
    """A worker of shares: the parts of the shares it takes from the queue, by share number,
    pickled; nothing when one failed."""

    def body(queue: int, _write_end: int) -> bytes:
        try:
            load_share = begin()
            found: dict[int, P] = {}
            while len(token := os.read(queue, 4)) == 4:
                index = int.from_bytes(token, "little")
                found[index] = work(load_share(index), 0)
            data: bytes = _pickler().dumps(found, protocol=-1)
        except Exception:  # the caller does the work the usual way, and raises what it raises
            data = b""
        return data

    return body


def _pickler() -> Any:
    """:mod:`pickle`'s ``dumps`` and ``loads``: its C module, CPython's ``_pickle``, where there is
    one (pickle.py is that module with a Python implementation beside it, and takes 6.9M
    instructions to load against 2.0M). Loaded only where work is shared: its import would
    cost every command's start."""
    try:
        import _pickle
    except ImportError:  # not CPython
        import pickle

        return pickle
    return _pickle


def _answers(stream: bytes) -> dict[int, object] | None:
    """The parts a worker sent, by block start, from all it wrote: its item count (8 bytes),
    then its answers; ``None`` when it died before loading the items or before sending all its
    answers."""
    try:
        found = _pickler().loads(stream[8:]) if len(stream) > 8 else None
    except Exception:  # cut short
        return None
    return found if isinstance(found, dict) else None


def _end(pid: int, read_end: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    if read_end >= 0:
        os.close(read_end)
