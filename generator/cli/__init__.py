"""The ``stableface`` command: a click group with one lazily loaded subcommand per module here.

``stableface prepare --help`` imports ``generator.cli.prepare`` only (no torch, no mediapipe);
the library is imported when a subcommand runs. This package imports the library and is
imported by none of it. Errors: one line ``stableface: error: ...`` and exit 1 (a library
:class:`~generator.errors.GeneratorError`), 2 for a bad command line, 130 when interrupted (Ctrl-C), 143 when stopped by SIGTERM.
"""
from __future__ import annotations

import click

from msi.cli.lazy import LazyGroup, run_group

#: Library messages name settings as Python keywords (``size=4``); on the command line they read
#: as flags (``--size 4``). Keys are matched literally, longest first.
SETTING_FLAGS: dict[str, str] = {
    "size=": "--size ", "fps=": "--fps ", "n_exp=": "--n-exp ", "audio_window=": "--audio-window ",
    "margin=": "--margin ", "splits=": "--splits ", "audio=": "--audio ", "audio_features=": "--audio-features ",
    "max_missing=": "--max-missing ", "jitter=": "--jitter ", "out=": "--out ", "tracker=": "--tracker ",
    "out_size=": "--out-size ", "trust_checkpoint=True": "--trust-checkpoint", "sign_cert=": "--sign-cert ",
    "sign_key=": "--sign-key ", " mark=none": " --no-mark", " mark=": " --mark ",
}

# name -> ("module:attribute", one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "prepare": ("generator.cli.prepare:command", "turn a talking video (+audio) into a training data directory"),
    "synth-corpus": ("generator.cli.synth_corpus:command",
                     "build a synthetic talking-head corpus from a face photo and espeak-ng speech"),
    "train": ("generator.cli.train:command", "train the StableFace models on a prepared data directory"),
    "synthesize": ("generator.cli.synthesize:command", "generate a talking-face video from audio with a trained run"),
    "check": ("generator.cli.check:command",
              "say whether videos declare themselves AI-generated: C2PA manifest and invisible watermark"),
    "bench": ("generator.cli.bench:command",
              "regenerate Table V, Fig. 9 and a known-jitter Table IV with seeds and 95% CIs"),
}


def cli_message(text: str) -> str:
    """A library message with its setting hints written as ``stableface`` flags."""
    for hint in sorted(SETTING_FLAGS, key=len, reverse=True):
        text = text.replace(hint, SETTING_FLAGS[hint])
    return text


@click.group("stableface", cls=LazyGroup, lazy_subcommands=COMMANDS)
def cli() -> None:
    """StableFace reference generator (Ling et al., arXiv:2208.13717).

    Shell completion (bash): eval "$(_STABLEFACE_COMPLETE=bash_source stableface)"
    """


def main(argv: list[str] | None = None) -> int:
    """Run ``stableface`` on ``argv`` (default: the process arguments); returns the exit code."""
    # prepare, train and bench resume from what they stored: say so when the user stops them
    return run_group(cli, "stableface", argv, translate=cli_message,
                     interrupted="interrupted (rerun the same command to continue)",
                     install_hint="pip install 'stableface[generator]'")
