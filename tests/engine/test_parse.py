"""parse_policy and validate_policy: what is a policy, and where exactly the first problem is.

The grammar is https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html;
element rules are on the reference_policies_elements_*.html pages cited per case.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from iam_audit.engine import Decision, Principal, PrincipalKind, Request, evaluate, validate_policy
from iam_audit.engine.parse import parse_policy
from iam_audit.errors import ExitCode, InputError, PolicyParseError
from iam_audit.model import PolicyKind

GOOD_STATEMENT: dict[str, Any] = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def with_statement(**changes: Any) -> dict[str, Any]:
    """A valid policy whose second statement is GOOD_STATEMENT with ``changes`` (None removes)."""
    statement = dict(GOOD_STATEMENT)
    for key, value in changes.items():
        if value is None:
            statement.pop(key, None)
        else:
            statement[key] = value
    return {"Version": "2012-10-17", "Statement": [dict(GOOD_STATEMENT), statement]}


INVALID = [
    # GRAMMAR: policy = { <version_block?> <id_block?> <statement_block> }.
    pytest.param([], "$", "must be a JSON object", id="not-an-object"),
    pytest.param("text", "$", "must be a JSON object", id="a-string"),
    pytest.param({"Version": "2012-10-17"}, "$", "no Statement", id="no-statement"),
    pytest.param({"Statement": "Allow"}, "$.Statement", "object or a list", id="statement-string"),
    pytest.param({"Statement": [42]}, "$.Statement[0]", "must be an object", id="statement-number"),
    # GRAMMAR: <version_block> = "Version" : ("2008-10-17" | "2012-10-17").
    pytest.param(
        {"Version": "2012-10-18", "Statement": []}, "$.Version", "Version must be", id="bad-version"
    ),
    pytest.param(
        {"Statement": [], "Policy": 1}, "$.Policy", "unknown policy element", id="top-key"
    ),
    pytest.param({"Id": 7, "Statement": []}, "$.Id", "Id must be a string", id="id-number"),
    # EFFECT: "Valid values for Effect are Allow and Deny. The Effect value is case sensitive."
    pytest.param(
        with_statement(Effect="allow"), "$.Statement[1].Effect", "case-sensitive", id="effect-lower"
    ),
    pytest.param(
        with_statement(Effect="Permit"), "$.Statement[1].Effect", "Allow", id="effect-other"
    ),
    pytest.param(with_statement(Effect=None), "$.Statement[1]", "no Effect", id="effect-missing"),
    # ACTION: "Statements must include either an Action or NotAction element."
    pytest.param(
        with_statement(Action=None), "$.Statement[1]", "exactly one of Action", id="no-action"
    ),
    pytest.param(
        with_statement(NotAction="s3:*"), "$.Statement[1]", "not both", id="action-and-notaction"
    ),
    pytest.param(
        with_statement(Action=5), "$.Statement[1].Action", "string or a list", id="action-number"
    ),
    pytest.param(
        with_statement(Action=[]), "$.Statement[1].Action", "empty list", id="action-empty"
    ),
    pytest.param(
        with_statement(Action=["s3:GetObject", 3]),
        "$.Statement[1].Action[1]",
        "non-empty strings",
        id="action-item",
    ),
    pytest.param(
        with_statement(Action="s3GetObject"),
        "$.Statement[1].Action",
        "SERVICE:ACTION",
        id="action-no-colon",
    ),
    pytest.param(
        with_statement(Action=["s3:a:b"]),
        "$.Statement[1].Action[0]",
        "SERVICE:ACTION",
        id="action-two-colons",
    ),
    # RESOURCE/NOTRESOURCE: "Statements must include either a Resource or a NotResource element."
    pytest.param(
        with_statement(NotResource="arn:aws:s3:::b"),
        "$.Statement[1]",
        "both Resource",
        id="resource-and-notresource",
    ),
    pytest.param(
        with_statement(Resource={"a": 1}),
        "$.Statement[1].Resource",
        "string or a list",
        id="resource-object",
    ),
    # PRINCIPAL: <principal_block> = ("Principal" | "NotPrincipal") : ("*" | <principal_map>).
    pytest.param(
        with_statement(Principal="*", NotPrincipal="*"),
        "$.Statement[1]",
        "both Principal",
        id="principal-and-notprincipal",
    ),
    pytest.param(
        with_statement(Principal={"User": "x"}),
        "$.Statement[1].Principal.User",
        "unknown principal type",
        id="principal-type",
    ),
    pytest.param(
        with_statement(Principal=12),
        "$.Statement[1].Principal",
        "Principal must be",
        id="principal-number",
    ),
    pytest.param(
        with_statement(Principal={}),
        "$.Statement[1].Principal",
        "at least one",
        id="principal-empty",
    ),
    pytest.param(
        with_statement(Principal={"AWS": [None]}),
        "$.Statement[1].Principal.AWS[0]",
        "non-empty strings",
        id="principal-null",
    ),
    # GRAMMAR: <condition_block> = "Condition" : { <condition_map> }.
    pytest.param(
        with_statement(Condition="x"),
        "$.Statement[1].Condition",
        "must be an object",
        id="condition-string",
    ),
    pytest.param(
        with_statement(Condition={"StringEquals": ["a"]}),
        "$.Statement[1].Condition.StringEquals",
        "map condition keys",
        id="condition-operator-list",
    ),
    pytest.param(
        with_statement(Condition={"StringEquals": {"aws:SourceAccount": None}}),
        '$.Statement[1].Condition.StringEquals["aws:SourceAccount"]',
        "strings, numbers or booleans",
        id="condition-value-null",
    ),
    pytest.param(
        with_statement(Condition={"StringEquals": {"aws:SourceAccount": ["1", {"a": 1}]}}),
        '$.Statement[1].Condition.StringEquals["aws:SourceAccount"][1]',
        "strings, numbers or booleans",
        id="condition-value-object",
    ),
    pytest.param(
        with_statement(Sid=3), "$.Statement[1].Sid", "Sid must be a string", id="sid-number"
    ),
    # A misspelt element would silently change the meaning (a Condtion is no condition).
    pytest.param(
        with_statement(Condtion={"Bool": {"aws:SecureTransport": "true"}}),
        "$.Statement[1].Condtion",
        "unknown statement element",
        id="misspelt-condition",
    ),
    # Statement as one object: paths have no index.
    pytest.param(
        {"Statement": {"Effect": "Deny ", "Action": "*", "Resource": "*"}},
        "$.Statement.Effect",
        "Allow",
        id="statement-object-path",
    ),
]


@pytest.mark.parametrize(("document", "path", "words"), INVALID)
def test_invalid_documents_name_the_path(document: Any, path: str, words: str) -> None:
    with pytest.raises(PolicyParseError) as raised:
        validate_policy(document, location="role/x inline p")
    error = raised.value
    assert error.location == f"role/x inline p {path}"
    assert f"role/x inline p {path}: " in error.message
    assert words in error.message
    assert error.exit_code is ExitCode.INPUT
    assert "\n" not in error.diagnostics()


def test_location_is_optional() -> None:
    with pytest.raises(PolicyParseError) as raised:
        validate_policy(with_statement(Effect="allow"))
    assert raised.value.location == "$.Statement[1].Effect"
    assert raised.value.message.startswith("$.Statement[1].Effect: ")


KIND_RULES = [
    # PRINCIPAL: "You cannot use the Principal element in an identity-based policy."
    pytest.param(
        with_statement(Principal="*"),
        PolicyKind.INLINE,
        "must not name a Principal",
        id="identity-principal",
    ),
    pytest.param(
        with_statement(Principal={"AWS": "1"}),
        PolicyKind.BOUNDARY,
        "must not name a Principal",
        id="boundary-principal",
    ),
    # RESOURCE: identity statements "must include either a Resource or a NotResource element".
    pytest.param(
        with_statement(Resource=None), PolicyKind.MANAGED, "no Resource", id="identity-no-resource"
    ),
    # PRINCIPAL: "You must use the Principal element in resource-based policies."
    pytest.param(
        with_statement(),
        PolicyKind.TRUST,
        "must name a Principal",
        id="trust-no-principal",
    ),
    pytest.param(
        with_statement(), PolicyKind.RESOURCE, "must name a Principal", id="resource-no-principal"
    ),
]


@pytest.mark.parametrize(("document", "kind", "words"), KIND_RULES)
def test_kind_rules(document: Any, kind: PolicyKind, words: str) -> None:
    with pytest.raises(PolicyParseError, match=words):
        parse_policy(document, name="p", kind=kind)


VALID = [
    # VERSION page: Version may be absent or "2008-10-17".
    pytest.param({"Statement": [GOOD_STATEMENT]}, PolicyKind.INLINE, id="no-version"),
    pytest.param(
        {"Version": "2008-10-17", "Statement": [GOOD_STATEMENT]},
        PolicyKind.INLINE,
        id="version-2008",
    ),
    # The IAM documentation writes single statements as an object.
    pytest.param(
        {"Version": "2012-10-17", "Statement": GOOD_STATEMENT},
        PolicyKind.MANAGED,
        id="statement-object",
    ),
    pytest.param({"Version": "2012-10-17", "Statement": []}, PolicyKind.INLINE, id="no-statements"),
    # COGNITO_IMPORT trust policy: Principal and Action, no Resource.
    pytest.param(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cognito-idp.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        PolicyKind.TRUST,
        id="cognito-trust",
    ),
    # NotPrincipal is read in trust policies too (IAM refuses to save it; checks flag it).
    pytest.param(
        {
            "Statement": [
                {"Effect": "Allow", "NotPrincipal": {"AWS": "1"}, "Action": "sts:AssumeRole"}
            ]
        },
        PolicyKind.TRUST,
        id="trust-notprincipal-readable",
    ),
    # GRAMMAR: "Quotation marks are optional for numeric and Boolean values."
    pytest.param(
        with_statement(
            Condition={
                "Bool": {"aws:SecureTransport": False},
                "NumericLessThan": {"s3:max-keys": [10, 2.5]},
            }
        ),
        PolicyKind.INLINE,
        id="condition-bool-and-numbers",
    ),
    pytest.param(
        with_statement(Sid="", Action="*", Resource=["*"]),
        PolicyKind.INLINE,
        id="star-action-empty-sid",
    ),
]


@pytest.mark.parametrize(("document", "kind"), VALID)
def test_valid_documents(document: Any, kind: PolicyKind) -> None:
    parsed = parse_policy(document, name="p", kind=kind)
    assert parsed.document == document
    assert parsed.text is None


DOC: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:*"}
    ],
}


def test_json_text_is_kept() -> None:
    text = "  " + json.dumps(DOC, indent=2) + "\n"
    parsed = parse_policy(text, name="inline", kind=PolicyKind.INLINE)
    assert parsed.document == DOC
    assert parsed.text == text.strip()


@pytest.mark.parametrize("lower", [False, True], ids=["upper-hex", "lower-hex"])
def test_url_encoded_text(lower: bool) -> None:
    # GetAccountAuthorizationDetails: "Policies returned by this operation are URL-encoded
    # compliant with RFC 3986".
    encoded = quote(json.dumps(DOC), safe="")
    if lower:
        encoded = encoded.replace("%7B", "%7b").replace("%22", "%22")
    assert encoded.startswith("%7")
    parsed = parse_policy(encoded, name="inline", kind=PolicyKind.INLINE)
    assert parsed.document == DOC
    assert parsed.text == json.dumps(DOC)


def test_url_encoded_text_keeps_percent_inside_json() -> None:
    # Plain JSON whose values hold escapes is not decoded twice.
    document = {
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/%7Bx%7D"}]
    }
    parsed = parse_policy(json.dumps(document), name="p", kind=PolicyKind.INLINE)
    assert parsed.document == document


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param('{"Statement": [}', "line 1 column 16", id="broken-json"),
        pytest.param("%7B%22Statement%22", "not valid JSON", id="broken-url-encoded"),
        pytest.param("", "not valid JSON", id="empty"),
    ],
)
def test_unreadable_text(text: str, words: str) -> None:
    with pytest.raises(PolicyParseError, match=words) as raised:
        parse_policy(text, name="p", kind=PolicyKind.INLINE, location="file.json")
    assert raised.value.location == "file.json $"
    assert isinstance(raised.value, InputError)


def test_validation_does_not_change_the_document() -> None:
    document = with_statement(Condition={"StringEquals": {"aws:SourceAccount": ["1", 2, True]}})
    before = json.dumps(document, sort_keys=True)
    parse_policy(document, name="p", kind=PolicyKind.INLINE)
    assert json.dumps(document, sort_keys=True) == before


def test_url_encoded_document_evaluates() -> None:
    # The raw API's encoding of Cognito's documented logs-role policy, end to end.
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Resource": ["arn:aws:logs:us-east-1:111122223333:log-group:/aws/cognito/*"],
            }
        ],
    }
    parsed = parse_policy(quote(json.dumps(document), safe=""), name="logs", kind=PolicyKind.INLINE)
    result = evaluate(
        Request(
            "logs:CreateLogStream",
            "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cognito/userpools/us-east-1_A/n",
            Principal(PrincipalKind.AWS, "arn:aws:iam::111122223333:role/logs"),
        ),
        identity=[parsed],
    )
    assert result.decision is Decision.ALLOWED
    assert [(ref.policy, ref.index) for ref in result.matched] == [("logs", 0)]
