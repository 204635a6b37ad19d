"""What every command shares: the one error path, output writing, option types."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer

from iam_audit.errors import ExitCode, IamAuditError, InputError
from iam_audit.render.escape import for_terminal, guard_lines, redact_url

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["emit", "handle_errors", "parse_context_pairs"]


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`IamAuditError` into one line on stderr and its exit code; ^C into 130.

    ``IAM_AUDIT_DEBUG=1`` re-raises instead, for a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except IamAuditError as err:
            if os.environ.get("IAM_AUDIT_DEBUG"):
                raise
            # An error message embeds names, paths and AWS replies: one escaped, redacted line.
            typer.echo(for_terminal(redact_url(err.diagnostics())), err=True)
            raise typer.Exit(int(err.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return wrapper


def emit(text: str, output: Path | None) -> None:
    """Write a report to ``output`` (opened only now, its missing parent folders made) or to
    stdout.

    No line of it can start a GitHub Actions workflow command (:func:`guard_lines`; renderers
    escape every value, this keeps the promise for the whole report; JSON is never changed).
    """
    text = guard_lines(text)
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write {output}: {err.strerror}") from None


def parse_context_pairs(pairs: list[str] | None, option: str = "--context") -> dict[str, list[str]]:
    """``KEY=VALUE`` pairs to a dict of value lists (a key given twice has two values)."""
    out: dict[str, list[str]] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} takes KEY=VALUE, got {pair!r}")
        out.setdefault(key.strip(), []).append(value)
    return out
