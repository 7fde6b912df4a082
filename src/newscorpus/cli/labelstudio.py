"""``newscorpus labelstudio …``: serve, stop, status, push and pull."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newscorpus.cli._common import (
    CorpusOption,
    RayOption,
    console,
    err_console,
    handles_errors,
    print_report,
    progress_bar,
)
from newscorpus.core.plural import plural
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.home import default_home, load_or_create_credentials
from newscorpus.labelstudio.server import BACKEND_NAMES, LABEL_STUDIO_VERSION, Backend, healthy, running_url
from newscorpus.labelstudio.server import start as start_server
from newscorpus.labelstudio.server import status as server_status
from newscorpus.labelstudio.server import stop as stop_server

NAME = "labelstudio"
app = typer.Typer(
    help=f"Gold annotations through a local Label Studio {LABEL_STUDIO_VERSION} server. The server's state "
    "(.labelstudio/) is found from --corpus or the project folder, so these commands work from any folder.",
    no_args_is_help=True,
)
ProjectOption = Annotated[str, typer.Option("--project", help="The Label Studio project's title.")]
DEFAULT_CORPUS = Path("corpus")


def _mask(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 8 else "…"


@app.command("serve")
@handles_errors
def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (a free one if taken).")] = 8089,
    sqlite: Annotated[
        bool,
        typer.Option(
            "--sqlite",
            help="Run on SQLite, for a single annotator on a laptop. The default, PostgreSQL, holds up while a "
            "team annotates and a curator pushes. Each keeps its own projects; neither is copied into the other.",
        ),
    ] = False,
    corpus: CorpusOption = DEFAULT_CORPUS,
) -> None:
    """Start Label Studio and its database on 127.0.0.1 in the background (installing it on first use).

    Prints the URL, the database and the login.
    """
    home = default_home(corpus)
    backend: Backend = "sqlite" if sqlite else "postgresql"
    if url := running_url(home):
        running = server_status(home)
        console.print(f"Label Studio is already running at {url} (from {home.root}), {running.describe(home)}.")
        if running.backend != backend:
            err_console.print(
                f"[yellow]It runs on {BACKEND_NAMES[running.backend or 'sqlite']}, not "
                f"{BACKEND_NAMES[backend]}.[/] To switch: `newscorpus labelstudio stop`, then serve again."
            )
    else:
        began = time.monotonic()
        url = start_server(home, port, say=lambda message: err_console.print(message, highlight=False), backend=backend)
        took = time.monotonic() - began
        console.print(f"Label Studio is up at {url}, {server_status(home).describe(home)}; started in {took:.0f} s.")
    credentials = load_or_create_credentials(home)
    console.print(
        f"Login: {credentials['username']}; the password and the API token "
        f"({_mask(credentials['token'])}) are in {home.credentials}"
    )


@app.command("stop")
@handles_errors
def stop(corpus: CorpusOption = DEFAULT_CORPUS) -> None:
    """Stop the server that `serve` started, and its PostgreSQL."""
    home = default_home(corpus)
    stopped = stop_server(home)
    console.print(
        f"Stopped {' and '.join(stopped)}." if stopped else f"No Label Studio server was running from {home.root}."
    )


@app.command("status")
@handles_errors
def status(project: ProjectOption = DEFAULT_PROJECT, corpus: CorpusOption = DEFAULT_CORPUS) -> None:
    """Report whether the server and its database are up, the project, and its counts. Exit 1 if it is down."""
    from newscorpus.labelstudio.client import client, connection, find_project, talking_to  # the SDK loads slowly

    home = default_home(corpus)
    local = server_status(home)
    if local.url is None and local.postgres_port is not None:
        console.print(
            f"PostgreSQL of {home.root} is up at 127.0.0.1:{local.postgres_port}, but Label Studio is not. "
            "`newscorpus labelstudio serve` starts it; `newscorpus labelstudio stop` stops PostgreSQL."
        )
    conn = connection(home)
    if not healthy(conn.url):
        console.print(f"Label Studio at {conn.url} is down.")
        raise typer.Exit(1)
    sdk = client(conn)
    with talking_to(conn):
        found = find_project(sdk, project)
        console.print(f"Label Studio at {conn.url} is up.")
        if conn.url == local.url:
            console.print(f"It runs {local.describe(home)}.")
        if found is None:
            console.print(f"No project {project!r} yet; `newscorpus labelstudio push` creates it.")
            return
        details = sdk.projects.get(id=found.id)
        console.print(
            f"Project {project!r} (id {found.id}): {plural(details.task_number or 0, 'task')}, "
            f"{plural(details.total_annotations_number or 0, 'annotation')}, "
            f"{plural(details.total_predictions_number or 0, 'prediction')}. "
            f"Open {conn.url}/projects/{found.id}/data"
        )


@app.command("push")
@handles_errors
def push(
    corpus: CorpusOption = DEFAULT_CORPUS, project: ProjectOption = DEFAULT_PROJECT, ray: RayOption = None
) -> None:
    """Create or update the project and its tabs; upsert every valid article as a task, keyed by article id."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.push import push as push_corpus

    with progress_bar("Pushing", None) as step:
        result = push_corpus(corpus, connection(default_home(corpus)), project, on_progress=step, ray=ray)
    print_report(result.problems)
    console.print(
        f"Project {project!r} (id {result.project_id}): {len(result.created)} created, "
        f"{len(result.updated)} updated, {len(result.refreshed)} with a new layer status, "
        f"{len(result.unchanged)} unchanged."
    )
    if result.views_created:
        console.print("Tabs created: " + ", ".join(result.views_created))
    if result.flagged_for_review:
        console.print(
            "[yellow]Text changed under existing annotations, flagged for review:[/] "
            + ", ".join(result.flagged_for_review)
        )
    if result.reanchored:
        console.print(
            "Gold carried to the corrected text, sent as predictions 'reanchored' (tab Re-anchored); "
            "`newscorpus labelstudio pull` writes it: " + ", ".join(result.reanchored)
        )


