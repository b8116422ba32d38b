"""The ``msi`` command: one subcommand per module in this package.

Each subcommand module defines ``add_arguments(parser)`` and ``run(args) -> int``. Modules are
imported only when their subcommand runs, so ``msi score --help`` does not pay for matplotlib
and ``msi correlate`` does not pay for mediapipe.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from msi.errors import EXIT_INTERRUPTED, MSIError

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "score": ("msi.cli.score", "Motion Stability Index (MSI-Lip, MSI-Jaw) of videos or landmark files"),
    "track": ("msi.cli.track", "track facial landmarks in a video and save them (.npy/.npz/.csv)"),
    "correlate": ("msi.cli.correlate", "correlate metrics with human opinion scores (paper Table IV)"),
    "slice-plot": ("msi.cli.slice_plot", "vertical-slice picture that shows jitter (paper Fig. 1/7)"),
    "plot": ("msi.cli.plot", "per-window MSI timeline and acceleration traces of one video"),
}


def build_parser() -> argparse.ArgumentParser:
    from msi import __version__

    parser = argparse.ArgumentParser(
        prog="msi",
        description="Motion Stability Index for talking-face videos "
        "(StableFace, Ling et al., arXiv:2208.13717).",
    )
    parser.add_argument("--version", action="version", version=f"msi {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        # Arguments are added lazily (below) only for the subcommand actually used.
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # Find the subcommand first, then let its module add its own arguments.
    name = next((a for a in argv if not a.startswith("-")), None)
    if name in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[name][0])
        sub_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        module.add_arguments(sub_action.choices[name])
    args = parser.parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except MSIError as exc:
        print(f"msi: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("msi: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `msi score ... | head`: the reader left, that is fine
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
