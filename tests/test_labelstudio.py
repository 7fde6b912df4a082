"""Integration tests against a real Label Studio server (started by ./scripts/test, or here)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import uuid
from pathlib import Path

import pytest

from newscorpus.ingest.corpus import iter_corpus, validate
from newscorpus.labelstudio.client import Connection, client, ensure_project, find_project
from newscorpus.labelstudio.convert import from_results, to_results
from newscorpus.labelstudio.pull import pull
from newscorpus.labelstudio.push import push
from newscorpus.labelstudio.reading import pseudonym
from newscorpus.labelstudio.server import LabelStudioError
from newscorpus.model.article import Article, Entity
from newscorpus.model.gold import EntityGold, GoldFile, TopicGold, gold_path
from tests.conftest import delete_project
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


def annotate(conn: Connection, task, entities: list[Entity] | None, topic: str | None, email: str, **extra) -> int:
    """Annotate as a person would; ``entities=[]`` ticks "no names", None leaves the names alone."""
    sdk = client(conn)
    result = to_results(entities, topic, origin="manual")
    return sdk.annotations.create(id=task.id, result=result, completed_by=user_id(conn, email), **extra).id


def annotate_two(corpus: Path, conn: Connection, title: str, anna_also: tuple[str, str], ben_also: tuple[str, str]):
    """Push the corpus; two annotators mark the seed: Anna "Emmanuel Macron", Ben only "Macron", each one more span.

    Anna's topic is International, Ben's Inland. Return the seed's task.
    """
    push(corpus, conn, title)
    task = task_of(conn, title, SEED)
    text = task.data["text"]
    start = text.index("Emmanuel Macron")
    anna = spans(text, ("Emmanuel Macron", "PER"), anna_also)
    ben = [Entity(start=start + 9, end=start + 15, label="PER", text="Macron"), *spans(text, ben_also)]
    annotate(conn, task, anna, "International", "anna@example.org")
    annotate(conn, task, ben, "Inland", "ben@example.org")
    return task


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
    assert (pulled.entities.status, pulled.topic.status) == ("gold", "gold")
    by_start = sorted(pulled.entities.spans, key=lambda e: (e.start, e.level))
    assert by_start == sorted(gold, key=lambda e: (e.start, e.level))

    # The corpus now carries that gold; a second project gets it as a prediction.
    other = f"{ls_project}-again"
    try:
        push(corpus, ls_conn, other)
        (prediction,) = task_of(ls_conn, other, SEED).predictions
        back = from_results(seed.text, prediction.result)
        assert back.rejected == []
        assert (back.entities, back.topic) == (pulled.entities.spans, pulled.topic.label)
        assert prediction.model_version == "label-studio"
    finally:
        sdk = client(ls_conn)
        delete_project(sdk, find_project(sdk, other).id)


def test_two_annotators_who_agree_make_gold(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    text = task.data["text"]
    same = spans(text, ("Keir Starmer", "PER"), ("Washington", "LOC"))
    annotate(ls_conn, task, same, "International", "anna@example.org")
    annotate(ls_conn, task, same, "International", "ben@example.org")
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert (gold.entities.status, gold.topic.status) == ("gold", "gold")
    assert {ref.annotator for ref in gold.annotations} == {pseudonym("anna@example.org"), pseudonym("ben@example.org")}
    (pair,) = report.agreement.pairs
    assert (pair.exact_f1, pair.overlap_f1) == (1.0, 1.0)
    assert "anna" not in gold_path(corpus, SEED).read_text(encoding="utf-8")


def test_two_annotators_who_disagree_need_adjudication(corpus, ls_conn, ls_project) -> None:
    annotate_two(corpus, ls_conn, ls_project, ("Russland", "LOC"), ("Russland", "ORG"))
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert gold.entities == EntityGold(status="needs_adjudication")
    assert gold.topic == TopicGold(status="needs_adjudication")
    assert report.entities.needs_adjudication == report.topic.needs_adjudication == [SEED]
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
    assert (gold.entities, gold.topic) == (
        EntityGold(status="gold", spans=truth),
        TopicGold(status="gold", label="International"),
    )
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
    assert [(e.text, e.label) for e in gold.entities.spans] == surfaces
    assert all(article.text[e.start : e.end] == e.text for e in gold.entities.spans)
    assert validate(corpus).valid


def test_changed_text_flags_annotations_for_review_and_carries_the_gold(corpus, ls_conn, ls_project) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Keir Starmer", "PER")), "International", "anna@example.org")
    pull(corpus, ls_conn, ls_project)
    assert read_gold(corpus, SEED).entities.status == "gold"

    raw = corpus / "raw" / f"{SEED}.txt"
    raw.write_text("\n".join(raw.read_text(encoding="utf-8").split("\n")[:4]) + "\nEin neuer erster Absatz.\n\n"
                   + "\n".join(raw.read_text(encoding="utf-8").split("\n")[4:]), encoding="utf-8")  # fmt: skip
    assert not validate(corpus).valid  # the old gold is stale for the new text
    result = push(corpus, ls_conn, ls_project)
    assert (result.updated, result.flagged_for_review, result.reanchored) == ([SEED], [SEED], [SEED])
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    # The new paragraph touched no span: the annotation moves to the new text and stays gold.
    now = articles(corpus)[SEED]
    assert (gold.entities, gold.topic) == (
        EntityGold(status="gold", spans=spans(now.text, ("Keir Starmer", "PER"))),
        TopicGold(status="gold", label="International"),
    )
    assert gold.text_sha256 == now.text_sha256
    assert report.entities.gold == report.topic.gold == [SEED]
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
    gold = read_gold(corpus, SEED)
    assert (gold.entities.status, gold.topic) == ("needs_review", None)


def test_label_change_that_orphans_annotations_is_refused(corpus, ls_conn, ls_project, monkeypatch) -> None:
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), None, "anna@example.org")
    from newscorpus.labelstudio import client as client_module
    from newscorpus.labelstudio.config import labelling_config

    without_loc = labelling_config().replace('<Label value="LOC" ', '<Label value="PLACE" ')
    monkeypatch.setattr(client_module, "labelling_config", lambda: without_loc)
    with pytest.raises(LabelStudioError, match=r"orphan annotations .* they use label:LOC \(1 annotation\)"):
        ensure_project(client(ls_conn), ls_project)
    assert "PLACE" not in client(ls_conn).projects.get(id=task.project).label_config  # left as it was


def test_a_project_made_before_the_no_names_tick_takes_the_new_config(corpus, ls_conn, ls_project) -> None:
    """Adding the tick orphans nothing, so the guard lets an annotated project of the older config through."""
    import xml.etree.ElementTree as ET

    from newscorpus.labelstudio.config import NO_ENTITIES, labelling_config

    older = ET.fromstring(labelling_config())  # noqa: S314 - our own config
    older.remove(next(el for el in older if el.get("name") == NO_ENTITIES))
    sdk = client(ls_conn)
    project = sdk.projects.create(title=ls_project, label_config=ET.tostring(older, encoding="unicode"))
    sdk.projects.import_tasks(id=project.id, request=[{"data": {"text": "Paris", "article_id": "p"}}])
    task = next(iter(sdk.tasks.list(project=project.id)))
    annotate(ls_conn, task, spans("Paris", ("Paris", "LOC")), "Sport", "anna@example.org")
    assert ensure_project(sdk, ls_project).label_config == labelling_config()


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
    assert json.loads(before[f"{SEED}.json"])["entities"]["status"] == "gold"


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
    assert "1 task, 0 annotations" in status.stdout
    pulled = runner.invoke(app, ["labelstudio", "pull", "--corpus", str(corpus), "--project", ls_project])
    assert pulled.exit_code == 0, pulled.output
    assert "1 task. entities: 0 gold" in pulled.stdout


def test_credentials_are_private_and_serve_never_prints_the_token(ls_conn) -> None:
    import os
    import stat

    from typer.testing import CliRunner

    from newscorpus.cli import app
    from newscorpus.labelstudio.home import default_home, load_or_create_credentials

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
    assert "install" not in served.output.lower()  # it runs, so nothing was installed


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


# GermEval 2014 dev sentence 968 (ner-de-dev-00968), as in NER-de-dev.tsv: imported gold PER and ORG.
GERMEVAL_00968 = (
    "#\thttp://www.svz.de/nachrichten/home/top-thema/article//so-lange-wie-rehhagel-mache-ich-es-bestimmt-nicht.html"
    "\t[2010-08-04]\t\n1\tMeine\tO\tO\n2\tUnterstützung\tO\tO\n3\that\tO\tO\n4\tVolkbert\tB-PER\tO\n5\tKeßler\tI-PER\tO\n"
    "6\tund\tO\tO\n7\tich\tO\tO\n8\twünsche\tO\tO\n9\t,\tO\tO\n10\tdass\tO\tO\n11\ter\tO\tO\n12\tErfolg\tO\tO\n"
    "13\that\tO\tO\n14\tbeim\tO\tO\n15\tDFB.\tB-ORG\tO\n\n"
)
SENTENCE = "ner-de-dev-00968-00001"  # the file holds that one sentence, so it is the file's first


def import_sentence(corpus: Path, tmp_path: Path) -> Article:
    """Import GermEval sentence 968 into ``corpus`` as `newscorpus import germeval2014` does; return it."""
    from newscorpus.ingest.importers import import_file

    tsv = tmp_path / "NER-de-dev-00968.tsv"
    tsv.write_text(GERMEVAL_00968, encoding="utf-8")
    import_file(corpus, "germeval2014", tsv, "validation")
    sentence = articles(corpus)[SENTENCE]
    assert [(e.label, e.text) for e in sentence.entities] == [("PER", "Volkbert Keßler"), ("ORG", "DFB.")]
    assert sentence.annotation.entities.status == "gold"
    return sentence


def test_a_topic_only_annotation_keeps_the_imported_entities_gold(corpus, ls_conn, ls_project, tmp_path, monkeypatch):
    """The reported data loss: a topic picked on a GermEval sentence erased its imported entities at the next build."""
    from newscorpus.release.build import build
    from tests.helpers import read_release

    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "cache"))
    imported = import_sentence(corpus, tmp_path)
    push(corpus, ls_conn, ls_project)
    task = task_of(ls_conn, ls_project, SENTENCE)
    (prediction,) = task.predictions  # the imported spans, for the annotator to correct
    assert prediction.model_version == "germeval2014"
    assert from_results(imported.text, prediction.result).entities == imported.entities
    annotate(ls_conn, task, None, "Sport", "anna@example.org")
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SENTENCE)
    assert (gold.entities, gold.topic) == (None, TopicGold(status="gold", label="Sport"))
    assert (report.entities.gold, report.topic.gold, report.corrections) == ([], [SENTENCE], [])

    result = build(corpus, "1.0.0")
    (released,) = [a for a in read_release(result.path)["validation"] if a.id == SENTENCE]
    assert [(e.label, e.text) for e in released.entities] == [("PER", "Volkbert Keßler"), ("ORG", "DFB.")]
    assert (released.annotation.entities.status, released.annotation.entities.source) == ("gold", "germeval2014")
    assert (released.topic, released.annotation.topic.status, released.annotation.topic.source) == (
        "Sport", "gold", "label-studio",
    )  # fmt: skip


def test_a_pull_that_contradicts_imported_gold_reports_each_span(corpus, ls_conn, ls_project, tmp_path) -> None:
    from typer.testing import CliRunner

    from newscorpus.cli import app

    sentence = import_sentence(corpus, tmp_path)
    push(corpus, ls_conn, ls_project)
    text = sentence.text
    dfb, erfolg, keßler = text.index("DFB."), text.index("Erfolg"), text.index("Volkbert")
    corrected = [*spans(text, ("Erfolg", "OTH")), Entity(start=dfb, end=dfb + 3, label="ORG", text="DFB")]
    annotate(ls_conn, task_of(ls_conn, ls_project, SENTENCE), corrected, None, "anna@example.org")
    pulled = CliRunner().invoke(app, ["labelstudio", "pull", "--corpus", str(corpus), "--project", ls_project])
    assert pulled.exit_code == 0, pulled.output
    output = " ".join(pulled.stdout.split())  # the table may wrap a cell
    assert "Corrections to existing gold" in output
    assert f'removed PER "Volkbert Keßler" [{keßler}:{keßler + 15}]' in output
    assert f'added OTH "Erfolg" [{erfolg}:{erfolg + 6}]' in output
    assert f'changed ORG "DFB." [{dfb}:{dfb + 4}] → ORG "DFB" [{dfb}:{dfb + 3}]' in output
    assert "germeval2014" in output
    saved = json.loads((corpus / "reports" / "labelstudio-pull.json").read_text(encoding="utf-8"))
    (correction,) = saved["corrections"]
    assert (correction["article_id"], correction["layer"], correction["source"]) == (
        SENTENCE,
        "entities",
        "germeval2014",
    )
    assert [e["text"] for e in correction["removed"]] == ["Volkbert Keßler"]
    # The correction is now the article's gold: pulling again finds nothing to correct.
    assert articles(corpus)[SENTENCE].entities == sorted(corrected, key=lambda e: e.start)
    assert pull(corpus, ls_conn, ls_project).corrections == []


def test_no_names_is_stated_by_the_tick_and_a_topic_alone_leaves_entities_open(corpus, ls_conn, ls_project) -> None:
    add_json_articles(corpus, 1)
    other = next(a for a in articles(corpus) if a != SEED)
    push(corpus, ls_conn, ls_project)
    annotate(ls_conn, task_of(ls_conn, ls_project, SEED), [], "International", "anna@example.org")  # the tick
    annotate(ls_conn, task_of(ls_conn, ls_project, other), None, "Panorama", "anna@example.org")
    empty = annotate(ls_conn, task_of(ls_conn, ls_project, other), None, None, "ben@example.org")
    report = pull(corpus, ls_conn, ls_project)
    (finding,) = [f for f in report.findings if f.annotation_id == empty]
    assert "completes no layer" in finding.reason
    assert (report.entities.gold, sorted(report.topic.gold)) == ([SEED], sorted([SEED, other]))
    assert read_gold(corpus, SEED).entities == EntityGold(status="gold", spans=[])
    assert [ref.layers for ref in read_gold(corpus, SEED).annotations] == [["entities", "topic"]]
    assert read_gold(corpus, other).entities is None
    now = articles(corpus)
    assert (now[SEED].annotation.entities.status, now[SEED].entities) == ("gold", [])
    assert (now[other].annotation.entities.status, now[other].annotation.topic.status) == ("none", "gold")


def _listed(conn: Connection, project_id: int, view: int | None = None) -> list[str]:
    sdk = client(conn)
    return [t.data["article_id"] for t in sdk.tasks.list(project=project_id, view=view, fields="task_only")]


def test_push_creates_the_tabs_once_and_puts_tasks_without_gold_first(
    corpus, ls_conn, ls_project, tmp_path, monkeypatch
) -> None:
    import_sentence(corpus, tmp_path)  # raw/imports/… is read before the seed, and its entities are gold
    first = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert first.views_created == ["To annotate", "Needs review", "Needs adjudication", "Gold", "Re-anchored"]
    assert first.created == [SEED, SENTENCE]
    sdk = client(ls_conn)
    views = {v.data["title"]: v.id for v in sdk.views.list(project=first.project_id)}
    assert list(views) == first.views_created
    assert _listed(ls_conn, first.project_id) == [SEED, SENTENCE]  # the default order: by task id
    assert _listed(ls_conn, first.project_id, views["To annotate"]) == [SEED, SENTENCE]  # the topic is open
    assert _listed(ls_conn, first.project_id, views["Gold"]) == [SENTENCE]
    assert _listed(ls_conn, first.project_id, views["Needs adjudication"]) == []
    data = task_of(ls_conn, ls_project, SENTENCE).data
    assert (data["entities_status"], data["topic_status"], data["gold_layers"]) == ("gold", "none", 1)

    task = task_of(ls_conn, ls_project, SEED)
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), "International", "anna@example.org")
    annotate(ls_conn, task, spans(task.data["text"], ("Paris", "LOC")), "Inland", "ben@example.org")
    pull(corpus, ls_conn, ls_project)  # entities gold, the topic in dispute
    second = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert (second.views_created, second.created, second.updated, second.refreshed) == ([], [], [], [SEED])
    assert len(sdk.views.list(project=first.project_id)) == 5
    assert _listed(ls_conn, first.project_id, views["Gold"]) == [SEED, SENTENCE]
    assert _listed(ls_conn, first.project_id, views["Needs adjudication"]) == [SEED]
    assert _listed(ls_conn, first.project_id, views["To annotate"]) == [SENTENCE]
    data = task_of(ls_conn, ls_project, SEED).data
    assert (data["entities_status"], data["topic_status"], data["gold_layers"]) == ("gold", "needs_adjudication", 1)

    queries = _spy_listings(monkeypatch)
    third = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert (third.refreshed, third.updated, sorted(third.unchanged)) == ([], [], sorted([SEED, SENTENCE]))
    assert None not in queries, "a push with nothing changed listed every task"


def test_a_refresh_keeps_the_flag_of_a_changed_text(corpus, ls_conn, ls_project, tmp_path) -> None:
    push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    task = task_of(ls_conn, ls_project, SEED)
    # Marked on the text before a correction that cuts into it: it cannot be carried over, so it needs review.
    annotate(ls_conn, task, spans(task.data["text"], ("Keir Starmer", "PER")), "International", "anna@example.org")
    raw = corpus / "raw" / f"{SEED}.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Keir Starmer", "Keir Starmers", 1), encoding="utf-8")
    assert push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers").flagged_for_review == [SEED]
    flagged = task_of(ls_conn, ls_project, SEED).data
    pull(corpus, ls_conn, ls_project)  # needs review: the status changes, the next push refreshes the task
    refreshed = push(corpus, ls_conn, ls_project, ledgers=tmp_path / "ledgers")
    assert refreshed.refreshed == [SEED]
    data = task_of(ls_conn, ls_project, SEED).data
    assert (data["entities_status"], data["text_changed_at"]) == ("needs_review", flagged["text_changed_at"])
    assert data["previous_text"] == flagged["previous_text"] == task.data["text"]
    assert read_gold(corpus, SEED).entities.status == "needs_review"  # still held back after the refresh
    pull(corpus, ls_conn, ls_project)
    assert read_gold(corpus, SEED).entities.status == "needs_review"


def test_the_commands_find_the_server_from_any_folder(ls_conn, monkeypatch, tmp_path) -> None:
    """`status` from outside the project, with --corpus, and from a subfolder of it, without."""
    from typer.testing import CliRunner

    from newscorpus.cli import app
    from tests.conftest import REPO

    if os.environ.get("LABEL_STUDIO_URL"):
        pytest.skip("an external server: nothing to find")
    monkeypatch.delenv("NEWSCORPUS_LABELSTUDIO_HOME", raising=False)
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    status = runner.invoke(app, ["labelstudio", "status", "--corpus", str(REPO / "corpus")])
    assert status.exit_code == 0, status.output
    assert f"Label Studio at {ls_conn.url} is up." in status.stdout
    monkeypatch.chdir(REPO / "src")
    status = runner.invoke(app, ["labelstudio", "status"])
    assert status.exit_code == 0, status.output
    assert f"Label Studio at {ls_conn.url} is up." in status.stdout
    monkeypatch.chdir(tmp_path)
    lost = runner.invoke(app, ["labelstudio", "status"])
    assert lost.exit_code == 1
    said = "".join(lost.output.split())  # rich folds a long path anywhere
    assert "".join(f"No Label Studio server is running from {tmp_path / '.labelstudio'}".split()) in said
