"""The CLI's shared parts: the root group, error lines and exit codes, JSON output, logging.

Why it behaves like this:
- Errors are one red line that says what to fix, never a traceback: exit 2
  for configuration and usage problems, 1 for everything else (``-v`` adds
  the traceback for the unexpected ones). A group called without a command
  (``adeptai-sagemaker`` alone, ``audit trail``) prints its help, exit 0.
- ``-v`` turns on DEBUG for this package's loggers only. botocore and urllib3
  stay at WARNING because their DEBUG output includes request bodies, i.e.
  prompts with resume text (privacy rule: no candidate text in logs).
- ``--json`` gives machine output for the commands whose output is data, before
  or after the subcommand (``json_option`` adds it to a command).
- Every command's ``--help`` ends with the exit codes (``document_exit_codes``).
- Rich consoles are created per call, so output goes wherever click's
  stdout/stderr point (tests use ``CliRunner``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from typing import Any, Optional

import click

from adeptai_sagemaker.core.errors import AdeptSageMakerError, ConfigurationError, RegionNotAllowedError

log = logging.getLogger("adeptai_sagemaker.cli")

#: Loggers that log request/response bodies at DEBUG: kept quiet even with -v.
_NOISY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "httpx", "httpcore", "uvicorn.access")


def _console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    return Console(file=stream, highlight=False, soft_wrap=True, width=None if is_tty else 160)


EXIT_CODES = "Exit codes: 0 ok; 1 failure (a call, check or AWS request failed); 2 usage or configuration error."
_VARIABLE_RE = re.compile(r"\b((?:ADEPTAI_SAGEMAKER|SAGEMAKER|USE_SAGEMAKER|AWS)_[A-Z0-9_]+)\b")


class UsageProblem(click.UsageError):
    """A usage error (exit 2) that carries its own fix instead of the generic "see --help"."""

    def __init__(self, message: str, fix: str, ctx: Optional[click.Context] = None) -> None:
        super().__init__(message, ctx)
        self.fix = fix


class CommandFailure(click.ClickException):
    """A failure (exit 1) that carries its fix, printed as one line: ``error: ... -- fix: ...``."""

    exit_code = 1

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


def _fix_for(exc: BaseException) -> Optional[str]:
    if isinstance(exc, RegionNotAllowedError):
        return "use a region listed in SAGEMAKER_ALLOWED_REGIONS, or have compliance extend that list"
    if isinstance(exc, ConfigurationError):
        named = _VARIABLE_RE.search(str(exc))
        if named:
            return f"set or correct {named.group(1)} in the environment or .env (see README's Configuration table)"
        return "see `adeptai-sagemaker status` and README's Configuration table"
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return "configure AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
    if name == "NoRegionError":
        return "set AWS_REGION"
    if name in ("EndpointConnectionError", "ConnectionFailedError"):
        return "check SAGEMAKER_ENDPOINT_URL / network access to the endpoint"
    if isinstance(exc, AdeptSageMakerError):
        return "see `adeptai-sagemaker status`; with SAGEMAKER_LLM_FALLBACK=true callers get the legacy answer"
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    fix = _fix_for(exc)
    return f"error: {text}" + (f" -- fix: {fix}" if fix else "")


def _print_error(message: str) -> None:
    from rich.markup import escape

    _console(stderr=True).print(f"[bold red]{escape(message)}[/]")


class AdeptGroup(click.Group):
    """A click group that turns every error into one red line and the right exit code.

    Commands of the lab (a separate distribution) join the group from entry points the
    first time the group lists or looks up commands (``lab_hook``).
    """

    _lab_loaded = False

    def _load_lab(self) -> None:
        if self._lab_loaded:
            return
        self._lab_loaded = True
        from adeptai_sagemaker.cli.lab_hook import LAB_COMMANDS, lab_commands, missing_lab_command

        found = lab_commands()
        for name in LAB_COMMANDS:
            found.setdefault(name, missing_lab_command(name))
        for name, command in found.items():
            if name not in self.commands:
                document_exit_codes(command)
                self.add_command(command, name)

    def list_commands(self, ctx):  # type: ignore[override]
        self._load_lab()
        return super().list_commands(ctx)

    def get_command(self, ctx, cmd_name):  # type: ignore[override]
        self._load_lab()
        return super().get_command(ctx, cmd_name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        argv = list(args) if args is not None else sys.argv[1:]
        verbose = any(a in ("-v", "--verbose") for a in argv)
        try:
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                  standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except ConfigurationError as exc:
            _print_error(_error_line(exc))
            code = 2
        except AdeptSageMakerError as exc:
            _print_error(_error_line(exc))
            code = 1
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.exceptions.NoArgsIsHelpError as exc:  # a bare group: its help, as git and aws print it
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            code = 0
        except click.UsageError as exc:
            fix = getattr(exc, "fix", None) or (f"see `{exc.ctx.command_path} --help`" if exc.ctx else None)
            _print_error(f"error: {_one_line(exc.format_message())}" + (f" -- fix: {fix}" if fix else ""))
            code = 2
        except click.ClickException as exc:
            fix = getattr(exc, "fix", None)
            _print_error(f"error: {exc.format_message()}" + (f" -- fix: {fix}" if fix else ""))
            code = exc.exit_code if exc.exit_code else 1
        except click.Abort:
            _print_error("aborted")
            code = 1
        except KeyboardInterrupt:
            _print_error("interrupted")
            code = 130
        except Exception as exc:  # unexpected: still one line, traceback only with -v
            if verbose:
                traceback.print_exc(file=sys.stderr)
            _print_error(_error_line(exc) + ("" if verbose else " (run with -v for details)"))
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def _setup_logging(verbose: bool) -> None:
    if not verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pkg = logging.getLogger("adeptai_sagemaker")
    pkg.setLevel(logging.DEBUG)
    if not any(getattr(h, "_adeptai_cli", False) for h in pkg.handlers):
        handler._adeptai_cli = True  # type: ignore[attr-defined]
        pkg.addHandler(handler)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@click.group(cls=AdeptGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="DEBUG logging of this package to stderr (never request bodies).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output where it makes sense.")
@click.version_option(package_name="adeptai-sagemaker")
@click.pass_context
def cli(ctx: click.Context, verbose: bool, as_json: bool) -> None:
    """Move AdeptAI's LLM work to SageMaker, module by module (see MIGRATION.md)."""
    _setup_logging(verbose)
    _setup_settings_warnings()
    ctx.obj = {"json": as_json, "verbose": verbose}


