"""``stableface prepare``: a talking video (+ audio) -> a training data directory."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from generator.data.audio import AUDIO_WINDOW, FEATURE_RATE
from generator.errors import GeneratorError
from msi.cli.options import tracker_option

HELP = """Turn a talking video (with its audio track, or --audio) into a training data directory:
25 fps frames in one fixed face crop, 16 kHz audio and log-mel windows, MediaPipe meshes,
pose / shape / expression (PCA) and mouth masks, with a manifest (see generator/data/dataset.py).
Prints the manifest as JSON on stdout. Safe to interrupt and rerun: tracking resumes from
its last checkpoint, and an up-to-date DATA_DIR is left as it is."""

EPILOG = """\b
examples:
  stableface prepare talk.mp4 --out data/talk
  stableface prepare silent.mov --audio speech.wav --out data/x --size 128
  stableface prepare talk.mkv --out data/ds --audio-features ds.npy --audio-features-rate 50
exit status: 0 done, 1 bad input (one line on stderr), 2 bad command line, 130 interrupted (Ctrl-C),
143 stopped by SIGTERM (a rerun resumes from the checkpoints either way)"""

PathArg = click.Path(path_type=Path)


@click.command("prepare", help=HELP, epilog=EPILOG,
               short_help="turn a talking video (+audio) into a training data directory")
@click.argument("video", type=PathArg, metavar="VIDEO")
@click.option("--out", type=PathArg, required=True, metavar="DATA_DIR", help="output data directory")
@click.option("--audio", type=PathArg, metavar="WAV", help="speech audio file (default: the video's audio track)")
@click.option("--size", type=int, default=256, show_default=True, help="side of the square face crop in pixels")
@click.option("--fps", type=float, default=25.0, show_default=True, help="frame rate of the prepared clip")
@click.option("--n-exp", type=int, default=53, show_default=True, help="number of expression (PCA) coefficients")
@click.option("--audio-features", type=PathArg, metavar="FILE.npy",
              help="your own audio features instead of log-mel: (T, W, D) per video frame, or (n, D) at "
                   "--audio-features-rate per second (e.g. DeepSpeech at 50)")
@click.option("--audio-features-rate", type=float, default=FEATURE_RATE, show_default=True, metavar="HZ",
              help="frames per second of an (n, D) --audio-features file")
@click.option("--audio-window", type=int, default=AUDIO_WINDOW, show_default=True, metavar="W",
              help="audio feature frames per video frame")
@click.option("--splits", default="0.5,0.2,0.3", show_default=True, metavar="TR,VA,TE",
              help="train,val,test fractions, contiguous segments")
@click.option("--margin", type=float, default=1.2, show_default=True,
              help="crop side / side of the box around all frames' meshes (1.2: about 4 mouth widths)")
@click.option("--track-side", type=int, default=640, show_default=True, metavar="PX",
              help="larger frames are downscaled to this for tracking only")
@click.option("--max-missing", type=float, default=0.5, show_default=True, metavar="FRACTION",
              help="largest fraction of frames without a face; they are interpolated")
@tracker_option()
@click.option("--force", is_flag=True, help="redo everything even if DATA_DIR is up to date")
@click.option("--quiet", is_flag=True, help="no progress bars")
def command(video: Path, out: Path, audio: Path | None, size: int, fps: float, n_exp: int,
            audio_features: Path | None, audio_features_rate: float, audio_window: int, splits: str, margin: float,
            track_side: int, max_missing: float, tracker: str, force: bool, quiet: bool) -> int:
    from generator.data.prepare import PrepareConfig, prepare
    from msi.cli.outputs import check_folder

    check_folder(out, "--out")  # before any tracking
    try:
        fractions = tuple(float(x) for x in str(splits).split(","))
    except ValueError:
        raise GeneratorError(f"--splits must be three numbers like 0.5,0.2,0.3, got {splits!r}") from None
    cfg = PrepareConfig(video=video, out=out, audio=audio, audio_features=audio_features,
                        audio_features_rate=audio_features_rate, size=size, fps=fps, n_exp=n_exp,
                        audio_window=audio_window, splits=fractions, margin=margin, track_side=track_side,
                        max_missing=max_missing, tracker=tracker, force=force)
    manifest = prepare(cfg, progress=not quiet)
    for w in manifest.get("warnings", []):
        print(f"stableface: warning: {w}", file=sys.stderr)
    json.dump(manifest, sys.stdout, indent=2)
    print()
    return 0
