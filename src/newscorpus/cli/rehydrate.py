"""``newscorpus rehydrate``: fill a stand-off publication's texts back in from the user's own copies."""

from __future__ import annotations

import dataclasses
import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import JsonOption, console, handles_errors
from newscorpus.core.plural import plural

NAME = "rehydrate"


@handles_errors
def command(
    published: Annotated[Path, typer.Argument(help="The stand-off folder `newscorpus publish --standoff` wrote.")],
    source: Annotated[Path, typer.Option("--from", help="Your copies of the articles: a raw file or a folder.")],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the full publication to.")],
    json: JsonOption = False,
) -> None:
    """Fill the withheld texts of PUBLISHED back in from your copies; exit 1 if any is missing or does not match."""
    from newscorpus.publish.folder import rehydrate  # imports pyarrow: only when a command needs it

    result = rehydrate(published, source, out)
    if json:
        console.print_json(jsonlib.dumps({**dataclasses.asdict(result), "complete": result.complete}))
    else:
        console.print(f"Filled {plural(len(result.filled), 'text')} back in; wrote {out}.")
        for article_id in result.missing:
            console.print(f"[red]Missing[/] {article_id}: no copy with its id or URL")
        for article_id, why in result.mismatched:
            console.print(f"[red]Not the published text[/] {article_id}: {why}")
    if not result.complete:
        raise typer.Exit(1)
