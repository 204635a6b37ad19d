"""``fix --apply`` and ``rollback``: the only code that writes to AWS.

The safety contract (DESIGN.md, README "fix --apply"):

- merge, never replace; check the account's size quotas; back up every document first;
- re-read each document immediately before writing it and write only if it is still exactly the
  text read when the plan was checked (IAM has no conditional write, so the window left is one
  round trip);
- after any failed write, read the document back to learn whether the write landed, and restore
  by comparing with the backup: a document is reported as restored only when it reads as before,
  and a document someone else changed after our write is left alone, never overwritten;
- SIGINT/SIGTERM during the writes: the call in flight finishes, what was written is restored (a
  second signal skips the restore), exit 128 + the signal number;
- rollback writes only documents the backup proves iam-audit changed: the text written must be
  the text before plus iam-audit's own additions, and must still be what the account holds.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import signal
import stat
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from iam_audit import aws
from iam_audit.errors import (
    AccessError,
    ApplyError,
    ConcurrentChangeError,
    ExitCode,
    IamAuditError,
    InputError,
    UsageError,
)
from iam_audit.fix.plan import INLINE_POLICY_NAME, FixPlan, PlannedFix, merge_inline, merge_trust
from iam_audit.inputs import inside, read_json
from iam_audit.outcome import signal_exit_code
from iam_audit.render.escape import shell_command

__all__ = [
    "ApplyFailed",
    "ApplyReport",
    "AwsCallError",
    "Backup",
    "BackupEntry",
    "Outcome",
    "RollbackStep",
    "apply_plan",
    "caller_account",
    "plan_rollback",
    "read_backup",
    "restore_backup",
    "rollback_diff",
]

BACKUP_FORMAT = "iam-audit-backup/2"
_OLD_FORMATS = ("iam-audit-backup/1",)
DEFAULT_ROLE_POLICY_QUOTA = 10_240
DEFAULT_TRUST_QUOTA = 2_048
_WHITESPACE = re.compile(r"\s+")
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_ARN = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):role/(?:[^\s]*/)?([^/\s]+)$")

#: the write calls this module makes, for the least-privilege test and the call counter
WRITE_OPERATIONS = ("PutRolePolicy", "UpdateAssumeRolePolicy", "DeleteRolePolicy")

# outcome states, as printed
WRITTEN = "written"
RESTORED = "restored"
NEVER_WRITTEN = "never written"
AS_BEFORE = "already as before"
LEFT_CHANGED = "left changed"


def policy_size(text: str) -> int:
    """Characters IAM counts against its quotas: "IAM does not count white space"."""
    return len(_WHITESPACE.sub("", text))


class AwsCallError(IamAuditError):
    """Apply or rollback stopped for a reason of its own (interrupted, an unexpected error, a
    failure before the first write); AWS's own errors are :func:`iam_audit.aws.translate`'s."""

    def __init__(
        self, message: str, *, exit_code: ExitCode = ExitCode.INTERNAL, advice: str | None = None
    ) -> None:
        super().__init__(message, advice=advice)
        self.exit_code = exit_code


def _first_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _aws(api: Any, service: str, operation: str, **kwargs: Any) -> Any:
    """One call; a failure is the one mapping's (:func:`iam_audit.aws.translate`): one line
    naming ``service:Operation``, exit 3 or 4."""
    try:
        return getattr(api, aws.method_name(operation))(**kwargs)
    except aws.AWS_ERRORS as err:
        raise aws.translated(err, f"{service}:{operation}") from None


def _aws_or_none(api: Any, service: str, operation: str, absent: str, **kwargs: Any) -> Any:
    """:func:`_aws`, or ``None`` when AWS answers with the error code ``absent``."""
    try:
        return getattr(api, aws.method_name(operation))(**kwargs)
    except aws.AWS_ERRORS as err:
        if aws.error_code(err) == absent:
            return None
        raise aws.translated(err, f"{service}:{operation}") from None


def raw_iam_client(session: Any) -> Any:
    """An IAM client that leaves policy documents as IAM sent them (URL-encoded text).

    botocore normally decodes them into dicts; we keep the exact text so that a backup restores
    byte for byte what was there. ``AWS_MAX_ATTEMPTS`` (the SDKs' setting: attempts in total, the
    first included) bounds the retries when set.
    """
    from botocore.handlers import json_decode_policies

    attempts = os.environ.get("AWS_MAX_ATTEMPTS", "")
    client = aws.client(session, "iam", attempts=int(attempts) if attempts.isdigit() else 0)
    client.meta.events.unregister("after-call.iam", json_decode_policies)
    return client


def caller_account(session: Any) -> str:
    """The account of the credentials in use (``sts:GetCallerIdentity``)."""
    sts = aws.client(session, "sts")
    return str(_aws(sts, "sts", "GetCallerIdentity")["Account"])


def _decode(value: Any) -> str:
    if isinstance(value, str):
        return urllib.parse.unquote(value) if value.lstrip().startswith("%") else value
    return json.dumps(value)


def _equivalent(text: str | None, other: str | None) -> bool:
    """The same document: identical text, or the same JSON (IAM may re-encode what it stores)."""
    if text is None or other is None:
        return text is None and other is None
    if text == other:
        return True
    try:
        return bool(json.loads(text) == json.loads(other))
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class BackupEntry:
    """One document: its text before the run (``None``: the inline policy did not exist), the
    text the run writes, and what iam-audit added (services for trust, statements for inline)."""

    role_name: str
    role_arn: str
    kind: str  # "inline" | "trust"
    policy_name: str
    before: str | None
    written: str
    added: tuple[Any, ...] = ()

    @property
    def label(self) -> str:
        what = "trust policy" if self.kind == "trust" else f"inline policy {self.policy_name}"
        return f"{self.role_name} {what}"

    @property
    def text(self) -> str | None:
        """The text before (the name older callers use)."""
        return self.before

    def as_dict(self) -> dict[str, Any]:
        return {
            "role_name": self.role_name,
            "role_arn": self.role_arn,
            "kind": self.kind,
            "policy_name": self.policy_name,
            "existed": self.before is not None,
            "before": self.before,
            "written": self.written,
            "added": list(self.added),
        }


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    created: str
    account: str
    entries: tuple[BackupEntry, ...]


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What a run wrote (``written``), where the backup is, and what it left alone."""

    written: tuple[PlannedFix, ...]
    backup: Path | None
    skipped: tuple[str, ...]


