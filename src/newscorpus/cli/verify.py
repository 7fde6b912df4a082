"""``newscorpus verify``: check a release's files against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import CorpusOption, JsonOption, console, handles_errors, print_report

NAME = "verify"


@handles_errors
def command(
    version: Annotated[str, typer.Argument(help="The release version, X.Y.Z.")],
    corpus: CorpusOption = Path("corpus"),
    json: JsonOption = False,
) -> None:
    """Recompute the sha256 of every file of release VERSION; exit 1 on any mismatch."""
    from newscorpus.release import verify  # imports datasets: only when a command needs it

    report = verify(corpus, version)
    if json:
        console.print_json(report.model_dump_json())
    else:
        print_report(report.problems)
        verdict = "[green]all match the manifest[/]" if report.valid else f"[red]{len(report.errors)} problems[/]"
        console.print(f"Release {version}: {report.files_checked} files, {verdict}.")
    if not report.valid:
        raise typer.Exit(1)
