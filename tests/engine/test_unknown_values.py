"""``Request.unknown_values``: strings in a policy that stand for values nobody knows yet.

The decision reads each pattern as written; in ``OPEN`` mode a statement an unknown value could
make apply (or not) makes the answer ``conditional``, as a policy variable whose key the context
lacks does: "If the policy variable ... does not have a value ... the resource that includes a
policy variable with no value will not match any resource" (IAM User Guide, IAM policy
elements: Variables and tags), and another value could match.
"""

from __future__ import annotations

import pytest

from iam_audit.engine import ContextMode, Decision, Request, evaluate
from iam_audit.model import PolicyDocument, PolicyKind

HOLE = "<Unresolved.Parameter.Pool>"
POOL = "arn:aws:cognito-idp:eu-central-1:111122223333:userpool/eu-central-1_AbC"
ACTION = "cognito-idp:AdminInitiateAuth"


def _document(*statements: dict[str, object]) -> PolicyDocument:
    body = {"Version": "2012-10-17", "Statement": list(statements)}
    return PolicyDocument("p", PolicyKind.INLINE, body)


# (id, statement, mode, decision, conditional, unresolved)
CASES = [
    ("allow-on-hole", {"Resource": HOLE}, ContextMode.OPEN, Decision.IMPLICIT_DENY, True, (HOLE,)),
    (
        "allow-on-arn-with-hole",
        {"Resource": POOL.replace("eu-central-1_AbC", HOLE)},
        ContextMode.OPEN,
        Decision.IMPLICIT_DENY,
        True,
        (HOLE,),
    ),
    (
        "hole-beside-a-policy-variable",
        {"Resource": POOL.replace("eu-central-1_AbC", f"{HOLE}${{aws:PrincipalTag/pool}}")},
        ContextMode.OPEN,
        Decision.IMPLICIT_DENY,
        True,
        (HOLE, "aws:PrincipalTag/pool"),
    ),
    ("not-resource-hole", {"NotResource": HOLE}, ContextMode.OPEN, Decision.ALLOWED, True, (HOLE,)),
    (
        "literal-grant-stands",
        {"Resource": [POOL, HOLE]},
        ContextMode.OPEN,
        Decision.ALLOWED,
        False,
        (),
    ),
    (
        "other-account-cannot-be-the-hole",
        {
            "Resource": POOL.replace("111122223333", "999988887777").replace(
                "eu-central-1_AbC", HOLE
            )
        },
        ContextMode.OPEN,
        Decision.IMPLICIT_DENY,
        False,
        (),
    ),
    # REQUEST mode: the context is the request; the hole is still named, never guessed allowed
    (
        "request-mode",
        {"Resource": HOLE},
        ContextMode.REQUEST,
        Decision.IMPLICIT_DENY,
        False,
        (HOLE,),
    ),
]


@pytest.mark.parametrize(
    ("statement", "mode", "decision", "conditional", "unresolved"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_unknown_values_stay_unresolved(
    statement: dict[str, object],
    mode: ContextMode,
    decision: Decision,
    conditional: bool,
    unresolved: tuple[str, ...],
) -> None:
    policy = _document({"Effect": "Allow", "Action": ACTION, **statement})
    request = Request(ACTION, POOL, mode=mode, unknown_values=(HOLE,))
    result = evaluate(request, identity=[policy])
    assert (result.decision, result.conditional, result.unresolved) == (
        decision,
        conditional,
        unresolved,
    )
    # without the unknown values the hole is a plain string: never conditional
    plain = evaluate(Request(ACTION, POOL, mode=mode), identity=[policy])
    assert plain.decision is decision
    assert HOLE not in plain.unresolved


ACCOUNT = "111122223333"


@pytest.mark.parametrize(
    ("condition", "conditional", "unresolved"),
    [
        # the key is in the request; the value it must equal is a hole: either way it could go
        ({"StringEquals": {"aws:PrincipalAccount": HOLE}}, True, (HOLE,)),
        ({"StringNotEquals": {"aws:PrincipalAccount": HOLE}}, True, (HOLE,)),
        # "If you specify multiple values for a single key ... the condition is evaluated using a
        # logical OR" (IAM User Guide, Condition element): a literal value that matches decides
        ({"StringEquals": {"aws:PrincipalAccount": [ACCOUNT, HOLE]}}, False, ()),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, False, ()),
    ],
    ids=["equals-hole", "not-equals-hole", "literal-value-decides", "no-hole"],
)
def test_a_hole_in_a_condition_value_stays_unresolved(
    condition: dict[str, object], conditional: bool, unresolved: tuple[str, ...]
) -> None:
    policy = _document(
        {"Effect": "Allow", "Action": ACTION, "Resource": "*", "Condition": condition}
    )
    context = {"aws:PrincipalAccount": (ACCOUNT,)}
    request = Request(ACTION, POOL, context=context, mode=ContextMode.OPEN, unknown_values=(HOLE,))
    result = evaluate(request, identity=[policy])
    assert (result.conditional, result.unresolved) == (conditional, unresolved)
    plain = evaluate(
        Request(ACTION, POOL, context=context, mode=ContextMode.OPEN), identity=[policy]
    )
    assert plain.decision is result.decision
