"""Per-check case files: ``cases/COG00N/<status>_<name>.json``; the prefix is the assertion.

Each case is turned into a real authorization-details document, read by the offline source,
audited by the real checks and engine; the check's finding must have the case's status and, where
the case says so, exactly its missing actions, evidence and fix.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from msgspec import structs

from iam_audit.audit import run_checks
from iam_audit.checks import ALL_CHECKS
from iam_audit.select import Selection, resolve_target
from iam_audit.sources.auth_details import AuthDetailsSource
from tests.checks.casefile import authorization_details, lambda_function

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.glob("COG*/*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _findings(case: dict[str, Any], check_id: str, tmp_path: Path) -> list[Any]:
    details = tmp_path / "auth.json"
    details.write_text(json.dumps(authorization_details(case)))
    source = AuthDetailsSource(details)
    selection = Selection(
        lambda_role="MigrationRole" if "lambda_role" in case else None,
        logs_role="ImportLogsRole" if "logs_role" in case else None,
        user_pool_arn=case.get("user_pool_arn"),
        source_pool_arn=case.get("source_pool_arn"),
        discover=False,
    )
    target, _ = resolve_target(selection, source)
    if "function" in case:  # the offline source holds no functions: COG009 cases bring one
        target = replace(target, function=lambda_function(case))
    if "code" in case:  # COG010/COG011 cases name a package (and accounts) in assets/codecalls
        from iam_audit.codecalls.target import CodeOptions, attach_code

        code = case["code"]
        folder = Path(__file__).parent.parent / "assets" / "codecalls"
        other = code.get("source_authorization_details")
        options = CodeOptions(
            function_code=folder / code["package"],
            env=tuple(sorted(code.get("env", {}).items())),
            source_authorization_details=folder / "accounts" / other if other else None,
        )
        target, _ = attach_code(target, source, options)
        if "source_organization" in code:  # the other account's SCPs and RCPs (file names
            # in tests/knowledge/org), and the caller's organization ID
            from iam_audit.model import OrgPolicies
            from iam_audit.sources.organizations import organization_from_files

            given = code["source_organization"]
            org = Path(__file__).parent.parent / "knowledge" / "org"
            policies = organization_from_files(
                [org / name for name in given.get("scp", [])],
                [org / name for name in given.get("rcp", [])],
            )
            caller = OrgPolicies(organization_id=given.get("caller_organization_id"))
            assert target.lambda_role is not None
            target = replace(
                target,
                lambda_role=structs.replace(target.lambda_role, organization=caller),
                chain_roles=tuple(
                    structs.replace(r, organization=policies) for r in target.chain_roles
                ),
            )
    check = next(c for c in ALL_CHECKS if c.meta.id == check_id)
    return list(run_checks(target, [check]).findings)


def test_every_check_has_pass_and_fail_cases() -> None:
    for check in ALL_CHECKS:
        names = [p.name for p in (CASES / check.meta.id).glob("*.json")]
        assert any(n.startswith("pass_") for n in names), check.meta.id
        assert any(n.startswith("fail_") for n in names), check.meta.id


@pytest.mark.parametrize("path", CASE_FILES, ids=[f"{p.parent.name}/{p.stem}" for p in CASE_FILES])
def test_case(path: Path, tmp_path: Path) -> None:
    case = _load(path)
    check_id = path.parent.name
    expected_status = path.name.split("_", 1)[0]
    findings = _findings(case, check_id, tmp_path)
    role_filter = case.get("expect", {}).get("role")
    if role_filter:
        findings = [f for f in findings if f.role.endswith("/" + role_filter)]
    locator = case.get("expect", {}).get("locator")
    if locator:  # one link of a chain (COG011): its locator ends so
        findings = [f for f in findings if f.locator.endswith(locator)]
    assert findings, f"{check_id} produced no finding"
    statuses = {f.status.value for f in findings}
    assert statuses == {expected_status}, [f.message for f in findings]
    expect = case.get("expect", {})
    finding = findings[0]
    if "missing" in expect:
        assert list(finding.missing) == expect["missing"]
    if "evidence" in expect:
        assert [[e.policy, e.statement, e.effect] for e in finding.evidence] == expect["evidence"]
    if "unresolved" in expect:
        assert list(finding.unresolved) == expect["unresolved"]
    if "fix" in expect:
        assert finding.fix == expect["fix"]
    for text in expect.get("message_contains", []):
        assert text in finding.message, finding.message
