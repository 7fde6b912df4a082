"""Problem codes: declared once, each used, refused when unknown, derived from pydantic, listed in the README."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import json
import pickle
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.codes import Code, CodedValueError
from newscorpus.core.errors import InvalidInput
from newscorpus.core.offsets import sha256_text
from newscorpus.core.report import Problem, Report, problems_from_validation
from newscorpus.model import article as article_module
from newscorpus.model.article import Article
from newscorpus.model.rules import rules_of
from newscorpus.model.sidecar import load_sidecar
from tests.conftest import REPO

SRC = REPO / "src" / "newscorpus"


def test_every_code_is_area_dot_kind_named_after_its_value_with_a_one_line_meaning() -> None:
    for code in Code:
        assert re.fullmatch(r"[a-z]+\.[a-z0-9]+(_[a-z0-9]+)*", code.value), code
        assert code.name == code.value.upper().replace(".", "_"), code
        assert code.meaning.endswith("."), code
        assert "\n" not in code.meaning, code


def test_every_declared_code_is_used_in_src_and_every_code_used_is_declared() -> None:
    used = {
        name
        for path in SRC.rglob("*.py")
        if path.name != "codes.py"
        for name in re.findall(r"\bCode\.([A-Z][A-Z0-9_]*)", path.read_text(encoding="utf-8"))
    }
    assert used == set(Code.__members__)


def test_a_problem_takes_only_a_declared_code() -> None:
    assert Problem(code=Code.RAW_EMPTY, file="raw/a.txt", message="m").code == "raw.empty"
    with pytest.raises(ValidationError, match="instance of Code"):
        Problem(code="raw.empty", file="raw/a.txt", message="m")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="code"):
        Problem.model_validate_json('{"code": "raw.emtpy", "file": "raw/a.txt", "message": "m"}')
    with pytest.raises(ValidationError, match="code"):
        Problem(file="raw/a.txt", message="m")  # type: ignore[call-arg]


def test_a_problem_without_a_code_reads_from_json_as_uncoded() -> None:
    """Manifests written before codes list their rejected inputs without one."""
    problem = Problem.model_validate_json('{"file": "raw/a.txt", "message": "is empty"}')
    assert (problem.code, problem.message) == (Code.PROBLEM_UNCODED, "is empty")


class _Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    name: str
    count: int = 0

    @field_validator("name")
    @classmethod
    def _name_is_nfc(cls, name: str) -> str:
        if not unicodedata.is_normalized("NFC", name):
            raise CodedValueError(Code.TEXT_NOT_NFC, "name is not NFC")
        return name

    @model_validator(mode="after")
    def _not_too_many(self) -> _Record:
        if self.count > 9:
            raise ValueError("count is over 9")
        return self


@pytest.mark.parametrize(
    ("data", "code", "field", "message"),
    [
        ('{"name": "a"', Code.JSON_MALFORMED, None, "Invalid JSON"),
        ('["a"]', Code.RECORD_NOT_OBJECT, None, "object"),
        ("{}", Code.FIELD_MISSING, "name", "Field required"),
        ('{"name": "a", "colour": 1}', Code.FIELD_UNKNOWN, "colour", "Extra inputs"),
        ('{"name": "a", "count": "3"}', Code.FIELD_INVALID, "count", "integer"),
        ('{"name": "a", "count": 10}', Code.RECORD_INVALID, None, "count is over 9"),
        ('{"name": "u\\u0308"}', Code.TEXT_NOT_NFC, "name", "name is not NFC"),  # its own code, not field.invalid
    ],
)
def test_a_pydantic_error_gets_the_code_of_its_kind(data: str, code: Code, field: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        _Record.model_validate_json(data)
    [problem] = problems_from_validation(info.value, "raw/a.json", line=3, article_id="a")
    assert (problem.code, problem.field, problem.line, problem.article_id) == (code, field, 3, "a")
    assert message in problem.message


# --- the Article's rules: each its own code --------------------------------------------------------

_TEXT = "Merkel besucht Paris."


def _article(text: str = _TEXT, **fields: Any) -> dict[str, Any]:
    """A valid article's fields, with ``fields`` changed; the hash follows the text unless given."""
    return {
        "id": "merkel-paris",
        "split": "train",
        "license": "CC-BY-4.0",
        "redistributable": True,
        "text": text,
        "blocks": [{"kind": "paragraph", "start": 0, "end": len(text)}],
        "entities": [{"start": 0, "end": 6, "label": "PER", "text": "Merkel"}],
        "raw_file": "raw/a.json",
        "raw_encoding": "utf-8",
        "raw_sha256": "0" * 64,
        "text_sha256": sha256_text(text),
        **fields,
    }


