"""The shared reader (iam_audit.inputs) on its own: limits, standard input, encodings."""

from __future__ import annotations

import functools
import io
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from iam_audit.errors import InputError
from iam_audit.inputs import (
    MAX_ACCOUNT,
    parse_json,
    read_account,
    read_ahead,
    read_bytes,
    read_json,
    read_text,
)


def test_a_file_over_its_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(10_000_000_000)  # sparse: 10 GB that take no disk
    with pytest.raises(InputError, match=r"it is 10,000,000,000 bytes; a plan is at most 1,024"):
        read_bytes(path, "plan", 1024)


def test_standard_input_is_read_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 5000)))
    with pytest.raises(InputError, match=r"\(standard input\): it is more than 4,096 bytes"):
        read_bytes("-", "log file", 4096)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf{}")))
    assert read_json("-", "policy file") == {}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff\xfe{\x00}\x00", "is not UTF-8 text (byte 0xff at offset 0)"),
        (b"caf\xe9", "is not UTF-8 text (byte 0xe9 at offset 3)"),
    ],
)
def test_text_that_is_not_utf8_names_the_byte(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_text(path, "header file", 100)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nests too deeply"),
        ('{"a": ' + "9" * 5000 + "}", "Exceeds the limit"),
        ('{"a": 1', "is not valid JSON (line 1 column 8"),
    ],
    ids=["deep", "digits", "truncated"],
)
def test_json_problems_are_input_errors(text: str, words: str) -> None:
    with pytest.raises(InputError, match=words.replace("(", r"\(")) as caught:
        parse_json(text, "plan", "p.json")
    assert "plan p.json" in caught.value.message


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: opening it for reading would block forever
    with pytest.raises(InputError, match="is a FIFO"):
        read_bytes(fifo, "template", 100)


def test_paused_gc_pauses_and_restores_the_collector() -> None:
    import gc

    from iam_audit.inputs import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: the outer state comes back, not "enabled"
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"), paused_gc():
        raise ValueError("boom")
    assert gc.isenabled()


def _spoilt_account(tmp_path: Path, how: str) -> Path:
    """An authorization-details path each way a read can end: read, or refused."""
    path = tmp_path / "account.json"
    if how == "bom":
        path.write_bytes(b'\xef\xbb\xbf{"RoleDetailList": []}')
    elif how == "directory":
        path.mkdir()
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "too-large":
        with path.open("wb") as handle:
            handle.truncate(MAX_ACCOUNT + 1)  # sparse: takes no disk
    elif how == "nul":
        return Path(f"{path}\0x")
    return path  # "missing": never written


def _outcome(read: Callable[[], bytes]) -> tuple[str, object]:
    try:
        return "bytes", read()
    except InputError as err:
        return "error", err.diagnostics()


@pytest.mark.parametrize("how", ["bom", "missing", "directory", "fifo", "too-large", "nul"])
def test_a_read_ahead_gives_what_the_read_gives(tmp_path: Path, how: str) -> None:
    """The bytes (without the byte-order mark), or the one-line error of the read, raised only
    when the caller waits for it; the thread has ended by then (so a fork may follow)."""
    path = _spoilt_account(tmp_path, how)
    expected = _outcome(functools.partial(read_account, path))
    assert expected[0] == ("bytes" if how == "bom" else "error")
    threads = threading.active_count()
    wait = read_ahead(functools.partial(read_account, path))  # raises nothing yet
    assert _outcome(wait) == expected
    assert threading.active_count() == threads
    if how == "bom":
        assert expected[1] == b'{"RoleDetailList": []}'


def test_a_read_ahead_of_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf[]")))
    assert read_ahead(functools.partial(read_account, "-"))() == b"[]"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x" * 5000)))
    wait = read_ahead(functools.partial(read_bytes, "-", "log file", 4096))
    with pytest.raises(InputError, match=r"\(standard input\): it is more than 4,096 bytes"):
        wait()


@pytest.mark.parametrize("how", ["bom", "missing", "directory", "fifo", "too-large", "nul"])
def test_a_writable_read_gives_what_the_read_gives_in_a_bytearray(tmp_path: Path, how: str) -> None:
    """who-can reads the file into a bytearray (a share's text is spliced in place): the same
    bytes or the same error as the plain read."""
    path = _spoilt_account(tmp_path, how)
    expected = _outcome(functools.partial(read_account, path))
    got = _outcome(functools.partial(read_account, path, writable=True))
    assert got == expected
    if how == "bom":
        assert type(got[1]) is bytearray


def test_a_writable_read_of_a_file_that_grows_and_of_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file longer than its size said (it grew meanwhile) is read to its end; standard input
    too, in chunks."""
    path = tmp_path / "account.json"
    path.write_bytes(b"x" * 70_000)
    real_fstat = os.fstat

    def shrunk(fd: int) -> os.stat_result:  # the size before the file grew
        found = real_fstat(fd)
        return os.stat_result((*found[:6], 1_000, *found[7:]))

    monkeypatch.setattr(os, "fstat", shrunk)
    data = read_account(path, writable=True)
    assert type(data) is bytearray
    assert data == b"x" * 70_000
    monkeypatch.undo()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf" + b"y" * 70_000)))
    data = read_account("-", writable=True)
    assert type(data) is bytearray
    assert data == b"y" * 70_000
