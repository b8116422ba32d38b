"""Where the written video loses the rendered mouth's opening: the tracker's reading of the same test
frames at 64 px, upscaled to 256 px, and upscaled then H.264-encoded (crf 18, synthesize's, and 0,
lossless), for the truth's own frames and for each run's re-enactment (issue 19).

    python research/generator_written_response.py DATA RUN [RUN ...] [--frames 450] [--work DIR]
        [--interpolation cubic|lanczos|linear|nearest]

Each cell: the tracked opening's std over the reference's (the truth's landmarks for the truth row,
the run's smoothed mesh for a run), and its 5th percentile (the closed mouth), in mouth widths.
Dividing a run's cell by the truth's in the same column gives the renderer's share of what the
tracker can see at that stage. ``--interpolation`` changes the upscaling (synthesize's is bicubic):
the tracker's reading moves with it by about ±5 %, the truth's and a run's not together.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from generator.synthesize import INTERPOLATIONS

STAGES = ("64 px", "256 px", "256 px crf 18", "256 px crf 0")


def readings(frames: np.ndarray, work: Path, tag: str, interpolation: str = "cubic") -> dict[str, np.ndarray]:
    from generator.synthesize import upscale
    from msi.metrics.mouth_motion import mouth_opening
    from msi.acquire import get_landmarks
    from msi.settings import Settings
    from msi.tracking.trackers import track_frames
    from msi.io.video import write_video

    big = np.asarray(list(upscale(frames, 256, interpolation)))  # upscale yields frames one by one
    out = {"64 px": mouth_opening(track_frames(frames)), "256 px": mouth_opening(track_frames(big))}
    for crf in (18, 0):
        path = work / f"{tag}_crf{crf}.mp4"
        write_video(path, big, fps=25, crf=crf)
        out[f"256 px crf {crf}"] = mouth_opening(get_landmarks(path, Settings(), cache=False).landmarks)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("runs", type=Path, nargs="+")
    p.add_argument("--frames", type=int, default=450, help="test-split frames (from its start)")
    p.add_argument("--work", type=Path, default=None, help="where the videos go (default: a temporary folder)")
    p.add_argument("--interpolation", default="cubic", choices=list(INTERPOLATIONS),
                   help="the upscaling to 256 px (default: synthesize's, bicubic)")
    a = p.parse_args(argv)

    from generator.data.dataset import load_clip
    from generator.inference import load_run, predict_expressions
    from generator_renderer_response import mesh_and_frames
    from msi.metrics.mouth_motion import mouth_opening

    torch.set_num_threads(1)
    clip = load_clip(a.data)
    part = clip.split("test")
    sl = slice(part.start, min(part.stop, part.start + a.frames))
    with tempfile.TemporaryDirectory() as tmp:
        work = a.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = [("truth", readings(np.asarray(clip.frames[sl]), work, "truth", a.interpolation),
                 mouth_opening(np.asarray(clip.landmarks[sl])))]
        feats = np.asarray(clip.audio_features[sl])
        for run_dir in a.runs:
            run = load_run(run_dir)
            mesh, frames = mesh_and_frames(run, clip, sl, predict_expressions(run, feats))
            rows.append((run_dir.name, readings(frames, work, run_dir.name, a.interpolation), mesh))
    print("| frames (reference) | " + " | ".join(STAGES) + " |\n|---|" + "---|" * len(STAGES))
    for name, got, ref in rows:
        cells = [f"{np.nanstd(got[s]) / np.std(ref):.3f} (p5 {np.nanpercentile(got[s], 5):.3f})" for s in STAGES]
        print(f"| {name} ({'landmarks' if name == 'truth' else 'mesh'}) | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
