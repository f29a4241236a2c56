"""``adeptai-sagemaker``: serve, demo, run, batch, status, cache, deploy, rollback, cost, bench, audit, promote, report, eval,
capture, dataset, finetune.

Why it behaves like this:
- Errors are one red line that says what to fix, never a traceback: exit 2
  for configuration and usage problems, 1 for everything else (``-v`` adds
  the traceback for the unexpected ones).
- ``-v`` turns on DEBUG for this package's loggers only. botocore and urllib3
  stay at WARNING because their DEBUG output includes request bodies, i.e.
  prompts with resume text (privacy rule: no candidate text in logs).
- ``--json`` gives machine output for the commands whose output is data, before
  or after the subcommand.
- Every command's ``--help`` ends with the exit codes (added here, after every
  command is registered, so new commands get them without doing anything).
- Each command lives in its own module; importing this package registers them. The lab's
  commands (serve, demo, bench) come from the lab distribution's entry points (``lab_hook``).
"""

from __future__ import annotations

from typing import Optional

from adeptai_sagemaker.cli import batch, cache, cost, deploy, deploy_component, eval, promote, report, run, status  # noqa: F401  (each registers its commands)
from adeptai_sagemaker.cli import capture, dataset, finetune  # noqa: F401  (the student loop: MIGRATION.md "Build the student")
from adeptai_sagemaker.cli import state  # noqa: F401  (state init|show, kill)
from adeptai_sagemaker.cli._base import cli, document_exit_codes, parse_duration
from adeptai_sagemaker.compliance.cli import audit as _audit

cli.add_command(_audit, "audit")
document_exit_codes(cli)  # last: after every command above is registered

__all__ = ["cli", "main", "parse_duration"]


def main(argv: Optional[list[str]] = None) -> None:
    """Console-script entry point (``adeptai-sagemaker``)."""
    cli.main(args=argv, prog_name="adeptai-sagemaker")


if __name__ == "__main__":  # pragma: no cover
    main()
