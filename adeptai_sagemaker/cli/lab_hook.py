"""The lab's commands, found through entry points when the lab is installed.

The product wheel does not carry the lab (``lab/`` in the repository is its own
distribution, ``adeptai-sagemaker-lab``). The lab declares its commands in the
``adeptai_sagemaker.commands`` entry-point group; the root group loads them on
first use, so ``adeptai-sagemaker --help`` lists them and importing the product
CLI never imports the lab. Without the lab, its command names still answer:
one line saying how to install it, exit 2.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from importlib.metadata import entry_points

import click

ENTRY_POINT_GROUP = "adeptai_sagemaker.commands"

#: The lab's command names, so that the product can say how to get them when the lab is absent.
LAB_COMMANDS = ("serve", "demo", "bench")

INSTALL_HINT = ("install the lab: pip install 'adeptai-sagemaker[lab]' (from a clone of the repository: "
                "pip install -e lab/, which `make demo` does)")


class LabMissingError(click.UsageError):
    """A lab feature was asked for and the lab distribution is not installed (exit 2)."""

    def __init__(self, what: str):
        super().__init__(f"{what} needs the lab, which is not installed")
        self.fix = INSTALL_HINT


def require_lab(module: str, what: str) -> ModuleType:
    """The lab's ``adeptai_sagemaker_lab.<module>``, imported now: the only way product code reaches the lab.

    Without the lab, a one-line usage error naming the lab extra (exit 2). Used by ``run --local``,
    ``batch --local``, ``eval`` on the golden sets, ``audit bias --local`` and ``batch --engine transform --local``.
    """
    if importlib.util.find_spec("adeptai_sagemaker_lab") is None:
        raise LabMissingError(what)
    return importlib.import_module(f"adeptai_sagemaker_lab.{module}")


def lab_commands() -> dict[str, click.Command]:
    """The commands the installed lab declares (name -> command), loaded now."""
    return {ep.name: ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)}


def missing_lab_command(name: str) -> click.Command:
    """A stand-in for a lab command when the lab is absent: says how to install it, exit 2."""

    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                   help=f"(lab) not installed here: {INSTALL_HINT}.")
    def _missing() -> None:
        raise LabMissingError(f"`adeptai-sagemaker {name}`")

    return _missing
