"""Suppressions: where they are read from, what they must say, what they match, when they expire,
and that suppressed results never decide the exit code."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from iam_audit.config import Config, SuppressionRule, apply_suppressions, load_config
from iam_audit.errors import ExitCode, InputError
from iam_audit.findings import AuditResult, FailOn, Finding, Severity, Status
from iam_audit.model import Origin, SourceKind
from iam_audit.outcome import exit_code

ACCOUNT = "111122223333"
LOGS = f"arn:aws:iam::{ACCOUNT}:role/service-role/<ImportLogsRole>"
LEGACY = f"arn:aws:iam::{ACCOUNT}:role/legacy-migrate"
TODAY = datetime.date(2026, 6, 1)


def finding(
    check: str,
    role: str,
    status: Status = Status.FAIL,
    severity: Severity = Severity.ERROR,
    origin: Origin | None = None,
) -> Finding:
    return Finding(
        check=check,
        slug="slug",
        severity=severity,
        status=status,
        role=role,
        message=f"{check} on {role}",
        locator=check,
        origin=origin,
    )


TEMPLATE = Origin(SourceKind.CLOUDFORMATION, "stack.yaml", "/Resources/ImportLogsRole", 90)
PLAN = Origin(SourceKind.TERRAFORM, "plan.json", "aws_iam_role.import_logs")


# -- reading -------------------------------------------------------------------------------------


def test_dedicated_file_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".iam-audit.toml").write_text(
        '[[suppressions]]\ncheck = "COG006"\nrole = "legacy-*"\nreason = "tracked in SEC-1"\n'
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.iam-audit]\nsuppressions = [{check = "COG007", role = "*", reason = "other"}]\n'
    )
    config = load_config(cwd=tmp_path)
    assert config.path == tmp_path / ".iam-audit.toml"
    assert config.suppressions == (
        SuppressionRule(
            "COG006", "legacy-*", "tracked in SEC-1", None, f"{config.path} suppressions[0]"
        ),
    )


def test_pyproject_table_with_dates(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n"
        "[[tool.iam-audit.suppressions]]\n"
        'check = "COG00*"\nrole = "arn:aws:iam::*:role/legacy-*"\n'
        'reason = """  kept\n  until Q3  """\nexpires = 2026-09-30\n\n'
        "[[tool.iam-audit.suppressions]]\n"
        'check = "COG007"\nrole = "ImportLogsRole"\nreason = "r"\nexpires = "2026-01-31"\n'
    )
    rules = load_config(cwd=tmp_path).suppressions
    assert [(r.check, r.reason, r.expires) for r in rules] == [
        ("COG00*", "kept until Q3", datetime.date(2026, 9, 30)),
        ("COG007", "r", datetime.date(2026, 1, 31)),
    ]


def test_no_configuration_is_empty(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_config(cwd=tmp_path) == Config()


def test_explicit_config_path(tmp_path: Path) -> None:
    path = tmp_path / "gate.toml"
    path.write_text('suppressions = [{check = "COG008", role = "*", reason = "typo kept"}]\n')
    assert load_config(path, cwd=tmp_path / "elsewhere").suppressions[0].check == "COG008"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[suppressions]]\ncheck = "COG006"\nrole = "x"\n', "reason is required"),
        ('[[suppressions]]\ncheck = "COG006"\nrole = "x"\nreason = "  "\n', "reason is required"),
        (
            '[[suppressions]]\ncheck = "COG066"\nrole = "x"\nreason = "r"\n',
            "unknown check 'COG066'",
        ),
        ('[[suppressions]]\nrole = "x"\nreason = "r"\n', "check is required"),
        ('[[suppressions]]\ncheck = "COG006"\nreason = "r"\n', "role is required"),
        (
            '[[suppressions]]\ncheck = "COG006"\nrole = "x"\nreason = "r"\nexpires = "31/12/2026"\n',
            "expires must be a date (YYYY-MM-DD), got '31/12/2026'",
        ),
        (
            '[[suppressions]]\ncheck = "COG006"\nrole = "x"\nreason = "r"\nrule = "y"\n',
            "unknown key rule",
        ),
        ('suppressions = ["COG006"]\n', "a suppression is a table {check, role, reason, expires}"),
        ("suppresions = []\n", "unknown setting suppresions"),
        ('suppressions = "COG006"\n', "suppressions must be a list of tables"),
        ("suppressions = [\n", "invalid TOML"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".iam-audit.toml").write_text(text)
    with pytest.raises(InputError) as err:
        load_config(cwd=tmp_path)
    line = err.value.diagnostics()
    assert message in line
    assert "\n" not in line
    assert err.value.exit_code == ExitCode.INPUT


def test_missing_explicit_config(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_config(tmp_path / "nope.toml")


# -- matching and expiry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "target", "matches"),
    [
        (LEGACY, finding("COG006", LEGACY), True),
        ("legacy-migrate", finding("COG006", LEGACY), True),  # the role name
        ("legacy-*", finding("COG006", LEGACY), True),
        ("arn:aws:iam::*:role/legacy-*", finding("COG006", LEGACY), True),
        ("Legacy-migrate", finding("COG006", LEGACY), False),  # case-sensitive, like ARNs
        ("ImportLogsRole", finding("COG006", LOGS, origin=TEMPLATE), True),  # logical ID
        ("aws_iam_role.import_logs", finding("COG006", "arn:x:role/y", origin=PLAN), True),
        ("other-role", finding("COG006", LEGACY), False),
    ],
)
def test_role_patterns(pattern: str, target: Finding, matches: bool) -> None:
    assert SuppressionRule("COG006", pattern, "r").matches(target) is matches
    assert SuppressionRule("COG007", pattern, "r").matches(target) is False


def test_active_expired_and_stale_suppressions() -> None:
    result = AuditResult.of(
        [
            finding("COG006", LEGACY, Status.WARN, Severity.WARNING),
            finding("COG007", LOGS, origin=TEMPLATE),
            finding("COG001", LEGACY),
            finding("COG003", LOGS, Status.PASS, origin=TEMPLATE),
        ],
        ["earlier note"],
    )
    rules = [
        SuppressionRule("COG006", "legacy-*", "kept", datetime.date(2026, 6, 1), "f[0]"),
        SuppressionRule("COG007", "ImportLogsRole", "agreed", datetime.date(2026, 5, 31), "f[1]"),
        SuppressionRule("COG003", "*", "never fails", None, "f[2]"),
    ]
    out = apply_suppressions(result, rules, TODAY)
    by_check = {f.check: f for f in out.findings}
    # valid through the day it names
    assert by_check["COG006"].suppression is not None
    assert by_check["COG006"].suppression.expired is False
    assert by_check["COG006"].suppression.expires == "2026-06-01"
    assert by_check["COG007"].suppression is not None
    assert by_check["COG007"].suppression.expired is True
    assert by_check["COG001"].suppression is None
    assert by_check["COG003"].suppression is None  # passes are never suppressed
    assert [f.check for f in out.findings] == [f.check for f in result.findings]  # nothing hidden
    assert out.notes == (
        "earlier note",
        "suppression of COG007 on ImportLogsRole (f[1]) expired on 2026-05-31; its results count again",
        "suppression of COG003 on * (f[2]) matched no failing result",
    )
    assert out.summary()["suppressed"] == 1


def test_internal_errors_cannot_be_suppressed() -> None:
    crashed = Finding("COG001", "internal-error", Severity.ERROR, Status.ERROR, LEGACY, "boom")
    out = apply_suppressions(AuditResult.of([crashed]), [SuppressionRule("COG*", "*", "r")], TODAY)
    assert out.findings[0].suppression is None
    assert exit_code(out, fail_on=FailOn.NEVER) is ExitCode.INTERNAL


@pytest.mark.parametrize(
    ("rules", "fail_on", "code"),
    [
        ([], FailOn.ERROR, ExitCode.FINDINGS),
        ([SuppressionRule("COG001", "*", "r")], FailOn.ERROR, ExitCode.OK),
        # the warning still fails the stricter gate
        ([SuppressionRule("COG001", "*", "r")], FailOn.WARNING, ExitCode.FINDINGS),
        ([SuppressionRule("COG00*", "*", "r")], FailOn.WARNING, ExitCode.OK),
        # an expired suppression counts again
        (
            [SuppressionRule("COG00*", "*", "r", datetime.date(2026, 1, 1))],
            FailOn.ERROR,
            ExitCode.FINDINGS,
        ),
        ([], FailOn.NEVER, ExitCode.OK),
    ],
)
def test_suppressed_results_do_not_count_for_fail_on(
    rules: list[SuppressionRule], fail_on: FailOn, code: ExitCode
) -> None:
    result = AuditResult.of(
        [
            finding("COG001", LEGACY),
            finding("COG005", LEGACY, Status.WARN, Severity.WARNING),
            finding("COG004", LEGACY, Status.PASS),
        ]
    )
    assert exit_code(apply_suppressions(result, rules, TODAY), fail_on=fail_on) is code
