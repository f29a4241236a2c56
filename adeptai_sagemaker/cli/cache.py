"""``cache stats|clear|purge``: the response cache on disk."""

from __future__ import annotations


import click

from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option, parse_duration


# --------------------------------------------------------------------------- cache


@cli.group()
def cache() -> None:
    """Inspect and prune the response cache (ADEPTAI_SAGEMAKER_CACHE_DIR)."""


def _open_cache():
    from adeptai_sagemaker.core.cache import ResponseCache
    from adeptai_sagemaker.core.settings import load_settings

    settings = load_settings()
    return ResponseCache(settings.cache_dir(), settings.adeptai_sagemaker_cache_size_mb * 2**20,
                         settings.adeptai_sagemaker_cache_key)


@cache.command("stats")
@json_option
@click.pass_context
def cache_stats(ctx: click.Context) -> None:
    """Entries, size and location of the cache."""
    rc = _open_cache()
    try:
        stats = rc.stats()
    finally:
        rc.close()
    if _json_mode(ctx):
        _emit_json(stats)
    else:
        _console().print(f"{stats['entries']} entries, {stats['size_bytes'] / 1024:.1f} KiB in {stats['directory']}"
                         f" ({'encrypted' if stats['encrypted'] else 'not encrypted'})")


@cache.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def cache_clear(ctx: click.Context, yes: bool) -> None:
    """Delete every cached answer."""
    if not yes:
        click.confirm("Delete every cached answer?", abort=True)
    rc = _open_cache()
    try:
        removed = rc.clear()
    finally:
        rc.close()
    _emit_json({"removed": removed}) if _json_mode(ctx) else _console().print(f"removed {removed} entries")


@cache.command("purge")
@click.option("--older-than", "older_than", required=True, help="Age, e.g. 90s, 30m, 12h, 7d.")
@click.option("--capability", "capabilities", multiple=True, type=click.Choice(CAPABILITIES),
              help="Only this capability's entries (repeatable).")
@json_option
@click.pass_context
def cache_purge(ctx: click.Context, older_than: str, capabilities: tuple[str, ...]) -> None:
    """Delete entries stored longer ago than --older-than (retention)."""
    seconds = parse_duration(older_than)
    rc = _open_cache()
    try:
        removed = rc.purge(older_than_s=seconds, capabilities=capabilities or None)
    finally:
        rc.close()
    if _json_mode(ctx):
        _emit_json({"removed": removed, "older_than_s": seconds, "capabilities": list(capabilities)})
    else:
        _console().print(f"removed {removed} entries older than {older_than}"
                         + (f" ({', '.join(capabilities)})" if capabilities else ""))
