"""``newscorpus summary``: load a published folder with ``datasets`` and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newscorpus.cli._common import console, handles_errors
from newscorpus.derive.configs import CONFIGS

NAME = "summary"


@handles_errors
def command(
    folder: Annotated[Path, typer.Argument(help="A folder written by `newscorpus publish`.")],
    config: Annotated[
        str | None,
        typer.Option("--config", help=f"The config to load: {', '.join(CONFIGS)} (default: {next(iter(CONFIGS))})."),
    ] = None,
) -> None:
    """Load FOLDER with `datasets.load_dataset` and print the rows per split and what the config counts."""
    from newscorpus.publish.summary import summarize  # imports datasets: only when a command needs it

    summary = summarize(folder, config)
    console.print(f"datasets.load_dataset({str(folder)!r}, {summary.config!r}):")
    table = Table()
    table.add_column("split")
    table.add_column("rows", justify="right")
    for split, rows in summary.rows.items():
        table.add_row(split, str(rows))
    console.print(table)
    for heading, counts in summary.counts.items():
        listed = ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "none yet"
        console.print(f"{heading.capitalize()}: {listed}")
    console.print(f"Published files: {folder.resolve()}/data/{summary.config}/")
