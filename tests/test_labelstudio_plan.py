"""The pure halves of push and pull, without a server: what push sends, and what pull makes gold."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from newscorpus.labelstudio.adjudicate import Fetched, Task, adjudicate
from newscorpus.labelstudio.convert import to_results
from newscorpus.labelstudio.ledger import KnownTask, data_sha256, known_task
from newscorpus.labelstudio.push_plan import Create, Step, Unchanged, Update, decide, new_task, plan_push, task_data
from newscorpus.labelstudio.reading import pseudonym
from newscorpus.model.article import Article, Entity, Layer
from newscorpus.model.gold import EntityGold, GoldFile, TopicGold, apply_gold
from tests.strategies import articles
from tests.test_labelstudio_convert import ent_at, sentence, with_topic

NOW = "2025-09-05T12:00:00+00:00"
EARLIER = "2025-09-01T08:00:00+00:00"


# --- push: what to send -------------------------------------------------------------------------------------------


def carried_out(known: Mapping[str, KnownTask], steps: Iterable[Step]) -> dict[str, KnownTask]:
    """The ledger once the steps are sent, as push records it: created tasks get the next free ids."""
    ledger = dict(known)
    ids = itertools.count(max((t.id for t in known.values()), default=0) + 1)
    for step in steps:
        match step:
            case Create():
                ledger[step.article_id] = known_task(next(ids), step.task["data"])
            case Update():
                ledger[step.article_id] = known_task(step.task_id, step.sent(NOW))
    return ledger


def test_each_article_gets_the_step_its_task_calls_for() -> None:
    article = sentence()  # imported gold entities
    task = new_task(article)
    data = task["data"]
    assert decide(None, task) == Create(task=task, later=True)  # gold: after the tasks without
    blank = article.model_copy(update={"annotation": article.annotation.model_copy(update={"entities": Layer()})})
    assert decide(None, new_task(blank)) == Create(task=new_task(blank), later=False)
    assert decide(known_task(5, data), task) == Unchanged(article_id=article.id)

    on_old_text = known_task(5, {**data, "text_sha256": "0" * 64})
    step = decide(on_old_text, task)
    # The article's own predictions go along: those of the task were made for the old text.
    assert step == Update(task_id=5, data=data, why="text", predictions=task["predictions"])
    assert step.sent(NOW)["text_changed_at"] == NOW  # flagged: annotations before NOW need review

    old_status = known_task(5, {**data, "entities_status": "none", "text_changed_at": EARLIER})
    step = decide(old_status, task)
    assert step == Update(task_id=5, data={**data, "text_changed_at": EARLIER}, why="data")
    assert step.sent(NOW)["text_changed_at"] == EARLIER  # a refresh keeps the flag of the earlier text change
    assert decide(known_task(5, {**data, "entities_status": "none"}), task).sent(NOW) == data


def test_the_plan_is_lazy_so_the_upload_starts_before_the_corpus_is_read() -> None:
    read: list[str] = []

    def payloads() -> Iterator[dict[str, Any]]:
        for n in range(3):
            read.append(f"a{n}")
            yield {"data": {"article_id": f"a{n}", "text_sha256": "a" * 64, "gold_layers": 0}}

    steps = plan_push({}, payloads())
    assert read == []
    assert next(steps) == Create(task={"data": {"article_id": "a0", "text_sha256": "a" * 64, "gold_layers": 0}},
                                 later=False)  # fmt: skip
    assert read == ["a0"]


# What push may find on the server for an article: no task, its task as is, or one of an older text or data.
STATES = ("absent", "same", "old text", "old status", "old text and status")


def server_task(task_id: int, data: dict[str, Any], state: str, stamped: bool) -> KnownTask:
    older = {**data}
    if "text" in state.split(" and ")[0].removeprefix("old "):
        older["text_sha256"] = "0" * 64
    if "status" in state:
        older["topic_status"] = "needs_review" if data["topic_status"] != "needs_review" else "gold"
    if stamped:
        older["text_changed_at"] = EARLIER
    return known_task(task_id, older)


@settings(max_examples=40)
@given(st.lists(articles(), max_size=5, unique_by=lambda a: a.id), st.data())
def test_a_second_plan_from_the_ledger_the_first_produced_sends_nothing(
    corpus: list[Article], draw: st.DataObject
) -> None:
    payloads = [new_task(article) for article in corpus]
    states = {a.id: draw.draw(st.sampled_from(STATES)) for a in corpus}
    known = {
        a.id: server_task(task_id, task["data"], states[a.id], draw.draw(st.booleans()))
        for task_id, (a, task) in enumerate(zip(corpus, payloads, strict=True), start=1)
        if states[a.id] != "absent"
    }
    before = dict(known)
    first = list(plan_push(known, payloads))
    assert known == before  # deciding changes nothing it is given
    for article, step in zip(corpus, first, strict=True):
        state = states[article.id]
        assert step.article_id == article.id
        match step:
            case Create():
                assert state == "absent"
                assert step.later == (task_data(article)["gold_layers"] > 0)
            case Update(why="text"):
                assert state in ("old text", "old text and status")
            case Update(why="data"):
                assert state == "old status"
                assert step.data.get("text_changed_at") == known[article.id].text_changed_at
            case Unchanged():
                assert state == "same"
    second = list(plan_push(carried_out(known, first), payloads))
    assert second == [Unchanged(article_id=article.id) for article in corpus]


def test_a_task_whose_data_the_server_holds_differently_is_updated_even_with_the_same_text() -> None:
    article = with_topic(sentence(), "Sport", "label-studio")
    data = task_data(article)
    server = known_task(3, {**data, "headline": "Eine andere Überschrift"})
    assert server.data_sha256 != data_sha256(data)
    assert decide(server, new_task(article)) == Update(task_id=3, data=data, why="data")


# --- pull: what the annotations make gold ---------------------------------------------------------------------------

NAMES = {1: "anna@example.org", 2: "ben@example.org", 3: "carla@example.org"}


def annotation(annotation_id: int, user: int, entities: list[Entity] | None, topic: str | None, **extra: Any) -> dict:
    result = to_results(entities, topic, origin="manual")
    return {"id": annotation_id, "completed_by": user, "result": result, "created_at": EARLIER, **extra}


def fetched(*tasks: Task) -> Fetched:
    return Fetched(project_id=9, tasks=list(tasks), names=NAMES)


def test_adjudicate_decides_each_task_and_reports_what_it_kept_out() -> None:
    imported = sentence()  # entity gold from GermEval
    text = imported.text
    corrected = [Entity(**ent_at(text, "Volkbert Keßler", "PER")), Entity(**ent_at(text, "Erfolg", "OTH"))]
    rejected = {"id": "r", "from_name": "label", "to_name": "text", "type": "labels",
                "value": {"start": 0, "end": 6, "text": "Meine", "labels": ["LOC"]}}  # fmt: skip
    tasks = [
        Task(id=1, data={"article_id": "gone", "text": "x", "text_sha256": "0" * 64}, annotations=[]),
        Task(id=2, data={**task_data(imported), "text": text + " Manipuliert."}, annotations=[]),
        Task(
            id=3,
            data=task_data(imported),
            annotations=[
                annotation(31, 1, corrected, "Sport"),
                annotation(32, 2, corrected, "Inland"),
                annotation(33, 3, None, None),
                {**annotation(34, 3, None, None, was_cancelled=True), "result": [rejected]},
            ],
        ),
    ]
    decided = adjudicate(fetched(*tasks), {imported.id: imported}, {})
    reasons = [(f.task_id, f.annotation_id, f.reason) for f in decided.findings]
    assert reasons[:2] == [
        (1, None, "names no article in the corpus"),
        (2, None, "the task's text is not the article's current text; push again"),
    ]
    assert any(a == 33 and "completes no layer" in r for _, a, r in reasons)
    assert any(a == 34 and "'Meine'" in r for _, a, r in reasons)
    assert any(a is None and "disagree on the topic" in r for _, a, r in reasons)
    gold = decided.gold_files[imported.id]
    assert (gold.entities, gold.topic) == (EntityGold(status="gold", spans=corrected),
                                           TopicGold(status="needs_adjudication"))  # fmt: skip
    assert {ref.annotator for ref in gold.annotations} == {pseudonym(NAMES[1]), pseudonym(NAMES[2])}  # not carla's
    assert (decided.outcome["entities"].gold, decided.outcome["topic"].needs_adjudication) == ([imported.id],) * 2
    (correction,) = decided.corrections  # the imported DFB. is gone, Erfolg is new
    assert (correction.task_id, correction.layer, correction.source) == (3, "entities", "germeval2014")
    assert set(decided.spans[imported.id]) == set(decided.topics[imported.id]) == {pseudonym(NAMES[1]),
                                                                                   pseudonym(NAMES[2])}  # fmt: skip


def test_adjudicate_carries_over_the_layers_this_pull_did_not_complete() -> None:
    article = sentence()
    spans = [Entity(**ent_at(article.text, "DFB.", "ORG"))]
    earlier = GoldFile(article_id=article.id, text_sha256=article.text_sha256,
                       entities=EntityGold(status="gold", spans=spans))  # fmt: skip
    task = Task(id=4, data=task_data(article), annotations=[annotation(41, 1, None, "Sport")])
    decided = adjudicate(fetched(task), {article.id: article}, {article.id: earlier})
    gold = decided.gold_files[article.id]
    assert (gold.entities, gold.topic) == (earlier.entities, TopicGold(status="gold", label="Sport"))
    assert decided.outcome["entities"].gold == []  # carried, not decided by this pull
    assert adjudicate(fetched(task), {article.id: article}, {}).gold_files[article.id].entities is None


@st.composite
def annotated(draw: st.DrawFn) -> tuple[Article, Task]:
    """An article and its task, with annotations of up to three annotators that agree, disagree or say nothing."""
    article = draw(articles())
    raws = []
    for n in range(draw(st.integers(1, 3))):
        entities = draw(st.one_of(st.none(), st.lists(st.sampled_from(article.entities), unique=True)
                                  if article.entities else st.just([])))  # fmt: skip
        topic = draw(st.one_of(st.none(), st.just(article.topic or "Sport"), st.just("Web")))
        extra = {"was_cancelled": draw(st.booleans()), "ground_truth": draw(st.booleans())}
        raws.append(annotation(100 + n, n + 1, entities, topic, **extra))
    return article, Task(id=7, data=task_data(article), annotations=raws)


@settings(max_examples=80)
@given(annotated())
def test_a_second_pull_over_the_gold_the_first_wrote_changes_nothing(case: tuple[Article, Task]) -> None:
    article, task = case
    first = adjudicate(fetched(task), {article.id: article}, {})
    if not first.gold_files:
        assert all(r["was_cancelled"] or not r["result"] for r in task.annotations)
        return
    gold = first.gold_files[article.id]
    now = apply_gold(article, gold, "annotations/x.json")
    assume(isinstance(now, Article))  # a drawn subset of nested spans can break the nesting rules
    assert isinstance(now, Article)
    second = adjudicate(fetched(task), {article.id: now}, {article.id: gold})
    assert second.gold_files == first.gold_files
    assert second.corrections == []
    assert second.findings == first.findings