def rollback_command_line(backup: Path, *, force: bool = False) -> str:
    """The exact command that finishes a restore, quoted for a POSIX shell."""
    command = shell_command(["iam-audit", "rollback", str(backup)])
    return command + " --force" if force else command


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one document of a failed or interrupted run."""

    entry: BackupEntry
    state: str
    why: str = ""
    finish: str = ""

    def line(self) -> str:
        text = f"{self.entry.label}: {self.state}"
        if self.why:
            text += f" ({self.why})"
        if self.finish:
            text += f"; finish with: {self.finish}"
        return text


class ApplyFailed(ApplyError):
    """A run that stopped after its backup: per-document outcomes, the cause's exit code."""

    def __init__(
        self,
        message: str,
        *,
        exit_code: ExitCode,
        outcomes: Sequence[Outcome],
        backup: Path,
        advice: str | None = None,
    ) -> None:
        super().__init__(message, advice=advice)
        self.exit_code = exit_code
        self.outcomes = tuple(outcomes)
        self.backup = backup

    def lines(self) -> list[str]:
        """One line per document, for stderr before the error line."""
        return [outcome.line() for outcome in self.outcomes]


class Writer:
    """Reads and writes one role's documents with exact text, through one raw IAM client."""

    def __init__(self, session: Any) -> None:
        self.iam = raw_iam_client(session)

    def read(self, role_name: str, kind: str, policy_name: str) -> str | None:
        if kind == "trust":
            role = _aws(self.iam, "iam", "GetRole", RoleName=role_name)["Role"]
            return _decode(role["AssumeRolePolicyDocument"])
        got = _aws_or_none(
            self.iam,
            "iam",
            "GetRolePolicy",
            "NoSuchEntity",
            RoleName=role_name,
            PolicyName=policy_name,
        )
        return None if got is None else _decode(got["PolicyDocument"])

    def write(self, role_name: str, kind: str, policy_name: str, text: str | None) -> None:
        if kind == "trust":
            if text is None:
                raise ApplyError(f"cannot restore an absent trust policy on {role_name}")
            _aws(self.iam, "iam", "UpdateAssumeRolePolicy", RoleName=role_name, PolicyDocument=text)
        elif text is None:
            _aws(self.iam, "iam", "DeleteRolePolicy", RoleName=role_name, PolicyName=policy_name)
        else:
            _aws(
                self.iam,
                "iam",
                "PutRolePolicy",
                RoleName=role_name,
                PolicyName=policy_name,
                PolicyDocument=text,
            )

    def read_entry(self, entry: BackupEntry) -> str | None:
        return self.read(entry.role_name, entry.kind, entry.policy_name)

    def write_entry(self, entry: BackupEntry, text: str | None) -> None:
        self.write(entry.role_name, entry.kind, entry.policy_name, text)

    def inline_sizes(self, role_name: str) -> dict[str, int]:
        """Every inline policy's counted size, by name."""
        sizes = {}
        names: list[str] = []
        marker: str | None = None
        while True:
            page = _aws(
                self.iam,
                "iam",
                "ListRolePolicies",
                RoleName=role_name,
                **({"Marker": marker} if marker else {}),
            )
            names += page.get("PolicyNames", [])
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                break
        for name in names:
            text = self.read(role_name, "inline", name)
            sizes[name] = policy_size(text or "")
        return sizes

    def quotas(self) -> tuple[int, int]:
        """(inline policies per role, trust policy) quotas; the defaults when unreadable."""
        try:
            summary = _aws(self.iam, "iam", "GetAccountSummary")["SummaryMap"]
        except IamAuditError:  # the quota read is advisory: fall back to the documented defaults
            return DEFAULT_ROLE_POLICY_QUOTA, DEFAULT_TRUST_QUOTA
        return (
            int(summary.get("RolePolicySizeQuota", DEFAULT_ROLE_POLICY_QUOTA)),
            int(summary.get("AssumeRolePolicySizeQuota", DEFAULT_TRUST_QUOTA)),
        )


