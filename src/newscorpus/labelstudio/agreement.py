"""Inter-annotator agreement, which Label Studio's Community edition does not compute.

Spans: pairwise F1 between every two annotators over the tasks both annotated,
counting a match either exactly (same start, end, label and level) or by
overlap (same label and level, overlapping ranges; each span matched once);
and per label, the same F1 over every pair of annotators at once.
Topics: Cohen's kappa averaged over annotator pairs and Fleiss' multi-kappa,
from NLTK's ``AnnotationTask``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence

from nltk.metrics.agreement import AnnotationTask
from pydantic import BaseModel, ConfigDict

from newscorpus.model.article import Entity
from newscorpus.model.labels import label_sets

Span = tuple[int, int, str, int]


class PairAgreement(BaseModel):
    """Span agreement between two annotators."""

    model_config = ConfigDict(extra="forbid")
    annotators: tuple[str, str]
    tasks: int
    exact_f1: float
    overlap_f1: float


class LabelAgreement(BaseModel):
    """Span agreement on one label, over every pair of annotators of the same text."""

    model_config = ConfigDict(extra="forbid")
    label: str
    spans: int
    """The spans of this label the pairs compared (each annotator's, in each pair)."""
    exact_f1: float
    overlap_f1: float


class AgreementReport(BaseModel):
    """Agreement over a project: span F1 per annotator pair and per label, kappa on topics."""

    model_config = ConfigDict(extra="forbid")
    pairs: list[PairAgreement]
    labels: list[LabelAgreement]
    """In the order of the label set."""
    topic_items: int
    cohen_kappa: float | None
    fleiss_kappa: float | None


def _f1(matched: int, a: int, b: int) -> float:
    return 1.0 if a == b == 0 else 2 * matched / (a + b)


def _overlap_matches(a: Sequence[Span], b: Sequence[Span]) -> int:
    """Return how many spans of ``a`` can be matched, each to its own overlapping span of ``b``: the most there are.

    A maximum bipartite matching (augmenting paths, Kuhn's algorithm): matching greedily in order
    could pair a span with the wrong partner and count fewer overlaps than exact matches.
    """
    partners = [
        [i for i, (s, e, lab, lev) in enumerate(b) if lab == label and lev == level and s < end and start < e]
        for start, end, label, level in a
    ]
    owner: dict[int, int] = {}  # a span of b -> the span of a it is matched to

    def augment(x: int, seen: set[int]) -> bool:
        for i in partners[x]:
            if i not in seen:
                seen.add(i)
                if i not in owner or augment(owner[i], seen):
                    owner[i] = x
                    return True
        return False

    return sum(augment(x, set()) for x in range(len(a)))


def _pair_counts(a: list[Entity], b: list[Entity]) -> tuple[int, int, int, int]:
    """Return (exact matches, overlap matches, spans of a, spans of b)."""
    left = [(e.start, e.end, e.label, e.level) for e in a]
    right = [(e.start, e.end, e.label, e.level) for e in b]
    return len(set(left) & set(right)), _overlap_matches(left, right), len(left), len(right)


def _by_label(a: list[Entity], b: list[Entity]) -> dict[str, tuple[int, int, int, int]]:
    """Return ``_pair_counts`` for each label either side has: a match is always of one label."""
    labels = {e.label for e in a} | {e.label for e in b}
    return {
        label: _pair_counts([e for e in a if e.label == label], [e for e in b if e.label == label]) for label in labels
    }


def span_f1(a: list[Entity], b: list[Entity]) -> tuple[float, float]:
    """Return (exact F1, overlap F1) between two annotators' spans of one text."""
    exact, overlap, la, lb = _pair_counts(a, b)
    return _f1(exact, la, lb), _f1(overlap, la, lb)


def agreement(spans: dict[str, dict[str, list[Entity]]], topics: dict[str, dict[str, str]]) -> AgreementReport:
    """Compute agreement from ``{task: {annotator: spans}}`` and ``{task: {annotator: topic}}``."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    per_label: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for by_annotator in spans.values():
        for x, y in itertools.combinations(sorted(by_annotator), 2):
            row = counts[(x, y)]
            row[0] += 1
            for i, n in enumerate(_pair_counts(by_annotator[x], by_annotator[y]), start=1):
                row[i] += n
            for label, label_counts in _by_label(by_annotator[x], by_annotator[y]).items():
                for i, n in enumerate(label_counts):
                    per_label[label][i] += n
    pairs = [
        PairAgreement(annotators=pair, tasks=n, exact_f1=_f1(exact, la, lb), overlap_f1=_f1(overlap, la, lb))
        for pair, (n, exact, overlap, la, lb) in sorted(counts.items())
    ]
    triples = [
        (annotator, task, topic) for task, by in topics.items() if len(by) > 1 for annotator, topic in by.items()
    ]
    cohen = fleiss = None
    if triples:
        task = AnnotationTask(data=triples)
        cohen, fleiss = _safe(task.kappa), _safe(task.multi_kappa)
    order = {label: i for i, label in enumerate(label_sets().entity_names())}
    labels = [
        LabelAgreement(label=label, spans=la + lb, exact_f1=_f1(exact, la, lb), overlap_f1=_f1(overlap, la, lb))
        for label, (exact, overlap, la, lb) in sorted(per_label.items(), key=lambda item: order[item[0]])
    ]
    return AgreementReport(
        pairs=pairs, labels=labels, topic_items=len({t for _, t, _ in triples}), cohen_kappa=cohen, fleiss_kappa=fleiss
    )


def _safe(measure: object) -> float | None:
    """Kappa is undefined when expected agreement is 1 (one label only); report None then."""
    try:
        return float(measure())  # type: ignore[operator]
    except ZeroDivisionError:
        return None
