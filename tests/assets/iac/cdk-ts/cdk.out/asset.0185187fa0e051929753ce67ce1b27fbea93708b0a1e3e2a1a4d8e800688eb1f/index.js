// User-migration trigger: authenticates the user against the legacy pool and returns its attributes.
const { CognitoIdentityProviderClient, AdminInitiateAuthCommand, AdminGetUserCommand } = require("@aws-sdk/client-cognito-identity-provider");
const client = new CognitoIdentityProviderClient({});
exports.handler = async (event) => {
  const poolId = process.env.OLD_USER_POOL_ID;
  const clientId = process.env.OLD_CLIENT_ID;
  if (event.triggerSource === "UserMigration_Authentication") {
    await client.send(new AdminInitiateAuthCommand({
      UserPoolId: poolId, ClientId: clientId, AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password },
    }));
  }
  const user = await client.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: event.userName }));
  event.response.userAttributes = { email: user.UserAttributes.find((a) => a.Name === "email").Value, email_verified: "true" };
  event.response.finalUserStatus = "CONFIRMED";
  event.response.messageAction = "SUPPRESS";
  return event;
};