def _text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2)


def _same(text: str | None, document: Mapping[str, Any] | None) -> bool:
    if text is None or document is None:
        return text is None and document is None
    try:
        return bool(json.loads(text) == document)
    except ValueError:
        return False


def _account_of(role_arn: str) -> str:
    match = _ROLE_ARN.match(role_arn)
    return match.group(1) if match else ""


def _private_dir(folder: Path) -> None:
    """``folder`` exists, is a folder, and only its owner may enter it (0700)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
        if not stat.S_ISDIR(info.st_mode):
            raise InputError(f"backup folder {folder} is not a folder")
        if info.st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError as err:
        raise InputError(f"cannot prepare backup folder {folder}: {err.strerror}") from None


def _save_backup(entries: Sequence[BackupEntry], backup_dir: Path, now: datetime) -> Path:
    _private_dir(backup_dir)
    stamp = now.strftime("%Y%m%dT%H%M%S.%fZ")
    path = inside(backup_dir, f"iam-audit-backup-{stamp}.json").absolute()
    accounts = {_account_of(e.role_arn) for e in entries}
    data = {
        "format": BACKUP_FORMAT,
        "created": now.isoformat(),
        "account": accounts.pop() if len(accounts) == 1 else "",
        "entries": [e.as_dict() for e in entries],
    }
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as err:
        raise InputError(f"cannot write backup {path}: {err.strerror}") from None
    return path


class _Signals:
    """SIGINT and SIGTERM noted, not raised: the code acts on them between AWS calls.

    Installed only in the main thread (the only one Python delivers signals to).
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)

    def count(self) -> int:
        """How many signals arrived so far (a method: it changes between two looks)."""
        return len(self.received)

    @contextmanager
    def installed(self) -> Iterator[_Signals]:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._note)
        try:
            yield self
        finally:
            for number, previous in self._previous.items():
                signal.signal(number, previous)


