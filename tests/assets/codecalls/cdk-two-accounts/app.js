// iam-audit fixture: a cross-account migration, synthesized by CDK. The legacy pool and the role
// that reads it are in the source account (222233334444); the migration function, which assumes
// that role with an external ID, is in the import account (111122223333). With `-c broken=true`
// the source role's trust names another account and expects another external ID.
const cdk = require('aws-cdk-lib');
const cognito = require('aws-cdk-lib/aws-cognito');
const iam = require('aws-cdk-lib/aws-iam');
const lambda = require('aws-cdk-lib/aws-lambda');
const path = require('path');

const app = new cdk.App();
const broken = app.node.tryGetContext('broken') === 'true';
const FUNCTION_ACCOUNT = '111122223333';
const SOURCE_ACCOUNT = '222233334444';
const SOURCE_ROLE = `arn:aws:iam::${SOURCE_ACCOUNT}:role/legacy-pool-reader`;

const source = new cdk.Stack(app, 'LegacySource', { env: { account: SOURCE_ACCOUNT, region: 'eu-west-1' } });
const pool = new cognito.UserPool(source, 'LegacyPool', { userPoolName: 'legacy-users' });
const reader = new iam.Role(source, 'LegacyPoolReader', {
  roleName: 'legacy-pool-reader',
  assumedBy: new iam.ArnPrincipal(`arn:aws:iam::${broken ? '999988887777' : FUNCTION_ACCOUNT}:role/migration-cross`),
  externalIds: [broken ? 'rotated-0000' : 'migr-7f3a'],
});
reader.addToPolicy(new iam.PolicyStatement({
  actions: ['cognito-idp:AdminInitiateAuth', 'cognito-idp:AdminGetUser'],
  resources: [pool.userPoolArn],
}));

const target = new cdk.Stack(app, 'MigrationTarget', { env: { account: FUNCTION_ACCOUNT, region: 'eu-west-1' } });
const role = new iam.Role(target, 'MigrationRole', {
  roleName: 'migration-cross',
  assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
});
role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [SOURCE_ROLE] }));
const fn = new lambda.Function(target, 'MigrateFn', {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: 'main.handler',
  role,
  code: lambda.Code.fromAsset(path.join(__dirname, '..', 'packages', 'py_cross_account')),
  environment: {
    SOURCE_ROLE_ARN: SOURCE_ROLE,
    SOURCE_EXTERNAL_ID: 'migr-7f3a',
    SOURCE_REGION: 'eu-west-1',
    SOURCE_USER_POOL_ID: 'eu-west-1_OldPool1',
    SOURCE_CLIENT_ID: 'legacyclient0000000000000',
  },
});
new cognito.UserPool(target, 'ImportPool', { userPoolName: 'imported-users', lambdaTriggers: { userMigration: fn } });
app.synth();
