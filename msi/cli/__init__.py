"""The ``msi`` command: a click group, one subcommand per module in this package.

Subcommand modules are imported only when their subcommand runs (:class:`msi.cli.lazy.LazyGroup`),
so ``msi score --help`` does not pay for matplotlib and ``msi correlate`` does not pay for
mediapipe. To add a subcommand: write ``msi/cli/<name>.py`` defining a ``click.Command`` called
``command`` (shared options are in :mod:`msi.cli.options`), and add one line to ``SUBCOMMANDS``.
"""
from __future__ import annotations

import click

from msi import __version__
from msi.cli.lazy import LazyGroup, run_group

#: Library messages name settings as Python keywords (msi.settings.Settings); on the command line
#: they read as flags. Keys are matched literally, longest first.
SETTING_FLAGS: dict[str, str] = {
    "verify_face=False": "--no-face-check",
    "resample_fps=": "--resample-fps ",
    "landmark_fps=": "--fps ",
    "scheme=": "--scheme ",
    "face=": "--face ",
    "panels=": "--panels ",
}


def cli_message(text: str) -> str:
    """A library message with its setting hints written as ``msi`` flags (and any URL in it
    without userinfo or query string: :func:`msi.io.remote.redact_text`)."""
    if "://" in text:
        from msi.io.remote import redact_text

        text = redact_text(text)
    for hint in sorted(SETTING_FLAGS, key=len, reverse=True):
        text = text.replace(hint, SETTING_FLAGS[hint])
    return text


# name -> ("module:attribute", one-line help shown by `msi --help` without importing the module)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "score": ("msi.cli.score:command", "Motion Stability Index (MSI-Lip, MSI-Jaw) of videos or landmark files"),
    "track": ("msi.cli.track:command", "track facial landmarks in a video and save them (.npy/.npz/.csv)"),
    "correlate": ("msi.cli.correlate:command", "correlate metrics with human opinion scores (paper Table IV)"),
    "slice-plot": ("msi.cli.slice_plot:command", "vertical-slice picture that shows jitter (paper Fig. 1/7)"),
    "plot": ("msi.cli.plot:command", "per-window MSI timeline and acceleration traces of one video"),
    "compare": ("msi.cli.compare:command", "one table for several methods: MSI, LSE-C/D, lip-audio proxy, CPBD, SSIM/PSNR/NLMD"),
    "noise-floor": ("msi.cli.noise_floor:command", "tracker noise floor: MSI of a still copy, smallest resolvable MSI difference"),
    "study": ("msi.cli.study:command", "user studies in the browser: make, serve, analyze (MOS, preferences, Table III/IV, Fig. 8/9)"),
    "report": ("msi.cli.report:command", "HTML report: every method's videos in sync with MSI timelines, worst windows, slices"),
}


@click.group("msi", cls=LazyGroup, lazy_subcommands=SUBCOMMANDS)
@click.version_option(__version__, "--version", prog_name="msi", message="%(prog)s %(version)s")
def cli() -> None:
    """Motion Stability Index for talking-face videos (StableFace, Ling et al., arXiv:2208.13717).

    Shell completion (bash): eval "$(_MSI_COMPLETE=bash_source msi)"
    """


def main(argv: list[str] | None = None) -> int:
    """Run ``msi`` with ``argv`` (default: the process arguments); returns the exit code."""
    return run_group(cli, "msi", argv, translate=cli_message)


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main())
