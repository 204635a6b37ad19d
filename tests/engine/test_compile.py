"""Compile once, look only at statements that can match, never crash, never mutate."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from iam_audit.engine import (
    ContextMode,
    Decision,
    Request,
    clear_compile_cache,
    compile_cache_info,
    evaluate,
    evaluate_policies,
    parse_policy,
    policy_notes,
)
from iam_audit.engine.compile import compile_policy
from iam_audit.model import PolicyDocument, PolicyKind

from .cases import POOL, ROLE, USER, allow, deny, policy

AIA = "cognito-idp:AdminInitiateAuth"


def _doc(body: Any, name: str = "p") -> PolicyDocument:
    return parse_policy(body, name=name, kind=PolicyKind.MANAGED)


def test_each_document_compiles_once() -> None:
    clear_compile_cache()
    shared = _doc(policy(allow(AIA, POOL)), "shared")
    roles = [_doc(policy(allow("logs:*")), f"own{i}") for i in range(50)]
    request = Request(AIA, POOL, ROLE)
    for own in roles:
        for _ in range(3):
            assert evaluate(request, identity=[own, shared]).decision is Decision.ALLOWED
    info = compile_cache_info()
    # parse_policy registers each document (a miss); every evaluation then finds it (a hit)
    assert info["misses"] == 51
    assert info["size"] == 51
    assert info["hits"] == 50 * 3 * 2


def test_equal_documents_are_distinct_objects() -> None:
    # PolicyDocument equality is identity: two equal bodies are two cache entries.
    clear_compile_cache()
    body = policy(allow(AIA, POOL))
    first, second = _doc(body), _doc(copy.deepcopy(body))
    assert first != second
    evaluate(Request(AIA, POOL, ROLE), identity=[first, second])
    assert compile_cache_info()["size"] == 2


def test_statements_indexed_by_service() -> None:
    compiled = compile_policy(
        _doc(
            policy(
                allow("s3:GetObject"),  # 0: s3 only
                allow(["cognito-idp:AdminGetUser", "logs:*"]),  # 1: cognito-idp and logs
                allow(None, NotAction="iam:*"),  # 2: any service
                allow("*"),  # 3: any service
                allow("cog*:List*"),  # 4: wildcard in the prefix: any service
            )
        )
    )
    assert [s.ref.index for s in compiled.candidates("cognito-idp")] == [1, 2, 3, 4]
    assert [s.ref.index for s in compiled.candidates("s3")] == [0, 2, 3, 4]
    assert [s.ref.index for s in compiled.candidates("ec2")] == [2, 3, 4]


def test_matched_order_does_not_depend_on_input_order() -> None:
    docs = [
        _doc(policy(allow(AIA, Sid=f"S{i}"), allow("cognito-idp:*")), f"p{i}") for i in range(4)
    ]
    request = Request(AIA, POOL, ROLE)
    forward = evaluate(request, identity=docs)
    backward = evaluate(request, identity=list(reversed(docs)))
    assert forward == backward
    assert [(r.policy, r.index) for r in forward.matched] == [
        (f"p{i}", j) for i in range(4) for j in range(2)
    ]


GARBAGE: list[Any] = [
    None,
    "text",
    [1, 2],
    {"Statement": "x"},
    {"Statement": [None, {"Effect": "Allow"}, {"Effect": "Allow", "Action": 3, "Resource": "*"}]},
    {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": "x"}},
    {"Version": 2012, "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": [None]}]},
]


@pytest.mark.parametrize("body", GARBAGE, ids=[f"garbage-{i}" for i in range(len(GARBAGE))])
@pytest.mark.parametrize("mode", list(ContextMode))
def test_unvalidated_garbage_grants_nothing_and_explains(body: Any, mode: ContextMode) -> None:
    document = PolicyDocument(name="junk", kind=PolicyKind.INLINE, document=body)
    request = Request(AIA, POOL, ROLE, mode=mode)
    result = evaluate(request, identity=[document], boundary=document, resource_policy=document)
    assert result.decision is Decision.IMPLICIT_DENY
    assert policy_notes(document)
    assert evaluate_policies(request, [document]).decision is Decision.IMPLICIT_DENY


def test_valid_statements_survive_a_bad_neighbour() -> None:
    body = {"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}, allow(AIA, POOL)]}
    document = PolicyDocument(name="mixed", kind=PolicyKind.INLINE, document=body)
    result = evaluate(Request(AIA, POOL, ROLE), identity=[document])
    assert result.decision is Decision.ALLOWED
    assert [r.index for r in result.matched] == [1]
    (note,) = policy_notes(document)
    assert note.startswith("mixed #0: skipped, $.Statement[0].Effect")


def test_evaluation_never_mutates_documents() -> None:
    body = policy(
        allow(AIA, "arn:aws:cognito-idp:*:*:userpool/${aws:PrincipalTag/pool}"),
        deny("*", Condition={"StringNotEquals": {"aws:SourceVpc": ["vpc-1"]}, "Bool": {"x": True}}),
    )
    before = copy.deepcopy(body)
    evaluate(
        Request(AIA, POOL, USER, {"aws:PrincipalTag/pool": ("us-east-1_AbC123",)}),
        identity=[_doc(body)],
    )
    assert body == before


def test_context_given_as_plain_strings_is_read() -> None:
    # Request.context holds tuples; a caller passing a bare string is read as one value.
    document = _doc(policy(allow(AIA, Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}})))
    context: Any = {"aws:SourceVpc": "vpc-1"}
    assert evaluate(Request(AIA, POOL, ROLE, context), identity=[document]).allowed


def test_policy_notes_on_unknown_operators() -> None:
    document = _doc(
        policy(
            allow(
                AIA,
                Sid="Odd",
                Condition={"StringEqualz": {"k": "v"}, "NullIfExists": {"k": "true"}},
            )
        )
    )
    assert policy_notes(document) == (
        "p Odd: unknown condition operator NullIfExists, StringEqualz; the statement never applies",
    )
