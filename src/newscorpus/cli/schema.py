"""``newscorpus schema check`` and ``newscorpus schema bump``: schema changes, classified and versioned."""

from __future__ import annotations

import json as jsonlib
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from newscorpus.cli._common import CorpusOption, JsonOption, console, handles_errors, print_report, progress_bar
from newscorpus.core.errors import SchemaError
from newscorpus.core.plural import plural
from newscorpus.ingest.corpus import validate
from newscorpus.ingest.listing import Listing
from newscorpus.model.labels import label_types_stale, write_label_types
from newscorpus.release.schema_diff import Change, Level, required_level

NAME = "schema"
app = typer.Typer(help="Check and version schema changes.", no_args_is_help=True)


def _short(value: Any, width: int = 60) -> str:
    text = "" if value is None else jsonlib.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_changes(changes: list[Change], title: str) -> None:
    """Print changes as a table: path, what, old, new, class."""
    table = Table(title=title, title_justify="left")
    for column in ("path", "change", "old", "new", "class"):
        table.add_column(column, overflow="fold")
    colours = {"major": "red", "minor": "yellow", "patch": "green"}
    for c in changes:
        table.add_row(c.path, c.what, _short(c.old), _short(c.new), f"[{colours[c.level]}]{c.level}[/]")
    console.print(table)


@app.command("check")
@handles_errors
def check(corpus: CorpusOption = Path("corpus"), json: JsonOption = False) -> None:
    """Compare the models and label sets with the newest snapshot; revalidate the corpus. Exit 1 on any problem."""
    from newscorpus.release.schema import check_schema  # the models and configs: only when a command needs them

    listing = Listing.of(corpus)
    with progress_bar("Revalidating", listing.article_count()) as advance:
        result = check_schema(validate(corpus, advance, listing=listing))
    needed = required_level(result.pending)
    if json:
        console.print_json(
            jsonlib.dumps(
                {
                    "ok": result.ok,
                    "schema_version": result.version,
                    "required_bump": needed,
                    "pending": [asdict(c) for c in result.pending],
                    "under_bumped": [asdict(u) for u in result.under_bumped],
                    "validation": result.report.model_dump() if result.report else None,
                },
                default=str,
            )
        )
    else:
        for under in result.under_bumped:
            print_changes(under.changes, f"v{under.old_version} → v{under.new_version}: needs {under.needed}")
        if result.pending:
            print_changes(result.pending, f"Code vs snapshot v{result.version}: needs a {needed} bump")
        if result.report:
            print_report(result.report.problems)
    messages = (
        [
            "model/label_types.py is not what schemas/labels.yaml generates, so the models validate other labels "
            "than the label file names. Try `newscorpus schema labels`."
        ]
        if label_types_stale()
        else []
    )
    messages += [
        f"v{u.new_version} follows v{u.old_version} with a {u.bumped or 'zero'} bump, but its changes need {u.needed}. "
        f"Restore the snapshot and bump again with `newscorpus schema bump {u.needed}`."
        for u in result.under_bumped
    ]
    if needed:
        messages.append(
            f"The schema differs from snapshot v{result.version}: a {needed} change. "
            f"Try `newscorpus schema bump {needed}` and commit the new snapshot in schemas/."
        )
    if malformed := {p.file for p in result.malformed}:
        messages.append(
            f"Malformed, not a schema problem: {plural(len(malformed), 'input file')} in {corpus} cannot be read "
            "at all (truncated or not JSON, unreadable YAML, empty, binary, undecodable or too big; the table above "
            "says where). Repair or replace each; `newscorpus build --skip-invalid` leaves such files out."
        )
    if rejected := {p.file for p in result.rejected}:
        messages.append(
            f"Invalid under the current models: {plural(len(rejected), 'input')} in {corpus}. "
            "Fix the data, or loosen the rule."
        )
    if messages:
        raise SchemaError(" ".join(messages))
    console.print(
        f"Schema v{result.version}: the code matches its snapshot, every bump is big enough, the corpus is valid."
    )


@app.command("bump")
@handles_errors
def bump(
    level: Annotated[
        Level | None, typer.Argument(help="patch, minor or major; default: what the changes need.")
    ] = None,
) -> None:
    """Write the code's schema as a new snapshot, refusing a smaller bump than the changes need."""
    from newscorpus.release.schema import bump_schema  # the models and configs: only when a command needs them

    version, changes = bump_schema(level)
    if changes:
        print_changes(changes, "Changes frozen in the new snapshot")
    console.print(f"Wrote schemas/v{version}.json. Commit it; releases built from now on record schema {version}.")


@app.command("labels")
@handles_errors
def labels() -> None:
    """Generate the models' label types (src/newscorpus/model/label_types.py) from schemas/labels.yaml."""
    path = write_label_types()
    console.print(f"Wrote {path}. Then run `newscorpus schema check` to see how the label change is classified.")
