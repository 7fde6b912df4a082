"""Admission by job, as arrays, against the rule it keeps: each candidate in turn, with dicts (the oracle below)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.report import Problem
from newscorpus.ingest import admission as admission_module
from newscorpus.ingest import candidates
from newscorpus.ingest.admission import Admission, orphans
from newscorpus.ingest.candidates import Candidates
from newscorpus.ingest.seal import NO_SEAL, SEAL_BYTES

# Values whose 64-bit keys collide: the first two of each share their first 8 bytes and differ after.
IDS = ["alpha", "beta", "gamma", "delta"]
ID_KEYS = {"alpha": 7, "beta": 7, "gamma": 11, "delta": 13}
RAWS = [b"R" * 8 + bytes([n]) * 24 for n in range(2)] + [hashlib.sha256(b"%d" % n).digest() for n in range(2)]
TEXTS = [b"T" * 8 + bytes([n]) * 24 for n in range(2)] + [hashlib.sha256(b"t%d" % n).digest() for n in range(2)]

candidate = st.tuples(
    st.sampled_from(IDS), st.integers(0, 3), st.integers(0, 3), st.booleans(), st.integers(1, 9) | st.none()
)
item = st.one_of(candidate, st.just("problem"))
jobs = st.lists(st.lists(st.lists(item, max_size=4), min_size=1, max_size=3), max_size=8)


def oracle(stream: list[list[list[Any]]]) -> list[tuple[Any, ...]]:
    """The rule, one candidate at a time (the admission before it worked by job)."""
    ids: dict[str, str] = {}
    raws: dict[bytes, str] = {}
    texts: dict[bytes, str] = {}
    out: list[tuple[Any, ...]] = []
    value = 0
    for j, job in enumerate(stream):
        for p, piece in enumerate(job):
            file = f"raw/{j}-{p}.jsonl"
            for entry in piece:
                if entry == "problem":
                    out.append(("problem", Code.JSON_MALFORMED, file, None, None, "kaputt"))
                    continue
                article_id, raw, text, imported, line = entry
                where = f"{file}:{line}" if line else file
                value += 1
                if not imported and (kept := raws.get(RAWS[raw])):
                    out.append(("problem", Code.DUPLICATE_EXACT, file, line, article_id, kept))
                elif not imported and (kept := texts.get(TEXTS[text])):
                    out.append(("problem", Code.DUPLICATE_TEXT, file, line, article_id, kept))
                elif article_id in ids:
                    out.append(("problem", Code.ID_DUPLICATE, file, line, article_id, ids[article_id]))
                else:
                    ids[article_id] = where
                    raws.setdefault(RAWS[raw], where)
                    texts.setdefault(TEXTS[text], where)
                    out.append(("value", value))
    return out


def admitted(stream: list[list[list[Any]]]) -> tuple[list[tuple[Any, ...]], Admission]:
    names = [f"raw/{j}-{p}.jsonl" for j, job in enumerate(stream) for p in range(len(job))]
    admission, out, value = Admission(names), [], 0
    for j, job in enumerate(stream):
        pieces, rows, ids, lines, imported, values, seals = [], [], [], [], [], [], []
        for p, piece in enumerate(job):
            items: list[Problem | int] = []
            for entry in piece:
                if entry == "problem":
                    file = f"raw/{j}-{p}.jsonl"
                    items.append(Problem(code=Code.JSON_MALFORMED, file=file, message="kaputt"))
                    continue
                article_id, raw, text, imp, line = entry
                value += 1
                items.append(len(ids))
                rows.append(RAWS[raw] + TEXTS[text])
                ids.append(article_id)
                lines.append(line)
                imported.append(imp)
                values.append(value)
                seals.append(_seal(value))
            pieces.append((items, names.index(f"raw/{j}-{p}.jsonl")))
        digests = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), 64)
        gold = np.frombuffer(b"".join(seals), dtype=np.uint8).reshape(len(seals), SEAL_BYTES)
        found = Candidates(ids, digests, lines, imported, {}, values, gold)
        for made in admission.admit(pieces, found):
            for thing in made:
                if isinstance(thing, Problem):
                    kept = thing.message if thing.code is Code.JSON_MALFORMED else _kept(thing.message)
                    out.append(("problem", thing.code, thing.file, thing.line, thing.article_id, kept))
                else:
                    out.append(("value", thing))
    return out, admission


def _seal(value: int) -> bytes:
    """The gold seal of candidate ``value``: some have none (``NO_SEAL``), as articles without gold."""
    return NO_SEAL if value % 3 == 0 else hashlib.sha256(b"gold %d" % value).digest()[:SEAL_BYTES]


def _no_gold(n: int) -> npt.NDArray[np.uint8]:
    return np.zeros((n, SEAL_BYTES), dtype=np.uint8)


def _kept(message: str) -> str:
    """The place of the kept copy a duplicate's message names."""
    for lead in ("exact duplicate of ", "is a duplicate of ", "repeats the id of "):
        if lead in message:
            return message.split(lead, 1)[1].split(" ", 1)[0].rstrip(":.")
    raise AssertionError(message)


