"""Annotate the seed article through the Label Studio SDK, as an annotator would in the UI.

Used by ./scripts/demo. The annotation marks the seed's names and chooses its
topic, so it completes both layers and the pull makes both gold (a topic alone
would leave the entity layer open; see ``newscorpus.labelstudio.config``). Each
span is found in the task's own text, so its offsets are right by construction;
rerunning adds nothing if the annotation exists.
"""

from __future__ import annotations

import sys

from newscorpus.labelstudio.client import client, connection, find_project
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.convert import from_results, to_results
from newscorpus.model.article import Entity

SEED = "koalition-der-willigen-paris"
# (surface, label, level, which occurrence); level 1 marks a name nested inside another.
SPANS = [
    ("Paris", "LOC", 0, 1),
    ("Koalition der Willigen", "ORG", 0, 1),
    ("Ukraine", "LOC", 0, 1),
    ("USA", "LOC", 0, 1),
    ("Ludovic Marin", "PER", 0, 1),
    ("AFP", "ORG", 0, 1),
    ("dpa", "ORG", 0, 1),
    ("Europa", "LOC", 0, 1),
    ("Russland", "LOC", 0, 1),
    ("Frankreichs", "LOC", 0, 1),
    ("Emmanuel Macron", "PER", 0, 1),
    ("britischen", "LOCderiv", 0, 1),
    ("Keir Starmer", "PER", 0, 1),
    ("ukrainische", "LOCderiv", 0, 1),
    ("Wolodymyr Selenskyj", "PER", 0, 1),
    ("US-Sondergesandte", "LOCpart", 0, 1),
    ("Steve Witkoff", "PER", 0, 1),
    ("Pariser", "LOCderiv", 0, 1),
    ("Donald Trump", "PER", 0, 1),
    ("Ukraine-Gipfel", "LOCpart", 0, 1),
    ("Weißen Haus", "LOC", 0, 1),
    ("Nato-Staaten", "ORGpart", 0, 1),
    ("Washington", "LOC", 0, 1),
    ("Nato-Mitglieder", "ORGpart", 0, 1),
    ("Nato", "ORG", 1, 1),  # inside "Nato-Staaten": a nested inner name
]


def find(text: str, surface: str, occurrence: int) -> int:
    """Return the start of the n-th occurrence of ``surface`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.index(surface, start + 1)
    return start


def main() -> int:
    """Add the seed's gold annotation unless it is there; return an exit code."""
    conn = connection()
    sdk = client(conn)
    project = find_project(sdk, DEFAULT_PROJECT)
    task = next(t for t in sdk.tasks.list(project=project.id, page_size=100) if t.data.get("article_id") == SEED)
    if task.annotations:
        print(f"Task {task.id} ({SEED}) is annotated already.")
        return 0
    text = task.data["text"]
    entities = []
    for surface, label, level, occurrence in SPANS:
        # The inner name sits inside the outer span that holds it.
        start = find(text, "Nato-Staaten", 1) if level else find(text, surface, occurrence)
        entities.append(Entity(start=start, end=start + len(surface), label=label, level=level, text=surface))
    result = to_results(entities, "International", origin="manual")
    layers = from_results(text, result).layers
    annotation = sdk.annotations.create(id=task.id, result=result, completed_by=sdk.users.whoami().id, lead_time=95.0)
    print(
        f"Annotated task {task.id} ({SEED}): {len(SPANS)} spans and a topic, annotation {annotation.id}; "
        f"it completes the layers {', '.join(layers)}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
