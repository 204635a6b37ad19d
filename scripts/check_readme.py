"""Check (or with --update, rewrite) the ``--help`` blocks in README.md.

A block is introduced by ``<!-- help: COMMAND -->`` followed by a fenced ``text`` block; it must
equal ``iam-audit COMMAND --help`` rendered at 100 columns without colour.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- help: (?P<cmd>[a-z -]*) -->\n```text\n)(?P<body>.*?)(```)", re.S)


def help_text(command: str) -> str:
    from iam_audit.cli import app

    args = [*command.split(), "--help"] if command.strip() else ["--help"]
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, args, env=env, terminal_width=100, color=False)
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"


def main() -> int:
    update = "--update" in sys.argv
    text = README.read_text(encoding="utf-8")
    stale = []

    def replace(match: re.Match[str]) -> str:
        wanted = help_text(match.group("cmd"))
        if match.group("body") != wanted:
            stale.append(match.group("cmd") or "(top level)")
        return match.group(1) + wanted + match.group(4)

    new = BLOCK.sub(replace, text)
    if update:
        README.write_text(new, encoding="utf-8")
        print(f"updated {len(stale)} help block(s)")
        return 0
    if stale:
        print(
            f"README help out of date for: {', '.join(stale)} (run scripts/check_readme.py --update)"
        )
        return 1
    print("README help blocks match --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
