"""Building releases: versioned, immutable, reproducible Arrow datasets.

A release is ``corpus/releases/X.Y.Z/`` holding ``manifest.json`` and one Arrow
IPC stream per registered config (``newscorpus.derive.configs``) and split
(``{config}/{split}.arrow``, readable by ``datasets.Dataset.from_file``). Builds
stream article by article into a temp folder and rename it into place, so a kill
leaves no half release. Which version a build gets is ``release.versions``; verifying a
release is ``release.verify``.
"""

from __future__ import annotations

import shutil
import tempfile
from array import array
from collections.abc import Callable, Collection
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
from filelock import FileLock

from newscorpus.core.atomic import atomic_write_bytes, default_mode
from newscorpus.core.errors import InvalidInput, ReleaseError, UsageError
from newscorpus.core.executor import Executor, executor_for
from newscorpus.core.names import Names, NamesAt
from newscorpus.core.plural import plural
from newscorpus.core.pool import frozen_gc, trim_heap
from newscorpus.core.report import Problem, Report
from newscorpus.core.semver import parse_semver
from newscorpus.derive.configs import Config, select_configs
from newscorpus.derive.neardup import bands_for
from newscorpus.derive.rows import Tally
from newscorpus.derive.shards import (
    SHARD_DIR,
    SPILL_DIR,
    Layout,
    SpilledJob,
    spill_job,
    stitch_config,
    write_shard,
)
from newscorpus.derive.statistics import cluster_statistics
from newscorpus.ingest.admission import Admission
from newscorpus.ingest.corpus import JobGather, iter_corpus
from newscorpus.ingest.ids import SPLITS
from newscorpus.ingest.listing import Listing, sha256_file
from newscorpus.release import BUILD_MODULES
from newscorpus.release.clusters import Clusters, Placed, assign_splits, default_threshold
from newscorpus.release.entries import ArticleList
from newscorpus.release.history import rebuild_elsewhere
from newscorpus.release.inputs import changed_inputs, sealed_inputs, stamp_raw
from newscorpus.release.manifest import (
    MANIFEST,
    RELEASES_DIR,
    UNRECORDED_THRESHOLD,
    FileEntry,
    Manifest,
    previous_manifest,
    read_manifest,
    release_dir,
)
from newscorpus.release.placements import Placements
from newscorpus.release.schema import schema_version
from newscorpus.release.versions import (
    FIRST_VERSION,
    check_release_bump,
    choose_version,
    data_missing,
    new_release_hint,
    refuse_other_schema,
)


@dataclass(frozen=True)
class BuildResult:
    """What ``build`` did: ``built`` a new release, found it ``unchanged``, or ``restored`` its data files."""

    manifest: Manifest
    status: Literal["built", "unchanged", "restored"]
    path: Path


def _released(previous: Manifest | None, placed: Placed) -> dict[str, str]:
    """Return each article of ``previous`` with its split, in its order; without its list, those of its raw files."""
    if previous is None:
        return {}
    if previous.articles is not None:
        return {entry.id: entry.split for entry in previous.articles}
    # Before articles were listed, a split was a function of the id: what the article has on its own.
    files = {entry.path for entry in previous.inputs}
    return {i: split for i, split, file in zip(placed.ids, placed.splits, placed.files, strict=True) if file in files}


