"""The old pool is in another account: assume a role there (with an external ID), then call Cognito."""

import os

import boto3

sts = boto3.client("sts")


def _old_pool_client():
    answer = sts.assume_role(
        RoleArn=os.environ["SOURCE_ROLE_ARN"],
        RoleSessionName="user-migration",
        ExternalId=os.environ.get("SOURCE_EXTERNAL_ID"),
    )
    credentials = answer["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=os.environ["SOURCE_REGION"],
    )
    return session.client("cognito-idp")


def handler(event, context):
    old = _old_pool_client()
    pool = os.environ["SOURCE_USER_POOL_ID"]
    if event["triggerSource"] == "UserMigration_Authentication":
        old.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=os.environ["SOURCE_CLIENT_ID"],
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": event["userName"], "PASSWORD": event["request"]["password"]},
        )
    user = getattr(old, "admin_get_user")(UserPoolId=pool, Username=event["userName"])
    event["response"]["userAttributes"] = {a["Name"]: a["Value"] for a in user["UserAttributes"] if a["Name"] != "sub"}
    event["response"]["messageAction"] = "SUPPRESS"
    return event
