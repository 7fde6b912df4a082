from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput, ReleaseError, SchemaError, UsageError
from newscorpus.core.semver import bump
from newscorpus.ingest.corpus import iter_corpus, validate
from newscorpus.ingest.listing import Listing
from newscorpus.release.build import build
from newscorpus.release.entries import ArticleEntry
from newscorpus.release.manifest import MANIFEST, load_manifest, release_versions
from newscorpus.release.schema import schema_version
from newscorpus.release.verify import verify
from tests.helpers import add_json_articles, read_release, write_gold
from tests.test_manifest import manifest_with


def seed_article(corpus: Path):
    return next(a for a in iter_corpus(corpus) if hasattr(a, "text"))


def test_build_writes_splits_and_manifest(corpus: Path) -> None:
    add_json_articles(corpus, 30)
    result = build(corpus, "1.0.0")
    assert result.status == "built"
    manifest = result.manifest
    assert manifest.schema_version == schema_version()
    assert sum(manifest.splits["documents"].values()) == manifest.statistics.articles == 31
    articles = read_release(result.path)
    assert {s: len(a) for s, a in articles.items()} == manifest.splits["documents"]
    assert all(a.split == split for split, items in articles.items() for a in items)
    assert manifest.statistics.words == sum(len(a.text.split()) for items in articles.values() for a in items)
    listed = {e.path for e in manifest.inputs}
    assert listed == {
        "raw/bulk.jsonl",
        "raw/koalition-der-willigen-paris.txt",
        "raw/koalition-der-willigen-paris.meta.yaml",
    }
    assert verify(corpus, "1.0.0").valid


def test_build_is_byte_identical_across_folders(corpus: Path, tmp_path: Path) -> None:
    add_json_articles(corpus, 20)
    other = tmp_path / "elsewhere" / "corpus"
    shutil.copytree(corpus, other)
    first, second = build(corpus, "1.0.0"), build(other, "1.0.0")
    assert first.manifest.to_json() == second.manifest.to_json()
    for entry in first.manifest.files:
        assert (first.path / entry.path).read_bytes() == (second.path / entry.path).read_bytes()


def test_rebuilding_same_version_is_a_noop_and_changed_input_is_refused(corpus: Path) -> None:
    build(corpus, "1.0.0")
    manifest_bytes = (corpus / "releases" / "1.0.0" / MANIFEST).read_bytes()
    assert build(corpus, "1.0.0").status == "unchanged"
    raw = corpus / "raw" / "koalition-der-willigen-paris.txt"
    raw.write_text(raw.read_text(encoding="utf-8") + "\n\nEin korrigierter Absatz.\n", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"immutable.*--version 1\.0\.1") as info:  # a changed input: patch
        build(corpus, "1.0.0")
    assert "1 input file changed (raw/koalition-der-willigen-paris.txt)" in str(info.value)
    assert "restore" not in str(info.value)  # its data files are all there
    assert (corpus / "releases" / "1.0.0" / MANIFEST).read_bytes() == manifest_bytes
    assert build(corpus, "1.0.1").status == "built"
    assert release_versions(corpus) == ["1.0.0", "1.0.1"]


def test_id_survives_text_correction(corpus: Path) -> None:
    before = seed_article(corpus)
    raw = corpus / "raw" / "koalition-der-willigen-paris.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Macron", "Emmanuel Macron", 1), encoding="utf-8")
    after = seed_article(corpus)
    assert after.text != before.text
    assert (after.id, after.split) == (before.id, before.split)


def test_missing_data_files_are_restored_byte_identically(corpus: Path) -> None:
    add_json_articles(corpus, 10)
    result = build(corpus, "1.0.0")
    originals = {e.path: (result.path / e.path).read_bytes() for e in result.manifest.files}
    shutil.rmtree(result.path / "documents")  # what a fresh clone has: only the manifest
    assert not verify(corpus, "1.0.0").valid
    assert build(corpus, "1.0.0").status == "restored"
    assert {p: (result.path / p).read_bytes() for p in originals} == originals
    assert verify(corpus, "1.0.0").valid


