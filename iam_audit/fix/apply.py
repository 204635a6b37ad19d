"""``fix --apply`` and ``rollback``: the only code that writes to AWS.

The safety contract (DESIGN.md): merge, never replace; back up every document before the first
write; re-read each document just before writing and stop if it changed since the plan; check the
account's size quotas; if a write fails, restore what was written and exit 4; after writing,
audit again and report the verified result.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from iam_audit import aws
from iam_audit.errors import (
    AccessError,
    ApplyError,
    ConcurrentChangeError,
    InputError,
    UsageError,
)
from iam_audit.fix.plan import FixPlan, PlannedFix
from iam_audit.inputs import inside, read_json
from iam_audit.render.escape import shell_command

__all__ = [
    "ApplyReport",
    "Backup",
    "BackupEntry",
    "apply_plan",
    "read_backup",
    "restore_backup",
]

BACKUP_FORMAT = "iam-audit-backup/1"
DEFAULT_ROLE_POLICY_QUOTA = 10_240
DEFAULT_TRUST_QUOTA = 2_048
_WHITESPACE = re.compile(r"\s+")

#: the write calls this module makes, for the least-privilege test and the call counter
WRITE_OPERATIONS = ("PutRolePolicy", "UpdateAssumeRolePolicy", "DeleteRolePolicy")


def policy_size(text: str) -> int:
    """Characters IAM counts against its quotas: "IAM does not count white space"."""
    return len(_WHITESPACE.sub("", text))


def raw_iam_client(session: Any) -> Any:
    """An IAM client that leaves policy documents as IAM sent them (URL-encoded text).

    botocore normally decodes them into dicts; we keep the exact text so that a backup restores
    byte for byte what was there.
    """
    from botocore.handlers import json_decode_policies

    client = aws.client(session, "iam")
    client.meta.events.unregister("after-call.iam", json_decode_policies)
    return client


def _decode(value: Any) -> str:
    if isinstance(value, str):
        return urllib.parse.unquote(value) if value.lstrip().startswith("%") else value
    return json.dumps(value)


@dataclass(frozen=True, slots=True)
class BackupEntry:
    """One document as it was before the run: ``text`` is ``None`` when it did not exist."""

    role_name: str
    role_arn: str
    kind: str  # "inline" | "trust"
    policy_name: str
    text: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "role_name": self.role_name,
            "role_arn": self.role_arn,
            "kind": self.kind,
            "policy_name": self.policy_name,
            "existed": self.text is not None,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    created: str
    entries: tuple[BackupEntry, ...]


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """What a run wrote (``written``), where the backup is, and what it left alone."""

    written: tuple[PlannedFix, ...]
    backup: Path | None
    skipped: tuple[str, ...]


class Writer:
    """Reads and writes one role's documents with exact text, through one raw IAM client."""

    def __init__(self, session: Any) -> None:
        self.iam = raw_iam_client(session)

    def read(self, role_name: str, kind: str, policy_name: str) -> str | None:
        if kind == "trust":
            role = aws.call(self.iam, "iam", "GetRole", RoleName=role_name)["Role"]
            return _decode(role["AssumeRolePolicyDocument"])
        try:
            got = aws.call(
                self.iam, "iam", "GetRolePolicy", RoleName=role_name, PolicyName=policy_name
            )
        except aws.ClientError as err:
            if aws.error_code(err) == "NoSuchEntity":
                return None
            raise
        return _decode(got["PolicyDocument"])

    def write(self, role_name: str, kind: str, policy_name: str, text: str | None) -> None:
        if kind == "trust":
            if text is None:
                raise ApplyError(f"cannot restore an absent trust policy on {role_name}")
            aws.call(
                self.iam, "iam", "UpdateAssumeRolePolicy", RoleName=role_name, PolicyDocument=text
            )
        elif text is None:
            aws.call(
                self.iam, "iam", "DeleteRolePolicy", RoleName=role_name, PolicyName=policy_name
            )
        else:
            aws.call(
                self.iam,
                "iam",
                "PutRolePolicy",
                RoleName=role_name,
                PolicyName=policy_name,
                PolicyDocument=text,
            )

    def inline_sizes(self, role_name: str) -> dict[str, int]:
        """Every inline policy's counted size, by name."""
        sizes = {}
        for name in aws.paginate(
            self.iam, "iam", "ListRolePolicies", "PolicyNames", RoleName=role_name
        ):
            text = self.read(role_name, "inline", name)
            sizes[name] = policy_size(text or "")
        return sizes

    def quotas(self) -> tuple[int, int]:
        """(inline policies per role, trust policy) quotas; the defaults when unreadable."""
        try:
            summary = aws.call(self.iam, "iam", "GetAccountSummary")["SummaryMap"]
        except Exception:  # the quota read is advisory: fall back to the documented defaults
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


