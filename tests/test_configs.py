"""A config is one class: a toy config, registered in this file alone, goes through build, publish, card and summary."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import datasets
import pytest
import yaml
from pydantic import Field
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.errors import ReleaseError, UsageError
from newscorpus.derive.configs import CONFIGS, Config, Rows, get_config, register, select_configs, unregister
from newscorpus.derive.encode import row_encoder
from newscorpus.derive.features import features_for, schema_for
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article, ArticleId, Record
from newscorpus.publish.folder import publish
from newscorpus.publish.summary import summarize
from newscorpus.release.build import build
from newscorpus.release.schema import pending_changes, snapshot
from newscorpus.release.verify import verify
from tests.helpers import add_json_articles, write_gold

SEED_HEADLINE = "Koalition der Willigen ringt um Militärhilfe für Ukraine"


class HeadlineRow(Record):
    """One article's headline."""

    id: ArticleId
    headline: str = Field(description="The article's headline block.")


class Headlines(Config):
    """A toy config: one row per article that has a headline."""

    name = "headlines"
    model = HeadlineRow
    description = "one row per article with a headline, holding just the headline."

    def rows(self, article: Article) -> Rows:
        found = [article.text[b.start : b.end] for b in article.blocks if b.kind == "headline"]
        return [row_encoder(HeadlineRow)({"id": article.id, "headline": found[0]})] if found else []

    def summarize(self, split: datasets.Dataset) -> dict[str, Counter[str]]:
        return {"first words": Counter(headline.split()[0] for headline in split["headline"])}


@pytest.fixture
def headlines() -> Iterator[type[Headlines]]:
    register(Headlines)
    yield Headlines
    unregister("headlines")


def test_a_config_makes_the_rows_of_many_articles_one_by_one_unless_it_says_otherwise(corpus: Path) -> None:
    add_json_articles(corpus, 2)
    articles = [a for a in iter_corpus(corpus) if isinstance(a, Article)]
    assert Headlines().rows_many(articles) == [Headlines().rows(a) for a in articles]
    assert [rows[0]["id"] for rows in Headlines().rows_many(articles[::-1])] == [a.id for a in articles[::-1]]


def test_the_configs_are_registered_in_their_fixed_order() -> None:
    assert list(CONFIGS) == ["documents", "ner", "topics"]
    assert [c.name for c in select_configs(["topics", "documents"])] == ["documents", "topics"]


def test_a_config_registered_in_a_test_alone_is_built_published_loaded_described_and_summarised(
    corpus: Path, tmp_path: Path, headlines: type[Headlines]
) -> None:
    add_json_articles(corpus, 20)
    seed = next(a for a in iter_corpus(corpus) if isinstance(a, Article) and a.text.startswith("Beratungen"))
    write_gold(corpus, seed, [("Emmanuel Macron", "PER")])  # so that every config has rows to publish
    result = build(corpus, "1.0.0", processes=2)  # its rows are made on the workers that parse the articles
    manifest = result.manifest
    assert list(manifest.splits) == ["documents", "ner", "topics", "headlines"]
    assert manifest.splits["headlines"] == manifest.splits["documents"]  # every article here has a headline
    assert {e.path for e in manifest.files if e.path.startswith("headlines/")} == {
        f"headlines/{split}.arrow" for split in manifest.splits["headlines"]
    }
    assert verify(corpus, "1.0.0").valid

    out = tmp_path / "published"
    publish(corpus, "1.0.0", out)
    loaded = datasets.load_dataset(str(out), "headlines", cache_dir=str(tmp_path / "hf"))
    assert {split: data.num_rows for split, data in loaded.items()} == {
        split: n for split, n in manifest.splits["headlines"].items() if n
    }
    assert loaded["train"].features == features_for(HeadlineRow)
    texts = {row["headline"] for data in loaded.values() for row in data}
    assert texts == {SEED_HEADLINE} | {f"Überschrift {i} aus bulk.jsonl: Straße in München gesperrt" for i in range(20)}

    card = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert {c["config_name"] for c in meta["configs"]} == {"documents", "ner", "topics", "headlines"}  # sorted there
    assert {i["config_name"]: i["splits"] for i in meta["dataset_info"]}["headlines"] == [
        {"name": split, "num_bytes": 0, "num_examples": n} for split, n in manifest.splits["headlines"].items() if n
    ]
    assert "- `headlines`: one row per article with a headline, holding just the headline." in card
    assert "### `headlines`" in card
    assert "| `headline` | string | The article's headline block. |" in card

    summary = summarize(out, "headlines")
    assert summary.counts == {"first words": {"Koalition": 1, "Überschrift": 20}}
    printed = CliRunner().invoke(app, ["summary", str(out), "--config", "headlines"])
    assert printed.exit_code == 0, printed.output
    assert "First words: Koalition 1, Überschrift 20" in printed.stdout


