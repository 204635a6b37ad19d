"""The one exit code: how every command's outcome becomes the number README "Exit codes" documents.

Every command ends through :func:`exit_code`; none computes a number of its own. The verdicts
are read from the command's :class:`~iam_audit.results.Result` (its rows), so every kind of
result fails by the same rule (:meth:`~iam_audit.results.Row.fails`). The strictest outcome
applies: an error that ended the command decides alone; otherwise a crashed check (4), then an
incomplete run (3), then a failure (1), else 0.
"""

from __future__ import annotations

from iam_audit.errors import ExitCode, IamAuditError
from iam_audit.results import FailOn, Result, Status

__all__ = ["exit_code", "signal_exit_code"]


def exit_code(
    result: Result | None = None,
    *,
    fail_on: FailOn = FailOn.ERROR,
    failed: bool = False,
    unread: bool = False,
    error: BaseException | None = None,
) -> ExitCode:
    """The exit code of a command that ended with this outcome.

    ``error``: the exception that ended it: ours carry their code (2 usage, 3 input or access,
    4 internal), ^C is 130, a closed standard output 141, anything else (a bug) 4.
    ``result``: what the command reports: 4 when a row is a check that crashed, 3 when a row is
    an error-severity check that could not run for want of an input the user can give, 1 when a
    row fails under ``fail_on`` (a finding at or above it, a preflight problem that would fail
    the import, ``simulate``'s denial, a fix left to make). ``unread``: 3, part of what was asked
    could not be read (a scan's region or pool, ``fix``'s core check). ``failed``: 1, a negative
    verdict that is no result's row (``fix``'s plan beside its audit, a write the user declined).
    """
    if error is not None:
        return _error_code(error)
    rows = result.rows() if result is not None else ()
    if any(r.status is Status.ERROR for r in rows):
        return ExitCode.INTERNAL
    if unread or any(r.incomplete for r in rows):
        return ExitCode.INPUT
    if failed or any(r.fails(fail_on) for r in rows):
        return ExitCode.FINDINGS
    return ExitCode.OK


def signal_exit_code(signum: int) -> ExitCode:
    """The exit code of a command a signal stopped: 128 + the signal's number, as a shell
    reports a process the signal ended (SIGINT 130, SIGPIPE 141, SIGTERM 143)."""
    return ExitCode(128 + signum)


def _error_code(error: BaseException) -> ExitCode:
    if isinstance(error, IamAuditError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, BrokenPipeError):
        return ExitCode.PIPE_CLOSED
    return ExitCode.INTERNAL
