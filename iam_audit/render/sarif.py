"""``--format sarif``: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

Each failing, warning or crashed result becomes a SARIF ``result`` located at the file and line of
the resource to change (templates) or at the role ARN (live, authorization details); suppressed
results stay, marked with a suppression (kind ``external`` from configuration, ``inSource`` from a
template resource's ``Metadata``) and its justification. Rule descriptors come
from the check catalogue. ``partialFingerprints["iamAudit/v1"]`` is :attr:`Finding.fingerprint`,
stable across runs and wording, so code scanning tracks an alert from one commit to the next.
Built as plain dicts; tests validate it against the OASIS SARIF 2.1.0 JSON schema.
"""

from __future__ import annotations

import inspect
import json
import re
from importlib import metadata
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, assert_never

from iam_audit import __version__
from iam_audit.checks import CheckMeta, catalogue, check_doc
from iam_audit.findings import Finding, Severity, Status
from iam_audit.model import Origin, SourceKind
from iam_audit.render.escape import for_terminal
from iam_audit.render.interface import OutputFormat, audit_only, fix_target_label
from iam_audit.results import Result

__all__ = ["FINGERPRINT_KEY", "SCHEMA_URI", "SarifRenderer"]

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "iamAudit/v1"

#: The one mapping from a check's severity to a SARIF level.
_LEVEL: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning"}
#: GitHub code scanning ranks security alerts by this property (0.0-10.0).
_SECURITY_SEVERITY: dict[Severity, str] = {Severity.ERROR: "7.5", Severity.WARNING: "4.0"}

_REPORTED = (Status.FAIL, Status.WARN, Status.ERROR)
_SECTION_RE = re.compile(r"\*\*What it checks\*\*\s*\n(.*?)(?:\n\s*\n|\Z)", re.S)


def _level(finding: Finding) -> str:
    match finding.status:
        case Status.FAIL:
            return _LEVEL[finding.severity]
        case Status.WARN:
            return "warning"
        case Status.ERROR:
            return "error"
        case Status.PASS | Status.SKIP:
            return "none"
        case _:
            assert_never(finding.status)


def _information_uri() -> str | None:
    """The project's home page from the installed package metadata, if it names one."""
    try:
        meta = metadata.metadata("iam-audit")
    except metadata.PackageNotFoundError:
        return None
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository"):
            return url.strip()
    return None


def _rule(meta: CheckMeta) -> dict[str, Any]:
    doc = inspect.cleandoc(check_doc(meta.id))
    section = _SECTION_RE.search(doc)
    full = " ".join(section.group(1).split()) if section else meta.summary
    rule: dict[str, Any] = {
        "id": meta.id,
        "name": meta.slug,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": full},
        "help": {"text": doc or meta.summary, "markdown": doc or meta.summary},
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "properties": {
            "tags": ["security", "iam", "cognito", meta.role_kind.value],
            "precision": "very-high",
            "security-severity": _SECURITY_SEVERITY[meta.severity],
        },
    }
    if meta.help_uri:
        rule["helpUri"] = meta.help_uri
    return rule


def _artifact_uri(location: str) -> str:
    """A relative path stays relative (code scanning resolves it against the repository root)."""
    if PureWindowsPath(location).drive:
        return PureWindowsPath(location).as_uri()
    path = PurePosixPath(location)
    return path.as_uri() if path.is_absolute() else path.as_posix()


def _locations(finding: Finding, origin: Origin | None) -> list[dict[str, Any]]:
    logical = {"fullyQualifiedName": finding.role or "(no role)", "kind": "resource"}
    if origin is None or origin.kind is SourceKind.LIVE:
        return [{"logicalLocations": [logical]}]
    physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(origin.location)}}
    if origin.line is not None:
        physical["region"] = {"startLine": origin.line}
    location: dict[str, Any] = {"physicalLocation": physical, "logicalLocations": [logical]}
    if origin.pointer:
        location["logicalLocations"].append(
            {"fullyQualifiedName": origin.pointer, "kind": "object"}
        )
    if origin.construct:
        location["logicalLocations"].append(
            {"fullyQualifiedName": origin.construct, "kind": "module"}
        )
    return [location]


def _message(finding: Finding) -> str:
    """The result's plain-text message, shown by code scanning; values from input are escaped
    (:func:`~iam_audit.render.escape.for_terminal`), so no control or bidi character reaches the
    page. The exact values stay in ``properties``. No ``markdown`` message is emitted: the only
    Markdown in the log is the rule help, written by us."""
    text = finding.message
    if finding.missing:
        text += f" (missing: {', '.join(finding.missing)})"
    if finding.fix is not None:
        text += (
            f". Fix ({fix_target_label(finding)}): {json.dumps(finding.fix, separators=(',', ':'))}"
        )
    return for_terminal(text)


def _result(finding: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.check,
        "ruleIndex": index,
        "level": _level(finding),
        "message": {"text": _message(finding)},
        "locations": _locations(finding, finding.origin),
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "status": finding.status.value,
            "role": finding.role,
            "evidence": [e.as_dict() for e in finding.evidence],
            "missing": list(finding.missing),
            "unresolved": list(finding.unresolved),
            "fix": finding.fix,
            "fixTarget": finding.fix_target,
        },
    }
    change = finding.template_fix
    if change is not None and change.insert_line is not None and change.inserted is not None:
        # An insertion is a replacement of an empty region (SARIF 2.1.0 §3.57.3: "If
        # deletedRegion is an empty region, ... insertedContent is inserted").
        point = {"startLine": change.insert_line, "startColumn": 1}
        result["fixes"] = [
            {
                "description": {"text": for_terminal(f"Add to {change.where}")},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": _artifact_uri(change.file)},
                        "replacements": [
                            {
                                "deletedRegion": {
                                    **point,
                                    "endLine": change.insert_line,
                                    "endColumn": 1,
                                },
                                "insertedContent": {"text": change.inserted},
                            }
                        ],
                    }
                ],
            }
        ]
    suppression = finding.suppression
    if suppression is not None and finding.suppressed:
        # SARIF 2.1.0 suppression.kind "indicates where the suppression is persisted"
        kind = "inSource" if suppression.in_source else "external"
        entry: dict[str, Any] = {"kind": kind, "justification": suppression.reason}
        if suppression.expires:
            entry["properties"] = {"expires": suppression.expires}
        result["suppressions"] = [entry]
    elif suppression is not None:
        result["properties"]["expiredSuppression"] = {
            "reason": suppression.reason,
            "expires": suppression.expires,
        }
    return result


class SarifRenderer:
    """One SARIF 2.1.0 log with one run; always output, even with nothing to report."""

    def render(self, result: Result) -> str:
        result = audit_only(result, OutputFormat.SARIF)
        findings = sorted(
            (f for f in result.findings if f.status in _REPORTED), key=Finding.sort_key
        )
        metas = {m.id: m for m in catalogue()}
        fired = sorted({f.check for f in findings if f.check in metas})
        index = {check: i for i, check in enumerate(fired)}
        driver: dict[str, Any] = {
            "name": "iam-audit",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule(metas[check]) for check in fired],
        }
        uri = _information_uri()
        if uri:
            driver["informationUri"] = uri
        results = []
        for finding in findings:
            entry = _result(finding, index.get(finding.check, -1))
            if finding.check not in index:
                del entry["ruleIndex"]
            results.append(entry)
        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {"summary": result.summary(), "notes": list(result.remarks())},
        }
        log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        return json.dumps(log, indent=2) + "\n"
