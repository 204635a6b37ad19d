"""Properties that must hold for every policy, not just the documented examples.

1. validate_policy raises nothing but PolicyParseError on arbitrary JSON; evaluate never raises on
   documents that pass it (nor, for that matter, on documents that do not).
2. Adding a Deny statement never turns a request that was not allowed into an allowed one.
3. Adding an Allow statement never turns an explicit deny into anything else.
4. ``OPEN`` and ``REQUEST`` mode reach the same decision.
5. ``conditional`` is sound: when ``OPEN`` says the answer is not conditional, no values for the
   keys the context lacked change whether the request is allowed.
6. With identity policies only, ``evaluate`` agrees with ``evaluate_policies`` (but where a role's
   trust policy or a KMS key policy decides: see ``resource_policy_decides``).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from iam_audit.engine import (
    ContextMode,
    Decision,
    Principal,
    PrincipalKind,
    Request,
    evaluate,
    evaluate_policies,
    resource_policy_decides,
    validate_policy,
)
from iam_audit.engine.parse import parse_policy
from iam_audit.errors import PolicyParseError
from iam_audit.model import PolicyDocument, PolicyKind

from .cases import ACCOUNT, COGNITO, FOREIGN_ROLE, OTHER, POOL, ROLE, ROLE_ARN, SESSION, USER

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# --------------------------------------------------------------------------- arbitrary JSON

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
arbitrary_json = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Statement",
                    "Effect",
                    "Action",
                    "Resource",
                    "Principal",
                    "Condition",
                    "Version",
                    "x",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)

# --------------------------------------------------------------------------- policy-shaped JSON

ACTIONS = [
    "cognito-idp:*",
    "*",
    "cognito-idp:AdminInitiateAuth",
    "COGNITO-IDP:admin*",
    "s3:Get?bject",
    "s3:*",
    "sts:AssumeRole",
    "logs:Put*",
    "iam:*User",
]
RESOURCES = [
    "*",
    "*",
    POOL,
    "arn:aws:cognito-idp:*:*:userpool/*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:PrincipalTag/team}",
    "arn:aws:s3:::b/${aws:PrincipalTag/team, 'auth'}",
    "arn:aws:logs:*:*:log-group:/aws/cognito/*",
    "arn:aws:s3:::b?",
    "arn:aws:s3:::b/${*}",
]
PRINCIPALS: list[Any] = [
    {"AWS": ROLE_ARN},
    "*",
    {"AWS": "*"},
    {"AWS": ACCOUNT},
    {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": [USER.value, SESSION.value]},
    {"Service": "cognito-idp.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"},
]
# Keys a request may or may not hold. None is derived from the principal (those are known).
KEYS = [
    "aws:SourceAccount",
    "AWS:SourceArn",
    "aws:PrincipalTag/team",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:SecureTransport",
    "dynamodb:Attributes",
]
VALUES = [
    ACCOUNT,
    OTHER,
    POOL,
    "auth",
    "Auth",
    "203.0.113.5",
    "203.0.113.0/24",
    "2020-01-01T00:00:00Z",
    "1577836800",
    "true",
    "false",
    "",
    "a*",
    "arn:aws:cognito-idp:*:*:userpool/*",
    "${aws:PrincipalTag/team}",
]
OPERATORS = [
    # weighted towards the string family, whose values the contexts below often hold
    "StringEquals",
    "StringEquals",
    "StringNotEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "StringNotLikeIfExists",
    "StringEqualsIfExists",
    "ArnLike",
    "ArnNotEquals",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "Null",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringLike",
    "ForAllValues:StringNotEquals",
    "Bogus",
]


def one_or_many(pool: list[str]) -> st.SearchStrategy[str | list[str]]:
    """One value of ``pool`` or a short list of them."""
    return st.sampled_from(pool) | st.lists(st.sampled_from(pool), min_size=1, max_size=3)


condition_values = (
    st.sampled_from(VALUES) | st.lists(st.sampled_from(VALUES), max_size=3) | st.booleans()
)
conditions = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(st.sampled_from(KEYS), condition_values, min_size=1, max_size=2),
    min_size=1,
    max_size=2,
)


# Built once: creating strategies inside draws costs more than drawing from them. The common
# form comes first: Hypothesis leans towards (and shrinks to) early choices.
EFFECTS = st.sampled_from(["Allow", "Allow", "Deny"])
SIDS = st.sampled_from(["A", "B", "Stmt1"])
ACTION_ELEMENTS = st.sampled_from(["Action", "Action", "Action", "NotAction"])
RESOURCE_ELEMENTS = st.sampled_from(["Resource", "Resource", "Resource", "NotResource", None])
PRINCIPAL_ELEMENTS = st.sampled_from(["Principal", "Principal", "Principal", "NotPrincipal"])
ACTION_VALUES = one_or_many(ACTIONS)
RESOURCE_VALUES = one_or_many(RESOURCES)
PRINCIPAL_VALUES = st.sampled_from(PRINCIPALS)
VERSIONS = st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17", None])


@st.composite
def statements(
    draw: st.DrawFn, *, effect: str | None = None, principal: bool = False
) -> dict[str, Any]:
    chosen = effect or draw(EFFECTS)
    statement: dict[str, Any] = {"Effect": chosen}
    if draw(st.booleans()):
        statement["Sid"] = draw(SIDS)
    statement[draw(ACTION_ELEMENTS)] = draw(ACTION_VALUES)
    resource_element = draw(RESOURCE_ELEMENTS)
    if resource_element == "NotResource" or (resource_element is None and not principal):
        statement["NotResource"] = draw(RESOURCE_VALUES)
    elif resource_element == "Resource" or not principal:
        statement["Resource"] = draw(RESOURCE_VALUES)
    if principal:
        statement[draw(PRINCIPAL_ELEMENTS)] = draw(PRINCIPAL_VALUES)
    if draw(st.booleans()):
        statement["Condition"] = draw(conditions)
    return statement


IDENTITY_STATEMENTS = st.lists(statements(), min_size=1, max_size=4)
RESOURCE_STATEMENTS = st.lists(statements(principal=True), min_size=1, max_size=4)


@st.composite
def documents(draw: st.DrawFn, *, principal: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {}
    version = draw(VERSIONS)
    if version:
        body["Version"] = version
    listed = draw(RESOURCE_STATEMENTS if principal else IDENTITY_STATEMENTS)
    body["Statement"] = listed[0] if len(listed) == 1 and draw(st.booleans()) else listed
    return body


# (action, resource) pairs a request may name; weighted towards what the pools above cover.
TARGETS = [
    ("cognito-idp:AdminInitiateAuth", POOL),
    ("cognito-idp:AdminInitiateAuth", POOL),
    ("cognito-idp:AdminInitiateAuth", POOL),
    ("s3:GetObject", "arn:aws:s3:::b/auth"),
    ("s3:GetObject", "arn:aws:s3:::b/x"),
    ("s3:GetObject", "arn:aws:s3:::bx"),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/r"),
    (
        "logs:PutLogEvents",
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/cognito/x:log-stream:y",
    ),
    ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/new"),
]
# Values that satisfy, or fail, the conditions the pools above can build.
PROBE_VALUES = [ACCOUNT, POOL, "auth", "203.0.113.5", "2030-01-01T00:00:00Z", "true", "false", "ID"]
context_values = st.lists(st.sampled_from(VALUES), min_size=1, max_size=2).map(tuple)
contexts = st.dictionaries(st.sampled_from(KEYS), context_values, max_size=4)
principals = st.sampled_from([ROLE, ROLE, SESSION, USER, FOREIGN_ROLE, COGNITO, None])


@st.composite
def requests(draw: st.DrawFn, mode: ContextMode | None = None) -> Request:
    action, resource = draw(st.sampled_from(TARGETS))
    return Request(
        action=action,
        resource=resource,
        principal=draw(principals),
        context=draw(contexts),
        mode=mode or draw(st.sampled_from(list(ContextMode))),
    )


@st.composite
def setups(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for evaluate: every layer optional (identity policies most often given)."""
    identity = draw(
        st.sampled_from([True, True, True, False]).flatmap(
            lambda given: st.lists(documents(), min_size=1, max_size=3) if given else st.none()
        )
    )
    boundary = draw(
        st.sampled_from([False, False, False, True]).flatmap(
            lambda given: documents() if given else st.none()
        )
    )
    resource = draw(
        st.sampled_from([False, False, True]).flatmap(
            lambda given: documents(principal=True) if given else st.none()
        )
    )
    for body in [*(identity or []), *([boundary] if boundary else [])]:
        assume(_valid(body, PolicyKind.INLINE))
    if resource is not None:
        assume(_valid(resource, PolicyKind.RESOURCE))
    kind = draw(st.sampled_from([PolicyKind.RESOURCE, PolicyKind.TRUST]))
    return {
        "identity": None
        if identity is None
        else [_doc(b, f"id{i}", PolicyKind.INLINE) for i, b in enumerate(identity)],
        "boundary": None if boundary is None else _doc(boundary, "boundary", PolicyKind.BOUNDARY),
        "resource_policy": None if resource is None else _doc(resource, kind.value, kind),
        "resource_account": draw(st.sampled_from([None, None, ACCOUNT, OTHER])),
    }


