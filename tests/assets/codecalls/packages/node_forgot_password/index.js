// Forgot-password only: looks the user up in the old pool (SDK v3, CommonJS); sign-in is not migrated.
const {
  CognitoIdentityProviderClient,
  AdminGetUserCommand,
  AdminInitiateAuthCommand, // imported but never used: not a call
} = require("@aws-sdk/client-cognito-identity-provider");

const client = new CognitoIdentityProviderClient({});

exports.handler = async (event) => {
  if (event.triggerSource !== "UserMigration_ForgotPassword") {
    throw new Error("sign-in is not migrated");
  }
  /* new AdminInitiateAuthCommand({}) in a comment is not a call */
  const user = await client.send(
    new AdminGetUserCommand({ UserPoolId: process.env.OLD_USER_POOL_ID, Username: event.userName }),
  );
  event.response.userAttributes = Object.fromEntries(
    user.UserAttributes.filter((a) => a.Name !== "sub").map((a) => [a.Name, a.Value]),
  );
  event.response.messageAction = "SUPPRESS";
  return event;
};
