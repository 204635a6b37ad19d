"""Cognito-to-Cognito, same account: sign the user in against the old pool, copy attributes and groups."""

import os

import boto3

OLD_POOL = os.environ["OLD_USER_POOL_ID"]
OLD_CLIENT = os.environ["OLD_CLIENT_ID"]
cognito = boto3.client("cognito-idp")


def _attributes(username):
    user = cognito.admin_get_user(UserPoolId=OLD_POOL, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"] if a["Name"] != "sub"}


def _groups(client, username):
    pages = client.get_paginator("admin_list_groups_for_user")
    return [g["GroupName"] for page in pages.paginate(UserPoolId=OLD_POOL, Username=username) for g in page["Groups"]]


def lambda_handler(event, context):
    username = event["userName"]
    if event["triggerSource"] == "UserMigration_Authentication":
        cognito.admin_initiate_auth(
            UserPoolId=OLD_POOL,
            ClientId=OLD_CLIENT,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": event["request"]["password"]},
        )
        event["response"]["finalUserStatus"] = "CONFIRMED"
    elif event["triggerSource"] == "UserMigration_ForgotPassword":
        pass
    else:
        raise ValueError("bad trigger")
    attributes = _attributes(username)
    attributes["custom:groups"] = ",".join(_groups(cognito, username))
    event["response"]["userAttributes"] = attributes
    event["response"]["messageAction"] = "SUPPRESS"
    return event