def _valid(body: Any, kind: PolicyKind) -> bool:
    try:
        parse_policy(body, name="probe", kind=kind)
    except PolicyParseError:
        return False
    return True


def _doc(body: Any, name: str, kind: PolicyKind) -> PolicyDocument:
    return parse_policy(body, name=name, kind=kind)


# --------------------------------------------------------------------------- 1. no crashes


@SETTINGS
@given(arbitrary_json)
def test_validate_raises_only_policy_parse_errors(document: Any) -> None:
    try:
        validate_policy(document)
    except PolicyParseError as error:
        where = error.location
    else:
        where = "$"
    assert where.startswith("$")


@SETTINGS
@given(st.text(max_size=40) | arbitrary_json.map(json.dumps))
def test_parse_text_raises_only_policy_parse_errors(text: str) -> None:
    with contextlib.suppress(PolicyParseError):
        parse_policy(text, name="p", kind=PolicyKind.INLINE)


@SETTINGS
@given(setups(), requests())
def test_evaluate_never_raises_on_valid_documents(setup: dict[str, Any], request: Request) -> None:
    result = evaluate(request, **setup)
    assert result.decision in Decision
    assert list(result.unresolved) == sorted(result.unresolved, key=str.lower)
    if result.decision is Decision.EXPLICIT_DENY:
        assert result.blocked_by == "deny"
        assert all(ref.effect == "Deny" for ref in result.matched)
    else:
        assert all(ref.effect == "Allow" for ref in result.matched)
    if request.mode is ContextMode.REQUEST:
        assert not result.conditional


