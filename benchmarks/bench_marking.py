"""What the generator's marking costs and how well the watermark is read, in one run.

    python benchmarks/bench_marking.py [--clips 20] [--seconds 4] [--parts detection,effect,time,score_cost,audio_cost]

Sets (every clip 256 x 256, 25 fps, written as ``stableface synthesize`` writes: H.264 crf 18):

* real: the bundled clips (carphone pristine and distorted, bikes, bigbuckbunny), first
  --seconds, centre-cropped square;
* synthetic: --clips seeded synthetic corpus clips (``generator.corpus.build_clip``, seeds 0..N-1),
  the same talking heads the generator's tests and bench train on.

1. Detection rate: each clip marked (a random run id per clip), then re-encoded as an upload would
   (FFmpeg filters through PyAV, libx264): as written; crf 28; half size (crf 23); 25 -> 30 fps
   (crf 23); the first 2 s cut (crf 23); half size and crf 28 together. Detection rate: found
   (z >= 6); payload rate: found with the exact run id. False-positive rate: the same clips
   unmarked (as written and after each transform) found.
2. Effect on the video: each synthetic clip (a talking head, the stand-in for a render) written
   unmarked, with the label, with the mark, with both; MSI-Lip and MSI-Jaw (``msi score``, the
   default tracker; per clip, the signed and the absolute change) and SSIM / PSNR (``msi.metrics.quality``, frame by frame) against the unmarked video.
3. Time added to ``synthesize`` per frame: label, watermark (256 px) and C2PA signing (per video
   of --seconds), timed in interleaved rounds, with a tiny run's whole ``synthesize`` (a 64 px
   model trained 2 steps, written at 256 px) with every mark on and with every mark off.
4. (``--parts score_cost``) What ``declared_generated`` adds to ``msi score``: per bundled clip,
   scoring (tracking, cache off) and the column alone, in interleaved rounds.
5. (``--parts audio_cost``) What reading the audio mark adds, on videos with a speech track: the
   carphone face (176 x 144, 25 fps) looped under real espeak-ng speech of about 5 s and 20 s
   (AAC, as ``synthesize`` muxes it), unmarked (every source read: the worst case) and with the
   audio mark (the reads stop at it), and bigbuckbunny (its own soundtrack, 1280 x 720). Per
   video, in interleaved rounds: ``msi score`` (tracking, cache off, the column included); the
   column alone; its parts alone: the manifest, the audio decoded (as ``read_audio``, which
   ``msi compare``'s audio columns share), the audio mark read from that decoded track, the
   first 25 frames decoded and read for the frame mark.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from reencode import transcode

TRANSFORMS = {
    "file": None,
    "crf 28": dict(crf=28),
    "half size": dict(filters=[("scale", "128:128")]),
    "25 -> 30 fps": dict(filters=[("fps", "30")]),
    "2 s cut": dict(start=2.0),
    "half size + crf 28": dict(crf=28, filters=[("scale", "128:128")]),
}


def square(frames, side=256):
    import cv2

    out = []
    for f in frames:
        h, w = f.shape[:2]
        s = min(h, w)
        y, x = (h - s) // 2, (w - s) // 2
        out.append(cv2.resize(f[y:y + s, x:x + s], (side, side), interpolation=cv2.INTER_AREA))
    return np.stack(out)


def clip_sets(tmp: Path, n_clips: int, seconds: float) -> dict[str, list[tuple[str, np.ndarray]]]:
    from generator.corpus.build import build_clip
    from msi.io.samples import SAMPLE_NAMES, sample_path
    from msi.io.video import read_frames

    n = int(round(seconds * 25))
    real = [(name, square(read_frames(sample_path(name), limit=n))) for name in SAMPLE_NAMES]
    synthetic = []
    for seed in range(n_clips):
        p = build_clip(tmp / f"corpus{seed}", seconds=seconds, seed=seed, size=256)
        synthetic.append((f"corpus seed {seed}", read_frames(p.video)))
    return {"real": real, "synthetic": synthetic}


def detection(tmp: Path, sets: dict) -> dict:
    from generator.marking.watermark import embed
    from msi.io.video import write_video
    from msi.provenance.watermark import read_video

    rng = np.random.default_rng(0)
    out = {}
    for set_name, clips in sets.items():
        res = {t: {"read": 0, "found": 0, "false_positive": 0, "z_marked": [], "z_plain": []} for t in TRANSFORMS}
        for k, (name, frames) in enumerate(clips):
            run_id = f"{int(rng.integers(0, 2 ** 32)):08x}"
            for kind in ("marked", "plain"):
                src = tmp / f"{set_name}{k}_{kind}.mp4"
                write_video(src, embed(frames, run_id) if kind == "marked" else frames, fps=25, crf=18, threads=1)
                for t, kw in TRANSFORMS.items():
                    path = src
                    if kw is not None:
                        path = tmp / "t.mp4"
                        transcode(src, path, **kw)
                    r = read_video(path)
                    if kind == "marked":
                        res[t]["read"] += int(r.found and r.run_id == run_id)
                        res[t]["found"] += int(r.found)
                        res[t]["z_marked"].append(r.z)
                    else:
                        res[t]["false_positive"] += int(r.found)
                        res[t]["z_plain"].append(r.z)
        out[set_name] = {t: {"clips": len(clips), "detection_rate": v["found"] / len(clips),
                             "payload_rate": v["read"] / len(clips),
                             "false_positive_rate": v["false_positive"] / len(clips),
                             "z_marked_min": min(v["z_marked"]), "z_marked_median": statistics.median(v["z_marked"]),
                             "z_plain_max": max(v["z_plain"])} for t, v in res.items()}
    return out


def effect(tmp: Path, clips: list) -> dict:
    from generator.marking import label as L
    from generator.marking.watermark import embed
    from msi.io.video import read_frames, write_video
    from msi.metrics.quality import video_ssim_psnr
    from msi.score import score_video
    from msi.settings import Settings

    variants = {"unmarked": (False, False), "label": (True, False), "watermark": (False, True), "both": (True, True)}
    rows = {v: {"msi_lip": [], "msi_jaw": [], "ssim": [], "psnr": []} for v in variants}
    for k, (name, frames) in enumerate(clips):
        decoded = {}
        for v, (lab, mark) in variants.items():
            f = iter(frames)
            if lab:
                f = L.labelled(f, L.place(256, 256, None))  # the first corner: a face-free corner is not looked for here
            if mark:
                f = embed(f, "0123abcd")
            p = tmp / f"effect{k}_{v}.mp4"
            write_video(p, f, fps=25, crf=18, threads=1)
            decoded[v] = read_frames(p)
            scored = score_video(p, Settings(), cache=False)
            rows[v]["msi_lip"].append(scored.msi_lip)
            rows[v]["msi_jaw"].append(scored.msi_jaw)
        for v in variants:
            s, q = video_ssim_psnr(decoded[v], decoded["unmarked"])
            rows[v]["ssim"].append(s)
            rows[v]["psnr"].append(q)
    out = {}
    for v, r in rows.items():
        out[v] = {"clips": len(clips)}
        for col in ("msi_lip", "msi_jaw"):  # the change per clip: signed (a bias) and absolute (noise included)
            base = np.array(rows["unmarked"][col])
            m = np.array(r[col])
            d = m - base
            out[v].update({f"{col}_mean": float(np.nanmean(m)), f"{col}_diff_mean": float(np.nanmean(d)),
                           f"{col}_diff_abs_max": float(np.nanmax(np.abs(d))),
                           f"{col}_rel_diff_mean": float(np.nanmean(d / base)),
                           f"{col}_rel_diff_abs_mean": float(np.nanmean(np.abs(d / base))),
                           f"{col}_rel_diff_abs_max": float(np.nanmax(np.abs(d / base)))})
        out[v].update({"ssim_mean": float(np.nanmean(r["ssim"])), "ssim_min": float(np.nanmin(r["ssim"])),
                       "psnr_mean": float(np.mean([x for x in r["psnr"] if np.isfinite(x)])) if v != "unmarked"
                       else None})
    return out


def timing(tmp: Path, frames: np.ndarray, rounds: int) -> dict:
    import torch

    from generator.config import tiny
    from generator.marking import label as L
    from generator.marking.credentials import manifest_definition, sign_video, signer
    from generator.marking.watermark import embed
    from generator.synthesize import synthesize
    from generator.train import train
    from msi.io.video import write_video

    torch.set_num_threads(1)
    from generator.corpus.build import build_clip
    from generator.data import prepare

    src = build_clip(tmp / "tclip", seconds=4.0, seed=99, size=256)
    prepare.prepare(prepare.PrepareConfig(video=Path(src.video), out=tmp / "tdata", size=64), progress=False)
    train(tmp / "tdata", tmp / "trun", tiny(), max_steps=2, progress=False)
    write_video(tmp / "plain.mp4", frames, fps=25, crf=18, threads=1)
    sig = signer()
    definition = manifest_definition("x.mp4", checkpoint_sha256="0" * 64, run_step=2, run_id="00000000",
                                     visible_label=True, watermark=True)
    place = L.place(256, 256, None)
    n = len(frames)
    times = {k: [] for k in ("label", "watermark", "c2pa", "synthesize all on", "synthesize all off")}
    for _ in range(rounds):
        t = time.perf_counter()
        list(L.labelled(frames, place))
        times["label"].append((time.perf_counter() - t) / n)
        t = time.perf_counter()
        list(embed(frames, "0123abcd"))
        times["watermark"].append((time.perf_counter() - t) / n)
        t = time.perf_counter()
        sign_video(tmp / "plain.mp4", tmp / "signed.mp4", definition, sig)
        times["c2pa"].append((time.perf_counter() - t) / n)
        for key, on in (("synthesize all on", True), ("synthesize all off", False)):
            t = time.perf_counter()
            r = synthesize(tmp / "trun", tmp / "s.mp4", background=tmp / "tdata", audio_path=src.wav, device="cpu",
                           progress=False, visible_label=on, watermark=on, credentials=on)
            times[key].append((time.perf_counter() - t) / r["frames"])
    return {k: {"ms_per_frame_median": 1000 * statistics.median(v), "rounds": len(v)} for k, v in times.items()}


def score_cost(rounds: int) -> dict:
    """Per bundled clip: seconds of ``msi score``'s scoring without the cache (tracking) and of
    its ``declared_generated`` (manifest + the first 25 frames read for the mark), interleaved."""
    from msi.errors import MSIError
    from msi.io.samples import SAMPLE_NAMES, sample_path
    from msi.io.video import probe
    from msi.provenance.declared import declared_generated
    from msi.score import score_video
    from msi.settings import Settings

    out = {}
    for name in SAMPLE_NAMES:
        p = sample_path(name)
        info = probe(p)
        score_s, declared_s = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            try:
                score_video(p, Settings(), cache=False)  # includes one declared_generated
            except MSIError:  # no face (bigbuckbunny): tracked all the same, then refused
                pass
            score_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            declared_generated(p)
            declared_s.append(time.perf_counter() - t)
        s, dcl = statistics.median(score_s), statistics.median(declared_s)
        out[name] = {"size": f"{info.width}x{info.height}", "frames": info.n_frames, "score_s": round(s, 3),
                     "declared_generated_s": round(dcl, 3), "share_of_score": round(dcl / s, 3)}
    return out


SENTENCES = ("The quick brown fox jumps over the lazy dog, and then it runs back home across the field.",
             "Good morning, the weather is fine today and the trains are running on time.",
             "She sells sea shells by the sea shore, and the shells she sells are surely sea shells.",
             "A journey of a thousand miles begins with a single step, or so the saying goes.")


def audio_videos(tmp: Path) -> dict[str, Path]:
    """The carphone face under about 5 s and 20 s of espeak-ng speech, unmarked and marked, and
    bigbuckbunny."""
    from generator.data.audio import load_audio
    from generator.marking.audio_mark import embed
    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video
    from msi.provenance.audio_mark import RATE

    waves = []
    for i, text in enumerate(SENTENCES):
        subprocess.run(["espeak-ng", "-w", str(tmp / f"s{i}.wav"), text], check=True)
        waves.append(load_audio(tmp / f"s{i}.wav", RATE))
    face = read_frames(sample_path("carphone_pristine.mp4"))
    out = {}
    for label, speech in (("5 s", waves[0]), ("20 s", np.concatenate(waves))):
        frames = face[np.arange(int(len(speech) / RATE * 25)) % len(face)]
        for kind, audio in (("unmarked", speech), ("audio mark", embed(speech, "a0d10c0e"))):
            p = tmp / f"speech_{label.replace(' ', '')}_{kind.replace(' ', '')}.mp4"
            write_video(p, frames, fps=25, crf=18, audio=audio, sample_rate=RATE, threads=1)
            out[f"carphone face, {label} of speech, {kind}"] = p
    out["bigbuckbunny (its soundtrack)"] = sample_path("bigbuckbunny.mp4")
    return out


def audio_cost(tmp: Path, rounds: int) -> dict:
    """Per video with audio: seconds of ``msi score`` (cache off), of its ``declared_generated``
    and of that column's parts, each alone, interleaved; medians of ``rounds``."""
    from msi.errors import MSIError
    from msi.io.audio import read_audio
    from msi.io.video import probe
    from msi.provenance import audio_mark
    from msi.provenance.declared import SCORE_MARK_FRAMES, declared_generated
    from msi.provenance.manifest import read_manifest
    from msi.provenance.watermark import read_video
    from msi.score import score_video
    from msi.settings import Settings

    def scored(p):
        try:
            score_video(p, Settings(), cache=False)  # includes one declared_generated
        except MSIError:  # no face (bigbuckbunny): tracked all the same, then refused
            pass

    out = {}
    for name, p in audio_videos(tmp).items():
        info = probe(p)
        track = read_audio(p, audio_mark.RATE)
        steps = {"score_s": lambda: scored(p), "declared_generated_s": lambda: declared_generated(p),
                 "manifest_s": lambda: read_manifest(p), "audio_decode_s": lambda: read_audio(p, audio_mark.RATE),
                 "audio_mark_read_s": lambda: audio_mark.read_track(track),
                 "frame_mark_s": lambda: read_video(p, max_frames=SCORE_MARK_FRAMES, spread=False)}
        times: dict[str, list[float]] = {k: [] for k in steps}
        for _ in range(rounds):
            for key, step in steps.items():
                t = time.perf_counter()
                step()
                times[key].append(time.perf_counter() - t)
        m = {k: statistics.median(v) for k, v in times.items()}
        audio_s = m["audio_decode_s"] + m["audio_mark_read_s"]
        seconds = len(track.samples) / audio_mark.RATE
        out[name] = {"size": f"{info.width}x{info.height}", "frames": info.n_frames, "audio_seconds": round(seconds, 2),
                     "declared": declared_generated(p), **{k: round(v, 3) for k, v in m.items()},
                     "audio_mark_share_of_score": round(audio_s / m["score_s"], 3),
                     "declared_share_of_score": round(m["declared_generated_s"] / m["score_s"], 3),
                     "audio_mark_ms_per_audio_s": round(1000 * audio_s / seconds, 1),
                     "audio_mark_over_frame_mark": round(audio_s / m["frame_mark_s"], 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="docs/generator/marking_bench.json")
    ap.add_argument("--parts", default="detection,effect,time,score_cost,audio_cost",
                    help="which parts to run; the others are kept from --out if it exists")
    a = ap.parse_args()
    parts = a.parts.split(",")
    out = Path(a.out)
    result = json.loads(out.read_text()) if out.is_file() else {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        import os

        os.environ.setdefault("STABLEFACE_CONFIG_DIR", str(tmp / "config"))  # the local certificate: not the user's
        sets = clip_sets(tmp, a.clips, a.seconds) if set(parts) - {"score_cost", "audio_cost"} else {}
        runs = {"detection": lambda: detection(tmp, sets), "effect": lambda: effect(tmp, sets["synthetic"]),
                "time": lambda: timing(tmp, sets["synthetic"][0][1], a.rounds),
                "score_cost": lambda: score_cost(a.rounds), "audio_cost": lambda: audio_cost(tmp, a.rounds)}
        for part in parts:
            result[part] = runs[part]()
            print(json.dumps(result[part], indent=1), flush=True)
            result["machine"] = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
            out.write_text(json.dumps(result, indent=1) + "\n")  # each part as soon as it is done
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
