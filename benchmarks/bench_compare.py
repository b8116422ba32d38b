"""`msi compare` over its floor, side by side in one run, on a committed recipe of real clips.

Recipe (--size 256): one carphone crop (carphone_pristine.mp4, centre 144x144 square scaled to
256 px, --frames long) and one synthetic talking clip (espeak-ng speech, --frames / 25 s (at least 1 s) at 25 fps, 256 px,
:func:`generator.corpus.build.build_clip`), each the truth of two methods: `real` (re-encoded) and
`shaken` (whole-pixel shifts in [-3, 3]). --size 1080: the carphone clip scaled to 1920x1080
(--frames-1080 long), the same two methods. Measured, in this order:

1. the bare sum, per distinct video: one decode (frames and audio), one tracking pass, and each
   column's own computation on those decoded frames (in memory), column by column, and each method
   video's declared_generated (a row field: the watermark read from its first frames, then the
   audio mark from its decoded audio);
2. `compare_methods` with a fresh landmark cache (tracks each video once, as the bare sum does);
3. decodes per file: the same compare with the landmark cache warm (and no feature entries),
   every decoder opened counted;
4. with networks (--networks; random weights in the official formats, the real architectures:
   pytorch-fid's InceptionV3 for FID, torchvision's AlexNet + LPIPS v0.1 linear layers, SyncNet):
   the bare sum with each network's forward on the same decoded frames, compare, and a rerun with
   the feature cache warm;
5. `--workers 2` over 1 (landmark cache warm, feature cache empty: the columns only), and
   `--cluster local:2` over `--workers 2`.

--batching (alone: no --sizes part): the networks' inputs (FID, LPIPS, LSE) of short utterances
(:func:`make_short_recipe`) batched per video vs across the videos of each utterance job,
alternating; CPU and wall seconds and the forwards' batch sizes. --scaling: `--workers 1`,
`--workers 2` (this process one of the two), `--workers 2` with both spawned (as before
2026-12-07) and `--cluster local:2` on --scale-utterances short utterances, alternating.

    python benchmarks/bench_compare.py [--sizes 256 1080] [--frames 100] [--frames-1080 30] [--networks]
    python benchmarks/bench_compare.py --batching --batch-utterances 4 --batch-frames 14 --batch-size 32
    python benchmarks/bench_compare.py --scaling --scale-utterances 8 --scale-frames 25 --repeats 4
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_recipe(root: Path, size: int, frames: int) -> tuple[dict[str, Path], Path]:
    import cv2

    from msi.io.audio import read_audio
    from msi.io.samples import sample_path
    from msi.io.video import probe, read_frames, write_video
    from msi.plots.slices import shift_frame

    truth = root / "truth"
    dirs = {m: root / m for m in ("real", "shaken")}
    for d in (truth, *dirs.values()):
        d.mkdir(parents=True)
    src = read_frames(sample_path("carphone_pristine.mp4"))
    idx = np.arange(frames) % (2 * len(src))
    idx = np.where(idx >= len(src), 2 * len(src) - 1 - idx, idx)  # back and forth past the end
    h, w = src.shape[1:3]
    sq = src[idx][:, :, (w - h) // 2:(w - h) // 2 + h]
    out = (1920, 1080) if size == 1080 else (size, size)
    clips = {"carphone": (np.stack([cv2.resize(f, out, interpolation=cv2.INTER_CUBIC) for f in sq]), None, 25.0)}
    if size != 1080:
        from generator.corpus.build import build_clip

        c = build_clip(root / "corpus", seconds=max(1.0, frames / 25), seed=0, size=size, name="talk")
        clips["talk"] = (read_frames(c.video), read_audio(c.video).samples.astype(np.float32) / 32768,
                         probe(c.video).fps)
    rng = np.random.default_rng(0)
    for name, (fr, audio, fps) in clips.items():
        write_video(truth / f"{name}.mp4", fr, fps=fps, audio=audio, crf=10, threads=1)
        write_video(dirs["real"] / f"{name}.mp4", fr, fps=fps, audio=audio, threads=1)
        write_video(dirs["shaken"] / f"{name}.mp4", [shift_frame(f, *rng.integers(-3, 4, 2)) for f in fr], fps=fps,
                    audio=audio, threads=1)
    return dirs, truth


def make_short_recipe(root: Path, utterances: int, frames: int, size: int = 256) -> tuple[dict[str, Path], Path]:
    """``utterances`` short utterances of ``frames`` frames each: consecutive pieces of one synthetic
    talking clip (espeak-ng speech) with their audio, each the truth of `real` (re-encoded) and
    `shaken` (whole-pixel shifts), as :func:`make_recipe` makes them."""
    from generator.corpus.build import build_clip
    from msi.io.audio import read_audio
    from msi.io.video import probe, read_frames, write_video
    from msi.plots.slices import shift_frame

    truth = root / "truth"
    dirs = {m: root / m for m in ("real", "shaken")}
    for d in (truth, *dirs.values()):
        d.mkdir(parents=True)
    c = build_clip(root / "corpus", seconds=max(1.0, utterances * frames / 25), seed=0, size=size, name="talk")
    fr, a, fps = read_frames(c.video), read_audio(c.video), probe(c.video).fps
    samples = a.samples.astype(np.float32) / 32768
    rng = np.random.default_rng(0)
    for u in range(utterances):
        piece = fr[u * frames:(u + 1) * frames]
        sound = samples[int(round(u * frames / fps * a.sample_rate)):int(round((u + 1) * frames / fps * a.sample_rate))]
        kw = {"fps": fps, "audio": sound, "sample_rate": a.sample_rate, "threads": 1}
        write_video(truth / f"u{u}.mp4", piece, crf=10, **kw)
        write_video(dirs["real"] / f"u{u}.mp4", piece, **kw)
        write_video(dirs["shaken"] / f"u{u}.mp4", [shift_frame(f, *rng.integers(-3, 4, 2)) for f in piece], **kw)
    return dirs, truth


def network_weights(root: Path) -> dict:
    """Random weights in the official files: pytorch-fid's InceptionV3 state dict, torchvision's
    AlexNet + LPIPS v0.1 linear layers, syncnet_python's SyncNet state dict."""
    import torch

    from msi.metrics.syncnet import SyncNet
    from msi.networks.inception import FIDInceptionV3

    torch.manual_seed(0)
    root.mkdir(parents=True, exist_ok=True)
    torch.save(FIDInceptionV3().state_dict(), root / "pt_inception-random.pth")
    sys.path.insert(0, str(ROOT / "tests" / "msi"))
    from torchvision_oracle import import_torchvision

    import_torchvision()
    import torchvision.models as tv

    torch.save(tv.alexnet(weights=None).state_dict(), root / "alexnet-random.pth")
    torch.save({f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1) for k, c in enumerate((64, 192, 384, 256, 256))},
               root / "lin-alex.pth")
    torch.save(SyncNet().state_dict(), root / "syncnet-random.model")
    return {"weights": {"inception": str(root / "pt_inception-random.pth"),
                        "lpips": (str(root / "alexnet-random.pth"), str(root / "lin-alex.pth"))},
            "syncnet": str(root / "syncnet-random.model")}


