"""What a release changed: articles added, removed and changed, gold per label, split moves, schema, licences.

Computed from the two releases' ``documents`` files, read as Arrow (not as models), so that
releases of different schemas compare too: class labels are decoded with the names of each
release's own schema snapshot. Only what a comparison needs is read and held per article
(hashes, spans, topic), never its text: texts are compared by their hash, and read at the end
only for the articles whose text changed, for their word diff.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from newscorpus.core.errors import ReleaseError
from newscorpus.core.plural import plural
from newscorpus.core.semver import parse_semver
from newscorpus.release.manifest import MANIFEST, Manifest, read_manifest, release_dir, release_versions
from newscorpus.release.schema import read_snapshot
from newscorpus.release.schema_diff import Change, diff_snapshots
from newscorpus.release.versions import rebuild_hint

CONTENT = {"id", "text", "blocks", "entities", "topic", "annotation", "raw_file", "raw_line", "raw_encoding"}
CONTENT |= {"cluster_id"}  # split moves say what a cluster changed; a new column must not make every article changed
"""Columns compared on their own (or not at all: where a raw file lies is provenance, not content)."""
_UNREAD = CONTENT - {"id", "entities", "topic"}
"""Columns a comparison never looks at: the text is compared by its hash, and read again only where it changed."""
WORD_DIFF_CHARS = 300
"""A changed text's word diff is cut after this many characters."""
Span = tuple[int, int, str, int]


@dataclass(frozen=True)
class ArticleChange:
    """One article both releases hold, and what differs: its text (with a word diff) and metadata fields."""

    id: str
    text: str | None  # the word diff, if the text changed
    fields: list[str]


@dataclass
class ReleaseDiff:
    """Every difference between release ``old`` and release ``new``."""

    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ArticleChange] = field(default_factory=list)
    spans_added: dict[str, int] = field(default_factory=dict)
    spans_removed: dict[str, int] = field(default_factory=dict)
    topics: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    split_moves: list[tuple[str, str, str]] = field(default_factory=list)
    schema: list[Change] = field(default_factory=list)
    threshold: tuple[float, float] | None = None  # the near-duplicate threshold, before and now, if it changed
    licenses: dict[str, tuple[int, int]] = field(default_factory=dict)
    articles: tuple[int, int] = (0, 0)  # how many articles each release holds
    missing: str | None = None  # why articles were not compared (then only the manifests' figures are)

    def short(self) -> str:
        """Return the one-line summary that ``build`` prints."""
        threshold = [f"near-duplicate threshold {self.threshold[0]} → {self.threshold[1]}"] if self.threshold else []
        schema = [plural(len(self.schema), "schema change")] if self.schema else []
        if self.missing is not None:
            more = "".join(f", {part}" for part in [*schema, *threshold])
            return (
                f"Since {self.old}: {self.articles[0]} → {self.articles[1]} articles{more}; articles not compared: "
                f"{self.missing}"
            )
        gold = sum(self.spans_added.values()) + sum(self.spans_removed.values())
        parts = [
            f"{len(self.added)} added",
            f"{len(self.removed)} removed",
            f"{len(self.changed)} changed",
            plural(gold, "span change"),
            plural(len(self.topics), "topic change"),
        ]
        if self.split_moves:
            parts.append(plural(len(self.split_moves), "SPLIT MOVE", "SPLIT MOVES"))
        return f"Since {self.old}: " + ", ".join([*parts, *schema, *threshold]) + "."


@dataclass(frozen=True)
class _Seen:
    """What one release says of one article: enough to compare, no text."""

    split: str
    text_sha256: str
    fields: dict[str, int]  # column → hash of its value
    spans: tuple[Span, ...]
    topic: str | None
    license: str


def _names(snapshot: dict[str, Any], *path: str) -> list[str]:
    feature: Any = snapshot["features"]["documents"]
    for key in path:
        feature = feature[key]
    names: list[str] = feature["names"]
    return names


