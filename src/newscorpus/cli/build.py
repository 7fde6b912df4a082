"""``newscorpus build``: build an immutable, reproducible release."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import CorpusOption, RayOption, console, handles_errors, print_report, progress_bar
from newscorpus.core.executor import executor_for
from newscorpus.core.plural import plural
from newscorpus.derive.configs import CONFIGS
from newscorpus.ingest.listing import Listing
from newscorpus.release import BUILD_MODULES

NAME = "build"


@handles_errors
def command(
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="The release version, X.Y.Z. Default: the newest release if nothing changed, else the next.",
        ),
    ] = None,
    corpus: CorpusOption = Path("corpus"),
    processes: Annotated[
        int | None, typer.Option("--processes", min=1, help="Cores for reading, parsing and tokenising (default: all).")
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help=f"Build only this config (repeatable): {', '.join(CONFIGS)}. Default: all."),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Leave invalid inputs out and list them in the manifest.")
    ] = False,
    duplicate_threshold: Annotated[
        float | None,
        typer.Option(
            "--duplicate-threshold",
            min=0.01,
            max=1.0,
            help="Estimated Jaccard similarity of 5-word shingles from which articles are near-duplicates and share "
            "a split. Default: the release before's (recorded in its manifest), 0.5 for the first.",
        ),
    ] = None,
    ray: RayOption = None,
) -> None:
    """Build release VERSION of the corpus into DIR/releases/VERSION/ (immutable, reproducible)."""
    listing = Listing.of(corpus)  # once: for the progress bar, and the files the release records
    # Joined first: a cluster's nodes start their workers and import the build while this process does.
    with executor_for(processes, ray, BUILD_MODULES) as executor:
        from newscorpus.release.build import build
        from newscorpus.release.diff import changes_since

        with progress_bar("Building", listing.article_count()) as advance:
            result = build(
                corpus,
                version,
                skip_invalid=skip_invalid,
                on_file=advance,
                configs=config,
                executor=executor,
                threshold=duplicate_threshold,
                listing=listing,
            )
    manifest = result.manifest
    left_out = [p for p in manifest.rejected if p.severity == "error"]
    if left_out:
        console.print(f"[yellow]Left out {plural(len(left_out), 'input')}:[/]")
        print_report(left_out)
    if warnings := [p for p in manifest.rejected if p.severity != "error"]:
        console.print(f"[yellow]{plural(len(warnings), 'warning')} (kept in the manifest):[/]")
        print_report(warnings)
    verb = {"built": "Built", "unchanged": "Unchanged:", "restored": "Restored the data files of"}[result.status]
    rows = "; ".join(
        f"{config}: " + ", ".join(f"{split} {n}" for split, n in splits.items())
        for config, splits in manifest.splits.items()
    )
    console.print(f"{verb} release {manifest.version} at {result.path} ({rows}).")
    if (changes := changes_since(corpus, manifest.version)) is not None:
        console.print(changes.short(), highlight=False)
