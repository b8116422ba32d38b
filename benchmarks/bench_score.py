"""Tracker backends side by side, and the speed of `msi score` against its own tracker (issue 9).

1. Per backend (every one installed here; the legacy face mesh needs `stableface[legacy]`):
   - fps: bare decode + track of a --frames-frame 256x256 clip (carphone_pristine looped), in-process
   - frozen-video MSI-Lip / MSI-Jaw (one frame repeated 60 times; a stateless tracker gives 2.000)
   - step-recovery error: content moved 6 px every 5 frames, worst |measured - 6| px on the step frames
   - carphone_pristine MSI-Lip / MSI-Jaw (as `msi score --sample`)
2. For the chosen --tracker, whole processes (imports included), cache off:
   bare decode + track in a new process  vs  `msi score CLIP`; target >= 0.8x its throughput.
3. A batch of --videos copies with 1 vs 2 workers (`msi score -j`); target >= 1.7x.

    python benchmarks/bench_score.py [--frames 600] [--videos 4] [--repeat 3] [--tracker landmarker]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import best_of

BARE = ("import sys; from msi.tracking.trackers import silence_native_logs, track_frames; from msi.io.video import iter_frames; "
        "silence_native_logs(); track_frames(iter_frames(sys.argv[1]), tracker=sys.argv[2])")


def child_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes: unlike wall time, it
    does not grow when other programs share the cores."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall seconds and the CPU seconds of one run of a command (new process each time)."""
    cpu = []

    def once():
        c = child_cpu()
        subprocess.run(cmd, check=True, capture_output=True)
        cpu.append(child_cpu() - c)

    return best_of(once, repeat), min(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tracker", default="landmarker", help="backend for the end-to-end and batch parts")
    ap.add_argument("--skip-batch", action="store_true")
    ap.add_argument("--backends-only", action="store_true", help="only the side-by-side table")
    ap.add_argument("--skip-overlap", action="store_true")
    args = ap.parse_args()

    from msi.io.samples import sample_path
    from msi.score import score_video
    from msi.settings import Settings
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "msi"))  # the tests' tracker checks
    from tracker_checks import face_picture, run_checks
    from msi.tracking.trackers import TRACKERS, silence_native_logs, track_frames, tracker_available, tracker_identity
    from msi.io.video import iter_frames, read_frames, write_video

    silence_native_logs()
    tmp = Path(tempfile.mkdtemp(prefix="msi-bench-"))
    import cv2

    src = read_frames(sample_path("carphone_pristine.mp4"))
    h, w = src.shape[1:3]
    src = np.stack([cv2.resize(f[:, (w - h) // 2:(w + h) // 2], (256, 256), interpolation=cv2.INTER_CUBIC)
                    for f in src])
    loop = np.concatenate([src, src[::-1]] * (args.frames // (2 * len(src)) + 1))[: args.frames]
    video = write_video(tmp / "clip256.mp4", loop, fps=25)
    n = args.frames
    face_picture()  # warm the sample decode

    print(f"clip: {n} frames of 256x256 (carphone_pristine, looped), python {sys.version.split()[0]}")
    print("fps: frames per wall second; CPU fps: frames per CPU second of this process (all its threads),")
    print("which does not drop when other programs load the machine (on an idle core the two agree).")
    print(f"{'backend':16s} {'identity':44s} {'fps':>6s} {'CPU fps':>7s} {'frozen lip/jaw':>15s} "
          f"{'step err px':>11s} {'carphone lip/jaw':>17s}")
    rows = {}
    for name in TRACKERS:
        if reason := tracker_available(name):
            print(f"{name:16s} not installed here ({reason.split('(')[0].strip()})")
            continue
        cpu = []

        def track_once():
            c = time.process_time()
            track_frames(iter_frames(video), tracker=name)
            cpu.append(time.process_time() - c)

        t = best_of(track_once, args.repeat)
        c = run_checks(name)
        r = score_video(sample_path("carphone_pristine.mp4"), Settings(tracker=name), cache=False)
        rows[name] = n / t
        print(f"{name:16s} {tracker_identity(name):44s} {n / t:6.1f} {n / min(cpu):7.1f} "
              f"{c.frozen_msi_lip:7.3f}/{c.frozen_msi_jaw:.3f} "
              f"{c.step_error_px:11.3f} {r.msi_lip:8.4f}/{r.msi_jaw:.4f}")

    if tracker_available(args.tracker) or args.backends_only:
        return
    bare = [sys.executable, "-c", BARE, str(video), args.tracker]
    cli = [sys.executable, "-m", "msi", "score", str(video), "--no-cache", "-q", "--tracker", args.tracker]
    t_decode = best_of(lambda: sum(1 for _ in iter_frames(video)), args.repeat)
    t_bare, c_bare = run_timed(bare, args.repeat)
    t_cli, c_cli = run_timed(cli, args.repeat)
    print(f"\nwhole processes, tracker {args.tracker} (best of {args.repeat}; CPU = user + system seconds):")
    print(f"{'stage':40s} {'seconds':>8s} {'frames/s':>9s} {'CPU s':>7s}")
    for label, t, c in [("decode only (in-process)", t_decode, float("nan")),
                        ("bare decode + track (new process)", t_bare, c_bare),
                        ("`msi score` (new process, no cache)", t_cli, c_cli)]:
        print(f"{label:40s} {t:8.3f} {n / t:9.1f} {c:7.2f}")
    print(f"`msi score` throughput / bare decode+track: {t_bare / t_cli:.2f}x wall, {c_bare / c_cli:.2f}x CPU "
          "(target >= 0.8x)")
    if not args.skip_overlap:
        overlap(video, n, args.repeat, args.tracker)

    if args.skip_batch:
        return
    videos = []
    for i in range(args.videos):  # distinct files, same content
        p = tmp / f"batch_{i}.mp4"
        p.write_bytes(video.read_bytes())
        videos.append(str(p))
    base = [sys.executable, "-m", "msi", "score", *videos, "--no-cache", "-q", "--tracker", args.tracker]
    t1, c1 = run_timed(base + ["-j", "1"], 1)
    t2, c2 = run_timed(base + ["-j", "2"], 1)
    print(f"batch of {args.videos} videos: 1 worker {t1:.2f} s ({c1:.1f} CPU s), 2 workers {t2:.2f} s "
          f"({c2:.1f} CPU s), speed-up {t1 / t2:.2f}x (target >= 1.7x; bounded by free cores: load "
          f"{__import__('os').getloadavg()[0]:.1f} on {__import__('os').cpu_count()} cores)")


def overlap(video: Path, n: int, repeat: int, tracker: str) -> None:
    """Decoding in a second thread while the tracker works (issue 10), side by side in-process:
    decode alone, track alone (frames already in memory), the naive serial floor (their sum),
    decode+track in one thread, and with the decode thread (msi.io.video.iter_frames(prefetch=))."""
    from msi.tracking.trackers import track_frames
    from msi.io.video import DECODE_AHEAD, iter_frames, read_frames

    frames = read_frames(video)
    t_dec = best_of(lambda: sum(1 for _ in iter_frames(video)), repeat)
    t_trk = best_of(lambda: track_frames(iter(frames), tracker=tracker), repeat)
    t_serial = best_of(lambda: track_frames(iter_frames(video), tracker=tracker), repeat)
    t_thread = best_of(lambda: track_frames(iter_frames(video, prefetch=DECODE_AHEAD), tracker=tracker), repeat)
    print(f"\ndecode overlapped with tracking, tracker {tracker}, in-process (best of {repeat}):")
    print(f"{'stage':40s} {'seconds':>8s} {'frames/s':>9s}")
    for label, t in [("decode only", t_dec), ("track only (frames in memory)", t_trk),
                     ("naive serial floor (decode + track)", t_dec + t_trk),
                     ("decode + track, one thread", t_serial),
                     (f"decode thread ({DECODE_AHEAD} ahead) + track", t_thread)]:
        print(f"{label:40s} {t:8.3f} {n / t:9.1f}")
    print(f"overlap speed-up: {t_serial / t_thread:.2f}x over one thread, {(t_dec + t_trk) / t_thread:.2f}x over "
          f"the naive serial floor (ideal: {(t_dec + t_trk) / max(t_dec, t_trk):.2f}x)")


if __name__ == "__main__":
    main()
