"""The agreement chart: per-label span F1 between annotators and the topic kappa, as an SVG that diffs.

matplotlib draws it on a bare ``Figure`` (no pyplot: no GUI backend, no global state) in the
DejaVu Sans it ships with, so nothing is downloaded and no system font is picked up. The SVG
has no date, fixed element ids (``svg.hashsalt``) and its text as text, so the same agreement
gives the same bytes, and a change shows in a diff.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.plural import plural
from newscorpus.labelstudio.agreement import AgreementReport

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

_STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "newscorpus-agreement",  # fixed element ids
    "svg.fonttype": "none",  # text stays text
    "font.family": "DejaVu Sans",  # matplotlib's own
    "font.size": 9,
}
_EXACT, _OVERLAP, _KAPPA = "#1f4e79", "#9dc3e6", "#7f6000"


def _bars(axes: Any, names: list[str], values: list[float], offset: float, height: float, color: str) -> None:
    """Draw horizontal bars at ``offset`` from each row, each with its value at its end."""
    rows = [i + offset for i in range(len(names))]
    axes.barh(rows, values, height=height, color=color)
    for row, value in zip(rows, values, strict=True):
        axes.text(value + 0.01 if value >= 0 else value - 0.01, row, f"{value:.2f}", va="center",
                  ha="left" if value >= 0 else "right", fontsize=8)  # fmt: skip


def render_chart(report: AgreementReport) -> str | None:
    """Return ``report``'s per-label span F1 and topic kappa as SVG, or None if it has neither."""
    kappas = {
        name: value
        for name, value in (("Cohen's κ (mean over pairs)", report.cohen_kappa), ("Fleiss' κ", report.fleiss_kappa))
        if value is not None
    }
    if not report.labels and not kappas:
        return None
    import matplotlib  # here: it takes a while to import, and only a pull with agreement draws
    from matplotlib.figure import Figure

    heights = [h for h in (0.5 + 0.45 * len(report.labels) if report.labels else 0, 1.2 if kappas else 0) if h]
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(7.0, 1.0 + sum(heights)), layout="constrained")
        axes = figure.subplots(len(heights), 1, squeeze=False, height_ratios=heights)[:, 0]
        if report.labels:
            spans = axes[0]
            names = [f"{item.label} ({plural(item.spans, 'span')})" for item in reversed(report.labels)]
            _bars(spans, names, [item.exact_f1 for item in reversed(report.labels)], 0.2, 0.4, _EXACT)
            _bars(spans, names, [item.overlap_f1 for item in reversed(report.labels)], -0.2, 0.4, _OVERLAP)
            spans.set_yticks(range(len(names)), names)
            spans.set_xlim(0, 1.12)
            spans.set_xlabel("F1 between annotators of the same text")
            spans.set_title(f"Spans, per label ({plural(len(report.pairs), 'annotator pair')})", loc="left")
            spans.legend(["exact", "overlap"], loc="lower right", bbox_to_anchor=(1, 1), ncol=2, frameon=False)
        if kappas:
            topic = axes[-1]
            names, values = list(reversed(kappas)), [kappas[name] for name in reversed(kappas)]
            _bars(topic, names, values, 0, 0.6, _KAPPA)
            topic.set_yticks(range(len(names)), names)
            topic.set_xlabel("κ (1: full agreement, 0: as by chance)")
            topic.set_xlim(-1.15, 1.15)
            topic.axvline(0, color="black", linewidth=0.6)
            topic.set_title(f"Topics ({plural(report.topic_items, 'article')} with two or more)", loc="left")
        figure.suptitle("Agreement between annotators", x=0.01, ha="left", fontweight="bold")
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def write_chart(path: Path, report: AgreementReport) -> bool:
    """Write ``report``'s chart to ``path`` atomically (with nothing to draw, remove an older one); say if drawn."""
    svg = render_chart(report)
    if svg is None:
        path.unlink(missing_ok=True)  # the chart of an earlier pull would speak for this one
        return False
    atomic_write_text(path, svg)
    return True
