"""``newscorpus export germeval2014 RAW --out FILE``: an import back in its published format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import CorpusOption, console, handles_errors
from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.plural import plural
from newscorpus.ingest.exporters import export_germeval2014, imported_articles, raw_name

NAME = "export"
app = typer.Typer(help="Write an imported corpus back in its published format.", no_args_is_help=True)


@app.command("germeval2014")
@handles_errors
def germeval2014(
    raw: Annotated[
        str,
        typer.Argument(
            metavar="RAW",
            help="The imported raw file, relative to the corpus: raw/imports/germeval2014/NER-de-dev.tsv.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The TSV file to write.", show_default=False)],
    corpus: CorpusOption = Path("corpus"),
) -> None:
    """Write a GermEval 2014 import as TSV, gold corrections applied; unchanged, it is the published file."""
    name = raw_name(corpus, raw)
    articles = imported_articles(corpus, name, "germeval2014")
    atomic_write_text(out, export_germeval2014(articles, corpus / name))
    console.print(f"Wrote {plural(len(articles), 'sentence')} of {name} to {out}.", highlight=False)