def _batches(corpus: Path, manifest: Manifest) -> Iterator[pa.RecordBatch]:
    """Yield the record batches of the release's documents files, or say why they cannot be read here."""
    folder = release_dir(corpus, manifest.version)
    if not any(entry.path.startswith("documents/") for entry in manifest.files):
        raise ReleaseError(
            f"Release {manifest.version} holds no documents config, which is what a diff compares. "
            "Try a release built with it (`newscorpus build --config documents …`)."
        )
    for entry in manifest.files:
        if not entry.path.startswith("documents/"):
            continue
        path = folder / entry.path
        if not path.is_file():
            raise ReleaseError(
                f"Release {manifest.version} has no {entry.path} here (a clone holds only manifests), and a diff "
                f"reads the data. {rebuild_hint(corpus, manifest)} Copy its data files into "
                f"{release_dir(corpus, manifest.version)} if they were rebuilt elsewhere, then diff again."
            )
        with pa.ipc.open_stream(path) as reader:
            yield from reader


def _rows(corpus: Path, manifest: Manifest) -> Iterator[dict[str, Any]]:
    """Yield the release's documents rows as plain dicts, class labels decoded by the release's own schema.

    Only the columns a comparison looks at are read: not the text, which is compared by its hash.
    """
    snapshot = read_snapshot(manifest.schema_version)
    splits, topics = _names(snapshot, "split"), _names(snapshot, "topic")
    labels = _names(snapshot, "entities", "feature", "label")
    for batch in _batches(corpus, manifest):
        for row in batch.drop_columns([name for name in batch.schema.names if name in _UNREAD]).to_pylist():
            row["split"] = splits[row["split"]]
            row["topic"] = None if row["topic"] is None else topics[row["topic"]]
            row["entities"] = [{**e, "label": labels[e["label"]]} for e in row["entities"]]
            yield row


def _texts(corpus: Path, manifest: Manifest, ids: Collection[str]) -> dict[str, str]:
    """Return the texts of the articles ``ids`` of a release: the only texts a diff reads."""
    wanted = pa.array(list(ids), type=pa.string())
    texts: dict[str, str] = {}
    for batch in _batches(corpus, manifest):
        picked = batch.select(["id", "text"]).filter(pc.is_in(batch["id"], value_set=wanted))
        texts.update(zip(picked["id"].to_pylist(), picked["text"].to_pylist(), strict=True))
    return texts


def _seen(row: dict[str, Any]) -> _Seen:
    spans = tuple(sorted((e["start"], e["end"], e["label"], e["level"]) for e in row["entities"]))
    # Both releases are read in this one process, so Python's own hash of each value's repr compares them.
    fields = {k: hash(repr(v)) for k, v in row.items() if k not in CONTENT}
    return _Seen(row["split"], row["text_sha256"], fields, spans, row["topic"], row["license"])


