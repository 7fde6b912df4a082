"""``newscorpus publish``: write a release as a Hugging Face dataset folder, optionally upload it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from newscorpus.cli._common import CorpusOption, console, handles_errors
from newscorpus.core.plural import plural

NAME = "publish"


@handles_errors
def command(
    out: Annotated[Path, typer.Option("--out", help="The folder to write; an earlier publication there is replaced.")],
    corpus: CorpusOption = Path("corpus"),
    version: Annotated[str | None, typer.Argument(help="The release version, X.Y.Z. Default: the newest.")] = None,
    push_to_hub_repo: Annotated[
        str | None, typer.Option("--push-to-hub", metavar="REPO_ID", help="Also upload to this Hub dataset repo.")
    ] = None,
    token_env: Annotated[
        str, typer.Option("--token-env", metavar="VAR", help="Environment variable holding the Hub token.")
    ] = "HF_TOKEN",  # noqa: S107 - the name of a variable, not a token
    standoff: Annotated[
        bool,
        typer.Option(
            "--standoff", help="Publish the texts that may not be shared without them: offsets, hashes, metadata stay."
        ),
    ] = False,
    allow_restricted: Annotated[
        bool, typer.Option("--allow-restricted", help="Upload articles under restrictive licences (to a private repo).")
    ] = False,
) -> None:
    """Publish release VERSION to OUT; `datasets.load_dataset(OUT, "documents")` loads it."""
    # datasets and huggingface_hub load only when a command needs them.
    from newscorpus.publish.folder import publish
    from newscorpus.publish.hub import check_redistributable, hub_token, plan_upload, push_to_hub
    from newscorpus.release.verify import newest_release

    version = version or newest_release(corpus)

    token = hub_token(token_env) if push_to_hub_repo else None
    manifest = publish(corpus, version, out, standoff=standoff)
    console.print(f"Published release {version} to {out}{' (stand-off)' if standoff else ''}.")
    if push_to_hub_repo and token:
        check_redistributable(manifest, allow_restricted)
        plan = plan_upload(out, push_to_hub_repo)
        url = push_to_hub(plan, token, private=True)
        console.print(
            f"Uploaded {plural(len(plan.operations), 'file')} to {push_to_hub_repo} and tagged {plan.tag}: {url}"
        )
