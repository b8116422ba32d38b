"""`msi report` against `msi compare` on the same videos, side by side in one run.

--utterances real clips (carphone_pristine.mp4, 176x144, each starting at another frame, --frames
long) in four "methods": `h264` (H.264 MP4: linked), `shaken` (H.264, whole-pixel shifts: linked),
`mpeg4` (MPEG-4 Part 2 in AVI: a preview is transcoded), `big` (H.264 at 528x432, larger than the
preview size: transcoded). Timed, in this order, with a fresh landmark cache:
  1. `compare_methods` (what `msi compare` runs: tracking + every column);
  2. `build_report` from its rows (what `msi report` adds after a compare: landmarks from the cache,
     timelines, slices, previews, pages);
  3. the same with `--portable` (every video transcoded).
The ratio report / compare is what a report costs on top of the compare a user runs anyway; the
seconds per video give the time of 100 utterances x 4 methods on this machine.

    python benchmarks/bench_report.py [--utterances 4] [--frames 100] [--workers 1]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def make_methods(root: Path, n: int, frames: int) -> dict[str, Path]:
    import cv2

    from msi.io.video import read_frames, write_video
    from msi.plots.slices import shift_frame
    from msi.io.samples import sample_path

    src = read_frames(sample_path("carphone_pristine.mp4"))
    dirs = {m: root / m for m in ("h264", "shaken", "mpeg4", "big")}
    for d in dirs.values():
        d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        idx = (np.arange(frames) + 17 * i) % len(src)
        idx = np.where((idx // len(src)) % 2, len(src) - 1 - idx % len(src), idx)  # loop back and forth
        f = src[idx]
        write_video(dirs["h264"] / f"u{i}.mp4", f, fps=25, threads=1)
        write_video(dirs["shaken"] / f"u{i}.mp4", [shift_frame(x, *rng.integers(-3, 4, 2)) for x in f], fps=25,
                    threads=1)
        write_video(dirs["mpeg4"] / f"u{i}.avi", f, fps=25, codec="mpeg4", threads=1)
        write_video(dirs["big"] / f"u{i}.mp4", [cv2.resize(x, (528, 432), interpolation=cv2.INTER_CUBIC) for x in f],
                    fps=25, threads=1)
    return dirs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--utterances", type=int, default=4)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["MSI_CACHE_DIR"] = str(tmp / "cache")  # fresh: the compare tracks, the report reads
        dirs = make_methods(tmp / "in", a.utterances, a.frames)
        from msi.comparison.compare import compare_methods
        from msi.report.build import build_report

        t0 = time.perf_counter()
        rows = compare_methods(dirs, workers=a.workers)
        t_compare = time.perf_counter() - t0
        t0 = time.perf_counter()
        w = build_report(rows, tmp / "report", workers=a.workers, progress=False)
        t_report = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_report(rows, tmp / "portable", workers=a.workers, progress=False, portable=True)
        t_portable = time.perf_counter() - t0
        n = len(rows)
        size = sum(p.stat().st_size for p in (tmp / "report").rglob("*") if p.is_file())
        previews = len(list((tmp / "report" / "previews").iterdir()))
    print(f"{n} videos ({a.utterances} utterances x 4 methods, {a.frames} frames, 176x144 and 528x432), "
          f"--workers {a.workers}, errors {len(w.errors)}")
    print(f"compare_methods        {t_compare:7.2f} s  {t_compare / n:6.3f} s/video")
    print(f"build_report           {t_report:7.2f} s  {t_report / n:6.3f} s/video  ratio to compare {t_report / t_compare:.3f}"
          f"  ({previews} previews transcoded, {size / 1e6:.2f} MB)")
    print(f"build_report portable  {t_portable:7.2f} s  {t_portable / n:6.3f} s/video  ratio to compare "
          f"{t_portable / t_compare:.3f}")
    print(f"100 utterances x 4 methods of {a.frames} frames here: compare {400 * t_compare / n / 60:.1f} min, "
          f"report after it {400 * t_report / n / 60:.1f} min")


if __name__ == "__main__":
    main()
