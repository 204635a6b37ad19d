"""Work shared among forked processes (``iam_audit.workers``): the answer never depends on the split.

Every case runs the same work in one process (``jobs=1``) and in several, and compares: the parts
in order, the error raised (the first a single process would meet), a worker that dies. Where
the machine cannot fork (not Linux, threads running) the work must run in this process.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from iam_audit import workers
from iam_audit.workers import BLOCK, MIN_ITEMS, Shares, run_split

ITEMS = list(range(MIN_ITEMS + 10 * BLOCK + 17))  # 14 blocks, the last one short
FORKS = workers._can_fork()


class Bad(Exception):
    pass


def _squares(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
    assert list(block) == ITEMS[start : start + len(block)]
    return start, [item * item for item in block], os.getpid()


def _children() -> set[int]:
    """This process's children, running or not yet reaped (from /proc: other tests' children
    are there too, so a test compares the set before and after)."""
    found: set[int] = set()
    for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(name))
    return found


def _joined(parts: list[tuple[int, list[int], int]]) -> list[int]:
    return [value for _start, values, _pid in parts for value in values]


def _meeting(parties: int) -> Callable[[Sequence[int], int], tuple[int, list[int], int]]:
    """``_squares``, where each process's first block waits for every process to have one: so
    every process surely works a block (a free process takes the next block in the queue)."""
    barrier = multiprocessing.Barrier(parties)
    first: set[int] = set()

    def work(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
        if os.getpid() not in first:
            first.add(os.getpid())
            barrier.wait(timeout=30)
        return _squares(block, start)

    return work


@pytest.mark.parametrize("jobs", [1, 2, 3, 8])
def test_the_parts_are_the_same_in_order_for_any_number_of_jobs(jobs: int) -> None:
    forks = FORKS and jobs > 1
    work = _meeting(jobs) if forks else _squares
    parts = run_split(lambda: ITEMS, work, jobs=jobs)
    assert _joined(parts) == [item * item for item in ITEMS]
    starts = [start for start, _values, _pid in parts]
    assert starts == sorted(starts)
    pids = {pid for _start, _values, pid in parts}
    assert len(pids) == (jobs if forks else 1), "each job is its own process"
    # the caller works no block when it shares them: it hands them out and gathers the parts
    assert (os.getpid() in pids) is not forks


def test_a_list_not_worth_sharing_is_worked_here() -> None:
    parts = run_split(lambda: ITEMS, _squares, jobs=4, worth=False)
    assert [pid for _start, _values, pid in parts] == [os.getpid()]
    assert _joined(parts) == [item * item for item in ITEMS]


def test_each_process_loads_the_items_itself() -> None:
    """The items are built after the fork, in every worker (nothing of the parent's touched);
    the caller, which only hands out the blocks, builds nothing."""
    loaded: list[int] = []

    def load() -> list[int]:
        loaded.append(os.getpid())
        return ITEMS

    def work(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
        assert loaded == [os.getpid()]  # this process's own load, and only it
        return _squares(block, start)

    parts = run_split(load, work, jobs=2)
    assert _joined(parts) == [item * item for item in ITEMS]
    assert loaded == ([] if FORKS else [os.getpid()])


def test_an_error_while_loading_is_raised_here() -> None:
    def load() -> list[int]:
        raise Bad("unreadable")

    before = _children()
    for jobs in (1, 2):
        with pytest.raises(Bad, match="unreadable"):
            run_split(load, _squares, jobs=jobs)
    assert _children() == before  # the workers were ended and reaped


def test_an_empty_list_gives_no_parts() -> None:
    assert run_split(list, _squares, jobs=1) == []
    assert run_split(list, _squares, jobs=2) == []


def test_with_another_thread_running_nothing_is_forked() -> None:
    """A fork copies only the calling thread: with another one running, no fork is made."""
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        parts = run_split(lambda: ITEMS, _squares, jobs=2)
    finally:
        release.set()
        thread.join()
    assert {pid for _start, _values, pid in parts} == {os.getpid()}
    assert _joined(parts) == [item * item for item in ITEMS]


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.parametrize("bad", [[7], [BLOCK + 1, 3 * BLOCK + 5], [4 * BLOCK, 1]])
def test_the_error_raised_is_the_first_in_item_order(jobs: int, bad: list[int]) -> None:
    def work(block: Sequence[int], start: int) -> int:
        for item in block:
            if item in bad:
                raise Bad(f"item {item}")
        return start

    with pytest.raises(Bad) as raised:
        run_split(lambda: ITEMS, work, jobs=jobs)
    assert str(raised.value) == f"item {min(bad)}"


@pytest.mark.skipif(not FORKS, reason="no fork here")
def test_the_blocks_of_a_worker_that_dies_are_worked_by_the_caller() -> None:
    parent = os.getpid()
    meet = _meeting(2)
    lost = multiprocessing.Value("i", -1)

    def work(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
        if os.getpid() == parent:
            return _squares(block, start)
        meet(block, start)  # every worker dies in its first block, unanswered
        lost.value = start
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    parts = run_split(lambda: ITEMS, work, jobs=2)
    assert _joined(parts) == [item * item for item in ITEMS]
    assert lost.value >= 0
    assert {pid for _start, _values, pid in parts} == {parent}  # all worked here


@pytest.mark.skipif(not FORKS, reason="no fork here")
def test_the_caller_works_only_the_blocks_of_a_worker_that_died() -> None:
    """One worker dies in its first block; the other's parts are kept, and the caller loads the
    items and works only the blocks nobody answered."""
    parent = os.getpid()
    meet = _meeting(2)
    victim = multiprocessing.Value("i", 0)
    lost = multiprocessing.Array("i", [-1] * 64)

    def work(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
        if os.getpid() == parent:
            return _squares(block, start)
        answer = meet(block, start)
        with victim.get_lock():  # released before dying: the other worker takes it next
            chosen = victim.value in (0, os.getpid())
            if chosen:
                victim.value = os.getpid()
                lost[start // BLOCK] = start
        if chosen:
            os.kill(os.getpid(), signal.SIGKILL)
        return answer

    parts = run_split(lambda: ITEMS, work, jobs=2)
    assert _joined(parts) == [item * item for item in ITEMS]
    by_pid: dict[int, list[int]] = {}
    for start, _values, pid in parts:
        by_pid.setdefault(pid, []).append(start)
    survivor = set(by_pid) - {parent}
    assert len(survivor) == 1
    assert victim.value not in by_pid  # the other worker's parts are kept
    died_in = [start for start in lost if start >= 0]
    assert died_in
    assert set(died_in) <= set(by_pid[parent])  # worked again here


@pytest.mark.skipif(not FORKS, reason="no fork here")
def test_no_worker_outlives_the_call() -> None:
    before = _children()
    parts = run_split(lambda: ITEMS, _meeting(3), jobs=3)
    assert len({pid for _start, _values, pid in parts}) == 3  # there were workers
    assert _children() == before


@pytest.mark.skipif(not FORKS, reason="no fork here")
def test_a_machine_of_many_cores_gets_at_most_max_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every worker decodes the whole input: on 64 cores, memory would be 64 decoded copies."""
    monkeypatch.setattr(workers, "available_jobs", lambda: 64)
    forks: list[int] = []
    fork = os.fork

    def counted() -> int:
        forks.append(1)
        return fork()

    monkeypatch.setattr(workers.os, "fork", counted)
    parts = run_split(lambda: ITEMS, _squares)
    assert _joined(parts) == [item * item for item in ITEMS]
    assert len(forks) == workers.MAX_WORKERS
    assert os.getpid() not in {pid for _start, _values, pid in parts}


@pytest.mark.skipif(not FORKS or not hasattr(fcntl, "F_SETPIPE_SZ"), reason="no fork here")
def test_pipes_of_one_page_are_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux gives a user's new pipes a single page once the user holds many
    (pipe(7): "pipe-user-pages-soft"): the block numbers (4 bytes each, up to 32 KiB) and the
    answers must still get through, or the command would wait for ever."""
    pipe = os.pipe

    def small() -> tuple[int, int]:
        read_end, write_end = pipe()
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
        return read_end, write_end

    def hang(_signal: int, _frame: object) -> None:
        raise TimeoutError("run_split waited for ever")

    monkeypatch.setattr(workers.os, "pipe", small)
    items = list(range(40 * BLOCK))  # 40 blocks, answers far larger than a page
    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(60)
    try:
        parts = run_split(lambda: items, lambda block, start: (start, list(block)), jobs=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [value for _start, values in parts for value in values] == items


def _state(pid: int) -> str:
    """The state letter of process ``pid`` (``Z``: ended, not yet reaped)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not FORKS or not os.path.isdir("/proc"), reason="no fork here")
