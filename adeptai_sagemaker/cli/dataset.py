"""``dataset build``: captured teacher answers -> train/validation/test files in a fine-tuning format, and a card."""

from __future__ import annotations

from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option
from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.student.formats import FORMATS


@cli.group("dataset")
def dataset_group() -> None:
    """Student datasets built from captured teacher answers."""


@dataset_group.command("build")
@click.argument("capability", type=click.Choice(CAPABILITIES))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jumpstart", show_default=True)
@click.option("--location", default=None, help="Captured shards: directory or s3://bucket/prefix "
                                                "(default: ADEPTAI_SAGEMAKER_CAPTURE_DIR).")
@click.option("--max-input-tokens", default=4096, show_default=True, type=click.IntRange(1, 1_000_000),
              help="The student model's maximum input, for the card's prompt-length check.")
@json_option
@click.pass_context
def build(ctx: click.Context, capability: str, out_dir: str, fmt: str, location: Optional[str],
          max_input_tokens: int) -> None:
    """Deduplicate, split by input hash, and write CAPABILITY's dataset with card.md (and card.png)."""
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.student.dataset import build as do_build

    location = location or load_settings().capture_location()
    card = do_build(location, capability, out_dir, fmt, max_input_tokens=max_input_tokens)
    if _json_mode(ctx):
        _emit_json({**card.to_dict(), "out": out_dir})
        return
    splits = ", ".join(f"{k} {v}" for k, v in card.splits.items())
    _console().print(f"{capability}: {splits} ({card.duplicates_removed} duplicates removed, "
                     f"{card.invalid_teacher_answers} invalid teacher answers) -> {out_dir}/card.md")
    if not sum(card.splits.values()):
        _console(stderr=True).print(f"[yellow]warning: no captured examples of {capability} at {location}: "
                                    f"set SAGEMAKER_{load_settings().stem(capability)}_CAPTURE=true first[/]")
