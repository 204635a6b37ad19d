"""Deployments of several stacks: SAM, CDK cloud assemblies, repeated --template, nested stacks.

Fixtures are in tests/assets/iac (its README says how each was made). The CLI runs from the
repository root, as a pipeline job does, so locations are relative.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from iam_audit.cli import app
from iam_audit.errors import InputError
from iam_audit.sources.deployment import StackFile, cdk_stacks, load_deployment
from tests.conftest import asset

ROOT = Path(__file__).resolve().parents[2]
IAC = "tests/assets/iac"
CDK_OUT = f"{IAC}/cdk-ts/cdk.out"
PSEUDO = ["--region", "eu-west-1", "--account-id", "111122223333"]
LEGACY_POOL = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<LegacyPoolE8122B3D>"
CDK_IMPORT_POOL = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<ImportPool09874A00>"


@pytest.fixture(autouse=True)
def _repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def audit(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args, "--format", "json"])


def results(result: Result) -> dict[str, dict[str, Any]]:
    """COGnnn/role name → result, from ``audit --format json``."""
    data = json.loads(result.stdout)
    return {f"{r['check']}/{r['role'].rpartition('/')[2]}": r for r in data["results"]}


def line_of(path: str, text: str) -> int:
    return (ROOT / path).read_text().splitlines().index(text) + 1


# -- CDK cloud assemblies ------------------------------------------------------------------------


def test_cdk_manifest_lists_every_stack_with_its_environment() -> None:
    # `cdk synth` writes one artifact of type aws:cloudformation:stack per stack, with its
    # environment as aws://ACCOUNT/REGION (CDK cloud assembly schema, manifest.json).
    stacks = cdk_stacks(asset("iac", "cdk-ts", "cdk.out"))
    assert [(s.name, s.path.name, s.account_id, s.region) for s in stacks] == [
        ("LegacyUsers", "LegacyUsers.template.json", "111122223333", "eu-west-1"),
        ("UserImport", "UserImport.template.json", "111122223333", "eu-west-1"),
    ]


def test_cdk_cross_stack_reference_resolves_through_the_export() -> None:
    # CDK turns a cross-stack reference into an Output with Export in the producing stack and
    # Fn::ImportValue in the consumer ("The intrinsic function Fn::ImportValue returns the value
    # of an output exported by another stack", CloudFormation User Guide, Fn::ImportValue).
    source = load_deployment(cdk_stacks(asset("iac", "cdk-ts", "cdk.out")))
    role = source.get_role("MigrateFnServiceRole1E09F297")
    (document,) = role.inline
    assert document.document["Statement"][0]["Resource"] == LEGACY_POOL
    assert source.get_user_pool(LEGACY_POOL) is not None
    function = source.get_function("MigrateFnD91AE9F5")
    assert function is not None
    assert dict(function.environment)["OLD_USER_POOL_ID"] == "<LegacyPoolE8122B3D>"


def test_cdk_origins_name_stack_construct_file_and_line() -> None:
    source = load_deployment(cdk_stacks(asset("iac", "cdk-ts", "cdk.out")))
    role = source.get_role("UserImport/MigrateFnServiceRole1E09F297")
    assert role.origin.stack == "UserImport"
    assert role.origin.construct == "UserImport/MigrateFn/ServiceRole/Resource"
    assert role.origin.location.endswith("cdk.out/UserImport.template.json")
    assert role.origin.line == line_of(
        f"{CDK_OUT}/UserImport.template.json", '  "MigrateFnServiceRole1E09F297": {'
    )


def test_cdk_nested_stack_is_followed_through_its_asset() -> None:
    # A CDK NestedStack is an AWS::CloudFormation::Stack whose template is the asset named in
    # the resource's aws:asset:path metadata, a file beside the parent in cdk.out.
    source = load_deployment(cdk_stacks(asset("iac", "cdk-ts", "cdk.out")))
    logs = source.get_role("ImportLogsRole1D9B0462")
    assert logs.origin.location.endswith(".nested.template.json")
    assert logs.origin.construct == "UserImport/ImportLogs/ImportLogsRole/Resource"
    assert logs.origin.stack.startswith("UserImport/")


def test_cdk_stack_selection_leaves_a_foreign_import_unresolved() -> None:
    source = load_deployment(cdk_stacks(asset("iac", "cdk-ts", "cdk.out"), ["UserImport"]))
    (document,) = source.get_role("MigrateFnServiceRole1E09F297").inline
    resource = document.document["Statement"][0]["Resource"]
    assert resource.startswith("<Unresolved.ImportValue.")


def test_cdk_unknown_stack_is_one_line_listing_the_stacks() -> None:
    result = audit("--cdk-out", CDK_OUT, "--stack", "Nope")
    assert result.exit_code == 3
    (line,) = result.stderr.strip().splitlines()
    assert "no stack 'Nope'" in line
    assert "LegacyUsers, UserImport" in line


def test_cdk_out_that_is_not_an_assembly_is_one_line(tmp_path: Path) -> None:
    result = audit("--cdk-out", str(tmp_path))
    assert result.exit_code == 3
    assert "not a CDK cloud assembly" in result.stderr


def test_cdk_audit_finds_the_grant_missing_on_the_other_stacks_pool() -> None:
    result = audit(
        "--cdk-out",
        CDK_OUT,
        "--user-pool-arn",
        CDK_IMPORT_POOL,
        "--logs-role",
        "ImportLogsRole1D9B0462",
    )
    assert result.exit_code == 1, result.output
    found = results(result)
    cog001 = found["COG001/<MigrateFnServiceRole1E09F297>"]
    assert cog001["status"] == "fail"
    assert LEGACY_POOL in cog001["message"]
    assert cog001["origin"]["stack"] == "UserImport"
    assert cog001["origin"]["construct"] == "UserImport/MigrateFn/ServiceRole/Resource"
    assert found["COG002/<ImportLogsRole1D9B0462>"]["status"] == "pass"
    assert found["COG009/<MigrateFnServiceRole1E09F297>"]["status"] == "pass"


# -- SAM -----------------------------------------------------------------------------------------


def test_sam_function_role_and_cognito_event_are_expanded() -> None:
    # "AWS SAM generates an AWS::IAM::Role ... when Role is not specified" and a Cognito event
    # "sets the Lambda function as a trigger on the user pool" (AWS SAM Developer Guide,
    # AWS::Serverless::Function, Cognito event source type).
    source = load_deployment([StackFile("sam", asset("iac", "sam", "template.yaml"), named=False)])
    inventory = source.inventory()
    (pool,) = inventory.user_pools
    function = source.get_function("MigrateFunction")
    assert function is not None
    assert pool.migration_lambda_arn == function.arn
    role = source.get_role("MigrateFunctionRole")
    assert [d.name for d in role.managed] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]
    assert function.resource_policy is not None  # SAM's generated AWS::Lambda::Permission
    assert function.code_path == str(asset("iac", "sam", "src", "migrate"))


def test_sam_findings_point_at_the_resource_the_user_wrote() -> None:
    template = f"{IAC}/sam/template.yaml"
    result = audit("--template", template, *PSEUDO)
    assert result.exit_code == 1, result.output
    found = results(result)
    cog001 = found["COG001/<MigrateFunctionRole>"]
    assert cog001["status"] == "fail"
    assert "eu-west-1_LegacyP00l" in cog001["message"]
    assert cog001["origin"]["pointer"] == "/Resources/MigrateFunction"
    assert cog001["origin"]["line"] == line_of(template, "  MigrateFunction:")
    assert found["COG005/<MigrateFunctionRole>"]["status"] == "pass"
    assert found["COG009/<MigrateFunctionRole>"]["status"] == "pass"
    # the unquoted `Version: 2012-10-17` of the logs role is read as CloudFormation reads it
    assert found["COG002/<ImportLogsRole>"]["status"] == "pass"


# -- several templates, nested stacks ------------------------------------------------------------


def test_repeated_template_resolves_imports_across_files() -> None:
    source = load_deployment(
        [
            StackFile("legacy", asset("iac", "multi", "legacy.yaml")),
            StackFile("import", asset("iac", "multi", "import.yaml")),
        ],
        region="eu-west-1",
        account_id="111122223333",
    )
    role = source.get_role("cognito-migration")
    (document,) = role.inline
    legacy_arn = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<LegacyPool>"
    assert document.document["Statement"][0]["Resource"] == legacy_arn  # !Sub in the import
    function = source.get_function("MigrateFunction")
    assert function is not None
    assert dict(function.environment)["OLD_USER_POOL_ID"] == "<LegacyPool>"
    assert role.origin.location.endswith(f"{IAC}/multi/import.yaml")
    assert role.origin.stack == "import"


def test_repeated_template_cli_locates_each_finding_in_its_own_file() -> None:
    result = audit(
        "--template",
        f"{IAC}/multi/legacy.yaml",
        "--template",
        f"{IAC}/multi/import.yaml",
        *PSEUDO,
        "--user-pool-arn",
        "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<ImportPool>",
    )
    found = results(result)
    cog001 = found["COG001/cognito-migration"]
    assert cog001["status"] == "pass", cog001
    assert cog001["origin"]["location"] == f"{IAC}/multi/import.yaml"


def test_an_import_no_stack_exports_stays_unresolved() -> None:
    source = load_deployment(
        [StackFile("import", asset("iac", "multi", "import.yaml"), named=False)],
        region="eu-west-1",
        account_id="111122223333",
    )
    (document,) = source.get_role("cognito-migration").inline
    assert document.document["Statement"][0]["Resource"] == (
        "<Unresolved.ImportValue.legacy-LegacyPoolArn>"
    )


def test_nested_stack_with_a_local_template_url_is_followed_and_an_s3_one_is_named() -> None:
    source = load_deployment(
        [StackFile("parent", asset("iac", "nested", "parent.yaml"), named=False)],
        region="eu-west-1",
        account_id="111122223333",
    )
    role = source.get_role("ImportLogsRole")
    assert role.origin.location.endswith("nested/logs-role.yaml")
    assert role.origin.stack == "parent/LogsStack"
    (document,) = role.inline
    # the parent passes its pool's ID as the nested stack's PoolId parameter
    assert "/aws/cognito/userpools/<ImportPool>*" in document.document["Statement"][0]["Resource"]
    assert (
        "nested stack parent/AuthStack not read: its template is not local "
        "(https://s3.amazonaws.com/example-bucket/auth.yaml)"
    ) in source.inventory().notes


def test_amplify_root_stack_follows_category_stacks_and_their_outputs() -> None:
    root = "amplify/backend/awscloudformation/build/root-cloudformation-stack.json"
    source = load_deployment(
        [StackFile("root", asset("iac", "amplify", *root.split("/")), named=False)],
        region="eu-west-1",
        account_id="111122223333",
    )
    (pool,) = source.inventory().user_pools
    function = source.get_function("legacyMigrate-dev")
    assert function is not None
    # the auth stack gets the function's ARN as the root stack passes Outputs.Arn along
    assert pool.migration_lambda_arn == function.arn
    # the invoke permission lives in the auth stack, the function in the function stack
    assert function.resource_policy is not None
    assert function.origin.location.endswith("legacyMigrate-cloudformation-template.json")


# -- Serverless and Terraform inputs given where a template or plan is expected -----------------


def test_serverless_package_output_is_audited_like_any_template() -> None:
    template = f"{IAC}/serverless/.serverless/cloudformation-template-update-stack.json"
    result = audit("--template", template, *PSEUDO)
    found = results(result)
    role = "user-migration-dev-eu-west-1-lambdaRole"
    assert found[f"COG001/{role}"]["status"] == "pass"
    assert found[f"COG009/{role}"]["status"] == "pass"


@pytest.mark.parametrize(
    ("args", "message", "advice"),
    [
        (
            ["--template", f"{IAC}/serverless/serverless.yml"],
            "a Serverless Framework service, not a CloudFormation template",
            "sls package",
        ),
        (
            ["--terraform-plan", "tests/assets/terraform/cognito-import/main.tf"],
            "Terraform configuration, not a plan in JSON",
            "terraform show -json",
        ),
    ],
)
def test_source_files_say_how_to_make_what_is_audited(
    args: list[str], message: str, advice: str
) -> None:
    result = audit(*args)
    assert result.exit_code == 3
    (line,) = result.stderr.strip().splitlines()
    assert message in line
    assert advice in line


def test_two_templates_with_one_stack_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="two templates are named stack 'a'"):
        load_deployment(
            [
                StackFile("a", asset("iac", "multi", "legacy.yaml")),
                StackFile("a", asset("iac", "multi", "import.yaml")),
            ]
        )


def test_cdk_python_app_verdicts() -> None:
    # The Python app grants AdminInitiateAuth on the legacy pool through a cross-stack reference,
    # and its nested logs role forgets logs:PutLogEvents.
    result = audit(
        "--cdk-out",
        f"{IAC}/cdk-py/cdk.out",
        "--user-pool-arn",
        "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/<ImportPool09874A00>",
        "--logs-role",
        "ImportLogsRole1D9B0462",
    )
    found = results(result)
    assert found["COG001/<MigrateFnServiceRole1E09F297>"]["status"] == "pass"
    assert found["COG009/<MigrateFnServiceRole1E09F297>"]["status"] == "pass"
    cog002 = found["COG002/<ImportLogsRole1D9B0462>"]
    assert cog002["status"] == "fail"
    assert cog002["missing"] == ["logs:PutLogEvents"]
    assert cog002["origin"]["construct"] == "PyUserImport/ImportLogs/ImportLogsRole/Resource"


@pytest.mark.parametrize(
    ("args", "role", "status", "missing"),
    [
        # SAM: the CodeUri folder is the code; it calls AdminInitiateAuth and AdminGetUser on the
        # pool its environment names, and the role grants only AdminGetUser
        (
            ["--template", f"{IAC}/sam/template.yaml"],
            "<MigrateFunctionRole>",
            "fail",
            ["cognito-idp:AdminInitiateAuth"],
        ),
        # Serverless: `sls package` leaves the package beside the template; the role grants both
        (
            [
                "--template",
                f"{IAC}/serverless/.serverless/cloudformation-template-update-stack.json",
            ],
            "user-migration-dev-eu-west-1-lambdaRole",
            "pass",
            [],
        ),
    ],
    ids=["sam-codeuri", "serverless-package"],
)
def test_the_code_the_deployment_tool_packages_is_read(
    args: list[str], role: str, status: str, missing: list[str]
) -> None:
    found = results(audit(*args, *PSEUDO))
    cog010 = found[f"COG010/{role}"]
    assert cog010["status"] == status, cog010
    assert cog010["missing"] == missing


@pytest.mark.parametrize("template", ["cfn/stack.yaml", "iac/sam/template.yaml"])
def test_a_lone_template_is_read_once(monkeypatch: pytest.MonkeyPatch, template: str) -> None:
    """Nothing another stack exports, nests or permits can change a lone template's reading:
    it is decoded, resolved (and, for SAM, translated) once."""
    from iam_audit.sources import deployment

    calls: list[object] = []
    read = deployment.read_stack

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return read(*args, **kwargs)

    monkeypatch.setattr(deployment, "read_stack", counted)
    path = asset(*template.split("/"))
    load_deployment([StackFile(path.stem, path, named=False)], region="eu-central-1")
    assert len(calls) == 1
