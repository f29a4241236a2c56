"""``capture purge``: delete captured teacher answers by age and/or module (retention)."""

from __future__ import annotations

from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option, parse_duration
from adeptai_sagemaker.plugin.tasks import CAPABILITIES


@cli.group("capture")
def capture_group() -> None:
    """Teacher capture for student models (SAGEMAKER_<STEM>_CAPTURE; see MIGRATION.md, "Build the student")."""


@capture_group.command("purge")
@click.option("--older-than", default=None,
              help="Age such as 30d or 12h (default: ADEPTAI_SAGEMAKER_CAPTURE_RETENTION_DAYS).")
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
              help="Only this module's shards (repeatable); with no --older-than, all of its shards.")
@click.option("--location", default=None, help="Directory or s3://bucket/prefix (default: ADEPTAI_SAGEMAKER_CAPTURE_DIR).")
@json_option
@click.pass_context
def purge(ctx: click.Context, older_than: Optional[str], capabilities: tuple[str, ...], location: Optional[str]) -> None:
    """Delete captured shards older than the retention (or --older-than), optionally of some modules only."""
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.student.capture import purge as do_purge

    settings = load_settings()
    location = location or settings.capture_location()
    if older_than is not None:
        seconds: Optional[float] = parse_duration(older_than)
    elif capabilities:
        seconds = None  # the modules named: all of their shards
    else:
        seconds = settings.adeptai_sagemaker_capture_retention_days * 86400
    removed = do_purge(location, older_than_s=seconds, capabilities=list(capabilities) or None)
    if _json_mode(ctx):
        _emit_json({"removed_shards": removed, "location": location})
    else:
        _console().print(f"removed {removed} shard(s) from {location}")