def bare_sum(dirs: dict[str, Path], truth: Path, nets: dict | None) -> dict:
    """Seconds of one decode, one tracking pass and each column's computation, per distinct video."""
    from msi.acquire import get_landmarks
    from msi.comparison.compare import list_videos
    from msi.comparison.video_columns import run_metric
    from msi.io.audio import read_audio
    from msi.io.video import iter_frames, probe
    from msi.metrics.column import VideoContext
    from msi.metrics.registry import SET_METRICS, VIDEO_METRICS
    from msi.provenance.declared import SCORE_MARK_FRAMES, declared_generated
    from msi.score import score_landmarks
    from msi.settings import Settings

    settings = Settings()
    t = collections.Counter()
    cpu = collections.Counter()  # CPU seconds of this process (all its threads): a loaded machine's wall lies
    frames_n = collections.Counter()
    loaded: dict[str, dict] = {}

    def load(path: Path) -> dict:
        if str(path) in loaded:
            return loaded[str(path)]
        t0, c0 = time.perf_counter(), time.process_time()
        frames = list(iter_frames(path))
        try:
            audio = read_audio(path)
        except Exception as exc:  # noqa: BLE001 - a clip without audio
            audio = exc
        t["decode"] += time.perf_counter() - t0
        cpu["decode"] += time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        lm = get_landmarks(path, settings, cache=False)
        t["track"] += time.perf_counter() - t0
        cpu["track"] += time.process_time() - c0
        loaded[str(path)] = {"frames": frames, "audio": audio, "lm": lm, "fps": probe(path).fps}
        return loaded[str(path)]

    def ctx_of(path: Path, truth_ctx=None) -> VideoContext:
        d = load(path)

        def audio():
            if isinstance(d["audio"], Exception):
                raise d["audio"]
            return d["audio"]

        return VideoContext(str(path), settings=settings, truth=truth_ctx,
                            weights=(nets or {}).get("weights"), syncnet_weights=(nets or {}).get("syncnet"),
                            track=lambda: d["lm"], score=lambda lm: score_landmarks(lm.landmarks, lm.fps, settings),
                            audio=audio, frames=lambda: iter(d["frames"]), frame_rate=lambda: d["fps"])

    cpu0 = time.process_time()
    truths = list_videos(truth)
    for method, folder in dirs.items():
        for name, path in list_videos(folder).items():
            tctx = ctx_of(truths[name]) if name in truths else None
            ctx = ctx_of(path, tctx)
            t0, c0 = time.perf_counter(), time.process_time()
            ctx.score
            t["msi score"] += time.perf_counter() - t0
            cpu["msi score"] += time.process_time() - c0
            frames_n["msi score"] += len(loaded[str(path)]["frames"])
            for metric in (*VIDEO_METRICS, *SET_METRICS):
                t0, c0 = time.perf_counter(), time.process_time()
                run_metric(metric, ctx)
                t[metric.title] += time.perf_counter() - t0
                cpu[metric.title] += time.process_time() - c0
                frames_n[metric.title] += len(loaded[str(path)]["frames"])
            # the row's declared_generated: C2PA manifest, else the watermark in the first frames,
            # else the audio mark in the decoded audio (as compare: no decode of its own)
            t0, c0 = time.perf_counter(), time.process_time()
            declared_generated(path, frames=iter(loaded[str(path)]["frames"]), audio=lambda c=ctx: c.audio)
            t["declared generated"] += time.perf_counter() - t0
            cpu["declared generated"] += time.process_time() - c0
            frames_n["declared generated"] += min(SCORE_MARK_FRAMES, len(loaded[str(path)]["frames"]))
    if nets:
        for name, path in truths.items():  # the reference set's features
            tctx = ctx_of(path)
            for metric in SET_METRICS:
                if all(tctx.has(n) for n in metric.needs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    run_metric(metric, tctx)
                    t[metric.title] += time.perf_counter() - t0
                    cpu[metric.title] += time.process_time() - c0
                    frames_n[metric.title] += len(loaded[str(path)]["frames"])
    return {"seconds": dict(t), "cpu_seconds": dict(cpu), "frames": dict(frames_n), "total": sum(t.values()), "cpu": time.process_time() - cpu0,
            "videos": len(loaded), "video_frames": sum(len(d["frames"]) for d in loaded.values())}


CPU = [0.0]


def timed_compare(dirs, truth, cache, nets=None, workers=1, cluster=None) -> float:
    from msi.comparison.compare import compare_methods

    kw = {}
    if cluster:
        kw["cluster"] = cluster
    t0, c0 = time.perf_counter(), time.process_time()
    df = compare_methods(dirs, truth, syncnet_weights=(nets or {}).get("syncnet"), cache=cache, workers=workers,
                         weights=(nets or {}).get("weights"), device="cpu", **kw)
    dt = time.perf_counter() - t0
    CPU[-1] = time.process_time() - c0  # this process's CPU seconds (workers' not included)
    bad = df[df["error"].notna()]
    if len(bad):
        raise SystemExit(f"compare failed: {bad[['path', 'error']].to_dict('records')}")
    return dt


def decodes_per_file(dirs, truth, cache) -> dict[str, int]:
    import msi.io.video as video_io
    from msi.comparison.compare import compare_methods

    opened = collections.Counter()
    real = video_io.iter_frames

    def counted(path, *a, **k):
        opened[Path(path).parent.name + "/" + Path(path).name] += 1
        return real(path, *a, **k)

    video_io.iter_frames = counted
    try:
        compare_methods(dirs, truth, cache=cache)
    finally:
        video_io.iter_frames = real
    return dict(opened)


def landmarks_only(root: Path, name: str) -> str:
    """A fresh copy of ``root/cache`` without its feature entries: landmarks warm, every column
    computed again (the feature cache would otherwise answer the whole run)."""
    dst = root / name
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(root / "cache", dst, ignore=shutil.ignore_patterns("features"))
    return str(dst)


def run_size(size: int, frames: int, networks: bool, workers_too: bool, tmp: Path) -> dict:
    root = tmp / f"s{size}"
    dirs, truth = make_recipe(root, size, frames)
    res: dict = {"size": size}
    bare = bare_sum(dirs, truth, None)
    first = timed_compare(dirs, truth, str(root / "cache"))
    res.update(bare=bare, compare=first, ratio_floor=first / bare["total"], compare_cpu=CPU[-1],
               ratio_cpu=CPU[-1] / bare["cpu"])
    res["decodes"] = decodes_per_file(dirs, truth, landmarks_only(root, "cache-decodes"))
    print(report([res]), flush=True)  # what is measured so far (a loaded machine may not finish)
    if workers_too:
        one = timed_compare(dirs, truth, landmarks_only(root, "cache-w1"), workers=1)
        two = timed_compare(dirs, truth, landmarks_only(root, "cache-w2"), workers=2)
        res.update(workers1=one, workers2=two)
        try:
            local2 = timed_compare(dirs, truth, landmarks_only(root, "cache-c2"), cluster="local:2")
            res["cluster_local2"] = local2
        except TypeError:
            res["cluster_local2"] = None  # no compare on Dask in this build
        print(report([res]), flush=True)
    if networks:
        run_networks(res, root)
    return res


def run_networks(res: dict, root: Path) -> None:
    """The network part of ``res`` on the recipe in ``root`` (landmarks already cached there)."""
    from msi.comparison.compare import list_videos

    dirs = {m: root / m for m in ("real", "shaken")}
    truth = root / "truth"
    assert all(list_videos(d) for d in dirs.values())
    nets = network_weights(root / "weights")
    nbare = bare_sum(dirs, truth, nets)
    cache = landmarks_only(root, "cache-nets")  # landmarks warm both ways
    nbare_tracking = nbare["seconds"].get("track", 0.0)
    ncomp = timed_compare(dirs, truth, cache, nets)
    ncpu = CPU[-1]
    warm = timed_compare(dirs, truth, cache, nets)
    res.update(net_cpu=ncpu, warm_cpu=CPU[-1])
    # the compare ran with landmarks cached: its floor is the bare sum without tracking
    floor = nbare["total"] - nbare_tracking
    res.update(net_bare=nbare, net_compare=ncomp, net_ratio=ncomp / floor, warm=warm, warm_ratio=warm / ncomp)


def run_batching(root: Path, utterances: int, frames: int, batch: int, repeats: int) -> dict:
    """The networks' columns (FID, LPIPS, LSE) of a recipe of short utterances, each utterance job
    run with its videos batched alone and batched together (:mod:`msi.networks.batching`),
    alternating, in this process: CPU and wall seconds of each, and every forward's batch."""
    import msi.networks.batching as batching
    from msi.comparison.compare import compare_methods, utterance_jobs
    from msi.comparison.video_columns import utterance_columns
    from msi.metrics.lse import syncnet
    from msi.metrics.networks import network, use_device

    dirs, truth = make_short_recipe(root, utterances, frames)
    nets = network_weights(root / "weights")
    cache = root / "cache"
    compare_methods(dirs, truth, cache=str(cache), device="cpu")  # landmarks warm: the networks' part only
    use_device("cpu", batch)
    for kind, w in nets["weights"].items():
        network(kind, w)  # loaded before timing (once per process, as compare does)
    syncnet(nets["syncnet"])
    jobs = utterance_jobs(dirs, truth, nets["syncnet"], None, str(cache), weights=nets["weights"], device="cpu",
                          batch_size=batch)
    sizes: list[int] = []
    real_run = batching.Batcher._run

    def counted(self, b):
        sizes.append(len(b.inputs))
        return real_run(self, b)

    batching.Batcher._run = counted
    out: dict = {"utterances": utterances, "frames": frames, "batch": batch, "videos": 3 * utterances,
                 "load_before": os.getloadavg()[0]}
    try:
        for rep in range(repeats):
            for cross in ((False, True) if rep % 2 == 0 else (True, False)):
                shutil.rmtree(cache / "features", ignore_errors=True)  # every column computed again
                sizes.clear()
                t0, c0 = time.perf_counter(), time.process_time()
                for _, videos, tpath, sync, settings, _, cs, w, tf, *_ in jobs:
                    rows, _ = utterance_columns(videos, tpath, sync, settings, str(cache), cs, w, tf, cross_video=cross)
                    bad = [r for r in rows.values() if isinstance(r, BaseException)]
                    if bad:
                        raise SystemExit(f"compare failed: {bad[0]}")
                key = "across" if cross else "alone"
                out.setdefault(key, []).append((time.process_time() - c0, time.perf_counter() - t0))
                out[f"{key}_forwards"] = len(sizes)
                out[f"{key}_mean_batch"] = float(np.mean(sizes))
    finally:
        batching.Batcher._run = real_run
        use_device("cpu", None)
    out["load_after"] = os.getloadavg()[0]
    return out


def run_scaling(root: Path, utterances: int, frames: int, repeats: int) -> dict:
    """Wall seconds of `compare_methods` (no networks; landmarks cached, feature cache empty: the
    columns only) on ``utterances`` short utterances x 2 methods: --workers 1; --workers 2 (this
    process one of the two, one worker spawned); --workers 2 with both spawned (as before
    2026-12-07); --cluster local:2. Alternating, ``repeats`` times each, in this run."""
    import msi.parallel as parallel
    from msi.comparison.compare import compare_methods

    dirs, truth = make_short_recipe(root, utterances, frames)
    compare_methods(dirs, truth, cache=str(root / "cache"), device="cpu")  # landmarks warm
    real_imap = parallel.imap_jobs

    def both_spawned(fn, jobs, workers=1, parent_works=False):
        return real_imap(fn, jobs, workers)

    configs = {"workers1": {"workers": 1}, "workers2": {"workers": 2}, "workers2_spawned": {"workers": 2},
               "cluster_local2": {"cluster": "local:2"}}
    out: dict = {"utterances": utterances, "frames": frames, "load": [os.getloadavg()[0]]}
    for rep in range(repeats):
        order = list(configs) if rep % 2 == 0 else list(reversed(configs))
        for name in order:
            parallel.imap_jobs = both_spawned if name == "workers2_spawned" else real_imap
            try:
                dt = timed_compare(dirs, truth, landmarks_only(root, f"cache-{name}"), **configs[name])
            finally:
                parallel.imap_jobs = real_imap
            out.setdefault(name, []).append(dt)
            out["load"].append(os.getloadavg()[0])
    return out


def scaling_report(r: dict) -> str:
    m = {k: float(np.mean(r[k])) for k in ("workers1", "workers2", "workers2_spawned", "cluster_local2")}
    each = ", ".join(f"{k} {[round(x, 1) for x in r[k]]}" for k in m)
    return "\n".join([
        f"## workers: {r['utterances']} utterances x 2 methods (+ truth), {r['frames']} frames each, no networks, "
        f"landmarks cached; wall s, mean of {len(r['workers1'])} alternating repetitions (load average "
        f"{min(r['load']):.1f}-{max(r['load']):.1f} at the runs' starts and ends)",
        f"--workers 1 {m['workers1']:.1f}; --workers 2 {m['workers2']:.1f} (parent + 1 spawned); both spawned "
        f"{m['workers2_spawned']:.1f}; --cluster local:2 {m['cluster_local2']:.1f}",
        f"--workers 2 over 1: {m['workers2'] / m['workers1']:.2f}x (both spawned: "
        f"{m['workers2_spawned'] / m['workers1']:.2f}x); --cluster local:2 over --workers 2: "
        f"{m['cluster_local2'] / m['workers2']:.2f}x",
        f"each: {each}", ""])


def batching_report(r: dict) -> str:
    cpu = {k: float(np.mean([c for c, _ in r[k]])) for k in ("alone", "across")}
    wall = {k: float(np.mean([w for _, w in r[k]])) for k in ("alone", "across")}
    return "\n".join([
        f"## batching: {r['utterances']} utterances x (2 methods + truth), {r['frames']} frames each, "
        f"--batch-size {r['batch']}, FID + LPIPS + LSE, {len(r['alone'])} alternating repetitions "
        f"(load average {r['load_before']:.1f} before, {r['load_after']:.1f} after)",
        f"each video batched alone: {cpu['alone']:.1f} CPU s ({wall['alone']:.1f} wall), {r['alone_forwards']} "
        f"forwards of {r['alone_mean_batch']:.1f} inputs on average",
        f"videos of a job batched together: {cpu['across']:.1f} CPU s ({wall['across']:.1f} wall), "
        f"{r['across_forwards']} forwards of {r['across_mean_batch']:.1f} inputs on average",
        f"together / alone: {cpu['across'] / cpu['alone']:.2f}x CPU, {wall['across'] / wall['alone']:.2f}x wall "
        f"(each repetition, CPU s: alone {[round(c, 1) for c, _ in r['alone']]}, "
        f"together {[round(c, 1) for c, _ in r['across']]})", ""])


def report(results: list[dict]) -> str:
    lines = []
    for r in results:
        b = r["bare"]
        per = b["video_frames"]
        lines.append(f"## {r['size']} px: {b['videos']} distinct videos, {per} frames")
        lines.append(f"compare (fresh landmark cache) {r['compare']:.1f} s; bare sum {b['total']:.1f} s "
                     f"(decode {b['seconds'].get('decode', 0):.1f}, track {b['seconds'].get('track', 0):.1f}); "
                     f"ratio {r['ratio_floor']:.2f}x wall; CPU s {r['compare_cpu']:.1f} / {b['cpu']:.1f} = "
                     f"{r['ratio_cpu']:.2f}x")
        lines.append("decodes per file (landmark cache warm): " + json.dumps(r["decodes"], sort_keys=True))
        lines.append("| column | CPU ms / frame | wall ms / frame |")
        lines.append("|---|---|---|")
        for k, v in sorted(b["cpu_seconds"].items(), key=lambda kv: -kv[1]):
            n = b["frames"].get(k) or (per if k in ("decode", "track") else None)
            if n and v > 0.0005:
                lines.append(f"| {k} | {1000 * v / n:.2f} | {1000 * b['seconds'][k] / n:.2f} |")
        if "workers2" in r:
            lines.append(f"workers 2 over 1 (landmarks cached): {r['workers2']:.1f} / {r['workers1']:.1f} s = "
                         f"{r['workers2'] / r['workers1']:.2f}x")
            if r.get("cluster_local2"):
                lines.append(f"cluster local:2 over workers 2: {r['cluster_local2']:.1f} / {r['workers2']:.1f} s = "
                             f"{r['cluster_local2'] / r['workers2']:.2f}x")
        if "net_compare" in r:
            nb = r["net_bare"]
            lines.append(f"with networks: compare {r['net_compare']:.1f} s over the floor + bare forwards "
                         f"{nb['total'] - nb['seconds'].get('track', 0):.1f} s = {r['net_ratio']:.2f}x; "
                         f"warm feature cache rerun {r['warm']:.1f} s = {r['warm_ratio']:.3f}x of the first; "
                         f"CPU s: compare {r['net_cpu']:.1f}, bare {nb['cpu']:.1f} (tracking included there), "
                         f"warm rerun {r['warm_cpu']:.1f} = {r['warm_cpu'] / r['net_cpu']:.3f}x")
            for k in ("FID", "LPIPS", "LSE-C/LSE-D/AV offset"):
                if k in nb["cpu_seconds"] and nb["frames"].get(k):
                    lines.append(f"  {k}: {nb['frames'][k] / nb['cpu_seconds'][k]:.1f} frames per CPU second "
                                 f"({nb['frames'][k] / nb['seconds'][k]:.1f} per wall second) on this CPU")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="default 256 1080 (none with --batching alone)")
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--frames-1080", type=int, default=30)
    ap.add_argument("--networks", action="store_true", help="also the networks, on a 256 px recipe of --net-frames")
    ap.add_argument("--net-frames", type=int, default=25)
    ap.add_argument("--workers", action="store_true", help="also --workers 2 over 1 and --cluster local:2")
    ap.add_argument("--batching", action="store_true",
                    help="also the networks' inputs batched per video vs across the videos of a job, on a recipe "
                         "of --batch-utterances short utterances of --batch-frames frames at --batch-size")
    ap.add_argument("--batch-utterances", type=int, default=4)
    ap.add_argument("--batch-frames", type=int, default=14, help="frames per utterance (MSI needs 14)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2, help="alternating repetitions of the batching and scaling parts")
    ap.add_argument("--scaling", action="store_true",
                    help="also --workers 1 / 2 and --cluster local:2 on --scale-utterances utterances of --scale-frames")
    ap.add_argument("--scale-utterances", type=int, default=8)
    ap.add_argument("--scale-frames", type=int, default=25)
    ap.add_argument("--json", default=None, metavar="FILE")
    a = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MSI_CACHE_DIR"] = str(Path(tmp) / "default-cache")
        if a.batching:
            res = run_batching(Path(tmp) / "batching", a.batch_utterances, a.batch_frames, a.batch_size, a.repeats)
            print(batching_report(res), flush=True)
            results.append({"batching": res})
        if a.scaling:
            res = run_scaling(Path(tmp) / "scaling", a.scale_utterances, a.scale_frames, a.repeats)
            print(scaling_report(res), flush=True)
            results.append({"scaling": res})
        for size in a.sizes if a.sizes is not None else ([] if a.batching or a.scaling else [256, 1080]):
            results.append(run_size(size, a.frames_1080 if size == 1080 else a.frames, False,
                                    a.workers and size != 1080, Path(tmp)))
            print(report(results[-1:]), flush=True)
        if a.networks:
            results.append(run_size(256, a.net_frames, True, False, Path(tmp) / "networks"))
            print(report(results[-1:]), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
