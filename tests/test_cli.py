from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.plural import plural
from newscorpus.derive import tokens
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.release.schema import schema_version
from tests.conftest import REPO
from tests.helpers import write_gold

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_validate_valid_corpus_exits_0(corpus: Path) -> None:
    result = run("validate", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout


def test_validate_json_lists_every_problem_and_exits_1(corpus: Path) -> None:
    (corpus / "raw" / "leer.txt").write_bytes(b"")
    (corpus / "raw" / "zeilen.jsonl").write_text(
        '{"url": "https://x.de/a", "body": "Text a."}\n{kaputt\n', encoding="utf-8"
    )
    (corpus / "raw" / "bild.png").write_bytes(b"\x89PNG\r\n")
    result = run("validate", "--corpus", str(corpus), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    problems = {(p["file"], p["line"], p["code"]) for p in report["problems"]}
    assert problems == {
        ("raw/leer.txt", None, "raw.empty"),
        ("raw/zeilen.jsonl", 2, "json.malformed"),
        ("raw/bild.png", None, "raw.unsupported_format"),
    }
    assert report["articles_valid"] == 2
    assert all({"code", "file", "line", "field", "message"} <= p.keys() for p in report["problems"])


def test_build_refusal_lists_all_problems_and_names_the_way_out(corpus: Path) -> None:
    (corpus / "raw" / "a.txt").write_bytes(b"")
    (corpus / "raw" / "b.json").write_text("{", encoding="utf-8")
    result = run("build", "--version", "1.0.0", "--corpus", str(corpus))
    assert result.exit_code == 1
    assert "raw/a.txt" in result.stderr
    assert "raw/b.json" in result.stderr
    assert "raw.empty" in result.stderr  # the table shows each problem's code
    assert "json.malformed" in result.stderr
    assert "--skip-invalid" in result.stderr
    skipped = run("build", "--version", "1.0.0", "--corpus", str(corpus), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "Left out 2 inputs:" in skipped.stdout


def test_build_tells_warnings_apart_from_inputs_left_out(corpus: Path) -> None:
    seed = next((corpus / "raw").glob("*.txt"))
    shutil.copy(seed, corpus / "raw" / "zz-copy.txt")  # an exact copy: kept out with a warning, no error
    built = run("build", "--version", "1.0.0", "--config", "documents", "--corpus", str(corpus))
    assert built.exit_code == 0, built.output
    assert "1 warning (kept in the manifest):" in built.stdout
    assert "duplicate.exact" in built.stdout
    assert "Left out" not in built.stdout


def test_build_verify_publish_summary(corpus: Path, tmp_path: Path) -> None:
    assert run("build", "--version", "1.0.0", "--corpus", str(corpus)).exit_code == 0
    again = run("build", "--version", "1.0.0", "--corpus", str(corpus))
    assert again.exit_code == 0
    assert "Unchanged" in again.stdout
    assert run("verify", "1.0.0", "--corpus", str(corpus)).exit_code == 0
    out = tmp_path / "pub"
    assert run("publish", "1.0.0", "--out", str(out), "--corpus", str(corpus)).exit_code == 0
    summary = run("summary", str(out))
    assert summary.exit_code == 0, summary.output
    assert re.search(r"train\s*│\s*1", summary.stdout)


def test_verify_mismatch_exits_1_naming_the_file(corpus: Path) -> None:
    run("build", "--version", "1.0.0", "--corpus", str(corpus))
    (corpus / "releases" / "1.0.0" / "documents" / "test.arrow").write_bytes(b"tampered")
    result = run("verify", "1.0.0", "--corpus", str(corpus), "--json")
    assert result.exit_code == 1
    release, file = json.loads(result.stdout)["problems"]
    assert (file["file"], file["code"]) == ("releases/1.0.0/documents/test.arrow", "release.file_changed")
    assert (release["file"], release["code"]) == ("releases/1.0.0", "release.broken")
    assert release["message"].startswith("has 1 missing or changed data file. Try `newscorpus build --version 1.0.0`")


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("build", "--version", "1.0"), 2, "X.Y.Z"),
        (("verify", "9.9.9"), 1, "newscorpus build --version 9.9.9"),
    ],
)
def test_errors_say_what_to_do(corpus: Path, args: tuple[str, ...], code: int, needle: str) -> None:
    result = run(*args, "--corpus", str(corpus))
    assert result.exit_code == code
    assert "Error:" in result.stderr
    assert needle in result.stderr


