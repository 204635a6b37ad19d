"""Legacy users in an LDAP directory: no AWS call at all (boto3 is imported but never used)."""

import os

import boto3  # noqa: F401 (a dead import: not a call)
from ldap3 import Connection, Server

DIRECTORY = Server(os.environ["LDAP_URL"])


def handler(event, context):
    dn = f"uid={event['userName']},ou=people,dc=example,dc=com"
    if event["triggerSource"] == "UserMigration_Authentication":
        conn = Connection(DIRECTORY, user=dn, password=event["request"]["password"])
        if not conn.bind():
            raise Exception("Bad password")
    else:
        conn = Connection(DIRECTORY)
        conn.bind()
    conn.search(dn, "(objectClass=person)", attributes=["mail"])
    event["response"]["userAttributes"] = {"email": str(conn.entries[0].mail), "email_verified": "true"}
    return event
