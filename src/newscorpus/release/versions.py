"""Release versions: which version a build gets, which bumps the schema asks for, how to rebuild a release."""

from __future__ import annotations

from pathlib import Path

from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import LocalExecutor
from newscorpus.core.semver import bump, parse_semver
from newscorpus.derive.configs import CONFIGS
from newscorpus.release.clusters import default_threshold
from newscorpus.release.history import rebuild_elsewhere
from newscorpus.release.inputs import changed_inputs, hash_inputs
from newscorpus.release.manifest import (
    MANIFEST,
    Manifest,
    previous_manifest,
    read_manifest,
    release_dir,
    release_versions,
)
from newscorpus.release.schema import schema_version
from newscorpus.release.schema_diff import LEVELS, Level, level_between

FIRST_VERSION = "0.1.0"


def build_command(corpus: Path, manifest: Manifest) -> str:
    """Return the command that builds ``manifest``'s release again with this code: version, configs, threshold."""
    configs = "".join(f" --config {c}" for c in manifest.splits) if set(manifest.splits) != set(CONFIGS) else ""
    threshold, default = manifest.threshold, default_threshold(previous_manifest(corpus, manifest.version))
    given = f" --duplicate-threshold {threshold}" if threshold != default else ""
    return f"newscorpus build --version {manifest.version}{configs}{given}"


def data_missing(folder: Path, manifest: Manifest) -> bool:
    """Whether a data file of ``manifest``'s release is missing from ``folder``."""
    return any(not (folder / entry.path).is_file() for entry in manifest.files)


def new_release_hint(corpus: Path, manifest: Manifest) -> str:
    """Name the version that releases what was just built: the one a build without ``--version`` picks."""
    version = choose_version(corpus, manifest)
    if (release_dir(corpus, version) / MANIFEST).is_file():
        return f"The corpus as it is now is release {version} already."
    return f"Try `newscorpus build --version {version}` to release the corpus as it is now."


def rebuild_hint(corpus: Path, manifest: Manifest) -> str:
    """Say how to rebuild the data files of ``manifest``'s release: here if this code and the inputs can, else where."""
    code = schema_version()
    if manifest.schema_version != code:
        why = f"it was built with schema {manifest.schema_version}, and this code has schema {code}"
    else:
        with LocalExecutor() as executor:
            inputs, digest, _ = hash_inputs(corpus, executor)
        if digest == manifest.inputs_sha256:
            return f"Try `{build_command(corpus, manifest)}` to rebuild its data files from the inputs."
        why = f"{changed_inputs(manifest.inputs, inputs)} since it was built"
    return f"This code cannot rebuild its data files: {why}. {rebuild_elsewhere(corpus, manifest.version)}"


def refuse_other_schema(corpus: Path, version: str) -> None:
    """Refuse to build an existing release of another schema again, before building: it could never match."""
    folder = release_dir(corpus, version)
    existing = read_manifest(folder / MANIFEST)
    code = schema_version()
    if existing.schema_version == code:
        return
    restore = (
        f" To restore its data files: {rebuild_elsewhere(corpus, version)}" if data_missing(folder, existing) else ""
    )
    raise ReleaseError(
        f"Release {version} already exists, built with schema {existing.schema_version}; this code has schema "
        f"{code}, so it cannot build the same release. Releases are immutable. To release the corpus as it is now, "
        f"try `newscorpus build` (it picks the next version).{restore}"
    )


def check_release_bump(corpus: Path, manifest: Manifest) -> None:
    """Refuse a version bumped less than the schema since the release before it, naming one that works."""
    version = manifest.version
    older = [v for v in release_versions(corpus) if parse_semver(v) < parse_semver(version)]
    if not older:
        return
    previous = read_manifest(release_dir(corpus, older[-1]) / MANIFEST)
    current = schema_version()
    needed = level_between(parse_semver(previous.schema_version), parse_semver(current))
    bumped = level_between(parse_semver(previous.version), parse_semver(version))
    if needed and (bumped is None or LEVELS.index(bumped) < LEVELS.index(needed)):
        raise ReleaseError(
            f"The schema went from {previous.schema_version} to {current} since release {previous.version}: "
            f"a {needed} change, so this release must be a {needed} release too. {new_release_hint(corpus, manifest)}"
        )


def choose_version(corpus: Path, manifest: Manifest) -> str:
    """Return the version a build without ``--version`` gets.

    The newest release if nothing changed; otherwise the next version, bumped at
    least as far as the schema was, and by the inputs and configs: removed ones make
    a major release, new ones a minor, changed inputs a patch.
    """
    versions = release_versions(corpus)
    if not versions:
        return FIRST_VERSION
    newest = read_manifest(release_dir(corpus, versions[-1]) / MANIFEST)
    if newest.to_json() == manifest.model_copy(update={"version": newest.version}).to_json():
        return newest.version
    before = {e.path for e in newest.inputs} | {f"config:{c}" for c in newest.splits}
    after = {e.path for e in manifest.inputs} | {f"config:{c}" for c in manifest.splits}
    data: Level = "major" if before - after else "minor" if after - before else "patch"
    schema = level_between(parse_semver(newest.schema_version), parse_semver(manifest.schema_version)) or "patch"
    return bump(newest.version, max(data, schema, key=LEVELS.index))
