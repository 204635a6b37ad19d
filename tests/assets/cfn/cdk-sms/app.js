// A user pool with SMS MFA (CDK then makes its smsRole) whose UserMigration trigger reads
// the legacy pool named in OLD_USER_POOL_ID. Synthesized with `node app.js` (aws-cdk-lib 2).
const cdk = require('aws-cdk-lib');
const cognito = require('aws-cdk-lib/aws-cognito');
const lambda = require('aws-cdk-lib/aws-lambda');
const iam = require('aws-cdk-lib/aws-iam');

const app = new cdk.App({ outdir: 'cdk.out' });
const stack = new cdk.Stack(app, 'SmsPoolMigration', {
  env: { account: '111122223333', region: 'eu-west-1' },
});
const legacy = 'eu-west-1_Legacy01';
const fn = new lambda.Function(stack, 'MigrateFn', {
  runtime: lambda.Runtime.NODEJS_20_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline([
    "const { CognitoIdentityProviderClient, AdminInitiateAuthCommand } = require('@aws-sdk/client-cognito-identity-provider');",
    'const client = new CognitoIdentityProviderClient({});',
    'exports.handler = async (event) => {',
    '  await client.send(new AdminInitiateAuthCommand({ UserPoolId: process.env.OLD_USER_POOL_ID,',
    "    ClientId: process.env.OLD_CLIENT_ID, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',",
    '    AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password } }));',
    '  return event;',
    '};',
  ].join('\n')),
  environment: { OLD_USER_POOL_ID: legacy },
});
fn.addToRolePolicy(new iam.PolicyStatement({
  actions: ['cognito-idp:AdminInitiateAuth'],
  resources: [`arn:aws:cognito-idp:eu-west-1:111122223333:userpool/${legacy}`],
}));
new cognito.UserPool(stack, 'Users', {
  signInAliases: { phone: true, email: true },
  mfa: cognito.Mfa.REQUIRED,
  mfaSecondFactor: { sms: true, otp: false },
  lambdaTriggers: { userMigration: fn },
  removalPolicy: cdk.RemovalPolicy.DESTROY,
});
app.synth();
