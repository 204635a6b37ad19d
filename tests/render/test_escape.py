"""The escaping module, function by function: what each output needs, and nothing more.

Ordinary text (names, ARNs, non-ASCII letters) must pass unchanged, so golden files stay as they
are; what a terminal, a CI log, Markdown, XML or a shell would act on is shown as visible text.
"""

from __future__ import annotations

import random
import shlex
import xml.etree.ElementTree as ET

import pytest

from iam_audit.render.escape import (
    for_markdown_code,
    for_markdown_text,
    for_terminal,
    for_xml,
    guard_lines,
    redact_url,
    shell,
    shell_command,
)
from tests.hostile import PAYLOAD_IDS, PAYLOADS, outside_code_spans, raw_characters, table_cells

ORDINARY = [
    "arn:aws:iam::111122223333:role/service-role/<ImportLogsRole>",
    "Müller-Lüdenscheid 日本語 🙂 café",
    "logs:* on arn:aws:logs:eu-west-1:111122223333:log-group:/aws/cognito/*",
    "a::b (a colon pair inside a value is not a workflow command)",
    "C:\\Users\\ci\\stack.yaml",
    "",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_unchanged_for_the_terminal(text: str) -> None:
    assert for_terminal(text) == text
    assert for_xml(text) == text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("nul\x00", "nul\\x00"),
        ("del\x7f", "del\\x7f"),
        ("c1 \x85 \x9b", "c1 \\x85 \\x9b"),  # NEL and CSI: C1 controls
        ("\u202eexe.txt", "\\u202eexe.txt"),  # RIGHT-TO-LEFT OVERRIDE
        ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),  # bidi isolates
        ("\u200e\u200f\u200b\ufeff", "\\u200e\\u200f\\u200b\\ufeff"),  # marks, zero width, BOM
        ("\u2028\u2029", "\\u2028\\u2029"),  # line and paragraph separators
        ("\ud800", "\\ud800"),  # a lone surrogate (surrogateescape'd bytes)
        ("\ufffe\uffff\U0001fffe", "\\ufffe\\uffff\\U0001fffe"),  # noncharacters
        ("\U000e0001", "\\U000e0001"),  # LANGUAGE TAG (format, invisible)
        ("::error::forged", "\\x3a:error::forged"),
        ("  ::add-mask::x", "  \\x3a:add-mask::x"),
        ("\n::error::x", "\\n::error::x"),
    ],
)
def test_for_terminal_shows_what_a_terminal_would_act_on(value: str, shown: str) -> None:
    assert for_terminal(value) == shown
    assert raw_characters(for_terminal(value)) == []


def test_for_xml_accepts_every_code_point() -> None:
    """XML 1.0 §2.2 "Characters": Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
    [#x10000-#x10FFFF]; whatever we put in, ElementTree's output parses back."""
    text = "".join(chr(c) for c in [*range(0, 0x3000), *range(0xD7F0, 0x10000), 0x10FFFF])
    element = ET.Element("failure", {"message": for_xml(text)})
    element.text = for_xml(text)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.text == for_xml(text)
    assert parsed.attrib["message"] == for_xml(text)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("a``b", "```a``b```"),
        ("`start", "`` `start ``"),
        ("end`", "`` end` ``"),
        ("<img src=x>", "`<img src=x>`"),
        ("line\nbreak", "`line\\nbreak`"),
    ],
)
def test_for_markdown_code_fences_past_every_backtick_run(value: str, code: str) -> None:
    assert for_markdown_code(value) == code


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_a_code_span_holds_the_whole_value(kind: str, payload: str) -> None:
    """By CommonMark's code span rule (an independent parser in tests/hostile.py), the span is
    one span from start to end: nothing of the value is outside it."""
    assert outside_code_spans(for_markdown_code(payload)) == "CODE"
    cell = for_markdown_code(payload, in_table=True)
    assert table_cells(f"| {cell} | x |") == 2
    assert "\n" not in cell


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain words", "plain words"),
        ("<script>", "&lt;script&gt;"),
        ("a & b", "a &amp; b"),
        ("*em* [x](y) `c` a|b \\", "\\*em\\* \\[x\\](y) \\`c\\` a\\|b \\\\"),
        ("two\nlines", "two\\\\nlines"),  # the visible \n, its backslash escaped for Markdown
    ],
)
def test_for_markdown_text(value: str, text: str) -> None:
    assert for_markdown_text(value) == text


@pytest.mark.parametrize(("kind", "payload"), PAYLOADS, ids=PAYLOAD_IDS)
def test_shell_words_round_trip(kind: str, payload: str) -> None:
    command = shell_command(["iam-audit", "rollback", payload, "--role", payload])
    assert shlex.split(command) == ["iam-audit", "rollback", payload, "--role", payload]
    assert shlex.split(shell(payload)) == [payload]


def test_shell_leaves_plain_words_alone() -> None:
    assert shell_command(["aws", "cognito-idp", "--user-pool-id", "eu-west-1_AbC"]) == (
        "aws cognito-idp --user-pool-id eu-west-1_AbC"
    )
    assert shell("arn:aws:iam::111122223333:role/x") == "arn:aws:iam::111122223333:role/x"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("http://user:secret@10.0.0.5:4566/", "http://***@10.0.0.5:4566/"),
        ("https://token@proxy.example", "https://***@proxy.example"),
        (
            'Could not connect to the endpoint URL: "http://a:b@127.0.0.1:9/"',
            'Could not connect to the endpoint URL: "http://***@127.0.0.1:9/"',
        ),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000/"),
        ("mail ops@example.com about it", "mail ops@example.com about it"),
        ("http://host/path@v2", "http://host/path@v2"),  # an @ in the path is not userinfo
    ],
)
def test_redact_url(text: str, redacted: str) -> None:
    assert redact_url(text) == redacted


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ('{\n  "a": "::error::x"\n}\n', '{\n  "a": "::error::x"\n}\n'),  # JSON: unchanged
        ("ok\n::error::forged\n", "ok\n\\x3a:error::forged\n"),
        ("  ::warning::x", "  \\x3a:warning::x"),
        ("plain", "plain"),
        ("::", "\\x3a:"),
        ("a\n\u3000::x", "a\n\u3000\\x3a:x"),  # any white space str.isspace knows
        ("\x1c::x\n", "\x1c\\x3a:x\n"),
        ("a\r\n::x", "a\r\n\\x3a:x"),
        ("a\n\n \t\n::x", "a\n\n \t\n\\x3a:x"),
        ("a ::x\n b::c\n\u200b::d", "a ::x\n b::c\n\u200b::d"),  # U+200B is no white space
    ],
)
def test_guard_lines(text: str, guarded: str) -> None:
    assert guard_lines(text) == guarded


def test_guard_lines_guards_exactly_the_lines_that_start_a_command() -> None:
    """Every line whose text after its white space starts with ``::`` (GitHub's rule: "a
    workflow command ... on its own line"), and no other, has its first colon escaped, whatever
    white space and line breaks surround it (the whole output is scanned once, not line by
    line, when no line needs it)."""
    rng = random.Random(14)
    alphabet = ["\n", " ", "\t", "\r", "\x0b", "\x85", "\u3000", "\u200b", ":", "::", "a"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        lines = text.split("\n")
        expected = [
            line.replace(":", "\\x3a", 1) if line.lstrip().startswith("::") else line
            for line in lines
        ]
        assert guard_lines(text).split("\n") == expected, repr(text)