@app.command("pull")
@handles_errors
def pull(corpus: CorpusOption = DEFAULT_CORPUS, project: ProjectOption = DEFAULT_PROJECT) -> None:
    """Pull every annotation into DIR/annotations/, adjudicated per layer; report corrections, chart agreement."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.pull import REPORT
    from newscorpus.labelstudio.pull import pull as pull_project

    report = pull_project(corpus, connection(default_home(corpus)), project)
    if report.findings:
        table = Table(title="Kept out of gold", title_justify="left")
        for column in ("article", "task", "annotation", "reason"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            reason = f"{f.code}: {f.reason}" if f.code else f.reason
            table.add_row(f.article_id or "", str(f.task_id), str(f.annotation_id or ""), reason)
        console.print(table)
    if report.corrections:
        # One line per change, not a table: each names a span in full, so it can be searched for.
        console.print("[yellow]Corrections to existing gold[/] (check them with `git diff` before you build):")
        for c in report.corrections:
            where = f"{c.article_id} (task {c.task_id}), {c.layer} from {c.source or 'an earlier pull'}"
            for change in c.changes():
                console.print(f"  {where}: {change}", markup=False, highlight=False)
    for pair in report.agreement.pairs:
        console.print(
            f"Agreement {pair.annotators[0]} × {pair.annotators[1]} over {plural(pair.tasks, 'task')}: "
            f"span F1 exact {pair.exact_f1:.2f}, overlap {pair.overlap_f1:.2f}"
        )
    if report.agreement.cohen_kappa is not None:
        console.print(
            f"Topic kappa over {plural(report.agreement.topic_items, 'article')}: "
            f"Cohen {report.agreement.cohen_kappa:.2f}"
        )
    if report.chart:
        console.print(f"Agreement chart: {corpus / report.chart} (the next release's card links it)")
    layers = "; ".join(
        f"{name}: {len(o.gold)} gold, {plural(len(o.needs_adjudication), 'needs', 'need')} adjudication, "
        f"{plural(len(o.needs_review), 'needs', 'need')} review"
        for name, o in (("entities", report.entities), ("topic", report.topic))
    )
    console.print(
        f"{plural(report.tasks, 'task')}. {layers}. {plural(len(report.corrections), 'correction')}; "
        f"{plural(len(report.written), 'file')} written. Report: {corpus / REPORT}"
    )
