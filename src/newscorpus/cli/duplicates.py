"""``newscorpus duplicates``: the near-duplicate clusters of the corpus, with the similarity of each pair."""

from __future__ import annotations

import dataclasses
import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newscorpus.cli._common import CorpusOption, JsonOption, RayOption, console, handles_errors, progress_bar
from newscorpus.core.plural import plural
from newscorpus.ingest.listing import Listing

NAME = "duplicates"
PAIRS_SHOWN = 10
"""Pairs shown per cluster on screen; --json lists every pair."""


@handles_errors
def command(
    corpus: CorpusOption = Path("corpus"),
    json: JsonOption = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.01,
            max=1.0,
            help="Estimated Jaccard similarity of the 5-word shingles from which articles are near-duplicates. "
            "Default: the one the next build takes, the newest release's (0.5 before the first).",
        ),
    ] = None,
    processes: Annotated[
        int | None, typer.Option("--processes", min=1, help="Cores to read on (default: all).")
    ] = None,
    ray: RayOption = None,
) -> None:
    """List the near-duplicate clusters (agency copies of one story), with the estimated similarity of each pair."""
    from newscorpus.release.duplicates import duplicates  # imports numpy and datasketch: only when needed

    listing = Listing.of(corpus)
    with progress_bar("Reading", listing.article_count()) as advance:
        result = duplicates(corpus, threshold=threshold, processes=processes, ray=ray, on_file=advance, listing=listing)
    if json:
        console.print_json(jsonlib.dumps(dataclasses.asdict(result), ensure_ascii=False))
        return
    for cluster in result.clusters:
        table = Table("article", "similar to", "similarity", title=f"Cluster {cluster.id}", title_justify="left")
        for a, b, similarity in cluster.pairs[:PAIRS_SHOWN]:
            table.add_row(a, b, f"{similarity:.2f}")
        if len(cluster.pairs) > PAIRS_SHOWN:
            table.caption = f"… {plural(len(cluster.pairs) - PAIRS_SHOWN, 'pair')} more (--json lists them all)"
        console.print(table)
    clustered = sum(len(cluster.articles) for cluster in result.clusters)
    skipped = (
        f"; {plural(result.problems, 'invalid input')} left out (see `newscorpus validate`)" if result.problems else ""
    )
    console.print(
        f"{plural(len(result.clusters), 'cluster')} of near-duplicates (similarity ≥ {result.threshold}) holding "
        f"{plural(clustered, 'article')} of {result.articles}{skipped}."
    )
