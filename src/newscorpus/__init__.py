"""newscorpus: a versioned, gold-annotated corpus of German news articles, and the library that builds it.

The ``newscorpus`` command is a thin layer over these functions::

    from pathlib import Path
    import newscorpus

    corpus = Path("corpus")
    report = newscorpus.validate(corpus)  # every problem as data: report.errors, report.model_dump_json()
    result = newscorpus.build(corpus)  # the next version, or the release that is already there
    newscorpus.publish_release(corpus, result.manifest.version, Path("published"))

Every error they raise is a ``NewscorpusError``. Names are imported when first used, so that
``import newscorpus`` stays cheap. ``publish`` is ``publish_release`` here: ``newscorpus.publish`` is
the subpackage, and importing it would replace a function of that name.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers see; the names come from _WHERE at run time (tests/test_api checks both)
    from newscorpus.core.errors import InvalidInput as InvalidInput
    from newscorpus.core.errors import NewscorpusError as NewscorpusError
    from newscorpus.core.errors import ReleaseError as ReleaseError
    from newscorpus.core.errors import SchemaError as SchemaError
    from newscorpus.core.errors import UsageError as UsageError
    from newscorpus.core.report import Problem as Problem
    from newscorpus.core.report import Report as Report
    from newscorpus.ingest.corpus import iter_corpus as iter_corpus
    from newscorpus.ingest.corpus import validate as validate
    from newscorpus.model.article import Article as Article
    from newscorpus.publish.folder import publish as publish_release  # noqa: F401 - exported by __getattr__
    from newscorpus.publish.folder import rehydrate as rehydrate
    from newscorpus.release.build import BuildResult as BuildResult
    from newscorpus.release.build import build as build
    from newscorpus.release.diff import diff_releases as diff_releases
    from newscorpus.release.manifest import Manifest as Manifest
    from newscorpus.release.manifest import load_manifest as load_manifest
    from newscorpus.release.verify import verify as verify

_WHERE = {
    "InvalidInput": "newscorpus.core.errors:InvalidInput",
    "NewscorpusError": "newscorpus.core.errors:NewscorpusError",
    "ReleaseError": "newscorpus.core.errors:ReleaseError",
    "SchemaError": "newscorpus.core.errors:SchemaError",
    "UsageError": "newscorpus.core.errors:UsageError",
    "Problem": "newscorpus.core.report:Problem",
    "Report": "newscorpus.core.report:Report",
    "iter_corpus": "newscorpus.ingest.corpus:iter_corpus",
    "validate": "newscorpus.ingest.corpus:validate",
    "Article": "newscorpus.model.article:Article",
    "publish_release": "newscorpus.publish.folder:publish",
    "rehydrate": "newscorpus.publish.folder:rehydrate",
    "BuildResult": "newscorpus.release.build:BuildResult",
    "build": "newscorpus.release.build:build",
    "diff_releases": "newscorpus.release.diff:diff_releases",
    "Manifest": "newscorpus.release.manifest:Manifest",
    "load_manifest": "newscorpus.release.manifest:load_manifest",
    "verify": "newscorpus.release.verify:verify",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    """Import a public name from its module the first time it is used."""
    if name not in _WHERE:
        raise AttributeError(f"module 'newscorpus' has no attribute {name!r}")
    module, attribute = _WHERE[name].split(":")
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