@SETTINGS
@given(st.lists(arbitrary_json, max_size=3), requests())
def test_evaluate_never_raises_on_garbage(bodies: list[Any], request: Request) -> None:
    docs = [
        PolicyDocument(name=f"g{i}", kind=PolicyKind.INLINE, document=b)
        for i, b in enumerate(bodies)
    ]
    evaluate(
        request,
        identity=docs,
        boundary=docs[0] if docs else None,
        resource_policy=docs[-1] if docs else None,
    )
    evaluate_policies(request, docs)


# --------------------------------------------------------------------------- 2. and 3. monotonicity


def _add(setup: dict[str, Any], layer: str, statement: dict[str, Any]) -> dict[str, Any]:
    """``setup`` with ``statement`` appended to a new copy of one layer's document."""
    changed = dict(setup)
    if layer == "identity":
        extra = _doc(
            {"Version": "2012-10-17", "Statement": [statement]}, "added", PolicyKind.INLINE
        )
        changed["identity"] = [*setup["identity"], extra]
        return changed
    old = setup[layer]
    body = json.loads(json.dumps(old.document))
    listed = body["Statement"] if isinstance(body["Statement"], list) else [body["Statement"]]
    body["Statement"] = [*listed, statement]
    changed[layer] = _doc(body, old.name, old.kind)
    return changed


