"""Integration tests against a real Label Studio server (started by ./scripts/test, or here)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid
from pathlib import Path

import pytest

from newscorpus.article import Article, Entity
from newscorpus.corpus import iter_corpus, validate
from newscorpus.gold import GoldFile, gold_path
from newscorpus.labelstudio.client import Connection, client, ensure_project, find_project
from newscorpus.labelstudio.convert import from_results, to_results
from newscorpus.labelstudio.pull import pseudonym, pull
from newscorpus.labelstudio.push import push
from newscorpus.labelstudio.server import LabelStudioError
from tests.helpers import add_json_articles

pytestmark = pytest.mark.integration
SEED = "koalition-der-willigen-paris"


def articles(corpus: Path) -> dict[str, Article]:
    return {a.id: a for a in iter_corpus(corpus) if isinstance(a, Article)}


def spans(text: str, *pairs: tuple[str, str], level: int = 0) -> list[Entity]:
    out = []
    for surface, label in pairs:
        start = text.index(surface)
        out.append(Entity(start=start, end=start + len(surface), label=label, level=level, text=surface))
    return out


def task_of(conn: Connection, title: str, article_id: str):
    sdk = client(conn)
    project = find_project(sdk, title)
    return next(t for t in sdk.tasks.list(project=project.id) if t.data["article_id"] == article_id)


def user_id(conn: Connection, email: str) -> int:
    sdk = client(conn)
    for user in sdk.users.list():
        if user.email == email:
            return user.id
    return sdk.users.create(email=email, username=f"{email.split('@')[0]}-{uuid.uuid4().hex[:6]}").id


def annotate(conn: Connection, task, entities: list[Entity], topic: str | None, email: str, **extra) -> int:
    sdk = client(conn)
    result = to_results(entities, topic, origin="manual")
    return sdk.annotations.create(id=task.id, result=result, completed_by=user_id(conn, email), **extra).id


def read_gold(corpus: Path, article_id: str) -> GoldFile:
    return GoldFile.model_validate_json(gold_path(corpus, article_id).read_bytes())


def test_push_is_idempotent_and_creates_each_article_once(corpus, ls_conn, ls_project) -> None:
    add_json_articles(corpus, 250)  # more than two pages of the task listing
    first = push(corpus, ls_conn, ls_project)
    assert len(first.created) == 251
    second = push(corpus, ls_conn, ls_project)
    assert (second.created, second.updated, len(second.unchanged)) == ([], [], 251)
    sdk = client(ls_conn)
    assert sdk.projects.get(id=first.project_id).task_number == 251
    report = pull(corpus, ls_conn, ls_project)
    assert report.tasks == 251


def test_push_sends_gold_as_predictions_and_pulls_back_identical(corpus, ls_conn, ls_project, tmp_path) -> None:
    seed = articles(corpus)[SEED]
    gold = spans(seed.text, ("Emmanuel Macron", "PER"), ("Pariser", "LOCderiv"), ("Nato-Staaten", "ORGpart"))
    gold += spans(seed.text, ("Nato", "ORG"), level=1)
    push(corpus, ls_conn, ls_project)
    annotate(ls_conn, task_of(ls_conn, ls_project, SEED), gold, "International", "anna@example.org")
    pull(corpus, ls_conn, ls_project)
    pulled = read_gold(corpus, SEED)
    assert pulled.status == "gold"
    assert sorted(pulled.entities, key=lambda e: (e.start, e.level)) == sorted(gold, key=lambda e: (e.start, e.level))

    # The corpus now carries that gold; a second project gets it as a prediction.
    other = f"{ls_project}-again"
    try:
        push(corpus, ls_conn, other)
        (prediction,) = task_of(ls_conn, other, SEED).predictions
        back = from_results(seed.text, prediction.result)
        assert back.rejected == []
        assert (back.entities, back.topic) == (pulled.entities, pulled.topic)
        assert prediction.model_version == "label-studio"
    finally:
        sdk = client(ls_conn)
        sdk.projects.delete(id=find_project(sdk, other).id)


def test_two_annotators_who_agree_make_gold(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    text = task.data["text"]
    same = spans(text, ("Keir Starmer", "PER"), ("Washington", "LOC"))
    annotate(ls_conn, task, same, "International", "anna@example.org")
    annotate(ls_conn, task, same, "International", "ben@example.org")
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert gold.status == "gold"
    assert {ref.annotator for ref in gold.annotations} == {pseudonym("anna@example.org"), pseudonym("ben@example.org")}
    (pair,) = report.agreement.pairs
    assert (pair.exact_f1, pair.overlap_f1) == (1.0, 1.0)
    assert "anna" not in gold_path(corpus, SEED).read_text(encoding="utf-8")


def test_two_annotators_who_disagree_need_adjudication(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    text = task.data["text"]
    start = text.index("Emmanuel Macron")
    anna = spans(text, ("Emmanuel Macron", "PER"), ("Russland", "LOC"))
    ben = [Entity(start=start + 9, end=start + 15, label="PER", text="Macron"), *spans(text, ("Russland", "ORG"))]
    annotate(ls_conn, task, anna, "International", "anna@example.org")
    annotate(ls_conn, task, ben, "Inland", "ben@example.org")
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert (gold.status, gold.entities, gold.topic) == ("needs_adjudication", [], None)
    assert report.needs_adjudication == [SEED]
    assert any("disagree" in f.reason for f in report.findings)
    (pair,) = report.agreement.pairs
    assert pair.exact_f1 == 0.0
    assert pair.overlap_f1 == 0.5  # the Macron spans overlap with the same label; Russland differs in label
    assert report.agreement.cohen_kappa is not None
    # needs_adjudication is not gold: the build keeps the article without spans.
    assert validate(corpus).valid
    assert articles(corpus)[SEED].entities == []


def test_ground_truth_wins_and_cancelled_is_never_gold(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    text = task.data["text"]
    truth = spans(text, ("Steve Witkoff", "PER"))
    annotate(ls_conn, task, spans(text, ("Steve Witkoff", "ORG")), "Inland", "anna@example.org")
    annotate(ls_conn, task, truth, "International", "ben@example.org", ground_truth=True)
    annotate(ls_conn, task, spans(text, ("Paris", "LOC")), "Sport", "carla@example.org", was_cancelled=True)
    pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert (gold.status, gold.entities, gold.topic) == ("gold", truth, "International")
    assert pseudonym("carla@example.org") not in {ref.annotator for ref in gold.annotations}


def test_only_a_cancelled_annotation_writes_no_gold(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), None, "anna@example.org", was_cancelled=True)
    pull(corpus, ls_conn, ls_project)
    assert not gold_path(corpus, SEED).exists()


def test_emoji_quotes_crlf_and_nfd_land_on_the_same_characters(corpus, ls_conn, ls_project) -> None:
    body = (
        "🇺🇦 Kyjiw meldet „heftige Angriffe“ auf Charkiw 👩‍👩‍👧.\r\n\r\n"
        "Die Stadtverwaltung in Mu\u0308nchen und die Stra\u00dfenbahn-Gesellschaft helfen.\r\n"
    )
    raw = corpus / "raw" / "kyjiw.txt"
    raw.write_bytes(
        (
            "Krieg in der Ukraine\r\n\r\nVon dpa Aktualisiert am 05.09.2025 - 09:15 Uhr Lesedauer: 1 Min.\r\n\r\n"
            + body
        ).encode("utf-8")
    )
    article = articles(corpus)["kyjiw"]
    surfaces = [("Kyjiw", "LOC"), ("„heftige Angriffe“", "OTH"), ("Charkiw", "LOC"), ("München", "LOC")]
    entities = spans(article.text, *surfaces)
    assert article.text.index("Kyjiw") == article.text.index("🇺🇦") + 3  # the flag is two code points, then a space
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, "kyjiw")
    assert task.data["text"] == article.text
    annotate(ls_conn, task, entities, "International", "anna@example.org")
    pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, "kyjiw")
    assert [(e.text, e.label) for e in gold.entities] == surfaces
    assert all(article.text[e.start : e.end] == e.text for e in gold.entities)
    assert validate(corpus).valid


def test_changed_text_flags_annotations_for_review(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Keir Starmer", "PER")), "International", "anna@example.org")
    pull(corpus, ls_conn, ls_project)
    assert read_gold(corpus, SEED).status == "gold"

    raw = corpus / "raw" / f"{SEED}.txt"
    raw.write_text("\n".join(raw.read_text(encoding="utf-8").split("\n")[:4]) + "\nEin neuer erster Absatz.\n\n"
                   + "\n".join(raw.read_text(encoding="utf-8").split("\n")[4:]), encoding="utf-8")  # fmt: skip
    assert not validate(corpus).valid  # the old gold is stale for the new text
    result = push(corpus, ls_conn, ls_project)
    assert (result.updated, result.flagged_for_review) == ([SEED], [SEED])
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert (gold.status, gold.entities) == ("needs_review", [])
    assert gold.text_sha256 == articles(corpus)[SEED].text_sha256
    assert report.needs_review == [SEED]
    assert validate(corpus).valid


def test_task_whose_text_differs_from_the_article_is_kept_out(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), None, "anna@example.org")
    client(ls_conn).tasks.update(id=str(task.id), data={**task.data, "text": task.data["text"] + " Manipuliert."})
    report = pull(corpus, ls_conn, ls_project)
    assert not gold_path(corpus, SEED).exists()
    assert any("not the article's current text" in f.reason for f in report.findings)


def test_misaligned_span_from_the_server_is_rejected_not_clamped(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    text = task.data["text"]
    start = text.index("Paris")
    bad = {"from_name": "label", "to_name": "text", "type": "labels",
           "value": {"start": start, "end": start + 6, "text": "Paris", "labels": ["LOC"]}}  # fmt: skip
    annotation = client(ls_conn).annotations.create(id=task.id, result=[bad], completed_by=user_id(ls_conn, "a@x.org"))
    report = pull(corpus, ls_conn, ls_project)
    (finding, *_) = [f for f in report.findings if f.annotation_id == annotation.id]
    assert finding.task_id == task.id
    assert "'Paris'" in finding.reason
    assert read_gold(corpus, SEED).status == "needs_review"


def test_label_change_that_orphans_annotations_is_refused(corpus, ls_conn, ls_project, monkeypatch) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), None, "anna@example.org")
    from newscorpus.labelstudio import client as client_module
    from newscorpus.labelstudio.config import labelling_config

    without_loc = labelling_config().replace('<Label value="LOC" ', '<Label value="PLACE" ')
    monkeypatch.setattr(client_module, "labelling_config", lambda: without_loc)
    with pytest.raises(LabelStudioError, match="orphan"):
        ensure_project(client(ls_conn), ls_project)


def test_wrong_token_is_a_clear_error_that_never_echoes_it(ls_conn, corpus) -> None:
    secret = "0123456789abcdef-not-the-token"  # noqa: S105 - a fake, to prove it is never echoed
    with pytest.raises(LabelStudioError, match="refused the API key") as info:
        push(corpus, Connection(ls_conn.url, secret))
    assert secret not in str(info.value)
    assert ls_conn.url in str(info.value)


def test_server_down_names_the_url_and_writes_nothing(corpus) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(LabelStudioError, match=f"Cannot reach Label Studio at {url}"):
        pull(corpus, Connection(url, "whatever"))
    assert list((corpus / "annotations").iterdir()) == []


def _cutting_proxy(upstream: str, cut_after_bytes: int) -> tuple[str, threading.Event]:
    """A loopback TCP proxy to the real server that dies after relaying ``cut_after_bytes`` of responses."""
    host, port = upstream.removeprefix("http://").split(":")
    listener = socket.create_server(("127.0.0.1", 0))
    relayed = [0]
    died = threading.Event()

    def pipe(src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while chunk := src.recv(65536):
                if count:
                    relayed[0] += len(chunk)
                    if relayed[0] > cut_after_bytes:
                        died.set()
                        break
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        listener.settimeout(30)
        try:
            while not died.is_set():
                client_side, _ = listener.accept()
                server_side = socket.create_connection((host, int(port)))
                threading.Thread(target=pipe, args=(client_side, server_side, False), daemon=True).start()
                threading.Thread(target=pipe, args=(server_side, client_side, True), daemon=True).start()
        except OSError:
            pass
        finally:
            listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", died


def test_server_dying_mid_pull_leaves_previous_files_intact(corpus, ls_conn, ls_project) -> None:
    """The connection to the real server is cut partway through the task listing, as a killed server does."""
    add_json_articles(corpus, 300)
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), "International", "anna@example.org")
    pull(corpus, ls_conn, ls_project)
    before = {p.name: p.read_bytes() for p in (corpus / "annotations").iterdir()}
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "ORG")), "Inland", "ben@example.org")  # would change it
    url, died = _cutting_proxy(ls_conn.url, cut_after_bytes=200_000)
    with pytest.raises(LabelStudioError):
        pull(corpus, Connection(url, ls_conn.api_key), ls_project)
    assert died.is_set(), "the proxy never cut the connection: the pull was smaller than expected"
    assert {p.name: p.read_bytes() for p in (corpus / "annotations").iterdir()} == before
    assert json.loads(before[f"{SEED}.json"])["status"] == "gold"


def test_rerun_after_a_failed_push_completes_without_duplicates(corpus, ls_conn, ls_project, monkeypatch) -> None:
    """The second batch fails (as a dropped connection would); the rerun creates exactly the rest."""
    from label_studio_sdk.projects.client import ProjectsClient

    from newscorpus.labelstudio import push as push_module

    add_json_articles(corpus, 30)
    monkeypatch.setattr(push_module, "BATCH_SIZE", 10)
    real = ProjectsClient.import_tasks
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise LabelStudioError("connection dropped mid-push")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ProjectsClient, "import_tasks", flaky)
    with pytest.raises(LabelStudioError, match="mid-push"):
        push(corpus, ls_conn, ls_project)
    monkeypatch.setattr(ProjectsClient, "import_tasks", real)
    rerun = push(corpus, ls_conn, ls_project)
    assert len(rerun.created) == 31 - 10
    assert len(rerun.unchanged) == 10
    sdk = client(ls_conn)
    tasks = list(sdk.tasks.list(project=rerun.project_id, page_size=100, fields="task_only"))
    ids = [t.data["article_id"] for t in tasks]
    assert len(ids) == len(set(ids)) == 31


def test_cli_push_status_pull(corpus, ls_conn, ls_project) -> None:
    from typer.testing import CliRunner

    from newscorpus.cli import app

    runner = CliRunner()
    pushed = runner.invoke(app, ["labelstudio", "push", "--corpus", str(corpus), "--project", ls_project])
    assert pushed.exit_code == 0, pushed.output
    assert "1 created" in pushed.stdout
    status = runner.invoke(app, ["labelstudio", "status", "--project", ls_project])
    assert status.exit_code == 0, status.output
    assert "1 tasks, 0 annotations" in status.stdout
    pulled = runner.invoke(app, ["labelstudio", "pull", "--corpus", str(corpus), "--project", ls_project])
    assert pulled.exit_code == 0, pulled.output
    assert "1 tasks: 0 gold" in pulled.stdout


def test_credentials_are_private_and_serve_never_prints_the_token(ls_conn) -> None:
    import os
    import stat

    from typer.testing import CliRunner

    from newscorpus.cli import app
    from newscorpus.labelstudio.server import default_home, load_or_create_credentials

    if os.environ.get("LABEL_STUDIO_URL"):
        pytest.skip("an external server: its credentials are not ours")
    home = default_home()
    assert stat.S_IMODE(home.credentials.stat().st_mode) == 0o600
    served = CliRunner().invoke(app, ["labelstudio", "serve"])
    assert served.exit_code == 0, served.output
    secrets = load_or_create_credentials(home)
    assert secrets["token"] not in served.output
    assert secrets["password"] not in served.output
    assert ls_conn.url in served.stdout


def _spy_listings(monkeypatch) -> list[str | None]:
    """Record the query of every task listing push makes (None: a full listing)."""
    from label_studio_sdk.tasks.client import TasksClient

    queries: list[str | None] = []
    real = TasksClient.list

    def spy(self, **kwargs):
        if kwargs.get("page_size") != 1:  # the watermark probe reads one task
            queries.append(kwargs.get("query"))
        return real(self, **kwargs)

    monkeypatch.setattr(TasksClient, "list", spy)
    return queries


def test_second_push_reads_the_ledger_not_every_task(corpus, ls_conn, ls_project, monkeypatch, tmp_path) -> None:
    add_json_articles(corpus, 20)
    first = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert len(first.created) == 21
    [ledger_file] = (tmp_path / "ledgers").iterdir()
    ledger = json.loads(ledger_file.read_text(encoding="utf-8"))
    assert set(ledger["tasks"]) == set(articles(corpus))
    queries = _spy_listings(monkeypatch)
    second = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert (second.created, second.updated, len(second.unchanged)) == ([], [], 21)
    assert queries
    assert None not in queries, "a push with a ledger listed every task"


def test_ledger_notices_tasks_deleted_or_changed_on_the_server(corpus, ls_conn, ls_project, monkeypatch, tmp_path):
    add_json_articles(corpus, 5)
    first = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    sdk = client(ls_conn)
    tasks = {t.data["article_id"]: t for t in sdk.tasks.list(project=first.project_id, fields="task_only")}
    deleted, changed = sorted(tasks)[:2]
    sdk.tasks.delete(id=str(tasks[deleted].id))
    sdk.tasks.update(id=str(tasks[changed].id), data={**tasks[changed].data, "text_sha256": "0" * 64})

    queries = _spy_listings(monkeypatch)
    second = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert (second.created, second.updated) == ([deleted], [changed])
    assert None in queries, "a deleted task must send push back to the full listing"
    third = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert (third.created, third.updated, len(third.unchanged)) == ([], [], 6)
    listed = [t.data["article_id"] for t in sdk.tasks.list(project=first.project_id, fields="task_only")]
    assert sorted(listed) == sorted(articles(corpus))


def test_an_unreadable_ledger_means_a_full_listing(corpus, ls_conn, ls_project, monkeypatch, tmp_path) -> None:
    first = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    [ledger_file] = (tmp_path / "ledgers").iterdir()
    ledger_file.write_text("{not json", encoding="utf-8")
    queries = _spy_listings(monkeypatch)
    second = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert (second.project_id, second.created, second.unchanged) == (first.project_id, [], [SEED])
    assert None in queries
