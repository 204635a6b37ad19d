"""Every condition operator, with the key present and absent.

Each row is one Allow statement with one condition; the request is allowed exactly when the
condition holds. Rules quoted from
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
(OPERATORS) and reference_policies_condition-single-vs-multi-valued-context-keys.html (MULTIVALUE):

* OPERATORS: "If the key that you specify in a policy condition is not present in the request
  context, the values do not match and the condition is false. If the policy condition requires
  that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
  present, the condition is true. This logic applies to all condition operators except
  ...IfExists and Null check."
* OPERATORS (IfExists): "If the key is not present, evaluate the condition element as true."
* MULTIVALUE: ForAllValues "returns true if there are no keys in the request"; ForAnyValue: "For
  no matching key or a null dataset, the condition returns false."
"""

from __future__ import annotations

from typing import Any

import pytest

from iam_audit.engine import ContextMode, Decision, Request, evaluate, parse_policy
from iam_audit.model import PolicyKind

from .cases import ROLE

KEY = "test:Key"
ABSENT = None
ARN = "arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_AbC123"

UNKNOWN_OPERATORS = {"StringNotEqualz", "ForSomeValues:StringEquals"}

ROWS: list[Any] = [
    # operator, policy value(s), request value(s) or ABSENT, holds?, id
    # --- String: "StringEquals: Exact matching, case sensitive"
    ("StringEquals", "auth", "auth", True, "string-equals"),
    ("StringEquals", "auth", "Auth", False, "string-equals-case"),
    ("StringEquals", "auth", ABSENT, False, "string-equals-absent"),
    ("StringNotEquals", "auth", "billing", True, "string-not-equals"),
    ("StringNotEquals", "auth", "auth", False, "string-not-equals-same"),
    ("StringNotEquals", "auth", ABSENT, True, "string-not-equals-absent"),
    ("StringEqualsIgnoreCase", "AUTH", "auth", True, "string-equals-ic"),
    ("StringEqualsIgnoreCase", "AUTH", ABSENT, False, "string-equals-ic-absent"),
    ("StringNotEqualsIgnoreCase", "AUTH", "auth", False, "string-not-equals-ic"),
    ("StringNotEqualsIgnoreCase", "AUTH", ABSENT, True, "string-not-equals-ic-absent"),
    # "StringLike: ... multi-character match wildcards (*) and single-character match
    # wildcards (?) anywhere in the string"
    ("StringLike", "a*", "abc", True, "string-like-star"),
    ("StringLike", "a?c", "abc", True, "string-like-question"),
    ("StringLike", "a?c", "ac", False, "string-like-question-needs-one"),
    ("StringLike", "a*", "Abc", False, "string-like-case"),
    ("StringLike", "a*", ABSENT, False, "string-like-absent"),
    ("StringNotLike", "a*", "bcd", True, "string-not-like"),
    ("StringNotLike", "a*", ABSENT, True, "string-not-like-absent"),
    # --- ARN: "Each of the six colon-delimited components of the ARN is checked separately"
    ("ArnEquals", ARN, ARN, True, "arn-equals"),
    ("ArnLike", "arn:aws:cognito-idp:*:111122223333:userpool/*", ARN, True, "arn-like"),
    (
        "ArnLike",
        "arn:aws:cognito-idp:*:*:userpool/us-east-1_?bC123",
        ARN,
        True,
        "arn-like-question",
    ),
    ("ArnLike", "arn:aws:cognito-idp:*", ARN, False, "arn-like-short-pattern"),
    ("ArnLike", "*", ARN, True, "arn-like-star"),
    ("ArnLike", "arn:aws:*:*:*:*", "not-an-arn", False, "arn-like-not-an-arn"),
    ("ArnLike", ARN, ABSENT, False, "arn-like-absent"),
    ("ArnNotEquals", ARN, ARN.replace("AbC", "XyZ"), True, "arn-not-equals"),
    ("ArnNotLike", "arn:aws:cognito-idp:*:*:userpool/*", ARN, False, "arn-not-like"),
    ("ArnNotLike", "arn:aws:cognito-idp:*:*:userpool/*", ABSENT, True, "arn-not-like-absent"),
    # --- Numeric: "comparing a key to an integer or decimal value"
    ("NumericEquals", "10", "10.0", True, "numeric-equals"),
    ("NumericNotEquals", "10", "11", True, "numeric-not-equals"),
    ("NumericNotEquals", "10", ABSENT, True, "numeric-not-equals-absent"),
    ("NumericLessThan", "10", "9.5", True, "numeric-lt"),
    ("NumericLessThan", "10", "10", False, "numeric-lt-equal"),
    ("NumericLessThanEquals", "10", "10", True, "numeric-le"),
    ("NumericGreaterThan", "10", "-3", False, "numeric-gt"),
    ("NumericGreaterThanEquals", "10", "10", True, "numeric-ge"),
    ("NumericGreaterThanEquals", "10", ABSENT, False, "numeric-ge-absent"),
    ("NumericEquals", "10", "ten", False, "numeric-not-a-number"),
    # --- Date: W3C ISO 8601 dates or epoch (UNIX) time; 1577836800 is 2020-01-01T00:00:00Z
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True, "date-equals-epoch"),
    ("DateEquals", "2020-01-01", "2020-01-01T00:00:00+00:00", True, "date-equals-day"),
    (
        "DateNotEquals",
        "2020-01-01T00:00:00Z",
        "2020-01-01T01:00:00+01:00",
        False,
        "date-not-equals-offset",
    ),
    ("DateNotEquals", "2020-01-01T00:00:00Z", ABSENT, True, "date-not-equals-absent"),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True, "date-lt"),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True, "date-le"),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00.5Z", True, "date-gt-fraction"),
    ("DateGreaterThanEquals", "1577836800", "2019-06-01T00:00:00Z", False, "date-ge-epoch-policy"),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", "soon", False, "date-not-a-date"),
    # --- Bool: "comparing a key to true or false"
    ("Bool", "true", "true", True, "bool-true"),
    ("Bool", "true", "false", False, "bool-false"),
    ("Bool", True, "true", True, "bool-unquoted"),
    ("Bool", "false", ABSENT, False, "bool-absent"),
    # --- Binary: "compares the value ... byte for byte against a base-64 encoded representation"
    (
        "BinaryEquals",
        "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
        "QmluYXJ5VmFsdWVJbkJhc2U2NA==",
        True,
        "binary-equals",
    ),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "b3RoZXI=", False, "binary-differs"),
    # --- IP: "If you specify an IP address without the associated routing prefix, IAM uses the
    # default prefix value of /32."
    ("IpAddress", "203.0.113.0/24", "203.0.113.200", True, "ip-in-range"),
    ("IpAddress", "203.0.113.5", "203.0.113.5", True, "ip-default-32"),
    ("IpAddress", "203.0.113.5", "203.0.113.6", False, "ip-default-32-other"),
    ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678:abcd::1", True, "ip-v6"),
    ("IpAddress", "2001:DB8:1234:5678::/64", "203.0.113.5", False, "ip-v6-range-v4-address"),
    ("IpAddress", "203.0.113.0/24", ABSENT, False, "ip-absent"),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.7", True, "not-ip"),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.7", False, "not-ip-inside"),
    ("NotIpAddress", "203.0.113.0/24", ABSENT, True, "not-ip-absent"),
    # --- Null: "true (the key doesn't exist — it is null) or false (the key exists...)"
    ("Null", "true", ABSENT, True, "null-true-absent"),
    ("Null", "true", "x", False, "null-true-present"),
    ("Null", "false", "x", True, "null-false-present"),
    ("Null", "false", ABSENT, False, "null-false-absent"),
    # --- IfExists: true on an absent key, otherwise the operator itself
    ("StringEqualsIfExists", "auth", ABSENT, True, "ifexists-absent"),
    ("StringEqualsIfExists", "auth", "billing", False, "ifexists-present-mismatch"),
    ("NumericLessThanIfExists", "10", "3", True, "ifexists-numeric"),
    ("StringNotEqualsIfExists", "auth", ABSENT, True, "ifexists-negated-absent"),
    ("ArnLikeIfExists", "arn:aws:s3:::*", ABSENT, True, "ifexists-arn-absent"),
    # --- several values: OR for positive operators, AND of negations for negated ones
    ("StringEquals", ["auth", "billing"], "billing", True, "values-or"),
    ("StringNotEquals", ["auth", "billing"], "billing", False, "negated-values-and"),
    ("StringNotEquals", ["auth", "billing"], "ops", True, "negated-values-and-none-match"),
    # --- set operators (MULTIVALUE)
    ("ForAllValues:StringEquals", ["a", "b"], ("a", "b"), True, "forall-subset"),
    ("ForAllValues:StringEquals", ["a", "b"], ("a", "c"), False, "forall-extra"),
    ("ForAllValues:StringEquals", ["a", "b"], ABSENT, True, "forall-absent"),
    ("ForAllValues:StringEquals", ["a", "b"], (), True, "forall-empty-set"),
    ("ForAnyValue:StringEquals", ["a", "b"], ("c", "b"), True, "forany-one"),
    ("ForAnyValue:StringEquals", ["a", "b"], ("c", "d"), False, "forany-none"),
    ("ForAnyValue:StringEquals", ["a", "b"], ABSENT, False, "forany-absent"),
    ("ForAnyValue:StringLike", ["a*"], ("xa", "ab"), True, "forany-like"),
    ("ForAllValues:StringNotEquals", ["a"], ("b", "c"), True, "forall-negated"),
    ("ForAnyValue:StringNotEquals", ["a"], ("a", "b"), True, "forany-negated"),
    ("ForAnyValue:StringNotEquals", ["a"], ("a",), False, "forany-negated-all-listed"),
    ("ForAllValues:StringEqualsIfExists", ["a"], ABSENT, True, "forall-ifexists-absent"),
    # --- a plain operator on a multi-valued key: any value may match
    ("StringEquals", "b", ("a", "b"), True, "plain-multivalued-any"),
    # --- operator names IAM does not define never hold, even negated-looking ones
    ("StringNotEqualz", "a", "b", False, "unknown-operator"),
    ("ForSomeValues:StringEquals", "a", ("a",), False, "unknown-set-operator"),
]


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "holds"),
    [pytest.param(*row[:4], id=row[4]) for row in ROWS],
)
def test_operator(operator: str, policy_value: Any, request_value: Any, holds: bool) -> None:
    document = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "test:Act",
                    "Resource": "*",
                    "Condition": {operator: {KEY: policy_value}},
                }
            ],
        },
        name="p",
        kind=PolicyKind.INLINE,
    )
    context: dict[str, tuple[str, ...]] = {}
    if request_value is not ABSENT:
        context[KEY] = request_value if isinstance(request_value, tuple) else (request_value,)
    result = evaluate(
        Request("test:Act", "arn:aws:test:::thing", ROLE, context, ContextMode.REQUEST),
        identity=[document],
    )
    assert result.decision is (Decision.ALLOWED if holds else Decision.IMPLICIT_DENY)
    # The answer hangs on the key exactly when the request did not supply it (a statement with
    # an unknown operator never applies, whatever the key holds).
    hangs = request_value is ABSENT and operator not in UNKNOWN_OPERATORS
    assert result.unresolved == ((KEY,) if hangs else ())
    assert len(result.notes) == (operator in UNKNOWN_OPERATORS)


def test_rows_are_unique() -> None:
    ids = [row[4] for row in ROWS]
    assert len(ids) == len(set(ids))
