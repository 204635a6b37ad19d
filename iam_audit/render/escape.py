"""The one place that makes text from input safe for the output it lands in.

Role, policy and stack names, file names, Sids, tags, ARNs, log lines and CSV values come from
templates, accounts and files that anyone may have written. Every renderer and every line the CLI
prints passes such values (and the messages that embed them) through one of these functions:

* :func:`for_terminal` — a terminal or CI log line: control characters (NUL, ESC, CR, newline…),
  C1 controls, and the invisible format and bidirectional characters (U+200E/F, U+202A-202E,
  U+2066-2069, …) become visible escapes such as ``\\x1b`` or ``\\u202e``, so a value can neither
  move the cursor, reorder what is shown, nor start a new line; a value that would begin a line
  with ``::`` (a GitHub Actions workflow command such as ``::error::`` or ``::add-mask::``) has its
  first colon escaped.
* :func:`for_markdown_text` and :func:`for_markdown_code` — GitHub-flavoured Markdown: escaped
  emphasis, links, table pipes and HTML, or a code span whose fence is longer than any run of
  backticks in the value.
* :func:`for_xml` — JUnit: characters XML 1.0 does not allow never reach the document.
* :func:`shell` and :func:`shell_command` — a command the tool suggests: every value quoted with
  :func:`shlex.quote`, so pasting it runs exactly the command shown.
* :func:`redact_url` — an endpoint URL's user name and password are never printed.
* :func:`guard_lines` — the last line of defence on whole outputs: no line starts a workflow
  command.

JSON output needs none of this: it stays the exact data. Text that is not from input (our own
labels and templates) is never escaped, so ordinary output is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "for_markdown_code",
    "for_markdown_text",
    "for_terminal",
    "for_xml",
    "guard_lines",
    "redact_url",
    "shell",
    "shell_command",
]

#: Unicode categories never shown raw: controls, format (bidi, zero-width), line and paragraph
#: separators, surrogates (a lone one cannot even be encoded), private use and unassigned code
#: points are left alone (they are visible or harmless).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

#: The two-letter escapes a reader knows; everything else is ``\xNN``, ``\uNNNN`` or ``\UNNNNNNNN``.
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _unsafe(char: str) -> bool:
    code = ord(char)
    if code < 0x7F:
        return code < 0x20
    if unicodedata.category(char) in _UNSAFE_CATEGORIES:
        return True
    # Noncharacters (U+FDD0-FDEF and the last two of every plane, U+FFFE, U+FFFF, …): XML 1.0
    # forbids U+FFFE/U+FFFF, and none of them is text.
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _visible(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


# compiled on first use (re's own cache of patterns), not at import: only a line to guard needs it
_WORKFLOW = r"^(\s*):"
#: A line after the first that starts, after white space, with ``::``: ``\s`` is the white space
#: ``str.lstrip`` strips (both ask ``str.isspace``); it may run over line ends, which only finds a
#: later such line.
_LATER_COMMAND = r"\n\s*::"
#: The first line's.
_FIRST_COMMAND = r"\s*::"
#: A ``::`` at the start of the text or after white space: what every such line holds, found at
#: the speed of a plain search for ``::`` (the two above try a match at every line, and JSON has
#: a ``::`` in every IAM ARN: ``who-can``'s 800 KB of JSON took 19M instructions, this takes 6M).
_MAYBE_COMMAND = re.compile(r"::(?<=(?<!\S)::)")


def for_terminal(value: object) -> str:
    """``value`` as one safe run of text for a terminal, a log or stderr.

    Ordinary text (including non-ASCII letters) is unchanged. A newline in the value is shown as
    ``\\n``, so the value stays on its line; a value beginning with ``::`` has its first colon
    shown as ``\\x3a``.
    """
    text = str(value)
    if not text.isprintable() and any(_unsafe(c) for c in text):  # isprintable: the fast path
        text = "".join(_visible(c) if _unsafe(c) else c for c in text)
    if text.lstrip().startswith("::"):
        text = re.sub(_WORKFLOW, r"\1\\x3a", text, count=1)
    return text


def for_xml(value: object) -> str:
    """``value`` for XML 1.0 text or an attribute (ElementTree escapes ``<``, ``&`` and quotes).

    The characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; surrogates;
    U+FFFE, U+FFFF) cannot appear in a well-formed document; here they, like every character
    :func:`for_terminal` escapes, become visible escapes, so a CI report shows the value on one line.
    """
    return for_terminal(value)


#: Characters that start Markdown (GitHub flavoured) syntax inside a line of text.
_MARKDOWN_SPECIAL = frozenset("\\`*[]|")
_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def for_markdown_text(value: object) -> str:
    """Plain text in a Markdown paragraph, list item or table cell.

    No emphasis, links, code, table pipes or HTML: ``\\ ` * [ ] |`` are backslash-escaped and
    ``< > &`` become entities (so ``<MigrationRole>`` is shown, not swallowed as a tag). Controls
    and newlines are escaped first (:func:`for_terminal`), so the text stays on its line.
    """
    text = for_terminal(value)
    out = []
    for char in text:
        if char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(_HTML.get(char, char))
    return "".join(out)


# compiled on first use (re's own cache of patterns), not at import: Markdown's
_BACKTICKS = r"`+"


def for_markdown_code(value: object, *, in_table: bool = False) -> str:
    """``value`` as an inline code span: shown literally, HTML and all.

    The fence is one backtick longer than the longest run of backticks in the value (CommonMark
    "Code spans"), with a space inside each end when the value begins or ends with a backtick.
    In a table cell, ``|`` is escaped as ``\\|`` (GitHub's tables split cells before they parse
    code spans, and unescape ``\\|`` inside them). Controls and newlines are escaped first, so the span cannot end the line.
    """
    text = for_terminal(value)
    longest = max((len(run) for run in re.findall(_BACKTICKS, text)), default=0)
    fence = "`" * (longest + 1)
    if in_table:
        # A backslash before a pipe would escape our escape (the table reads ``\\|`` as an
        # escaped backslash and a cell border): show that backslash as ``\x5c``.
        text = text.replace("\\|", "\\x5c|").replace("|", "\\|")
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def shell(value: object) -> str:
    """One word of a suggested shell command, quoted with :func:`shlex.quote`."""
    import shlex  # only for the reports that suggest a command: every command loads this module

    return shlex.quote(str(value))


def shell_command(words: Iterable[object]) -> str:
    """A suggested command: every word quoted; ``shlex.split`` gives the words back exactly."""
    return " ".join(shell(w) for w in words)


# compiled on first use (re's own cache of patterns), not at import: an error message's
_USERINFO = r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@]*@"


def redact_url(text: object) -> str:
    """``text`` with the user name and password of every URL in it replaced by ``***``."""
    return re.sub(_USERINFO, r"\1***@", str(text))


def guard_lines(text: str) -> str:
    """``text`` with no line that GitHub Actions would read as a workflow command.

    The runner reads a line as a command when it starts with ``::`` after leading white space.
    Values are escaped where they are interpolated; this guard, applied to whole outputs, keeps
    the promise even for a line built some other way. JSON never has such a line, so exact data
    passes through unchanged.
    """
    if not _MAYBE_COMMAND.search(text) or not (
        re.match(_FIRST_COMMAND, text) or re.search(_LATER_COMMAND, text)
    ):
        return text  # no line to guard: one scan, not a split (who-can: 30,000 lines, 7 ms)
    return "\n".join(
        re.sub(_WORKFLOW, r"\1\\x3a", line, count=1) if line.lstrip().startswith("::") else line
        for line in text.split("\n")
    )
