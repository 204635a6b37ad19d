"""CSV preflight: one case per rule with the exact (line, rule, column) expected, bad input, split.

Rules come from the Cognito import guide (FACTS.md §2):
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool.html
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iam_audit.errors import InputError
from iam_audit.findings import Severity
from iam_audit.preflight import csvcheck
from iam_audit.preflight.csvcheck import CSV_RULES, check_csv, rule
from iam_audit.preflight.schema import PoolSchema, header_only, parse_header_text
from tests.preflight.conftest import STANDARD_HEADER, csv_bytes, make_pool, row

HEADER_LINE = ",".join(STANDARD_HEADER)

# (case id, file bytes, pool overrides, expected problems as {(line, rule, column)})
CASES: list[tuple[str, bytes, dict[str, object], set[tuple[int, str, str | None]]]] = [
    ("clean", csv_bytes([row(), row(cognito__username="user2")]), {}, set()),
    (
        "clean-crlf-escaped-comma-lowercase-bool",
        csv_bytes(
            [row(address="1 Main St\\, Apt 2", email_verified="true"), row(cognito__username="u2")],
            newline="\r\n",
        ),
        {},
        set(),
    ),
    (
        "clean-all-formats",
        csv_bytes(
            [
                row(
                    birthdate="02/01/1985",
                    updated_at="1471453471",
                    phone_number="+14325551212",
                    phone_number_verified="TRUE",
                    custom__tier="5",
                    custom__team="ops",
                    cognito__mfa_enabled="FALSE",
                )
            ]
        ),
        {},
        set(),
    ),
    ("utf8-bom", b"\xef\xbb\xbf" + csv_bytes([row()]), {}, {(1, "utf8-bom", None)}),
    (
        "not-utf8",
        csv_bytes([row()]) + row(cognito__username="u2", name="Jos\xe9").encode("latin-1") + b"\n",
        {},
        {(3, "not-utf8", None)},
    ),
    (
        "header-missing-column",
        csv_bytes([row(header=STANDARD_HEADER[:-1])], header=STANDARD_HEADER[:-1]),
        {},
        {(1, "header-missing-column", "custom:team")},
    ),
    (
        "header-unknown-column",
        csv_bytes(
            [row(header=(*STANDARD_HEADER, "custom:nope"))],
            header=(*STANDARD_HEADER, "custom:nope"),
        ),
        {},
        {(1, "header-unknown-column", "custom:nope")},
    ),
    (
        "header-duplicate-column",
        csv_bytes([row(header=(*STANDARD_HEADER, "email"))], header=(*STANDARD_HEADER, "email")),
        {},
        {(1, "header-duplicate-column", "email")},
    ),
    (
        "pool-no-auto-verified-attribute",
        csv_bytes([row()]),
        {"AutoVerifiedAttributes": []},
        {(1, "pool-no-auto-verified-attribute", None)},
    ),
    (
        "row-too-long",
        csv_bytes([row(name="x" * 16_001)]),
        {},
        {
            (2, "row-too-long", None),
            (2, "string-length", "name"),
        },
    ),
    (
        "blank-line",
        csv_bytes([row(), "", row(cognito__username="u2")]),
        {},
        {(3, "blank-line", None)},
    ),
    (
        "column-count-unescaped-comma",
        csv_bytes([row(address="1 Main St, Apt 2")]),
        {},
        {(2, "column-count", None)},
    ),
    (
        "column-count-rfc4180-quotes",
        csv_bytes([row(address='"1 Main St, Apt 2"')]),
        {},
        {(2, "column-count", None)},
    ),
    (
        "username-missing",
        csv_bytes([row(cognito__username="")]),
        {},
        {(2, "username-missing", "cognito:username")},
    ),
    (
        "username-space",
        csv_bytes([row(cognito__username="john doe")]),
        {},
        {(2, "username-whitespace", "cognito:username")},
    ),
    (
        "username-tab",
        csv_bytes([row(cognito__username="john\tdoe")]),
        {},
        {(2, "username-whitespace", "cognito:username")},
    ),
    (
        "username-129-chars",
        csv_bytes([row(cognito__username="u" * 129)]),
        {},
        {(2, "string-length", "cognito:username")},
    ),
    (
        "duplicate-username",
        csv_bytes([row(), row(cognito__username="user2"), row(email="other@example.com")]),
        {},
        {(4, "duplicate-username", "cognito:username")},
    ),
    (
        "duplicate-username-after-trim",
        csv_bytes([row(), row(cognito__username=" user1 ")]),
        {},
        {(3, "duplicate-username", "cognito:username")},
    ),
    (
        "duplicate-alias",
        csv_bytes([row(), row(cognito__username="user2")]),
        {"AliasAttributes": ["email"]},
        {(3, "duplicate-alias", "email")},
    ),
    (
        "duplicate-alias-unverified-ok",
        csv_bytes(
            [
                row(),
                row(
                    cognito__username="user2",
                    email_verified="FALSE",
                    phone_number="+14325551212",
                    phone_number_verified="TRUE",
                ),
            ]
        ),
        {"AliasAttributes": ["email"], "AutoVerifiedAttributes": ["email", "phone_number"]},
        set(),
    ),
    (
        "email-verified-without-email",
        csv_bytes([row(email="")]),
        {},
        {(2, "email-verified-without-email", "email")},
    ),
    (
        "phone-verified-without-phone",
        csv_bytes([row(phone_number_verified="TRUE")]),
        {},
        {(2, "phone-verified-without-phone", "phone_number")},
    ),
    (
        "no-auto-verified-attribute-true",
        csv_bytes([row(email_verified="FALSE")]),
        {},
        {(2, "no-auto-verified-attribute-true", "email_verified")},
    ),
    (
        "two-auto-verified-one-true",
        csv_bytes(
            [row(email_verified="FALSE", phone_number="+14325551212", phone_number_verified="TRUE")]
        ),
        {"AutoVerifiedAttributes": ["email", "phone_number"]},
        set(),
    ),
    (
        "required-attribute-missing",
        csv_bytes([row(family_name="")]),
        {},
        {(2, "required-attribute-missing", "family_name")},
    ),
    (
        "invalid-boolean",
        csv_bytes([row(email_verified="yes")]),
        {},
        {
            (2, "invalid-boolean", "email_verified"),
            (2, "no-auto-verified-attribute-true", "email_verified"),
        },
    ),
    (
        "phone-spaces",
        csv_bytes([row(phone_number="+1 425 555 1212")]),
        {},
        {(2, "phone-not-e164", "phone_number")},
    ),
    (
        "phone-no-plus",
        csv_bytes([row(phone_number="14255551212")]),
        {},
        {(2, "phone-not-e164", "phone_number")},
    ),
    (
        "phone-too-short",
        csv_bytes([row(phone_number="+1234")]),
        {},
        {(2, "phone-not-e164", "phone_number")},
    ),
    (
        "phone-not-valid",
        csv_bytes([row(phone_number="+11234567890")]),
        {},
        {(2, "phone-not-valid", "phone_number")},
    ),
    (
        "email-invalid",
        csv_bytes([row(email="john.example.com")]),
        {},
        {(2, "email-invalid", "email")},
    ),
    (
        "birthdate-iso",
        csv_bytes([row(birthdate="1985-02-01")]),
        {},
        {(2, "birthdate-format", "birthdate")},
    ),
    (
        "birthdate-impossible",
        csv_bytes([row(birthdate="02/30/1985")]),
        {},
        {(2, "birthdate-format", "birthdate")},
    ),
    (
        "updated-at-not-epoch",
        csv_bytes([row(updated_at="2020-01-01")]),
        {},
        {(2, "updated-at-not-epoch", "updated_at")},
    ),
    (
        "updated-at-milliseconds",
        csv_bytes([row(updated_at="1700000000000")]),
        {},
        {(2, "updated-at-milliseconds", "updated_at")},
    ),
    (
        "mfa-off-true",
        csv_bytes([row(cognito__mfa_enabled="TRUE")]),
        {},
        {(2, "mfa-enabled-mismatch", "cognito:mfa_enabled")},
    ),
    (
        "mfa-on-false",
        csv_bytes([row(cognito__mfa_enabled="FALSE")]),
        {"MfaConfiguration": "ON"},
        {(2, "mfa-enabled-mismatch", "cognito:mfa_enabled")},
    ),
    # current doc: blank is allowed whatever the MFA setting (the ≤2023 doc forbade it for OPTIONAL)
    ("mfa-on-blank", csv_bytes([row()]), {"MfaConfiguration": "ON"}, set()),
    (
        "mfa-optional-any",
        csv_bytes([row(cognito__mfa_enabled="TRUE"), row(cognito__username="u2")]),
        {"MfaConfiguration": "OPTIONAL"},
        set(),
    ),
    (
        "number-invalid",
        csv_bytes([row(custom__tier="gold")]),
        {},
        {(2, "number-invalid", "custom:tier")},
    ),
    (
        "number-out-of-range",
        csv_bytes([row(custom__tier="9")]),
        {},
        {(2, "number-out-of-range", "custom:tier")},
    ),
    (
        "string-too-short",
        csv_bytes([row(custom__team="x")]),
        {},
        {(2, "string-length", "custom:team")},
    ),
    (
        "string-too-long",
        csv_bytes([row(custom__team="x" * 11)]),
        {},
        {(2, "string-length", "custom:team")},
    ),
    (
        "standard-over-2048",
        csv_bytes([row(nickname="n" * 2049)]),
        {},
        {(2, "string-length", "nickname")},
    ),
    ("quoted-value", csv_bytes([row(name='"John"')]), {}, {(2, "quoted-value", "name")}),
]


def _problems(data: bytes, pool: PoolSchema, **kwargs: object) -> csvcheck.CsvReport:
    return check_csv(io.BytesIO(data), pool, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_case(
    data: bytes, overrides: dict[str, object], expected: set[tuple[int, str, str | None]]
) -> None:
    report = _problems(data, make_pool(**overrides))
    assert {(p.line, p.rule, p.column) for p in report.problems} == expected
    errors = {r for _, r, _ in expected if rule(r).severity is Severity.ERROR}
    assert report.failed is bool(errors)


def test_every_rule_has_a_case() -> None:
    covered = {r for case in CASES for _, r, _ in case[3]}
    covered |= {"file-too-large", "too-many-users"}  # limits: tested below with lowered limits
    assert covered == {r.id for r in CSV_RULES}


def test_rule_ids_are_unique_kebab_case() -> None:
    ids = [r.id for r in CSV_RULES]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i and "_" not in i for i in ids)


def test_file_too_large_reported_at_the_crossing_line(monkeypatch: pytest.MonkeyPatch) -> None:
    data = csv_bytes([row(cognito__username=f"u{i}") for i in range(5)])
    lines = data.splitlines(keepends=True)
    # the limit falls inside line 4 (header + 2 users fit)
    monkeypatch.setattr(csvcheck, "MAX_FILE_BYTES", sum(len(x) for x in lines[:3]) + 1)
    report = _problems(data, make_pool())
    assert [(p.line, p.rule) for p in report.problems] == [(4, "file-too-large")]


def test_too_many_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvcheck, "MAX_USERS", 2)
    report = _problems(csv_bytes([row(cognito__username=f"u{i}") for i in range(4)]), make_pool())
    assert [(p.line, p.rule) for p in report.problems] == [(4, "too-many-users")]


def test_overlong_line_is_rejected_and_copied_byte_for_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_row = row(cognito__username="u2", address="A" * 3 * len(HEADER_LINE))
    data = csv_bytes([row(), long_row, row(cognito__username="u3")])
    # lower the read cap so line 3 is "overlong" (the header still fits in one read)
    monkeypatch.setattr(csvcheck, "_LINE_CAP", len(HEADER_LINE) + 2)
    clean, rejects = io.BytesIO(), io.BytesIO()
    report = _problems(data, make_pool(), clean=clean, rejects=rejects)
    assert [(p.line, p.rule) for p in report.problems] == [(3, "row-too-long")]
    assert rejects.getvalue() == (HEADER_LINE + "\n" + long_row + "\n").encode()
    assert clean.getvalue() == csv_bytes([row(), row(cognito__username="u3")])


def test_first_n_per_rule_and_full_counts() -> None:
    data = csv_bytes([row()] * 6 + [row(cognito__username="u2", email_verified="FALSE")])
    report = _problems(data, make_pool(), max_per_rule=2)
    assert [(p.line, p.rule) for p in report.problems] == [
        (3, "duplicate-username"),
        (4, "duplicate-username"),
        (8, "no-auto-verified-attribute-true"),
    ]
    assert dict(report.counts) == {"duplicate-username": 5, "no-auto-verified-attribute-true": 1}
    summary = report.summary()
    assert summary["users"] == 7
    assert summary["rejected_users"] == 6
    assert summary["clean_users"] == 1
    assert summary["rules"]["duplicate-username"] == {"severity": "error", "count": 5}


def test_json_shape() -> None:
    report = _problems(csv_bytes([row(email="bad")]), make_pool())
    data = report.as_dict()
    assert set(data) == {"problems", "summary"}
    assert data["problems"] == [
        {
            "line": 2,
            "column": "email",
            "rule": "email-invalid",
            "message": "email 'bad' is not an email address",
        }
    ]


def test_header_message_names_expected_header_and_command() -> None:
    report = _problems(
        csv_bytes([row(header=STANDARD_HEADER[1:])], header=STANDARD_HEADER[1:]), make_pool()
    )
    (problem,) = report.problems
    assert problem.rule == "header-missing-column"
    assert HEADER_LINE in problem.message
    assert "aws cognito-idp get-csv-header --user-pool-id us-east-1_Example1" in problem.message


def test_header_order_does_not_matter() -> None:
    header = tuple(reversed(STANDARD_HEADER))
    report = _problems(csv_bytes([row(header=header)], header=header), make_pool())
    assert report.problems == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01\x02PK\x03\x04binary", "binary"),
        ("cognito:username,email\nu1,a@b.c\n".encode("utf-16"), "UTF-16"),
        (HEADER_LINE.encode() + b"\n", "no users"),
        (HEADER_LINE.encode() + b"\n\n\n", "no users"),
        (HEADER_LINE.replace(",", ";").encode() + b"\nu1;x\n", "semicolons"),
        (HEADER_LINE.replace(",", "\t").encode() + b"\nu1\tx\n", "tabs"),
        (b"name,\xe9t\xe9\n" + row().encode() + b"\n", "not UTF-8"),
        # past the first 8 KiB the sniff does not see it; the first pass does
        (
            csv_bytes([row(cognito__username=f"u{i}") for i in range(200)]) + b"u\x00,x\n",
            "binary data at line 202",
        ),
    ],
    ids=[
        "empty",
        "binary",
        "utf16",
        "header-only",
        "header-blank-lines",
        "semicolons",
        "tabs",
        "latin1-header",
        "nul-later",
    ],
)
def test_bad_input_raises_before_writing(data: bytes, message: str) -> None:
    clean, rejects = io.BytesIO(), io.BytesIO()
    with pytest.raises(InputError, match=message):
        _problems(data, make_pool(), clean=clean, rejects=rejects)
    assert clean.getvalue() == b""
    assert rejects.getvalue() == b""


def test_split_is_byte_for_byte() -> None:
    lines = [
        row(),
        row(cognito__username="u2", email_verified="nope"),
        row(cognito__username="u3", address="  padded\\, kept  "),
        "",
        row(),  # duplicate of line 2
        row(cognito__username="u6", name='"Quoted"'),  # warning only: stays clean
    ]
    data = csv_bytes(lines, newline="\r\n")
    clean, rejects = io.BytesIO(), io.BytesIO()
    report = _problems(data, make_pool(), clean=clean, rejects=rejects)
    original = data.splitlines(keepends=True)
    assert clean.getvalue() == b"".join([original[0], original[1], original[3], original[6]])
    assert rejects.getvalue() == b"".join([original[0], original[2], original[4], original[5]])
    assert report.rejected_users == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["u1", "u2", "u3", "a b", ""]),
            st.sampled_from(["TRUE", "FALSE", "true", "x", ""]),
            st.text(alphabet='ab ,\\"é', max_size=8),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["\n", "\r\n"]),
)
def test_split_round_trip_property(rows: list[tuple[str, str, str]], newline: str) -> None:
    """Whatever the rows, clean + rejects hold every data line exactly once, unchanged, in order."""
    lines = [
        row(cognito__username=u, email_verified=v, address=a.replace(",", "\\,"))
        for u, v, a in rows
    ]
    data = csv_bytes(lines, newline=newline)
    clean, rejects = io.BytesIO(), io.BytesIO()
    _problems(data, make_pool(), clean=clean, rejects=rejects)
    original = data.splitlines(keepends=True)
    kept = clean.getvalue().splitlines(keepends=True)
    dropped = rejects.getvalue().splitlines(keepends=True)
    assert kept[0] == dropped[0] == original[0]
    assert sorted(kept[1:] + dropped[1:]) == sorted(original[1:])
    # each side keeps the file's order: it is a subsequence of the data lines
    for side in (kept[1:], dropped[1:]):
        rest = iter(original[1:])
        assert all(line in rest for line in side)


def test_header_file_accepts_json_and_line() -> None:
    as_json = parse_header_text('{"CSVHeader": ["cognito:username", "email"], "UserPoolId": "x"}')
    assert as_json == ("cognito:username", "email")
    assert parse_header_text("\ufeffcognito:username, email\nu1,a@b.c\n") == as_json
    with pytest.raises(InputError):
        parse_header_text('{"Header": []}')
    with pytest.raises(InputError):
        parse_header_text("  \n")


def test_header_only_skips_the_schema_rules_and_keeps_the_others() -> None:
    """Rows that break every rule needing describe-user-pool, and three that do not."""
    schema_breakers = [
        row(family_name=""),  # required-attribute-missing (family_name is required in describe())
        row(cognito__username="u2", email_verified="FALSE"),  # no auto-verified attribute TRUE
        row(cognito__username="u3", custom__tier="9"),  # number-out-of-range (1-5)
        row(cognito__username="u4", custom__tier="many"),  # number-invalid
        row(cognito__username="u5", custom__team="x"),  # string-length (2-10)
        row(cognito__username="u6", cognito__mfa_enabled="TRUE"),  # MFA is OFF in describe()
    ]
    others = [
        row(cognito__username="u7", phone_number="0612345678"),
        row(cognito__username="u8", email="bad"),
        row(cognito__username="u8"),
    ]
    data = csv_bytes(schema_breakers + others)
    described = _problems(data, make_pool(AliasAttributes=["email"]))
    assert {p.rule for p in described.problems} >= {
        "required-attribute-missing",
        "no-auto-verified-attribute-true",
        "number-out-of-range",
        "number-invalid",
        "string-length",
        "mfa-enabled-mismatch",
    }
    assert described.notes == ()
    report = _problems(data, header_only(STANDARD_HEADER))
    assert {(p.line, p.rule) for p in report.problems} == {
        (8, "phone-not-e164"),
        (9, "email-invalid"),
        (10, "duplicate-username"),
    }
    assert report.notes == (csvcheck.SCHEMA_SKIPPED_NOTE,)
    assert all(r in csvcheck.SCHEMA_SKIPPED_NOTE for r in csvcheck.SCHEMA_RULES)
    # a pool without auto-verified attribute fails the job; an unknown pool does not
    assert not _problems(csv_bytes([row()]), header_only(STANDARD_HEADER)).failed
    assert _problems(csv_bytes([row()]), make_pool(AutoVerifiedAttributes=[])).failed


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", ",", "\\", " ", '"', "é", "\x00"]), max_size=30))
def test_fields_are_the_documented_split(text: str) -> None:
    """A comma splits, ``\\,`` is a comma inside a value (whatever surrounds it): the fields
    :func:`csvcheck._parts` makes, with its stand-in for ``\\,`` read back as a comma where it
    says it used one (as both passes read a value)."""

    def fields(limit: int = -1) -> list[str]:
        parts, escaped = csvcheck._parts(text, limit)
        return [p.replace(csvcheck._ESCAPED, ",") for p in parts] if escaped else parts

    expected = [f.replace("\\,", ",") for f in csvcheck._SPLIT.split(text)]
    assert fields() == expected
    assert csvcheck._width(text) == len(expected)
    for limit in range(len(expected)):  # pass 1 splits only as far as the columns it reads
        assert fields(limit + 1)[:limit] == expected[:limit]


def test_values_past_the_memo_are_still_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each column remembers the problems of its first _MEMO_SIZE distinct values only."""
    monkeypatch.setattr(csvcheck, "_MEMO_SIZE", 2)
    days = ["02/01/1985", "02/02/1985", "02/03/1985", "1985-02-04", "02/01/1985", "1985-02-04"]
    data = csv_bytes([row(cognito__username=f"u{i}", birthdate=d) for i, d in enumerate(days)])
    report = _problems(data, make_pool())
    assert [(p.line, p.rule) for p in report.problems] == [
        (5, "birthdate-format"),
        (7, "birthdate-format"),
    ]


@pytest.mark.parametrize(
    ("blank", "found"),
    [
        ("", "blank-line"),
        ("   ", "blank-line"),
        ("\t \x0b\x0c", "blank-line"),
        ("\u00a0", "column-count"),  # not ASCII white space: one value, not a blank row
        ("\u3000 \u2003", "column-count"),
    ],
)
def test_a_row_said_blank_goes_to_the_rejects_file(blank: str, found: str) -> None:
    """The blank-line problem says the --write-clean file leaves the row out: a row reported
    blank is not a user and goes to the rejects file; any other row is a user, checked (a row
    of Unicode spaces only is one value: a column count problem, rejected too)."""
    data = csv_bytes([row(), blank, row(cognito__username="u3")])
    clean, rejects = io.BytesIO(), io.BytesIO()
    report = _problems(data, make_pool(), clean=clean, rejects=rejects)
    line = data.splitlines(keepends=True)[2]
    assert [(p.line, p.rule) for p in report.problems] == [(3, found)]
    assert line in rejects.getvalue().splitlines(keepends=True)
    assert line not in clean.getvalue().splitlines(keepends=True)
    assert report.users == (2 if found == "blank-line" else 3)
    assert report.rejected_users == (0 if found == "blank-line" else 1)
