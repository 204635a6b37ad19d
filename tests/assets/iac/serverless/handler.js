"use strict";
// User-migration trigger: authenticate against the legacy pool with the AWS SDK v2 shape.
const AWS = require("aws-sdk");
const cognito = new AWS.CognitoIdentityServiceProvider();
module.exports.migrate = async (event) => {
  const UserPoolId = process.env.OLD_USER_POOL_ID;
  if (event.triggerSource === "UserMigration_Authentication") {
    await cognito.adminInitiateAuth({
      UserPoolId, ClientId: process.env.OLD_CLIENT_ID, AuthFlow: "ADMIN_NO_SRP_AUTH",
      AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password },
    }).promise();
  }
  const user = await cognito.adminGetUser({ UserPoolId, Username: event.userName }).promise();
  event.response.userAttributes = Object.fromEntries(user.UserAttributes.filter((a) => a.Name !== "sub").map((a) => [a.Name, a.Value]));
  event.response.finalUserStatus = "CONFIRMED";
  event.response.messageAction = "SUPPRESS";
  return event;
};
