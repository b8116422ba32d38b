"""The ``stableface`` command: one subcommand per module.

Each subcommand module defines ``add_arguments(parser)`` and ``run(args) -> int`` and is
imported only when its subcommand runs (so ``stableface prepare`` does not import torch).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from generator.errors import GeneratorError

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "prepare": ("generator.data.prepare", "turn a talking video (+audio) into a training data directory"),
    "synth-corpus": ("generator.corpus.build", "build a synthetic talking-head corpus from a face photo and espeak-ng speech"),
    "train": ("generator.train", "train the StableFace models on a prepared data directory"),
    "synthesize": ("generator.synthesize", "generate a talking-face video from audio with a trained run"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="stableface",
        description="StableFace reference generator (Ling et al., arXiv:2208.13717).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
    name = next((a for a in argv if not a.startswith("-")), None)
    if name in SUBCOMMANDS:
        importlib.import_module(SUBCOMMANDS[name][0]).add_arguments(sub.choices[name])
    args = parser.parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except GeneratorError as exc:
        print(f"stableface: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stableface: interrupted (rerun the same command to continue)", file=sys.stderr)
        return 130
