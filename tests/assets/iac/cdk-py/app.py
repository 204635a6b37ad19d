#!/usr/bin/env python3
"""iam-audit fixture app (CDK in Python): the same deployment shape as the TypeScript app, with
the migration function's grant right (AdminInitiateAuth on the legacy pool, through a cross-stack
reference), phone sign-in (so CDK makes its smsRole), and the import logs role in a nested stack
whose policy forgets logs:PutLogEvents."""
import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct


class LegacyStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.pool = cognito.UserPool(self, "LegacyPool", user_pool_name="legacy-users")


class ImportLogs(cdk.NestedStack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        role = iam.Role(self, "ImportLogsRole", assumed_by=iam.ServicePrincipal("cognito-idp.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams"],
            resources=[cdk.Stack.of(self).format_arn(service="logs", resource="log-group", resource_name="/aws/cognito/*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)],
        ))


class ImportStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, *, legacy_pool: cognito.UserPool, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        migrate = lambda_.Function(
            self, "MigrateFn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=lambda_.Code.from_asset("migrate"),
            environment={"OLD_USER_POOL_ID": legacy_pool.user_pool_id},
        )
        migrate.add_to_role_policy(iam.PolicyStatement(
            actions=["cognito-idp:AdminInitiateAuth", "cognito-idp:AdminGetUser"],
            resources=[legacy_pool.user_pool_arn],
        ))
        cognito.UserPool(
            self, "ImportPool", user_pool_name="imported-users",
            sign_in_aliases=cognito.SignInAliases(phone=True, username=True),
            lambda_triggers=cognito.UserPoolTriggers(user_migration=migrate),
        )
        ImportLogs(self, "ImportLogs")


app = cdk.App()
env = cdk.Environment(account="111122223333", region="eu-west-1")
legacy = LegacyStack(app, "PyLegacyUsers", env=env)
ImportStack(app, "PyUserImport", env=env, legacy_pool=legacy.pool)
app.synth()
