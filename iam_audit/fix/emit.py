"""Show a fix plan (diffs and documents) and write its documents as files."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from iam_audit.errors import InputError
from iam_audit.fix.plan import FixPlan, PlannedFix
from iam_audit.inputs import inside, refuse_overlap, safe_name
from iam_audit.render.escape import for_terminal
from iam_audit.render.interface import TextFormat

__all__ = [
    "document_text",
    "file_name",
    "plan_to_dict",
    "render_plan",
    "unified_diff",
    "write_plan",
]


def document_text(document: Mapping[str, Any] | None) -> str:
    """The canonical text we show, diff and write: two-space JSON, keys in their order."""
    if document is None:
        return ""
    return json.dumps(document, indent=2) + "\n"


def _label(fix: PlannedFix) -> str:
    if fix.target == "trust":
        return "trust policy"
    return f"inline policy {for_terminal(fix.policy_name)}"


def unified_diff(fix: PlannedFix, *, for_display: bool = False) -> str:
    """A unified diff from the current document to the planned one.

    ``for_display`` escapes the role and policy names in the header for a terminal; the body is
    ASCII JSON already (:func:`document_text`).
    """
    before = document_text(fix.before).splitlines(keepends=True)
    after = document_text(fix.after).splitlines(keepends=True)
    name = f"{fix.role_name}/{fix.policy_name}"
    if for_display:
        name = for_terminal(name)
    return "".join(
        difflib.unified_diff(
            before,
            after,
            fromfile=f"a/{name}" if fix.before is not None else "/dev/null",
            tofile=f"b/{name}",
        )
    )


def plan_to_dict(plan: FixPlan) -> dict[str, Any]:
    """The plan as data for pipelines (``fix --format json``)."""
    return {
        "version": 1,
        "changes": [
            {
                "role": f.role_arn,
                "role_name": f.role_name,
                "target": f.target,
                "policy_name": f.policy_name,
                "checks": list(f.checks),
                "changed": f.changed,
                "before": f.before,
                "after": f.after,
                "diff": unified_diff(f),
            }
            for f in plan.fixes
        ],
        "skipped": [
            {"role": s.role_arn, "check": s.check, "reason": s.reason} for s in plan.skipped
        ],
    }


def render_plan(plan: FixPlan, fmt: TextFormat) -> str:
    """Per role: what changes, the diff, and the full fixed document; then what is not fixed."""
    if fmt is TextFormat.JSON:
        return json.dumps(plan_to_dict(plan), indent=2) + "\n"
    lines: list[str] = []
    for fix in plan.fixes:
        if not fix.changed:
            continue
        lines.append(
            f"{for_terminal(fix.role_name)}: {_label(fix)} ({', '.join(fix.checks)})"
            + (" — new" if fix.before is None else "")
        )
        lines.append(unified_diff(fix, for_display=True).rstrip("\n"))
        lines.append("")
    for skipped in plan.skipped:
        lines.append(
            f"not fixed: {skipped.check} {for_terminal(skipped.role_arn)}: "
            f"{for_terminal(skipped.reason)}"
        )
    if not lines:
        return "nothing to fix: every check that iam-audit can fix passes\n"
    changed = sum(1 for f in plan.fixes if f.changed)
    lines.append(
        f"{changed} document(s) to change; nothing was written (run with --apply to write)"
    )
    return "\n".join(lines) + "\n"


def file_name(fix: PlannedFix) -> str:
    """``<role>.<policy>.json``, each part made one safe file name (:func:`safe_name`), so a
    role named ``../../x`` or ``/etc/x`` stays a file inside the folder."""
    return f"{safe_name(fix.role_name)}.{safe_name(fix.policy_name)}.json"


def write_plan(
    plan: FixPlan, out_dir: Path, inputs: Iterable[tuple[str, Path | None]] = ()
) -> list[Path]:
    """Write each changed document to ``out_dir/<role>.<policy>.json``; return the paths.

    Every path is checked to resolve inside ``out_dir`` and to be none of ``inputs`` (option,
    path) before the first file is written.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out_dir}: {err.strerror}") from None
    planned = [(fix, inside(out_dir, file_name(fix))) for fix in plan.fixes if fix.changed]
    refuse_overlap(list(inputs), [("--out-dir file", path) for _, path in planned])
    written = []
    for fix, path in planned:
        try:
            path.write_text(document_text(fix.after), encoding="utf-8")
        except OSError as err:
            raise InputError(f"cannot write {path}: {err.strerror}") from None
        written.append(path)
    return written