def test_verify_names_every_changed_missing_or_unlisted_file(corpus: Path) -> None:
    result = build(corpus, "1.0.0")
    train, test = result.path / "documents" / "train.arrow", result.path / "documents" / "test.arrow"
    train.write_bytes(train.read_bytes() + b"x")
    test.unlink()
    (result.path / "documents" / "stray.arrow").write_bytes(b"")
    report = verify(corpus, "1.0.0")
    assert {p.file: p.code for p in report.problems} == {
        "releases/1.0.0": Code.RELEASE_BROKEN,
        "releases/1.0.0/documents/train.arrow": Code.RELEASE_FILE_CHANGED,
        "releases/1.0.0/documents/test.arrow": Code.RELEASE_FILE_MISSING,
        "releases/1.0.0/documents/stray.arrow": Code.RELEASE_FILE_UNLISTED,
    }
    first = report.problems[0]  # the release's: how to rebuild its data files
    assert first.file == "releases/1.0.0"
    assert first.message.startswith("has 2 missing or changed data files. Try `newscorpus build")
    assert len(report.problems) == 4


def test_invalid_input_blocks_build_unless_skipped(corpus: Path) -> None:
    (corpus / "raw" / "leer.txt").write_bytes(b"")
    (corpus / "raw" / "kaputt.json").write_text('{"headline": "Halb', encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        build(corpus, "1.0.0")
    assert {(p.file, p.code) for p in info.value.report.errors} == {
        ("raw/leer.txt", Code.RAW_EMPTY),
        ("raw/kaputt.json", Code.JSON_MALFORMED),
    }
    assert not (corpus / "releases" / "1.0.0").exists()
    manifest = build(corpus, "1.0.0", skip_invalid=True).manifest
    assert {p.file for p in manifest.rejected} == {"raw/leer.txt", "raw/kaputt.json"}
    assert manifest.statistics.articles == 1


def test_gold_is_applied_and_stale_gold_is_kept_out(corpus: Path) -> None:
    article = seed_article(corpus)
    gold_file = write_gold(corpus, article, [("Emmanuel Macron", "PER"), ("Paris", "LOC"), ("ukrainische", "LOCderiv")])
    release = build(corpus, "1.0.0")
    (built,) = [a for items in read_release(release.path).values() for a in items]
    assert [(e.text, e.label) for e in built.entities] == [
        ("Emmanuel Macron", "PER"),
        ("Paris", "LOC"),
        ("ukrainische", "LOCderiv"),
    ]
    assert all(built.text[e.start : e.end] == e.text for e in built.entities)
    layers = built.annotation
    assert (built.topic, layers.entities.status, layers.topic.status) == ("International", "gold", "gold")
    assert layers.entities.annotators == layers.topic.annotators == ["annotator-1"]
    assert layers.entities.source == layers.topic.source == "label-studio"
    assert release.manifest.statistics.entities == {"LOC": 1, "LOCderiv": 1, "PER": 1}

    data = json.loads(gold_file.read_text(encoding="utf-8"))
    data["text_sha256"] = "0" * 64
    gold_file.write_text(json.dumps(data), encoding="utf-8")
    (problem,) = validate(corpus).errors
    assert (problem.file, problem.field) == ("annotations/koalition-der-willigen-paris.json", "text_sha256")
    assert problem.code is Code.GOLD_STALE
    manifest = build(corpus, "1.1.0", skip_invalid=True).manifest
    assert manifest.statistics.entities == {}
    assert manifest.statistics.articles == 1


def test_gold_with_misaligned_span_is_rejected_not_clamped(corpus: Path) -> None:
    article = seed_article(corpus)
    gold_file = write_gold(corpus, article, [("Paris", "LOC")])
    data = json.loads(gold_file.read_text(encoding="utf-8"))
    data["entities"]["spans"][0]["end"] += 1
    gold_file.write_text(json.dumps(data), encoding="utf-8")
    (problem,) = validate(corpus).errors
    assert (problem.file, problem.code) == ("annotations/koalition-der-willigen-paris.json", Code.SPAN_OFFSET_MISMATCH)
    assert "'Paris'" in problem.message  # names the span that does not fit


def test_gold_without_article_is_reported(corpus: Path) -> None:
    (corpus / "annotations" / "gibt-es-nicht.json").write_text("{}", encoding="utf-8")
    (problem,) = validate(corpus).errors
    assert (problem.file, problem.code) == ("annotations/gibt-es-nicht.json", Code.GOLD_ORPHAN)


def test_adding_articles_moves_no_article_to_another_split(corpus: Path) -> None:
    add_json_articles(corpus, 50, name="a.jsonl")
    first = {a.id: split for split, items in read_release(build(corpus, "1.0.0").path).items() for a in items}
    add_json_articles(corpus, 50, name="b.jsonl")
    second = {a.id: split for split, items in read_release(build(corpus, "1.1.0").path).items() for a in items}
    assert len(second) == len(first) + 50
    assert {i: second[i] for i in first} == first


def test_release_of_another_schema_major_is_refused(corpus: Path) -> None:
    result = build(corpus, "1.0.0")
    path = result.path / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    major = int(schema_version().split(".")[0])
    data["schema_version"] = f"{major + 1}.0.0"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SchemaError, match="not reinterpreted"):
        load_manifest(corpus, "1.0.0")


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-rc1", ""])
def test_version_must_be_semver(corpus: Path, version: str) -> None:
    with pytest.raises(UsageError, match=r"X\.Y\.Z"):
        build(corpus, version)


