"""``promote``: the promotion gate, and the live mode switch of a running fleet.

``promote MODULE`` reads the module's evidence for its current step from the
state store and moves it one step along off -> shadow -> canary:10 ->
canary:50 -> on (``advance``), keeps it (``hold``) or steps it back
(``rollback``: shadow from canary/on, off from shadow) when a budget is
broken. The new mode is written to the state store; every process sharing
``ADEPTAI_SAGEMAKER_STATE_DIR`` picks it up within
``ADEPTAI_SAGEMAKER_MODE_REFRESH_S`` seconds, no restart. ``--to MODE`` sets a
mode directly (the operator's call, e.g. ``--to off`` for an instant rollback;
``--to default`` drops the override so the env settings apply again).
``SAGEMAKER_LLM_ENABLED=false`` still wins over any stored mode.

Exit status: 0 whatever the verdict (read ``verdict`` in ``--json``), 2 for a
usage or configuration error, 1 for anything else.
"""

from __future__ import annotations

import sqlite3
from typing import Optional

import click

from adeptai_sagemaker.plugin.tasks import CAPABILITIES
from adeptai_sagemaker.cli._base import _console, _emit_json, _json_mode, cli, json_option


@cli.command()
@click.argument("module", type=click.Choice(CAPABILITIES))
@click.option("--dry-run", is_flag=True, help="Decide and print; change nothing.")
@click.option("--to", "to_mode", default=None, metavar="MODE",
              help="Set this mode directly instead of the gate's step: off | shadow | canary:N | on | default "
                   "(default = drop the live override; env settings apply).")
@json_option
@click.option("--reason", default=None, help="A note stored with the change (e.g. a ticket id).")
@click.pass_context
def promote(ctx: click.Context, module: str, dry_run: bool, to_mode: Optional[str],
            reason: Optional[str]) -> None:
    """Gate MODULE's next rollout step on its recorded evidence, and apply it (see MIGRATION.md)."""
    from adeptai_sagemaker.observers.evidence import store_error, store_for
    from adeptai_sagemaker.rollout.gate import evaluate
    from adeptai_sagemaker.rollout.live_mode import configured_mode
    from adeptai_sagemaker.student.evaluate import offline_verdict
    from adeptai_sagemaker.core.settings import Mode, load_settings

    settings = load_settings()
    store = store_for(settings)
    try:
        current, source = configured_mode(settings, store, module)
        decision = evaluate(store, settings, module, mode=current)
        # from off, the student's offline evidence (`eval --set captured-test`), reported beside the step
        offline = offline_verdict(store, settings, module) if decision.from_mode == "off" else None
        if to_mode is not None:
            target = to_mode.strip().lower()
            if target != "default":
                try:
                    target = str(Mode.parse(target))
                except ValueError:
                    raise click.BadParameter(f"{to_mode!r} is not a rollout mode; allowed: off | shadow | "
                                             "canary:N (N = 0..100) | on | default", param_hint="--to") from None
            gate_verdict = decision.verdict
            decision.reasons = [f"set by the operator (--to {target}); the gate said {gate_verdict}: "
                                + "; ".join(decision.reasons)]
            decision.verdict, decision.to_mode = "manual", target
        applied = False
        if not dry_run and decision.verdict in ("advance", "rollback", "manual") \
                and (decision.to_mode != decision.from_mode or decision.verdict == "manual"):
            note = reason or "; ".join(decision.reasons)[:500]
            store.set_mode(module, None if decision.to_mode == "default" else decision.to_mode,
                           from_mode=decision.from_mode, verdict=decision.verdict, reason=note)
            applied = True
    except sqlite3.Error as exc:
        raise click.ClickException(store_error(store, exc)) from None
    finally:
        store.close()
    out = {**decision.as_dict(), "applied": applied, "dry_run": dry_run, "mode_source": source,
           "kill_switch_engaged": not settings.sagemaker_llm_enabled, "state_dir": str(settings.state_dir()),
           "refresh_s": settings.adeptai_sagemaker_mode_refresh_s, "offline": offline}
    if _json_mode(ctx):
        _emit_json(out)
        return
    _print(out)


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
    console.print(f"  evidence: n={ev['n']} agreement={agreement} error_rate={ev['error_rate']:.1%} "
                  f"fallback_rate={ev['fallback_rate']:.1%} p95={p95} (budget {out['budgets']['latency_p95_ms']:,.0f} ms)")
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
        console.print(f"[dim]running processes pick this up within {out['refresh_s']:g} s "
                      f"(state dir {out['state_dir']})[/]")
    if out["kill_switch_engaged"]:
        console.print("[yellow]SAGEMAKER_LLM_ENABLED=false: the kill switch keeps every module off whatever is stored[/]")
