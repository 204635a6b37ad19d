"""`fix` on a template: the change in the template's own language, and a diff that makes it pass.

Each diff is applied to a copy of its template and the copy is audited again: the finding is gone,
every other result is the same, and the edited file is the original plus the inserted lines only.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from iam_audit.cli import app
from iam_audit.fix.iac import Tagged, to_yaml
from tests.render.goldens import check_golden

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = ["--region", "eu-west-1", "--account-id", "111122223333"]
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def apply_diff(original: str, diff: str) -> str:
    """Apply a unified diff to ``original`` (a small `patch`: context must match exactly)."""
    source = original.splitlines(keepends=True)
    out: list[str] = []
    position = 0
    lines = diff.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        match = _HUNK.match(lines[index])
        index += 1
        if match is None:
            continue
        start = int(match.group(1)) - 1
        out.extend(source[position:start])
        position = start
        while index < len(lines) and not lines[index].startswith("@@"):
            line = lines[index]
            index += 1
            if line.startswith(" "):
                assert source[position] == line[1:], "context does not match"
                out.append(source[position])
                position += 1
            elif line.startswith("-"):
                assert source[position] == line[1:]
                position += 1
            elif line.startswith("+"):
                out.append(line[1:])
    out.extend(source[position:])
    return "".join(out)


def statuses(result: Result) -> dict[str, str]:
    data = json.loads(result.stdout)
    return {f"{r['check']}/{r['role'].rpartition('/')[2]}": r["status"] for r in data["results"]}


def changes(*args: str) -> list[dict[str, Any]]:
    result = cli("fix", *args, "--format", "json")
    assert result.exit_code == 1, result.output
    return list(json.loads(result.stdout)["template_changes"])


CASES = [
    # (template, extra audit options, the checks the change must make pass)
    (
        "tests/assets/cfn/stack.yaml",
        [],
        # COG010 too: the function's code calls AdminInitiateAuth, which the COG001 fix grants
        {
            "COG001/cognito-migration-prod",
            "COG010/cognito-migration-prod",
            "COG002/<ImportLogsRole>",
        },
    ),
    (
        "tests/assets/iac/sam/template.yaml",
        [],
        # the CodeUri's code calls AdminInitiateAuth too (COG010), which the COG001 fix grants
        {"COG001/<MigrateFunctionRole>", "COG010/<MigrateFunctionRole>"},
    ),
]


@pytest.mark.parametrize(("template", "extra", "fixed"), CASES)
def test_applied_diff_makes_the_audit_pass_and_changes_nothing_else(
    tmp_path: Path, template: str, extra: list[str], fixed: set[str]
) -> None:
    original_path = ROOT / template
    copy_dir = tmp_path / "repo"
    shutil.copytree(original_path.parent, copy_dir)
    copy = copy_dir / original_path.name
    before = statuses(cli("audit", "--template", str(copy), *PSEUDO, *extra, "-f", "json"))
    assert {before[k] for k in fixed} == {"fail"}
    original = copy.read_text()
    text = original
    for change in changes("--template", str(copy), *PSEUDO, *extra):
        assert change["diff"], change
        assert change["language"] == "yaml"
        text = apply_diff(text, change["diff"])
    # the changes only insert: every byte of the original stays, comments included
    matcher = difflib.SequenceMatcher(None, original.splitlines(), text.splitlines(), False)
    assert {op for op, *_ in matcher.get_opcodes()} == {"equal", "insert"}
    copy.write_text(text)
    after = statuses(cli("audit", "--template", str(copy), *PSEUDO, *extra, "-f", "json"))
    assert {after[k] for k in fixed} == {"pass"}
    unchanged = {k: v for k, v in before.items() if k not in fixed and not k.startswith("COG006")}
    assert {k: after[k] for k in unchanged} == unchanged


def test_snippet_uses_references_not_literals() -> None:
    (lambda_change, logs_change) = changes("--template", "tests/assets/cfn/stack.yaml", *PSEUDO)
    # the source pool is the template's own parameter; account and region are pseudo-parameters
    assert (
        "Resource: !Sub arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}"
        ":userpool/${OldUserPoolId}"
    ) in lambda_change["snippet"]
    assert "111122223333" not in lambda_change["snippet"] + logs_change["snippet"]
    assert (
        "!Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/cognito/*"
    ) in logs_change["snippet"]
    assert lambda_change["where"] == "Resources.MigrationRole.Properties.Policies"


def test_fix_on_a_template_says_what_to_do_instead_of_apply() -> None:
    result = cli("fix", "--template", "tests/assets/cfn/stack.yaml", *PSEUDO)
    assert result.exit_code == 1
    check_golden("fix-template-stack.txt", result.stdout)
    assert "run with --apply" not in result.stdout
    assert "--apply writes to a live account only" in result.stdout
    assert "each diff applies with `patch -p0`, in order" in result.stdout


def test_missing_invoke_permission_becomes_a_permission_resource(tmp_path: Path) -> None:
    # Cognito invokes the trigger only if the function's resource policy allows
    # cognito-idp.amazonaws.com; bind it to the pool with SourceArn (Amazon Cognito Developer
    # Guide, "Using Lambda triggers": grant "lambda:InvokeFunction" ... with a SourceArn).
    template = (ROOT / "tests/assets/iac/multi/import.yaml").read_text()
    start = template.index("  MigrateInvoke:")
    end = template.index("  MigrationRole:")
    template = template[:start] + template[end:]
    # and no logging policy: the fix names the function's own log group
    template = template.replace(
        "      ManagedPolicyArns:\n"
        "        - !Sub arn:${AWS::Partition}:iam::aws:policy/service-role/"
        "AWSLambdaBasicExecutionRole\n",
        "",
    )
    copy = tmp_path / "import.yaml"
    copy.write_text(template)
    pool = ["--user-pool-arn", "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<ImportPool>"]
    before = statuses(cli("audit", "--template", str(copy), *PSEUDO, *pool, "-f", "json"))
    assert before["COG009/cognito-migration"] == "fail"
    assert before["COG005/cognito-migration"] == "fail"
    found = changes("--template", str(copy), *PSEUDO, *pool)
    (change,) = [c for c in found if "COG009" in c["checks"]]
    assert "SourceArn: !GetAtt ImportPool.Arn" in change["snippet"]
    assert "FunctionName: !GetAtt MigrateFunction.Arn" in change["snippet"]
    # the grant on the function's log group is a separate AWS::IAM::Policy: in the role's own
    # Policies it would make the circular dependency function → role → function, which
    # CloudFormation rejects ("Circular dependency between resources"), and so does the audit
    (grant,) = [c for c in found if "COG005" in c["checks"]]
    assert grant["where"] == "Resources"
    assert "Type: AWS::IAM::Policy" in grant["snippet"]
    assert "- !Ref MigrationRole" in grant["snippet"]
    assert "log-group:/aws/lambda/${MigrateFunction}:*" in grant["snippet"]
    text = copy.read_text()
    for each in found:  # each diff is on top of the ones before it, as `patch` applies them
        text = apply_diff(text, each["diff"])
    copy.write_text(text)
    after = statuses(cli("audit", "--template", str(copy), *PSEUDO, *pool, "-f", "json"))
    assert after["COG009/cognito-migration"] == "pass"
    assert after["COG005/cognito-migration"] == "pass"


def test_json_template_gets_a_json_snippet(tmp_path: Path) -> None:
    template = "tests/assets/iac/serverless/.serverless/cloudformation-template-update-stack.json"
    copy = tmp_path / "stack.json"
    text = (ROOT / template).read_text().replace('"cognito-idp:AdminInitiateAuth",', "")
    copy.write_text(text)
    (change,) = [c for c in changes("--template", str(copy), *PSEUDO) if "COG001" in c["checks"]]
    assert change["language"] == "json"
    snippet = json.loads(change["snippet"])
    assert snippet[0]["PolicyName"] == "iam-audit-cognito-import"
    assert snippet[0]["PolicyDocument"]["Statement"][0]["Action"] == "cognito-idp:AdminInitiateAuth"


def test_cdk_template_is_generated_so_the_change_names_the_construct() -> None:
    (change, *_) = changes(
        "--cdk-out",
        "tests/assets/iac/cdk-ts/cdk.out",
        "--user-pool-arn",
        "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<ImportPool09874A00>",
        "--logs-role",
        "ImportLogsRole1D9B0462",
    )
    assert change["diff"] is None
    assert "construct UserImport/MigrateFn/ServiceRole/Resource" in change["note"]
    # the legacy pool is another stack's export: a reference, not its generated name
    resource = json.loads(change["snippet"])[0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert resource == {
        "Fn::ImportValue": "LegacyUsers:ExportsOutputFnGetAttLegacyPoolE8122B3DArn93FC8421"
    }


@pytest.mark.parametrize(
    ("node", "lines"),
    [
        ({"Action": "s3:GetObject"}, ["Action: s3:GetObject"]),
        ({"Version": "2012-10-17"}, ['Version: "2012-10-17"']),
        ({"Value": "yes"}, ['Value: "yes"']),
        ({"Value": "a: b"}, ['Value: "a: b"']),
        ({"R": Tagged("GetAtt", "Pool.Arn")}, ["R: !GetAtt Pool.Arn"]),
        ({"R": Tagged("Sub", "arn:${AWS::Partition}:x")}, ["R: !Sub arn:${AWS::Partition}:x"]),
        ([{"A": 1, "B": [2]}], ["- A: 1", "  B:", "    - 2"]),
    ],
)
def test_yaml_emitter_quotes_what_yaml_would_misread(node: Any, lines: list[str]) -> None:
    assert to_yaml(node) == lines


# -- Terraform: HCL that references the plan's resources ----------------------------------------

TF = "tests/assets/terraform/hcl-fix"
ACCOUNT = ("--account-id", "111122223333")


def test_terraform_fix_is_hcl_referencing_resources_by_address() -> None:
    found = changes("--terraform-plan", f"{TF}/broken/plan.json", "--account-id", "111122223333")
    by_check = {c["checks"][0]: c for c in found}
    assert {c["language"] for c in found} == {"hcl"}
    policy = by_check["COG001"]["snippet"]
    assert 'resource "aws_iam_role_policy" "migration_cognito_import" {' in policy
    assert "role = aws_iam_role.migration.id" in policy
    permission = by_check["COG009"]["snippet"]
    assert "function_name = aws_lambda_function.migrate.function_name" in permission
    assert "source_arn    = aws_cognito_user_pool.import.arn" in permission


def test_terraform_fix_pasted_into_the_configuration_makes_the_plan_pass() -> None:
    # tests/assets/terraform/hcl-fix/fixed/main.tf is broken/main.tf with the printed blocks
    # appended unchanged; its plan.json is what `terraform plan` made of it (README there).
    found = changes("--terraform-plan", f"{TF}/broken/plan.json", "--account-id", "111122223333")
    fixed = (ROOT / TF / "fixed" / "main.tf").read_text()
    broken = (ROOT / TF / "broken" / "main.tf").read_text()
    assert fixed.startswith(broken)
    for change in found:
        assert change["snippet"] in fixed
    before = statuses(
        cli(
            "audit",
            "--terraform-plan",
            f"{TF}/broken/plan.json",
            "--account-id",
            "111122223333",
            "-f",
            "json",
        )
    )
    after = statuses(
        cli(
            "audit",
            "--terraform-plan",
            f"{TF}/fixed/plan.json",
            "--account-id",
            "111122223333",
            "-f",
            "json",
        )
    )
    role = "COG001/cognito-user-migration"
    assert (before[role], after[role]) == ("fail", "pass")
    assert (before["COG009/cognito-user-migration"], after["COG009/cognito-user-migration"]) == (
        "fail",
        "pass",
    )
    assert {
        k: v
        for k, v in after.items()
        if k not in (role, "COG009/cognito-user-migration", "COG006/cognito-user-migration")
    } == {
        k: v
        for k, v in before.items()
        if k not in (role, "COG009/cognito-user-migration", "COG006/cognito-user-migration")
    }


@pytest.mark.parametrize("trust", ["condition", "action"])
def test_terraform_trust_fix_is_the_statement_the_plan_adds(trust: str) -> None:
    # the trust names lambda.amazonaws.com already, but not in a statement that lets it call
    # sts:AssumeRole unconditionally: the snippet is the statement the plan adds (PlannedFix.added)
    found = changes("--terraform-plan", f"{TF}/trust/plan-{trust}.json", *ACCOUNT)
    (fix,) = [c for c in found if c["checks"] == ["COG004"]]
    assert fix["where"] == "aws_iam_role.migration: a statement of assume_role_policy"
    assert fix["snippet"] == (
        "{\n"
        '  Effect = "Allow"\n'
        "  Principal = {\n"
        '    Service = "lambda.amazonaws.com"\n'
        "  }\n"
        '  Action = "sts:AssumeRole"\n'
        "}\n"
    )
    # pasted into the configuration (local.printed) and planned again, COG004 passes
    pasted = "  printed = " + textwrap.indent(fix["snippet"], "  ").strip()
    assert pasted in (ROOT / TF / "trust" / "main.tf").read_text()
    role = "COG004/cognito-user-migration"
    before, after = (
        statuses(
            cli("audit", "--terraform-plan", f"{TF}/trust/{name}.json", *ACCOUNT, "-f", "json")
        )
        for name in (f"plan-{trust}", f"plan-{trust}-fixed")
    )
    assert (before[role], after[role]) == ("fail", "pass")


def test_terraform_fix_also_writes_the_source_accounts_side_in_its_template() -> None:
    # a function in a Terraform plan assumes a role in another account, read from that account's
    # CloudFormation template (--source-template): the trust fix goes there, as for a template
    source = "arn:aws:iam::222233334444:role/legacy-pool-reader"
    found = changes(
        "--terraform-plan", f"{TF}/broken/plan.json", *ACCOUNT,
        "--function-code", "tests/assets/codecalls/packages/py_cross_account",
        "--source-template", "tests/assets/codecalls/stacks/source-account.yaml",
        "--source-pool-arn", "arn:aws:cognito-idp:eu-west-1:222233334444:userpool/eu-west-1_OldPool1",
        f"--env=SOURCE_ROLE_ARN={source}", "--env=SOURCE_EXTERNAL_ID=migr-7f3a",
        "--env=SOURCE_USER_POOL_ID=eu-west-1_OldPool1",
    )  # fmt: skip
    by_file = {(c["file"].rpartition("/")[2], c["language"], tuple(c["checks"])) for c in found}
    assert by_file == {
        ("plan.json", "hcl", ("COG011",)),  # the function role may assume the source role
        ("plan.json", "hcl", ("COG009",)),
        ("source-account.yaml", "yaml", ("COG011",)),  # the source role trusts the function's
    }
    (trust,) = [c for c in found if c["language"] == "yaml"]
    assert (
        trust["where"] == "Resources.LegacyPoolReader.Properties.AssumeRolePolicyDocument.Statement"
    )
    assert ":role/cognito-user-migration" in trust["snippet"]


def test_terraform_policy_built_with_jsonencode_of_a_new_resource_is_unknown_not_an_error(
    tmp_path: Path,
) -> None:
    # On a fresh apply, `policy = jsonencode({... Resource = aws_cognito_user_pool.x.arn})` is
    # unknown in the plan, whose configuration keeps only the expression's references: the
    # document is unknown until apply, never the referenced ARN read as JSON.
    plan = json.loads((ROOT / TF / "broken" / "plan.json").read_text())
    for change in plan["resource_changes"]:
        if change["address"] == "aws_iam_role_policy.read_legacy":
            change["change"]["after"].pop("policy")
            change["change"]["after_unknown"]["policy"] = True
    for resource in plan["planned_values"]["root_module"]["resources"]:
        if resource["address"] == "aws_iam_role_policy.read_legacy":
            resource["values"].pop("policy")
    for resource in plan["configuration"]["root_module"]["resources"]:
        if resource["address"] == "aws_iam_role_policy.read_legacy":
            resource["expressions"]["policy"] = {
                "references": ["aws_lambda_function.migrate.arn", "aws_lambda_function.migrate"]
            }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    result = cli(
        "audit", "--terraform-plan", str(path), "--account-id", "111122223333", "-f", "json"
    )
    assert result.exit_code in (0, 1, 3), result.output
    assert "not valid JSON" not in result.output
    data = json.loads(result.stdout)
    assert any(
        "aws_iam_role_policy.read_legacy: policy is unknown" in n for n in data.get("notes", [])
    )


def test_a_template_fix_in_json_keeps_the_checks_that_could_not_run() -> None:
    """The table says which checks the template changes do not cover; the JSON says it too."""
    from iam_audit.fix.emit import FixReport
    from iam_audit.fix.iac import IacFix
    from iam_audit.fix.plan import FixPlan
    from iam_audit.render import TextFormat, renderer_for

    change = IacFix(
        role_arn="arn:aws:iam::111122223333:role/Migration",
        checks=("COG001",),
        file="stack.yaml",
        language="yaml",
        where="Resources.MigrationRole.Properties.Policies",
        snippet="- PolicyName: migrate\n",
        diff=None,
    )
    missing = "COG010 could not run (pass --function-code)"
    report = FixReport(FixPlan(()), (missing,), (change,))
    data = json.loads(renderer_for(TextFormat.JSON).render(report))
    assert data["incomplete"] == [missing]
    assert data["template_changes"][0]["where"] == change.where
    assert missing in renderer_for(TextFormat.TABLE).render(report)
