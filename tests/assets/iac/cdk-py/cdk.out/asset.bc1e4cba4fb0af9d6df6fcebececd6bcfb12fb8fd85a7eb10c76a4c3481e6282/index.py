"""User-migration trigger: authenticate against the legacy pool with boto3."""
import os

import boto3

client = boto3.client("cognito-idp")


def handler(event, context):
    pool = os.environ["OLD_USER_POOL_ID"]
    if event["triggerSource"] == "UserMigration_Authentication":
        client.admin_initiate_auth(
            UserPoolId=pool, ClientId=os.environ.get("OLD_CLIENT_ID", ""), AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": event["userName"], "PASSWORD": event["request"]["password"]},
        )
    user = client.admin_get_user(UserPoolId=pool, Username=event["userName"])
    event["response"]["userAttributes"] = {a["Name"]: a["Value"] for a in user["UserAttributes"] if a["Name"] != "sub"}
    event["response"]["finalUserStatus"] = "CONFIRMED"
    return event