def test_corpus_with_nothing_valid_is_refused(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "leer.txt").write_bytes(b"   ")
    with pytest.raises(InvalidInput, match="nothing to release"):
        build(tmp_path, "1.0.0")


@pytest.mark.integration
def test_kill_during_build_leaves_no_half_release(corpus: Path) -> None:
    add_json_articles(corpus, 4000)
    releases = corpus / "releases"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for _attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "newscorpus", "build", "--version", "1.0.0", "--corpus", str(corpus)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(releases.glob(".tmp-*/documents/train.arrow")):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert any(releases.glob(".tmp-*")), "the build was killed before it started writing"
        assert not (releases / "1.0.0").exists()
    result = build(corpus, "1.0.0")
    assert result.status == "built"
    assert verify(corpus, "1.0.0").valid
    assert not any(releases.glob(".tmp-*"))


def _processes_naming(corpus: Path) -> set[int]:
    """Live processes whose command line names ``corpus``: a build and the workers it forked."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(corpus).encode() in (entry / "cmdline").read_bytes():
                found.add(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_build_leaves_no_worker_behind(corpus: Path, tmp_path: Path) -> None:
    add_json_articles(corpus, 2000)
    cache = tmp_path / "cache"
    env = {**os.environ, "NEWSCORPUS_CACHE": str(cache)}
    command = [sys.executable, "-m", "newscorpus", "build", "--processes", "2", "--corpus", str(corpus)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _processes_naming(corpus) - {proc.pid}:  # workers started
        time.sleep(0.01)
    workers = _processes_naming(corpus) - {proc.pid}
    assert workers, "no worker was running when the build was killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _processes_naming(corpus) & workers:
        time.sleep(0.05)
    assert not _processes_naming(corpus) & workers


def pretend_schema(monkeypatch: pytest.MonkeyPatch, code: Callable[[], str]) -> None:
    """Make the code's schema version ``code()``, wherever a build or a version check reads it."""
    for module in ("build", "versions"):
        monkeypatch.setattr(f"newscorpus.release.{module}.schema_version", code)


def test_release_after_a_schema_major_must_be_a_major_release(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(corpus, "1.0.0")
    major = int(schema_version().split(".")[0])
    pretend_schema(monkeypatch, lambda: f"{major + 1}.0.0")
    with pytest.raises(ReleaseError, match=r"must be a major release too.*--version 2\.0\.0"):
        build(corpus, "1.1.0")
    assert not (corpus / "releases" / "1.1.0").exists()


def test_build_without_version_reuses_or_picks_the_next(corpus: Path) -> None:
    assert build(corpus).manifest.version == "0.1.0"
    again = build(corpus)
    assert (again.manifest.version, again.status) == ("0.1.0", "unchanged")
    raw = corpus / "raw" / "koalition-der-willigen-paris.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Macron", "Emmanuel Macron", 1), encoding="utf-8")
    assert build(corpus).manifest.version == "0.1.1"  # a changed input: patch
    add_json_articles(corpus, 5)
    assert build(corpus).manifest.version == "0.2.0"  # a new input: minor
    (corpus / "raw" / "bulk.jsonl").unlink()
    assert build(corpus).manifest.version == "1.0.0"  # a removed input: major
    assert release_versions(corpus) == ["0.1.0", "0.1.1", "0.2.0", "1.0.0"]


