"""Results to render: one from a real audit of the YAML stack, one covering every edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from iam_audit.audit import run_checks
from iam_audit.findings import AuditResult, Evidence, Finding, Severity, Status, Suppression
from iam_audit.model import Origin, SourceKind
from iam_audit.select import Selection, resolve_target
from iam_audit.sources.cloudformation import load_template

ROOT = Path(__file__).resolve().parents[2]
STACK = Path("tests/assets/cfn/stack.yaml")  # relative, as a user in a repository passes it


@pytest.fixture(scope="session")
def stack_result() -> AuditResult:
    """The audit of tests/assets/cfn/stack.yaml with discovery: real findings, real lines."""
    assert (ROOT / STACK).exists()
    cwd = Path.cwd()
    try:
        import os

        os.chdir(ROOT)
        source = load_template(STACK, region="eu-west-1", account_id="111122223333")
        target, notes = resolve_target(Selection(account_id="111122223333"), source)
        return run_checks(target, notes=notes)
    finally:
        os.chdir(cwd)


ROLE = "arn:aws:iam::111122223333:role/service-role/<ImportLogsRole>"
LIVE = "arn:aws:iam::111122223333:role/legacy-migrate"
FIX = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cognito-idp.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="session")
def edge_result() -> AuditResult:
    """Every status, suppressed and expired, every kind of origin, text that needs escaping."""
    template = Origin(
        SourceKind.CLOUDFORMATION, "infra/stack.yaml", "/Resources/ImportLogsRole", 90
    )
    plan = Origin(SourceKind.TERRAFORM, "plan.json", "aws_iam_role.import_logs")
    details = Origin(SourceKind.AUTH_DETAILS, "details.json", "/RoleDetailList/3")
    live = Origin(SourceKind.LIVE, LIVE)
    findings = [
        Finding(
            check="COG003",
            slug="logs-role-trust",
            severity=Severity.ERROR,
            status=Status.FAIL,
            role=ROLE,
            message="Logs role <ImportLogsRole>: its trust policy does not let cognito-idp.amazonaws.com assume it",
            missing=("sts:AssumeRole",),
            fix=FIX,
            fix_target="trust",
            locator="cognito-idp.amazonaws.com",
            origin=template,
        ),
        Finding(
            check="COG006",
            slug="least-privilege",
            severity=Severity.WARNING,
            status=Status.WARN,
            role=ROLE,
            message="Logs role <ImportLogsRole> allows logs:* on * | broader than needed",
            evidence=(Evidence("cognito-import-logs", "#0", "Allow"),),
            locator="logs:*",
            origin=template,
            suppression=Suppression("kept until the old pool is retired (SEC-1234)", "2027-01-31"),
        ),
        Finding(
            check="COG007",
            slug="trust-too-broad",
            severity=Severity.ERROR,
            status=Status.FAIL,
            role=ROLE,
            message="Logs role <ImportLogsRole>: its trust policy lets another account assume it",
            evidence=(Evidence("trust", "#0", "Allow"),),
            locator="arn:aws:iam::444455556666:root",
            origin=template,
            suppression=Suppression("audit account access, agreed", "2026-01-01", expired=True),
        ),
        Finding(
            check="COG002",
            slug="logs-role-permissions",
            severity=Severity.ERROR,
            status=Status.WARN,
            role="arn:aws:iam::111122223333:role/service-role/<aws_iam_role.import_logs.name>",
            message="Logs role may write the log group only if conditions on aws:SourceAccount hold",
            unresolved=("aws:SourceAccount",),
            locator="logs",
            origin=plan,
        ),
        Finding(
            check="COG005",
            slug="lambda-logging",
            severity=Severity.WARNING,
            status=Status.PASS,
            role=LIVE,
            message="Lambda role legacy-migrate is allowed logs:CreateLogStream, logs:PutLogEvents",
            origin=live,
        ),
        Finding(
            check="COG001",
            slug="internal-error",
            severity=Severity.ERROR,
            status=Status.ERROR,
            role=LIVE,
            message="check COG001 crashed: KeyError: 'Statement'",
            locator="internal-error",
            origin=live,
        ),
        Finding(
            check="COG008",
            slug="unknown-action",
            severity=Severity.WARNING,
            status=Status.FAIL,
            role="arn:aws:iam::111122223333:role/from-details",
            message="cognito-idp:AdminInitateAuth does not exist (did you mean cognito-idp:AdminInitiateAuth?)",
            locator="cognito-idp:AdminInitateAuth",
            origin=details,
        ),
        Finding(
            check="COG004",
            slug="lambda-role-trust",
            severity=Severity.ERROR,
            status=Status.SKIP,
            role="",
            message="no migration Lambda role given (--lambda-role)",
        ),
    ]
    return AuditResult.of(
        findings,
        ["AWS::AccountId is unresolved (pass --account-id)", "suppression of COG007 on * expired"],
    )
