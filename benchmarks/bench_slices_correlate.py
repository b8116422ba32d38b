"""Speed of `msi slice-plot` and of the bootstrap in `msi correlate`, as ratios in one run.

1. Slices, on carphone_pristine.mp4 looped to --frames frames:
   decode only (PyAV -> RGB) vs decode + streaming slice extraction vs the whole
   `msi slice-plot` command in a new process (imports, face tracking of the first frames, figure).
   Target: extraction adds <= 10% to decoding (ratio 2/1 <= 1.10).
2. Bootstrap comparison of two correlations (--n videos, --boot resamples): the vectorised
   `compare_correlations` vs a plain loop calling scipy.stats.pearsonr per resample.

    python benchmarks/bench_slices_correlate.py [--frames 600] [--n 100] [--boot 5000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import best_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--n", type=int, default=100, help="videos in the bootstrap benchmark")
    ap.add_argument("--boot", type=int, default=5000, help="bootstrap resamples")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from scipy import stats

    from msi.correlate import compare_correlations
    from msi.io.samples import sample_path
    from msi.plots.slices import extract_slice
    from msi.io.video import iter_frames, read_frames, write_video

    tmp = Path(tempfile.mkdtemp(prefix="msi-bench-"))
    src = read_frames(sample_path("carphone_pristine.mp4"))
    loop = np.concatenate([src, src[::-1]] * (args.frames // (2 * len(src)) + 1))[: args.frames]
    video = write_video(tmp / "long.mp4", loop, fps=25)

    t_decode = best_of(lambda: sum(1 for _ in iter_frames(video)), args.repeat)
    t_slice = best_of(lambda: extract_slice(iter_frames(video), 88), args.repeat)
    cmd = [sys.executable, "-m", "msi", "slice-plot", str(video), "--out", str(tmp / "s.png")]
    env = dict(os.environ, GLOG_minloglevel="2")
    t_cli = best_of(lambda: subprocess.run(cmd, check=True, capture_output=True, env=env), args.repeat)
    print(f"slices: {args.frames} frames of {loop.shape[2]}x{loop.shape[1]} (carphone_pristine, looped)")
    print(f"  {'stage':44s} {'seconds':>8s} {'ratio':>7s}")
    for name, t in [("1 decode only", t_decode), ("2 decode + extract_slice (streaming)", t_slice),
                    ("3 msi slice-plot (new process, track, figure)", t_cli)]:
        print(f"  {name:44s} {t:8.3f} {t / t_decode:7.2f}")
    print(f"  extraction overhead 2/1 = {t_slice / t_decode:.3f} (target <= 1.10)")

    rng = np.random.default_rng(0)
    y = rng.normal(size=args.n)
    a = 0.5 * y + rng.normal(size=args.n)
    b = 0.2 * y + rng.normal(size=args.n)

    def naive() -> None:
        r = np.random.default_rng(0)
        for _ in range(args.boot):
            i = r.integers(0, args.n, args.n)
            stats.pearsonr(a[i], y[i])
            stats.pearsonr(b[i], y[i])

    t_vec = best_of(lambda: compare_correlations(a, b, y, n_boot=args.boot), args.repeat)
    t_naive = best_of(naive, 1)
    print(f"bootstrap: n = {args.n} videos, {args.boot} resamples")
    print(f"  vectorised compare_correlations {t_vec:.3f} s, scipy loop {t_naive:.3f} s, "
          f"speed-up {t_naive / t_vec:.1f}x")


if __name__ == "__main__":
    main()
