"""The ``newscorpus`` command line: a thin layer over the library, one module per command."""

from __future__ import annotations

import warnings
from importlib.metadata import version
from typing import TextIO

import typer

from newscorpus.cli import (
    build,
    diff,
    duplicates,
    export,
    import_,
    labelstudio,
    publish,
    rehydrate,
    schema,
    summary,
    validate,
    verify,
)

app = typer.Typer(
    name="newscorpus",
    help="Build, validate and publish the newscorpus German news corpus.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
for module in (validate, build, verify, diff, duplicates, publish, rehydrate, summary):
    app.command(name=module.NAME)(module.command)
app.add_typer(schema.app, name=schema.NAME)
app.add_typer(labelstudio.app, name=labelstudio.NAME)
app.add_typer(import_.app, name=import_.NAME)
app.add_typer(export.app, name=export.NAME)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning of the library as the CLI's other messages: what it says, not the source line it came from."""
    typer.echo(f"Warning: {message}", err=True)


def _print_version(asked: bool) -> None:
    if asked:
        from newscorpus.release.schema import schema_version  # only when asked: --help stays quick

        typer.echo(f"newscorpus {version('newscorpus')}, schema {schema_version()}")
        raise typer.Exit


@app.callback()
def _options(
    _version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and the schema's, and exit."
    ),
) -> None:
    """Take the options given before any command."""
    warnings.showwarning = _show_warning


def main() -> None:
    """Run the CLI."""
    app()
