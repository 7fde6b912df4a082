"""``newscorpus import germeval2014|10kgnad FILE``: a public corpus into raw/imports/, with its sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import CorpusOption, console, err_console, handles_errors, print_report
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.ingest.importers import import_file, import_path
from newscorpus.ingest.listing import relative_name
from newscorpus.ingest.parsers import parse_file

NAME = "import"
app = typer.Typer(help="Import a public German corpus, byte for byte, into raw/imports/.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="The file as published.", show_default=False)]


def _import(corpus: Path, fmt: str, file: Path, split: str | None) -> None:
    """Import, then parse the copy and say what it holds; exit 1 if any record of it is invalid."""
    existed = import_path(corpus, fmt, file).exists()
    raw = import_file(corpus, fmt, file, split)
    name = relative_name(corpus, raw)
    articles, problems = 0, []
    for result in parse_file(raw, name):
        if isinstance(result, Problem):
            problems.append(result)
        else:
            articles += 1
    print_report(problems)
    verb = "Already imported" if existed else "Imported"
    console.print(
        f"{verb}: {name}, {plural(articles, 'article')}, {plural(len(problems), 'problem')}.", highlight=False
    )
    if any(p.severity == "error" for p in problems):
        err_console.print(
            f"[bold red]Error:[/] {name} has invalid records. Fix the file, delete the copy and its sidecar, "
            "and import again; or leave them out with `newscorpus build --skip-invalid`.",
            highlight=False,
        )
        raise typer.Exit(1)


@app.command("germeval2014")
@handles_errors
def germeval2014(
    file: FileArgument,
    split: Annotated[
        str | None, typer.Option("--split", metavar="NAME", help="train, validation or test (required).")
    ] = None,
    corpus: CorpusOption = Path("corpus"),
) -> None:
    """Import a GermEval 2014 NER TSV file: one article per sentence, with its gold entities."""
    _import(corpus, "germeval2014", file, split)


@app.command("10kgnad")
@handles_errors
def gnad10k(
    file: FileArgument,
    split: Annotated[
        str | None,
        typer.Option("--split", metavar="NAME", help="train, validation or test; default: by id, 80/10/10."),
    ] = None,
    corpus: CorpusOption = Path("corpus"),
) -> None:
    """Import a 10kGNAD CSV file: one article per row, its label as gold topic. Saved as 10kgnad-<name>."""
    _import(corpus, "10kgnad", file, split)
