"""What moto cannot show, with botocore's Stubber (it checks requests and responses against the
service model): ``get-account-authorization-details`` paging by ``Marker``, and
``list-user-import-jobs`` (moto has no import-job APIs).

IAM: "IAM might return fewer results, even when there are more results available. In that case,
the IsTruncated response element returns true, and Marker contains a value to include in the
subsequent call" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from iam_audit.errors import AccessError
from iam_audit.scan import (
    ROLE_FILTERS,
    _Clients,
    _import_logs_roles,
    fetch_authorization_pages,
    read_region,
)
from iam_audit.sources.auth_details import AuthDetailsSource

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
SHARED = f"arn:aws:iam::{ACCOUNT}:policy/Shared"


def _role(name: str) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().ljust(17, "X")[:17],
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "CreateDate": "2024-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": TRUST,
        "RolePolicyList": [],
        "AttachedManagedPolicies": [{"PolicyName": "Shared", "PolicyArn": SHARED}],
    }


def _policy() -> dict[str, Any]:
    return {
        "PolicyName": "Shared",
        "PolicyId": "ANPASHAREDXXXXXXXXXXX",
        "Arn": SHARED,
        "Path": "/",
        "DefaultVersionId": "v1",
        "AttachmentCount": 3,
        "IsAttachable": True,
        "PolicyVersionList": [
            {
                # what the raw API returns: URL-encoded JSON text
                "Document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect"
                "%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D",
                "VersionId": "v1",
                "IsDefaultVersion": True,
            }
        ],
    }


@pytest.fixture
def iam(aws_env: Path) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.session.Session().client("iam")
    with Stubber(client) as stubber:
        yield client, stubber


def test_marker_paging_reads_every_page_once(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    request = {"Filter": list(ROLE_FILTERS), "MaxItems": 1000}
    # a short first page (IAM may return fewer than MaxItems) that is still truncated
    stubber.add_response(
        "get_account_authorization_details",
        {"RoleDetailList": [_role("a")], "IsTruncated": True, "Marker": "m1"},
        request,
    )
    stubber.add_response(
        "get_account_authorization_details",
        {"RoleDetailList": [_role("b"), _role("c")], "IsTruncated": True, "Marker": "m2"},
        {**request, "Marker": "m1"},
    )
    stubber.add_response(
        "get_account_authorization_details",
        {"Policies": [_policy()], "IsTruncated": False},
        {**request, "Marker": "m2"},
    )
    pages = fetch_authorization_pages(client)
    stubber.assert_no_pending_responses()
    assert [len(p["RoleDetailList"]) for p in pages] == [1, 2, 0]
    source = AuthDetailsSource(Path("live"), data=pages)
    roles = [source.get_role(f"arn:aws:iam::{ACCOUNT}:role/{n}") for n in "abc"]
    # the managed policy came once, on the last page, and every role shares the one document
    assert {id(r.managed[0]) for r in roles} == {id(roles[0].managed[0])}
    assert roles[0].managed[0].document["Statement"][0]["Action"] == "s3:GetObject"


def test_a_denied_read_names_the_permission(iam: tuple[Any, Stubber]) -> None:
    client, stubber = iam
    stubber.add_client_error(
        "get_account_authorization_details",
        service_error_code="AccessDenied",
        service_message="User: arn:aws:iam::123456789012:user/x is not authorized to perform: "
        "iam:GetAccountAuthorizationDetails on resource: *",
        http_status_code=403,
    )
    with pytest.raises(AccessError) as caught:
        fetch_authorization_pages(client)
    assert caught.value.permission == "iam:GetAccountAuthorizationDetails"


def _job(name: str, role: str | None) -> dict[str, Any]:
    job: dict[str, Any] = {
        "JobName": name,
        "JobId": f"import-{name}",
        "UserPoolId": "eu-west-1_Pool1",
        "Status": "Succeeded",
    }
    if role:
        job["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    return job


@pytest.fixture
def idp(aws_env: Path) -> Iterator[tuple[_Clients, Stubber]]:
    session = boto3.session.Session(region_name="eu-west-1")
    client = session.client("cognito-idp")
    with Stubber(client) as stubber:
        yield _Clients(idp=client, lam=session.client("lambda"), quick_idp=client), stubber


def test_import_jobs_name_the_logs_roles_across_pages(idp: tuple[_Clients, Stubber]) -> None:
    clients, stubber = idp
    request = {"UserPoolId": "eu-west-1_Pool1", "MaxResults": 60}
    stubber.add_response(
        "list_user_import_jobs",
        {"UserImportJobs": [_job("a", "LogsA"), _job("b", None)], "PaginationToken": "t1"},
        request,
    )
    stubber.add_response(
        "list_user_import_jobs",
        {"UserImportJobs": [_job("c", "LogsB"), _job("d", "LogsA")]},
        {**request, "PaginationToken": "t1"},
    )
    roles, note = _import_logs_roles(clients, "eu-west-1_Pool1")
    stubber.assert_no_pending_responses()
    assert roles == (f"arn:aws:iam::{ACCOUNT}:role/LogsA", f"arn:aws:iam::{ACCOUNT}:role/LogsB")
    assert note is None


@pytest.mark.parametrize("code", ["InternalFailure", "NotImplemented"])
def test_an_endpoint_without_the_api_only_loses_the_logs_roles(
    idp: tuple[_Clients, Stubber], code: str
) -> None:
    clients, stubber = idp
    stubber.add_client_error("list_user_import_jobs", service_error_code=code, http_status_code=501)
    roles, note = _import_logs_roles(clients, "eu-west-1_Pool1")
    assert roles == ()
    assert note is not None
    assert note.startswith(f"list-user-import-jobs is unavailable here ({code})")


def test_a_denied_import_job_listing_fails_that_pool(idp: tuple[_Clients, Stubber]) -> None:
    """Denied is not "unavailable": the pool is reported as not read (exit 3), not silently
    audited without its logs role."""
    clients, stubber = idp
    stubber.add_response("list_user_pools", {"UserPools": [{"Id": "eu-west-1_Pool1"}]})
    stubber.add_response(
        "describe_user_pool",
        {
            "UserPool": {
                "Id": "eu-west-1_Pool1",
                "Name": "p",
                "Arn": f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/eu-west-1_Pool1",
                "LambdaConfig": {},
            }
        },
        {"UserPoolId": "eu-west-1_Pool1"},
    )
    stubber.add_client_error(
        "list_user_import_jobs",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: cognito-idp:ListUserImportJobs",
        http_status_code=400,
    )
    read = read_region(clients, "eu-west-1")
    assert read.pools == ()
    assert len(read.failures) == 1
    assert "cognito-idp:ListUserImportJobs" in read.failures[0]


@pytest.mark.parametrize(
    ("code", "status", "why"),
    [
        ("ExpiredTokenException", 400, "AWS rejected the credentials for cognito-idp:ListUserPools"),
        ("AccessDeniedException", 400, "AWS denied cognito-idp:ListUserPools"),
        ("InternalFailure", 500, "cognito-idp:ListUserPools failed on AWS's side after the retries: InternalFailure (HTTP 500)"),
        ("TooManyRequestsException", 429, "cognito-idp:ListUserPools was throttled after the retries"),
    ],
)  # fmt: skip
def test_a_region_not_read_says_why_in_the_one_mappings_words(
    idp: tuple[_Clients, Stubber], code: str, status: int, why: str
) -> None:
    """The failure line of a region is the line the command would print for the same reply."""
    clients, stubber = idp
    stubber.add_client_error(
        "list_user_pools", service_error_code=code, service_message="m", http_status_code=status
    )
    read = read_region(clients, "eu-west-1")
    assert len(read.failures) == 1
    assert read.failures[0].startswith(f"region eu-west-1: {why}")
    assert "\n" not in read.failures[0]
