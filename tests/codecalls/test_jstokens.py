"""The tokenizer tells code from strings, comments, regex literals and templates."""

from __future__ import annotations

import pytest

from iam_audit.codecalls.jstokens import tokenize


@pytest.mark.parametrize(
    ("source", "kinds"),
    [
        ("a / b / c", ["id", "punct", "id", "punct", "id"]),
        ("x = /ab+c/g.test(s)", ["id", "punct", "regex", "punct", "id", "punct", "id", "punct"]),
        ("return /x/", ["id", "regex"]),
        ("f(a) / 2", ["id", "punct", "id", "punct", "punct", "num"]),
        ("'it\\'s' // comment", ["str"]),
        ("/* a\nb */ c", ["id"]),
        (
            "`a ${b + `c ${d}`} e`",
            ["tpl", "punct", "id", "punct", "tpl", "punct", "id", "punct", "punct"],
        ),
        ("#!/usr/bin/env node\nx", ["id"]),
        ("a?.b ?? c", ["id", "punct", "id", "punct", "id"]),
        ("const r = /[/]/;", ["id", "id", "punct", "regex", "punct"]),
    ],
)
def test_token_kinds(source: str, kinds: list[str]) -> None:
    assert [t.kind for t in tokenize(source)] == kinds


def test_values_and_lines() -> None:
    tokens = tokenize('x\n"a\\nb"\n`p\nq`\ny')
    assert [(t.kind, t.value, t.line) for t in tokens] == [
        ("id", None, 1),
        ("str", "a\nb", 2),
        ("tpl", "p\nq", 3),
        ("id", None, 5),
    ]
