"""``pull``: every task and annotation of a project into ``corpus/annotations/``, layer by layer.

Three steps: fetch every task and its annotations from the server (``fetch``); decide, without
the server, what they make gold (``newscorpus.labelstudio.adjudicate``, which has the rules);
write the gold files, the pull report and the agreement chart (``newscorpus.labelstudio.chart``).
Everything is fetched and decided before anything is written, so a server that dies mid-pull
leaves the previous files as they were; each file is then written atomically, and only if it
changed.

Annotators may work while a pull runs. Each task comes with its annotations from one listing,
and once the listing is done, the tasks changed since it began are read again: a task whose
annotations (or whose own change time) differ from what the listing said changed while the
pull read it. It is reported and left out of this pull (its gold file stays as it was), never
read half before and half after the change; the next pull takes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from newscorpus.core.atomic import atomic_write_text
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.labelstudio.adjudicate import Fetched, Finding, LayerOutcome, Task, adjudicate
from newscorpus.labelstudio.agreement import AgreementReport, agreement
from newscorpus.labelstudio.chart import write_chart
from newscorpus.labelstudio.client import PAGE_SIZE, Connection, all_tasks, client, find_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.corrections import Correction
from newscorpus.labelstudio.ledger import changed_since, newest_change
from newscorpus.labelstudio.reading import parse_time
from newscorpus.labelstudio.reanchoring import earlier_gold
from newscorpus.labelstudio.server import LabelStudioError
from newscorpus.model.article import Article
from newscorpus.model.gold import AGREEMENT_CHART, GoldFile, gold_path

REPORT = Path("reports") / "labelstudio-pull.json"


class PullReport(BaseModel):
    """Everything a pull found: per layer what it decided, rejected spans, disagreements, corrections, agreement."""

    model_config = ConfigDict(extra="forbid")
    project_id: int
    tasks: int
    entities: LayerOutcome
    topic: LayerOutcome
    written: list[str]
    findings: list[Finding]
    corrections: list[Correction]
    agreement: AgreementReport
    chart: str | None
    """The agreement chart (``reports/agreement.svg``), if there was agreement to draw."""


def _task(listed: Any) -> Task:
    return Task(
        id=listed.id,
        data=listed.data or {},
        annotations=listed.annotations or [],
        updated_at=parse_time(listed.updated_at),
    )


def fetch(conn: Connection, project_title: str = DEFAULT_PROJECT) -> Fetched:
    """Return every task of the project with its annotations, and the annotators' logins; refuse a short listing.

    The tasks that changed while they were read are named in ``changed`` (see the module).
    """
    sdk = client(conn)
    with talking_to(conn):
        project = find_project(sdk, project_title)
        if project is None:
            raise LabelStudioError(
                f"Label Studio at {conn.url} has no project {project_title!r}. Try `newscorpus labelstudio push`."
            )
        began = newest_change(sdk, project.id)
        tasks = [_task(t) for t in all_tasks(sdk, project.id)]
        names = {user.id: user.email for user in sdk.users.list() if user.email}
        again: Iterable[Any] = (
            [] if began is None else sdk.tasks.list(project=project.id, page_size=PAGE_SIZE, query=changed_since(began))
        )
        changed = changed_while_read(tasks, [_task(t) for t in again])
    return Fetched(project_id=project.id, tasks=tasks, names=names, changed=changed)


def _state(task: Task) -> tuple[object, dict[int, object]]:
    """Return what tells whether a task changed: its change time, and its annotations' ids and change times."""
    return task.updated_at, {a["id"]: parse_time(a.get("updated_at")) for a in task.annotations}


def changed_while_read(listed: list[Task], again: Iterable[Task]) -> dict[int, str]:
    """Return the tasks of ``listed`` that ``again`` (a later listing) shows changed, each with what changed."""
    before = {task.id: task for task in listed}
    changed = {}
    for now in again:
        then = before.get(now.id)
        if then is None or _state(then) == _state(now):  # a task made after the listing was not read at all
            continue
        (_, old), (_, new) = _state(then), _state(now)
        if sorted(old) != sorted(new):
            what = f"annotations {sorted(old)} when listed, {sorted(new)} now"
        elif edited := sorted(i for i in old if old[i] != new[i]):
            what = f"annotation {', '.join(map(str, edited))} edited"
        else:
            what = "its data or predictions changed"
        changed[now.id] = f"changed while the pull read it ({what}): left out of this pull; pull again"
    return changed


def _write(corpus: Path, gold_files: dict[str, GoldFile]) -> list[str]:
    """Write each gold file that changed, atomically; return the article ids written."""
    written = []
    for article_id, gold in sorted(gold_files.items()):
        path = gold_path(corpus, article_id)
        content = gold.model_dump_json(indent=2) + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            atomic_write_text(path, content)
            written.append(article_id)
    return written


def pull(corpus: Path, conn: Connection, project_title: str = DEFAULT_PROJECT) -> PullReport:
    """Pull the project's annotations into ``corpus/annotations/`` and write the pull report."""
    fetched = fetch(conn, project_title)
    # The articles as they stand: imported gold and the earlier gold files applied, so corrections show.
    wanted = {task.data.get("article_id") for task in fetched.tasks}
    articles = {a.id: a for a in iter_corpus(corpus) if isinstance(a, Article) and a.id in wanted}
    annotated = {task.data.get("article_id") for task in fetched.tasks if task.annotations}
    earlier = {a: old for a in articles.keys() & annotated if (old := earlier_gold(corpus, a))}
    decided = adjudicate(fetched, articles, earlier)
    measured = agreement(decided.spans, decided.topics)
    drawn = write_chart(corpus / AGREEMENT_CHART, measured)
    report = PullReport(
        project_id=fetched.project_id,
        tasks=len(fetched.tasks),
        entities=decided.outcome["entities"],
        topic=decided.outcome["topic"],
        written=_write(corpus, decided.gold_files),
        findings=decided.findings,
        corrections=decided.corrections,
        agreement=measured,
        chart=AGREEMENT_CHART if drawn else None,
    )
    atomic_write_text(corpus / REPORT, report.model_dump_json(indent=2) + "\n")
    return report
