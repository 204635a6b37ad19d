"""The action catalogue: known actions, wildcard expansion, typos with suggestions.

ACTION (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html):
"The prefix and the action name are case insensitive. For example, iam:ListAccessKeys is the same
as IAM:listaccesskeys."
"""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from iam_audit.engine import expand_action, is_known_action, parse_policy, unknown_actions
from iam_audit.engine.actions import UnknownAction, catalogue
from iam_audit.model import PolicyDocument, PolicyKind


@pytest.mark.parametrize(
    ("action", "known"),
    [
        pytest.param("iam:ListAccessKeys", True, id="exact"),
        pytest.param("IAM:listaccesskeys", True, id="aws-doc-case-example"),
        pytest.param("Cognito-IDP:ADMININITIATEAUTH", True, id="upper-case"),
        pytest.param("cognito-idp:AdminInitateAuth", False, id="typo"),
        pytest.param("cognito-idp:Admin*", True, id="wildcard-matches-some"),
        pytest.param("cognito-idp:AdminInitiate?uth", True, id="question-mark"),
        pytest.param("cognito-idp:Zzz*", False, id="wildcard-matches-none"),
        pytest.param("notaservice:GetThing", False, id="unknown-service"),
        pytest.param("notaservice:*", False, id="unknown-service-wildcard"),
        pytest.param("*", True, id="star"),
        pytest.param("s3", False, id="no-colon"),
        pytest.param("s3:", False, id="no-name"),
    ],
)
def test_is_known_action(action: str, known: bool) -> None:
    assert is_known_action(action) is known


def test_expand_action_spells_names_as_aws_does() -> None:
    assert expand_action("cognito-idp:AdminInitiate*") == {"cognito-idp:AdminInitiateAuth"}
    assert expand_action("COGNITO-IDP:admininitiateauth") == {"cognito-idp:AdminInitiateAuth"}


def test_expand_action_wildcards() -> None:
    logs = expand_action("logs:*LogStream*")
    assert {"logs:CreateLogStream", "logs:DeleteLogStream", "logs:DescribeLogStreams"} <= logs
    assert all(name.startswith("logs:") for name in logs)
    assert expand_action("nope:*") == frozenset()
    assert expand_action("s3:NoSuchAction") == frozenset()
    everything = expand_action("*")
    assert len(everything) == sum(len(names) for names in catalogue().services.values())
    assert "sts:AssumeRole" in everything


def _policy(*statements: dict[str, object]) -> PolicyDocument:
    return parse_policy(
        {"Version": "2012-10-17", "Statement": list(statements)},
        name="lambda-inline",
        kind=PolicyKind.INLINE,
    )


def test_unknown_actions_with_suggestions() -> None:
    policy = _policy(
        {
            "Sid": "Auth",
            "Effect": "Allow",
            "Action": ["cognito-idp:AdminInitateAuth", "cognito-idp:AdminGetUser"],
            "Resource": "*",
        },
        {"Effect": "Allow", "Action": "cognito-ipd:AdminGetUser", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["iam:*", "logs:PutLogEvent"], "Resource": "*"},
        {"Effect": "Allow", "Action": "cognito-idp:Frobnicate*", "Resource": "*"},
    )
    assert unknown_actions(policy) == (
        UnknownAction(
            "lambda-inline", "Auth", "cognito-idp:AdminInitateAuth", "cognito-idp:AdminInitiateAuth"
        ),
        # an unknown service prefix: the closest service's action of that name
        UnknownAction(
            "lambda-inline", "#1", "cognito-ipd:AdminGetUser", "cognito-idp:AdminGetUser"
        ),
        # NotAction entries are checked too
        UnknownAction("lambda-inline", "#2", "logs:PutLogEvent", "logs:PutLogEvents"),
        UnknownAction("lambda-inline", "#3", "cognito-idp:Frobnicate*", None),
    )


def test_known_actions_report_nothing() -> None:
    policy = _policy(
        {"Effect": "Allow", "Action": ["*", "s3:Get*", "STS:assumerole"], "Resource": "*"}
    )
    assert unknown_actions(policy) == ()


def test_unknown_actions_leaves_the_document_alone() -> None:
    document = {"Statement": [{"Effect": "Allow", "Action": ["s3:Gett"], "Resource": "*"}]}
    before = copy.deepcopy(document)
    unknown_actions(parse_policy(document, name="p", kind=PolicyKind.INLINE))
    assert document == before


def test_catalogue_never_imports_policyuniverse_or_prints() -> None:
    # STYLE.md §5: policyuniverse prints to stdout on some paths, where our JSON goes; the engine
    # reads its data file without importing (executing) the package.
    code = (
        "import sys, iam_audit.engine as e\n"
        "assert e.is_known_action('s3:GetObject')\n"
        "assert e.expand_action('sts:Assume*')\n"
        "print('policyuniverse' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"
    assert done.stderr == ""
