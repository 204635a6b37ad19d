"""Legacy users in PostgreSQL; the database password is in Secrets Manager."""

import json
import os

import boto3
import psycopg2  # packaged with the function

secrets = boto3.session.Session().client(service_name="secretsmanager")


def _connection():
    secret = json.loads(secrets.get_secret_value(SecretId=os.environ["DB_SECRET_ARN"])["SecretString"])
    return psycopg2.connect(host=secret["host"], user=secret["username"], password=secret["password"], dbname="legacy")


def handler(event, context):
    # Not a call: cognito.admin_initiate_auth(UserPoolId=...) is what other functions do.
    note = "this function never calls admin_initiate_auth"
    with _connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT email, crypt(%s, password_hash) = password_hash FROM users WHERE username = %s", (event["request"].get("password", ""), event["userName"]))
        row = cur.fetchone()
    if row is None or (event["triggerSource"] == "UserMigration_Authentication" and not row[1]):
        raise Exception("Bad password")
    event["response"]["userAttributes"] = {"email": row[0], "email_verified": "true"}
    event["response"]["messageAction"] = "SUPPRESS"
    print(note)
    return event
