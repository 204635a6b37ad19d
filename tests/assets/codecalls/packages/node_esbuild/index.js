var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// index.ts
var bundle_src_exports = {};
__export(bundle_src_exports, {
  handler: () => handler
});
module.exports = __toCommonJS(bundle_src_exports);
var import_client_cognito_identity_provider = require("@aws-sdk/client-cognito-identity-provider");
var oldPool = process.env.OLD_USER_POOL_ID ?? "";
var cognito = new import_client_cognito_identity_provider.CognitoIdentityProviderClient({ region: process.env.OLD_REGION });
async function groups(username) {
  const out = await cognito.send(new import_client_cognito_identity_provider.AdminListGroupsForUserCommand({ UserPoolId: oldPool, Username: username }));
  return (out.Groups ?? []).map((g) => g.GroupName ?? "");
}
var handler = async (event) => {
  if (event.triggerSource === "UserMigration_Authentication") {
    await cognito.send(
      new import_client_cognito_identity_provider.AdminInitiateAuthCommand({
        UserPoolId: oldPool,
        ClientId: process.env.OLD_CLIENT_ID,
        AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: event.userName, PASSWORD: event.request.password }
      })
    );
    event.response.finalUserStatus = "CONFIRMED";
  }
  const user = await cognito.send(new import_client_cognito_identity_provider.AdminGetUserCommand({ UserPoolId: oldPool, Username: event.userName }));
  const attributes = Object.fromEntries((user.UserAttributes ?? []).map((a) => [a.Name ?? "", a.Value ?? ""]));
  event.response.userAttributes = { ...attributes, "custom:groups": (await groups(event.userName)).join(",") };
  event.response.messageAction = "SUPPRESS";
  return event;
};
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  handler
});