def test_documents_only_build_never_tokenises(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "cache"))
    add_json_articles(corpus, 10)
    result = build(corpus, "1.0.0", configs=["documents"])
    assert set(result.manifest.splits) == {"documents"}
    assert {e.path.split("/")[0] for e in result.manifest.files} == {"documents"}
    assert result.manifest.statistics.articles == 11
    assert result.manifest.statistics.tokens is None
    assert not (tmp_path / "cache").exists()
    assert verify(corpus, "1.0.0").valid
    # Adding configs is new data (minor); dropping them again removes data (major).
    assert build(corpus).manifest.version == "1.1.0"
    assert build(corpus, configs=["documents"]).manifest.version == "2.0.0"


@pytest.mark.parametrize("configs", [["documents", "nonsense"], []])
def test_unknown_or_no_config_is_refused(corpus: Path, configs: list[str]) -> None:
    with pytest.raises(UsageError, match="Try one or more of documents, ner, topics"):
        build(corpus, "1.0.0", configs=configs)


# --- hints that name what works: a free version, or how to rebuild an older release -------------------------------


def hinted_version(error: pytest.ExceptionInfo[ReleaseError]) -> str:
    found = re.search(r"`newscorpus build --version (\d+\.\d+\.\d+)`", str(error.value))
    assert found, str(error.value)
    return found.group(1)


def test_version_hints_name_a_free_version_among_several_releases(corpus: Path) -> None:
    build(corpus, "1.0.0")
    add_json_articles(corpus, 3, name="a.jsonl")
    build(corpus, "1.4.0")
    add_json_articles(corpus, 3, name="b.jsonl")
    build(corpus, "1.5.0")
    with pytest.raises(ReleaseError, match=r"immutable\. The corpus as it is now is release 1\.5\.0 already\.$"):
        build(corpus, "1.4.0")
    add_json_articles(corpus, 4, name="b.jsonl")  # a changed input: a patch after the newest release
    for taken in ("1.0.0", "1.4.0", "1.5.0"):
        with pytest.raises(ReleaseError, match="immutable") as info:
            build(corpus, taken)
        assert hinted_version(info) == "1.5.1"
    assert build(corpus, "1.5.1").status == "built"


def test_a_build_of_other_configs_says_so_and_names_the_next_version(corpus: Path) -> None:
    build(corpus, "1.0.0", configs=["documents"])
    with pytest.raises(ReleaseError, match="it holds the configs documents, this build documents, ner, topics") as info:
        build(corpus, "1.0.0")
    assert hinted_version(info) == "1.1.0"  # configs added: a minor release