def _read_articles(
    corpus: Path,
    out: Path,
    configs: list[Config],
    on_file: Callable[[], None] | None,
    executor: Executor,
    threshold: float,
    previous: Manifest | None,
    listing: Listing,
) -> tuple[Report, Tally, Layout, ArticleList, bytes]:
    """Read every article, spill its rows into ``out`` and lay them out; return the report, counts, layout, articles.

    And the seal of the gold files the articles were read with (``ingest.seal``).

    Near-duplicates (similarity ≥ ``threshold``) share a split: ``previous``, the release before,
    fixes the splits of the articles it holds. The layout's rows are written next
    (``_write_configs``); what only the reading needs (the key indexes, each article's place in
    the spill: 8 MB at 100,000 articles) is gone by then.
    """
    report, stats, layout = Report(), Tally(configs), Layout(configs)
    clusters, placements = Clusters(threshold, out), Placements(configs)
    admission = Admission(listing.article_files(), out)

    def admitted(job: SpilledJob, places: list[int]) -> None:
        stats.merge(job.admitted(places))
        clusters.add(job.signatures.take(np.array(places, dtype=np.int64)))
        placements.add(job, places)

    # The workers make the rows and spill them; only a summary of each job comes back here, as columns.
    spill = partial(spill_job, out.absolute(), tuple(configs), bands_for(threshold))
    gather: JobGather[SpilledJob] = JobGather(admitted)
    valid = 0
    with frozen_gc():
        read = iter_corpus(corpus, on_file, convert_job=spill, executor=executor, listing=listing, admission=admission)
        for item in read:
            if isinstance(item, Problem):
                report.problems.append(item)
                continue
            job, place = item
            report.problems.extend(job.problems.get(place, ()))
            gather.add(job, place)
            valid += 1
        gather.done()
    clusters.settle()
    admission.settle()
    trim_heap()
    report.articles_valid = valid
    # The admitted articles, in reading order: those the placements hold (one string of each, not two). Their ids
    # as one batch, read by number without a bisect each.
    ids = admission.ids.names()
    placed = Placed(ids, NamesAt(SPLITS, placements.splits), admission.files, admission.lines)
    assignment = assign_splits(placed, clusters.roots(), _released(previous, placed))
    report.problems += assignment.problems
    leaders = assignment.leaders
    stats.duplicates = cluster_statistics([(ids[leaders[g[0]]], len(g)) for g in clusters.groups()])
    placements.lay_out(layout, assignment.splits, leaders)
    articles = ArticleList(ids, Names(assignment.splits), NamesAt(ids, array("q", leaders.tobytes())))
    return report, stats, layout, articles, admission.gold_seal


def _write_configs(out: Path, configs: list[Config], executor: Executor, layout: Layout, ids: Names) -> list[FileEntry]:
    """Write every config's splits into ``out`` from the rows ``layout`` keeps (see ``derive.shards``); return them.

    ``ids`` are the articles' ids, in the order the layout has them.
    """
    where = out.absolute()
    # The ids go to each worker once, with the work (see ``Executor.map``), not with each shard.
    for _ in executor.map(partial(write_shard, ids), layout.shard_jobs(where), executor.quick_jobs):
        pass
    rows = layout.rows()
    stitched = executor.map(stitch_config, ((where, c, rows[c.name]) for c in configs))
    files = [
        FileEntry(path=f"{config.name}/{split}.arrow", sha256=sha256, bytes=size, rows=rows[config.name][split])
        for config, made in zip(configs, stitched, strict=True)
        for split, sha256, size in made
    ]
    for scratch in (SPILL_DIR, SHARD_DIR):
        shutil.rmtree(out / scratch, ignore_errors=True)  # emptied by stitch_config: only the folders are left
    return files


def _difference(existing: Manifest, built: Manifest) -> str:
    """Say why a build differs from the release of the same version."""
    if changed := changed_inputs(existing.inputs, built.inputs):
        return changed
    if existing.splits.keys() != built.splits.keys():
        return f"it holds the configs {', '.join(existing.splits)}, this build {', '.join(built.splits)}"
    if existing.threshold != built.threshold:
        return (
            f"its near-duplicates were found at similarity {existing.threshold}, this build's at {built.threshold} "
            f"(--duplicate-threshold {existing.threshold} builds it again)"
        )
    return "this code builds other data from the same inputs"


def _install(tmp: Path, target: Path, manifest: Manifest, corpus: Path) -> Literal["built", "unchanged", "restored"]:
    if not target.exists():
        tmp.rename(target)
        return "built"
    existing = read_manifest(target / MANIFEST)
    if existing.to_json() != manifest.to_json():
        restore = (
            f" To restore its data files instead: {rebuild_elsewhere(corpus, manifest.version)}"
            if data_missing(target, existing)
            else ""
        )
        raise ReleaseError(
            f"Release {manifest.version} already exists, and {_difference(existing, manifest)}. "
            f"Releases are immutable. {new_release_hint(corpus, manifest)}{restore}"
        )
    restored = False
    for entry in manifest.files:
        final = target / entry.path
        if not final.is_file() or sha256_file(final) != entry.sha256:
            final.parent.mkdir(parents=True, exist_ok=True)
            (tmp / entry.path).replace(final)
            restored = True
    return "restored" if restored else "unchanged"


