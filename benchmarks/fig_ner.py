"""The ner figures: a cold-cache ner build of the 10kGNAD test file on 1 and 2 cores, against SoMaJo alone."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from benchmarks.common import Bench, Figure, timed
from benchmarks.generate import GNAD_TEST, write_gold
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.model.gold import ANNOTATIONS_DIR


def _ner_corpus(bench: Bench) -> Path:
    """Return a corpus holding the 10kGNAD test file (or its first ``--ner-texts`` rows), every text with entity gold.

    10kGNAD's own gold is the topic only, and ``ner`` takes only articles whose entity layer is gold:
    each article gets a gold file with the generator's gazetteer spans (its topic layer left to the import).
    """
    corpus = bench.tmp / "corpora" / "ner"
    shutil.rmtree(corpus, ignore_errors=True)
    (corpus / "raw").mkdir(parents=True)
    source = GNAD_TEST
    with GNAD_TEST.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";", quotechar="'"))
    if bench.args.ner_texts and bench.args.ner_texts < len(rows):
        rows = rows[: bench.args.ner_texts]
        source = bench.tmp / "ner-source" / "test.csv"
        source.parent.mkdir(parents=True, exist_ok=True)
        with source.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";", quotechar="'", lineterminator="\n").writerows(rows)
    from newscorpus.ingest.importers import import_file

    import_file(corpus, "10kgnad", source, None)
    (corpus / ANNOTATIONS_DIR).mkdir()
    for article in iter_corpus(corpus):
        if isinstance(article, Article):
            write_gold(corpus, article, None)
    return corpus


def fig_ner(bench: Bench) -> list[Figure]:
    """The ner config of 10kGNAD test, cold cache, on 1 and 2 processes, against SoMaJo alone on one core."""
    from somajo import SoMaJo

    corpus = _ner_corpus(bench)
    articles = [a for a in iter_corpus(corpus) if isinstance(a, Article)]
    blocks = [a.text[b.start : b.end] for a in articles for b in a.blocks]
    tokenizer = SoMaJo("de_CMC", split_camel_case=False, character_offsets=True)

    def somajo_alone() -> tuple[int, int]:
        sentences = tokens = 0
        for text in blocks:
            for sentence in tokenizer.tokenize_text([text]):
                sentences += 1
                tokens += len(sentence)
        return sentences, tokens

    results: dict[str, list[tuple[float, int, int]]] = {"somajo": [], "p1": [], "p2": []}
    for r in range(bench.args.repeat):
        seconds, (sentences, tokens) = timed(somajo_alone)
        results["somajo"].append((seconds, sentences, tokens))
        bench.log(f"ner baseline {r + 1}: SoMaJo alone {seconds:.1f} s, {tokens / seconds:,.0f} tokens/s")
        for processes in (1, 2):
            cache = bench.tmp / "cache-ner"
            shutil.rmtree(cache, ignore_errors=True)
            seconds, result = timed(lambda cache=cache, p=processes: bench.build(corpus, cache, processes=p))
            stats = result.manifest.statistics
            results[f"p{processes}"].append((seconds, stats.sentences, stats.tokens))
            rate = stats.tokens / seconds
            bench.log(f"ner build {r + 1}, {processes} processes: {seconds:.1f} s, {rate:,.0f} tokens/s")
    shutil.rmtree(bench.tmp / "cache-ner", ignore_errors=True)

    def rates(key: str) -> tuple[list[float], list[float]]:
        return [t / s for s, _, t in results[key]], [n / s for s, n, _ in results[key]]

    (base_tok, base_sent), (p1_tok, p1_sent), (p2_tok, p2_sent) = rates("somajo"), rates("p1"), rates("p2")
    extra = {
        "articles": len(articles),
        "sentences": {k: v[0][1] for k, v in results.items()},
        "tokens": {k: v[0][2] for k, v in results.items()},
        "seconds": {k: [s for s, _, _ in v] for k, v in results.items()},
        "sentences_per_s": {"somajo": base_sent, "p1": p1_sent, "p2": p2_sent},
    }
    return [
        Figure(
            "ner_1core", f"build (ner config) of 10kGNAD test ({len(articles)} texts), cold cache, processes=1",
            "tokens/s", p1_tok, 0.8, ">=", "SoMaJo de_CMC tokenize_text alone, one core", "tokens/s", base_tok, extra,
        ),
        Figure(
            "ner_2core", "the same build with processes=2", "tokens/s", p2_tok, 1.6, ">=",
            "the same build with processes=1", "tokens/s", p1_tok,
        ),
    ]  # fmt: skip
