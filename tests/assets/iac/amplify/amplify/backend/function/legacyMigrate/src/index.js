const { CognitoIdentityProviderClient, AdminInitiateAuthCommand } = require("@aws-sdk/client-cognito-identity-provider");
const cognito = new CognitoIdentityProviderClient({});
exports.handler = async (event) => {
  if (event.triggerSource === "UserMigration_Authentication") {
    await cognito.send(new AdminInitiateAuthCommand({ UserPoolId: process.env.OLD_USER_POOL_ID, ClientId: process.env.OLD_CLIENT_ID,
      AuthFlow: "ADMIN_USER_PASSWORD_AUTH", AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password } }));
    event.response.userAttributes = { email: event.userName, email_verified: "true" };
    event.response.finalUserStatus = "CONFIRMED";
  }
  return event;
};
