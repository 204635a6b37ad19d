"""SARIF 2.1.0 output: schema-valid, located at the right line, stable fingerprints, goldens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from iam_audit.findings import AuditResult, Status
from iam_audit.render.sarif import FINGERPRINT_KEY, SarifRenderer
from tests.render.goldens import check_golden

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())


def render(result: AuditResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(SarifRenderer().render(result))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    return log


def test_the_schema_is_the_oasis_one() -> None:
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_the_schema_rejects_what_it_should() -> None:
    """The validation can fail: a result without a message is not SARIF."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(bad)


def test_stack_results_point_at_the_role_lines(stack_result: AuditResult) -> None:
    log = render(stack_result)
    (run,) = log["runs"]
    stack = Path("tests/assets/cfn/stack.yaml").read_text().splitlines()
    located = {}
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "tests/assets/cfn/stack.yaml"
        located[result["ruleId"]] = stack[physical["region"]["startLine"] - 1]
    # COG001 is the migration role's; COG002 and COG007 the logs role's
    assert located == {
        "COG001": "  MigrationRole:",
        "COG002": "  ImportLogsRole:",
        "COG007": "  ImportLogsRole:",
    }


def test_only_reported_results_and_fired_rules(stack_result: AuditResult) -> None:
    (run,) = render(stack_result)["runs"]
    failing = [
        f for f in stack_result.findings if f.status in (Status.FAIL, Status.WARN, Status.ERROR)
    ]
    assert len(run["results"]) == len(failing) == 3
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["COG001", "COG002", "COG007"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
    finding = next(f for f in failing if f.check == "COG001")
    first = run["results"][0]
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}
    assert first["properties"]["fix"] == finding.fix
    assert rules[0]["name"] == "lambda-admin-initiate-auth"
    assert rules[0]["defaultConfiguration"] == {"level": "error"}
    assert "**Why it matters**" in rules[0]["help"]["markdown"]


def test_suppressed_and_expired(edge_result: AuditResult) -> None:
    (run,) = render(edge_result)["runs"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["COG006"]["suppressions"] == [
        {
            "kind": "external",
            "justification": "kept until the old pool is retired (SEC-1234)",
            "properties": {"expires": "2027-01-31"},
        }
    ]
    assert by_rule["COG006"]["level"] == "warning"
    assert "suppressions" not in by_rule["COG007"]
    assert by_rule["COG007"]["properties"]["expiredSuppression"]["expires"] == "2026-01-01"
    # a crashed check is an error; a pass and a skip are not results
    assert by_rule["COG001"]["level"] == "error"
    assert set(by_rule) == {"COG001", "COG002", "COG003", "COG006", "COG007", "COG008"}


def test_locations_of_every_origin_kind(edge_result: AuditResult) -> None:
    (run,) = render(edge_result)["runs"]
    by_rule = {r["ruleId"]: r["locations"][0] for r in run["results"]}
    assert by_rule["COG003"]["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/stack.yaml"},
        "region": {"startLine": 90},
    }
    # a plan has no lines: the file, and the resource address as a logical location
    assert by_rule["COG002"]["physicalLocation"] == {"artifactLocation": {"uri": "plan.json"}}
    assert by_rule["COG002"]["logicalLocations"][1] == {
        "fullyQualifiedName": "aws_iam_role.import_logs",
        "kind": "object",
    }
    # live AWS: no file, the role ARN
    assert by_rule["COG001"] == {
        "logicalLocations": [
            {
                "fullyQualifiedName": "arn:aws:iam::111122223333:role/legacy-migrate",
                "kind": "resource",
            }
        ]
    }


def test_empty_result_is_still_a_valid_log() -> None:
    (run,) = render(AuditResult(()))["runs"]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []


def test_sarif_golden_stack(stack_result: AuditResult) -> None:
    check_golden("stack.sarif", SarifRenderer().render(stack_result))


def test_sarif_golden_edge(edge_result: AuditResult) -> None:
    check_golden("edge.sarif", SarifRenderer().render(edge_result))
