"""Imported corpora back in their published format, so a correction can be shared upstream.

The GermEval 2014 export is the raw file it exports, which the corpus keeps
byte for byte, with its tag columns rewritten from the records: comment lines,
tokens, extra columns, line ends and blank lines are the file's (see
``parsers.germeval`` for why the layout is taken from there, not from the
records), so the export of an unchanged import is the published file, byte for
byte. An export is all or nothing: if any record of the file has a problem, or
its gold no longer fits the tokens, it is refused, never partial.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from newscorpus.core.errors import InvalidInput, NewscorpusError, UsageError
from newscorpus.core.offsets import pretokenized_offsets
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem, Report
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.ingest.listing import RAW_DIR, check_corpus
from newscorpus.ingest.parsers import germeval
from newscorpus.model.article import Article
from newscorpus.model.bio import NestingError, check_nesting, spans_to_bio
from newscorpus.model.gold import ANNOTATIONS_DIR
from newscorpus.model.sidecar import load_sidecar, sidecar_path


class ExportError(NewscorpusError):
    """The articles cannot be written in the asked format without losing something."""


def _tags(article: Article) -> tuple[list[str], list[str]]:
    """Return the outer and inner BIO tags of one GermEval sentence's tokens, from its gold spans."""
    offsets = pretokenized_offsets(article.text.split(" "))
    levels = [[(e.start, e.end, e.label) for e in article.entities if e.level == level] for level in (0, 1)]
    try:
        check_nesting(list(article.entities))
        outer, inner = (spans_to_bio(offsets, spans) for spans in levels)
    except NestingError as exc:
        raise ExportError(f"{article.id} cannot be written as GermEval 2014 tags: {exc}") from exc
    return outer, inner


def export_germeval2014(articles: Iterable[Article], raw: Path) -> str:
    """Return the GermEval 2014 TSV text of ``raw`` with the tags of ``articles``, one per sentence of it.

    Every sentence of ``raw`` needs its article (matched by ``raw_line``, checked by ``raw_sha256``),
    and every article its sentence; only the two tag columns of the token lines are rewritten.
    """
    bom, lines = germeval.split_lines(raw.read_bytes().decode("utf-8"))
    by_line = {article.raw_line: article for article in articles}
    out = [line for line, _ in lines]
    for group in germeval.sentences(out):
        number = group[0][0]
        article = by_line.pop(number, None)
        if article is None:
            message = f"the sentence at line {number} of {raw.name} has no record; `newscorpus validate` says why"
            raise ExportError(message)
        if article.raw_sha256 != germeval.sentence_sha256(group, lines):
            raise ExportError(
                f"{article.id} was read from other lines than line {number} of {raw.name} holds now; "
                "validate the corpus and export again"
            )
        outer, inner = _tags(article)
        for (row, line), outer_tag, inner_tag in zip(germeval.token_lines(group), outer, inner, strict=True):
            cells = line.split("\t")
            out[row - 1] = "\t".join([*cells[:2], outer_tag, inner_tag, *cells[len(germeval.COLUMNS) :]])
    if by_line:
        names = ", ".join(sorted(a.id for a in by_line.values()))
        raise ExportError(f"{names}: no sentence of {raw.name} starts at the line these records were read from")
    return bom + "".join(line + end for line, (_, end) in zip(out, lines, strict=True))


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
    export silently incomplete or stale, so it is an error here even where it is only a warning;
    but a warning about the whole file, or about a record that is exported, loses nothing.
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
    mine = [
        p
        for p in problems
        if (p.file == raw_file or p.file in gold_files or p.article_id in ids)
        and (p.severity == "error" or (p.article_id is not None and p.article_id not in ids))
    ]
    if mine:
        raise InvalidInput(
            f"{raw_file} has {plural(len(mine), 'problem')}, so an export would be incomplete. "
            "Fix them and export again.",
            Report(problems=mine),
        )
    if not articles:
        raise ExportError(f"{raw_file} yields no articles to export")
    return sorted(articles, key=lambda a: a.raw_line or 0)


def imported_articles(corpus: Path, raw_file: str, fmt: str) -> list[Article]:
    """Return the articles of ``raw_file``, which must be an import of format ``fmt``."""
    sidecar_name = sidecar_path(raw_file)
    sidecar = load_sidecar(sidecar_path(corpus / raw_file), sidecar_name)
    if sidecar.format != fmt:
        raise ExportError(
            f"{raw_file} is not a {fmt} import (its sidecar names format {sidecar.format or 'none'}); "
            f"export takes a file imported with `newscorpus import {fmt}`"
        )
    return articles_of(corpus, raw_file)