def _colliding(ids: list[str]) -> npt.NDArray[np.uint64]:
    return np.array([ID_KEYS[i] for i in ids], dtype=np.uint64)


@settings(max_examples=300, deadline=None)
@given(jobs)
def test_admission_by_job_keeps_the_rule_one_candidate_at_a_time(stream: list[list[list[Any]]]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(candidates, "id_keys", _colliding)  # alpha and beta share a key
        got, admission = admitted(stream)
    expected = oracle(stream)
    assert got == expected
    # The seal is that of the admitted candidates' gold only: a duplicate's gold counts for nothing.
    seal = 0
    for kind, *rest in expected:
        if kind == "value":
            seal ^= int.from_bytes(_seal(rest[0]), "little")
    assert admission.gold_seal == seal.to_bytes(SEAL_BYTES, "little")


def _admitting(batches: list[list[str]]) -> tuple[Admission, set[str], list[str]]:
    """An admission of ``batches`` of ids, one job a batch; the ids it admitted, and their files in order."""
    names = [f"raw/{b}.jsonl" for b in range(len(batches))]
    admission, seen, files = Admission(names), set(), []
    for b, batch in enumerate(batches):
        n = len(batch)
        rows = [hashlib.sha256(f"{b}-{k}".encode()).digest() * 2 for k, i in enumerate(batch)]
        digests = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(n, 64)
        found = Candidates(batch, digests, [k + 1 for k in range(n)], [False] * n, {}, list(range(n)), _no_gold(n))
        admission.admit([(list(range(n)), b)], found)
        for i in batch:
            if i not in seen:
                files.append(names[b])  # the first of an id is admitted, where it was read
            seen.add(i)
    return admission, seen, files


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(IDS), max_size=5), max_size=5), st.lists(st.sampled_from(IDS)), st.booleans())
def test_admitted_ids_are_known_and_no_other(batches: list[list[str]], asked: list[str], colliding: bool) -> None:
    """Also where keys collide (alpha and beta share one): a key found is not yet the id."""
    with pytest.MonkeyPatch.context() as patch:
        if colliding:  # where a job's keys are made, and where ids are looked up
            patch.setattr(candidates, "id_keys", _colliding)
            patch.setattr(admission_module, "id_keys", _colliding)
        admission, seen, files = _admitting(batches)
        assert admission.admitted(asked) == [i in seen for i in asked]
    assert list(admission.files) == files
    assert [admission.files[n] for n in range(len(files))] == files


GOLD_FORMS = [
    "{}.json",
    "{}.json.json",
    "{}.jsongamma.json",
    "{}.txt",
    "{}",
    "alt/{}.json",
    "{}.JSON",
    "{}.jsonl",
    ".json",
    "x.json",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(IDS), max_size=6),
    st.lists(st.tuples(st.sampled_from(GOLD_FORMS), st.sampled_from(IDS)), max_size=12),
    st.integers(1, 4),
)
def test_gold_of_no_admitted_article_is_an_orphan_in_every_batch(
    admitted_ids: list[str], gold: list[tuple[str, str]], batch: int
) -> None:
    """Each gold file is an orphan unless it is ``<id>.json`` of an admitted id, however its batch looks."""
    names = [form.format(i) for form, i in gold]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(admission_module, "ORPHAN_BATCH", batch)  # batches of usual names beside unusual ones
        admission, seen, _ = _admitting([admitted_ids])
        found = [(p.file, p.article_id) for p in orphans(admission, [], names)]
    expected = []
    for name in names:
        stem, dot, suffix = name.rpartition("/")[2].rpartition(".")
        stem = stem if dot else suffix
        if "/" in name or suffix != "json" or not dot or stem not in seen:
            expected.append((f"annotations/{name}", stem))
    assert found == expected


def test_a_settled_admission_keeps_its_articles_and_admits_no_more() -> None:
    names = ["raw/a.jsonl", "raw/b.jsonl"]
    admission = Admission(names)
    digests = np.frombuffer(b"".join(hashlib.sha256(b"%d" % n).digest() * 2 for n in range(2)), dtype=np.uint8)
    found = Candidates(["x", "y"], digests.reshape(2, 64), [3, 4], [False, False], {}, ["X", "Y"], _no_gold(2))
    admission.admit([([0], 0), ([1], 1)], found)
    admission.settle()
    assert (list(admission.ids), list(admission.files), list(admission.lines)) == (["x", "y"], names, [3, 4])
    with pytest.raises(ReleaseError, match="settled"):
        admission.admitted(["x"])
    with pytest.raises(ReleaseError, match="settled"):
        admission.admit([([0], 0)], found)
