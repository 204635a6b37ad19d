"""The error tree: every error a user can cause or meet carries its own advice and exit code.

``cli`` catches :class:`IamAuditError` once at the top, prints :meth:`IamAuditError.diagnostics`
as one line on stderr and exits with :attr:`IamAuditError.exit_code`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented exit codes (README "Exit codes", DESIGN.md)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INPUT = 3
    INTERNAL = 4
    INTERRUPTED = 130
    PIPE_CLOSED = 141  # standard output closed before the report was written, as SIGPIPE (128 + 13)
    TERMINATED = 143  # SIGTERM during fix --apply's writes (128 + 15)


class IamAuditError(Exception):
    """Base of every error the tool reports to the user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, advice: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice

    def diagnostics(self) -> str:
        """One line for stderr: what went wrong, then what to do about it."""
        text = f"error: {self.message}"
        if self.advice:
            text += f" ({self.advice})"
        return " ".join(text.split("\n"))


class UsageError(IamAuditError):
    """Options that cannot work together, found after parsing (exit 2, like Typer's own)."""

    exit_code = ExitCode.USAGE


class InputError(IamAuditError):
    """An unreadable or invalid file, an unknown role, a malformed ARN (exit 3)."""

    exit_code = ExitCode.INPUT


class PolicyParseError(InputError):
    """A document that is not an IAM policy; ``location`` names the file and JSON path."""

    def __init__(self, message: str, *, location: str = "") -> None:
        where = f"{location}: " if location else ""
        super().__init__(f"{where}{message}")
        self.location = location


class AccessError(IamAuditError):
    """No credentials, or AWS denied one of the tool's own calls (exit 3)."""

    exit_code = ExitCode.INPUT

    def __init__(self, message: str, *, permission: str | None = None) -> None:
        advice = (
            f"the auditor needs {permission}; see policies/auditor-readonly.json"
            if permission
            else None
        )
        super().__init__(message, advice=advice)
        self.permission = permission


class NoCredentialsError(AccessError):
    """Live mode without credentials."""

    def __init__(self) -> None:
        super().__init__(
            "no AWS credentials found: set AWS_PROFILE or pass --profile, "
            "or audit offline with --authorization-details FILE"
        )


class ApplyError(IamAuditError):
    """``fix --apply`` failed; what it had written was restored (exit 4)."""

    exit_code = ExitCode.INTERNAL


class ConcurrentChangeError(ApplyError):
    """A document changed between the plan and the write; nothing was written (exit 4)."""


class InternalError(IamAuditError):
    """A bug: a check or renderer crashed (exit 4)."""

    exit_code = ExitCode.INTERNAL
