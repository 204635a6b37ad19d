// SDK v2 (the Node.js 16 runtime's bundled SDK): sign in against the old pool, then copy its groups.
const AWS = require("aws-sdk");

const cognito = new AWS.CognitoIdentityServiceProvider({ region: process.env.OLD_REGION });
const OLD_POOL = process.env.OLD_USER_POOL_ID || "us-east-1_Placeholder";

async function groupsOf(isp, username) {
  const out = await isp.adminListGroupsForUser({ UserPoolId: OLD_POOL, Username: username }).promise();
  return out.Groups.map((g) => g.GroupName);
}

exports.handler = async (event) => {
  switch (event.triggerSource) {
    case "UserMigration_Authentication":
      await cognito
        .adminInitiateAuth({
          UserPoolId: OLD_POOL,
          ClientId: process.env.OLD_CLIENT_ID,
          AuthFlow: "ADMIN_NO_SRP_AUTH",
          AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password },
        })
        .promise();
      break;
    default:
      throw new Error(`unsupported ${event.triggerSource}`);
  }
  event.response.userAttributes = { "custom:groups": (await groupsOf(cognito, event.userName)).join(",") };
  event.response.finalUserStatus = "CONFIRMED";
  return event;
};
