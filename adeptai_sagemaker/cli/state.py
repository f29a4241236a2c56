"""``state init|show`` and ``kill on|off``: the fleet's shared state store and its kill switch.

Why: with ``ADEPTAI_SAGEMAKER_STATE_URL=dynamodb://TABLE`` every host and
operator shares one table; ``state init`` creates it (on-demand billing, TTL
on), idempotent, so a deploy pipeline can run it every time. ``state show``
prints every stored mode with its version, who set it and when, and the kill
switch. ``kill on`` holds every module on every host at ``off`` within the
refresh interval (the hosts' own ``SAGEMAKER_LLM_ENABLED=false`` still wins
where set); ``kill off`` releases it.
"""

from __future__ import annotations

import time
from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option


def _store():
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.rollout.state import store_for

    settings = load_settings()
    return settings, store_for(settings)


def _fail(store, exc: BaseException) -> click.ClickException:
    from adeptai_sagemaker.rollout.state import store_error

    return click.ClickException(store_error(store, exc))


@cli.group()
def state() -> None:
    """The rollout state store (ADEPTAI_SAGEMAKER_STATE_URL): create it, show it."""


@state.command("init")
@json_option
@click.pass_context
def state_init(ctx: click.Context) -> None:
    """Create the store if it does not exist (DynamoDB: on-demand table with TTL); safe to run again."""
    _, store = _store()
    try:
        out = store.init()
    except click.ClickException:
        raise
    except Exception as exc:
        raise _fail(store, exc) from None
    finally:
        store.close()
    if _json_mode(ctx):
        _emit_json(out)
    else:
        _console().print(f"{out['store']}: {'created' if out['created'] else 'already there, left as it is'}")


@state.command("show")
@json_option
@click.pass_context
def state_show(ctx: click.Context) -> None:
    """Every stored mode (version, who, when, why) and the fleet kill switch."""
    settings, store = _store()
    try:
        snap = store.snapshot()
    except Exception as exc:
        raise _fail(store, exc) from None
    finally:
        store.close()

    def row(r) -> dict:
        return {"mode": r.mode, "version": r.version, "set_at": r.set_at, "by": r.by, "reason": r.reason}

    out = {"store": store.describe(), "exists": bool(snap.modes or snap.kill) or store.exists(),
           "modes": {cap: row(r) for cap, r in sorted(snap.modes.items())},
           "fleet_kill_switch": {"engaged": snap.kill_engaged, **(row(snap.kill) if snap.kill else {})},
           "host_kill_switch": not settings.sagemaker_llm_enabled}
    if _json_mode(ctx):
        _emit_json(out)
        return
    console = _console()
    console.print(f"store {out['store']}" + ("" if out["exists"] else " (not created yet: `state init`)"))
    console.print("fleet kill switch: " + ("[red]engaged[/]" if snap.kill_engaged else "off")
                  + (f" (v{snap.kill.version} by {snap.kill.by}, {_when(snap.kill.set_at)}: {snap.kill.reason or '-'})"
                     if snap.kill else ""))
    if not snap.modes:
        console.print("[dim]no stored modes: every module follows its env settings[/]")
    for cap, r in out["modes"].items():
        console.print(f"  {cap}: {r['mode']} (v{r['version']} by {r['by'] or '-'}, {_when(r['set_at'])}: "
                      f"{r['reason'] or '-'})")


def _when(ts: Optional[float]) -> str:
    return "-" if not ts else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


@cli.command()
@click.argument("switch", type=click.Choice(["on", "off"]))
@click.option("--reason", default=None, help="Why (stored with the change and shown by `state show`).")
@json_option
@click.pass_context
def kill(ctx: click.Context, switch: str, reason: Optional[str]) -> None:
    """The fleet kill switch: ON holds every module on every host at off (within the refresh interval)."""
    from adeptai_sagemaker.rollout.state import StaleWriteError

    settings, store = _store()
    try:
        current = store.snapshot().kill
        version = store.set_kill(switch == "on", reason=reason,
                                 expected_version=current.version if current is not None else 0)
    except StaleWriteError as exc:
        raise click.ClickException(f"kill switch not changed: {exc}") from None
    except Exception as exc:
        raise _fail(store, exc) from None
    finally:
        store.close()
    out = {"fleet_kill_switch": switch == "on", "version": version, "store": store.describe(),
           "refresh_s": settings.adeptai_sagemaker_mode_refresh_s}
    if _json_mode(ctx):
        _emit_json(out)
        return
    _console().print(f"fleet kill switch {'[red]engaged[/]' if switch == 'on' else 'released'} in {out['store']}; "
                     f"every host follows within {out['refresh_s']:g} s")
