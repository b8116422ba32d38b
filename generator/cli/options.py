"""Command-line options used by more than one ``stableface`` subcommand, each declared once.

Every function returns a decorator to stack on a ``click.command`` (``msi.cli.options.compose``
joins several). Only click is imported here, so ``stableface train --help`` stays fast.
"""
from __future__ import annotations

import click

from msi.cli.options import Decorator, compose


def device_option() -> Decorator:
    """``--device``: where torch runs."""
    return click.option("--device", help="torch device (default: cuda if available, else cpu)")


def trust_checkpoint_option(verb: str = "load") -> Decorator:
    """``--trust-checkpoint``: ``verb`` (load, resume from) a checkpoint that needs pickle."""
    return click.option("--trust-checkpoint", is_flag=True,
                        help=f"{verb} a checkpoint that holds Python objects beyond tensors (an old or foreign "
                             "format): only for a run folder you trust, such a file can run code when loaded")


def quiet_option() -> Decorator:
    """``--quiet``: no progress bar."""
    return click.option("--quiet", is_flag=True, help="no progress bar")


def torch_run_options(verb: str = "load") -> Decorator:
    """``--device``, ``--trust-checkpoint`` and ``--quiet``, in that order: what every subcommand
    that runs a trained model takes (``verb``: what it does with the checkpoint)."""
    return compose(device_option(), trust_checkpoint_option(verb), quiet_option())
