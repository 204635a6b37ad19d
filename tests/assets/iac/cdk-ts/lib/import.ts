import * as cdk from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as path from "path";
import { Construct } from "constructs";

interface ImportStackProps extends cdk.StackProps { legacyPool: cognito.UserPool }

class ImportLogsStack extends cdk.NestedStack {
  public readonly role: iam.Role;
  constructor(scope: Construct, id: string, props?: cdk.NestedStackProps) {
    super(scope, id, props);
    // The CSV import job's CloudWatch Logs role, as AWS documents it.
    this.role = new iam.Role(this, "ImportLogsRole", {
      assumedBy: new iam.ServicePrincipal("cognito-idp.amazonaws.com"),
    });
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      resources: [cdk.Stack.of(this).formatArn({ service: "logs", resource: "log-group", resourceName: "/aws/cognito/*", arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME })],
    }));
  }
}

export class ImportStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props: ImportStackProps) {
    super(scope, id, props);
    const migrate = new lambda.Function(this, "MigrateFn", {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: "index.handler",
      code: lambda.Code.fromAsset(path.join(__dirname, "..", "..", "lambda", "migrate")),
      environment: {
        OLD_USER_POOL_ID: props.legacyPool.userPoolId,
        OLD_CLIENT_ID: "legacyclientid0000000000000",
      },
    });
    // The bug iam-audit must catch: the grant names the legacy pool but only AdminGetUser.
    migrate.addToRolePolicy(new iam.PolicyStatement({
      actions: ["cognito-idp:AdminGetUser"],
      resources: [props.legacyPool.userPoolArn],
    }));
    const pool = new cognito.UserPool(this, "ImportPool", {
      userPoolName: "imported-users",
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: true, otp: true },
      lambdaTriggers: { userMigration: migrate },
    });
    new ImportLogsStack(this, "ImportLogs");
    new cdk.CfnOutput(this, "ImportPoolArn", { value: pool.userPoolArn });
  }
}
