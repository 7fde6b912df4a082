"""``newscorpus validate``: report every problem in the corpus at once."""

from __future__ import annotations

from pathlib import Path

import typer

from newscorpus.cli._common import (
    CorpusOption,
    JsonOption,
    RayOption,
    console,
    handles_errors,
    print_report,
    progress_bar,
)
from newscorpus.core.plural import plural
from newscorpus.ingest.corpus import validate
from newscorpus.ingest.listing import Listing

NAME = "validate"


@handles_errors
def command(corpus: CorpusOption = Path("corpus"), json: JsonOption = False, ray: RayOption = None) -> None:
    """Parse every raw file and annotation file; list all problems. Exit 1 if any is an error."""
    listing = Listing.of(corpus)
    with progress_bar("Validating", listing.article_count()) as advance:
        report = validate(corpus, on_file=advance, ray=ray, listing=listing)
    if json:
        console.print_json(report.model_dump_json())
    else:
        print_report(report.problems)
        verdict = "[green]valid[/]" if report.valid else f"[red]invalid[/]: {plural(len(report.errors), 'error')}"
        files, articles = plural(report.files_checked, "file"), plural(report.articles_valid, "valid article")
        console.print(f"{files}, {articles}: {verdict}")
    if not report.valid:
        raise typer.Exit(1)
