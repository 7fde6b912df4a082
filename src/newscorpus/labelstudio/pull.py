"""``pull``: every task and annotation of a project into ``corpus/annotations/``, layer by layer.

Three steps: fetch every task and its annotations from the server (``fetch``); decide, without
the server, what they make gold (``newscorpus.labelstudio.adjudicate``, which has the rules);
write the gold files and the pull report. Everything is fetched and decided before anything is
written, so a server that dies mid-pull leaves the previous files as they were; each file is
then written atomically, and only if it changed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from newscorpus.core.atomic import atomic_write_text
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.labelstudio.adjudicate import Fetched, Finding, LayerOutcome, Task, adjudicate
from newscorpus.labelstudio.agreement import AgreementReport, agreement
from newscorpus.labelstudio.client import Connection, all_tasks, client, find_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.corrections import Correction
from newscorpus.labelstudio.server import LabelStudioError
from newscorpus.model.article import Article
from newscorpus.model.gold import GoldFile, gold_path, load_gold

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


def fetch(conn: Connection, project_title: str = DEFAULT_PROJECT) -> Fetched:
    """Return every task of the project with its annotations, and the annotators' logins; refuse a short listing."""
    sdk = client(conn)
    with talking_to(conn):
        project = find_project(sdk, project_title)
        if project is None:
            raise LabelStudioError(
                f"Label Studio at {conn.url} has no project {project_title!r}. Try `newscorpus labelstudio push`."
            )
        tasks = all_tasks(sdk, project.id)
        names = {user.id: user.email for user in sdk.users.list() if user.email}
    return Fetched(
        project_id=project.id,
        tasks=[Task(id=t.id, data=t.data or {}, annotations=t.annotations or []) for t in tasks],
        names=names,
    )


def _earlier(corpus: Path, article_id: str) -> GoldFile | None:
    """Return the article's gold file as it stands, or None if it has none (or an unreadable one)."""
    path = gold_path(corpus, article_id)
    if not path.is_file():
        return None
    loaded = load_gold(path, path.name)
    return loaded if isinstance(loaded, GoldFile) else None


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
    earlier = {article_id: old for article_id in articles.keys() & annotated if (old := _earlier(corpus, article_id))}
    decided = adjudicate(fetched, articles, earlier)
    report = PullReport(
        project_id=fetched.project_id,
        tasks=len(fetched.tasks),
        entities=decided.outcome["entities"],
        topic=decided.outcome["topic"],
        written=_write(corpus, decided.gold_files),
        findings=decided.findings,
        corrections=decided.corrections,
        agreement=agreement(decided.spans, decided.topics),
    )
    atomic_write_text(corpus / REPORT, report.model_dump_json(indent=2) + "\n")
    return report
