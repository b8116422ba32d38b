"""Cost of ``msi compare --sensitivity`` against a plain ``msi compare``, side by side in one run:
the same two methods (carphone and a shaken copy, the bundled clip's first N frames), each run
from an empty landmark cache (tracking is most of the work, and the re-encoded copies must be
tracked anyway). The pass re-encodes and rescores every video once per rung; its budget is
(ladder length + 1) x a plain compare, the ladder counting the video as given.

    python benchmarks/bench_sensitivity.py [--frames 100] [--workers 1]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(argv: list[str], cache: Path) -> float:
    env = {**os.environ, "MSI_CACHE_DIR": str(cache)}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "msi", "compare", *argv, "--quiet"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    import cv2
    import numpy as np

    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video
    from msi.comparison.sensitivity import LADDER

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frames = read_frames(sample_path("carphone_pristine.mp4"), limit=args.frames)
        shifts = np.random.default_rng(0).integers(-3, 4, size=(len(frames), 2))
        shaken = [cv2.warpAffine(f, np.float32([[1, 0, dx], [0, 1, dy]]), f.shape[1::-1]) for f, (dx, dy) in
                  zip(frames, shifts)]
        for m, fr in (("real", frames), ("shaken", shaken)):
            write_video(root / m / "clip.mp4", fr, fps=30, threads=1)  # 30 fps: the fps25 rung applies too
        methods = [f"real={root / 'real'}", f"shaken={root / 'shaken'}", "--workers", str(args.workers)]
        plain = _run(methods, root / "cache-plain")
        full = _run([*methods, "--sensitivity"], root / "cache-sensitivity")
    length = len(LADDER) + 1  # the rungs and the video as given
    print(f"{'frames':>6}  {'plain s':>8}  {'sensitivity s':>13}  {'ratio':>6}  budget (ladder {length} + 1)")
    print(f"{args.frames:>6}  {plain:8.1f}  {full:13.1f}  {full / plain:6.2f}  {length + 1}"
          f"  {'ok' if full <= (length + 1) * plain else 'OVER BUDGET'}")


if __name__ == "__main__":
    main()
