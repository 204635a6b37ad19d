"""Operation → IAM action on every operation the fixture packages call.

"AdminGetUser ... Action: cognito-idp:AdminGetUser" (Service Authorization Reference, "Actions
defined by Amazon Cognito User Pools", list_amazoncognitouserpools.html); "AssumeRole ...
sts:AssumeRole" (list_awssecuritytokenservice.html); "GetSecretValue ...
secretsmanager:GetSecretValue" (list_awssecretsmanager.html).
"""

from __future__ import annotations

import importlib.util

import pytest

from iam_audit.codecalls import analyse_package
from iam_audit.codecalls.botocore_map import BotocoreOperationMap
from iam_audit.codecalls.facts import default_map
from iam_audit.codecalls.load import read_package
from tests.conftest import ASSETS

FIXTURE_OPERATIONS = {
    ("cognito-idp", "AdminGetUser"): "cognito-idp:AdminGetUser",
    ("cognito-idp", "AdminInitiateAuth"): "cognito-idp:AdminInitiateAuth",
    ("cognito-idp", "AdminListGroupsForUser"): "cognito-idp:AdminListGroupsForUser",
    ("secretsmanager", "GetSecretValue"): "secretsmanager:GetSecretValue",
    ("sts", "AssumeRole"): "sts:AssumeRole",
}
FOLDERS = sorted(
    p
    for group in ("packages", "public")
    for p in (ASSETS / "codecalls" / group).iterdir()
    if p.is_dir()
)


def test_the_fixtures_call_exactly_these_operations() -> None:
    ops = default_map()
    called = {
        (c.service, c.operation)
        for folder in FOLDERS
        for c in analyse_package(read_package(folder), ops, folder.name).calls
    }
    assert called == set(FIXTURE_OPERATIONS)


@pytest.mark.parametrize(("key", "action"), sorted(FIXTURE_OPERATIONS.items()))
def test_each_operation_exists_and_maps_to_its_action(key: tuple[str, str], action: str) -> None:
    service_name, operation = key
    service = BotocoreOperationMap().service(service_name)
    assert service is not None
    assert operation in service.operations
    assert default_map().actions_for_operation(service, operation) == (action,)


@pytest.mark.skipif(
    importlib.util.find_spec("iam_audit.awsdata") is None,
    reason="service reference data not installed",
)
@pytest.mark.parametrize(("key", "action"), sorted(FIXTURE_OPERATIONS.items()))
def test_service_reference_data_agrees(key: tuple[str, str], action: str) -> None:
    import iam_audit.awsdata as awsdata  # type: ignore[import-not-found,unused-ignore]

    assert awsdata.actions_for_operation(*key) == (action,)


@pytest.mark.parametrize(
    ("js_name", "service"),
    [
        ("cognito-identity-provider", "cognito-idp"),  # @aws-sdk/client-cognito-identity-provider
        ("CognitoIdentityServiceProvider", "cognito-idp"),  # aws-sdk v2 class
        ("cognitoidentityserviceprovider", "cognito-idp"),  # aws-sdk/clients/…
        ("secrets-manager", "secretsmanager"),
        ("SecretsManager", "secretsmanager"),
        ("sts", "sts"),
        ("STS", "sts"),
        ("dynamodb", "dynamodb"),
        ("cloudwatch-logs", "logs"),
        ("no-such-service", None),
    ],
)
def test_javascript_names_map_to_botocore_services(js_name: str, service: str | None) -> None:
    found = BotocoreOperationMap().service_for_js(js_name)
    assert (found.name if found else None) == service


def test_the_iam_prefix_is_the_signing_name() -> None:
    """SES's endpoint prefix is ``email`` but its IAM prefix (signing name) is ``ses``."""
    ses = BotocoreOperationMap().service("sesv2")
    assert ses is not None
    assert ses.prefix == "ses"