def test_schema_bump_hint_names_a_version_that_is_free_and_bumped_far_enough(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(corpus, "1.0.0")
    major = int(schema_version().split(".")[0])
    pretend_schema(monkeypatch, lambda: f"{major + 1}.0.0")
    assert build(corpus, "2.0.0").status == "built"
    with pytest.raises(ReleaseError, match=r"must be a major release too\. The corpus as it is now is release 2\.0\.0"):
        build(corpus, "1.1.0")
    add_json_articles(corpus, 2)
    with pytest.raises(ReleaseError, match="must be a major release too") as info:
        build(corpus, "1.1.0")
    assert hinted_version(info) == "2.1.0"  # 2.0.0 is taken; a new input makes a minor release after it
    assert build(corpus, "2.1.0").status == "built"


def test_an_existing_release_of_another_schema_is_refused_before_any_building(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build(corpus, "1.0.0").manifest.schema_version
    code = bump(built, "minor")
    pretend_schema(monkeypatch, lambda: code)
    monkeypatch.setattr("newscorpus.release.build._build_into", lambda *args: pytest.fail("built, then refused"))
    with pytest.raises(ReleaseError, match=rf"built with schema {built}; this code has schema {code}") as info:
        build(corpus, "1.0.0")
    assert "try `newscorpus build` (it picks the next version)" in str(info.value)
    assert "restore" not in str(info.value)  # its data files are all there
    shutil.rmtree(corpus / "releases" / "1.0.0" / "documents")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(corpus.parent))  # whatever holds the temp folder
    with pytest.raises(ReleaseError, match="To restore its data files: Rebuild it with the code and inputs") as info:
        build(corpus, "1.0.0")
    assert f"{corpus} is not in a git repository" in str(info.value)


def test_verify_names_the_build_that_restores_a_release_or_why_this_code_cannot(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(corpus.parent))
    release = build(corpus, "1.0.0", configs=["documents"]).path
    shutil.rmtree(release / "documents")
    first = verify(corpus, "1.0.0").problems[0]
    assert (first.file, first.code) == ("releases/1.0.0", Code.RELEASE_BROKEN)
    assert first.message == (
        "has 3 missing or changed data files. "
        "Try `newscorpus build --version 1.0.0 --config documents` to rebuild its data files from the inputs."
    )
    assert build(corpus, "1.0.0", configs=["documents"]).status == "restored"

    shutil.rmtree(release / "documents")
    raw = corpus / "raw" / "koalition-der-willigen-paris.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Macron", "Emmanuel Macron", 1), encoding="utf-8")
    message = verify(corpus, "1.0.0").problems[0].message
    assert (
        "This code cannot rebuild its data files: 1 input file changed (raw/koalition-der-willigen-paris.txt)"
        in message
    )
    assert "Rebuild it with the code and inputs of the commit that added" in message
    with pytest.raises(ReleaseError) as info:
        build(corpus, "1.0.0", configs=["documents"])
    assert "Try `newscorpus build --version 1.0.1` to release the corpus as it is now." in str(info.value)
    assert "To restore its data files instead: Rebuild it with the code and inputs" in str(info.value)


def test_a_missing_release_is_named_with_the_releases_there_are(corpus: Path) -> None:
    with pytest.raises(ReleaseError, match=r"has no release yet\. Try `newscorpus build --version 1\.3\.0`\.$"):
        verify(corpus, "1.3.0")
    build(corpus, "1.0.0", configs=["documents"])
    build(corpus, "1.2.0")
    with pytest.raises(
        ReleaseError, match=r"has no release 1\.3\.0; its releases are 1\.0\.0, 1\.2\.0\. .*`newscorpus build`"
    ):
        load_manifest(corpus, "1.3.0")


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", "-C", str(root), *identity, *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_an_old_release_in_git_names_the_commit_that_added_it_and_the_commands(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = (tmp_path / "repo").resolve()
    shutil.copytree(corpus, root / "corpus")
    corpus = root / "corpus"
    manifest_file = build(corpus, "1.0.0", configs=["documents"]).path / MANIFEST
    old = f"{int(schema_version().split('.')[0]) - 1}.0.0"  # an older major, as on a clone of newer code
    manifest_file.write_text(
        json.dumps({**json.loads(manifest_file.read_text(encoding="utf-8")), "schema_version": old}, indent=2),
        encoding="utf-8",
    )
    git(root, "init", "-q")
    git(root, "add", "corpus/raw", "corpus/releases/1.0.0/manifest.json")
    git(root, "commit", "-q", "-m", "Release 1.0.0")
    commit = git(root, "rev-parse", "HEAD")
    (root / "NOTES.md").write_text("later work\n", encoding="utf-8")
    git(root, "add", "NOTES.md")
    git(root, "commit", "-q", "-m", "Later work")
    shutil.rmtree(corpus / "releases" / "1.0.0" / "documents")  # a fresh clone holds only the manifest

    steps = (
        f"Rebuild it with the code and inputs of commit {commit}, which added its manifest, in a worktree of its own:\n"
        f"  git -C {root} worktree add {root.parent / 'repo-1.0.0'} {commit}\n"
        f"  cd {root.parent / 'repo-1.0.0'}\n"
        "  python3.11 -m venv .venv && .venv/bin/pip install -r requirements/lock.txt "
        "&& .venv/bin/pip install --no-deps -e .\n"
        "  .venv/bin/newscorpus build --version 1.0.0 --corpus corpus "
        "&& .venv/bin/newscorpus verify 1.0.0 --corpus corpus\n"
    )
    first = verify(corpus, "1.0.0").problems[0]
    assert first.message.startswith(
        f"has 3 missing or changed data files. This code cannot rebuild its data files: it was built with schema {old}"
    )
    assert steps in first.message
    with pytest.raises(ReleaseError, match=rf"built with schema {old}") as building:
        build(corpus, "1.0.0")
    assert steps in str(building.value)
    with pytest.raises(SchemaError, match="not reinterpreted") as loading:  # what publish reads it with
        load_manifest(corpus, "1.0.0")
    assert steps in str(loading.value)

    monkeypatch.setattr("newscorpus.release.history.shutil.which", lambda name: None)
    message = verify(corpus, "1.0.0").problems[0].message
    assert "here it could not be looked up: git is not installed" in message
    assert f"`git log --diff-filter=A -1 --format=%H -- {corpus}/releases/1.0.0/manifest.json` names it" in message
    assert "run `newscorpus build --version 1.0.0` and `newscorpus verify 1.0.0` there" in message


