"""Compile once, look only at statements that can match, never crash, never mutate."""

from __future__ import annotations

import copy
import gc
import weakref
from collections import Counter
from typing import Any

import pytest
from msgspec import structs

from iam_audit.engine import (
    ContextMode,
    Decision,
    Request,
    evaluate,
    evaluate_policies,
    parse_policy,
    policy_notes,
    statement_alone,
)
from iam_audit.engine import compile as compile_module
from iam_audit.engine.compile import compile_policy
from iam_audit.model import PolicyDocument, PolicyKind

from .cases import POOL, ROLE, USER, allow, deny, policy

AIA = "cognito-idp:AdminInitiateAuth"


def _doc(body: Any, name: str = "p") -> PolicyDocument:
    return parse_policy(body, name=name, kind=PolicyKind.MANAGED)


def _count_compiles(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, int]]:
    """Count statement compilations by (policy name, statement index)."""
    counts: Counter[tuple[str, int]] = Counter()
    real = compile_module._compile_statement

    def counting(
        name: str, kind: PolicyKind, index: int, raw: Any, variables: bool
    ) -> compile_module.CompiledStatement:
        counts[(name, index)] += 1
        return real(name, kind, index, raw, variables)

    monkeypatch.setattr(compile_module, "_compile_statement", counting)
    return counts


def test_each_document_compiles_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = _count_compiles(monkeypatch)
    shared = _doc(policy(allow(AIA, POOL)), "shared")
    roles = [_doc(policy(allow("logs:*"), allow(AIA, POOL)), f"own{i}") for i in range(50)]
    request = Request(AIA, POOL, ROLE)
    for own in roles:
        for _ in range(3):
            assert evaluate(request, identity=[own, shared]).decision is Decision.ALLOWED
    # the shared document compiled once for 50 roles; each role's own cognito-idp statement
    # once; the logs statement never (the index sends a cognito-idp request past it)
    assert counts == Counter({("shared", 0): 1, **{(f"own{i}", 1): 1 for i in range(50)}})
    assert compile_policy(shared) is compile_policy(shared)


def test_compiled_form_lives_on_the_document() -> None:
    # No module-level cache: the form is the document's own, filled on first use, and goes
    # with it (a reference held anywhere else would keep it alive after the document is gone).
    document = _doc(policy(allow(AIA, POOL)))
    assert document.compiled is None
    evaluate(Request(AIA, POOL, ROLE), identity=[document])
    compiled = compile_policy(document)
    assert document.compiled is compiled
    alive = weakref.ref(compiled)
    del document, compiled
    gc.collect()
    assert alive() is None


def test_equal_documents_are_distinct_objects() -> None:
    # PolicyDocument equality is identity: two equal bodies are two documents, two forms.
    body = policy(allow(AIA, POOL))
    first, second = _doc(body), _doc(copy.deepcopy(body))
    assert first != second
    evaluate(Request(AIA, POOL, ROLE), identity=[first, second])
    assert compile_policy(first) is not compile_policy(second)


def test_replace_keeps_validated_and_compiles_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    original = _doc(policy(allow(AIA, POOL)), "p")
    assert original.validated
    compile_policy(original).statements  # noqa: B018 - compiles every statement
    moved = structs.replace(original, kind=PolicyKind.BOUNDARY)
    assert moved.validated
    assert moved.compiled is original.compiled  # copied with the fields, and not reused:
    assert compile_policy(moved) is not compile_policy(original)
    checked: list[str] = []
    monkeypatch.setattr(
        compile_module, "validate_statement", lambda raw, path: checked.append(path)
    )
    (statement,) = compile_policy(moved).statements
    assert statement.ref.kind is PolicyKind.BOUNDARY  # its own form, under its own kind
    assert compile_policy(moved) is compile_policy(moved)  # kept, once it is its own
    assert checked == []  # and not validated again
    by_hand = PolicyDocument("h", PolicyKind.INLINE, original.document)
    assert not by_hand.validated
    compile_policy(by_hand).statements  # noqa: B018
    assert checked == ["$.Statement[0]"]


def test_a_changed_body_is_a_new_document() -> None:
    # A body changed after its first evaluation is not seen (documents are values); the way to
    # change one is a new PolicyDocument, which is judged afresh.
    body = policy(allow(AIA, POOL))
    before = _doc(body)
    request = Request(AIA, POOL, ROLE)
    assert evaluate(request, identity=[before]).decision is Decision.ALLOWED
    changed = copy.deepcopy(body)
    changed["Statement"][0]["Effect"] = "Deny"
    after = _doc(changed)
    assert evaluate(request, identity=[after]).decision is Decision.EXPLICIT_DENY
    assert evaluate(request, identity=[before]).decision is Decision.ALLOWED


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


