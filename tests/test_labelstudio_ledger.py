"""The push ledger without a server: reading and writing it, and when push must list every task."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.labelstudio.ledger import (
    KnownTask,
    Ledger,
    Listed,
    catch_up,
    changed_since,
    from_listing,
    known_task,
    ledger_path,
    load_ledger,
    save_ledger,
    watermark_of,
)

URL = "http://127.0.0.1:8089"
WATERMARK = "2025-09-05T10:00:00.000000Z"


def data(article_id: str, text_sha256: str = "a" * 64, **extra: Any) -> dict[str, Any]:
    return {"text": f"Text von {article_id}", "article_id": article_id, "text_sha256": text_sha256, **extra}


def ledger_of(*tasks: Listed, watermark: str | None = WATERMARK) -> Ledger:
    return Ledger(url=URL, project_id=7, watermark=watermark, tasks=from_listing(tasks)[0])


def never_listed(watermark: str) -> list[Listed]:
    raise AssertionError(f"listed the changes since {watermark} without a ledger to merge them into")


def test_a_saved_ledger_reads_back_and_only_for_its_server_and_project(tmp_path: Path) -> None:
    path = ledger_path(URL, 7, tmp_path / "ledgers")
    ledger = ledger_of((1, data("a")), (2, data("b", text_changed_at="2025-09-05T09:00:00+00:00")))
    save_ledger(path, ledger)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # atomic: no temp file left behind
    assert load_ledger(path, URL, 7) == ledger
    assert load_ledger(path, URL, 8) is None
    assert load_ledger(path, "http://127.0.0.1:8090", 7) is None
    assert len({ledger_path(URL, 7, tmp_path), ledger_path(URL, 8, tmp_path), ledger_path(URL + "0", 7, tmp_path)}) == 3


@pytest.mark.parametrize(
    "content",
    [None, "{not json", json.dumps({"url": URL, "project_id": 7, "tasks": {"a": {"id": 1, "text_sha256": None}}})],
    ids=["missing", "unreadable", "without data hashes (an older push's)"],
)
def test_a_ledger_push_cannot_use_reads_as_none(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "ledger.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert load_ledger(path, URL, 7) is None


def test_no_ledger_or_no_watermark_means_a_full_listing_without_asking_for_changes() -> None:
    assert catch_up(None, never_listed, 1) is None
    assert catch_up(ledger_of((1, data("a")), watermark=None), never_listed, 1) is None


def test_changes_since_the_watermark_are_merged_when_the_count_adds_up() -> None:
    ledger = ledger_of((1, data("a")), (2, data("b")))
    asked: list[str] = []

    def changed(watermark: str) -> list[Listed]:
        asked.append(watermark)
        return [(2, data("b", "b" * 64)), (3, data("c"))]

    known = catch_up(ledger, changed, 3)
    assert asked == [WATERMARK]
    assert known == {"a": ledger.tasks["a"], "b": known_task(2, data("b", "b" * 64)), "c": known_task(3, data("c"))}
    assert ledger.tasks["b"].text_sha256 == "a" * 64  # the ledger itself is left as it was


@pytest.mark.parametrize(
    ("changed", "task_number"),
    [
        ([], 1),  # a task was deleted
        ([], 3),  # a task was added that no listing of changes showed, or one that is not push's
        ([(4, {"text": "ohne article_id"})], 3),  # a task that is not push's
        ([(9, data("a"))], 2),  # the task of a was re-created (or duplicated) under another id
        ([(3, data("c")), (4, data("c"))], 3),  # two new tasks for one article
    ],
    ids=["deleted", "count", "foreign", "re-created", "duplicated"],
)
def test_anything_that_does_not_add_up_means_a_full_listing(changed: list[Listed], task_number: int) -> None:
    ledger = ledger_of((1, data("a")), (2, data("b")))
    assert catch_up(ledger, lambda _: changed, task_number) is None


def test_a_full_listing_keeps_the_first_task_of_an_article_and_reports_the_others() -> None:
    known, problems = from_listing([(1, data("a")), (2, {"text": "not push's"}), (3, data("b")), (5, data("a"))])
    assert known == {"a": known_task(1, data("a")), "b": known_task(3, data("b"))}
    (problem,) = problems
    assert (problem.code, problem.file, problem.message) == (
        Code.LABELSTUDIO_DUPLICATE_TASK,
        "label-studio task 5",
        "duplicates the task of 'a'",
    )


listings = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
    st.tuples(st.sampled_from(["a" * 64, "b" * 64]), st.sampled_from(["none", "gold"])),
    max_size=8,
).map(
    lambda by_id: [
        (task_id, data(article_id, sha, entities_status=status))
        for task_id, (article_id, (sha, status)) in enumerate(sorted(by_id.items()), start=1)
    ]
)


@given(listings, st.data())
def test_listing_again_what_the_ledger_knows_changes_nothing(listing: list[Listed], draw: st.DataObject) -> None:
    known, problems = from_listing(listing)
    assert problems == []
    ledger = Ledger(url=URL, project_id=7, watermark=WATERMARK, tasks=known)
    again = draw.draw(st.lists(st.sampled_from(listing), unique_by=lambda task: task[0]) if listing else st.just([]))
    assert catch_up(ledger, lambda _: again, len(listing)) == known
    assert catch_up(ledger, lambda _: again, len(listing) + 1) is None


def test_the_changes_query_filters_on_updated_at_and_on_the_highest_known_id() -> None:
    items = json.loads(changed_since(WATERMARK, 42))["filters"]["items"]
    assert [(i["filter"], i["operator"], i["value"]) for i in items] == [
        ("filter:tasks:updated_at", "greater", WATERMARK),
        ("filter:tasks:id", "less_or_equal", 42),
    ]
    assert len(json.loads(changed_since(WATERMARK))["filters"]["items"]) == 1


def test_the_watermark_is_the_server_time_in_utc_in_the_filter_format() -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    task = SimpleNamespace(updated_at=dt.datetime(2025, 9, 5, 12, 0, 1, 250, tzinfo=berlin))
    assert watermark_of(task) == "2025-09-05T10:00:01.000250Z"
    assert watermark_of(None) is None
    assert watermark_of(SimpleNamespace(updated_at=None)) is None


def test_the_ledger_keeps_when_the_text_changed_but_does_not_hash_it() -> None:
    stamped = known_task(1, data("a", text_changed_at="2025-09-05T09:00:00+00:00"))
    assert stamped == KnownTask(
        id=1,
        text_sha256="a" * 64,
        data_sha256=known_task(1, data("a")).data_sha256,
        text_changed_at="2025-09-05T09:00:00+00:00",
    )
