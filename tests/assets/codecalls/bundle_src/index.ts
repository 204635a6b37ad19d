// Cognito-to-Cognito with the groups copied, written as a CDK NodejsFunction entry (TypeScript).
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import type { UserMigrationTriggerEvent } from "aws-lambda";

const oldPool: string = process.env.OLD_USER_POOL_ID ?? "";
const cognito = new CognitoIdentityProviderClient({ region: process.env.OLD_REGION });

async function groups(username: string): Promise<string[]> {
  const out = await cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: oldPool, Username: username }));
  return (out.Groups ?? []).map((g) => g.GroupName ?? "");
}

export const handler = async (event: UserMigrationTriggerEvent): Promise<UserMigrationTriggerEvent> => {
  if (event.triggerSource === "UserMigration_Authentication") {
    await cognito.send(
      new AdminInitiateAuthCommand({
        UserPoolId: oldPool,
        ClientId: process.env.OLD_CLIENT_ID,
        AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password },
      }),
    );
    event.response.finalUserStatus = "CONFIRMED";
  }
  const user = await cognito.send(new AdminGetUserCommand({ UserPoolId: oldPool, Username: event.userName }));
  const attributes = Object.fromEntries((user.UserAttributes ?? []).map((a) => [a.Name ?? "", a.Value ?? ""]));
  event.response.userAttributes = { ...attributes, "custom:groups": (await groups(event.userName)).join(",") };
  event.response.messageAction = "SUPPRESS";
  return event;
};
