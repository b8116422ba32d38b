"""`msi score --cluster local:2` against `msi score --workers 2`, side by side in one run.

The same --videos real videos (carphone_pristine.mp4 resized to 256x256 and looped to --frames
frames, each file starting at another frame so no two are alike), cache off, scored:
  1. with a local pool of 2 worker processes (`score_many(workers=2)`: what --workers 2 runs),
     pool start-up included;
  2. on a LocalCluster of 2 single-threaded worker processes started for the call
     (`--cluster local:2`), cluster start-up included;
  3. on a LocalCluster(2) already running (joined by its address: a long-lived cluster).
Rounds alternate the modes; each mode's best round counts. Target (issue #14): the cluster's
throughput >= 0.9x the local pool's. The per-video overhead of the cluster is measured directly:
--videos empty files go through the cluster (each is one task that fails at once), so their
time per file is the round trip of a task (submit, schedule, run, send the result back).

    python benchmarks/bench_cluster.py [--videos 8] [--frames 300] [--repeat 2]
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np


def timed(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def make_videos(tmp: Path, n: int, frames: int, side: int = 256) -> list[str]:
    import cv2

    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video

    src = np.stack([cv2.resize(f, (side, side), interpolation=cv2.INTER_AREA)
                    for f in read_frames(sample_path("carphone_pristine.mp4"))])
    loop = np.concatenate([src, src[::-1]] * (frames // (2 * len(src)) + 2))
    step = max(1, len(src) // n)
    return [str(write_video(tmp / f"talk_{i}.mp4", loop[i * step: i * step + frames], fps=25)) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=8)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from msi.tracking import silence_native_logs

    silence_native_logs()
    with tempfile.TemporaryDirectory(prefix="msi-bench-cluster-") as tmp:
        run(Path(tmp), args)


def run(tmp: Path, args) -> None:
    from distributed import Client, LocalCluster

    from msi.cluster import LOCAL_QUIET, score_cluster, worker_info
    from msi.score import Settings, score_many

    videos = make_videos(tmp, args.videos, args.frames)
    settings = Settings()
    runs = {
        "--workers 2 (local pool, start-up included)":
            lambda: list(score_many(videos, settings, workers=2, cache=False)),
        "--cluster local:2 (cluster start-up included)":
            lambda: list(score_cluster(videos, settings, address="local:2", cache=False)),
    }
    best: dict[str, float] = {}
    results: dict[str, list] = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, **LOCAL_QUIET) as lc, Client(lc, set_as_default=False) as client:
        running = "LocalCluster(2) already running"
        runs[running] = lambda: list(score_cluster(videos, settings, address=lc.scheduler_address, cache=False))
        list(score_cluster(videos[:2], settings, address=lc.scheduler_address, cache=False))  # warm both workers
        for _ in range(args.repeat):
            for name, fn in runs.items():
                t, out = timed(fn)
                best[name] = min(best.get(name, float("inf")), t)
                results[name] = out
        # per-video overhead: empty files, one trivial task each, through the running cluster
        empties = []
        for i in range(args.videos):
            (tmp / f"empty_{i}.mp4").write_bytes(b"")
            empties.append(str(tmp / f"empty_{i}.mp4"))
        t_trivial = min(timed(lambda: list(score_cluster(empties, settings, address=lc.scheduler_address,
                                                         cache=False)))[0] for _ in range(3))
        info = client.run(worker_info)

    ref = {r.path: r.to_dict() for r in results["--workers 2 (local pool, start-up included)"]}
    same = all({r.path: r.to_dict() for r in out} == ref for out in results.values())
    n_frames = args.videos * args.frames
    local = best["--workers 2 (local pool, start-up included)"]
    print(f"{args.videos} videos x {args.frames} frames of 256x256 (carphone_pristine, resized and looped), "
          f"cache off, best of {args.repeat} alternating rounds")
    print(f"{'mode':48s} {'seconds':>8s} {'videos/s':>9s} {'frames/s':>9s} {'throughput vs pool':>19s}")
    for name, t in best.items():
        print(f"{name:48s} {t:8.2f} {args.videos / t:9.3f} {n_frames / t:9.1f} {local / t:18.2f}x")
    print(f"results identical in every mode: {same}")
    print(f"per-video overhead of the cluster (round trip of one task, {args.videos} empty files through "
          f"the running cluster): {1000 * t_trivial / args.videos:.1f} ms per video")
    print(f"wall time per video: pool {local / args.videos:.2f} s, running cluster {best[running] / args.videos:.2f} s "
          f"(difference {1000 * (best[running] - local) / args.videos:+.0f} ms; the pool starts its processes and "
          "builds a tracker per video, the running cluster's processes keep theirs)")
    print("worker processes (videos scored, trackers built): "
          + ", ".join(f"{i.get('videos', 0)} videos/{i.get('trackers_built', '?')} built" for i in info.values()))
    print("target (issue #14): cluster throughput >= 0.90x the local pool's")


if __name__ == "__main__":
    main()
