"""The values of :mod:`iam_audit.model` and the engine's types behave as frozen values: they
compare and hash by their fields (an origin's ``metadata`` aside, a policy document by
identity), refuse assignment, and copy with changes through ``msgspec.structs.replace``."""

from __future__ import annotations

import pickle

import pytest
from msgspec import structs

from iam_audit.engine import Decision, EvalResult, Principal, PrincipalKind, Request, evaluate
from iam_audit.engine.compile import compile_policy
from iam_audit.model import Origin, PolicyDocument, PolicyKind, Role, SourceKind
from iam_audit.whocan import Access, Grantee, PrincipalType

POOL = "arn:aws:cognito-idp:eu-west-1:111122223333:userpool/eu-west-1_AbC123"
ROLE = "arn:aws:iam::111122223333:role/migration"


def _grant() -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:AdminInitiateAuth", "Resource": POOL}
        ],
    }


def test_an_origin_is_equal_and_hashes_alike_whatever_its_metadata() -> None:
    plain = Origin(SourceKind.CLOUDFORMATION, "t.yaml", "/Resources/R", 4)
    marked = Origin(SourceKind.CLOUDFORMATION, "t.yaml", "/Resources/R", 4, metadata={"ignore": []})
    assert plain == marked
    assert not plain != marked  # noqa: SIM202 - __ne__ is defined beside __eq__
    assert hash(plain) == hash(marked)  # a dict in metadata does not make it unhashable
    assert len({plain, marked}) == 1
    assert plain != Origin(SourceKind.CLOUDFORMATION, "t.yaml", "/Resources/R", 5)
    assert plain != ("t.yaml", "/Resources/R")


def test_a_policy_document_is_equal_only_to_itself() -> None:
    body = _grant()
    first = PolicyDocument("p", PolicyKind.INLINE, body)
    second = PolicyDocument("p", PolicyKind.INLINE, body)
    assert first == first
    assert first != second
    assert len({first, second}) == 2


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (Origin(SourceKind.FILE, "f"), "location"),
        (PolicyDocument("p", PolicyKind.INLINE, {}), "compiled"),
        (Role(ROLE, "migration", Origin(SourceKind.FILE, "f")), "inline"),
        (Request("s3:GetObject", "*"), "action"),
        (EvalResult(Decision.IMPLICIT_DENY), "decision"),
    ],
)
def test_values_refuse_assignment(value: object, field: str) -> None:
    with pytest.raises(AttributeError):
        setattr(value, field, None)


def test_values_compare_and_hash_by_their_fields() -> None:
    one = Principal(PrincipalKind.AWS, ROLE)
    assert one == Principal(PrincipalKind.AWS, ROLE)
    assert hash(one) == hash(Principal(PrincipalKind.AWS, ROLE))
    assert one != Principal(PrincipalKind.SERVICE, ROLE)
    assert one.account == "111122223333"
    assert repr(one) == f"Principal(kind={PrincipalKind.AWS!r}, value={ROLE!r})"


def test_a_copy_with_changes_is_evaluated_as_its_own_document() -> None:
    # the copy holds the original's compiled form; the engine compiles the copy anew, so its
    # statements are named under the copy's name and kind
    original = PolicyDocument("p", PolicyKind.INLINE, _grant())
    request = Request("cognito-idp:AdminInitiateAuth", POOL, Principal(PrincipalKind.AWS, ROLE))
    assert evaluate(request, identity=[original]).matched[0].policy == "p"
    renamed = structs.replace(original, name="q")
    assert renamed.compiled is original.compiled
    (ref,) = evaluate(request, identity=[renamed]).matched
    assert (ref.policy, ref.kind) == ("q", PolicyKind.INLINE)
    assert compile_policy(renamed) is not compile_policy(original)


def test_a_grantee_pickles_to_an_equal_value() -> None:
    grantee = Grantee(ROLE, PrincipalType.ROLE, Access.ALLOWED, (), ("p",))
    assert pickle.loads(pickle.dumps(grantee)) == grantee
