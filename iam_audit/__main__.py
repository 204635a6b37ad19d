"""``iam-audit`` (the console script) and ``python -m iam_audit``: start-up, then the command line.

Loading the command line (Typer, Click, every command's registration) makes some 30,000 objects
the cycle collector tracks, and no garbage; left running, the collector runs some 35 times while
they load (about 8 ms of a 0.13 s ``who-can`` on the machine of README "Performance"). So it is
paused while they load, and what they made is then frozen: left out of every later collection
(reference counting still frees what is dropped), as :mod:`iam_audit.cli.scale` does with a
parsed account.
"""

import gc


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


if __name__ == "__main__":
    main()
