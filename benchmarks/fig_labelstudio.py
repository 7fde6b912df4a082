"""The Label Studio figures: push and pull against the real local server, each against a bare SDK call."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from typing import Any

from benchmarks.common import Bench, Figure, check, timed
from benchmarks.generate import SEED


def _delete_project(sdk: Any, project_id: int | None) -> None:
    if project_id is not None:
        with contextlib.suppress(Exception):
            sdk.projects.delete(id=project_id)


def fig_ls_push(bench: Bench) -> list[Figure]:
    """push into a fresh project and a push with nothing changed, against one bare SDK import of the same payloads."""
    from newscorpus.ingest.corpus import iter_corpus
    from newscorpus.labelstudio.client import client, find_project
    from newscorpus.labelstudio.config import labelling_config
    from newscorpus.labelstudio.push import push
    from newscorpus.labelstudio.push_plan import new_task
    from newscorpus.model.article import Article

    n = bench.args.ls_articles
    conn = bench.connection()
    sdk = client(conn)
    corpus = bench.corpus(n, f"ls-push-{n}")
    payloads = [new_task(a) for a in iter_corpus(corpus) if isinstance(a, Article)]
    push_runs, noop_runs, base_runs = [], [], []
    for r in range(bench.args.repeat):
        tag = uuid.uuid4().hex[:8]
        push_title, base_title = f"bench-push-{tag}", f"bench-import-{tag}"
        push_id = base_id = None
        try:
            base_id = sdk.projects.create(title=base_title, label_config=labelling_config()).id
            seconds, _ = timed(lambda base_id=base_id: sdk.projects.import_tasks(id=base_id, request=payloads))
            check(sdk.projects.get(id=base_id).task_number == len(payloads), "import_tasks imported too few tasks")
            base_runs.append(seconds)
            bench.log(f"ls baseline import_tasks {r + 1}: {len(payloads):,} tasks in {seconds:.1f} s")
            seconds, first = timed(lambda title=push_title: push(corpus, conn, title))
            push_id = first.project_id
            check(len(first.created) == len(payloads), f"push created {len(first.created)} of {len(payloads)}")
            push_runs.append(seconds)
            bench.log(f"ls push {r + 1}: {len(first.created):,} created in {seconds:.1f} s")
            seconds, second = timed(lambda title=push_title: push(corpus, conn, title))
            check(not second.created and len(second.unchanged) == len(payloads), f"second push: {second}")
            noop_runs.append(seconds)
            bench.log(f"ls push, nothing changed {r + 1}: {seconds:.1f} s")
        finally:
            _delete_project(sdk, base_id)
            _delete_project(sdk, push_id or getattr(find_project(sdk, push_title), "id", None))
    return [
        Figure(
            "ls_push", f"labelstudio push of {n:,} articles into a fresh project", "s", push_runs, 1.5, "<=",
            "one bare SDK projects.import_tasks of the same payloads", "s", base_runs, {"tasks": len(payloads)},
        ),
        Figure(
            "ls_push_noop", f"a second push of the same {n:,} articles (nothing changed)", "s", noop_runs, 5.0, "<=",
        ),
    ]  # fmt: skip


def annotated_payloads(articles: list[Any]) -> list[dict[str, Any]]:
    """Return import payloads with one annotation each: two capitalised words as spans, and a topic."""
    import random

    from newscorpus.labelstudio.convert import to_results
    from newscorpus.labelstudio.push_plan import task_data
    from newscorpus.model.article import Entity
    from newscorpus.model.labels import label_sets

    rng = random.Random(SEED)
    topics = list(label_sets().topic_names())
    payloads = []
    for article in articles:
        text, entities, start = article.text, [], 0
        for word in text.split():
            start = text.index(word, start)
            if word[:1].isupper() and word.isalpha() and len(entities) < 2 and rng.random() < 0.1:
                label = rng.choice(("PER", "LOC", "ORG", "OTH"))
                entities.append(Entity(start=start, end=start + len(word), label=label, level=0, text=word))
            start += len(word)
        result = to_results(entities, rng.choice(topics), origin="manual")
        payloads.append({"data": task_data(article), "annotations": [{"result": result}]})
    return payloads


def fig_ls_pull(bench: Bench) -> list[Figure]:
    """pull of annotated tasks against a bare paginated SDK listing of the same project."""
    from newscorpus.ingest.corpus import iter_corpus
    from newscorpus.labelstudio.client import client
    from newscorpus.labelstudio.config import labelling_config
    from newscorpus.labelstudio.pull import pull
    from newscorpus.model.article import Article

    n = bench.args.ls_articles
    conn = bench.connection()
    sdk = client(conn)
    corpus = bench.corpus(n, f"ls-pull-{n}")
    payloads = annotated_payloads([a for a in iter_corpus(corpus) if isinstance(a, Article)])
    title = f"bench-pull-{uuid.uuid4().hex[:8]}"
    project_id = None
    pull_runs, base_runs = [], []
    try:
        project_id = sdk.projects.create(title=title, label_config=labelling_config()).id
        for start in range(0, len(payloads), 1000):
            sdk.projects.import_tasks(id=project_id, request=payloads[start : start + 1000])
        bench.log(f"ls pull: {len(payloads):,} annotated tasks imported into {title}")
        for r in range(bench.args.repeat):
            seconds, tasks = timed(lambda: list(sdk.tasks.list(project=project_id, page_size=100)))
            check(len(tasks) == len(payloads), f"listed {len(tasks)} of {len(payloads)} tasks")
            base_runs.append(seconds)
            bench.log(f"ls baseline listing {r + 1}: {len(tasks):,} tasks in {seconds:.1f} s")
            shutil.rmtree(corpus / "annotations", ignore_errors=True)
            shutil.rmtree(corpus / "reports", ignore_errors=True)
            seconds, report = timed(lambda: pull(corpus, conn, title))
            gold = len(report.entities.gold)
            check(report.tasks == len(payloads) == gold, f"pull: {report.tasks} tasks, {gold} gold")
            pull_runs.append(seconds)
            bench.log(f"ls pull {r + 1}: {gold:,} gold in {seconds:.1f} s")
    finally:
        _delete_project(sdk, project_id)
    return [
        Figure(
            "ls_pull", f"labelstudio pull of {n:,} annotated tasks", "s", pull_runs, 1.5, "<=",
            "bare paginated SDK listing, page_size=100", "s", base_runs, {"tasks": len(payloads)},
        )
    ]  # fmt: skip
