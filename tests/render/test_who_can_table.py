"""``who-can``'s table: one line per principal, saying what its JSON says, then the counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from iam_audit.render import TextFormat, renderer_for
from iam_audit.results import WhoCanReport
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.whocan import who_can

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from gen_account import POOL_ARN as POOL
from gen_account import Sizes, generate

ACTION = "cognito-idp:AdminInitiateAuth"


@pytest.fixture
def report(tmp_path: Path) -> WhoCanReport:
    """The benchmark's account, small: roles and users, some allowed only under conditions."""
    path = tmp_path / "account.json"
    generate(path, Sizes(roles=300, policies=60, users=100, groups=6), seed=3, indent=None)
    return WhoCanReport(who_can(AuthDetailsSource(path), ACTION, POOL, jobs=1))


def test_each_line_says_what_the_json_says(report: WhoCanReport) -> None:
    """Roles and users, allowed and conditional, with and without condition keys: the columns
    of every line are the principal's JSON fields, and the counts are the JSON's."""
    principals = json.loads(renderer_for(TextFormat.JSON).render(report))["principals"]
    assert {(p["type"], p["decision"], bool(p["unresolved"])) for p in principals} >= {
        ("role", "allowed", False),
        ("role", "conditional", True),
        ("user", "allowed", False),
        ("user", "conditional", True),
    }  # every kind of line
    lines = renderer_for(TextFormat.TABLE).render(report).splitlines()
    expected = [
        f"{p['decision']:<11} {p['type']:<4} {p['arn']}  via {', '.join(p['via']) or '-'}"
        + (f"  (depends on {', '.join(p['unresolved'])})" if p["unresolved"] else "")
        for p in principals
    ]
    notes = [f"note: {note}" for note in report.remarks()]
    allowed = sum(1 for p in principals if p["decision"] == "allowed")
    summary = (
        f"{allowed} allowed, {len(principals) - allowed} conditional, "
        f"of {report.answer.examined} principals: {ACTION} on {POOL}"
    )
    assert lines == [*expected, *notes, summary]
    quiet = renderer_for(TextFormat.TABLE, quiet=True).render(report)
    assert quiet == "".join(line + "\n" for line in expected)


def test_no_principal_quiet_prints_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text('{"RoleDetailList": [], "UserDetailList": []}')
    empty = WhoCanReport(who_can(AuthDetailsSource(path), ACTION, POOL, jobs=1))
    assert renderer_for(TextFormat.TABLE, quiet=True).render(empty) == ""
    assert renderer_for(TextFormat.TABLE).render(empty) == (
        f"0 allowed, 0 conditional, of 0 principals: {ACTION} on {POOL}\n"
    )
