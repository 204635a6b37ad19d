"""CloudFormation source: intrinsic resolution, roles and their policies, origins with lines.

Intrinsic semantics follow the CloudFormation intrinsic function reference
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html)
and the return values listed on each resource type's page.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from iam_audit.errors import InputError, PolicyParseError
from iam_audit.model import PolicyKind, SourceKind
from iam_audit.sources.cloudformation import TemplateSource, load_template
from tests.conftest import asset

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """The 1-based line of ``path`` that contains ``needle`` (the first one after ``after``)."""
    lines = path.read_text().splitlines()
    start = line_of(path, after) if after else 0
    hits = [i for i, text in enumerate(lines, 1) if needle in text and i > start]
    assert hits if after else len(hits) == 1, (needle, hits)
    return hits[0]


@pytest.fixture(scope="module")
def stack() -> TemplateSource:
    return load_template(asset("cfn", "stack.yaml"), region=REGION, account_id=ACCOUNT)


@pytest.fixture(scope="module")
def cdk() -> TemplateSource:
    return load_template(asset("cfn", "cdk-synth.template.json"), region=REGION, account_id=ACCOUNT)


# -- the hand-written YAML stack ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "arn", "name", "needle"),
    [
        (
            "MigrationRole",
            f"arn:aws:iam::{ACCOUNT}:role/cognito-migration-prod",
            "cognito-migration-prod",
            "  MigrationRole:",
        ),
        (
            "ImportLogsRole",
            f"arn:aws:iam::{ACCOUNT}:role/service-role/<ImportLogsRole>",
            "<ImportLogsRole>",
            "  ImportLogsRole:",
        ),
    ],
)
def test_roles_of_the_yaml_stack(
    stack: TemplateSource, ref: str, arn: str, name: str, needle: str
) -> None:
    role = stack.get_role(ref)
    assert (role.arn, role.name) == (arn, name)
    assert role.origin.kind is SourceKind.CLOUDFORMATION
    assert role.origin.location == str(asset("cfn", "stack.yaml"))
    assert role.origin.pointer == f"/Resources/{ref}"
    assert role.origin.line == line_of(asset("cfn", "stack.yaml"), needle)


@pytest.mark.parametrize("ref", ["MigrationRole", "cognito-migration-prod"])
def test_get_role_by_logical_id_name_or_arn(stack: TemplateSource, ref: str) -> None:
    role = stack.get_role(ref)
    assert stack.get_role(role.arn) is role
    assert role.name == "cognito-migration-prod"


def test_unknown_role_is_an_input_error_naming_the_roles(stack: TemplateSource) -> None:
    with pytest.raises(InputError) as err:
        stack.get_role("NoSuchRole")
    line = err.value.diagnostics()
    assert "'NoSuchRole' is not in" in line
    assert "ImportLogsRole, MigrationRole" in line
    assert "\n" not in line


def test_policy_origins_point_at_the_lines_to_change(stack: TemplateSource) -> None:
    path = asset("cfn", "stack.yaml")
    role = stack.get_role("MigrationRole")
    assert role.trust is not None
    assert role.trust.origin is not None
    assert (
        role.trust.origin.pointer == "/Resources/MigrationRole/Properties/AssumeRolePolicyDocument"
    )
    # the line of the key, where a reviewer looks, not of the first line of its body
    assert role.trust.origin.line == line_of(
        path, "AssumeRolePolicyDocument:", after="  MigrationRole:"
    )
    (inline,) = role.inline
    assert inline.origin is not None
    assert inline.origin.pointer == "/Resources/MigrationRole/Properties/Policies/0/PolicyDocument"
    assert inline.origin.line == line_of(path, "- PolicyName: read-old-pool") + 1
    logs = stack.get_role("ImportLogsRole")
    (attached,) = logs.inline
    assert attached.name == "cognito-import-logs"
    assert attached.origin is not None
    assert attached.origin.pointer == "/Resources/ImportLogsPolicy/Properties/PolicyDocument"
    assert attached.origin.line == line_of(path, "PolicyName: cognito-import-logs") + 3


def test_short_form_tags_resolve(stack: TemplateSource) -> None:
    role = stack.get_role("MigrationRole")
    (inline,) = role.inline
    assert inline.kind is PolicyKind.INLINE
    assert inline.document["Statement"][0]["Resource"] == (
        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/eu-west-1_OldPool42"
    )
    assert role.tags == (("stage", "prod"),)
    logs = stack.get_role("ImportLogsRole")
    assert logs.trust is not None
    principal = logs.trust.document["Statement"][0]["Principal"]
    assert principal == {
        "Service": "cognito-idp.amazonaws.com",
        "AWS": "arn:aws:iam::444455556666:root",
    }
    assert logs.path == "/service-role/"


def test_managed_policies_from_the_template_and_the_snapshot(stack: TemplateSource) -> None:
    role = stack.get_role("MigrationRole")
    names = [p.name for p in role.managed]
    assert names == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        f"arn:aws:iam::{ACCOUNT}:policy/shared-bucket-read",
    ]
    basic, shared = role.managed
    assert basic.version_id == "v1"
    assert "logs:PutLogEvents" in basic.document["Statement"][0]["Action"]
    assert shared.origin is not None
    assert shared.origin.pointer == "/Resources/SharedBucketAccess/Properties/PolicyDocument"
    assert role.unknown_managed == ()
    # the bucket comes from another stack's export: unresolved, and the role says so
    assert role.symbolic == ("<Unresolved.ImportValue.shared-infra.ExportBucketName>",)
    assert shared.document["Statement"][0]["Resource"] == (
        "arn:aws:s3:::<Unresolved.ImportValue.shared-infra.ExportBucketName>/*"
    )


def test_function_environment_and_permission(stack: TemplateSource) -> None:
    function = stack.get_function("MigrationFunction")
    assert function is not None
    assert function.name == "<AWS.StackName>-migrate"
    assert function.arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:<AWS.StackName>-migrate"
    assert function.role_arn == stack.get_role("MigrationRole").arn
    assert dict(function.environment) == {
        "LOG_LEVEL": "info",  # !Select [1, !Split [",", "debug,info,warn"]]
        "OLD_CLIENT_ID": "4example1client2id3prod",  # !If [IsProd, ...] with Stage=prod
        "OLD_USER_POOL_ID": "eu-west-1_OldPool42",
    }
    assert function.timeout == 30  # !FindInMap [StageConfig, !Ref Stage, Timeout]
    assert function.resource_policy is not None
    assert function.resource_policy.kind is PolicyKind.RESOURCE
    # Lambda's AddPermission writes SourceArn/SourceAccount as these conditions
    # (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html)
    assert function.resource_policy.document["Statement"] == [
        {
            "Sid": "MigrationInvokePermission",
            "Effect": "Allow",
            "Principal": {"Service": "cognito-idp.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": function.arn,
            "Condition": {
                "ArnLike": {
                    "AWS:SourceArn": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/<UserPool>"
                },
                "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            },
        }
    ]
    for ref in (function.arn, function.name, function.arn + ":live"):
        assert stack.get_function(ref) is function
    assert stack.get_function("nope") is None


def test_user_pool_trigger(stack: TemplateSource) -> None:
    pool_arn = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/<UserPool>"
    pool = stack.get_user_pool(pool_arn)
    assert pool is not None
    assert stack.get_user_pool("<UserPool>") is pool
    assert pool.name == "<AWS.StackName>-users"
    function = stack.get_function("MigrationFunction")
    assert function is not None
    assert pool.migration_lambda_arn == function.arn
    assert pool.origin.line == line_of(asset("cfn", "stack.yaml"), "  UserPool:")


def test_parameters_override_defaults() -> None:
    source = load_template(
        asset("cfn", "stack.yaml"),
        parameters={"Stage": "dev"},
        region=REGION,
        account_id=ACCOUNT,
    )
    role = source.get_role("MigrationRole")
    assert role.name == "cognito-migration-dev"
    function = source.get_function("MigrationFunction")
    assert function is not None
    assert function.timeout == 10
    assert dict(function.environment)["OLD_CLIENT_ID"] == "4example1client2id3dev"
    # ManagedPolicyName: !If [IsProd, ..., !Ref AWS::NoValue] → CloudFormation generates one
    assert [p.name for p in role.managed][
        1
    ] == f"arn:aws:iam::{ACCOUNT}:policy/<SharedBucketAccess>"


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(InputError, match="no parameter Stag"):
        load_template(asset("cfn", "stack.yaml"), parameters={"Stag": "dev"})


def test_without_region_and_account_the_pseudo_parameters_stay_symbolic() -> None:
    source = load_template(asset("cfn", "stack.yaml"))
    role = source.get_role("MigrationRole")
    assert role.arn == (
        "arn:<Unresolved.AWS.Partition>:iam::<Unresolved.AWS.AccountId>:role/cognito-migration-prod"
    )
    assert "<Unresolved.AWS.AccountId>" in role.symbolic
    assert "<Unresolved.AWS.Region>" in role.symbolic
    # the AWS managed policy is still found, whatever the partition
    assert next(p.name for p in role.managed).endswith(
        ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )
    assert role.managed[0].document["Statement"]
    notes = source.inventory().notes
    assert "AWS::AccountId is unresolved (pass --account-id)" in notes
    assert "AWS::Region is unresolved (pass --region)" in notes
    assert source.account_id() is None


# -- cdk synth output ------------------------------------------------------------------------------


def test_cdk_roles_with_hashed_ids(cdk: TemplateSource) -> None:
    path = asset("cfn", "cdk-synth.template.json")
    role = cdk.get_role("MigrationFnServiceRole3A1B2C4D")
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/<MigrationFnServiceRole3A1B2C4D>"
    assert role.origin.line == line_of(path, '"MigrationFnServiceRole3A1B2C4D": {')
    # the DefaultPolicy is an AWS::IAM::Policy attached through Roles: [{Ref: ...}]
    (default,) = role.inline
    assert default.name == "MigrationFnServiceRoleDefaultPolicy5E6F7A8B"
    assert default.document["Statement"][0]["Resource"] == (
        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/eu-west-1_Src0Pool9"
    )
    assert default.origin is not None
    assert default.origin.line == line_of(
        path, '"PolicyDocument": {', after='"MigrationFnServiceRoleDefaultPolicy5E6F7A8B": {'
    )
    # Fn::Join ["", ["arn:", {Ref: AWS::Partition}, ":iam::aws:policy/..."]]
    assert [p.name for p in role.managed] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]
    assert role.symbolic == ("<Unresolved.ImportValue.shared-infra.DeadLetterQueueArn>",)


def test_cdk_function_pool_and_permission(cdk: TemplateSource) -> None:
    (function,) = cdk.inventory().functions
    assert function.role_arn == cdk.get_role("MigrationFnServiceRole3A1B2C4D").arn
    (pool,) = cdk.inventory().user_pools
    assert pool.migration_lambda_arn == function.arn
    assert pool.name == "imported-users"
    assert function.resource_policy is not None
    statement = function.resource_policy.document["Statement"][0]
    assert statement["Condition"] == {"ArnLike": {"AWS:SourceArn": pool.arn}}


def test_cdk_inventory_is_sorted_and_complete(cdk: TemplateSource) -> None:
    inventory = cdk.inventory()
    assert [r.name for r in inventory.roles] == [
        "<ImportLogsRole1F2E3D4C>",
        "<MigrationFnServiceRole3A1B2C4D>",
    ]
    assert inventory.notes == ()


# -- intrinsic functions, one at a time ------------------------------------------------------------

_TEMPLATE = """\
Parameters:
  Env:
    Type: String
    Default: prod
  Names:
    Type: CommaDelimitedList
    Default: "a,b,c"
  NoDefault:
    Type: String
