import * as cdk from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import { Construct } from "constructs";

export class LegacyStack extends cdk.Stack {
  public readonly pool: cognito.UserPool;
  constructor(scope: Construct, id: string, props: cdk.StackProps) {
    super(scope, id, props);
    this.pool = new cognito.UserPool(this, "LegacyPool", { userPoolName: "legacy-users" });
    this.pool.addClient("LegacyAdminClient", { authFlows: { adminUserPassword: true } });
  }
}
