"""What every command shares: the one error path, output writing, option types."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from typer.exceptions import TyperException

from iam_audit.errors import IamAuditError, InputError
from iam_audit.render.escape import for_terminal, guard_lines, redact_url

if TYPE_CHECKING:
    from iam_audit.aws import SessionFactory
    from iam_audit.findings import Finding

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "RunSessions",
    "Runtime",
    "emit",
    "handle_errors",
    "internal_error_line",
    "last_values",
    "parse_pairs",
    "report_crashes",
    "sessions",
]


class RunSessions:
    """The AWS sessions of one run: through the default credential chain
    (:func:`iam_audit.aws.make_session`; boto3 is imported only with the first, so offline
    commands never load it), sharing the run's :class:`~iam_audit.aws.EndpointWarnings` (an
    unencrypted endpoint is warned about once a run, however many sessions and clients use it).
    """

    __slots__ = ("_warnings",)

    def __init__(self) -> None:
        self._warnings: Any = None

    def __call__(self, profile: str | None, region: str | None) -> Any:
        from iam_audit import aws

        if self._warnings is None:
            self._warnings = aws.EndpointWarnings()
        return aws.make_session(profile, region, warnings=self._warnings)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What whoever runs the command line gives every command, as Click's context object:
    the factory of AWS sessions (by default, the run's own :class:`RunSessions`). A test
    injects its own (``CliRunner().invoke(app, args, obj=Runtime(sessions=...))``) instead of
    patching boto3. Nothing of a run outlives it: each run has its own."""

    sessions: SessionFactory = field(default_factory=RunSessions)


#: Where a run keeps its :class:`Runtime` when none was given (``ctx.meta``, which every
#: context of one command line shares).
_RUNTIME = "iam_audit.runtime"


def sessions(ctx: typer.Context) -> SessionFactory:
    """The session factory of the running command: its context's :class:`Runtime`'s, else the
    run's own (made on first use, one per command line)."""
    runtime = ctx.find_object(Runtime)
    if runtime is None:
        runtime = ctx.meta.setdefault(_RUNTIME, Runtime())
    return runtime.sessions


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`IamAuditError` into one line on stderr and its exit code; ^C into 130.

    ``IAM_AUDIT_DEBUG=1`` re-raises instead, for a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from iam_audit.outcome import exit_code

        try:
            return func(*args, **kwargs)
        except IamAuditError as err:
            if os.environ.get("IAM_AUDIT_DEBUG"):
                raise
            raise _reported(err) from None
        except KeyboardInterrupt as err:
            typer.echo("interrupted", err=True)
            raise typer.Exit(int(exit_code(error=err))) from None
        except BrokenPipeError as err:  # `iam-audit … | head`: the reader left; nothing is wrong
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(int(exit_code(error=err))) from None
        except (typer.Exit, typer.Abort, TyperException):
            raise  # deliberate exits and Click's usage errors (typer.Exit is a RuntimeError)
        except Exception as err:  # the one last-resort handler: a bug is exit 4, never 1
            known = _aws_error(err)
            if os.environ.get("IAM_AUDIT_DEBUG"):
                raise
            if known is not None:
                raise _reported(known) from None
            typer.echo(internal_error_line(err), err=True)
            raise typer.Exit(int(exit_code(error=err))) from None

    return wrapper


def _reported(err: IamAuditError) -> typer.Exit:
    """Our error as one escaped, redacted line on stderr (a message embeds names, paths and AWS
    replies), and the exit that ends the command with its code."""
    from iam_audit.outcome import exit_code

    typer.echo(for_terminal(redact_url(err.diagnostics())), err=True)
    return typer.Exit(int(exit_code(error=err)))


def report_crashes(findings: Iterable[Finding]) -> None:
    """One stderr line when a check crashed (its ``internal-error`` result; the run exits 4)."""
    crashed = [f for f in findings if f.slug == "internal-error"]
    if crashed:
        more = f" (and {len(crashed) - 1} more)" if len(crashed) > 1 else ""
        typer.echo(
            f"internal error: {crashed[0].message}{more}; IAM_AUDIT_DEBUG=1 shows the traceback",
            err=True,
        )


def internal_error_line(err: BaseException) -> str:
    """The one line a bug gets on stderr."""
    detail = " ".join(str(err).split())[:300]
    name = type(err).__name__
    return (
        f"internal error: {name}{': ' + detail if detail else ''}; "
        "IAM_AUDIT_DEBUG=1 shows the traceback"
    )


def _aws_error(err: Exception) -> IamAuditError | None:
    """An AWS error nobody handled, as ours (only when botocore is loaded: offline runs never
    import it)."""
    if "botocore" not in sys.modules:
        return None
    from iam_audit import aws

    return aws.translate(err)


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


def parse_pairs(pairs: Sequence[str] | None, option: str) -> dict[str, list[str]]:
    """The ``KEY=VALUE`` values of a repeatable ``option`` (``--context``, ``--env``,
    ``--parameter``) to a dict of value lists, in the order given (a key given twice has two
    values; the value is everything after the first ``=``, the key is stripped of white space)."""
    out: dict[str, list[str]] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} takes KEY=VALUE, got {pair!r}")
        out.setdefault(key.strip(), []).append(value)
    return out


def last_values(pairs: Sequence[str] | None, option: str) -> dict[str, str]:
    """:func:`parse_pairs` where a key has one value: given twice, the later one wins."""
    return {key: values[-1] for key, values in parse_pairs(pairs, option).items()}
