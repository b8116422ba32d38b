"""Speed of `msi score`, measured side by side in one run (ratios, not absolute seconds).

Times on the same real video (carphone_pristine.mp4 looped to --frames frames):
  1. decode only (PyAV -> RGB arrays)
  2. decode + MediaPipe tracking
  3. score end to end in-process (score_video, cache off: probe, decode, track, face check, metric)
  4. the `msi score` command end to end (new process: imports included), cache off
and a batch of --videos copies with 1 worker vs 2 workers.
Targets (issue #2): 3 / 2 <= 1.25; batch speed-up of 2 workers >= 1.7x.

    python benchmarks/bench_score.py [--frames 600] [--videos 6] [--repeat 3]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import best_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--videos", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from msi.samples import sample_path
    from msi.score import score_many, score_video
    from msi.tracking import silence_native_logs, track_frames
    from msi.video import iter_frames, read_frames, write_video

    silence_native_logs()
    tmp = Path(tempfile.mkdtemp(prefix="msi-bench-"))
    src = read_frames(sample_path("carphone_pristine.mp4"))
    loop = np.concatenate([src, src[::-1]] * (args.frames // (2 * len(src)) + 1))[: args.frames]
    video = write_video(tmp / "long.mp4", loop, fps=25)
    n = args.frames

    t_decode = best_of(lambda: sum(1 for _ in iter_frames(video)), args.repeat)
    t_track = best_of(lambda: track_frames(iter_frames(video), max_faces=2), args.repeat)
    t_score = best_of(lambda: score_video(video, cache=False), args.repeat)
    cmd = [sys.executable, "-m", "msi", "score", str(video), "--no-cache", "-q"]
    t_cli = best_of(lambda: subprocess.run(cmd, check=True, capture_output=True), args.repeat)

    print(f"video: {video.name}, {n} frames of {loop.shape[2]}x{loop.shape[1]} (carphone_pristine, looped)")
    print(f"{'stage':38s} {'seconds':>8s} {'frames/s':>9s} {'ratio':>7s}")
    for name, t in [("decode only", t_decode), ("decode + tracking", t_track),
                    ("score end to end (in-process)", t_score), ("`msi score` command (new process)", t_cli)]:
        print(f"{name:38s} {t:8.3f} {n / t:9.1f} {t / t_track:7.3f}")
    print(f"end-to-end overhead over decode+tracking: {100 * (t_score / t_track - 1):+.1f}% (target <= +25%)")

    videos = []
    for i in range(args.videos):  # distinct files, same content
        p = tmp / f"batch_{i}.mp4"
        p.write_bytes(video.read_bytes())
        videos.append(str(p))
    t1 = best_of(lambda: list(score_many(videos, workers=1, cache=False)), 1)
    t2 = best_of(lambda: list(score_many(videos, workers=2, cache=False)), 1)
    print(f"batch of {args.videos} videos: 1 worker {t1:.2f} s, 2 workers {t2:.2f} s, "
          f"speed-up {t1 / t2:.2f}x (target >= 1.7x)")


if __name__ == "__main__":
    main()
