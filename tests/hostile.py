"""Hostile strings and the checks that an output carrying them is not forged.

Used by the injection tests of every output format (tests/render/test_injection.py,
tests/preflight/test_injection.py). Each payload is one way a name from a pull request's template,
an account file or a log line has been seen (issue 9) to forge output: a newline that starts a
GitHub Actions workflow command, backticks that break out of a Markdown code span into HTML, ESC
sequences, CR, NUL, bidi overrides, characters XML 1.0 forbids, shell metacharacters.
"""

from __future__ import annotations

import re
import unicodedata

#: (id, payload). Every payload is a valid Python string; none contains ``/`` unless it is the
#: point (a role name's last path part is shown as its label).
PAYLOADS: list[tuple[str, str]] = [
    ("newline-error", "evil\n::error::forged PASS"),
    ("newline-add-mask", "x\n::add-mask::hunter2\n  ::warning file=a::b"),
    ("leading-workflow", "::error title=forged::PASS"),
    ("cr", "ok\r  PASS  COG001 forged"),
    ("double-backtick-img", "a``<img src=x onerror=alert(1)>``b"),
    ("backtick-script", "`<script>alert(1)</script>`"),
    ("esc", "role\x1b[2J\x1b[31mRED\x1b]8;;http://x\x07link\x1b[0m"),
    ("nul", "a\x00b"),
    ("bidi", "admin\u202egnp.exe\u2066x\u2069\u200e\u200f\u2067\u2068"),
    ("xml-forbidden", "a\x01b\x0bc\ufffed\x7f"),
    ("shell", '$(touch /tmp/pwned)\'; rm -rf ~ `id` "$HOME"'),
    ("pipes-html", "a|b <b>bold</b> &amp; [link](javascript:x) *em* \\"),
]
PAYLOAD_IDS = [p[0] for p in PAYLOADS]

#: Characters that must never reach a terminal raw: controls but newline, the invisible format
#: and bidi characters (category Cf), line/paragraph separators, surrogates.
_RAW = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def raw_characters(text: str) -> list[str]:
    """The characters of ``text`` a terminal would act on or hide (newline allowed)."""
    return [
        repr(c)
        for c in text
        if c != "\n" and (ord(c) < 0x20 or unicodedata.category(c) in _RAW or c == "\ufffe")
    ]


def workflow_lines(text: str) -> list[str]:
    """Lines GitHub Actions would read as workflow commands (``::`` after leading space)."""
    return [line for line in text.split("\n") if line.lstrip().startswith("::")]


def assert_terminal_safe(text: str) -> None:
    """No raw control, bidi or format character; no line that is a workflow command."""
    assert raw_characters(text) == [], text
    assert workflow_lines(text) == [], text


def outside_code_spans(line: str) -> str:
    """``line`` without its Markdown code spans (CommonMark's rule: a backtick string opens a
    span closed by the next backtick string of the same length; ``\\``` outside is literal)."""
    out: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            out.append(line[i : i + 2])
            i += 2
            continue
        if char != "`":
            out.append(char)
            i += 1
            continue
        run_end = i
        while run_end < len(line) and line[run_end] == "`":
            run_end += 1
        size = run_end - i
        close = None
        for found in re.finditer(r"`+", line[run_end:]):
            if len(found.group(0)) == size:
                close = run_end + found.start()
                break
        if close is None:
            out.append(line[i:run_end])
            i = run_end
        else:
            out.append("CODE")
            i = close + size
    return "".join(out)


def table_cells(row: str) -> int:
    """How many cells GitHub's table extension splits ``row`` into (an escaped pipe, ``\\|``,
    never splits, inside a code span or not)."""
    pipes = 0
    i = 0
    while i < len(row):
        if row[i] == "\\":
            i += 2
            continue
        if row[i] == "|":
            pipes += 1
        i += 1
    return pipes - 1
