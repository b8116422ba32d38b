"""``stableface synth-corpus``: a synthetic talking-head corpus, or the MSI validation sweep."""
from __future__ import annotations

import json
from pathlib import Path

import click

from generator.errors import GeneratorError

HELP = """Build a synthetic talking-head corpus: a face photo (default: scikit-image's astronaut) speaks
random English sentences with espeak-ng; the mouth follows espeak-ng's phoneme timings and the
head moves slowly. Writes per clip NAME.mp4 (H.264 + AAC), NAME.wav (16 kHz) and NAME.npz (ground
truth), and corpus.json listing them. Rerunning skips finished clips."""

PathArg = click.Path(path_type=Path)


@click.command("synth-corpus", help=HELP,
               short_help="build a synthetic talking-head corpus from a face photo and espeak-ng speech")
@click.option("--out", required=True, type=PathArg, help="output directory")
@click.option("--minutes", type=float, default=3.0, help="total length of the corpus (default 3)")
@click.option("--clip-seconds", type=float, default=20.0, help="length of each clip (default 20)")
@click.option("--seed", type=int, default=0, help="random seed; clip i uses seed + i (default 0)")
@click.option("--face", type=PathArg, default=None, help="face photo (default: scikit-image astronaut)")
@click.option("--jitter", type=float, default=0.0, metavar="SIGMA",
              help="std of per-frame lip jitter in MSI units (px at a 64 px mouth width; default 0)")
@click.option("--size", type=int, default=256, help="frame side in pixels, even (default 256)")
@click.option("--fps", type=int, default=25, help="frame rate (default 25)")
@click.option("--contact-sheet", type=PathArg, default=None, metavar="PNG",
              help="also write a contact sheet of the first clip (frames and mouths per viseme)")
@click.option("--msi-sweep", default=None, metavar="SIGMAS",
              help="instead of a corpus: validate MSI on clips of --clip-seconds at these jitter levels "
                   "(comma-separated, 0 added) for --sweep-seeds seeds; writes OUT/msi_sweep.csv and "
                   "prints one JSON record per clip")
@click.option("--sweep-seeds", type=int, default=3, help="seeds of the MSI sweep (default 3)")
@click.option("--sweep-plot", type=PathArg, default=None, metavar="PNG", help="figure of the MSI sweep")
@click.option("--no-progress", is_flag=True, help="no progress bar")
def command(out: Path, minutes: float, clip_seconds: float, seed: int, face: Path | None, jitter: float, size: int,
            fps: int, contact_sheet: Path | None, msi_sweep: str | None, sweep_seeds: int, sweep_plot: Path | None,
            no_progress: bool) -> int:
    from generator.corpus import espeak

    if not minutes > 0 or not clip_seconds > 0:
        raise GeneratorError("--minutes and --clip-seconds must be positive")
    if fps <= 0:
        raise GeneratorError(f"--fps must be positive (got {fps})")
    from msi.cli.outputs import check_file, check_folder

    check_folder(out, "--out")  # before any clip is built
    check_file(contact_sheet, "--contact-sheet")
    check_file(sweep_plot, "--sweep-plot")
    espeak.engine()  # fail early, with the install command, when espeak-ng is missing
    if msi_sweep is not None:
        return _sweep(out, msi_sweep, [seed + i for i in range(sweep_seeds)] if sweep_seeds >= 1 else [],
                      clip_seconds, size, fps, face, sweep_plot, not no_progress)
    from generator.corpus.build import build_corpus

    index = build_corpus(out, minutes=minutes, clip_seconds=clip_seconds, seed=seed, face=face, jitter=jitter,
                         size=size, fps=fps, progress=not no_progress)
    if contact_sheet:
        from generator.corpus.sheet import contact_sheet as draw

        first = index["clips"][0]
        draw(out / first["video"], out / first["truth"], contact_sheet)
    print(json.dumps({"corpus": str(out / "corpus.json"), "clips": len(index["clips"]),
                      "seconds": round(minutes * 60.0, 3)}))
    return 0


def _sweep(out: Path, levels: str, seeds: list[int], seconds: float, size: int, fps: int, face: Path | None,
           plot: Path | None, progress: bool) -> int:
    import pandas as pd

    from generator.corpus.sweep import msi_sweep, plot_sweep

    try:
        sigmas = [float(x) for x in levels.split(",") if x.strip()]
    except ValueError:
        raise GeneratorError(f"--msi-sweep wants comma-separated numbers, got {levels!r}") from None
    if any(x < 0 for x in sigmas) or not seeds:
        raise GeneratorError("--msi-sweep levels must be >= 0 and --sweep-seeds >= 1")
    rows = msi_sweep(out, sigmas, seeds, seconds=seconds, size=size, fps=fps, face=face, progress=progress)
    pd.DataFrame(rows).to_csv(out / "msi_sweep.csv", index=False)
    if plot:
        plot_sweep(rows, plot)
    for r in rows:
        print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()}))
    return 0