def word_diff(old: str, new: str, limit: int = WORD_DIFF_CHARS) -> str:
    """Return the changed words of ``old`` → ``new``, ``[-removed-] {+added+}`` with some context, cut at ``limit``."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            kept = a[i1:i2]
            out.append(" ".join(kept) if len(kept) <= 6 else f"{' '.join(kept[:3])} … {' '.join(kept[-3:])}")
            continue
        if i2 > i1:
            out.append(f"[-{' '.join(a[i1:i2])}-]")
        if j2 > j1:
            out.append(f"{{+{' '.join(b[j1:j2])}+}}")
    text = " ".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _threshold_change(before: Manifest, after: Manifest) -> tuple[float, float] | None:
    return None if before.threshold == after.threshold else (before.threshold, after.threshold)


def _schema_changes(before: Manifest, after: Manifest) -> list[Change]:
    if before.schema_version == after.schema_version:
        return []
    return diff_snapshots(read_snapshot(before.schema_version), read_snapshot(after.schema_version))


def diff_releases(corpus: Path, old: str, new: str) -> ReleaseDiff:
    """Compare release ``old`` with release ``new`` of ``corpus``."""
    before = read_manifest(release_dir(corpus, old) / MANIFEST)
    after = read_manifest(release_dir(corpus, new) / MANIFEST)
    result = ReleaseDiff(old=old, new=new, articles=(before.statistics.articles, after.statistics.articles))
    seen = {row["id"]: _seen(row) for row in _rows(corpus, before)}
    text_changed: set[str] = set()  # both texts are read at the end, only for these articles
    added, removed = Counter[str](), Counter[str]()
    licenses: dict[str, list[int]] = {}
    for article in seen.values():
        licenses.setdefault(article.license, [0, 0])[0] += 1
    kept: set[str] = set()
    for row in _rows(corpus, after):
        now = _seen(row)
        licenses.setdefault(now.license, [0, 0])[1] += 1
        was = seen.get(row["id"])
        if was is None:
            result.added.append(row["id"])
            added.update(label for _, _, label, _ in now.spans)
            continue
        kept.add(row["id"])
        if was.split != now.split:
            result.split_moves.append((row["id"], was.split, now.split))
        fields = sorted(k for k in was.fields.keys() | now.fields.keys() if was.fields.get(k) != now.fields.get(k))
        fields = [f for f in fields if f not in ("text_sha256", "raw_sha256", "split")]  # told apart below
        if was.text_sha256 != now.text_sha256:
            text_changed.add(row["id"])
        if fields or was.text_sha256 != now.text_sha256:
            result.changed.append(ArticleChange(row["id"], None, fields))
        added.update(label for *_, label, _ in sorted(set(now.spans) - set(was.spans)))
        removed.update(label for *_, label, _ in sorted(set(was.spans) - set(now.spans)))
        if was.topic != now.topic:
            result.topics.append((row["id"], was.topic, now.topic))
    result.removed = sorted(set(seen) - kept)
    for article_id in result.removed:
        removed.update(label for *_, label, _ in seen[article_id].spans)
    if text_changed:
        old_texts, new_texts = _texts(corpus, before, text_changed), _texts(corpus, after, text_changed)
        result.changed = [
            ArticleChange(c.id, word_diff(old_texts[c.id], new_texts[c.id]), c.fields) if c.id in text_changed else c
            for c in result.changed
        ]
    result.spans_added, result.spans_removed = dict(sorted(added.items())), dict(sorted(removed.items()))
    result.schema, result.threshold = _schema_changes(before, after), _threshold_change(before, after)
    result.licenses = _changed_counts(licenses)
    return result


def _changed_counts(counts: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
    return {k: (v[0], v[1]) for k, v in sorted(counts.items()) if v[0] != v[1]}


def previous_release(corpus: Path, version: str) -> str | None:
    """Return the newest release of ``corpus`` older than ``version``, or None if ``version`` is the first."""
    older = [v for v in release_versions(corpus) if parse_semver(v) < parse_semver(version)]
    return older[-1] if older else None


def _not_comparable(corpus: Path, manifest: Manifest, command: str) -> str | None:
    """Say why a diff cannot read ``manifest``'s release here (``command`` says more), or None if it can."""
    documents = [entry for entry in manifest.files if entry.path.startswith("documents/")]
    if not documents:
        return f"release {manifest.version} holds no documents config"
    folder = release_dir(corpus, manifest.version)
    if any(not (folder / entry.path).is_file() for entry in documents):
        return (
            f"the data files of release {manifest.version} are not here (a clone holds only manifests); "
            f"`{command}` says how to restore them"
        )
    return None


def changes_since(corpus: Path, version: str) -> ReleaseDiff | None:
    """Return what release ``version`` changed since the release before it (None for the first release).

    Articles are compared from both releases' data files. Where those are not here (a clone holds
    only manifests) or a release has no ``documents``, the diff holds what the manifests say:
    article and licence counts and the schema changes, and ``missing`` says why no more.
    """
    old = previous_release(corpus, version)
    if old is None:
        return None
    before = read_manifest(release_dir(corpus, old) / MANIFEST)
    after = read_manifest(release_dir(corpus, version) / MANIFEST)
    command = f"newscorpus diff {old} {version}"
    reason = _not_comparable(corpus, before, command) or _not_comparable(corpus, after, command)
    if reason is None:
        return diff_releases(corpus, old, version)
    licenses: dict[str, list[int]] = {}
    for index, manifest in enumerate((before, after)):
        for name, n in manifest.statistics.licenses.items():
            licenses.setdefault(name, [0, 0])[index] = n
    return ReleaseDiff(
        old=old,
        new=version,
        schema=_schema_changes(before, after),
        threshold=_threshold_change(before, after),
        licenses=_changed_counts(licenses),
        articles=(before.statistics.articles, after.statistics.articles),
        missing=reason,
    )
