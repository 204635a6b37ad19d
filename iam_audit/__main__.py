"""``iam-audit`` (the console script) and ``python -m iam_audit``: start-up, then the command line.

Loading the command line (Typer, Click, every command's registration) makes some 30,000 objects
the cycle collector tracks, and no garbage; left running, the collector runs some 35 times while
they load (about 8 ms of a 0.13 s ``who-can`` on the machine of README "Performance"). So it is
paused while they load, and what they made is then frozen: left out of every later collection
(reference counting still frees what is dropped), as :mod:`iam_audit.cli.scale` does with a
parsed account.
"""

import contextlib
import gc
import os
import sys
import threading
from typing import NoReturn


def main() -> None:
    """Load the command line with the cycle collector paused, freeze what it made, run it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from iam_audit.cli import main as command_line
    finally:
        if collecting:
            gc.enable()
    gc.freeze()
    command_line()


def run() -> NoReturn:
    """The console script and ``python -m iam_audit``: :func:`main`, then the process ends as
    the interpreter would end it, less its teardown. What must happen at exit does: the
    ``atexit`` handlers run, the standard streams are flushed, the exit status is the command's.
    What is skipped is freeing every module's objects one by one, which no one sees: 38M
    instructions, some 8 ms, after ``who-can``'s report is out. With a thread of ours still
    running (none should be), the interpreter ends the process as usual, waiting for it."""
    try:
        main()
        code: object = None
    except SystemExit as done:
        code = done.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as the interpreter does: the object on stderr, status 1
        sys.stderr.write(f"{code}\n")
        status = 1
    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        sys.exit(status)
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left: as the command line reports it
        from iam_audit.errors import ExitCode

        status = status or int(ExitCode.PIPE_CLOSED)
    except (OSError, ValueError):
        status = status or 120  # the interpreter's status when flushing at exit fails
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