_PARIS = {"start": 15, "end": 20, "label": "LOC", "text": "Paris"}
BAD_ARTICLES: dict[Code, dict[str, Any]] = {
    Code.TEXT_NOT_NFC: _article("Mu\u0308ller besucht Paris.", entities=[]),
    Code.TEXT_CARRIAGE_RETURN: _article("Merkel besucht\r\nParis."),
    Code.TEXT_CONTROL_CHAR: _article("Merkel besucht\x07 Paris."),
    Code.TEXT_SHA256_MISMATCH: _article(text_sha256=sha256_text("Merkel besucht Rom.")),
    Code.TEXT_NOT_PRETOKENIZED: _article("Merkel besucht  Paris.", pretokenized=True),
    Code.BLOCK_OUT_OF_BOUNDS: _article(blocks=[{"kind": "paragraph", "start": 0, "end": len(_TEXT) + 1}]),
    Code.BLOCK_OUT_OF_ORDER: _article(
        blocks=[{"kind": "headline", "start": 0, "end": 15}, {"kind": "paragraph", "start": 14, "end": len(_TEXT)}]
    ),
    Code.SPAN_OUT_OF_BOUNDS: _article(entities=[{**_PARIS, "end": 25}]),
    Code.SPAN_OFFSET_MISMATCH: _article(entities=[{**_PARIS, "start": 14, "end": 19}]),
    Code.SPAN_DUPLICATE: _article(entities=[_PARIS, _PARIS]),
    Code.URL_NO_HOST: _article(url="https:///politik/merkel-paris"),
    Code.DATE_OUT_OF_RANGE: _article(published_at=dt.datetime(1799, 12, 31, 12, tzinfo=dt.UTC)),
    Code.DATE_UPDATED_BEFORE_PUBLISHED: _article(
        published_at=dt.datetime(2025, 9, 4, 12, tzinfo=dt.UTC), updated_at=dt.datetime(2025, 9, 4, 9, tzinfo=dt.UTC)
    ),
}


def test_every_rule_of_the_article_raises_a_coded_error_and_each_code_has_a_bad_article_here() -> None:
    tree = ast.parse(inspect.getsource(article_module))
    article = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Article")
    rules = [
        f
        for f in article.body
        if isinstance(f, ast.FunctionDef) and any(ast.unparse(d).startswith("rule(") for d in f.decorator_list)
    ]
    assert {f"Article.{f.name.lstrip('_')}" for f in rules} == set(rules_of(Article))
    raises = [node for rule in rules for node in ast.walk(rule) if isinstance(node, ast.Raise)]
    for node in raises:  # a plain ValueError would come out as the general record.invalid
        assert isinstance(node.exc, ast.Call), ast.unparse(node)
        assert ast.unparse(node.exc.func) == "CodedValueError", ast.unparse(node)
    raised = set(re.findall(r"\bCode\.([A-Z][A-Z0-9_]*)", "\n".join(ast.unparse(node) for node in raises)))
    assert raised == {code.name for code in BAD_ARTICLES}


def _problem(data: dict[str, Any]) -> Problem:
    with pytest.raises(ValidationError) as info:
        Article.model_validate(data)
    [problem] = problems_from_validation(info.value, "raw/a.json", article_id="merkel-paris")
    return problem


def test_the_good_article_is_valid() -> None:
    assert Article.model_validate(_article(entities=[_PARIS])).entities[0].text == "Paris"


@pytest.mark.parametrize("code", list(BAD_ARTICLES), ids=str)
def test_a_bad_article_gets_the_code_of_the_rule_it_breaks(code: Code) -> None:
    problem = _problem(BAD_ARTICLES[code])
    assert (problem.code, problem.field, problem.article_id) == (code, None, "merkel-paris")
    assert not problem.message.startswith("Value error")


