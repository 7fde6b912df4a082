"""One article from the parts a parser found: its text and blocks assembled, its id and split given, validated.

Every parser ends here, so the offset rule and the defaults are applied in one place.
"""

from __future__ import annotations

from pydantic import ValidationError

from newscorpus.core.codes import Code
from newscorpus.core.offsets import assemble, sha256_text
from newscorpus.core.report import Problem, problems_from_validation
from newscorpus.ingest.encoding import TextFault, text_problem
from newscorpus.ingest.ids import assign_split, id_from_url
from newscorpus.model.article import Article

ParseResult = Article | Problem
"""What a parser yields for each record: the article, or a problem with it."""
DEFAULTS: dict[str, object] = {"license": "LicenseRef-unknown", "redistributable": False}
"""What an article gets when neither the raw file nor its sidecar names a licence: not redistributable."""
_TEXT_CODES: dict[TextFault, Code] = {
    "empty": Code.TEXT_EMPTY,
    "control_char": Code.TEXT_CONTROL_CHAR,
    "mojibake": Code.TEXT_MOJIBAKE,
}


def make_article(
    *,
    parts: list[tuple[str, str]],
    metadata: dict[str, object],
    raw_file: str,
    raw_sha256: str,
    encoding: str,
    fallback_id: str | None,
    line: int | None = None,
    allow_c1: bool = False,
    normalized: bool = False,
    checked: bool = False,
) -> Article | list[Problem]:
    """Assemble text and blocks from parts and validate the article; return it or its problems.

    ``allow_c1`` is for imports of published corpora, which are kept losslessly (see ``text_problem``).
    ``normalized`` says every part is normalised already (``normalize_text``), so it is not done again.
    ``checked`` says every part is a slice of one text that was normalised and passed ``text_problem``
    already, so neither is done again (the model still checks NFC and control characters).
    """
    text, blocks = assemble(parts, normalized=normalized or checked)
    if not checked and (problem := text_problem(text, allow_c1=allow_c1)):
        # JSON escapes (\\u0000, M\\u00c3\\u00bc) become characters only after decoding: check the text again.
        fault, message = problem
        code = _TEXT_CODES[fault]
        return [Problem(code=code, file=raw_file, line=line, field="text", message=f"the article's text {message}")]
    fields = {**DEFAULTS, **metadata}
    if "id" not in fields:
        url = fields.get("url")
        fields["id"] = id_from_url(url) if isinstance(url, str) else fallback_id
    if not fields["id"]:
        message = "has neither an id nor a url to derive one from"
        return [Problem(code=Code.ID_MISSING, file=raw_file, line=line, field="id", message=message)]
    fields.setdefault("split", assign_split(str(fields["id"])))
    try:
        return Article.model_validate(
            {
                **fields,
                "text": text,
                "blocks": [{"kind": k, "start": s, "end": e} for k, s, e in blocks],
                "raw_file": raw_file,
                "raw_line": line,
                "raw_encoding": encoding,
                "raw_sha256": raw_sha256,
                "text_sha256": sha256_text(text),
            }
        )
    except ValidationError as exc:
        return problems_from_validation(exc, raw_file, line, article_id=str(fields["id"]))
