"""YAML scalars read as CloudFormation reads them, not as YAML 1.1 types them.

YAML 1.1 (PyYAML, and so cfn-lint's decoder, which keeps its types) reads the plain scalar
``2012-10-17`` as a date, ``111122223333`` as an integer and ``012345670123`` as an *octal*
integer. CloudFormation templates may be YAML
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html) and deploy
``Version: 2012-10-17`` unquoted; the IAM ``Version`` element takes the string "2012-10-17"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html), and
an account ID is 12 digits whose leading zeros matter
(https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.sources.cloudformation import TemplateSource, _decode, load_template
from tests.conftest import asset

TEMPLATE = asset("cfn", "unquoted-scalars.yaml")


@pytest.fixture(scope="module")
def source() -> TemplateSource:
    return load_template(TEMPLATE, region="eu-west-1", account_id="111122223333")


def _statements(document: Any) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = document["Statement"]
    return statements


def test_unquoted_version_is_the_policy_version(source: TemplateSource) -> None:
    role = source.get_role("MigrationRole")
    (inline,) = role.inline
    assert inline.document["Version"] == "2012-10-17"
    assert role.trust is not None
    assert role.trust.document["Version"] == "2012-10-17"


def test_unquoted_account_ids_keep_their_digits(source: TemplateSource) -> None:
    role = source.get_role("MigrationRole")
    (inline,) = role.inline
    condition = _statements(inline.document)[0]["Condition"]["StringEquals"]
    assert condition == {"aws:ResourceAccount": "111122223333"}
    logs = source.get_role("ImportLogsRole")
    assert logs.trust is not None
    # octal to YAML 1.1 (it would read 012345670123 as 1402433619): the text written stays
    assert _statements(logs.trust.document)[1]["Principal"] == {"AWS": "012345670123"}


def test_numbers_where_numbers_are_wanted_still_read(source: TemplateSource) -> None:
    function = source.get_function("MigrateFunction")
    assert function is not None
    assert function.timeout == 10


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("2012-10-17", "2012-10-17"),  # timestamp
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("012345670123", "012345670123"),  # octal int
        ("111122223333", "111122223333"),  # int
        ("0x1F", "0x1F"),
        ("1.50", "1.50"),  # float
        ("'2012-10-17'", "2012-10-17"),  # quoted: a string already
        ("true", True),  # booleans stay booleans
        ("~", None),
    ],
)
def test_scalar_kept_as_written(tmp_path: Path, scalar: str, expected: object) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n"
        f"      RoleName: !Sub 'r-${{AWS::Region}}'\n      Tags:\n        - Key: k\n"
        f"          Value: {scalar}\n"
        "      AssumeRolePolicyDocument:\n        Version: 2012-10-17\n        Statement: []\n"
    )
    template = _decode(path)
    value = template["Resources"]["Role"]["Properties"]["Tags"][0]["Value"]
    if isinstance(expected, str):
        assert isinstance(value, str)
        assert value == expected
    else:
        assert value is expected
    # the short-form tags are still cfn-lint's long forms
    assert template["Resources"]["Role"]["Properties"]["RoleName"] == {
        "Fn::Sub": "r-${AWS::Region}"
    }


def test_the_template_audits(tmp_path: Path) -> None:
    """The whole template is read: no "Version must be" input error (exit 3)."""
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "--template",
            str(TEMPLATE),
            "--region",
            "eu-west-1",
            "--account-id",
            "111122223333",
            "--logs-role",
            "ImportLogsRole",
            "--user-pool-arn",
            "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_NewPool1",
            "--format",
            "json",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    verdicts = {r["check"]: r for r in json.loads(result.stdout)["results"]}
    assert verdicts["COG002"]["status"] == "pass"
    # the foreign account in the trust policy is named with its leading zero
    assert "012345670123" in verdicts["COG007"]["message"]
