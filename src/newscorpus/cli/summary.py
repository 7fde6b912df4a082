"""``newscorpus summary``: load a published folder with ``datasets`` and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newscorpus.cli._common import console, handles_errors

NAME = "summary"


@handles_errors
def command(
    folder: Annotated[Path, typer.Argument(help="A folder written by `newscorpus publish`.")],
    config: Annotated[str, typer.Option("--config", help="The config to load.")] = "documents",
) -> None:
    """Load FOLDER with `datasets.load_dataset` and print articles per split, entities and topics."""
    from newscorpus.publish.summary import summarize  # imports datasets: only when a command needs it

    summary = summarize(folder, config)
    console.print(f"datasets.load_dataset({str(folder)!r}, {config!r}):")
    table = Table()
    table.add_column("split")
    table.add_column("rows", justify="right")
    for split, rows in summary.rows.items():
        table.add_row(split, str(rows))
    console.print(table)
    entities = ", ".join(f"{label} {n}" for label, n in sorted(summary.entities.items())) or "none yet"
    topics = ", ".join(f"{topic} {n}" for topic, n in sorted(summary.topics.items())) or "none yet"
    console.print(f"Entities: {entities}\nTopics: {topics}")
    console.print(f"Published files: {folder.resolve()}/data/{config}/")