def _signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def apply_plan(
    plan: FixPlan,
    session: Any,
    *,
    backup_dir: Path,
    now: datetime | None = None,
    writer: Writer | None = None,
    on_backup: Callable[[Path], None] | None = None,
) -> ApplyReport:
    """Write the plan's changed documents; on any failure restore what was written.

    Raises :class:`ConcurrentChangeError` or :class:`ApplyError` (nothing written) when a
    document changed since the plan or a quota would be exceeded; :class:`ApplyFailed` (with an
    outcome per document) when a write failed, a document changed after the backup, or a signal
    arrived during the writes.
    """
    writer = writer or Writer(session)
    changes = [f for f in plan.fixes if f.changed]
    skipped = tuple(f"{s.check} {s.role_arn}: {s.reason}" for s in plan.skipped)
    if not changes:
        return ApplyReport((), None, skipped)
    signals = _Signals()
    with signals.installed():
        entries = _prepare(changes, writer, signals)
        backup = _save_backup(entries, backup_dir, now or datetime.now(UTC))
        if on_backup is not None:
            on_backup(backup)
        _write_all(entries, writer, signals, backup)
    return ApplyReport(tuple(changes), backup, skipped)


def _as_error(err: Exception) -> IamAuditError:
    """An error of the write phase as ours; one that is not (a bug) still triggers the restore."""
    if isinstance(err, IamAuditError):
        return err
    return AwsCallError(f"unexpected {type(err).__name__}: {_first_line(str(err))}")


def _nothing_written(err: IamAuditError) -> IamAuditError:
    if isinstance(err, ApplyError):
        return err
    return AwsCallError(
        f"{err.message}; nothing was written", exit_code=err.exit_code, advice=err.advice
    )


def _stop_if_signalled(signals: _Signals) -> None:
    if signals.count():
        signum = signals.received[0]
        raise ApplyFailed(
            f"interrupted by {_signal_name(signum)} before the first write; nothing was written",
            exit_code=signal_exit_code(signum),
            outcomes=(),
            backup=Path(),
        )


def _prepare(changes: Sequence[PlannedFix], writer: Writer, signals: _Signals) -> list[BackupEntry]:
    """Read every document (stop if one differs from the plan), check the quotas."""
    entries = []
    try:
        for fix in changes:
            _stop_if_signalled(signals)
            text = writer.read(fix.role_name, fix.target, fix.policy_name)
            if not _same(text, fix.before):
                raise ConcurrentChangeError(
                    f"{fix.role_name}: the {fix.target} policy {fix.policy_name} changed since "
                    "the plan was made; nothing was written",
                    advice="run `iam-audit fix` again to see the new plan",
                )
            entries.append(
                BackupEntry(
                    fix.role_name,
                    fix.role_arn,
                    fix.target,
                    fix.policy_name,
                    text,
                    _text(fix.after),
                    tuple(fix.added),
                )
            )
        role_quota, trust_quota = writer.quotas()
        for fix in changes:
            _stop_if_signalled(signals)
            size = policy_size(_text(fix.after))
            if fix.target == "trust" and size > trust_quota:
                raise ApplyError(
                    f"{fix.role_name}: the fixed trust policy would be {size} characters, over "
                    f"the account's quota of {trust_quota}; nothing was written",
                    advice="ask for a higher AssumeRolePolicySizeQuota or shorten the trust policy",
                )
            if fix.target == "inline":
                sizes = writer.inline_sizes(fix.role_name)
                sizes[fix.policy_name] = size
                total = sum(sizes.values())
                if total > role_quota:
                    raise ApplyError(
                        f"{fix.role_name}: its inline policies would total {total} characters, "
                        f"over the quota of {role_quota}; nothing was written",
                        advice="move statements into a managed policy",
                    )
    except ApplyFailed:
        raise
    except IamAuditError as err:
        raise _nothing_written(err) from None
    return entries