Mappings:
  Regions:
    eu-west-1:
      Pool: eu-west-1_MapPool1
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Unknowable: !Equals [!Ref NoDefault, x]
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: {expr}
"""


def _resource(tmp_path: Path, expr: str, **kwargs: str) -> tuple[str, tuple[str, ...]]:
    path = tmp_path / "t.yaml"
    path.write_text(_TEMPLATE.format(expr=expr))
    role = load_template(path, region=kwargs.get("region", REGION), account_id=ACCOUNT).get_role(
        "Role"
    )
    return role.inline[0].document["Statement"][0]["Resource"], role.symbolic


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("!Sub arn:${AWS::Partition}:s3:::b-${Env}", "arn:aws:s3:::b-prod"),
        # ${!Literal} keeps an IAM policy variable
        ("!Sub arn:aws:s3:::b/${!aws:username}/*", "arn:aws:s3:::b/${aws:username}/*"),
        (
            '!Sub ["arn:aws:s3:::${B}/*", {B: !Select [2, !Ref Names]}]',
            "arn:aws:s3:::c/*",
        ),
        ('!Join [":", [a, !Ref Env, !Ref "AWS::Region"]]', f"a:prod:{REGION}"),
        ('!Join ["", !Ref Names]', "abc"),
        ('!Select [0, !Split ["/", "x/y/z"]]', "x"),
        ("!If [IsProd, yes-prod, no-prod]", "yes-prod"),
        ("!FindInMap [Regions, !Ref AWS::Region, Pool]", "eu-west-1_MapPool1"),
        ("!GetAtt Pool.Arn", f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/<Pool>"),
        ("!GetAtt [Pool, ProviderName]", f"cognito-idp.{REGION}.amazonaws.com/<Pool>"),
        (
            "!Sub ${Pool.Arn}/client",
            f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/<Pool>/client",
        ),
        ("!Ref Pool", "<Pool>"),
        ("!Base64 abc", "YWJj"),
        ("!Sub arn:${AWS::URLSuffix}", "arn:amazonaws.com"),
    ],
)
def test_intrinsics_resolve(tmp_path: Path, expr: str, expected: str) -> None:
    resource, symbolic = _resource(tmp_path, expr)
    assert resource == expected
    assert symbolic == ()


@pytest.mark.parametrize(
    ("expr", "expected", "symbolic"),
    [
        ("!ImportValue shared:Arn", "<Unresolved.ImportValue.shared.Arn>", ()),
        ("!Ref NoDefault", "<Unresolved.Parameter.NoDefault>", ()),
        # a condition that hangs on an unresolved value takes its true branch, marked
        (
            "!If [Unknowable, then-branch, else-branch]",
            "then-branch",
            ("<Unresolved.Condition.Unknowable>",),
        ),
        ('"{{resolve:ssm:/app/bucket}}"', "<Unresolved.resolve.ssm./app/bucket>", ()),
        ("!Select [0, !GetAZs '']", "<Unresolved.Select>", ()),
    ],
)
def test_unresolvable_values_stay_symbolic(
    tmp_path: Path, expr: str, expected: str, symbolic: tuple[str, ...]
) -> None:
    resource, found = _resource(tmp_path, expr)
    assert resource == expected
    in_string = (expected,) if expected.startswith("<Unresolved.") else ()
    assert found == tuple(sorted({*symbolic, *in_string}))


def test_partition_follows_the_region(tmp_path: Path) -> None:
    resource, _ = _resource(tmp_path, "!GetAtt Pool.Arn", region="cn-north-1")
    assert resource == f"arn:aws-cn:cognito-idp:cn-north-1:{ACCOUNT}:userpool/<Pool>"
    resource, _ = _resource(tmp_path, "!Sub arn:${AWS::URLSuffix}", region="cn-north-1")
    assert resource == "arn:amazonaws.com.cn"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("!Ref Nope", "Ref to unknown parameter or resource 'Nope'"),
        ("!GetAtt Nope.Arn", "Fn::GetAtt names unknown resource 'Nope'"),
        ("!If [NoSuchCondition, a, b]", "unknown condition 'NoSuchCondition'"),
        ("!Select [5, [a, b]]", "Fn::Select index 5 out of range"),
        ("!FindInMap [Regions, us-east-1, Pool]", "no Regions/us-east-1/Pool in Mappings"),
        ("!Join [',', {a: b}]", "Fn::Join needs a list"),
        # CloudFormation rejects a resource that refers to itself
        ("!GetAtt Role.Arn", "circular dependency between resources: Role → Role"),
    ],
)
def test_bad_intrinsics_name_file_and_line(tmp_path: Path, expr: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        _resource(tmp_path, expr)
    text = err.value.diagnostics()
    assert message in text
    path = tmp_path / "t.yaml"
    line = line_of(path, "Resource:") if "circular" not in message else line_of(path, "  Role:")
    assert f"{path}:{line}:" in text


# -- bad templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("invalid-yaml.yaml", "invalid-yaml.yaml:7: invalid template: did not find expected node"),
        ("invalid-json.json", "invalid-json.json:1: invalid template"),
        ("unknown-tag.yaml", "unknown-tag.yaml:6: unknown intrinsic function Fn::Concat"),
        (
            "circular.yaml",
            "circular.yaml:21: circular dependency between resources: Fn → FnRole → Fn",
        ),
        ("circular-condition.yaml", "circular reference: Condition.A → Condition.B → Condition.A"),
        ("not-a-template.yaml", "not a CloudFormation template (no Resources section)"),
    ],
)
def test_bad_templates_give_one_line(name: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_template(asset("cfn", "bad", name))
    line = err.value.diagnostics()
    assert message in line
    assert "\n" not in line
    assert err.value.exit_code == 3


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_template(tmp_path / "absent.yaml")


def test_invalid_policy_document_is_a_policy_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        _TEMPLATE.format(expr="'*'").replace(
            "Effect: Allow\n                Action", "Effct: Allow\n                Action"
        )
    )
    with pytest.raises(PolicyParseError) as err:
        load_template(path)
    assert f"{path}:31" in err.value.diagnostics()


def test_missing_cfn_lint_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cfnlint.decode", None)
    with pytest.raises(InputError) as err:
        load_template(asset("cfn", "stack.yaml"))
    assert "pip install 'iam-audit[iac]'" in err.value.diagnostics()


def test_other_transform_is_noted_not_expanded(tmp_path: Path) -> None:
    # A macro other than SAM is not expanded: the inventory says so instead of guessing.
    path = tmp_path / "macro.yaml"
    path.write_text(
        "Transform: MyCompany::Macro\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
    )
    source = load_template(path)
    assert source.inventory().roles == ()
    (note,) = source.inventory().notes
    assert "Transform MyCompany::Macro" in note


def test_invalid_sam_template_is_one_line(tmp_path: Path) -> None:
    # AWS SAM requires Runtime and Handler for a function packaged as a zip (CodeUri).
    path = tmp_path / "sam.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src/\n      Events:\n        E:\n          Type: NoSuchEvent\n"
    )
    with pytest.raises(InputError) as err:
        load_template(path)
    assert str(err.value).startswith(f"{path}: invalid SAM template:")
    assert "\n" not in str(err.value)
