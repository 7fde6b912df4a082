"""Small builders for test corpora."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pyarrow as pa

from newscorpus.core.codes import Code
from newscorpus.core.offsets import sha256_text
from newscorpus.core.report import Problem
from newscorpus.derive.encode import articles_from_batch
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Article


def rss_mib() -> int:
    """Return this process's resident memory now, in MiB (Linux)."""
    status = Path("/proc/self/status").read_text(encoding="ascii").splitlines()
    return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))


def square_and_pid(n: int) -> tuple[int, int]:
    """Return ``n`` squared and this process's id: a job that says which worker ran it."""
    return n * n, os.getpid()


def pandas_imported(_: object) -> tuple[int, bool]:
    """Return this process's id and whether it has imported pandas: a job for a pool's workers."""
    return os.getpid(), "pandas" in sys.modules


def add_json_articles(corpus: Path, n: int, name: str = "bulk.jsonl", **extra: object) -> Path:
    """Write ``n`` distinct JSON articles as one JSONL raw file."""
    path = corpus / "raw" / name
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            record = {
                "url": f"https://example.org/artikel/{name}-{i}.html",
                "headline": f"Überschrift {i} aus {name}: Straße in München gesperrt",
                "body": f"Absatz {i} mit „Zitat“ und Größe.\n\nZweiter Absatz über Köln ({i}).",
                **extra,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def read_release(release: Path) -> dict[str, list[Article]]:
    """Read every split of a release back into articles."""
    out = {}
    for path in sorted((release / "documents").glob("*.arrow")):
        with pa.ipc.open_stream(path) as reader:
            out[path.stem] = list(articles_from_batch(reader.read_all()))
    return out


def write_gold(
    corpus: Path, article: Article, spans: list[tuple[str, str]], topic: str | None = "International"
) -> Path:
    """Write a gold file for ``article`` with one span per (surface, label), found in its text.

    Both layers are gold (the entity layer even with no span); without ``topic`` the topic layer is left out.
    """
    entities = []
    for surface, label in spans:
        start = article.text.index(surface)
        entities.append({"start": start, "end": start + len(surface), "label": label, "level": 0, "text": surface})
    layers = ["entities", *(["topic"] if topic else [])]
    gold = {
        "article_id": article.id,
        "text_sha256": sha256_text(article.text),
        "entities": {"status": "gold", "spans": entities},
        "topic": {"status": "gold", "label": topic} if topic else None,
        "annotations": [
            {
                "annotator": "annotator-1",
                "task_id": 1,
                "annotation_id": 1,
                "layers": layers,
                "created_at": "2025-09-05T10:00:00+00:00",
            }
        ],
    }
    path = corpus / "annotations" / f"{article.id}.json"
    path.write_text(json.dumps(gold, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def parse_raw(tmp_path: Path, name: str, content: str) -> list[Article | Problem]:
    """Write ``content`` as ``raw/NAME`` under ``tmp_path`` (UTF-8) and return what parsing it gives."""
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / name).write_text(content, encoding="utf-8")
    return list(parse_file(raw / name, f"raw/{name}"))


def jsonl_warned(tmp_path: Path, records: list[dict[str, object]], code: Code) -> tuple[list[Article], Problem]:
    """Parse ``records`` as one JSONL raw file; return its articles and its one warning of ``code`` (asserted one)."""
    results = parse_raw(tmp_path, "crawl.jsonl", "\n".join(json.dumps(record) for record in records) + "\n")
    [warning] = [r for r in results if isinstance(r, Problem) and r.code is code]
    return [r for r in results if isinstance(r, Article)], warning


def twins(folder: Path, ours: dict[str, object], theirs: dict[str, object]) -> tuple[Article, Article] | None:
    """Parse a record in the corpus's own keys and its twin in another tool's; return (theirs, ours) as articles.

    None where the corpus's record breaks a rule (a control character in the body, say): its twin must
    then break the same one.
    """
    expected = parse_raw(folder, "ours.json", json.dumps(ours))[0]
    got = parse_raw(folder, "theirs.json", json.dumps(theirs))[0]
    if isinstance(expected, Problem):
        assert isinstance(got, Problem)
        assert got.code == expected.code
        return None
    assert isinstance(got, Article)
    return got, expected
