"""Files of the project that the library reads at run time: ``schemas/`` and ``dataset_card.md``.

In a source checkout (and an editable install) they are read where they are
committed; a wheel carries a copy under ``newscorpus/_project/``.
"""

from __future__ import annotations

from pathlib import Path

from newscorpus.core.errors import NewscorpusError

_SOURCE_ROOT = Path(__file__).resolve().parents[3]  # src/newscorpus/core/resources.py
_PACKAGED_ROOT = Path(__file__).resolve().parents[1] / "_project"


def project_path(name: str) -> Path:
    """Return the path of a project file or folder such as ``schemas`` or ``dataset_card.md``."""
    for root in (_SOURCE_ROOT, _PACKAGED_ROOT):
        if (root / name).exists() and (root / "schemas" / "labels.yaml").is_file():
            return root / name
    raise NewscorpusError(
        f"Cannot find {name} (looked in {_SOURCE_ROOT} and {_PACKAGED_ROOT}). Try reinstalling newscorpus."
    )
