"""Command-line conventions every command keeps, applied once to the whole app.

* A single-value option given twice is a usage error (exit 2) naming it: Click keeps the last
  value silently, so ``--region a --region b`` would audit region ``b`` and say nothing. An option
  declared as a list (``multiple``: ``--parameter``, ``--context``, ``--skip``) or a counter is
  repeatable; a plain on/off flag (``--yes``) may be said twice, which cannot change its meaning.
* A command with a ``--config`` option takes its defaults from the configuration file
  (:mod:`iam_audit.config`: ``--config FILE``, else the one found from the current folder up to
  the repository root) through Click's ``default_map``, so an option given on the command line,
  or its environment variable, wins over the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperOption

from iam_audit.cli.common import handle_errors

if TYPE_CHECKING:
    from iam_audit.config import Config

__all__ = ["IamAuditCommand", "config_of", "conventions_everywhere"]

#: Where a command finds the configuration its defaults came from (``ctx.meta``).
_CONFIG = "iam_audit.config"


def _repeatable(param: object) -> bool:
    if not isinstance(param, TyperOption):
        return True  # positional arguments are counted by their nargs, not here
    if param.multiple or param.count:
        return True
    return bool(getattr(param, "is_flag", False)) and not param.secondary_opts


class IamAuditCommand(TyperCommand):
    """A Typer command that refuses repeated single-value options and reads config defaults."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not ctx.resilient_parsing:
            # A first pass only to look: Click's parser lists a parameter once per occurrence,
            # in processing order, and keeps the raw values; the real pass converts and checks.
            opts, _, order = self.make_parser(ctx).parse_args(args=list(args))
            self._refuse_repeats(ctx, order)
            names = {param.name for param in self.get_params(ctx)}
            if "config" in names and not set(args) & set(ctx.help_option_names):
                self._config_defaults(ctx, opts.get("config"), names)
        return super().parse_args(ctx, args)

    def _refuse_repeats(self, ctx: typer.Context, order: Sequence[Any]) -> None:
        counts = Counter(param.name for param in order if not _repeatable(param))
        for param in self.get_params(ctx):
            given = counts.get(param.name, 0)
            if given > 1:
                raise typer.BadParameter(
                    f"given {given} times; it takes one value, so give it once",
                    ctx=ctx,
                    param=param,
                )

    @staticmethod
    def _config_defaults(ctx: typer.Context, named: object, params: set[str | None]) -> None:
        from iam_audit.config import load_config

        path = Path(named) if isinstance(named, str) else None
        loaded = handle_errors(load_config)(path)
        ctx.meta[_CONFIG] = loaded  # read once: `--config -` is standard input
        defaults = loaded.defaults()
        ctx.default_map = {
            **(ctx.default_map or {}),
            **{name: value for name, value in defaults.items() if name in params},
        }


def config_of(ctx: typer.Context) -> Config:
    """The configuration the command line read for this command: every command is an
    :class:`IamAuditCommand` (:func:`conventions_everywhere`), which reads it before the command
    runs whenever the command has a ``--config`` option."""
    from iam_audit.config import Config
    from iam_audit.errors import InternalError

    found = ctx.meta.get(_CONFIG)
    if not isinstance(found, Config):
        raise InternalError(f"{ctx.command_path}: the command line did not read the configuration")
    return found


def conventions_everywhere(app: typer.Typer) -> None:
    """Make every command of ``app`` and of its sub-apps an :class:`IamAuditCommand`.

    Called once, after every command is registered (a test asserts that every command of the
    app ends up one).
    """
    for info in app.registered_commands:
        if info.cls is None or not issubclass(info.cls, IamAuditCommand):
            info.cls = IamAuditCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            conventions_everywhere(group.typer_instance)
