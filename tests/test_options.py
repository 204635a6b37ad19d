"""The source options are defined once (issue 14 item 1): each option is one field of an option
group (:class:`SourceOptions`, :class:`OrgOptions`, preflight's :class:`PreflightOptions`),
expanded into single options by :func:`option_groups` wherever a command takes the group."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from iam_audit.cli import app
from iam_audit.cli import options as opt
from iam_audit.cli.preflight import PreflightOptions


def _params(*path: str) -> set[str]:
    return {p.name for p in _command(*path).params if p.name}


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


# -- each source option has one definition ------------------------------------------------------

#: What to audit, not where to read it: a preflight command's ``--user-pool-id`` is the pool it
#: reads live (``jobs`` requires it), not a selection among a source's pools, so these are not
#: compared below.
SELECTION = {
    "--lambda-role",
    "--logs-role",
    "--user-pool-arn",
    "--user-pool-id",
    "--source-pool-arn",
}


def _definitions() -> dict[str, Any]:
    """The Click option options.py's aliases make, by name: those of every field of
    :class:`SourceOptions` and :class:`OrgOptions`, as a command taking the groups gets them."""

    @opt.option_groups
    def command(
        sources: opt.SourceOptions = opt.NO_SOURCE_OPTIONS, org: opt.OrgOptions = opt.NO_ORG_OPTIONS
    ) -> None: ...

    small = typer.Typer(add_completion=False)
    small.command()(command)
    params = typer.main.get_command(small).params
    return {p.opts[0]: p for p in params if p.opts[0] not in SELECTION}


DEFINED = _definitions()


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if getattr(command, "commands", None) is not None:  # a group (Typer's own Click's)
        return [
            leaf for name, sub in command.commands.items() for leaf in _leaves(sub, (*path, name))
        ]
    return [path]


def _spelling(param: Any) -> tuple[object, ...]:
    """Everything a user sees of an option, and how Click reads it."""
    return (
        tuple(param.opts),
        tuple(param.secondary_opts),
        getattr(param, "help", None),
        getattr(param, "rich_help_panel", None),
        param.multiple,
        param.type.name,
        param.required,
        param.default,
        param.envvar,
    )


def test_the_definitions_hold_the_source_options() -> None:
    # the test below compares against these: were the set empty, it would prove nothing
    assert {
        "--template", "--cdk-out", "--stack", "--terraform-plan", "--authorization-details",
        "--parameter", "--region", "--account-id", "--profile", "--function-code", "--env",
        "--scp", "--rcp",
    } == set(DEFINED) - {"--source-authorization-details", "--source-template", "--source-profile"}  # fmt: skip


LEAF_PATHS = _leaves(typer.main.get_command(app))


@pytest.mark.parametrize("path", LEAF_PATHS, ids=" ".join)
def test_every_command_takes_its_source_options_from_the_one_definition(
    path: tuple[str, ...],
) -> None:
    """A command that takes ``--template``, ``--region``, ``--profile``, ... takes options.py's:
    the same help, panel, type and repeatability (``--template`` repeats everywhere)."""
    for param in _command(*path).params:
        defined = DEFINED.get(param.opts[0]) if param.opts else None
        if defined is not None:
            assert _spelling(param) == _spelling(defined), (path, param.opts[0])


@pytest.mark.parametrize(
    ("path", "options"),
    [
        (("lambda", "calls"), {"--template", "--cdk-out", "--stack", "--terraform-plan",
                               "--parameter", "--account-id", "--region", "--profile",
                               "--function-code", "--env"}),
        (("lambda", "check"), {"--env", "--region", "--profile"}),
        (("csv", "check"), {"--region", "--profile"}),
        (("jobs",), {"--region", "--profile"}),
        (("logs", "diagnose"), {"--region", "--profile"}),
        (("who-can",), {"--authorization-details", "--profile", "--scp", "--rcp"}),
        (("scan",), {"--region", "--profile", "--scp", "--rcp"}),
        (("rollback",), {"--region", "--profile"}),
        (("audit",), set(DEFINED)),
        (("fix",), set(DEFINED) - {"--scp", "--rcp"}),
    ],
)  # fmt: skip
def test_the_commands_take_the_source_options_they_read(
    path: tuple[str, ...], options: set[str]
) -> None:
    # so that the comparison above covers them: each of these is compared with its definition
    params = {p.opts[0] for p in _command(*path).params if p.opts}
    assert options <= params, options - params


def _command(*path: str) -> Any:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command