def _write_all(
    entries: Sequence[BackupEntry], writer: Writer, signals: _Signals, backup: Path
) -> None:
    """Re-read and write each entry in turn; on any failure or signal restore and raise."""
    attempted: dict[int, str] = {}  # index -> WRITTEN, or "unsure" when the call failed
    failure: IamAuditError | None = None
    for index, entry in enumerate(entries):
        if signals.count():
            break
        try:
            current = writer.read_entry(entry)
        except Exception as err:  # any failure, a bug included, must restore what was written
            failure = _as_error(err)
            break
        if current != entry.before:
            failure = ConcurrentChangeError(
                f"{entry.label} changed after it was backed up and before iam-audit wrote it; "
                "it was not written"
            )
            break
        if signals.count():
            break
        try:
            writer.write_entry(entry, entry.written)
        except Exception as err:  # any failure, a bug included, must restore what was written
            attempted[index] = "unsure"
            failure = _as_error(err)
            break
        attempted[index] = WRITTEN
    if failure is None and not signals.count():
        return
    base = signals.count()
    outcomes = _undo(entries, attempted, writer, signals, base, backup)
    raise _failure(failure, signals, base, outcomes, backup)


def _undo(
    entries: Sequence[BackupEntry],
    attempted: Mapping[int, str],
    writer: Writer,
    signals: _Signals,
    base: int,
    backup: Path,
) -> list[Outcome]:
    """Restore the attempted entries, last first; a signal after ``base`` skips the rest."""
    outcomes: dict[int, Outcome] = {}
    for index in reversed(range(len(entries))):
        entry = entries[index]
        if index not in attempted:
            outcomes[index] = Outcome(entry, NEVER_WRITTEN)
        elif signals.count() > base:
            outcomes[index] = Outcome(
                entry,
                LEFT_CHANGED,
                "the restore was skipped by a second interrupt",
                rollback_command_line(backup),
            )
        else:
            outcomes[index] = _restore_one(
                entry, writer, backup, unsure=attempted[index] != WRITTEN
            )
    return [outcomes[i] for i in range(len(entries))]


def _restore_one(entry: BackupEntry, writer: Writer, backup: Path, *, unsure: bool) -> Outcome:
    """Compare the document with the backup, and put the text before back if it is ours."""
    finish = rollback_command_line(backup)
    try:
        current = writer.read_entry(entry)
    except IamAuditError as err:
        return Outcome(entry, LEFT_CHANGED, f"it could not be read back: {err.message}", finish)
    if _equivalent(current, entry.before):
        if unsure:
            return Outcome(entry, NEVER_WRITTEN, "read back after the failed write: as before")
        return Outcome(entry, AS_BEFORE, "someone else restored it")
    if not _equivalent(current, entry.written):
        return Outcome(
            entry,
            LEFT_CHANGED,
            "changed by someone else after iam-audit wrote it; not overwritten",
            rollback_command_line(backup, force=True) + " (after reviewing its diff)",
        )
    try:
        writer.write_entry(entry, entry.before)
    except IamAuditError as err:
        try:
            again = writer.read_entry(entry)
        except IamAuditError:
            return Outcome(entry, LEFT_CHANGED, f"restoring it failed: {err.message}", finish)
        if _equivalent(again, entry.before):
            return Outcome(entry, RESTORED, "its reply was lost but it reads as before")
        return Outcome(entry, LEFT_CHANGED, f"restoring it failed: {err.message}", finish)
    return Outcome(entry, RESTORED)


def _failure(
    cause: IamAuditError | None,
    signals: _Signals,
    base: int,
    outcomes: Sequence[Outcome],
    backup: Path,
) -> ApplyFailed:
    counts = {
        state: sum(1 for o in outcomes if o.state == state)
        for state in (RESTORED, NEVER_WRITTEN, AS_BEFORE, LEFT_CHANGED)
    }
    summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    left = counts[LEFT_CHANGED]
    advice = (
        f"{left} document(s) left changed: see the lines above; "
        f"finish with `{rollback_command_line(backup)}`"
        if left
        else None
    )
    if base:
        signum = signals.received[0]
        what = f"interrupted by {_signal_name(signum)} during the writes"
        if signals.count() > base:
            what += "; a second interrupt skipped the restore"
        return ApplyFailed(
            f"{what}: {summary} (backup: {backup})",
            exit_code=signal_exit_code(signum),
            outcomes=outcomes,
            backup=backup,
            advice=advice,
        )
    assert cause is not None
    if isinstance(cause, AccessError) and cause.advice:
        advice = f"{cause.advice}; {advice}" if advice else cause.advice
    return ApplyFailed(
        f"{cause.message}: {summary} (backup: {backup})",
        exit_code=cause.exit_code,
        outcomes=outcomes,
        backup=backup,
        advice=advice,
    )


