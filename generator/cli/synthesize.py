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
@click.option("--no-visible-label", "no_label", is_flag=True,
              help="no visible \"AI-generated\" label (user studies: a label on one method biases raters); "
                   "the C2PA manifest and the invisible watermark stay on")
@click.option("--no-watermark", is_flag=True, help="no invisible watermark (the video loses the mark that "
                                                    "survives re-encoding; you must disclose it otherwise)")
@click.option("--no-audio-mark", is_flag=True, help="no invisible mark in the speech track (the run's id, read by "
                                                      "`stableface check`; you must disclose it otherwise)")
@click.option("--no-credentials", is_flag=True, help="no C2PA manifest (content credentials) in the mp4")
@click.option("--sign-cert", metavar="PEM", help="certificate chain (PEM) that signs the C2PA manifest "
                                                 "(default: a local certificate, made once; reported as untrusted)")
@click.option("--sign-key", metavar="PEM", help="private key (PEM) of --sign-cert")
@click.option("--quiet", is_flag=True, help="no progress bar")
def command(run_dir: str, audio: str | None, background: str, out: str, reenact: str | None, truth_out: str | None,
            audio_features: str | None, out_size: int | None, device: str | None, trust_checkpoint: bool,
            no_label: bool, no_watermark: bool, no_audio_mark: bool, no_credentials: bool, sign_cert: str | None,
            sign_key: str | None, quiet: bool) -> int:
    """Generate a talking-face video: speech -> expressions -> smoothed face shapes -> renderer, on the
    frames and head pose of a background clip; muxed with the speech into an mp4.

    The video says that it is AI-generated: a visible label in a corner the face does not cover, an
    invisible watermark in the frames and an invisible mark in the speech (the run's id in both; they
    survive re-encoding), and a signed C2PA manifest.
    Check a file with `stableface check VIDEO`."""
    if not reenact and not audio:
        raise GeneratorError("give --audio SPEECH, or --reenact SPLIT with a prepared --background")
    if reenact and not Path(background).is_dir():
        raise GeneratorError("--reenact needs a prepared data directory as --background")
    from msi.cli.outputs import check_file

    if (sign_cert is None) != (sign_key is None):
        raise GeneratorError("give both --sign-cert and --sign-key (or neither, for the local certificate)")
    if no_credentials and sign_cert:
        raise GeneratorError("--sign-cert/--sign-key sign the C2PA manifest, which --no-credentials switches off")
    check_file(out, "--out")  # before the run is loaded and rendered
    for w in marking_warnings(no_label, no_watermark, no_credentials, no_audio_mark):
        click.echo(f"stableface: warning: {w}", err=True)
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
                                progress=not quiet, out_size=out_size, visible_label=not no_label,
                                watermark=not no_watermark, audio_mark=not no_audio_mark,
                                credentials=not no_credentials,
                                sign_cert=sign_cert, sign_key=sign_key)
        for final, tmp in names.items():
            os.replace(tmp, final)
    except KeyboardInterrupt:
        raise Interrupted(f"nothing written to {out}" + (f" or {truth_out}" if truth_out else "")
                          + " (a video is written whole or not at all)") from None
    finally:
        for tmp in names.values():
            tmp.unlink(missing_ok=True)
    result.update(out=str(out), truth=str(truth_out) if truth_out else None)
    placed = result["marking"]["visible_label"]
    if placed and placed["face_overlap"] > 0:
        click.echo(f"stableface: warning: no corner of the {result['size']} px frame is free of the face: the "
                   f"label ({placed['corner']}) covers {placed['face_overlap']:.0%} of its box on the face", err=True)
    print(json.dumps(result))
    return 0


def marking_warnings(no_label: bool, no_watermark: bool, no_credentials: bool,
                     no_audio_mark: bool = False) -> list[str]:
    """The warnings for the parts of the marking that were switched off."""
    off = [name for name, flag in (("the invisible watermark", no_watermark), ("the audio mark", no_audio_mark),
                                   ("the C2PA manifest", no_credentials)) if flag]
    out = []
    if off:
        names = off[0] if len(off) == 1 else f"{', '.join(off[:-1])} and {off[-1]}"
        out.append(f"{names} switched off: the video is AI-generated and you are responsible for "
                   "disclosing it wherever it is shown (machine-readable marking is a legal duty in places, "
                   "e.g. EU AI Act Art. 50(2))")
    if no_label:
        out.append("no visible label: viewers cannot see that the video is AI-generated; show it only where they "
                   "are told (e.g. a user study's consent form)")
    return out


def _partial(path: str) -> Path:
    """A temporary name beside ``path``, with its extension (the container is chosen by it)."""
    p = Path(path)
    return p.with_name(f".{p.stem}.partial{p.suffix}")