def test_a_worker_never_waits_on_a_full_pipe_while_another_is_read() -> None:
    """The answers are read from every worker as they come: the worker forked first (whose
    answers were read first, to their end) now ends only after the other has sent all of its
    answers, far more than a pipe holds, and ended. Reading one worker to its end before
    the next, this waited for ever."""
    pids = multiprocessing.Array("i", [0, 0])
    barrier = multiprocessing.Barrier(2)
    started: set[int] = set()

    def work(block: Sequence[int], start: int) -> tuple[int, bytes]:
        me = os.getpid()
        if me not in started:
            started.add(me)
            with pids.get_lock():
                pids[0 if pids[0] == 0 else 1] = me
            barrier.wait(timeout=30)
            if me == min(pids):  # forked first (process IDs grow)
                while _state(max(pids)) != "Z":  # the other sent every answer and ended
                    time.sleep(0.005)
        return start, bytes(64 * 1024)

    def hang(_signal: int, _frame: object) -> None:
        raise TimeoutError("run_split waited for ever")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(60)
    try:
        parts = run_split(lambda: ITEMS, work, jobs=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [start for start, _answer in parts] == list(range(0, len(ITEMS), BLOCK))


def _share(index: int, number: int) -> list[int]:
    """Share ``index`` of ``number`` of :data:`ITEMS`: a run of them, as a file's roles are cut."""
    return ITEMS[len(ITEMS) * index // number : len(ITEMS) * (index + 1) // number]


def _shares_of(number: int, begun: Path | None = None) -> Callable[[int], Shares[int]]:
    """``run_split``'s ``shares``: :data:`ITEMS` in ``number`` shares; each worker's ``begin``
    appends its pid to ``begun``."""

    def shares(jobs: int) -> Shares[int]:
        def begin() -> Callable[[int], list[int]]:
            if begun is not None:
                with begun.open("a") as out:
                    out.write(f"{os.getpid()}\n")
            return lambda index: _share(index, number)

        return Shares(number, begin)

    return shares


def _summed(block: Sequence[int], start: int) -> tuple[int, int, int, int]:
    return start, len(block), sum(block), os.getpid()


@pytest.mark.skipif(not FORKS, reason="shares are for forked workers")
@pytest.mark.parametrize(("jobs", "number"), [(2, 2), (2, 7), (3, 12)])
def test_with_shares_each_worker_loads_and_works_only_the_shares_it_takes(
    tmp_path: Path, jobs: int, number: int
) -> None:
    loaded: list[int] = []

    def load() -> list[int]:
        loaded.append(os.getpid())
        return ITEMS

    begun = tmp_path / "begun"
    before = _children()
    parts = run_split(load, _summed, jobs=jobs, shares=_shares_of(number, begun))
    assert loaded == []  # no process loaded all the items
    # one part per share, in share order, each worked whole (from its own first item)
    assert [count for _start, count, _sum, _pid in parts] == [
        len(_share(index, number)) for index in range(number)
    ]
    assert {start for start, _count, _sum, _pid in parts} == {0}
    assert sum(total for _start, _count, total, _pid in parts) == sum(ITEMS)
    pids = {pid for *_rest, pid in parts}
    assert os.getpid() not in pids
    assert pids <= set(map(int, begun.read_text().split()))
    assert len(begun.read_text().split()) == jobs  # each worker began once
    assert _children() == before


def _failing(index: int, how: str) -> Callable[[int], Shares[int]]:
    """Five shares, of which share ``index`` fails ``how``: it raises, or its process dies."""

    def shares(jobs: int) -> Shares[int]:
        def load_share(share: int) -> list[int]:
            if share == index:
                if how == "raises":
                    raise Bad("not this share")
                os._exit(9)
            return _share(share, 5)

        return Shares(5, lambda: load_share)

    return shares


@pytest.mark.skipif(not FORKS, reason="shares are for forked workers")
@pytest.mark.parametrize("how", ["raises", "dies"])
@pytest.mark.parametrize("index", [0, 4])
def test_a_share_that_fails_voids_them_all_and_the_work_is_done_the_usual_way(
    how: str, index: int
) -> None:
    def squares(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
        """``_squares`` without its check (a share's ``start`` counts from the share): an
        assertion failing in a worker would still void the shares, not the failure tested."""
        return start, [item * item for item in block], os.getpid()

    before = _children()
    parts = run_split(lambda: ITEMS, squares, jobs=2, shares=_failing(index, how))
    assert _joined(parts) == [item * item for item in ITEMS]  # the blocks, as without shares
    assert [start for start, _values, _pid in parts] == list(range(0, len(ITEMS), BLOCK))
    assert _children() == before


@pytest.mark.skipif(not FORKS, reason="shares are for forked workers")
def test_a_work_error_in_a_share_is_raised_as_one_process_raises_it() -> None:
    """The first error in item order, from the usual way: not the share's."""

    def work(block: Sequence[int], start: int) -> tuple[int, list[int], int]:
        if start == 0 and len(block) > BLOCK:  # a share, worked whole
            raise Bad("from a share")
        if 3 * BLOCK in block:
            raise Bad(f"item {3 * BLOCK}")
        return _squares(block, start)

    with pytest.raises(Bad, match=f"item {3 * BLOCK}"):
        run_split(lambda: ITEMS, work, jobs=2, shares=_shares_of(2))


def test_shares_are_not_asked_for_when_nothing_is_forked() -> None:
    def shares(jobs: int) -> Shares[int]:
        raise AssertionError("asked")

    assert _joined(run_split(lambda: ITEMS, _squares, jobs=1, shares=shares)) == [
        item * item for item in ITEMS
    ]
    none = run_split(lambda: ITEMS, _squares, jobs=2, shares=lambda count: None)
    assert _joined(none) == [item * item for item in ITEMS]