def _build_into(
    tmp: Path,
    corpus: Path,
    configs: list[Config],
    skip_invalid: bool,
    on_file: Callable[[], None] | None,
    executor: Executor,
    previous: Manifest | None,
    threshold: float,
    listing: Listing,
) -> Manifest:
    stamps = stamp_raw(corpus, executor, listing)  # before the reading: the hashing checks that it hashes what was read
    report, stats, layout, articles, gold_seal = _read_articles(
        corpus, tmp, configs, on_file, executor, threshold, previous, listing
    )
    if not report.articles_valid:
        raise InvalidInput(
            f"No valid article in {corpus}; there is nothing to release. See `newscorpus validate`.", report
        )
    if report.errors and not skip_invalid:
        raise InvalidInput(
            f"{plural(len(report.errors), 'problem')} in the inputs; no release was built. "
            "Fix them (see `newscorpus validate`) or build with --skip-invalid.",
            report,
        )
    files = _write_configs(tmp, configs, executor, layout, articles.ids)
    del layout
    trim_heap()  # what the articles' layout held is free now
    inputs, inputs_sha256, _ = sealed_inputs(corpus, executor, listing, report.problems, gold_seal, stamps)
    splits: dict[str, dict[str, int]] = {}
    for entry in files:
        config, split = entry.path.removesuffix(".arrow").split("/")
        splits.setdefault(config, {})[split] = entry.rows
    return Manifest(
        version=FIRST_VERSION,  # provisional: the caller sets the real one
        schema_version=schema_version(),
        duplicate_threshold=None if threshold == UNRECORDED_THRESHOLD else threshold,
        splits=splits,
        statistics=stats.freeze(),
        files=files,
        inputs=inputs,
        inputs_sha256=inputs_sha256,
        rejected=report.problems,
        articles=articles,
    )


def build(
    corpus: Path,
    version: str | None = None,
    *,
    skip_invalid: bool = False,
    on_file: Callable[[], None] | None = None,
    processes: int | None = None,
    configs: Collection[str] | None = None,
    ray: str | None = None,
    executor: Executor | None = None,
    threshold: float | None = None,
    listing: Listing | None = None,
) -> BuildResult:
    """Build release ``version`` of ``corpus``, or without one the version :func:`choose_version` picks.

    A no-op if the release exists with the same content. Refuses with
    ``InvalidInput`` (holding the report) if any input is invalid, unless
    ``skip_invalid``; then every rejected input is listed in the manifest. Reading, parsing and
    tokenising run on ``processes`` cores (default: all); the release is the same on any number.
    With ``ray``, a Ray cluster address, they run on that cluster instead: the release is the same.
    ``configs`` names the configs the release holds (default: every registered one); a release
    without ``ner`` skips tokenising, the slow step. ``executor``, if given, runs the jobs instead
    (``processes`` and ``ray`` then unused); its owner closes it. Articles are near-duplicates
    from an estimated similarity of ``threshold``, by default the release before's
    (:func:`~newscorpus.release.clusters.default_threshold`); the manifest records it. ``listing`` is
    the corpus's files if the caller listed them already: the release records the very files it read.
    """
    if version is not None:
        parse_semver(version)
    if threshold is not None and not 0 < threshold <= 1:
        raise UsageError(f"A near-duplicate threshold is above 0 and at most 1, not {threshold}. Try 0.5.")
    chosen = select_configs(configs)
    releases = corpus / RELEASES_DIR
    releases.mkdir(parents=True, exist_ok=True)
    with FileLock(releases / ".lock"):
        if version is not None and (release_dir(corpus, version) / MANIFEST).is_file():
            refuse_other_schema(corpus, version)
        for stale in releases.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed build; we hold the lock
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=releases))
        tmp.chmod(default_mode(directory=True))
        try:
            jobs_on = nullcontext(executor) if executor is not None else executor_for(processes, ray, BUILD_MODULES)
            with jobs_on as running:
                previous = previous_manifest(corpus, version)
                chosen_threshold = default_threshold(previous) if threshold is None else threshold
                built = _build_into(
                    tmp, corpus, chosen, skip_invalid, on_file, running, previous, chosen_threshold,
                    listing or Listing.of(corpus),
                )  # fmt: skip
            manifest = built.model_copy(update={"version": version or choose_version(corpus, built)})
            target = release_dir(corpus, manifest.version)
            if not target.exists():
                check_release_bump(corpus, manifest)
            atomic_write_bytes(tmp / MANIFEST, manifest.json_pieces())
            status = _install(tmp, target, manifest, corpus)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return BuildResult(manifest=manifest, status=status, path=target)
