"""The constant-pattern prototype's distortion and robustness (docs/generator/marking.md, "Why the
mark's effect on MSI stays"): per clip, PSNR of the pattern in pixels, SSIM / PSNR of the crf 18
encode against the unmarked encode, and per copy of benchmarks/bench_marking.py's TRANSFORMS the
score z, with ``+`` (run id read exactly), ``f`` (found, run id not read) or ``-`` (not found).

    python research/constant_pattern_mark/robustness.py --orders 3,18 --planes 1,2
    python research/constant_pattern_mark/robustness.py --orders 3,24 --planes 0,1,2 --clips 0,carphone_pristine
    python research/constant_pattern_mark/robustness.py --orders 3,24 --planes 0,1,2 --fit mean --clips 0,carphone_pristine,bikes
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "benchmarks")]


def main() -> None:
    import bench_marking as B
    import reader as W
    import writer as GW

    from generator.corpus.build import build_clip
    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video
    from msi.metrics.quality import video_ssim_psnr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", default="3,18")
    ap.add_argument("--planes", default="1,2")
    ap.add_argument("--fit", choices=("first", "mean"), default="first",
                    help="the pattern's chips fitted to the first frame (as embed does) or to the mean of all frames")
    ap.add_argument("--clips", default="0,1,carphone_pristine,bikes,bigbuckbunny", help="corpus seeds or sample names")
    a = ap.parse_args()
    W.ORDERS = tuple(int(x) for x in a.orders.split(","))
    W.PLANES = tuple(int(x) for x in a.planes.split(","))
    W.layout.cache_clear()
    print(f"{len(W.layout().sign)} chips, orders {W.ORDERS}, planes {W.PLANES}")
    rid = "9c3e01f7"
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name in a.clips.split(","):
            if name.isdigit():
                frames = read_frames(build_clip(tmp / f"c{name}", seconds=4.0, seed=int(name), size=256).video)
            else:
                frames = B.square(read_frames(sample_path(f"{name}.mp4"), limit=100))
            write_video(tmp / "u.mp4", frames, fps=25, crf=18, threads=1)
            if a.fit == "first":
                marked = list(GW.embed(frames, rid))
            else:
                change = GW.pattern(rid, frames.astype(np.float32).mean(axis=0))
                marked = [GW.add_pattern(f, change) for f in frames]
            px = 10 * np.log10(255 ** 2 / np.mean((np.stack(marked).astype(float) - frames) ** 2))
            write_video(tmp / "m.mp4", marked, fps=25, crf=18, threads=1)
            s, p = video_ssim_psnr(read_frames(tmp / "m.mp4"), read_frames(tmp / "u.mp4"))
            line = f"{name}: pixel PSNR {px:.1f} dB, encoded SSIM {s:.4f} PSNR {p:.1f} dB |"
            for t, kw in B.TRANSFORMS.items():
                path = tmp / "m.mp4"
                if kw is not None:
                    path = tmp / "t.mp4"
                    B.transcode(tmp / "m.mp4", path, **kw)
                r = W.read_video(path)
                line += f" {t}: {r.z:.1f}{'+' if r.run_id == rid else ('f' if r.found else '-')};"
            print(line + f" unmarked z {W.read_video(tmp / 'u.mp4').z:.1f}", flush=True)


if __name__ == "__main__":
    main()
