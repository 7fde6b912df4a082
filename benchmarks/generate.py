"""Deterministic synthetic raw articles in the seed's page-copy layout, with bodies from real 10kGNAD texts.

Article ``i`` depends only on ``(seed, i)``: it has its own ``random.Random``, so the
first 10,000 articles of a 100,000-article corpus are the 10,000-article corpus, byte
for byte, and a token cache warmed on one serves the other. Files are sharded into
subfolders of 1,000 (``raw/000/artikel-000000.txt`` …).

Each article has: a title (kicker and headline on two lines; a few have a headline
only), a byline/date line (agency and/or authors, or none; ``04.09.2025 - 14:07 Uhr``
or ``4.9.2025, 14:07 Uhr``; ``Aktualisiert``/``Veröffentlicht``; mostly a reading
time), in most a caption with ``(Quelle: Credit)`` (usually after the date line, some
further down), a lead, 3–10 paragraphs and 0–3 subheadings between them.

Each article also gets a gold file (``annotations/artikel-IIIIII.json``), as a Label
Studio pull writes it, so that every article goes through ``ner`` and ``topics``: the
entity layer is gold with every name of a small gazetteer (agencies and photographers
of the credits, frequent places, parties, companies and politicians of the 10kGNAD
texts) found in the parsed text, and the topic layer is gold with the 10kGNAD class of
the text the headline comes from. Parsing for the gold's offsets and text hash costs as
much as writing the page copy, so articles are written on every core.

``generate_jsonl`` writes one JSONL file of records as a user's own pipeline would have them
(headline, body of blank-line separated paragraphs, URL, date, licence), with the same
10kGNAD sentences: the input of the peer script (``benchmarks.fig_peer``) and of our build beside it.

``python -m benchmarks.generate DIR N [--seed S] [--jsonl]`` writes a corpus from the shell.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Any

from newscorpus.core.pool import ordered_map
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Article
from newscorpus.model.gold import ANNOTATIONS_DIR, GoldFile, gold_path, load_gold

GNAD_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "10kgnad" / "test.csv"
SHARD = 1000
SEED = 20250904

_SENTENCE_SPLIT = re.compile(r"(?<=[a-zäöüß0-9)\"“”%][.!?])\s+(?=[A-ZÄÖÜ„\"])")
_SENTENCE_END = (".", "!", "?", "…", ":", ";", ",", '"', "“", "”", "»", "«", "'", ")")
_CAPTION_LIKE = re.compile(r"\((?:Quelle|Foto|Fotos|Bild|Bilder):")
_WORD = re.compile(r"[A-Za-zÄÖÜäöüß][\w-]*")

AGENCIES = ("dpa", "AFP", "AP", "Reuters", "KNA", "epd", "dts", "t-online")
FIRST_NAMES = (
    "Anna", "Jonas", "Lena", "Lukas", "Marie", "Felix", "Sophie", "Paul", "Laura", "Maximilian", "Julia",
    "Tobias", "Katharina", "Florian", "Sarah", "Jan", "Miriam", "David", "Carolin", "Sebastian",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
)  # fmt: skip
CREDITS = (
    "dpa", "Ludovic Marin/Pool AFP/AP/dpa/dpa-bilder", "Michael Kappeler/dpa", "IMAGO/Future Image",
    "Reuters", "imago images", "Kay Nietfeld/dpa", "AP/dpa", "Christoph Soeder/dpa", "t-online",
)  # fmt: skip
NAMES = {
    **dict.fromkeys(("dpa", "AFP", "AP", "Reuters", "IMAGO", "t-online", "APA", "ORF", "STANDARD"), "ORG"),
    **dict.fromkeys(("ÖVP", "SPÖ", "FPÖ", "EU", "Nato", "Google", "Apple", "Facebook", "Microsoft", "Rapid"), "ORG"),
    **dict.fromkeys(("Ludovic Marin", "Michael Kappeler", "Kay Nietfeld", "Christoph Soeder"), "PER"),
    **dict.fromkeys(("Faymann", "Mitterlehner", "Strache", "Merkel", "Mikl-Leitner", "Doskozil", "Obama"), "PER"),
    **dict.fromkeys(("Trump", "Putin", "Tsipras", "Varoufakis", "Van der Bellen", "Thiem"), "PER"),
    **dict.fromkeys(("Wien", "Österreich", "Deutschland", "USA", "Europa", "Türkei", "Syrien", "Griechenland"), "LOC"),
    **dict.fromkeys(("Frankreich", "Russland", "China", "Ungarn", "Ukraine", "Italien", "Großbritannien"), "LOC"),
    **dict.fromkeys(("Salzburg", "Graz", "Linz", "Innsbruck", "Berlin", "Paris", "Brüssel", "London", "Moskau"), "LOC"),
    "Wiener": "LOCderiv",
    "EU-Kommission": "ORGpart",
}  # fmt: skip
"""The gazetteer of the generated gold: names as they stand in the credits and the 10kGNAD texts, NoSta-D labels."""
_NAME = re.compile(
    r"(?<![\w-])(?=[" + "".join(sorted({re.escape(name[0]) for name in NAMES})) + "])"  # a quick first-letter test
    r"(?:" + "|".join(re.escape(name) for name in sorted(NAMES, key=len, reverse=True)) + r")(?![\w-])"
)  # longest first, so that "EU-Kommission" is one span, not "EU"; whole words only, so no span cuts a word


@cache
def gnad_texts(path: Path = GNAD_TEST) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return the 10kGNAD test texts, each as its class and its sentences (caption-like sentences left out)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";", quotechar="'"))
    texts = []
    for row in rows:
        if len(row) != 2:
            continue
        parts = _SENTENCE_SPLIT.split(" ".join(row[1].split()))
        sentences = tuple(s.strip() for s in parts if s.strip() and not _CAPTION_LIKE.search(s))
        if sentences:
            texts.append((row[0], sentences))
    return tuple(texts)


class _Sentences:
    """Consecutive sentences of one 10kGNAD text, moving on to another random text when one runs out."""

    def __init__(self, rng: random.Random, texts: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self.rng, self.texts = rng, texts
        self._new_text()
        self.topic = self.label  # the first text's class: that of the headline and (mostly) the lead

    def _new_text(self) -> None:
        self.label, self.current = self.texts[self.rng.randrange(len(self.texts))]
        self.pos = 0

    def take(self, n: int) -> list[str]:
        out = []
        for _ in range(n):
            if self.pos >= len(self.current):
                self._new_text()
            out.append(self.current[self.pos])
            self.pos += 1
        return out


def _phrase(rng: random.Random, sentence: str, lo: int, hi: int) -> str:
    """Return a few consecutive words of ``sentence`` without final punctuation (a kicker, headline, subheading)."""
    words = _WORD.findall(sentence) or ["Meldung"]
    n = min(len(words), rng.randint(lo, hi))
    start = rng.randrange(len(words) - n + 1)
    phrase = " ".join(words[start : start + n]).rstrip("".join(_SENTENCE_END) + "-_")
    phrase = phrase or "Meldung"
    return phrase[0].upper() + phrase[1:]


def _paragraph(sentences: list[str]) -> str:
    text = " ".join(sentences)
    return text if text.endswith(_SENTENCE_END) else text + "."


def _byline(rng: random.Random) -> str:
    author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    other = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    agency, agency2 = rng.sample(AGENCIES, 2)
    variants = (
        f"Von {agency} ",
        f"Von {agency}, {agency2} ",
        f"Von {author} ",
        f"Von {author} und {agency} ",
        f"Von {author}, {other} ",
        f"Von {author}, {other} und {agency} ",
        "",
    )
    weights = (30, 8, 20, 20, 10, 7, 5)
    return rng.choices(variants, weights)[0]


def _date_line(rng: random.Random) -> str:
    year, month, day = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    if rng.random() < 0.5:
        when = f"{day:02d}.{month:02d}.{year} - {hour:02d}:{minute:02d} Uhr"
    else:
        when = f"{day}.{month}.{year}, {hour}:{minute:02d} Uhr"
    verb = rng.choice(("Aktualisiert am ", "Veröffentlicht am "))
    reading = f" Lesedauer: {rng.randint(1, 12)} Min." if rng.random() < 0.8 else ""
    return f"{_byline(rng)}{verb}{when}{reading}"


def article_page(seed: int, index: int) -> tuple[str, str]:
    """Return the page copy of article ``index`` of the corpus generated with ``seed``, and its topic."""
    rng = random.Random(f"newscorpus-bench:{seed}:{index}")
    pool = _Sentences(rng, gnad_texts())
    title_words = pool.take(1)[0]
    headline = _phrase(rng, title_words, 4, 9)
    blocks = [f"{_phrase(rng, pool.take(1)[0], 1, 3)}\n{headline}" if rng.random() < 0.9 else headline]
    blocks.append(_date_line(rng))
    caption = None
    if rng.random() < 0.8:
        caption = f"{_paragraph(pool.take(1))} (Quelle: {rng.choice(CREDITS)})"
    caption_first = caption is not None and rng.random() < 0.8
    if caption_first:
        blocks.append(caption)
    blocks.append(_paragraph(pool.take(rng.randint(1, 3))))  # lead
    body = [_paragraph(pool.take(rng.randint(1, 5))) for _ in range(rng.randint(3, 10))]
    # Subheadings go before paragraphs 1..n-1 (never last, never in place of the lead).
    slots = sorted(rng.sample(range(1, len(body)), min(rng.randint(0, 3), len(body) - 1)), reverse=True)
    for slot in slots:
        body.insert(slot, _phrase(rng, pool.take(1)[0], 2, 7))
    if caption is not None and not caption_first:
        body.insert(rng.randrange(1, len(body)), caption)
    return "\n\n".join(blocks + body) + "\n", pool.topic


def article_path(corpus: Path, index: int) -> Path:
    """Return where article ``index`` is written: ``raw/NNN/artikel-IIIIII.txt``, 1,000 per folder."""
    return corpus / "raw" / f"{index // SHARD:03d}" / f"artikel-{index:06d}.txt"


def entity_spans(text: str) -> list[dict[str, Any]]:
    """Return every gazetteer name in ``text`` as an outer span, in text order (matches never overlap)."""
    return [
        {"start": m.start(), "end": m.end(), "label": NAMES[m[0]], "level": 0, "text": m[0]}
        for m in _NAME.finditer(text)
    ]


def gold_file(article: Article, topic: str | None) -> GoldFile:
    """Return the gold of ``article``: its entity layer from the gazetteer and, unless None, ``topic``."""
    layers = ["entities", "topic"] if topic else ["entities"]
    return GoldFile.model_validate(
        {
            "article_id": article.id,
            "text_sha256": article.text_sha256,
            "entities": {"status": "gold", "spans": entity_spans(article.text)},
            "topic": {"status": "gold", "label": topic} if topic else None,
            "annotations": [{"annotator": "bench-annotator", "layers": layers}],
        }
    )


def write_gold(corpus: Path, article: Article, topic: str | None) -> Path:
    """Write the gold file of ``article`` (see ``gold_file``) as a pull writes it; return its path."""
    path = gold_path(corpus, article.id)
    path.write_text(gold_file(article, topic).model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def _parse(corpus: Path, path: Path) -> Article:
    """Return the article of the generated page copy at ``path``, as the corpus reads it."""
    result = next(iter(parse_file(path, path.relative_to(corpus).as_posix())))
    if not isinstance(result, Article):
        raise RuntimeError(f"generated article {path} does not parse: {result}")
    return result


def _write_article(job: tuple[Path, int, int]) -> Path:
    corpus, seed, index = job
    text, topic = article_page(seed, index)
    path = article_path(corpus, index)
    path.write_bytes(text.encode("utf-8"))
    write_gold(corpus, _parse(corpus, path), topic)
    return path


def generate(corpus: Path, n: int, seed: int = SEED, processes: int | None = None) -> list[Path]:
    """Write articles ``0..n-1`` into ``corpus/raw/``, each with its gold file, on ``processes`` cores (None: all).

    Return the raw files' paths; the same seed and n give the same bytes.
    """
    gnad_texts()  # read once, before the workers fork
    for first in range(0, n, SHARD):
        article_path(corpus, first).parent.mkdir(parents=True, exist_ok=True)
    (corpus / ANNOTATIONS_DIR).mkdir(parents=True, exist_ok=True)
    jobs = ((corpus, seed, index) for index in range(n))
    return list(ordered_map(_write_article, jobs, processes, chunk=64))


def article_record(seed: int, index: int) -> dict[str, Any]:
    """Return JSONL record ``index`` of the corpus generated with ``seed``: metadata, a headline and a body."""
    rng = random.Random(f"newscorpus-bench-jsonl:{seed}:{index}")
    pool = _Sentences(rng, gnad_texts())
    pool.pos = rng.randrange(len(pool.current))  # about 20 records start with each text: not all at its start
    published = dt.datetime(
        rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59),
        tzinfo=dt.timezone(dt.timedelta(hours=rng.choice((1, 2)))),
    )  # fmt: skip
    headline = _phrase(rng, pool.take(1)[0], 4, 9)
    # A dateline before the lead, as agencies write it, so that records drawing the same sentences still differ.
    paragraphs = [f"{published:%d.%m.%Y} – {_paragraph(pool.take(rng.randint(1, 3)))}"]
    paragraphs += [_paragraph(pool.take(rng.randint(1, 5))) for _ in range(rng.randint(3, 10))]
    return {
        "url": f"https://www.example.de/{pool.topic.lower()}/artikel-{index:06d}.html",
        "published_at": published.isoformat(),
        "license": "CC-BY-4.0",
        "redistributable": True,
        "headline": headline,
        "body": "\n\n".join(paragraphs),
    }


def generate_jsonl(path: Path, n: int, seed: int = SEED) -> Path:
    """Write records ``0..n-1`` (see ``article_record``) to the JSONL file ``path``, one per line; return it."""
    gnad_texts()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for index in range(n):
            out.write(json.dumps(article_record(seed, index), ensure_ascii=False) + "\n")
    return path


def modify_article(corpus: Path, index: int, revision: int = 1) -> Path:
    """Change article ``index`` in place (a correction appended to its last paragraph); return its path.

    Each ``revision`` gives a different text, so repeated rebuilds each see one changed file. Its gold
    file is rewritten for the new text (same topic), as it would be after review: stale gold is an error.
    """
    path = article_path(corpus, index)
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_bytes(f"{text} Korrektur {revision}: Eine frühere Fassung nannte ein falsches Datum.\n".encode())
    article = _parse(corpus, path)
    gold = gold_path(corpus, article.id)
    old = load_gold(gold, gold.relative_to(corpus).as_posix())
    if not isinstance(old, GoldFile):
        raise RuntimeError(f"article {index} has no readable gold file: {old}")
    write_gold(corpus, article, old.topic.label if old.topic else None)
    return path


def main() -> None:
    """Write a corpus from the shell: ``python -m benchmarks.generate DIR N [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--jsonl", action="store_true", help="one JSONL file DIR/raw/articles.jsonl, no gold files")
    args = parser.parse_args()
    if args.jsonl:
        path = generate_jsonl(args.corpus / "raw" / "articles.jsonl", args.n, args.seed)
        print(f"wrote {args.n} records into {path}")
        return
    paths = generate(args.corpus, args.n, args.seed)
    print(f"wrote {len(paths)} articles into {args.corpus / 'raw'}, their gold into {args.corpus / ANNOTATIONS_DIR}")


if __name__ == "__main__":
    main()
