"""What every command shares: options, error handling, report printing, progress bars."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, ParamSpec, Protocol, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newscorpus.core.errors import InvalidInput, NewscorpusError
from newscorpus.core.report import Problem

console = Console()
err_console = Console(stderr=True)

CorpusOption = Annotated[Path, typer.Option("--corpus", help="The corpus folder, holding raw/ and annotations/.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        envvar="NEWSCORPUS_RAY_ADDRESS",
        help="Run on the Ray cluster at this address (HOST:PORT, or auto) instead of this machine's cores. "
        "Needs `pip install 'newscorpus\\[ray]'`, and the corpus at the same path on every node.",
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``NewscorpusError`` into ``Error: …`` on stderr and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except NewscorpusError as exc:
            if isinstance(exc, InvalidInput):
                print_report(exc.report.problems, to=err_console)
            # Not wrapped by rich: a message's commands and paths must copy and paste whole.
            # Escaped: a message may hold brackets (`newscorpus[ray]`) that rich would take for markup.
            err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def print_report(problems: Sequence[Problem], to: Console = console) -> None:
    """Print problems as a table, each with its code (the README's Problem codes say what each means)."""
    if not problems:
        return
    table = Table(show_lines=False, expand=False)
    for column in ("severity", "code", "file", "line", "field", "message"):
        table.add_column(column, overflow="fold")
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        cells = (p.code, p.file, str(p.line or ""), p.field or "", p.message)
        table.add_row(f"[{colour}]{p.severity}[/]", *map(escape, cells))
    to.print(table)


class Step(Protocol):
    """Advance a progress bar by one, or set it to ``done`` of ``total``."""

    def __call__(self, done: int | None = None, total: int | None = None) -> None: ...


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Step]:
    """Show a progress bar on stderr; yield the function that moves it."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)

        def step(done: int | None = None, total: int | None = None) -> None:
            if done is None:
                progress.advance(task)
            else:
                progress.update(task, completed=done, total=total)

        yield step
