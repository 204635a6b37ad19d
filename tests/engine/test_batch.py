"""The engine's batch entry point: one question, many principals, each answered as evaluate answers.

``Question.ask`` shares work between principals (statement matches by meaning, decisions by shape,
whole answers for principals holding the same statements); none of it may change an answer. Each
case is asked twice through one Question, in both orders, and must equal a plain ``evaluate``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from msgspec import structs

from iam_audit.engine import ContextMode, Principal, PrincipalKind, Request, evaluate
from iam_audit.engine.batch import Question
from iam_audit.model import PolicyDocument, PolicyKind

ACTION = "cognito-idp:AdminInitiateAuth"
POOL = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Pool1"
ACCOUNT = "111122223333"


def _doc(name: str, *statements: dict[str, Any], kind: PolicyKind = PolicyKind.INLINE) -> Any:
    return PolicyDocument(name, kind, {"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str = ACTION, resource: str = POOL, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: str = ACTION, resource: str = POOL, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


TEAM_BLUE = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
#: (name, role name, tags, identity statements by policy, boundary statements or None)
CASES: list[tuple[str, str, dict[str, str], dict[str, list[dict[str, Any]]], Any]] = [
    ("allow", "a", {}, {"p": [_allow()]}, None),
    ("same-statement-other-policy-name", "b", {}, {"q": [_allow()]}, None),
    ("deny-wins", "c", {}, {"p": [_allow()], "d": [_deny()]}, None),
    (
        "notaction-allows",
        "d",
        {},
        {"p": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]},
        None,
    ),
    (
        "notaction-excludes",
        "e",
        {},
        {"p": [{"Effect": "Allow", "NotAction": "cognito-idp:*", "Resource": "*"}]},
        None,
    ),
    ("boundary-allows", "f", {}, {"p": [_allow()]}, [_allow("cognito-idp:*", "*")]),
    ("boundary-cuts", "g", {}, {"p": [_allow()]}, [_allow("s3:*", "*")]),
    ("tag-present", "h", {"team": "blue"}, {"p": [_allow(Condition=TEAM_BLUE)]}, None),
    ("tag-other-value", "i", {"team": "red"}, {"p": [_allow(Condition=TEAM_BLUE)]}, None),
    # "aws:PrincipalTag ... included in the request context ... if the principal you are using
    # has tags attached" (IAM User Guide, AWS global condition context keys): a tag the
    # principal lacks is absent, so StringEquals on it does not match
    ("tag-absent", "j", {}, {"p": [_allow(Condition=TEAM_BLUE)]}, None),
    (
        "unknown-key",
        "k",
        {},
        {"p": [_allow(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})]},
        None,
    ),
    (
        "username-variable",
        "l",
        {},
        {"p": [_allow(resource="arn:aws:cognito-idp:*:*:userpool/${aws:username}")]},
        None,
    ),
    ("other-pool", "m", {}, {"p": [_allow(resource=POOL.replace("Pool1", "Pool2"))]}, None),
    ("wildcard-action-case", "n", {}, {"p": [_allow("Cognito-IDP:Admin*")]}, None),
]


def _request(question: Question, role: str, tags: dict[str, str]) -> Request:
    return question.request(f"arn:aws:iam::{ACCOUNT}:role/{role}", list(tags.items()))


def _expected(
    role: str, tags: dict[str, str], identity: list[Any], boundary: Any, account: str = ACCOUNT
) -> Any:
    context = {"aws:RequestedRegion": ("eu-west-1",)}
    context.update({f"aws:PrincipalTag/{k}": (v,) for k, v in tags.items()})
    request = Request(
        ACTION,
        POOL,
        principal=Principal(PrincipalKind.AWS, f"arn:aws:iam::{account}:role/{role}"),
        context=context,
        mode=ContextMode.OPEN,
        principal_tags_known=True,
    )
    return evaluate(request, identity=identity, boundary=boundary, resource_account=ACCOUNT)


def _documents(case: Any) -> tuple[list[Any], Any]:
    _name, _role, _tags, policies, boundary = case
    identity = [_doc(name, *statements) for name, statements in policies.items()]
    bound = None if boundary is None else _doc("b", *boundary, kind=PolicyKind.BOUNDARY)
    return identity, bound


@pytest.mark.parametrize("order", ["forward", "backward"])
def test_every_answer_is_evaluates_answer(order: str) -> None:
    question = Question(ACTION, POOL, context={"aws:RequestedRegion": ("eu-west-1",)})
    cases = CASES if order == "forward" else list(reversed(CASES))
    for case in itertools.chain(cases, cases):  # the second round is answered from the memo
        name, role, tags, _policies, _boundary = case
        identity, boundary = _documents(case)
        got = question.ask(_request(question, role, tags), identity, boundary)
        assert got == _expected(role, tags, identity, boundary), name


#: who asks the same documents: (role, account, tags); another account's principal is not
#: allowed by its own policies alone ("the request is allowed only if both evaluations return a
#: decision of Allow", IAM User Guide, Cross-account policy evaluation logic)
ASKERS = [
    ("a", ACCOUNT, {}),
    ("z", "444455556666", {"team": "blue"}),
    ("y", ACCOUNT, {"team": "blue"}),
    ("x", ACCOUNT, {"team": "red"}),
    ("w", "444455556666", {}),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_shared_documents_give_each_principal_evaluates_answer(case: Any) -> None:
    """``shared=True``: the same document objects for many principals (a managed policy); an
    answer worked out once for them must still be each principal's own (its account, its tags
    where a statement reads them)."""
    question = Question(ACTION, POOL, context={"aws:RequestedRegion": ("eu-west-1",)})
    identity, boundary = _documents(case)
    for _round in range(2):
        for role, account, tags in ASKERS:
            arn = f"arn:aws:iam::{account}:role/{role}"
            request = question.request(arn, list(tags.items()))
            got = question.ask(request, identity, boundary, shared=True)
            assert got == _expected(role, tags, identity, boundary, account), (role, account)


def test_the_answers_themselves() -> None:
    """What the table above means, decided by hand from the evaluation-logic page: an explicit
    Deny wins; an identity Allow within the boundary allows; an unknown key is conditional."""
    question = Question(ACTION, POOL, context={"aws:RequestedRegion": ("eu-west-1",)})
    said = {}
    for case in CASES:
        name, role, tags, _policies, _boundary = case
        identity, boundary = _documents(case)
        result = question.ask(_request(question, role, tags), identity, boundary)
        said[name] = "conditional" if result.conditional else result.decision.value
    assert said == {
        "allow": "allowed",
        "same-statement-other-policy-name": "allowed",
        "deny-wins": "explicitDeny",
        "notaction-allows": "allowed",
        "notaction-excludes": "implicitDeny",
        "boundary-allows": "allowed",
        "boundary-cuts": "implicitDeny",
        "tag-present": "allowed",
        "tag-other-value": "implicitDeny",
        "tag-absent": "implicitDeny",
        "unknown-key": "conditional",
        "username-variable": "implicitDeny",  # a role has no aws:username
        "other-pool": "implicitDeny",
        "wildcard-action-case": "allowed",
    }


def test_matched_names_each_principals_own_statements() -> None:
    """A reused answer names the statements of the principal asking, not of the first one."""
    question = Question(ACTION, POOL, context={})
    first = question.ask(_request(question, "a", {}), [_doc("first", _allow())])
    second = question.ask(_request(question, "b", {}), [_doc("second", {**_allow(), "Sid": "S"})])
    assert [r.policy for r in first.matched] == ["first"]
    assert [(r.policy, r.sid) for r in second.matched] == [("second", "S")]


def test_names_says_which_documents_can_apply() -> None:
    question = Question(ACTION, POOL, context={})
    assert question.names(_doc("p", _allow("cognito-idp:Admin*")))
    assert question.names(_doc("p", {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}))
    assert not question.names(_doc("p", _allow("s3:GetObject", "*")))
    assert not question.names(
        _doc("p", {"Effect": "Allow", "NotAction": "cognito-idp:*", "Resource": "*"})
    )
    # the same in a typed record's terms (Action, else NotAction)
    assert question.applies(["s3:*", "COGNITO-IDP:adminINITIATEauth"], False)
    assert not question.applies(["cognito-idp:Admin?nitiateAuth"], True)
    assert question.applies("s3:*", True)
    assert not question.applies("s3:GetObject", False)


def test_tags_known_makes_a_missing_tag_absent_not_unknown() -> None:
    policy = _doc("p", _allow(Condition=TEAM_BLUE))
    base = {
        "action": ACTION,
        "resource": POOL,
        "principal": Principal(PrincipalKind.AWS, f"arn:aws:iam::{ACCOUNT}:role/r"),
        "mode": ContextMode.OPEN,
    }
    unknown = evaluate(Request(**base), identity=[policy])  # type: ignore[arg-type]
    absent = evaluate(Request(**base, principal_tags_known=True), identity=[policy])  # type: ignore[arg-type]
    assert unknown.conditional
    assert unknown.unresolved == ("aws:PrincipalTag/team",)
    assert not absent.conditional
    assert absent.unresolved == ()
    assert not absent.allowed


def _scp(*statements: dict[str, Any]) -> Any:
    from iam_audit.model import OrgLevel, OrgPolicies

    return OrgPolicies(
        scp=(OrgLevel("account 111122223333", (_doc("scp", *statements, kind=PolicyKind.SCP),)),)
    )


MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


@pytest.mark.parametrize(
    ("scp", "expected"),
    [
        # "for a permission to be allowed for a specific account, there must be an explicit
        # Allow statement at every level" (Organizations User Guide, SCP evaluation): no Allow
        # of the action at the account's level denies it whatever the identity's condition says
        ((_allow("s3:*", "*"),), ("implicitDeny", False, "scp")),
        # "a Deny statement at any level ... denies": the identity's open condition changes nothing
        ((_allow("*", "*"), _deny()), ("explicitDeny", False, "scp")),
        # the SCP allows: the identity's condition still decides
        ((_allow("*", "*"),), ("implicitDeny", True, "")),
        # an SCP Deny that itself hangs on another key: the answer stays open
        (
            (_allow("*", "*"), _deny(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})),
            ("implicitDeny", True, ""),
        ),
    ],
    ids=["no-allow", "deny", "allowed", "deny-on-a-key"],
)
def test_an_scp_bounds_a_conditional_answer_too(scp: Any, expected: Any) -> None:
    identity = [_doc("p", _allow(Condition=MFA))]  # allowed only with MFA: conditional
    request = Request(
        ACTION,
        POOL,
        principal=Principal(PrincipalKind.AWS, f"arn:aws:iam::{ACCOUNT}:role/r"),
        mode=ContextMode.OPEN,
    )
    result = evaluate(request, identity=identity, resource_account=ACCOUNT, organization=_scp(*scp))
    assert (result.decision.value, result.conditional, result.blocked_by) == expected
    question = Question(ACTION, POOL, context={}, organization=_scp(*scp))
    asked = question.ask(question.request(request.principal.value), identity)  # type: ignore[union-attr]
    assert (asked.decision.value, asked.conditional, asked.blocked_by) == expected


OTHER_POOL = POOL.replace("Pool1", "Pool2")
#: (statement, version, can it apply to ACTION on POOL?) "ARNs are case sensitive" and a policy
#: variable is read only in Version 2012-10-17 ("Policy variables ... only with version
#: 2012-10-17", IAM User Guide, IAM policy elements: Variables and tags)
REACHES = [
    (_allow(), "2012-10-17", True),
    (_allow(resource=OTHER_POOL), "2012-10-17", False),
    (_allow(resource=[OTHER_POOL, POOL]), "2012-10-17", True),
    (_allow(resource="arn:aws:cognito-idp:*:*:userpool/*"), "2012-10-17", True),
    (
        _allow(resource="arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_Pool?"),
        "2012-10-17",
        True,
    ),
    (_allow(resource=POOL.replace("Pool1", "pool1")), "2012-10-17", False),
    (_allow(resource="*"), "2012-10-17", True),
    (_deny(resource=OTHER_POOL), "2012-10-17", False),
    ({"Effect": "Allow", "Action": ACTION, "NotResource": OTHER_POOL}, "2012-10-17", True),
    ({"Effect": "Deny", "Action": ACTION, "NotResource": POOL}, "2012-10-17", False),
    (_allow(resource="arn:aws:cognito-idp:*:*:userpool/${aws:username}"), "2012-10-17", True),
    (_allow(resource="arn:aws:cognito-idp:*:*:userpool/${aws:username}"), "2008-10-17", False),
    (_allow("s3:GetObject", "*"), "2012-10-17", False),
]


@pytest.mark.parametrize(("statement", "version", "expected"), REACHES)
def test_names_keeps_only_statements_whose_action_and_resource_can_match(
    statement: dict[str, Any], version: str, expected: bool
) -> None:
    """ "The statement applies to the request if the action and resource match" (IAM User
    Guide, Policy evaluation logic, Allow vs. deny): a statement on another resource takes no
    part in the evaluation, so leaving its document out changes no answer."""
    question = Question(ACTION, POOL, context={})
    document = PolicyDocument(
        "p", PolicyKind.INLINE, {"Version": version, "Statement": [statement]}
    )
    assert question.names(document) is expected
    if not expected:  # nothing it holds applies: beside an Allow, the Allow's answer alone
        request = _request(question, "a", {})
        grant = _doc("grant", _allow())
        assert question.ask(request, [grant, document]) == question.ask(request, [grant])


def test_a_request_holding_unknown_values_is_never_answered_from_the_shared_memo() -> None:
    """A value standing for an unknown one (``Request.unknown_values``) changes a statement's
    match without the statement reading the context: such a request is evaluated itself."""
    question = Question(ACTION, POOL, context={})
    hole = "<ImportPool>"
    document = _doc(
        "p", _allow(resource=f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/{hole}")
    )
    plain = _request(question, "a", {})
    holding = structs.replace(plain, unknown_values=(hole,))
    first = question.ask(plain, [document], shared=True)
    second = question.ask(holding, [document], shared=True)
    assert second == evaluate(holding, identity=[document], resource_account=ACCOUNT)
    assert (first.conditional, second.conditional) == (False, True)
