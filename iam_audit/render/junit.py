"""``--format junit``: JUnit XML for CI test reports (Jenkins, GitLab, Azure DevOps).

One test case per check and role: ``classname`` is the role ARN, ``name`` the check
(``COG001 lambda-admin-initiate-auth``). A failing or warning result at or above ``--fail-on`` is a
``<failure>`` whose text carries the message, what is missing and the fix; one below it (a
warning-severity failure under the default ``--fail-on error``) is ``<skipped>`` with the message
``below --fail-on error: ...`` and the same text, so a green run has no red test, yet the result
stays visible: GitLab shows a test case's output only when it did not pass (gitlab-org/gitlab
issue 370760), so a passing case with ``<system-out>`` would hide it. A crashed check is an
``<error>``; a skipped check ``<skipped>`` with its reason; a suppressed result ``<skipped>`` with
the suppression's reason.
Several results of one check on one role (one per principal, say) share the test case, and the
worst decides it. No timestamps or durations, so the output is stable. Every value from input
passes :func:`iam_audit.render.escape.for_xml`, so the document stays well-formed XML 1.0 and a
name cannot add lines to a report.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from itertools import groupby
from typing import assert_never

from iam_audit.findings import FailOn, Finding, Status
from iam_audit.render.escape import for_xml as _x
from iam_audit.render.interface import OutputFormat, audit_only, evidence_lines, fix_target_label
from iam_audit.results import Result, at_threshold

__all__ = ["JunitRenderer"]

#: Which result decides a test case holding several (higher wins).
_RANK: dict[Status, int] = {
    Status.PASS: 0,
    Status.SKIP: 1,
    Status.WARN: 2,
    Status.FAIL: 3,
    Status.ERROR: 4,
}


def _details(finding: Finding) -> str:
    lines = [
        _x(finding.message),
        *evidence_lines(
            finding,
            lambda names: _x(", ".join(names)),
            lambda e: f"{_x(e.effect)} {_x(e.policy)} {_x(e.statement)}",
        ),
    ]
    if finding.origin is not None:
        where = _x(finding.origin.location)
        if finding.origin.line is not None:
            where += f":{finding.origin.line}"
        if finding.origin.pointer:
            where += f" {_x(finding.origin.pointer)}"
        lines.append(f"at: {where}")
    if finding.suppression is not None and finding.suppression.expired:
        lines.append(
            f"suppression expired on {_x(finding.suppression.expires)}: "
            f"{_x(finding.suppression.reason)}"
        )
    if finding.fix is not None:
        lines.append(f"fix ({fix_target_label(finding)}):\n{json.dumps(finding.fix, indent=2)}")
    return "\n".join(lines)


def _case(findings: Sequence[Finding], fail_on: FailOn) -> ET.Element:
    first = findings[0]
    case = ET.Element(
        "testcase",
        {"classname": _x(first.role or "(no role)"), "name": f"{first.check} {first.slug}"},
    )
    active = [f for f in findings if not f.suppressed]
    if not active:
        reasons = "; ".join(sorted({_x(f.suppression.reason) for f in findings if f.suppression}))
        ET.SubElement(case, "skipped", {"message": f"suppressed: {reasons}"})
        return case
    worst = max(active, key=lambda f: _RANK[f.status])
    shown = [f for f in active if f.status is worst.status]
    text = "\n\n".join(_details(f) for f in shown)
    match worst.status:
        case Status.PASS:
            pass
        case Status.SKIP:
            ET.SubElement(case, "skipped", {"message": _x(worst.message)})
        # ``shown`` is active (no suppression holds it): each fails by the threshold alone
        case Status.WARN | Status.FAIL if not any(
            at_threshold(f.status, f.severity, fail_on) for f in shown
        ):
            message = f"below --fail-on {fail_on.value}: {_x(worst.message)}"
            ET.SubElement(case, "skipped", {"message": message}).text = text
        case Status.WARN | Status.FAIL:
            level = "warn" if worst.status is Status.WARN else worst.severity.value
            element = ET.SubElement(case, "failure", {"message": _x(worst.message), "type": level})
            element.text = text
        case Status.ERROR:
            element = ET.SubElement(
                case, "error", {"message": _x(worst.message), "type": "internal"}
            )
            element.text = text
        case _:
            assert_never(worst.status)
    return case


class JunitRenderer:
    """One ``<testsuites>`` holding one ``<testsuite name="iam-audit">``."""

    def __init__(self, *, fail_on: FailOn = FailOn.ERROR) -> None:
        self.fail_on = fail_on

    def render(self, result: Result) -> str:
        result = audit_only(result, OutputFormat.JUNIT)
        ordered = sorted(result.findings, key=Finding.sort_key)
        cases = [
            _case(list(group), self.fail_on)
            for _, group in groupby(ordered, key=lambda f: (f.role, f.check))
        ]
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        attributes = {k: str(v) for k, v in counts.items()}
        root = ET.Element("testsuites", {"name": "iam-audit", **attributes})
        suite = ET.SubElement(root, "testsuite", {"name": "iam-audit", **attributes})
        if result.remarks():
            properties = ET.SubElement(suite, "properties")
            for index, note in enumerate(result.remarks(), 1):
                ET.SubElement(properties, "property", {"name": f"note.{index}", "value": _x(note)})
        suite.extend(cases)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