# -- rollback ------------------------------------------------------------------------------------


def _malformed(path: Path, index: int, why: str) -> InputError:
    return InputError(f"{path}: entry {index} {why}; nothing was written")


def _json_object(text: str | None, path: Path, index: int, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise _malformed(path, index, f"has a {what} text that is not JSON") from None
    if not isinstance(value, dict):
        raise _malformed(path, index, f"has a {what} text that is not a JSON object")
    return value


def _entry(item: Any, index: int, path: Path, account: str) -> BackupEntry:
    """One entry, accepted only if it is a document a ``fix --apply`` run wrote."""
    if not isinstance(item, dict):
        raise _malformed(path, index, "is not an object")
    fields = {k: item.get(k) for k in ("role_name", "role_arn", "kind", "policy_name", "before")}
    written, added = item.get("written"), item.get("added")
    if not all(
        isinstance(fields[k], str) for k in ("role_name", "role_arn", "kind", "policy_name")
    ):
        raise _malformed(path, index, "lacks role_name, role_arn, kind or policy_name")
    before = fields["before"]
    if not (before is None or isinstance(before, str)) or not isinstance(written, str):
        raise _malformed(path, index, "lacks the text before or the text written")
    if not isinstance(added, list):
        raise _malformed(path, index, "lacks the list of what iam-audit added")
    role_name, role_arn, kind, policy_name = (
        str(fields["role_name"]),
        str(fields["role_arn"]),
        str(fields["kind"]),
        str(fields["policy_name"]),
    )
    match = _ROLE_ARN.match(role_arn)
    if not match or match.group(2) != role_name:
        raise _malformed(path, index, f"names role {role_name!r} but its ARN is {role_arn!r}")
    if match.group(1) != account:
        raise _malformed(path, index, f"is for account {match.group(1)}, the backup for {account}")
    if kind == "trust":
        if policy_name != "trust" or before is None:
            raise _malformed(path, index, "is a trust policy without its text before")
    elif kind != "inline" or policy_name != INLINE_POLICY_NAME:
        raise _malformed(
            path, index, f"is not a document fix --apply writes ({kind} {policy_name!r})"
        )
    before_doc = _json_object(before, path, index, "before")
    written_doc = _json_object(written, path, index, "written")
    if kind == "trust":
        if not all(isinstance(a, str) for a in added):
            raise _malformed(path, index, "lists added services that are not strings")
        rebuilt: dict[str, Any] | None = before_doc
        for service in added:
            rebuilt = merge_trust(rebuilt, service)
    else:
        if not all(isinstance(a, dict) for a in added):
            raise _malformed(path, index, "lists added statements that are not objects")
        rebuilt = merge_inline(before_doc, added)
    if not added or rebuilt != written_doc:
        raise _malformed(
            path,
            index,
            f"({role_name}): the text written is not the text before plus iam-audit's "
            "additions, so the backup was edited",
        )
    return BackupEntry(role_name, role_arn, kind, policy_name, before, written, tuple(added))


def read_backup(path: Path) -> Backup:
    """Parse and validate a backup file written by :func:`apply_plan`.

    Every entry must be a document ``fix --apply`` writes (a trust policy, or the
    ``iam-audit-cognito-import`` inline policy) of a role in the backup's account, and its
    written text must be its text before plus the additions it lists: so a rollback can only take
    away what iam-audit added, whatever the file says.
    """
    data = read_json(path, "backup file")  # a regular file, size-capped: never /dev/zero
    fmt = data.get("format") if isinstance(data, dict) else None
    if fmt in _OLD_FORMATS:
        raise InputError(
            f"{path} was written by an older iam-audit ({fmt}) that did not record the text "
            "it wrote; nothing was written",
            advice="restore its 'text' values by hand after comparing them with the account",
        )
    if not isinstance(data, dict) or fmt != BACKUP_FORMAT:
        raise InputError(f"{path} is not an iam-audit backup file")
    account = data.get("account")
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        raise InputError(f"{path} does not name the account it was made in")
    items = data.get("entries")
    if not isinstance(items, list):
        raise InputError(f"{path} has no list of entries")
    entries = [_entry(item, index, path, account) for index, item in enumerate(items)]
    keys = [(e.role_name, e.kind, e.policy_name) for e in entries]
    if len(set(keys)) != len(keys):
        raise InputError(f"{path} lists a document twice; nothing was written")
    return Backup(path, str(data.get("created", "")), account, tuple(entries))


@dataclass(frozen=True, slots=True)
class RollbackStep:
    """One backed-up document as the account holds it now: ``state`` says what rollback does.

    ``"as before"``: nothing to do; ``"restore"``: it holds what the apply wrote;
    ``"changed"``: someone changed it since (written only with ``--force``).
    """

    entry: BackupEntry
    current: str | None
    state: str


def plan_rollback(backup: Backup, writer: Writer) -> list[RollbackStep]:
    """Read every document of the backup and decide what rollback would do with it."""
    steps = []
    for entry in backup.entries:
        current = writer.read_entry(entry)
        if _equivalent(current, entry.before):
            state = "as before"
        elif _equivalent(current, entry.written):
            state = "restore"
        else:
            state = "changed"
        steps.append(RollbackStep(entry, current, state))
    return steps


def _pretty(text: str | None) -> list[str]:
    if text is None:
        return []
    try:
        shown = json.dumps(json.loads(text), indent=2) + "\n"
    except ValueError:
        shown = text if text.endswith("\n") else text + "\n"
    return shown.splitlines(keepends=True)


def rollback_diff(step: RollbackStep) -> str:
    """A unified diff from the document now to the document rollback writes."""
    name = f"{step.entry.role_name}/{step.entry.policy_name}"
    return "".join(
        difflib.unified_diff(
            _pretty(step.current),
            _pretty(step.entry.before),
            fromfile=f"a/{name}" if step.current is not None else "/dev/null",
            tofile=f"b/{name}" if step.entry.before is not None else "/dev/null",
        )
    )


def restore_backup(
    steps: Sequence[RollbackStep], writer: Writer, backup: Path
) -> tuple[list[Outcome], IamAuditError | None]:
    """Write the text before of each step, last first; re-read each just before writing it.

    Stops at the first failure, or at SIGINT/SIGTERM once the call in flight is done; returns
    every step's outcome and the failure (for a signal: exit 128 + its number), if any.
    """
    outcomes: list[Outcome] = []
    failure: IamAuditError | None = None
    finish = rollback_command_line(backup)
    signals = _Signals()
    with signals.installed():
        for step in reversed(steps):
            entry = step.entry
            if failure is None and signals.count():
                signum = signals.received[0]
                failure = AwsCallError(
                    f"interrupted by {_signal_name(signum)}", exit_code=signal_exit_code(signum)
                )
            if failure is not None:
                outcomes.append(Outcome(entry, LEFT_CHANGED, "not reached", finish))
                continue
            outcome, failure = _restore_step(step, writer, finish)
            outcomes.append(outcome)
    outcomes.reverse()
    return outcomes, failure


def _restore_step(
    step: RollbackStep, writer: Writer, finish: str
) -> tuple[Outcome, IamAuditError | None]:
    entry = step.entry
    try:
        current = writer.read_entry(entry)
    except IamAuditError as err:
        return Outcome(entry, LEFT_CHANGED, "it could not be read", finish), err
    if current != step.current:
        failure = ConcurrentChangeError(f"{entry.label} changed while rollback ran")
        return Outcome(entry, LEFT_CHANGED, "changed while rollback ran", finish), failure
    try:
        writer.write_entry(entry, entry.before)
    except IamAuditError as err:
        try:
            landed = _equivalent(writer.read_entry(entry), entry.before)
        except IamAuditError:
            landed = False
        if landed:
            return Outcome(entry, RESTORED, "its reply was lost; it reads as before"), None
        return Outcome(entry, LEFT_CHANGED, f"writing failed: {err.message}", finish), err
    return Outcome(entry, RESTORED), None


def confirm_or_refuse(
    yes: bool, interactive: bool, ask: Callable[[str], bool], question: str
) -> bool:
    """``--yes``, or a terminal's answer; with neither, a usage error (exit 2)."""
    if yes:
        return True
    if not interactive:
        raise UsageError("no terminal to confirm the write: pass --yes")
    return ask(question)
