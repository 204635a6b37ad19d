"""who-can against answers computed by hand on a small account.

Each principal below is one rule of IAM's evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an
explicit Deny wins; with a permissions boundary an Allow is needed in both; ``NotAction`` matches
every action it does not list; a user gets its groups' policies; a condition on a key the file
cannot resolve makes the answer ``conditional``; a tag the principal lacks is known to be absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from iam_audit import whocan
from iam_audit.errors import InputError
from iam_audit.sources.auth_details import AuthDetailsSource
from iam_audit.whocan import result_to_dict, who_can
from tests.engine.test_batch import ACTION as BATCH_ACTION
from tests.engine.test_batch import POOL as BATCH_POOL
from tests.engine.test_batch import REACHES
from tests.scale.accounts import (
    ACCOUNT,
    ACTION,
    OTHER_POOL,
    POOL,
    account,
    allow,
    deny,
    doc,
    group,
    managed_arn,
    policy,
    role,
    user,
)

ADMIN = managed_arn("Admin")
COGNITO_ALL = managed_arn("CognitoAll")
S3_ONLY = managed_arn("S3Only")
COGNITO_BOUNDARY = managed_arn("CognitoBoundary")
GROUP_GRANT = managed_arn("GroupGrant")


def hand_built() -> dict[str, Any]:
    """Every principal with the answer a person computes from the evaluation logic page."""
    return account(
        policies=[
            policy(ADMIN, doc(allow("*"))),
            # the old version allowed everything; only the default version counts
            policy(COGNITO_ALL, doc(allow("cognito-idp:*", POOL)), old=doc(allow("*"))),
            policy(S3_ONLY, doc(allow("s3:*"))),
            policy(COGNITO_BOUNDARY, doc(allow(["cognito-idp:*", "logs:*"]))),
            policy(GROUP_GRANT, doc(allow(ACTION, POOL))),
        ],
        roles=[
            role("admin", managed=[ADMIN]),
            role("exact", inline={"migrate": doc(allow(ACTION, POOL))}),
            role(
                "case-insensitive-action",
                inline={"p": doc(allow("COGNITO-IDP:adminInitiateAUTH", POOL))},
            ),
            role("other-pool", inline={"p": doc(allow(ACTION, OTHER_POOL))}),
            role(
                "wildcard-pool",
                inline={
                    "p": doc(
                        allow("cognito-idp:Admin*", f"arn:aws:cognito-idp:*:{ACCOUNT}:userpool/*")
                    )
                },
            ),
            role("denied", managed=[ADMIN], inline={"no": doc(deny("cognito-idp:Admin*"))}),
            role("deny-other-pool", managed=[ADMIN], inline={"no": doc(deny(ACTION, OTHER_POOL))}),
            role("boundary-blocks", managed=[COGNITO_ALL], boundary=S3_ONLY),
            role("boundary-allows", managed=[ADMIN], boundary=COGNITO_BOUNDARY),
            role(
                "notaction",
                inline={"p": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
            ),
            role(
                "notaction-excludes",
                inline={
                    "p": doc({"Effect": "Allow", "NotAction": ["cognito-idp:*"], "Resource": "*"})
                },
            ),
            role(
                "notresource",
                inline={"p": doc({"Effect": "Allow", "Action": ACTION, "NotResource": OTHER_POOL})},
            ),
            role(
                "source-ip",
                inline={
                    "p": doc(
                        allow(
                            ACTION,
                            POOL,
                            Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
                        )
                    )
                },
            ),
            role(
                "mfa-deny",
                managed=[ADMIN],
                inline={
                    "mfa": doc(
                        deny(
                            "*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
                        )
                    )
                },
            ),
            role(
                "tag-blue",
                tags={"team": "blue"},
                inline={
                    "p": doc(
                        allow(
                            ACTION,
                            POOL,
                            Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}},
                        )
                    )
                },
            ),
            role(
                "tag-red",
                tags={"team": "red"},
                inline={
                    "p": doc(
                        allow(
                            ACTION,
                            POOL,
                            Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}},
                        )
                    )
                },
            ),
            role(
                "tag-none",
                inline={
                    "p": doc(
                        allow(
                            ACTION,
                            POOL,
                            Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}},
                        )
                    )
                },
            ),
            role(
                "region-lock",
                managed=[ADMIN],
                inline={
                    "r": doc(
                        deny(
                            "*", Condition={"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
                        )
                    )
                },
            ),
            role(
                "region-ok",
                managed=[ADMIN],
                inline={
                    "r": doc(
                        deny(
                            "*", Condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}
                        )
                    )
                },
            ),
            role(
                "username-variable",
                inline={
                    "p": doc(
                        allow(
                            ACTION,
                            f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/${{aws:username}}",
                        )
                    )
                },
            ),
            role("only-deny", inline={"p": doc(deny(ACTION))}),
            role("s3-only", managed=[S3_ONLY]),
            role("unknown-managed", managed=[managed_arn("NotInTheFile")]),
        ],
        groups=[
            group("readers", managed=[S3_ONLY]),
            group("migrators", managed=[GROUP_GRANT]),
            group("inline-group", inline={"grant": doc(allow("cognito-idp:*", "*"))}),
        ],
        users=[
            user("alice", groups=["migrators"]),
            user("bob", groups=["readers"]),
            user("carol", groups=["inline-group", "readers"]),
            user("dave", groups=["migrators"], boundary=S3_ONLY),
            user("erin", groups=["migrators"], inline={"no": doc(deny("cognito-idp:*"))}),
            user("frank", inline={"own": doc(allow(ACTION, POOL))}, managed=[GROUP_GRANT]),
            user("grace", groups=["no-such-group"]),
        ],
    )


def _role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _user(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


EXPECTED = sorted(
    [
        (_role("admin"), "role", "allowed", [], [ADMIN]),
        (_role("exact"), "role", "allowed", [], ["migrate"]),
        (_role("case-insensitive-action"), "role", "allowed", [], ["p"]),
        (_role("wildcard-pool"), "role", "allowed", [], ["p"]),
        # nothing in the file allows or denies it: the answer hangs on the policy it lacks
        # (audit leaves it open too: a warn naming the unknown attachment)
        (_role("unknown-managed"), "role", "conditional", [], [managed_arn("NotInTheFile")]),
        (_role("deny-other-pool"), "role", "allowed", [], [ADMIN]),
        (_role("boundary-allows"), "role", "allowed", [], [ADMIN]),
        (_role("notaction"), "role", "allowed", [], ["p"]),
        (_role("notresource"), "role", "allowed", [], ["p"]),
        (_role("source-ip"), "role", "conditional", ["aws:SourceIp"], ["p"]),
        (_role("mfa-deny"), "role", "conditional", ["aws:MultiFactorAuthPresent"], [ADMIN]),
        (_role("tag-blue"), "role", "allowed", [], ["p"]),
        (_role("region-ok"), "role", "allowed", [], [ADMIN]),
        (_user("alice"), "user", "allowed", [], [GROUP_GRANT]),
        (_user("carol"), "user", "allowed", [], ["group/inline-group/grant"]),
        (_user("frank"), "user", "allowed", [], [GROUP_GRANT, "own"]),
    ]
)


def _write(tmp_path: Path, data: Any, name: str = "account.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, indent=4))
    return path


def _rows(result: whocan.WhoCanResult) -> list[tuple[str, str, str, list[str], list[str]]]:
    return [
        (g["arn"], g["type"], g["decision"], g["unresolved"], g["via"])
        for g in result_to_dict(result)["principals"]
    ]


@pytest.fixture
def source(tmp_path: Path) -> AuthDetailsSource:
    return AuthDetailsSource(_write(tmp_path, hand_built()))


def test_hand_computed_answers(source: AuthDetailsSource) -> None:
    assert _rows(who_can(source, ACTION, POOL)) == EXPECTED


def test_url_encoded_documents_give_the_same_answers(tmp_path: Path) -> None:
    """The raw API returns every document URL-encoded (RFC 3986); the CLI decodes them."""
    data = hand_built()

    def encode(document: Any) -> str:
        return quote(json.dumps(document), safe="")

    for detail in data["RoleDetailList"]:
        detail["AssumeRolePolicyDocument"] = encode(detail["AssumeRolePolicyDocument"])
    for entries, key in (
        (data["RoleDetailList"], "RolePolicyList"),
        (data["UserDetailList"], "UserPolicyList"),
        (data["GroupDetailList"], "GroupPolicyList"),
    ):
        for detail in entries:
            for item in detail[key]:
                item["PolicyDocument"] = encode(item["PolicyDocument"])
    for item in data["Policies"]:
        for version in item["PolicyVersionList"]:
            version["Document"] = encode(version["Document"])
    source = AuthDetailsSource(_write(tmp_path, data))
    assert _rows(who_can(source, ACTION, POOL)) == EXPECTED


def test_notes_name_what_the_file_does_not_hold(source: AuthDetailsSource) -> None:
    notes = who_can(source, ACTION, POOL).notes
    assert any("NotInTheFile" in n and "unknown-managed" in n for n in notes), notes
    assert any("no-such-group" in n for n in notes), notes
    # a malformed document is refused, as audit refuses it: tests/scale/test_differential.py


def test_another_accounts_resource_is_reachable_by_nobody(source: AuthDetailsSource) -> None:
    foreign = "arn:aws:cognito-idp:us-east-1:999999999999:userpool/us-east-1_Pool1"
    result = who_can(source, ACTION, foreign)
    assert result.principals == ()
    assert any("could reach it only through a resource policy" in n for n in result.notes)
    assert result.examined == len(hand_built()["RoleDetailList"]) + len(
        hand_built()["UserDetailList"]
    )


def test_a_username_variable_matches_for_the_user_it_names(tmp_path: Path) -> None:
    """``${aws:username}`` resolves for users only ("roles do not include this key")."""
    pool_named_like_user = f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/alice"
    grant = doc(
        allow(ACTION, f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/${{aws:username}}")
    )
    data = account(
        roles=[role("alice", inline={"p": grant})],
        users=[user("alice", inline={"p": grant}), user("bob", inline={"p": grant})],
    )
    result = who_can(AuthDetailsSource(_write(tmp_path, data)), ACTION, pool_named_like_user)
    assert _rows(result) == [(_user("alice"), "user", "allowed", [], ["p"])]


def test_json_shape_is_exactly_the_documented_one(source: AuthDetailsSource) -> None:
    data = result_to_dict(who_can(source, ACTION, POOL))
    assert list(data) == ["principals"]
    assert all(
        list(g) == ["arn", "type", "decision", "unresolved", "via"] for g in data["principals"]
    )
    assert [g["arn"] for g in data["principals"]] == sorted(g["arn"] for g in data["principals"])


@pytest.mark.parametrize("action", ["cognito-idp:Admin*", "AdminInitiateAuth", "", "a:b:c"])
def test_one_concrete_action_is_required(source: AuthDetailsSource, action: str) -> None:
    with pytest.raises(InputError, match="not an action"):
        who_can(source, action, POOL)


def test_a_boundary_the_file_lacks_makes_the_answer_conditional(tmp_path: Path) -> None:
    missing = managed_arn("NotInTheFile")
    data = account(
        roles=[role("bounded", inline={"p": doc(allow(ACTION, POOL))}, boundary=missing)],
        users=[user("free", inline={"p": doc(allow(ACTION, POOL))})],
    )
    result = who_can(AuthDetailsSource(_write(tmp_path, data)), ACTION, POOL)
    assert _rows(result) == [
        (_role("bounded"), "role", "conditional", [], ["p"]),
        (_user("free"), "user", "allowed", [], ["p"]),
    ]
    assert any("bounded: its permissions boundary is not in the file" in n for n in result.notes)


def test_an_action_without_resource_level_permissions(tmp_path: Path) -> None:
    """``cognito-idp:ListUserPools`` is asked of ``*``: only ``Resource: "*"`` grants match, and
    no region is assumed for the request."""
    data = account(
        roles=[
            role("star", inline={"p": doc(allow("cognito-idp:ListUserPools", "*"))}),
            role("scoped", inline={"p": doc(allow("cognito-idp:ListUserPools", POOL))}),
            role(
                "region-bound",
                inline={
                    "p": doc(
                        allow(
                            "cognito-idp:List*",
                            Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}},
                        )
                    )
                },
            ),
        ]
    )
    result = who_can(AuthDetailsSource(_write(tmp_path, data)), "COGNITO-IDP:listuserpools", "*")
    assert _rows(result) == [
        (_role("region-bound"), "role", "conditional", ["aws:RequestedRegion"], ["p"]),
        (_role("star"), "role", "allowed", [], ["p"]),
    ]


@pytest.mark.parametrize(("statement", "version", "expected"), REACHES)
def test_the_typed_pre_filter_says_what_the_engine_says(
    tmp_path: Path, statement: dict[str, Any], version: str, expected: bool
) -> None:
    """Before a document is converted, who-can judges it from its decoded record; that judgement
    must be the engine's own (``Question.names``) on every statement shape."""
    from iam_audit.engine.batch import Question
    from iam_audit.model import PolicyDocument, PolicyKind
    from iam_audit.sources import authschema

    body = {"Version": version, "Statement": [statement]}
    question = Question(BATCH_ACTION, BATCH_POOL, context={})
    walk = whocan._Walk(AuthDetailsSource(_write(tmp_path, {"RoleDetailList": []})), question)
    typed = authschema.IDENTITY.decode(json.dumps(body))
    assert walk._names(typed) is expected
    assert question.names(PolicyDocument("p", PolicyKind.INLINE, body)) is expected


@pytest.mark.parametrize("kind", list(whocan.PrincipalType))
@pytest.mark.parametrize("decision", list(whocan.Access))
def test_an_answer_crosses_a_pipe_unchanged(
    kind: whocan.PrincipalType, decision: whocan.Access
) -> None:
    """A worker's answers are pickled back to the command: the same values, the same members."""
    import pickle

    grantee = whocan.Grantee(
        f"arn:aws:iam::123456789012:{kind.value}/a", kind, decision, ("aws:SourceIp",), ("p",)
    )
    back = pickle.loads(pickle.dumps(grantee, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == grantee
    assert back.type is kind
    assert back.decision is decision
