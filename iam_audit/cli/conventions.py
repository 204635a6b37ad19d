"""Command-line conventions every command keeps, applied once to the whole app.

A single-value option given twice is a usage error (exit 2) naming it: Click keeps the last value
silently, so ``--region a --region b`` would audit region ``b`` and say nothing. An option declared
as a list (``multiple``, e.g. ``--parameter``, ``--context``) or a counter is repeatable; a plain
on/off flag (``--yes``) may be repeated, since saying it twice cannot change what it means.
"""

from __future__ import annotations

from collections import Counter

import typer
from typer.core import TyperCommand, TyperOption

__all__ = ["SingleValueCommand", "single_value_everywhere"]


def _repeatable(param: object) -> bool:
    if not isinstance(param, TyperOption):
        return True  # positional arguments are counted by their nargs, not here
    if param.multiple or param.count:
        return True
    return bool(getattr(param, "is_flag", False)) and not param.secondary_opts


class SingleValueCommand(TyperCommand):
    """A Typer command that refuses a single-value option given more than once."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not ctx.resilient_parsing and args:
            # A first pass only to count: Click's parser lists a parameter once per occurrence
            # in its processing order; values are converted (and checked) by the real pass.
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            counts = Counter(param.name for param in order if not _repeatable(param))
            for param in self.get_params(ctx):
                given = counts.get(param.name, 0)
                if given > 1:
                    raise typer.BadParameter(
                        f"given {given} times; it takes one value, so give it once",
                        ctx=ctx,
                        param=param,
                    )
        return super().parse_args(ctx, args)


def single_value_everywhere(app: typer.Typer) -> None:
    """Make every command of ``app`` and of its sub-apps a :class:`SingleValueCommand`.

    Called once, after every command is registered; a command that names a class of its own
    keeps it when that class already is one (a test asserts that every command ends up one).
    """
    for info in app.registered_commands:
        if info.cls is None or not issubclass(info.cls, SingleValueCommand):
            info.cls = SingleValueCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            single_value_everywhere(group.typer_instance)
