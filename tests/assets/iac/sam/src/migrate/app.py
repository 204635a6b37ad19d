"""User-migration trigger: authenticate against the legacy pool, copy the user's attributes."""
import os

import boto3

cognito = boto3.client("cognito-idp")


def handler(event, context):
    pool_id = os.environ["OLD_USER_POOL_ID"]
    if event["triggerSource"] == "UserMigration_Authentication":
        cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=os.environ.get("OLD_CLIENT_ID", ""),
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": event["userName"], "PASSWORD": event["request"]["password"]},
        )
    user = cognito.admin_get_user(UserPoolId=pool_id, Username=event["userName"])
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"] if a["Name"] != "sub"}
    event["response"] = {"userAttributes": attributes, "finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS"}
    return event