def test_the_rule_messages_are_kept() -> None:
    """The code says which rule; the message still says where and what, for the people who read it."""
    messages = {code: _problem(data).message for code, data in BAD_ARTICLES.items()}
    assert messages[Code.SPAN_OFFSET_MISMATCH] == "entities[0]: text[14:19] is ' Pari', not the span text 'Paris'"
    assert messages[Code.SPAN_OUT_OF_BOUNDS] == "entities[0]: offsets [15, 25) are outside 0 <= start < end <= 21"
    assert messages[Code.SPAN_DUPLICATE] == "entities[1] duplicates another span (15, 20, 'LOC', 0)"
    assert messages[Code.URL_NO_HOST] == "url 'https:///politik/merkel-paris' is not a URL with a host"
    assert messages[Code.DATE_OUT_OF_RANGE] == "published_at 1799-12-31T12:00:00+00:00 is outside the years 1800–2200"
    assert messages[Code.TEXT_CONTROL_CHAR] == "text holds the control character U+0007 at 14"


def test_a_coded_error_keeps_its_code_across_processes() -> None:
    """An error that crosses a process pool is pickled: its code must survive the trip."""
    with pytest.raises(ValidationError) as info:
        Article.model_validate(BAD_ARTICLES[Code.SPAN_DUPLICATE])
    error = pickle.loads(pickle.dumps(info.value))  # noqa: S301 (pickled right here)
    [problem] = problems_from_validation(error, "raw/a.json")
    assert (problem.code, problem.message) == (
        Code.SPAN_DUPLICATE,
        "entities[1] duplicates another span (15, 20, 'LOC', 0)",
    )


def test_invalid_input_holds_a_report(tmp_path: Path) -> None:
    sidecar = tmp_path / "a.meta.yaml"
    sidecar.write_text("kicker: [offen\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_sidecar(sidecar, "raw/a.meta.yaml")
    assert isinstance(info.value.report, Report)
    assert [(p.file, p.code) for p in info.value.report.problems] == [("raw/a.meta.yaml", Code.SIDECAR_MALFORMED)]


def test_the_readme_lists_every_code_with_its_meaning() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Problem codes\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    expected = ["| code | meaning |", "|---|---|", *(f"| `{code.value}` | {code.meaning} |" for code in Code)]
    assert table == expected, "Paste this table into the README's Problem codes section:\n" + "\n".join(expected)


def test_the_problem_table_and_every_json_output_show_the_codes(corpus: Path) -> None:
    (corpus / "raw" / "leer.txt").write_bytes(b"")
    runner = CliRunner()
    table = runner.invoke(app, ["validate", "--corpus", str(corpus)])
    assert table.exit_code == 1
    assert re.search(r"│ error\s*│ raw\.empty\s*│ raw/leer\.txt", table.stdout), table.stdout
    validated = json.loads(runner.invoke(app, ["validate", "--json", "--corpus", str(corpus)]).stdout)
    assert [(p["code"], p["file"]) for p in validated["problems"]] == [("raw.empty", "raw/leer.txt")]
    checked = json.loads(runner.invoke(app, ["schema", "check", "--json", "--corpus", str(corpus)]).stdout)
    assert [(p["code"], p["file"]) for p in checked["validation"]["problems"]] == [("raw.empty", "raw/leer.txt")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF) | st.sampled_from("„“ß😀\u0085\x7f\t\n"), max_size=40))
def test_the_first_control_character_is_named_wherever_it_is(text: str) -> None:
    """Any C0 control but tab and newline, or DEL, among umlauts, quotes, emoji and C1 controls: the first is named."""
    text = "Zeitung: " + unicodedata.normalize("NFC", text).replace("\r", "")  # a text is never empty
    first = next((n for n, c in enumerate(text) if (ord(c) < 0x20 and c not in "\t\n") or c == "\x7f"), None)
    fields = _article(text, blocks=[], entities=[])
    if first is None:
        assert Article.model_validate(fields).text == text
    else:
        with pytest.raises(ValidationError) as raised:
            Article.model_validate(fields)
        assert [e["msg"].split(", ", 1)[-1] for e in raised.value.errors()] == [
            f"text holds the control character U+{ord(text[first]):04X} at {first}"
        ]