def test_the_cli_builds_a_registered_config_alone(corpus: Path, headlines: type[Headlines]) -> None:
    result = CliRunner().invoke(app, ["build", "--version", "1.0.0", "--corpus", str(corpus), "--config", "headlines"])
    assert result.exit_code == 0, result.output
    assert "(headlines: train 1, validation 0, test 0)." in result.stdout.replace("\n", "")
    assert sorted(p.name for p in (corpus / "releases" / "1.0.0").iterdir()) == ["headlines", "manifest.json"]


def test_the_schema_snapshot_holds_every_registered_config(headlines: type[Headlines]) -> None:
    current = snapshot()
    assert list(current["arrow_schemas"]) == ["documents", "ner", "topics", "headlines"]
    assert current["arrow_schemas"]["headlines"] == {"id": "string", "headline": "string"}
    assert list(current["records"]) == ["Article", "GoldFile", "NerSentence", "TopicRow", "HeadlineRow"]
    added = [c for c in pending_changes() if c.path == "HeadlineRow"]
    assert [(c.what, c.level) for c in added] == [("record type added", "minor")]


def test_a_config_is_registered_once_under_a_name_it_can_be_published_as(headlines: type[Headlines]) -> None:
    with pytest.raises(UsageError, match="A config named headlines is registered already"):
        register(Headlines)
    with pytest.raises(UsageError, match="'Neue Schlagzeilen' is no config name"):
        register(type("Bad", (Headlines,), {"name": "Neue Schlagzeilen"}))
    assert list(CONFIGS) == ["documents", "ner", "topics", "headlines"]


def test_an_unregistered_config_is_unknown_again() -> None:
    register(Headlines)
    unregister("headlines")
    with pytest.raises(UsageError, match=r"Unknown config headlines\. Try one or more of documents, ner, topics\."):
        select_configs(["headlines"])
    with pytest.raises(UsageError, match="This code has no config headlines; its configs are documents, ner, topics"):
        get_config("headlines")


def test_stand_off_refuses_a_config_whose_text_it_cannot_withhold(corpus: Path, headlines: type[Headlines]) -> None:
    """The toy's headline is text: a stand-off publication that left it in would leak what it withholds."""
    build(corpus, "1.0.0")
    with pytest.raises(ReleaseError, match="does not know where the configs headlines hold text"):
        publish(corpus, "1.0.0", corpus.parent / "standoff", standoff=True)
    assert not (corpus.parent / "standoff").exists()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_build_writes_the_schema_datasets_makes_of_the_config_s_features(name: str) -> None:
    """The build derives its Arrow schema without ``datasets``: it must be the very one ``datasets`` derives."""
    model = get_config(name).model
    ours, theirs = schema_for(model), features_for(model).arrow_schema
    assert ours.equals(theirs, check_metadata=True)
    assert ours.metadata == theirs.metadata  # the Features JSON, byte for byte


def test_a_build_does_not_import_datasets(corpus: Path) -> None:
    """Importing ``datasets`` takes seconds; a build needs only the schema, so it leaves it out."""
    add_json_articles(corpus, 3)
    code = (
        "import sys; from pathlib import Path; from newscorpus.release.build import build; "
        f"build(Path({str(corpus)!r}), '1.0.0', processes=1); print('datasets' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert (corpus / "releases" / "1.0.0" / "documents").is_dir()
