"""The text view of ``lambda calls`` (the JSON view is :meth:`CodeFacts.as_dict`)."""

from __future__ import annotations

import re

from iam_audit.codecalls.resolve import CodeFacts

__all__ = ["calls_table", "printable"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (a terminal's escape sequences) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def calls_table(facts: CodeFacts) -> str:
    """One line per IAM action a call needs: where, action, resource (or why it is unresolved)."""
    out: list[str] = []
    width = max((len(c.where) for c in facts.calls), default=0)
    action_width = max((len(c.action) for c in facts.calls), default=0)
    for c in facts.calls:
        if c.resource is not None:
            target = c.resource + (f" ({c.named_by})" if c.named_by else "")
        else:
            target = f"unresolved: {c.unresolved}"
        extra = []
        if c.via is not None:
            extra.append(f"as the role assumed at {c.via.where}")
        if c.call.implicit:
            extra.append("made by the SDK's credentials provider")
        suffix = f"  [{'; '.join(extra)}]" if extra else ""
        out.append(printable(f"{c.where:<{width}}  {c.action:<{action_width}}  {target}{suffix}"))
    triggers = ", ".join(facts.trigger_sources) or "none found"
    out.append(printable(f"trigger sources: {triggers}"))
    out.extend(printable(f"note: {note}") for note in facts.notes)
    files = len({c.call.file for c in facts.calls})
    actions = "1 IAM action" if len(facts.calls) == 1 else f"{len(facts.calls)} IAM actions"
    where = "1 file" if files == 1 else f"{files} files"
    out.append(printable(f"{facts.package}: {actions} from SDK calls in {where}"))
    return "\n".join(out) + "\n"