def _json_mode(ctx: click.Context) -> bool:
    return bool((ctx.find_root().obj or {}).get("json"))


def json_option(command):
    """Decorator: ``--json`` after the subcommand (``status --json``), same effect as before it.

    Apply it to every command that prints data; the command reads ``_json_mode(ctx)``.
    """
    def _set(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            root = ctx.find_root()
            root.obj = {**(root.obj or {}), "json": True}

    return click.option("--json", "json_output", is_flag=True, expose_value=False, callback=_set,
                        help="Print machine-readable JSON instead of text.")(command)


def document_exit_codes(command: click.Command) -> None:
    """Append the exit codes to the help of ``command`` and of every command below it (run once, after
    every command is registered, so commands added later in ``cli/__init__.py`` get it too)."""
    if EXIT_CODES not in (command.epilog or ""):
        command.epilog = f"{command.epilog}\n\n{EXIT_CODES}" if command.epilog else EXIT_CODES
    for sub in getattr(command, "commands", {}).values():
        document_exit_codes(sub)


class _SettingsWarnings(logging.Handler):
    """Prints the settings' typo warnings as yellow lines on stderr (names only, never values), each once per
    command although a command may read its settings more than once (the lab validates the env, then overrides)."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        from rich.markup import escape

        message = record.getMessage()
        if message in self.seen:
            return
        self.seen.add(message)
        _console(stderr=True).print(f"[yellow]warning: {escape(message)}[/]")


def _setup_settings_warnings() -> None:
    logger = logging.getLogger("adeptai_sagemaker.core.settings")
    handler = next((h for h in logger.handlers if isinstance(h, _SettingsWarnings)), None)
    if handler is None:
        logger.addHandler(_SettingsWarnings(logging.WARNING))  # (a handler here also keeps Python's bare fallback quiet)
    else:
        handler.seen.clear()  # a new command: its warnings are shown again


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def rerun_command(ctx: click.Context) -> str:
    """The command line that runs ``ctx``'s command again with the same arguments (shell-quoted), rebuilt from
    its parsed parameters: options left at their defaults are left out, paths are kept as the user gave them."""
    import shlex

    words = ctx.command_path.split()
    if _json_mode(ctx):
        words.append("--json")
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if not param.expose_value or value is None or value is False or value == () or value == param.default:
            continue
        if isinstance(param, click.Argument):
            words += [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        elif getattr(param, "is_flag", False):
            words.append(param.opts[-1] if value else param.secondary_opts[0])
        else:
            for item in value if param.multiple else (value,):
                words += [param.opts[-1], *(map(str, item) if isinstance(item, (list, tuple)) else [str(item)])]
    return shlex.join(words)


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``30m``, ``12h``, ``7d``, ``2w`` -> seconds (``compliance.timeparse`` rules)."""
    from adeptai_sagemaker.compliance.timeparse import parse_duration as parse

    try:
        return parse(text or "")
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration; use e.g. 90s, 30m, 12h, 7d") from None


def _summarize_output(output: Any) -> str:
    if isinstance(output, dict):
        keys = list(output)[:6]
        parts = []
        for key in keys:
            value = output[key]
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value[:4]) + (" ..." if len(value) > 4 else "")
            elif isinstance(value, dict):
                value = "{" + ", ".join(list(map(str, value))[:4]) + "}"
            text = str(value)
            parts.append(f"{key}: {text[:70]}{'...' if len(text) > 70 else ''}")
        return "\n".join(parts)
    text = str(output)
    return text[:300] + ("..." if len(text) > 300 else "")


def _metrics_table(snapshot: dict, title: str = "Metrics"):
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("capability", "endpoint", "calls", "ok", "fallback", "error", "retries", "p50 ms", "p95 ms",
                "p99 ms", "cache hit", "tokens in/out", "circuit"):
        table.add_column(col)
    for row in snapshot.get("series", []):
        table.add_row(row["capability"], row["endpoint"], str(row["invocations"]), str(row["successes"]),
                      str(row["fallbacks"]), str(row["errors"]), str(row["retries"]),
                      _fmt(row["latency_p50_ms"]), _fmt(row["latency_p95_ms"]), _fmt(row["latency_p99_ms"]),
                      f"{row['cache_hit_rate']:.0%}", f"{row['input_tokens']}/{row['output_tokens']}",
                      row.get("circuit_state") or "closed")
    return table


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.1f}"
