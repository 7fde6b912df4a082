"""What a benchmark run writes: the machine and the code it measured, named at its start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.common import machine


def test_machine_names_the_commit_and_whether_src_differs_from_it() -> None:
    measured_on = machine()
    assert measured_on["git_commit"] is None or len(measured_on["git_commit"]) == 40
    assert isinstance(measured_on["src_changed_since_commit"], bool)


def test_results_name_the_code_the_run_started_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit made while a long run goes on must not be recorded as the code it measured."""
    head = {"commit": "the-commit-at-start"}
    monkeypatch.setattr(run, "machine", lambda: {"git_commit": head["commit"]})

    def figure_during_which_a_commit_lands(bench: run.Bench) -> list[run.Figure]:
        head["commit"] = "a-commit-made-during-the-run"
        return []

    monkeypatch.setitem(run.RUNNERS, "build", figure_during_which_a_commit_lands)
    out = tmp_path / "results.json"
    assert run.main(["--only", "build", "--out", str(out), "--tmp", str(tmp_path / "work")]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["machine"]["git_commit"] == "the-commit-at-start"
