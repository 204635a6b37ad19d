"""Wildcard matching: exact against a simple reference matcher, and never exponential.

IAM's wildcards: "You can use wildcard characters (* and ?) within any ARN segment ... An asterisk
(*) represents any combination of zero or more characters, and a question mark (?) represents any
single character."
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
"Including wildcard characters in resource ARNs"). Actions: "The action name is not case
sensitive" ... (reference_policies_elements_action.html); resources are case-sensitive.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_audit.engine.compile import compile_policy
from iam_audit.engine.match import ActionMatcher, Glob, Template, arn_like, glob
from iam_audit.model import PolicyDocument, PolicyKind

Pieces = tuple[tuple[str, bool], ...]


def reference(pieces: Pieces, value: str) -> bool:
    """The textbook matcher: pattern tokens against the string, memoised on (token, char)."""
    tokens: list[str] = []  # "*", "?" or "=c" for a literal character
    for text, wild in pieces:
        for char in text:
            tokens.append(char if wild and char in "*?" else "=" + char)

    @functools.cache
    def match(i: int, j: int) -> bool:
        if i == len(tokens):
            return j == len(value)
        token = tokens[i]
        if token == "*":
            return match(i + 1, j) or (j < len(value) and match(i, j + 1))
        if j == len(value):
            return False
        if token == "?":
            return match(i + 1, j + 1)
        return token[1] == value[j] and match(i + 1, j + 1)

    return match(0, 0)


pattern_text = st.text(alphabet="ab*?:", max_size=12)
value_text = st.text(alphabet="ab*?:", max_size=16)
pieces_strategy = st.lists(st.tuples(pattern_text, st.booleans()), max_size=4).map(tuple)


@st.composite
def near_instances(draw: st.DrawFn, pieces: Pieces) -> str:
    """A string the pattern matches (wildcards filled at random), then perhaps one edit: random
    strings rarely match a pattern, and the edges are where a matcher goes wrong."""
    out: list[str] = []
    for text, wild in pieces:
        for char in text:
            if wild and char == "*":
                out.append(draw(st.text(alphabet="ab:", max_size=3)))
            elif wild and char == "?":
                out.append(draw(st.sampled_from("ab:")))
            else:
                out.append(char)
    value = "".join(out)
    edit = draw(st.integers(min_value=0, max_value=3))
    if value and edit:
        at = draw(st.integers(min_value=0, max_value=len(value) - 1))
        if edit == 1:
            value = value[:at] + value[at + 1 :]
        elif edit == 2:
            value = value[:at] + draw(st.sampled_from("ab:")) + value[at:]
        else:
            value = value[:at] + draw(st.sampled_from("ab:")) + value[at + 1 :]
    return value


@settings(max_examples=600, deadline=None)
@given(pattern_text, value_text)
def test_glob_agrees_with_the_reference_on_random_strings(pattern: str, value: str) -> None:
    assert glob(pattern).fullmatch(value) is reference(((pattern, True),), value)


@settings(max_examples=1500, deadline=None)
@given(st.data(), pieces_strategy)
def test_glob_agrees_with_the_reference_near_its_matches(
    data: st.DataObject, pieces: Pieces
) -> None:
    # Literal pieces (a ${*} escape, a policy variable's value) hold * and ? as characters.
    value = data.draw(near_instances(pieces))
    assert Glob(pieces).fullmatch(value) is reference(pieces, value)


@settings(max_examples=300, deadline=None)
@given(pieces_strategy, value_text)
def test_template_pieces_agree_with_the_reference(pieces: Pieces, value: str) -> None:
    assert Glob(pieces).fullmatch(value) is reference(pieces, value)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "", True),
        ("", "", True),
        ("?", "", False),
        ("?", ":", True),
        ("a*b?c", "axxbyc", True),
        ("a*b?c", "abc", False),
        ("*?*?Z", "xZ", False),
        ("*?*?Z", "xyZ", True),
        # * spans : and / ("any combination of zero or more characters")
        (
            "arn:aws:logs:*:*:log-group:/aws/cognito/*",
            "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cognito/userpool/x:log-stream:y",
            True,
        ),
        ("arn:aws:s3:::bucket/??", "arn:aws:s3:::bucket/ab", True),
        ("arn:aws:s3:::bucket/??", "arn:aws:s3:::bucket/abc", False),
        # ARNs are case-sensitive
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", False),
    ],
)
def test_documented_cases(pattern: str, value: str, expected: bool) -> None:
    assert glob(pattern).fullmatch(value) is expected


def test_actions_compare_case_insensitively() -> None:
    # "The action name is not case sensitive" ... "iam:listaccesskeys is the same as
    # IAM:ListAccessKeys" (reference_policies_elements_action.html)
    matcher = ActionMatcher.build(("COGNITO-IDP:Admin?nitiate*",))
    assert matcher.matches("cognito-idp:admininitiateauth")
    assert not matcher.matches("cognito-idp:adminxinitiateauth")


def test_worst_patterns_are_decided_on_a_long_string() -> None:
    # "*?*?*?*?*?*?*?*?Z" took minutes with a backtracking regular expression; the answer (not
    # the time: timings are in benchmarks/match_bench.py) is what is asserted here.
    value = "arn:aws:s3:::" + "a" * 4000
    assert not glob("*?*?*?*?*?*?*?*?Z").fullmatch(value)
    assert glob("*?*?*?*?*?*?*?*?Z").fullmatch(value + "Z")
    assert not glob("*a*a*a*a*a*a*a*a*a*a*b").fullmatch(value)
    assert not Glob((("*?", True), ("*", False), ("*?*?*?*?*?", True))).fullmatch(value)


def test_arn_like_matches_segment_by_segment() -> None:
    # ArnLike: "Each of the six colon-delimited components of the ARN is checked separately and
    # each can include multi-character match wildcards (*) or single-character match wildcards
    # (?)." (reference_policies_elements_condition_operators.html, ARN condition operators)
    pieces: Pieces = (("arn:aws:lambda:*:111122223333:function:?*", True),)
    assert arn_like(pieces, "arn:aws:lambda:eu-west-1:111122223333:function:f")
    assert not arn_like(pieces, "arn:aws:lambda:eu-west-1:111122223333:function:")
    assert not arn_like(pieces, "arn:aws:lambda:eu-west-1:444455556666:function:f")


@pytest.mark.parametrize(
    ("raw", "variables"),
    [
        ("arn:aws:s3:::b/${aws:username}/*", ("aws:username",)),
        ("arn:aws:s3:::b/${ aws:PrincipalTag/team , 'none' }/*", ("aws:principaltag/team",)),
        ("${aws:username, 'a, b'}", ("aws:username",)),
        ("${aws:username, x}", ()),  # a default must be quoted: the text stays literal
        ("${'x'}", ()),
        ("${ }", ()),
        ("${" + " " * 5000 + "x}", ("x",)),  # once quadratic in the body's length
    ],
)
def test_policy_variable_bodies(raw: str, variables: tuple[str, ...]) -> None:
    # "${aws:PrincipalTag/department, 'company'}" (reference_policies_variables.html,
    # "Specifying default values")
    assert Template.build(raw, variables=True).variables == variables


def test_variable_default_is_the_quoted_text() -> None:
    template = Template.build("a/${aws:PrincipalTag/team, 'x, y'}", variables=True)
    assert template.resolve({}, set()).text() == "a/x, y"


def test_matchers_are_kept_by_the_pattern_not_the_module() -> None:
    # A template without variables resolves to one object, whose matchers are built once and
    # kept with it; nothing is shared through a module-level cache.
    template = Template.build("arn:aws:s3:::b/*", variables=True)
    first, second = template.resolve({}, set()), template.resolve({"x": ("y",)}, set())
    assert first is second
    assert first.fullmatch("arn:aws:s3:::b/k")
    assert first._glob is not None  # built by the first match, kept for the next
    assert first.arn_like("arn:aws:s3:::b/k")
    assert first._arn is not None
    assert len(first._arn) == 6
    assert glob("a*") is not glob("a*")
    # a template with a variable resolves afresh per request (another context, another value)
    variable = Template.build("arn:aws:s3:::b/${aws:username}/*", variables=True)
    alice = variable.resolve({"aws:username": ("alice",)}, {"aws:username"})
    assert alice.fullmatch("arn:aws:s3:::b/alice/k")
    assert not variable.resolve({"aws:username": ("bob",)}, {"aws:username"}).fullmatch(
        "arn:aws:s3:::b/alice/k"
    )
    assert variable.open_glob() is variable.open_glob()


def test_statement_with_the_worst_resource_is_matched() -> None:
    document = PolicyDocument(
        "worst",
        PolicyKind.INLINE,
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*?" * 40}],
        },
    )
    (statement,) = compile_policy(document).statements
    assert statement.match(
        "arn:aws:s3:::b/" + "k" * 100, None, {}, set(), check_principal=False
    ).applies
    assert not statement.match("arn:aws:s3:::b", None, {}, set(), check_principal=False).applies


#: The operators of the tables of reference_policies_elements_condition_operators.html, as
#: AWS spells them ("String condition operators", "Numeric ...", "Date ...", "Boolean ...",
#: "Binary ...", "IP address ...", "Amazon Resource Name (ARN) ...", "Null").
DOCUMENTED_OPERATORS = [
    *("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    *("StringLike", "StringNotLike"),
    *("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals"),
    *("NumericGreaterThan", "NumericGreaterThanEquals"),
    *("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan"),
    "DateGreaterThanEquals",
    *("Bool", "BinaryEquals", "IpAddress", "NotIpAddress"),
    *("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null"),
]


def test_operator_names_are_the_documented_ones() -> None:
    from iam_audit.engine.conditions import OPERATOR_NAMES

    assert sorted(OPERATOR_NAMES) == sorted(DOCUMENTED_OPERATORS)


@pytest.mark.parametrize("name", DOCUMENTED_OPERATORS)
def test_every_documented_operator_is_known_and_suggested(name: str) -> None:
    # the engine's one operator table both reads an operator (in any case) and suggests one
    from iam_audit.engine.conditions import is_known_operator, suggest_operator

    assert is_known_operator(name)
    assert is_known_operator(name.upper())
    assert not is_known_operator(name + "z")
    if name != "Null":  # "You can add IfExists to the end of any condition operator name
        # except the Null condition"
        assert is_known_operator(f"ForAnyValue:{name}IfExists")
    typo = name[:-1] + ("z" if name[-1] != "z" else "y")
    assert suggest_operator(typo) == name
    assert suggest_operator(f"ForAllValues:{typo}") == f"ForAllValues:{name}"


def test_a_suggestion_keeps_the_qualifier_and_ifexists() -> None:
    from iam_audit.engine.conditions import suggest_operator

    assert suggest_operator("ForAnyValue:StringLikIfExists") == "ForAnyValue:StringLikeIfExists"
    assert suggest_operator("Frobnicate") is None
