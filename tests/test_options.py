"""The source options are defined once (issue 14 item 1): each option is one field of an option
group (:class:`SourceOptions`, :class:`OrgOptions`, preflight's :class:`PreflightOptions`),
expanded into single options by :func:`option_groups` wherever a command takes the group."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.cli import options as opt
from iam_audit.cli.preflight import PreflightOptions


def _params(*path: str) -> set[str]:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return {p.name for p in command.params if p.name}


def _fields(group: type) -> set[str]:
    return {f.name for f in dataclasses.fields(group)}


@pytest.mark.parametrize(
    ("command", "groups"),
    [
        (("audit",), (opt.SourceOptions, opt.OrgOptions)),
        (("fix",), (opt.SourceOptions,)),
        (("simulate",), (opt.OrgOptions,)),
        (("scan",), (opt.OrgOptions,)),
        (("who-can",), (opt.OrgOptions,)),
        (("csv", "check"), (PreflightOptions,)),
        (("jobs",), (PreflightOptions,)),
        (("lambda", "check"), (PreflightOptions,)),
        (("lambda", "calls"), (PreflightOptions,)),
        (("logs", "diagnose"), (PreflightOptions,)),
    ],
)
def test_every_option_of_a_group_is_an_option_of_the_command(
    command: tuple[str, ...], groups: tuple[type, ...]
) -> None:
    params = _params(*command)
    for group in groups:
        assert _fields(group) <= params, _fields(group) - params
        assert group.__name__ not in params  # the group itself is not an option


def test_the_command_gets_the_group_built_from_its_options() -> None:
    got: list[object] = []

    @opt.option_groups
    def command(name: str, org: opt.OrgOptions = opt.NO_ORG_OPTIONS, quiet: bool = False) -> None:
        got.append((name, org, quiet))

    small = typer.Typer()
    small.command()(command)
    small.command("other")(lambda: None)  # with two commands, the command line names one
    runner = CliRunner()
    result = runner.invoke(small, ["command", "x", "--scp", "a.json", "--scp", "b.json", "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(small, ["command", "y"])
    assert result.exit_code == 0, result.output
    assert got == [
        ("x", opt.OrgOptions(scp=[Path("a.json"), Path("b.json")], rcp=None), True),
        ("y", opt.NO_ORG_OPTIONS, False),
    ]
