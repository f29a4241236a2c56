"""``promote``: the promotion gate, and the live mode switch of a running fleet.

``promote MODULE`` reads the evidence every host pooled in the state store
for the module's current step and moves it one step along off -> shadow ->
canary:10 -> canary:50 -> on (``advance``), keeps it (``hold``) or steps it
back (``rollback``: shadow from canary/on, off from shadow) when a budget is
broken. ``--to MODE`` sets a mode directly (``--to off`` for an instant
rollback; ``--to default`` drops the override so the env settings apply).
``--watch`` walks the rollout plan (``rollout/plan.py``) until ``on`` or a
rollback. Every host sharing the store follows within
``ADEPTAI_SAGEMAKER_MODE_REFRESH_S`` seconds, no restart; the kill switches
still win.

Why it refuses some moves:
- A module that cannot reach its endpoint (no region, no endpoint name,
  endpoint not ``InService``) is held, with the reason: advancing it would
  only make every call fall back.
- Modes are versioned: the write names the version this command read, so a
  second operator's promote that read the same version fails (exit 1)
  instead of silently overwriting the first.

Exit status: 0 when the step was decided and applied (or was a dry run), 1
for a hold on reachability, a stale write, a rollback by ``--watch`` or any
other failure, 2 for a usage or configuration error.
"""

from __future__ import annotations

import time
from typing import Optional

import click

from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option
from adeptai_sagemaker.plugin.tasks import CAPABILITIES


@cli.command()
@click.argument("module", type=click.Choice(CAPABILITIES))
@click.option("--dry-run", is_flag=True, help="Decide and print; change nothing.")
@click.option("--to", "to_mode", default=None, metavar="MODE",
              help="Set this mode directly instead of the gate's step: off | shadow | canary:N | on | default "
                   "(default = drop the live override; env settings apply).")
