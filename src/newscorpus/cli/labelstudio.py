"""``newscorpus labelstudio …``: serve, stop, status, push and pull."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from newscorpus.cli._common import CorpusOption, console, err_console, handles_errors, print_report, progress_bar
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.server import LABEL_STUDIO_VERSION, default_home, healthy, load_or_create_credentials
from newscorpus.labelstudio.server import start as start_server
from newscorpus.labelstudio.server import stop as stop_server

NAME = "labelstudio"
app = typer.Typer(
    help=f"Gold annotations through a local Label Studio {LABEL_STUDIO_VERSION} server.", no_args_is_help=True
)
ProjectOption = Annotated[str, typer.Option("--project", help="The Label Studio project's title.")]


def _mask(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 8 else "…"


@app.command("serve")
@handles_errors
def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (the next free one if taken).")] = 8089,
) -> None:
    """Start Label Studio on 127.0.0.1 in the background (installing it on first use); print the URL and login."""
    home = default_home()
    err_console.print(f"Starting Label Studio {LABEL_STUDIO_VERSION} (the first run installs it into {home.venv}) …")
    url = start_server(home, port)
    credentials = load_or_create_credentials(home)
    console.print(f"Label Studio is up at {url}")
    console.print(
        f"Login: {credentials['username']}; the password and the API token "
        f"({_mask(credentials['token'])}) are in {home.credentials}"
    )


@app.command("stop")
@handles_errors
def stop() -> None:
    """Stop the server that `serve` started."""
    console.print("Stopped Label Studio." if stop_server(default_home()) else "No Label Studio server was running.")


@app.command("status")
@handles_errors
def status(project: ProjectOption = DEFAULT_PROJECT) -> None:
    """Report whether the server is up, the project, and its task and annotation counts. Exit 1 if it is down."""
    from newscorpus.labelstudio.client import client, connection, find_project, talking_to  # the SDK loads slowly

    conn = connection()
    if not healthy(conn.url):
        console.print(f"Label Studio at {conn.url} is down.")
        raise typer.Exit(1)
    sdk = client(conn)
    with talking_to(conn):
        found = find_project(sdk, project)
        console.print(f"Label Studio at {conn.url} is up.")
        if found is None:
            console.print(f"No project {project!r} yet; `newscorpus labelstudio push` creates it.")
            return
        details = sdk.projects.get(id=found.id)
        console.print(
            f"Project {project!r} (id {found.id}): {details.task_number or 0} tasks, "
            f"{details.total_annotations_number or 0} annotations, "
            f"{details.total_predictions_number or 0} predictions. "
            f"Open {conn.url}/projects/{found.id}/data"
        )


@app.command("push")
@handles_errors
def push(corpus: CorpusOption = Path("corpus"), project: ProjectOption = DEFAULT_PROJECT) -> None:
    """Create or update the project; upsert every valid article as a task, keyed by article id."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.push import push as push_corpus

    with progress_bar("Pushing", None) as step:
        result = push_corpus(corpus, connection(), project, on_progress=step)
    print_report(result.problems)
    console.print(
        f"Project {project!r} (id {result.project_id}): {len(result.created)} created, "
        f"{len(result.updated)} updated, {len(result.unchanged)} unchanged."
    )
    if result.flagged_for_review:
        console.print(
            "[yellow]Text changed under existing annotations, flagged for review:[/] "
            + ", ".join(result.flagged_for_review)
        )


@app.command("pull")
@handles_errors
def pull(corpus: CorpusOption = Path("corpus"), project: ProjectOption = DEFAULT_PROJECT) -> None:
    """Pull every annotation into DIR/annotations/, adjudicated, and report agreement and disagreements."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.pull import REPORT
    from newscorpus.labelstudio.pull import pull as pull_project

    report = pull_project(corpus, connection(), project)
    if report.findings:
        table = Table(title="Kept out of gold", title_justify="left")
        for column in ("article", "task", "annotation", "reason"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            table.add_row(f.article_id or "", str(f.task_id), str(f.annotation_id or ""), f.reason)
        console.print(table)
    for pair in report.agreement.pairs:
        console.print(
            f"Agreement {pair.annotators[0]} × {pair.annotators[1]} over {pair.tasks} tasks: "
            f"span F1 exact {pair.exact_f1:.2f}, overlap {pair.overlap_f1:.2f}"
        )
    if report.agreement.cohen_kappa is not None:
        console.print(
            f"Topic kappa over {report.agreement.topic_items} articles: Cohen {report.agreement.cohen_kappa:.2f}"
        )
    console.print(
        f"{report.tasks} tasks: {len(report.gold)} gold, {len(report.needs_adjudication)} need adjudication, "
        f"{len(report.needs_review)} need review; {len(report.written)} files written. Report: {corpus / REPORT}"
    )
