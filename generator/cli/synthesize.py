"""``stableface synthesize``: a talking-face video from speech with a trained run."""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from generator.errors import GeneratorError
from msi.errors import Interrupted


@click.command("synthesize", short_help="generate a talking-face video from audio with a trained run")
@click.argument("run_dir")
@click.option("--audio", metavar="SPEECH", help="speech file (wav, mp3, mp4, ...; resampled to 16 kHz)")
@click.option("--background", required=True, metavar="DATA_DIR_OR_VIDEO",
              help="prepared data directory, or a video (prepared on the fly)")
@click.option("--out", required=True, help="output mp4")
@click.option("--reenact", type=click.Choice(["train", "val", "test"]),
              help="regenerate this split of the background data directory from its own audio")
@click.option("--truth-out", metavar="MP4", help="also write the ground-truth frames of the same span")
@click.option("--audio-features", metavar="FILE.npy", help="your own audio features (if the run used them)")
@click.option("--out-size", type=int, metavar="PX",
              help="side of the written video (and --truth-out); default: the run's frame size, at least 256 "
                   "(upscaled: H.264 at 64 px blurs the mouth); 0: the run's own size")
@click.option("--device", help="torch device (default: cuda if available, else cpu)")
@click.option("--trust-checkpoint", is_flag=True,
              help="load a checkpoint that holds Python objects beyond tensors (an old or foreign format): "
                   "only for a run folder you trust, such a file can run code when loaded")
@click.option("--quiet", is_flag=True, help="no progress bar")
def command(run_dir: str, audio: str | None, background: str, out: str, reenact: str | None, truth_out: str | None,
            audio_features: str | None, out_size: int | None, device: str | None, trust_checkpoint: bool,
            quiet: bool) -> int:
    """Generate a talking-face video: speech -> expressions -> smoothed face shapes -> renderer, on the
    frames and head pose of a background clip; muxed with the speech into an mp4."""
    if not reenact and not audio:
        raise GeneratorError("give --audio SPEECH, or --reenact SPLIT with a prepared --background")
    if reenact and not Path(background).is_dir():
        raise GeneratorError("--reenact needs a prepared data directory as --background")
    from msi.cli.outputs import check_file

    check_file(out, "--out")  # before the run is loaded and rendered
    check_file(truth_out, "--truth-out")
    import torch

    from generator.checkpoint import trusting
    from generator.synthesize import synthesize

    torch.set_num_threads(1)  # small models; robust on a shared CPU
    # Written under temporary names and renamed when complete: a stopped run (Ctrl-C, SIGTERM)
    # leaves no half video, and an earlier video at --out stays as it was.
    names = {p: _partial(p) for p in (out, truth_out) if p}
    try:
        with trusting(trust_checkpoint):
            result = synthesize(run_dir, names[out], background=background, audio_path=audio, reenact=reenact,
                                audio_features=audio_features, truth_out=names.get(truth_out), device=device,
                                progress=not quiet, out_size=out_size)
        for final, tmp in names.items():
            os.replace(tmp, final)
    except KeyboardInterrupt:
        raise Interrupted(f"nothing written to {out}" + (f" or {truth_out}" if truth_out else "")
                          + " (a video is written whole or not at all)") from None
    finally:
        for tmp in names.values():
            tmp.unlink(missing_ok=True)
    result.update(out=str(out), truth=str(truth_out) if truth_out else None)
    print(json.dumps(result))
    return 0


def _partial(path: str) -> Path:
    """A temporary name beside ``path``, with its extension (the container is chosen by it)."""
    p = Path(path)
    return p.with_name(f".{p.stem}.partial{p.suffix}")