def test_missing_corpus_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", "--corpus", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "Try --corpus" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("build", "--version", "1.0.0", "--processes", "1"),
        ("validate",),
        ("duplicates", "--processes", "1"),
        ("schema", "check"),
    ],
)
def test_a_command_lists_the_corpus_once(corpus: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    """The progress bar's total and the reading come from one listing: raw/ is walked once, not twice."""
    from newscorpus.ingest import listing

    walked: list[Path] = []
    real = listing.walk_folder

    def counting(folder: Path) -> tuple[list[str], list[str]]:
        walked.append(folder)
        return real(folder)

    monkeypatch.setattr(listing, "walk_folder", counting)
    result = run(*args, "--corpus", str(corpus))
    assert result.exit_code in (0, 1), result.output
    assert "Error" not in result.output
    assert walked.count(corpus / "raw") == 1


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "newscorpus", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "validate" in result.stdout


def test_readme_documents_every_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.lstrip().startswith("# newscorpus")
    assert readme.index("./scripts/demo") < readme.index("./scripts/test") < readme.index("## Command reference")
    for command in app.registered_commands:
        assert f"`newscorpus {command.name}" in readme, command.name


@pytest.mark.parametrize(
    ("count", "noun", "many", "said"),
    [
        (0, "error", None, "0 errors"),
        (1, "error", None, "1 error"),
        (2, "error", None, "2 errors"),
        (1, "entity", "entities", "1 entity"),
        (3, "entity", "entities", "3 entities"),
        (1, "needs", "need", "1 needs"),
    ],
)
def test_plural_agrees_with_its_count(count: int, noun: str, many: str | None, said: str) -> None:
    assert plural(count, noun, many) == said


def test_counts_of_one_say_one_thing(corpus: Path) -> None:
    (corpus / "raw" / "leer.txt").write_bytes(b"")
    validated = run("validate", "--corpus", str(corpus))
    assert "3 files, 1 valid article: invalid: 1 error" in validated.stdout
    refused = run("build", "--version", "1.0.0", "--config", "documents", "--corpus", str(corpus))
    assert "Error: 1 problem in the inputs; no release was built." in " ".join(refused.stderr.split())
    built = run("build", "--version", "1.0.0", "--config", "documents", "--skip-invalid", "--corpus", str(corpus))
    assert "Left out 1 input:" in built.stdout
    (corpus / "releases" / "1.0.0" / "documents" / "test.arrow").unlink()
    verified = run("verify", "1.0.0", "--corpus", str(corpus))
    said = " ".join(verified.stdout.split())
    assert "Release 1.0.0: 3 files, 2 problems." in said
    assert "Release 1.0.0 has 1 missing or changed data file." in said


def test_version_names_the_package_and_the_schema_and_runs_no_command() -> None:
    result = run("--version", "validate", "--corpus", "/nonexistent")  # eager: the command never runs
    assert result.exit_code == 0
    assert result.output == f"newscorpus {version('newscorpus')}, schema {schema_version()}\n"
    assert "Commands" in run().output  # without a command, the help as before


def test_a_token_cache_that_cannot_be_used_is_one_warning_line_and_the_build_goes_on(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = next(a for a in iter_corpus(corpus) if isinstance(a, Article) and "Paris" in a.text)
    write_gold(corpus, seed, [("Paris", "LOC")])  # ner tokenises only articles with entity gold
    (tmp_path / "a-file").write_bytes(b"")
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "a-file" / "cache"))
    monkeypatch.setattr(tokens, "_STORES", {})
    monkeypatch.setattr(tokens, "_UNUSABLE", set())
    built = run("build", "--version", "1.0.0", "--processes", "1", "--corpus", str(corpus))  # tokenised here
    assert built.exit_code == 0, built.output
    told = [line for line in built.stderr.splitlines() if "token cache" in line]
    assert [line.startswith("Warning: The token cache ") for line in told] == [True], built.stderr
    assert "tokens.py" not in built.stderr  # the message, not where in the code it came from