@settings(max_examples=40, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=10), max_size=20, unique=True),
    paths=st.lists(st.text(min_size=1, max_size=10), max_size=5, unique=True),
    per_piece=st.integers(1, 4),
)
def test_a_manifest_with_its_articles_in_pieces_is_the_manifest_serialised_whole(
    ids: list[str], paths: list[str], per_piece: int
) -> None:
    """The articles list is written in pieces like the inputs; an older manifest without one stays as it was."""
    manifest = manifest_with(paths, '"articles": []').model_copy(
        update={"articles": [ArticleEntry(id=i, split="train", cluster=ids[0]) for i in ids]}
    )
    assert b"".join(manifest.json_pieces(per_piece)) == manifest.to_json().encode("utf-8")
    assert json.loads(manifest.to_json())["articles"] == [{"id": i, "split": "train", "cluster": ids[0]} for i in ids]
    older = manifest.model_copy(update={"articles": None})
    assert "articles" not in json.loads(older.to_json())
    assert "duplicates" not in json.loads(older.to_json())["statistics"]
    assert b"".join(older.json_pieces(per_piece)) == older.to_json().encode("utf-8")


def test_an_article_turned_away_on_the_driver_counts_nowhere(corpus: Path, tmp_path: Path) -> None:
    """Workers count a job's statistics before the driver deduplicates; a copy it turns away is counted out again."""
    add_json_articles(corpus, 12)
    body = "Das Rathaus wird saniert.\n\nEs dauert."
    record = {"id": "rathaus", "headline": "Rathaus saniert", "body": body, "source": "Stadtanzeiger"}
    (corpus / "raw" / "a-rathaus.json").write_text(json.dumps(record), encoding="utf-8")
    clean = build(corpus, "1.0.0", processes=2).manifest
    copy = {**record, "id": "rathaus-kopie", "source": "Abendblatt"}  # the same text: a duplicate
    (corpus / "raw" / "b-rathaus.json").write_text(json.dumps(copy), encoding="utf-8")
    again = build(corpus, "1.1.0", processes=2).manifest
    assert [p.code for p in again.rejected] == [Code.DUPLICATE_TEXT]
    assert again.statistics == clean.statistics
    assert [e.id for e in again.articles or []] == [e.id for e in clean.articles or []]


def _rathaus(corpus: Path, name: str, **fields: str) -> None:
    record = {"id": "rathaus", "headline": "Rathaus saniert", "body": "Das Rathaus in Köln wird saniert.", **fields}
    (corpus / "raw" / name).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("change", ["rewritten after it was read", "added after the listing"])
def test_gold_that_changes_while_the_build_runs_is_refused_and_nothing_is_released(corpus: Path, change: str) -> None:
    """The manifest must hash the gold the release holds: a `labelstudio pull` during a build breaks the seal."""
    add_json_articles(corpus, 20)
    _rathaus(corpus, "a-rathaus.json")
    article = next(a for a in iter_corpus(corpus) if getattr(a, "id", None) == "rathaus")
    listing, rewritten = None, []

    def rewrite() -> None:
        if not rewritten:
            rewritten.append(write_gold(corpus, article, [("Rathaus", "LOC")], topic="Sport"))

    if change == "rewritten after it was read":
        write_gold(corpus, article, [("Köln", "LOC")])
        on_file = rewrite  # in the driver, once a file's articles (and their gold) were read
    else:
        listing = Listing.of(corpus)  # as a build lists the corpus first; the gold file comes after
        rewrite()
        on_file = None

    with pytest.raises(ReleaseError, match=r"gold files in annotations/ changed while the build ran"):
        build(corpus, "1.0.0", processes=2, on_file=on_file, listing=listing)
    assert sorted(p.name for p in (corpus / "releases").iterdir()) == [".lock"]  # nothing, not even a temp folder

    release = build(corpus, "1.0.0", processes=2)  # the gold stays now: built, with the gold it hashes
    (built,) = [a for items in read_release(release.path).values() for a in items if a.id == "rathaus"]
    assert (built.topic, [e.text for e in built.entities]) == ("Sport", ["Rathaus"])
    recorded = {e.path: e.sha256 for e in release.manifest.inputs}
    assert recorded["annotations/rathaus.json"] == hashlib.sha256(rewritten[0].read_bytes()).hexdigest()


