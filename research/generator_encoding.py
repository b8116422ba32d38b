"""How much of a true mouth opening survives the crop size, the crop margin and the encoder?  (issue 19)

    python research/generator_encoding.py DATA_DIR [--split test] [--frames 300]

DATA_DIR is a prepared clip (``stableface prepare``, best at 128 px or more). Its frames are
re-cropped to each (margin, size) below (``margin``: crop side / the box around every frame's
mesh, as ``prepare --margin``), tracked with msi's default tracker, and the opening
(``msi.metrics.mouth_motion.mouth_opening``) compared with the clip's landmarks, which ``prepare`` tracked on the
full-size source. Three ways: the raw crop; written with H.264 (yuv420p, crf 18) at its own size;
upscaled to 256 px (bicubic) and then written. Columns: ``gain`` = least-squares slope of the
tracked opening on the true one (1: the tracker reads all of it), ``r`` = Pearson r, ``std``
ratio. This is the ceiling a perfect renderer could reach at that size: a generated video can
only be measured as well as the real frames it imitates.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

GRID = ((1.5, 64), (1.2, 64), (1.5, 96), (1.2, 96), (1.5, 128))


def recrop(frames: np.ndarray, margin: float, data_margin: float, size: int) -> np.ndarray:
    """Frames of a clip cropped at ``data_margin`` -> the centred crop at ``margin``, ``size`` px."""
    import cv2

    s0 = frames.shape[1]
    side = s0 * margin / data_margin
    if side > s0 + 1e-6:
        raise ValueError(f"margin {margin} is wider than the data's {data_margin}")
    x0 = (s0 - side) / 2
    k = size / side
    m = np.array([[k, 0, -x0 * k], [0, k, -x0 * k]], np.float32)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return np.stack([cv2.warpAffine(f, m, (size, size), flags=interp) for f in frames])


def through_h264(frames: np.ndarray, side: int | None) -> np.ndarray:
    from generator.synthesize import upscale
    from msi.io.video import read_frames, write_video

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.mp4"
        write_video(path, upscale(frames, side) if side else frames, fps=25, crf=18)
        return read_frames(path)


def compare(opening: np.ndarray, truth: np.ndarray) -> dict:
    ok = np.isfinite(opening) & np.isfinite(truth)
    return {"gain": round(float(np.polyfit(truth[ok], opening[ok], 1)[0]), 3),
            "r": round(float(np.corrcoef(truth[ok], opening[ok])[0, 1]), 3),
            "std": round(float(np.nanstd(opening[ok]) / np.nanstd(truth[ok])), 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data_dir", type=Path)
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--frames", type=int, default=300)
    args = p.parse_args(argv)
    from generator.data.dataset import load_clip
    from msi.metrics.mouth_motion import mouth_opening
    from msi.tracking.trackers import track_frames

    clip = load_clip(args.data_dir)
    part = clip.split(args.split)
    stop = min(part.stop, part.start + args.frames)
    frames = np.asarray(clip.frames[part.start:stop])
    truth = mouth_opening(np.asarray(clip.landmarks[part.start:stop]))
    data_margin = float(clip.manifest["settings"]["margin"])
    rows = []
    print("| margin | size | raw gain / r | H.264 at size gain / r | upscaled to 256, H.264 gain / r |\n|---|---|---|---|---|")
    for margin, size in GRID:
        if margin > data_margin:
            continue
        crop = recrop(frames, margin, data_margin, size)
        row = {"margin": margin, "size": size}
        for name, fr in (("raw", crop), ("h264", through_h264(crop, None)), ("h264_256", through_h264(crop, 256))):
            row[name] = compare(mouth_opening(track_frames(fr)), truth)
        rows.append(row)
        cells = [f"{row[k]['gain']:.2f} / {row[k]['r']:.2f}" for k in ("raw", "h264", "h264_256")]
        print(f"| {margin} | {size} | " + " | ".join(cells) + " |", flush=True)
    print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
