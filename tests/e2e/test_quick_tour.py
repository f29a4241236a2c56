"""README's quick tour runs as written and prints what it shows.

The ```console block under "## Quick tour" is the source: every ``$ `` line is a
command, the lines under it (up to the next ``$ ``) are output it must print, in
order, each as a substring of one output line (``...`` skips any output). The
commands run as one bash script in an empty directory whose ``.venv`` is this
interpreter's environment, so ``.venv/bin/adeptai-sagemaker`` resolves as it does
after ``make install``. Three harness changes, and only these:
- ``make install`` is not run (it is what built this environment);
- port 8080 becomes a free port (other tests and engineers share the machine);
- after a background command (``&``) the script waits until the port answers,
  as a person typing the next command would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARK = "@@quick-tour-step"


def tour() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Quick tour"):]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps and line.strip():
            steps[-1][1].append(line)
    return steps


def _script(steps: list[tuple[str, list[str]]], port: int) -> str:
    wait = (f'{sys.executable} -c "import socket,time\n'
            f'for _ in range(300):\n'
            f'    try: socket.create_connection((\'127.0.0.1\', {port}), 0.2).close(); break\n'
            f'    except OSError: time.sleep(0.1)"')
    lines = ["set -u", "trap 'kill $(jobs -p) 2>/dev/null' EXIT"]  # a failed step never leaves serve running
    for i, (command, _) in enumerate(steps):
        if command == "make install":
            continue
        command = command.replace("8080", str(port))
        lines.append(f"echo '{MARK} {i}'")
        lines.append(command)
        if command.rstrip().endswith("&"):
            lines.append(wait)
        else:
            lines.append(f"echo \"{MARK}-rc {i} $?\"")
    return "\n".join(lines) + "\n"


def test_the_tour_has_the_commands_the_readme_promises():
    commands = [c for c, _ in tour()]
    assert commands[0] == "make install"
    for name in ("serve", "run job_parser", "status", "cost", "deploy --dry-run", "bench", "audit bias", "promote",
                 "report"):
        assert any(f"adeptai-sagemaker {name}" in c for c in commands), name


@pytest.mark.slow
def test_quick_tour_runs_as_written(tmp_path, free_port):
    exe = Path(sys.executable).parent / "adeptai-sagemaker"
    assert exe.exists(), "install the project into this environment first (make install)"
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    steps = tour()
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SAGEMAKER_", "USE_SAGEMAKER", "ADEPTAI_SAGEMAKER_", "AWS_", "HF_TOKEN", "XDG_"))}
    env["ADEPTAI_SAGEMAKER_CACHE_DIR"] = str(tmp_path / "cache")
    env["HOME"] = str(tmp_path)  # default cache and state (evidence) directories land in tmp_path too (XDG_*
    # dropped above: the session-wide test home holds other tests' evidence, which `status` would show)
    result = subprocess.run(["bash", "-c", _script(steps, port)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    for i, (command, shown) in enumerate(steps):
        if command == "make install":
            continue
        if not command.rstrip().endswith("&"):
            assert f"{MARK}-rc {i} 0" in result.stdout, f"`{command}` failed:\n{output[-3000:]}"
        start = next(n for n, line in enumerate(lines) if line == f"{MARK} {i}")
        # stderr (serve's banner) is matched from the top: it is not interleaved with the markers
        pos = start if not command.rstrip().endswith("&") else len(result.stdout.splitlines())
        for expected in shown:
            if expected.strip() == "...":
                continue
            pattern = expected.replace("8080", str(port)).strip()
            parts = [re.escape(p.strip()) for p in pattern.split("...")]
            rx = re.compile(".*".join(parts))
            found = next((n for n in range(pos, len(lines)) if rx.search(lines[n])), None)
            assert found is not None, (f"`{command}`: README shows {expected!r}; not printed:\n"
                                       + "\n".join(lines[pos:pos + 60]))
            pos = found + 1
    assert (tmp_path / "bench-report" / "report.md").exists() and (tmp_path / "bias-audit").is_dir()
    assert (tmp_path / "migration-report" / "report.md").exists()