@pytest.mark.parametrize("processes", [1, 2])
def test_a_raw_file_rewritten_while_the_build_runs_is_refused_and_nothing_is_released(
    corpus: Path, processes: int
) -> None:
    """The manifest must hash the raw bytes the release holds: a file rewritten after it was read refuses the build."""
    add_json_articles(corpus, 20)
    _rathaus(corpus, "a-rathaus.json")
    path = corpus / "raw" / "a-rathaus.json"
    day_ago = time.time_ns() - 86_400 * 10**9  # older than the build, as a corpus's files are
    os.utime(path, ns=(day_ago, day_ago))
    rewritten: list[bytes] = []

    def rewrite() -> None:  # in the driver, once a file's articles were read: a feed script delivering it again
        if not rewritten:
            rewritten.append(path.read_bytes().replace(b"Rathaus in K\xc3\xb6ln", b"Rathaus in Essen"))
            path.write_bytes(rewritten[0])

    with pytest.raises(ReleaseError, match=r"^1 raw file changed \(raw/a-rathaus.json\) while the build ran"):
        build(corpus, "1.0.0", processes=processes, on_file=rewrite)
    assert sorted(p.name for p in (corpus / "releases").iterdir()) == [".lock"]  # nothing, not even a temp folder

    release = build(corpus, "1.0.0", processes=processes)  # the file stays now: built from the bytes it records
    (built,) = [a for items in read_release(release.path).values() for a in items if a.id == "rathaus"]
    assert built.text.endswith("Das Rathaus in Essen wird saniert.")
    recorded = {e.path: e.sha256 for e in release.manifest.inputs}
    assert recorded["raw/a-rathaus.json"] == hashlib.sha256(rewritten[0]).hexdigest()


def test_gold_read_by_turned_away_copies_and_orphans_keeps_the_seal(corpus: Path) -> None:
    """A copy with the kept article's id reads the same gold file again; a copy's own gold is an orphan: no refusal."""
    add_json_articles(corpus, 20)
    _rathaus(corpus, "a-rathaus.json")
    article = next(a for a in iter_corpus(corpus) if getattr(a, "id", None) == "rathaus")
    write_gold(corpus, article, [("Köln", "LOC")])
    _rathaus(corpus, "b-rathaus.json", body="Das Rathaus in Köln wird bald saniert.")  # the id again
    _rathaus(corpus, "c-rathaus.json", id="rathaus-kopie")  # the text again, with gold of its own
    (corpus / "annotations" / "rathaus-kopie.json").write_text("{}", encoding="utf-8")
    (corpus / "annotations" / "alt").mkdir()
    (corpus / "annotations" / "alt" / "rathaus.json").write_text("{}", encoding="utf-8")  # never read

    manifest = build(corpus, "1.0.0", processes=2, skip_invalid=True).manifest
    assert {(p.code, p.file) for p in manifest.rejected} == {
        (Code.ID_DUPLICATE, "raw/b-rathaus.json"),
        (Code.DUPLICATE_TEXT, "raw/c-rathaus.json"),
        (Code.GOLD_ORPHAN, "annotations/alt/rathaus.json"),
        (Code.GOLD_ORPHAN, "annotations/rathaus-kopie.json"),
    }
    nested = next(p for p in manifest.rejected if p.file == "annotations/alt/rathaus.json")
    assert "subfolder" in nested.message
    assert "annotations/rathaus.json" in nested.message
    assert manifest.statistics.entities == {"LOC": 1}
