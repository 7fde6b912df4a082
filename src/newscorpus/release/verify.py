"""Verifying a release: every data file against the hashes of its manifest."""

from __future__ import annotations

from pathlib import Path

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem, Report
from newscorpus.ingest.listing import relative_name, sha256_file
from newscorpus.release.manifest import MANIFEST, find_manifest, release_dir, release_versions
from newscorpus.release.versions import rebuild_hint


def newest_release(corpus: Path) -> str:
    """Return the newest release's version, or raise naming the command that makes one."""
    versions = release_versions(corpus)
    if not versions:
        raise ReleaseError(f"{corpus} has no release yet. Try `newscorpus build`.")
    return versions[-1]


def verify(corpus: Path, version: str) -> Report:
    """Recompute the hashes of release ``version`` (of any schema) against its manifest; report every mismatch.

    If a data file is missing or changed, the first problem is the release's, saying how to rebuild its data files.
    """
    manifest = find_manifest(corpus, version)
    folder = release_dir(corpus, version)
    report = Report(files_checked=len(manifest.files))
    broken = []
    for entry in manifest.files:
        path = folder / entry.path
        name = relative_name(corpus, path)
        if not path.is_file():
            broken.append(Problem(code=Code.RELEASE_FILE_MISSING, file=name, message="is missing"))
        elif (actual := sha256_file(path)) != entry.sha256:
            message = f"has sha256 {actual}, but the manifest says {entry.sha256}"
            broken.append(Problem(code=Code.RELEASE_FILE_CHANGED, file=name, message=message))
    if broken:
        summary = f"has {plural(len(broken), 'missing or changed data file')}. {rebuild_hint(corpus, manifest)}"
        release = Problem(code=Code.RELEASE_BROKEN, file=relative_name(corpus, folder), message=summary)
        report.problems += [release, *broken]
    listed = {entry.path for entry in manifest.files} | {MANIFEST}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.relative_to(folder).as_posix() not in listed:
            name, message = relative_name(corpus, path), "is not listed in the manifest"
            report.problems.append(Problem(code=Code.RELEASE_FILE_UNLISTED, file=name, message=message))
    return report
