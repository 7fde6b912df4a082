from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from newscorpus.core.errors import NewscorpusError, ReleaseError, UsageError
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.publish.folder import publish
from newscorpus.publish.hub import check_redistributable, hub_token, plan_upload, push_to_hub
from newscorpus.release.build import build
from tests.helpers import write_gold

TOKEN = "hf_thisIsNotARealTokenButMustNeverBePrinted"  # noqa: S105 - a fake, to prove it is never printed


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def published(corpus: Path, tmp_path: Path) -> Path:
    (seed,) = [a for a in iter_corpus(corpus) if isinstance(a, Article)]
    write_gold(corpus, seed, [("Paris", "LOC")])  # entity gold, so the seed goes into ner too
    build(corpus, "1.0.0")
    out = tmp_path / "published"
    publish(corpus, "1.0.0", out)
    return out


def test_plan_uploads_card_and_data_and_tags_the_version(published: Path) -> None:
    plan = plan_upload(published, "team/newscorpus")
    paths = [op.path_in_repo for op in plan.operations]
    assert paths == [
        "README.md",
        "data/documents/train-00000-of-00001.parquet",
        "data/ner/train-00000-of-00001.parquet",
        "data/topics/train-00000-of-00001.parquet",
    ]
    assert (plan.tag, plan.version) == ("v1.0.0", "1.0.0")
    for op in plan.operations:
        assert Path(op.path_or_fileobj).read_bytes() == (published / op.path_in_repo).read_bytes()


def test_plan_refuses_an_unpublished_folder(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="newscorpus publish"):
        plan_upload(tmp_path, "team/newscorpus")


def test_token_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_HF", TOKEN)
    assert hub_token("MY_HF") == TOKEN
    monkeypatch.delenv("MY_HF")
    with pytest.raises(UsageError, match=r"\$MY_HF is empty"):
        hub_token("MY_HF")


def test_restricted_licences_block_the_upload(corpus: Path) -> None:
    manifest = build(corpus, "1.0.0").manifest
    with pytest.raises(ReleaseError, match="LicenseRef-dpa-research-use"):
        check_redistributable(manifest, allow_restricted=False)
    check_redistributable(manifest, allow_restricted=True)


def test_failed_upload_is_reported_without_the_token(published: Path) -> None:
    """The real huggingface_hub client, up to the network: the call reaches a closed local port."""
    plan = plan_upload(published, "team/newscorpus")
    api = HfApi(endpoint=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(NewscorpusError, match="Upload of team/newscorpus failed") as info:
        push_to_hub(plan, TOKEN, api=api)
    assert TOKEN not in str(info.value)


def test_cli_push_fails_cleanly_and_never_echoes_the_token(corpus: Path, tmp_path: Path) -> None:
    build(corpus, "1.0.0")
    env = {**os.environ, "MY_HF": TOKEN, "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}"}
    cmd = [
        sys.executable,
        "-m",
        "newscorpus",
        "publish",
        "1.0.0",
        "--out",
        str(tmp_path / "out"),
        "--corpus",
        str(corpus),
    ]
    result = subprocess.run(
        [*cmd, "--push-to-hub", "team/newscorpus", "--token-env", "MY_HF", "--allow-restricted"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Upload of team/newscorpus failed" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    refused = subprocess.run(
        [*cmd, "--push-to-hub", "team/newscorpus", "--token-env", "MY_HF"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert "--allow-restricted" in refused.stderr
