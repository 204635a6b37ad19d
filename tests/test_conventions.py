"""Command-line conventions (issue 14 item 3), each through Typer's runner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.core import TyperOption
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.cli.conventions import SingleValueCommand

runner = CliRunner()


def said(text: str) -> str:
    """``text`` with Rich's error box and its line wrapping taken out."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _leaves(sub, (*path, name))


LEAVES = list(_leaves(typer.main.get_command(app)))


def _single_value_options() -> Iterator[tuple[tuple[str, ...], str]]:
    for path, command in LEAVES:
        for param in command.params:
            if not isinstance(param, TyperOption) or param.multiple or param.count:
                continue
            if getattr(param, "is_flag", False) or param.name == "help":
                continue
            yield path, param.opts[0]


SINGLE = list(_single_value_options())


def test_every_command_refuses_repeats() -> None:
    assert len(LEAVES) >= 12, LEAVES  # audit, fix, ..., csv check, lambda check, logs diagnose
    assert [p for p, c in LEAVES if not isinstance(c, SingleValueCommand)] == []


@pytest.mark.parametrize(("path", "option"), SINGLE, ids=[f"{' '.join(p)} {o}" for p, o in SINGLE])
def test_repeated_single_value_option_is_a_usage_error(path: tuple[str, ...], option: str) -> None:
    # Before the values are converted: two well-formed values are refused as well.
    result = runner.invoke(app, [*path, option, "one", option, "two"])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in said(result.stderr)
    assert "given 2 times; it takes one value" in said(result.stderr)


@pytest.mark.parametrize(
    "args",
    [
        # a list option is repeatable: --parameter twice is not refused by the convention
        ["audit", "--parameter", "A=1", "--parameter", "B=2"],
        # a plain flag may be said twice
        ["fix", "--yes", "--yes"],
    ],
)
def test_repeatable_options_are_not_refused(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert "given 2 times" not in result.stderr
    assert result.exit_code == 3, result.output  # nothing to audit: an input error, not usage


def test_spellings_of_one_option_count_together() -> None:
    result = runner.invoke(app, ["audit", "-f", "json", "--format", "table"])
    assert result.exit_code == 2
    assert "'--format' / '-f'" in said(result.stderr)
