from __future__ import annotations

from pathlib import Path, PurePosixPath

from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.ingest.listing import file_names

NAME = st.sampled_from(["a", "b", "B", "b.txt", "b-c", "ä.txt", "z", ".hidden", "a.meta.yaml"])


@settings(max_examples=40, deadline=None)
@given(st.sets(st.lists(NAME, min_size=1, max_size=3).map(tuple), min_size=1, max_size=12))
def test_file_names_are_in_path_order_without_hidden_files(tmp_path_factory, paths: set[tuple[str, ...]]) -> None:
    root = tmp_path_factory.mktemp("tree")
    files = set()
    for parts in sorted(paths, key=len, reverse=True):
        target = root.joinpath(*parts)
        if target.exists() or any(root.joinpath(*parts[:i]).is_file() for i in range(1, len(parts))):
            continue  # a name already taken by a folder or a file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x", encoding="utf-8")
        files.add(parts)
    visible = [p for p in files if not any(part.startswith(".") for part in p)]
    expected = [str(PurePosixPath(*p)) for p in sorted(visible)]  # the order of sorted(Path) objects
    assert file_names(root) == expected


def test_a_sidecar_finds_its_raw_file_whatever_the_suffix_case(corpus: Path) -> None:
    raw = corpus / "raw" / "sub"
    raw.mkdir()
    (raw / "story.TXT").write_bytes((corpus / "raw" / "koalition-der-willigen-paris.txt").read_bytes())
    (raw / "story.meta.yaml").write_text("id: story\n", encoding="utf-8")
    (raw / "lonely.meta.yaml").write_text("id: lonely\n", encoding="utf-8")
    problems = [p for p in iter_corpus(corpus) if isinstance(p, Problem) and p.code is Code.SIDECAR_ORPHAN]
    assert [p.file for p in problems] == ["raw/sub/lonely.meta.yaml"]
