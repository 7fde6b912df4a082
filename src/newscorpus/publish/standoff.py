"""Stand-off publishing: annotations, offsets and hashes without the texts a licence keeps private.

``publish --standoff`` writes every article that is not ``redistributable`` with its text
emptied: ``text`` and each span's ``text`` in ``documents``, the ``tokens`` in ``ner`` (each
an empty string, so tags and offsets still line up) and ``text`` in ``topics``. Offsets,
``text_sha256``, URL, metadata and licence stay. ``rehydrate`` fills the texts back in from the
user's own copies of the articles, read with the corpus's own parsers, matched by id or URL and
checked against ``text_sha256``; spans and tokens are cut from the text by their offsets. Each
Parquet row group is rewritten as the full publication wrote it, so a complete rehydration gives
the full publication back byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.core.errors import ReleaseError, UsageError
from newscorpus.core.offsets import sha256_text
from newscorpus.derive.configs.topics import topic_text
from newscorpus.ingest.listing import shown_name, walk_folder
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Article
from newscorpus.model.sidecar import SIDECAR_SUFFIX

KNOWN_CONFIGS = ("documents", "ner", "topics")
"""The configs whose text columns stand-off knows how to empty and fill; any other would leak its text."""
Texts = dict[str, Article | None]
"""Article id → the article whose text to fill in, or None to empty it."""


def _set(batch: pa.RecordBatch, name: str, values: list[Any]) -> pa.RecordBatch:
    index = batch.schema.get_field_index(name)
    column = pa.array(values, type=batch.schema.field(name).type)
    return batch.set_column(index, batch.schema.field(name), column)


def _cut(article: Article | None, start: int, end: int) -> str:
    return article.text[start:end] if article is not None else ""


def _text(config: str, article: Article | None) -> str:
    """Return the text a row of ``config`` holds for ``article``; empty for a withheld one."""
    if article is None:
        return ""
    return topic_text(article) if config == "topics" else article.text


def set_texts(config: str, batch: pa.RecordBatch, texts: Texts) -> pa.RecordBatch:
    """Return ``batch`` of ``config`` with the text of each article in ``texts`` filled in, or emptied for None."""
    ids = batch.column("article_id" if config == "ner" else "id").to_pylist()
    if not any(i in texts for i in ids):
        return batch
    if config == "ner":
        tokens = batch.column("tokens").to_pylist()
        offsets = batch.column("token_offsets").to_pylist()
        rows = zip(ids, tokens, offsets, strict=True)
        return _set(
            batch,
            "tokens",
            [[_cut(texts[i], o["start"], o["end"]) for o in offs] if i in texts else t for i, t, offs in rows],
        )
    if "text" not in batch.schema.names:
        return batch
    current = batch.column("text").to_pylist()
    batch = _set(
        batch, "text", [_text(config, texts[i]) if i in texts else t for i, t in zip(ids, current, strict=True)]
    )
    if config == "documents":
        spans = batch.column("entities").to_pylist()
        filled = [
            [{**e, "text": _cut(texts[i], e["start"], e["end"])} for e in es] if i in texts else es
            for i, es in zip(ids, spans, strict=True)
        ]
        batch = _set(batch, "entities", filled)
    return batch


def withheld_ids(batch: pa.RecordBatch) -> list[str]:
    """Return the ids of the ``documents`` rows whose text may not be shared."""
    ids, shareable = batch.column("id").to_pylist(), batch.column("redistributable").to_pylist()
    return [i for i, ok in zip(ids, shareable, strict=True) if not ok]


def _as_written(kind: pa.DataType) -> pa.DataType:
    """Return ``kind`` with every list's value field named ``item``, as Arrow names it (Parquet reads ``element``)."""
    if pa.types.is_list(kind):
        value = kind.value_field
        return pa.list_(pa.field("item", _as_written(value.type), value.nullable, value.metadata))
    if pa.types.is_struct(kind):
        return pa.struct([f.with_type(_as_written(f.type)) for f in kind])
    return kind


def rewrite_parquet(source: Path, target: Path, texts: Texts, config: str) -> None:
    """Copy a published Parquet file row group by row group, with ``texts`` set; row groups stay as they were.

    The schema is the one the publication wrote, list field names included, so the bytes are the same too.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    parquet = pq.ParquetFile(source)
    read = parquet.schema_arrow
    schema = pa.schema([f.with_type(_as_written(f.type)) for f in read], metadata=read.metadata)
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        for group in range(parquet.num_row_groups):
            for batch in parquet.read_row_group(group).cast(schema).to_batches():
                writer.write_batch(set_texts(config, batch, texts))


@dataclass
class Rehydration:
    """What ``rehydrate`` filled back in, and what it could not, with why."""

    filled: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every withheld text was filled back in."""
        return not self.missing and not self.mismatched


def copies(source: Path) -> Iterable[Article]:
    """Yield the articles of the user's own copies: one raw file (JSONL, JSON, page copy), or a folder of them."""
    if source.is_file():
        found = [(source, source.name)]
    elif source.is_dir():
        names, others = walk_folder(source)
        # A copy is matched by what it holds, not by its name: a file whose name is not UTF-8 (among the
        # others, with links and pipes) is read too, named with its bytes escaped.
        named = [*names, *(name for name in others if (source / name).is_file())]
        found = [(source / name, shown_name(name)) for name in named if not name.endswith(SIDECAR_SUFFIX)]
    else:
        raise UsageError(f"{source} is neither a raw file nor a folder. Try --from with your copies of the articles.")
    for path, name in found:
        yield from (item for item in parse_file(path, name) if isinstance(item, Article))


def match_copies(withheld: dict[str, tuple[str, str | None]], source: Path) -> tuple[dict[str, Article], Rehydration]:
    """Match each withheld article (id → text hash, URL) to a copy by id, else by URL, and check its text's hash."""
    by_url = {url: article_id for article_id, (_, url) in withheld.items() if url}
    texts: dict[str, Article] = {}
    wrong: dict[str, str] = {}
    for copy in copies(source):
        article_id = copy.id if copy.id in withheld else by_url.get(copy.url or "")
        if article_id is None or article_id in texts:
            continue
        if sha256_text(copy.text) == withheld[article_id][0]:
            texts[article_id] = copy
            wrong.pop(article_id, None)
        else:
            wrong[article_id] = f"{copy.raw_file}: its text is not the published one (its sha256 differs)"
    report = Rehydration(filled=sorted(texts))
    report.mismatched = sorted(wrong.items())
    report.missing = sorted(withheld.keys() - texts.keys() - wrong.keys())
    return texts, report


def read_marker(published: Path, marker_name: str) -> dict[str, Any]:
    """Return the publication marker of a stand-off folder, or raise naming what ``published`` is not."""
    try:
        marker: dict[str, Any] = json.loads((published / marker_name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{published} is no newscorpus publication. Try the folder `newscorpus publish` wrote."
        ) from exc
    if "standoff" not in marker:
        raise ReleaseError(f"{published} holds every text already: it was not published with --standoff.")
    return marker
