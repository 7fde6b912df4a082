"""Imported corpora back in their published format, so a correction can be shared upstream.

The GermEval 2014 import keeps every byte the format holds (tokens, tags,
comment line), so the export of an unchanged import is the published file,
byte for byte. An export is all or nothing: if any record of the file has a
problem, or its gold no longer fits the tokens, it is refused, never partial.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from newscorpus.article import Article
from newscorpus.corpus import RAW_DIR, check_corpus, iter_corpus
from newscorpus.errors import InvalidInput, NewscorpusError, UsageError
from newscorpus.gold import ANNOTATIONS_DIR
from newscorpus.ner import NestingError, check_nesting, spans_to_bio
from newscorpus.report import Problem, Report
from newscorpus.sidecar import SIDECAR_SUFFIX, load_sidecar, sidecar_path

_SOURCE = re.compile(r"(.*) \[([^\[\]]*)\]", re.DOTALL)
"""``source`` as the GermEval import writes it: ``f"{url} [{date}]"``."""


class ExportError(NewscorpusError):
    """The articles cannot be written in the asked format without losing something."""


def _sentence(article: Article) -> str:
    """Return one article as a GermEval sentence: its comment line and one line per token."""
    comment = _SOURCE.fullmatch(article.source or "")
    if not article.pretokenized or comment is None:
        raise ExportError(
            f"{article.id} is no GermEval 2014 sentence: it needs pretokenized text and a source `URL [DATE]`"
        )
    tokens, offsets, start = article.text.split(" "), [], 0
    for token in tokens:
        offsets.append((start, start + len(token)))
        start += len(token) + 1
    levels = [[(e.start, e.end, e.label) for e in article.entities if e.level == level] for level in (0, 1)]
    try:
        check_nesting(list(article.entities))
        outer, inner = (spans_to_bio(offsets, spans) for spans in levels)
    except NestingError as exc:
        raise ExportError(f"{article.id} cannot be written as GermEval 2014 tags: {exc}") from exc
    url, date = comment.groups()
    lines = [f"#\t{url}\t[{date}]\t"]
    lines += [f"{i}\t{t}\t{o}\t{n}" for i, (t, o, n) in enumerate(zip(tokens, outer, inner, strict=True), start=1)]
    return "\n".join(lines)


def export_germeval2014(articles: Iterable[Article]) -> str:
    """Return the GermEval 2014 TSV text of ``articles``, in the order given: a blank line between sentences."""
    sentences = [_sentence(article) for article in articles]
    return "\n\n".join(sentences) + "\n" if sentences else ""


def raw_name(corpus: Path, raw: str) -> str:
    """Return how the corpus names a raw file given relative to the corpus (or as a path to it)."""
    given = Path(raw)
    for path in ([] if given.is_absolute() else [corpus / given]) + [given]:
        if path.is_file():
            try:
                name = path.resolve().relative_to(corpus.resolve()).as_posix()
            except ValueError:
                continue
            if name.startswith(f"{RAW_DIR}/"):
                return name
    raise UsageError(
        f"{raw} is no raw file of {corpus}: name it relative to the corpus, "
        "such as raw/imports/germeval2014/NER-de-dev.tsv"
    )


def articles_of(corpus: Path, raw_file: str) -> list[Article]:
    """Return the articles of one raw file in file order, gold applied; refuse if any of its records has a problem.

    A problem (a bad sentence, a duplicate dropped, gold that does not apply) would make an
    export silently incomplete or stale, so it is an error here even where it is only a warning.
    """
    articles: list[Article] = []
    problems: list[Problem] = []
    for result in iter_corpus(check_corpus(corpus)):
        if isinstance(result, Problem):
            problems.append(result)
        elif result.raw_file == raw_file:
            articles.append(result)
    ids = {a.id for a in articles}
    gold_files = {f"{ANNOTATIONS_DIR}/{i}.json" for i in ids}
    mine = [p for p in problems if p.file == raw_file or p.file in gold_files or p.article_id in ids]
    if mine:
        raise InvalidInput(
            f"{raw_file} has {len(mine)} problems, so an export would be incomplete. Fix them and export again.",
            Report(problems=mine),
        )
    if not articles:
        raise ExportError(f"{raw_file} yields no articles to export")
    return sorted(articles, key=lambda a: a.raw_line or 0)


def imported_articles(corpus: Path, raw_file: str, fmt: str) -> list[Article]:
    """Return the articles of ``raw_file``, which must be an import of format ``fmt``."""
    sidecar_name = raw_file.rsplit(".", 1)[0] + SIDECAR_SUFFIX
    sidecar = load_sidecar(sidecar_path(corpus / raw_file), sidecar_name)
    if sidecar.format != fmt:
        raise ExportError(
            f"{raw_file} is not a {fmt} import (its sidecar names format {sidecar.format or 'none'}); "
            f"export takes a file imported with `newscorpus import {fmt}`"
        )
    return articles_of(corpus, raw_file)
