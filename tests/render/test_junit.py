"""JUnit XML: one test case per check and role; failures carry the message and the fix."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from iam_audit.findings import AuditResult, FailOn
from iam_audit.render.junit import JunitRenderer
from tests.render.goldens import check_golden


def parse(result: AuditResult, fail_on: FailOn = FailOn.ERROR) -> ET.Element:
    return ET.fromstring(JunitRenderer(fail_on=fail_on).render(result))


def test_one_case_per_check_and_role(stack_result: AuditResult) -> None:
    root = parse(stack_result)
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    pairs = {(f.role, f.check) for f in stack_result.findings}
    assert len(cases) == len(pairs) == int(suite.attrib["tests"])
    assert {(c.attrib["classname"], c.attrib["name"].split()[0]) for c in cases} == pairs
    assert suite.attrib["failures"] == "3"
    assert suite.attrib["skipped"] == "3"  # COG007; COG010 and COG011 (the code is unknown)
    assert root.attrib == suite.attrib | {"name": "iam-audit"}


def test_failure_carries_message_and_fix(stack_result: AuditResult) -> None:
    root = parse(stack_result)
    case = next(
        c for c in root.iter("testcase") if c.attrib["name"] == "COG001 lambda-admin-initiate-auth"
    )
    assert case.attrib["classname"] == "arn:aws:iam::111122223333:role/cognito-migration-prod"
    failure = case.find("failure")
    assert failure is not None
    finding = next(f for f in stack_result.findings if f.check == "COG001")
    assert failure.attrib == {"message": finding.message, "type": "error"}
    text = failure.text or ""
    assert text.startswith(finding.message)
    assert "missing: cognito-idp:AdminInitiateAuth" in text
    assert "at: tests/assets/cfn/stack.yaml:37 /Resources/MigrationRole" in text
    fix = json.loads(text.split("fix (inline policy):\n", 1)[1])
    assert fix == finding.fix


def test_suppressed_skipped_crashed_and_expired(edge_result: AuditResult) -> None:
    cases = {c.attrib["name"].split()[0]: c for c in parse(edge_result).iter("testcase")}
    skipped = cases["COG006"].find("skipped")
    assert skipped is not None
    assert skipped.attrib["message"] == "suppressed: kept until the old pool is retired (SEC-1234)"
    assert cases["COG004"].find("skipped") is not None
    assert cases["COG004"].attrib["classname"] == "(no role)"
    error = cases["COG001"].find("error")
    assert error is not None
    assert error.attrib["type"] == "internal"
    expired = cases["COG007"].find("failure")  # an expired suppression no longer hides it
    assert expired is not None
    assert "suppression expired on 2026-01-01: audit account access, agreed" in (expired.text or "")
    # a warn result is below the default --fail-on error: skipped, saying so, not a failure
    assert cases["COG002"].find("failure") is None
    below = cases["COG002"].find("skipped")
    assert below is not None
    assert below.attrib["message"].startswith("below --fail-on error: ")
    assert cases["COG005"].find("*") is None  # a pass has no child
    strict = {
        c.attrib["name"].split()[0]: c for c in parse(edge_result, FailOn.WARNING).iter("testcase")
    }
    warn = strict["COG002"].find("failure")
    assert warn is not None
    assert warn.attrib["type"] == "warn"


def test_empty_result() -> None:
    root = parse(AuditResult(()))
    assert root.attrib["tests"] == "0"


def test_junit_golden_stack(stack_result: AuditResult) -> None:
    check_golden("stack.xml", JunitRenderer().render(stack_result))


def test_junit_golden_edge(edge_result: AuditResult) -> None:
    check_golden("edge.xml", JunitRenderer().render(edge_result))