def test_a_statement_alone_reuses_its_compiled_form(monkeypatch: pytest.MonkeyPatch) -> None:
    document = _doc(
        policy(allow("logs:*"), allow("cognito-idp:*", Sid="Wide"), allow(AIA, POOL)), "role"
    )
    counts = _count_compiles(monkeypatch)
    alone = statement_alone(document, 1)
    assert alone is not None
    assert alone is statement_alone(document, 1)  # one document per statement, kept
    assert alone.document["Statement"] == [document.document["Statement"][1]]
    assert alone.document["Version"] == document.document["Version"]
    request = Request("cognito-idp:DeleteUserPool", POOL, ROLE, mode=ContextMode.OPEN)
    result = evaluate_policies(request, [alone])
    assert result.decision is Decision.ALLOWED
    # the ref names the statement where it is written: index 1 of "role", not 0 of a copy
    assert [(r.policy, r.index, r.sid) for r in result.matched] == [("role", 1, "Wide")]
    assert counts == Counter({("role", 1): 1})  # compiled once, for both documents
    assert statement_alone(document, 7) is None


def test_no_statement_alone_for_an_invalid_statement() -> None:
    body = {"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}, allow(AIA, POOL)]}
    document = PolicyDocument(name="mixed", kind=PolicyKind.INLINE, document=body)
    assert statement_alone(document, 0) is None
    valid = statement_alone(document, 1)
    assert valid is not None
    assert valid.validated  # it was checked as a statement of "mixed"


_BASE = {
    "Sid": "One",
    "Effect": "Allow",
    "Action": ["cognito-idp:AdminInitiateAuth"],
    "Resource": POOL,
    "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
}


@pytest.mark.parametrize(
    ("change", "shared"),
    [
        ({"Sid": "Other"}, True),
        ({"Sid": None}, True),  # no Sid at all
        ({"Effect": "Deny"}, False),
        ({"Action": ["cognito-idp:AdminGetUser"]}, False),
        ({"Action": "cognito-idp:AdminInitiateAuth"}, False),  # a string, not a list: re-read
        ({"Action": None, "NotAction": ["cognito-idp:AdminInitiateAuth"]}, False),
        ({"Resource": "*"}, False),
        ({"Resource": None, "NotResource": POOL}, False),
        ({"Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "60"}}}, False),
        ({"Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}}, False),
        ({"Condition": None}, False),
    ],
)
def test_statements_share_a_compiled_form_only_when_they_say_the_same(
    change: dict[str, Any], shared: bool
) -> None:
    # Two statements that differ only in Sid match every request alike: the Sid "is just an
    # identifier" (IAM User Guide, IAM JSON policy elements: Sid); any other element can
    # change the match, so its statement compiles on its own.
    other = {**_BASE, **change}
    other = {key: value for key, value in other.items() if value is not None}
    table: dict[tuple[bool, str], Any] = {}
    first = compile_policy(_doc(policy(_BASE), "first"), statements=table).statements
    second = compile_policy(_doc(policy(other), "second"), statements=table).statements
    assert len(table) == (1 if shared else 2)
    assert (first[0].meaning == second[0].meaning) is shared
    assert (first[0].ref.policy, second[0].ref.policy) == ("first", "second")
    assert second[0].ref.sid == other.get("Sid")


def test_statements_of_two_versions_never_share() -> None:
    # "${...}" is a policy variable only under Version 2012-10-17 (IAM User Guide, IAM policy
    # elements: Variables and tags), so the same text means two things in two versions.
    table: dict[tuple[bool, str], Any] = {}
    for version in ("2012-10-17", "2008-10-17"):
        body = {"Version": version, "Statement": [allow(AIA, "arn:aws:s3:::${aws:username}")]}
        assert len(compile_policy(_doc(body, version), statements=table).statements) == 1
    assert len(table) == 2


class _Node(str):
    """A string as a template parser gives it (cfn-lint's decoder returns str subclasses)."""


_VALUES = [1, 1.0, True, "1", 3600, 3600.0, -0.0, 0.0, 10**30, 10**30 + 1]
_VALUES += [float("nan"), float("inf"), float("-inf"), "\ud800", _Node("1"), None]


def test_a_meaning_tells_apart_every_two_condition_values() -> None:
    # The table keys statements by meaning, so two statements that differ in any value must
    # get two meanings: JSON text where it is exact, the repr where orjson would blur two values
    # (NaN and the infinities all written as null, a str subclass as the str, an integer beyond
    # 64 bits refused) or refuse one (a lone surrogate).
    def statement(value: object) -> dict[str, Any]:
        return {**_BASE, "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": value}}}

    meanings = [compile_module._meaning(statement(value)) for value in _VALUES]
    assert len(set(meanings)) == len(_VALUES)
    assert compile_module._meaning(statement(1)) == compile_module._meaning(statement(1))
    assert isinstance(compile_module._meaning(statement(1)), bytes)  # the exact JSON text
    assert all(
        isinstance(compile_module._meaning(statement(value)), str)
        for value in (float("nan"), 10**30, "\ud800", _Node("1"), None)
    )
    with_sid = compile_module._meaning({"Sid": "A", **statement(1)})
    assert with_sid == compile_module._meaning(statement(1))
