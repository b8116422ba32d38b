"""Peak memory of `msi score` against video length (issues 10, 24): the slope in MB per 10,000 frames.

Whole processes, peak RSS as the kernel counts it (rusage of a child process):
  1. `msi score CLIP --no-cache` on 256x256 clips (carphone_pristine, looped) of each --frames
     length: decoding, tracking, face check, metric;
  2. `msi score CLIP` with a warm cache entry holding --hour-frames frames of real tracked
     landmarks (the clip's, tiled to an hour at 30 fps): the scoring side of a one-hour video,
     without an hour of tracking.
  3. the scoring side alone, in this process (:func:`scoring_bytes_per_frame`): real tracked
     landmarks tiled to two lengths, the bytes per frame ``msi.score.score_landmarks`` allocates
     beyond the compact store it is handed (tracemalloc sees numpy's buffers).
Prints the peak RSS per length, the least-squares slope, and the one-hour estimates against the
goal of 400 MB for a one-hour 256x256 video (issue 24): (a) baseline + RSS slope x 10.8 and (b)
:func:`hour_estimate_mb`, the short clip's peak RSS + (the compact store, 72 points x 3 float32,
+ the scoring side's bytes per frame) x 108,000 frames. Only the 72 points a score reads are held
per frame, the full mesh goes to the cache on disk. tests/msi/test_sharp_edges.py asserts (b).

    python benchmarks/bench_memory.py [--frames 1500 6000] [--hour-frames 108000]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

#: Peak RSS allowed for one hour of 30 fps 256x256 video (issue 24).
GOAL_MB = 400
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")  # KiB on Linux


#: Frames of one hour at 30 fps.
HOUR_FRAMES = 108_000


def peak_mb(cmd: list[str]) -> float:
    """Peak RSS (MB) of the process ``cmd``, as the kernel counts it."""
    out = subprocess.run([sys.executable, "-c", PEAK, *cmd], check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def scoring_bytes_per_frame(compact: np.ndarray, lengths: tuple[int, int] = (20_000, 60_000)) -> float:
    """Bytes per frame that scoring allocates beyond its input: ``compact`` (T, 72, 3) float32,
    the points :data:`msi.regions.MP_SCORE_POINTS` of real tracked frames, is tiled (forth and
    back) to each of ``lengths`` frames and scored; the slope of tracemalloc's peak between them."""
    import tracemalloc

    from msi.regions import MP_SCORE_POINTS
    from msi.score import Settings, score_landmarks

    cycle = np.concatenate([compact, compact[::-1]])
    peaks = []
    for n in lengths:
        lm = np.ascontiguousarray(np.resize(cycle, (n, *cycle.shape[1:])), dtype=np.float32)
        tracemalloc.start()
        score_landmarks(lm, 30.0, Settings(), points=MP_SCORE_POINTS)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        del lm
    return (peaks[1] - peaks[0]) / (lengths[1] - lengths[0])


def hour_estimate_mb(clip_peak_mb: float, scoring_per_frame: float, frames: int = HOUR_FRAMES) -> float:
    """One hour's peak RSS from a short clip's (the process baseline: Python, numpy, MediaPipe and
    its model) + per frame the compact store (72 points x 3 float32, held from tracking to the
    score) and the scoring side's bytes."""
    from msi.regions import MP_SCORE_POINTS

    return clip_peak_mb + frames * (len(MP_SCORE_POINTS) * 3 * 4 + scoring_per_frame) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, nargs="+", default=[1500, 6000])
    ap.add_argument("--hour-frames", type=int, default=HOUR_FRAMES, help="frames of one hour at 30 fps")
    args = ap.parse_args()

    import cv2

    from msi.io.cache import LandmarkCache, cache_key, file_sha256
    from msi.io.samples import sample_path
    from msi.score import Settings, get_landmarks
    from msi.io.video import read_frames, write_video

    tmp = Path(tempfile.mkdtemp(prefix="msi-mem-"))
    src = read_frames(sample_path("carphone_pristine.mp4"))
    h, w = src.shape[1:3]
    src = np.stack([cv2.resize(f[:, (w - h) // 2:(w + h) // 2], (256, 256), interpolation=cv2.INTER_CUBIC)
                    for f in src])
    cycle = np.concatenate([src, src[::-1]])

    def clip(n: int) -> Path:
        return write_video(tmp / f"clip{n}.mp4", (cycle[k % len(cycle)] for k in range(n)), fps=30)

    print(f"`msi score --no-cache`, 256x256 clips, python {sys.version.split()[0]}")
    print(f"{'frames':>8s} {'peak RSS MB':>12s}")
    rows = []
    for n in args.frames:
        mb = peak_mb([sys.executable, "-m", "msi", "score", str(clip(n)), "--no-cache", "-q"])
        rows.append((n, mb))
        print(f"{n:8d} {mb:12.1f}")
    n_, mb_ = np.array(rows, dtype=float).T
    slope, base = np.polyfit(n_, mb_, 1) if len(rows) > 1 else (float("nan"), mb_[0])
    hour = args.hour_frames
    print(f"slope: {slope * 1e4:.1f} MB per 10,000 frames; baseline {base:.0f} MB; "
          f"one hour ({hour} frames) estimate: {base + slope * hour:.0f} MB (goal <= {GOAL_MB})")

    # The scoring side of an hour: a warm cache entry of `hour` frames of real landmarks.
    short = clip(120)
    cache = tmp / "cache"
    lm = get_landmarks(short, Settings(), cache=str(cache))
    reps = -(-hour // len(lm.landmarks))
    hour_lm = np.concatenate([lm.landmarks, lm.landmarks[::-1]] * (reps // 2 + 1))[:hour]
    key = cache_key(file_sha256(short), Settings().tracker_key())
    store = LandmarkCache(cache)
    hit = store.get(key)
    hit["landmarks"] = hour_lm
    hit["timestamps"] = np.arange(hour) / 30.0
    store.put(key, hit.pop("landmarks"), hit)  # the full mesh and the compact copy, as tracking writes them
    del hour_lm, hit
    cmd = [sys.executable, "-m", "msi", "score", str(short), "--cache-dir", str(cache), "--json", "-q"]
    mb = peak_mb(cmd)
    rec = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)[0]
    assert rec["cached"] and rec["frames"] == hour, rec
    print(f"scoring {hour} frames from the cache (full mesh float32 {hour * 478 * 3 * 4 / 2**20:.0f} MB on disk): "
          f"peak RSS {mb:.0f} MB (goal <= {GOAL_MB})")

    from msi.regions import MP_SCORE_POINTS

    per = scoring_bytes_per_frame(np.ascontiguousarray(lm.landmarks[:, list(MP_SCORE_POINTS)], dtype=np.float32))
    est = hour_estimate_mb(rows[0][1], per, hour)
    print(f"scoring side: {per:.0f} bytes per frame beyond the compact store ({len(MP_SCORE_POINTS) * 12} B); "
          f"one hour estimate from the {rows[0][0]}-frame run: {est:.0f} MB (goal <= {GOAL_MB}; the RSS slope "
          "above measures the whole process)")
    shutil.rmtree(tmp, ignore_errors=True)  # the clips and the hour-long cache entry


if __name__ == "__main__":
    main()