def _save_backup(entries: list[BackupEntry], backup_dir: Path, now: datetime) -> Path:
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create backup folder {backup_dir}: {err.strerror}") from None
    stamp = now.strftime("%Y%m%dT%H%M%S.%fZ")
    path = inside(backup_dir, f"iam-audit-backup-{stamp}.json")
    data = {
        "format": BACKUP_FORMAT,
        "created": now.isoformat(),
        "entries": [e.as_dict() for e in entries],
    }
    try:
        with path.open("x", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
    except OSError as err:
        raise InputError(f"cannot write backup {path}: {err.strerror}") from None
    return path


def apply_plan(
    plan: FixPlan,
    session: Any,
    *,
    backup_dir: Path,
    now: datetime | None = None,
    writer: Writer | None = None,
) -> ApplyReport:
    """Write the plan's changed documents; restore them all if any write fails.

    Raises :class:`ConcurrentChangeError` (nothing written) when a document changed since the
    plan, :class:`ApplyError` when a quota would be exceeded (nothing written) or a write failed
    (what was written is restored).
    """
    writer = writer or Writer(session)
    changes = [f for f in plan.fixes if f.changed]
    skipped = tuple(f"{s.check} {s.role_arn}: {s.reason}" for s in plan.skipped)
    if not changes:
        return ApplyReport((), None, skipped)

    # 1. re-read every document; stop before any write if one changed since the plan
    current: dict[tuple[str, str, str], str | None] = {}
    for fix in changes:
        key = (fix.role_name, fix.target, fix.policy_name)
        current[key] = writer.read(*key)
        if not _same(current[key], fix.before):
            raise ConcurrentChangeError(
                f"{fix.role_name}: the {fix.target} policy {fix.policy_name} changed since the "
                "plan was made; nothing was written",
                advice="run `iam-audit fix` again to see the new plan",
            )

    # 2. size quotas, with the account's own values where readable
    role_quota, trust_quota = writer.quotas()
    for fix in changes:
        size = policy_size(_text(fix.after))
        if fix.target == "trust" and size > trust_quota:
            raise ApplyError(
                f"{fix.role_name}: the fixed trust policy would be {size} characters, over the "
                f"account's quota of {trust_quota}; nothing was written",
                advice="ask for a higher AssumeRolePolicySizeQuota or shorten the trust policy",
            )
        if fix.target == "inline":
            sizes = writer.inline_sizes(fix.role_name)
            sizes[fix.policy_name] = size
            total = sum(sizes.values())
            if total > role_quota:
                raise ApplyError(
                    f"{fix.role_name}: its inline policies would total {total} characters, over "
                    f"the quota of {role_quota}; nothing was written",
                    advice="move statements into a managed policy",
                )

    # 3. back up exactly what is there, then write
    entries = [
        BackupEntry(
            f.role_name,
            f.role_arn,
            f.target,
            f.policy_name,
            current[(f.role_name, f.target, f.policy_name)],
        )
        for f in changes
    ]
    backup = _save_backup(entries, backup_dir, now or datetime.now(UTC))
    written: list[BackupEntry] = []
    try:
        for fix, entry in zip(changes, entries, strict=True):
            writer.write(fix.role_name, fix.target, fix.policy_name, _text(fix.after))
            written.append(entry)
    except Exception as err:
        failures = _restore(writer, list(reversed(written)))
        if isinstance(err, AccessError) and not failures:
            raise AccessError(
                f"{err.message}; the {len(written)} document(s) already written were restored",
                permission=err.permission,
            ) from None
        detail = f"{type(err).__name__}: {err}"
        if failures:
            raise ApplyError(
                f"a write failed ({detail}) and restoring failed too for "
                f"{', '.join(failures)}; restore with "
                f"`{shell_command(['iam-audit', 'rollback', backup])}`"
            ) from None
        raise ApplyError(
            f"a write failed ({detail}); the {len(written)} document(s) already written were "
            f"restored (backup: {backup})"
        ) from None
    return ApplyReport(tuple(changes), backup, skipped)


def _restore(writer: Writer, entries: list[BackupEntry]) -> list[str]:
    """Put each entry's text back; return the ones that could not be restored."""
    failures = []
    for entry in entries:
        try:
            writer.write(entry.role_name, entry.kind, entry.policy_name, entry.text)
        except Exception:  # keep restoring the others; the caller names what failed
            failures.append(f"{entry.role_name}/{entry.policy_name}")
    return failures


def read_backup(path: Path) -> Backup:
    """Parse a backup file written by :func:`apply_plan`."""
    data = read_json(path, "backup file")
    if not isinstance(data, dict) or data.get("format") != BACKUP_FORMAT:
        raise InputError(f"{path} is not an iam-audit backup file")
    if not isinstance(data.get("entries") or [], list):
        raise InputError(f"{path}: entries is not a list")
    entries = []
    for index, item in enumerate(data.get("entries") or []):
        try:
            text = item["text"]
            if item["kind"] not in ("inline", "trust") or not (
                text is None or isinstance(text, str)
            ):
                raise KeyError("kind")
            entries.append(
                BackupEntry(
                    item["role_name"], item["role_arn"], item["kind"], item["policy_name"], text
                )
            )
        except (KeyError, TypeError):
            raise InputError(f"{path}: entry {index} is malformed") from None
    return Backup(path, str(data.get("created", "")), tuple(entries))


def restore_backup(backup: Backup, session: Any, writer: Writer | None = None) -> list[BackupEntry]:
    """Restore every entry exactly (deleting inline policies that did not exist)."""
    writer = writer or Writer(session)
    failures = _restore(writer, list(reversed(backup.entries)))
    if failures:
        raise ApplyError(f"could not restore {', '.join(failures)}")
    return list(backup.entries)


def confirm_or_refuse(
    yes: bool, interactive: bool, ask: Callable[[str], bool], question: str
) -> bool:
    """``--yes``, or a terminal's answer; with neither, a usage error (exit 2)."""
    if yes:
        return True
    if not interactive:
        raise UsageError("no terminal to confirm the write: pass --yes")
    return ask(question)
