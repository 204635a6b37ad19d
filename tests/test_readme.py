"""The README's ``--help`` blocks match the CLI (``make check-readme``), and its two commands exist."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_help_blocks_match_the_cli(capsys: object) -> None:
    module = runpy.run_path(str(ROOT / "scripts" / "check_readme.py"))
    assert module["main"]() == 0


def test_readme_shows_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text
    assert "make test" in text
    assert "<!-- help: audit -->" in text
