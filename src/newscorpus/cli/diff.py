"""``newscorpus diff``: what a release changed since another one."""

from __future__ import annotations

import dataclasses
import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newscorpus.cli._common import CorpusOption, JsonOption, console, handles_errors

NAME = "diff"


@handles_errors
def command(
    old: Annotated[str, typer.Argument(help="The release to compare from, X.Y.Z.")],
    new: Annotated[str, typer.Argument(help="The release to compare to, X.Y.Z.")],
    corpus: CorpusOption = Path("corpus"),
    json: JsonOption = False,
) -> None:
    """Show what release NEW changed since OLD: articles, gold per label, topics, split moves, schema, licences."""
    from newscorpus.release.diff import diff_releases  # imports pyarrow: only when a command needs it

    result = diff_releases(corpus, old, new)
    if json:
        console.print_json(jsonlib.dumps(dataclasses.asdict(result), default=str, ensure_ascii=False))
        return
    console.print(result.short())
    for title, ids in (("Added", result.added), ("Removed", result.removed)):
        if ids:
            console.print(f"{title}: {', '.join(ids[:20])}{' …' if len(ids) > 20 else ''}")
    if result.changed:
        table = Table("article", "fields", "text (word diff)", title="Changed articles")
        for change in result.changed[:50]:
            table.add_row(change.id, ", ".join(change.fields), change.text or "")
        console.print(table)
    if result.spans_added or result.spans_removed:
        table = Table("label", "spans added", "spans removed", title="Gold spans per label")
        for label in sorted(result.spans_added.keys() | result.spans_removed.keys()):
            table.add_row(label, str(result.spans_added.get(label, 0)), str(result.spans_removed.get(label, 0)))
        console.print(table)
    for article_id, was, now in result.topics[:50]:
        console.print(f"Topic of {article_id}: {was or '–'} → {now or '–'}")
    for article_id, was, now in result.split_moves:
        console.print(f"[red]Split move[/] {article_id}: {was} → {now}")
    for schema_change in result.schema:
        console.print(f"Schema: {schema_change.path}: {schema_change.what} ({schema_change.level})")
    if result.threshold:
        console.print(f"Near-duplicates found from similarity {result.threshold[0]} → {result.threshold[1]}")
    for license_name, (was_n, now_n) in result.licenses.items():
        console.print(f"Licence {license_name}: {was_n} → {now_n} articles")
