"""The Typer app (placeholder while the commands are written)."""

import typer

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)


@app.command()
def checks() -> None:
    """List the check catalogue."""


def main() -> None:
    app()