@json_option
@click.option("--reason", default=None, help="A note stored with the change (e.g. a ticket id).")
@click.option("--watch", is_flag=True, help="Walk the rollout plan: re-run the gate every interval until on, or "
                                            "roll back and exit 1 when a budget breaks.")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A rollout plan JSON for --watch (default: the package's plans/default.json).")
@click.option("--interval", type=float, default=None, help="Seconds between gate runs with --watch (default: the "
                                                           "plan's interval_s).")
@click.pass_context
def promote(ctx: click.Context, module: str, dry_run: bool, to_mode: Optional[str], reason: Optional[str],
            watch: bool, plan_file: Optional[str], interval: Optional[float]) -> None:
    """Gate MODULE's next rollout step on the fleet's pooled evidence, and apply it (see MIGRATION.md)."""
    from adeptai_sagemaker.core.settings import load_settings
    from adeptai_sagemaker.rollout.state import store_for

    settings = load_settings()
    store = store_for(settings)
    try:
        if watch:
            _watch(ctx, store, settings, module, plan_file, interval)
        else:
            _once(ctx, store, settings, module, dry_run, to_mode, reason)
    finally:
        store.close()


def _target(to_mode: str) -> str:
    from adeptai_sagemaker.core.settings import MODE_HELP, Mode

    target = to_mode.strip().lower()
    if target == "default":
        return target
    try:
        return str(Mode.parse(target))
    except ValueError:
        raise click.BadParameter(f"{to_mode!r} is not a rollout mode; allowed: {MODE_HELP} | default",
                                 param_hint="--to") from None


def _once(ctx: click.Context, store, settings, module: str, dry_run: bool, to_mode: Optional[str],
          reason: Optional[str]) -> None:
    from adeptai_sagemaker.core.routing import ModeResolver
    from adeptai_sagemaker.rollout.gate import evaluate
    from adeptai_sagemaker.rollout.reachability import endpoint_problems
    from adeptai_sagemaker.rollout.state import StaleWriteError, StoreUnavailableError, store_error

    target = _target(to_mode) if to_mode is not None else None
    try:
        record = store.modes().get(module)
        resolution = ModeResolver(settings, store, poll=False).resolve(module)
        current = record.mode if record is not None else str(settings.configured_mode(module))
        decision = evaluate(store, settings, module, mode=current)
        # from off, the student's offline evidence (`eval --set captured-test`), reported beside the step
        from adeptai_sagemaker.student.evaluate import offline_verdict

        offline = offline_verdict(store, settings, module) if decision.from_mode == "off" else None
        if target is not None:
            decision.reasons = [f"set by the operator (--to {target}); the gate said {decision.verdict}: "
                                + "; ".join(decision.reasons)]
            decision.verdict, decision.to_mode = "manual", target
        held = []
        if decision.to_mode not in ("off", "default") and decision.verdict in ("advance", "manual"):
            held = endpoint_problems(settings, module)
            if held:
                decision.reasons = [f"cannot reach its endpoint: {p}" for p in held]
                decision.verdict, decision.to_mode, decision.faults = "hold", decision.from_mode, ["endpoint"]
        applied = False
        if not dry_run and decision.verdict in ("advance", "rollback", "manual") \
                and (decision.to_mode != decision.from_mode or decision.verdict == "manual"):
            store.set_mode(module, None if decision.to_mode == "default" else decision.to_mode,
                           expected_version=record.version if record is not None else 0,
                           from_mode=decision.from_mode, verdict=decision.verdict,
                           reason=reason or "; ".join(decision.reasons)[:500])
            applied = True
    except StaleWriteError as exc:
        raise click.ClickException(f"{module}: not applied: {exc}") from None
    except (StoreUnavailableError, OSError) as exc:
        raise click.ClickException(store_error(store, exc)) from None
    except Exception as exc:
        if type(exc).__module__.startswith("sqlite3"):
            raise click.ClickException(store_error(store, exc)) from None
        raise
    out = {**decision.as_dict(), "applied": applied, "dry_run": dry_run,
           "mode_source": "state" if record is not None else "env", "kill_switch": resolution.switch,
           "kill_switch_engaged": resolution.switch is not None, "store": store.describe(),
           "refresh_s": settings.adeptai_sagemaker_mode_refresh_s, "offline": offline}
    if _json_mode(ctx):
        _emit_json(out)
    else:
        _print(out)
    if held:
        ctx.exit(1)


def _watch(ctx: click.Context, store, settings, module: str, plan_file: Optional[str],
           interval: Optional[float]) -> None:
    from adeptai_sagemaker.rollout.plan import Walker, load_plan
    from adeptai_sagemaker.rollout.reachability import endpoint_problems
    from adeptai_sagemaker.rollout.state import StaleWriteError

    plan = load_plan(plan_file)
    walker = Walker(store, settings, module, plan, clock=time.time)
    every = interval if interval is not None else plan.interval_s
    console = _console()
    while True:
        problems = endpoint_problems(settings, module)
        if problems:
            _report_tick(ctx, module, "hold", "-", "-", [f"cannot reach its endpoint: {p}" for p in problems])
            ctx.exit(1)
        try:
            tick = walker.tick()
        except StaleWriteError as exc:
            raise click.ClickException(f"{module}: watch stopped: {exc}") from None
        _report_tick(ctx, module, tick.verdict, tick.from_mode, tick.to_mode, tick.reasons)
        if tick.verdict == "rollback":
            ctx.exit(1)
        if tick.verdict == "done":
            return
        if tick.verdict == "wait" and not _json_mode(ctx):
            console.print(f"[dim]next gate run in {every:g} s[/]")
        time.sleep(every if tick.verdict == "wait" else 0)


def _report_tick(ctx: click.Context, module: str, verdict: str, from_mode: str, to_mode: str,
                 reasons: list[str]) -> None:
    if _json_mode(ctx):
        _emit_json({"capability": module, "verdict": verdict, "from_mode": from_mode, "to_mode": to_mode,
                    "reasons": reasons})
        return
    colour = {"advance": "green", "wait": "yellow", "hold": "yellow", "rollback": "red", "done": "green"}[verdict]
    _console().print(f"{module}: [bold {colour}]{verdict}[/] {from_mode} -> {to_mode}")
    for reason in reasons:
        _console().print(f"  - {reason}")


def _print(out: dict) -> None:
    console = _console()
    colour = {"advance": "green", "hold": "yellow", "rollback": "red", "manual": "cyan"}[out["verdict"]]
    action = "applied" if out["applied"] else ("dry run, nothing changed" if out["dry_run"] else "nothing to apply")
    console.print(f"{out['capability']}: [bold {colour}]{out['verdict']}[/] {out['from_mode']} -> {out['to_mode']} "
                  f"({action})")
    for reason in out["reasons"]:
        console.print(f"  - {reason}")
    ev = out["evidence"]
    agreement = "-" if ev["agreement"] is None else f"{ev['agreement']:.3f} (lower {ev['agreement_lower']:.3f})"
    p95 = "-" if ev["p95_ms"] is None else f"{ev['p95_ms']:,.0f} ms"
    console.print(f"  evidence ({len(out['hosts'])} hosts): n={ev['n']} agreement={agreement} "
                  f"error_rate={ev['error_rate']:.1%} fallback_rate={ev['fallback_rate']:.1%} p95={p95} "
                  f"(budget {out['budgets']['latency_p95_ms']:,.0f} ms)")
    for name, f in ev["fields"].items():
        if f["n"]:
            console.print(f"    {name}: {f['agreement']:.3f} (lower {f['agreement_lower']:.3f}, n={f['n']})")
        else:
            console.print(f"    {name}: not comparable ({f['not_comparable']} answers)")
    offline = out.get("offline")
    if offline:
        ev = offline["evidence"]
        console.print(f"  offline evidence (eval --set captured-test, shadow criteria): {offline['verdict']} "
                      f"(n={ev['n']}, agreement " + ("-" if ev["agreement"] is None else f"{ev['agreement']:.3f}") + ")")
        for reason in offline["reasons"]:
            console.print(f"    - {reason}")
    if out["applied"]:
        console.print(f"[dim]every host sharing {out['store']} picks this up within {out['refresh_s']:g} s[/]")
    if out["kill_switch"]:
        console.print(f"[yellow]the {out['kill_switch']} kill switch is engaged: every module is off there "
                      "whatever is stored[/]")