@st.composite
def additions(draw: st.DrawFn, effect: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    setup = draw(setups())
    # identity=None means "not part of the question"; adding a policy there would change the
    # question, not the policies.
    layers = [
        name for name in ("identity", "boundary", "resource_policy") if setup[name] is not None
    ]
    assume(layers)
    layer = draw(st.sampled_from(layers))
    statement = draw(statements(effect=effect, principal=layer == "resource_policy"))
    kind = PolicyKind.RESOURCE if layer == "resource_policy" else PolicyKind.INLINE
    assume(_valid({"Statement": [statement]}, kind))
    return setup, layer, statement


@SETTINGS
@given(additions("Deny"), requests())
def test_adding_a_deny_never_allows(
    addition: tuple[dict[str, Any], str, dict[str, Any]], request: Request
) -> None:
    setup, layer, statement = addition
    before = evaluate(request, **setup)
    after = evaluate(request, **_add(setup, layer, statement))
    if not before.allowed:
        assert not after.allowed
    if before.decision is Decision.EXPLICIT_DENY:
        assert after.decision is Decision.EXPLICIT_DENY


@SETTINGS
@given(additions("Allow"), requests())
def test_adding_an_allow_never_lifts_an_explicit_deny(
    addition: tuple[dict[str, Any], str, dict[str, Any]], request: Request
) -> None:
    setup, layer, statement = addition
    before = evaluate(request, **setup)
    after = evaluate(request, **_add(setup, layer, statement))
    if before.decision is Decision.EXPLICIT_DENY:
        assert after.decision is Decision.EXPLICIT_DENY
    if before.allowed:
        assert after.allowed


# --------------------------------------------------------------------------- 4. and 5. modes


@SETTINGS
@given(setups(), requests(mode=ContextMode.REQUEST))
def test_open_and_request_modes_decide_alike(setup: dict[str, Any], request: Request) -> None:
    closed = evaluate(request, **setup)
    opened = evaluate(
        Request(
            request.action, request.resource, request.principal, request.context, ContextMode.OPEN
        ),
        **setup,
    )
    assert (opened.decision, opened.matched, opened.unresolved, opened.blocked_by) == (
        closed.decision,
        closed.matched,
        closed.unresolved,
        closed.blocked_by,
    )


@SETTINGS
@given(setups(), requests(mode=ContextMode.OPEN), contexts)
def test_conditional_is_sound(
    setup: dict[str, Any], request: Request, completion: dict[str, tuple[str, ...]]
) -> None:
    """Not conditional ⇒ filling in the keys the context lacked never changes allowed-ness.

    Tries the drawn completion, then each missing key alone with each of a few telling values.
    """
    opened = evaluate(request, **setup)
    given_keys = {key.lower() for key in request.context}
    mentioned = json.dumps(
        [
            d.document
            for d in [*(setup["identity"] or []), setup["boundary"], setup["resource_policy"]]
            if d
        ]
    ).lower()
    missing = [key for key in KEYS if key.lower() not in given_keys and key.lower() in mentioned]
    trials = [{k: v for k, v in completion.items() if k.lower() not in given_keys}]
    trials += [{key: (value,)} for key in missing for value in PROBE_VALUES]
    for extra in trials:
        filled = {**request.context, **extra}
        completed = evaluate(
            Request(request.action, request.resource, request.principal, filled), **setup
        )
        if not opened.conditional:
            assert completed.allowed == opened.allowed, extra
        if not opened.unresolved:
            assert completed.decision is opened.decision, extra


# --------------------------------------------------------------------------- 6. agreement


@SETTINGS
@given(st.lists(documents(), max_size=3), requests())
def test_identity_only_matches_one_layer(bodies: list[dict[str, Any]], request: Request) -> None:
    assume(all(_valid(b, PolicyKind.INLINE) for b in bodies))
    assume(request.principal is None or request.principal.kind is PrincipalKind.AWS)
    # Except where a trust or key policy decides: identity policies alone never allow those.
    assume(resource_policy_decides(request.action, request.resource) is None)
    docs = [_doc(b, f"id{i}", PolicyKind.INLINE) for i, b in enumerate(bodies)]
    full = evaluate(request, identity=docs)
    layer = evaluate_policies(request, docs)
    assert (full.decision, full.matched, full.unresolved, full.conditional) == (
        layer.decision,
        layer.matched,
        layer.unresolved,
        layer.conditional,
    )


def test_strategies_reach_every_decision() -> None:
    """The generators are not degenerate: each decision appears among generated cases."""
    seen: set[Decision] = set()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(setups(), requests())
    def collect(setup: dict[str, Any], request: Request) -> None:
        seen.add(evaluate(request, **setup).decision)

    collect()
    assert seen == set(Decision)


_ = Principal  # re-exported type used in annotations of the strategies' values
