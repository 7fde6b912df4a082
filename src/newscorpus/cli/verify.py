"""``newscorpus verify``: check a release's files against its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import CorpusOption, JsonOption, console, handles_errors, print_report
from newscorpus.core.plural import plural
from newscorpus.ingest.listing import relative_name
from newscorpus.release.manifest import release_dir

NAME = "verify"


@handles_errors
def command(
    version: Annotated[str, typer.Argument(help="The release version, X.Y.Z.")],
    corpus: CorpusOption = Path("corpus"),
    json: JsonOption = False,
) -> None:
    """Recompute the sha256 of every file of release VERSION; exit 1 on any mismatch."""
    from newscorpus.release.verify import verify  # pyarrow and the models: only when a command needs them

    report = verify(corpus, version)
    if json:
        console.print_json(report.model_dump_json())
    else:
        # The release's own problem says how to rebuild its data files, in lines of commands: below the table.
        release = relative_name(corpus, release_dir(corpus, version))
        print_report([p for p in report.problems if p.file != release])
        verdict = (
            "[green]all match the manifest[/]" if report.valid else f"[red]{plural(len(report.errors), 'problem')}[/]"
        )
        console.print(f"Release {version}: {plural(report.files_checked, 'file')}, {verdict}.")
        for problem in report.problems:
            if problem.file == release:
                console.print(f"Release {version} {problem.message}", highlight=False, soft_wrap=True)
    if not report.valid:
        raise typer.Exit(1)
