"""Measure the audio mark on espeak-ng speech muxed into mp4 as ``stableface synthesize`` writes
it, through the issue's re-encodes; false positives on the unmarked copies and on bigbuckbunny.mp4
(the only real clip with audio on the machine). The mark is the library's:
generator.marking.audio_mark writes it, msi.provenance.audio_mark reads it.

    PYTHONPATH=. python research/audio_mark/measure.py --utterances 10 --out research/audio_mark/results.json

Copies (PyAV, libx264 + FFmpeg's native AAC): the file as written (msi.io.video.write_video: crf 18,
AAC at its default rate); crf 28 (AAC 64 kb/s); half size (crf 23, AAC 64 kb/s); 25 -> 30 fps
(frames repeated as FFmpeg's fps filter does, crf 23, AAC 64 kb/s); the first 2 s cut (crf 23,
AAC 64 kb/s); all together (cut, half size, 30 fps, crf 28, AAC 64 kb/s). Every re-encode decodes
the previous file's audio (msi.io.audio.read_audio) and encodes it again. Beyond the issue's list:
48 kHz stereo, AAC 32 kb/s, all + 48 kHz stereo (copies), and speed, music and telephone-band
stresses on the decoded file's audio (``stresses``). The machine has no ffmpeg binary: every
re-encode runs through PyAV's FFmpeg libraries, as benchmarks/bench_marking.py does.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from generator.marking.audio_mark import embed
from msi.provenance import audio_mark as mark

COPIES = {
    "file": None,
    "crf 28": dict(crf=28),
    "half size": dict(half=True),
    "25 -> 30 fps": dict(fps=30),
    "2 s cut": dict(start=2.0),
    "all together": dict(crf=28, half=True, fps=30, start=2.0),
    # beyond the issue's list: what upload sites also do to the audio
    "48 kHz stereo": dict(rate=48000, channels=2),
    "AAC 32 kb/s": dict(audio_kbps=32),
    "all + 48 kHz stereo": dict(crf=28, half=True, fps=30, start=2.0, rate=48000, channels=2),
}
ISSUE_COPIES = ("file", "crf 28", "half size", "25 -> 30 fps", "2 s cut", "all together")


def audio_of(path: Path) -> np.ndarray:
    from msi.io.audio import read_audio

    return read_audio(path, mark.RATE).samples.astype(np.float32) / 32768.0


def transcode(src: Path, dst: Path, *, crf: int = 23, half: bool = False, fps: float | None = None,
              start: float = 0.0, audio_kbps: int = 64, rate: int = mark.RATE, channels: int = 1) -> None:
    import cv2
    from scipy.signal import resample_poly

    from msi.io.video import read_frames

    with av.open(str(src)) as c:
        in_fps = float(c.streams.video[0].average_rate)
    frames = read_frames(src)
    frames = frames[int(round(start * in_fps)):]
    if half:
        h, w = frames.shape[1:3]
        frames = np.stack([cv2.resize(f, (w // 2, h // 2), interpolation=cv2.INTER_AREA) for f in frames])
    out_fps = fps or in_fps
    if fps:  # each output time takes the latest input frame (FFmpeg's fps filter)
        n_out = int(round(len(frames) / in_fps * fps))
        frames = frames[np.minimum((np.arange(n_out) * in_fps / fps + 1e-9).astype(int), len(frames) - 1)]
    wave = audio_of(src)[int(round(start * mark.RATE)):]
    if rate != mark.RATE:
        g = np.gcd(rate, mark.RATE)
        wave = resample_poly(wave, rate // g, mark.RATE // g).astype(np.float32)
    layout = "mono" if channels == 1 else "stereo"
    with av.open(str(dst), "w") as oc:
        vs = oc.add_stream("libx264", rate=Fraction(out_fps).limit_denominator(1001))
        vs.width, vs.height, vs.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        vs.options = {"crf": str(crf), "preset": "veryfast", "threads": "1"}
        aus = oc.add_stream("aac", rate=rate)
        aus.layout, aus.bit_rate = layout, audio_kbps * 1000
        for f in frames:
            for p in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")):
                oc.mux(p)
        for p in vs.encode():
            oc.mux(p)
        for a in range(0, len(wave), 1024):
            block = np.repeat(wave[None, a:a + 1024], channels, axis=0)
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout=layout)
            fr.sample_rate, fr.pts, fr.time_base = rate, a, Fraction(1, rate)
            for p in aus.encode(fr):
                oc.mux(p)
        for p in aus.encode():
            oc.mux(p)


def snr_db(clean: np.ndarray, marked: np.ndarray) -> tuple[float, float]:
    """(SNR, segmental SNR) of the mark in dB: segments of 20 ms, those within 40 dB of the
    loudest, each clipped to [-10, 35] dB (the usual segmental SNR)."""
    x = np.asarray(clean, np.float64)
    e = np.asarray(marked, np.float64) - x
    snr = 10 * np.log10((x ** 2).sum() / max((e ** 2).sum(), 1e-30))
    n = len(x) // mark.FRAME
    px = (x[:n * mark.FRAME].reshape(n, mark.FRAME) ** 2).sum(1)
    pe = (e[:n * mark.FRAME].reshape(n, mark.FRAME) ** 2).sum(1)
    keep = px >= px.max() * 1e-4
    s = np.clip(10 * np.log10(px[keep] / np.maximum(pe[keep], 1e-30)), -10, 35)
    return round(float(snr), 2), round(float(s.mean()), 2)


def stresses(heard: np.ndarray, music: np.ndarray) -> dict[str, np.ndarray]:
    """Audio-only changes beyond the issue's list, applied to the decoded file's audio: a speed
    change (resampled: the sync searches shifts only, not a time scale), music mixed under the
    speech (bigbuckbunny's soundtrack, looped), a telephone band (300-3400 Hz)."""
    from scipy.signal import butter, resample_poly, sosfiltfilt

    def mix(db: float) -> np.ndarray:
        m = np.resize(music, len(heard))
        gain = np.sqrt((heard ** 2).mean() / max((m ** 2).mean(), 1e-20) * 10 ** (-db / 10))
        return heard + gain * m

    sos = butter(6, [300, 3400], btype="band", fs=mark.RATE, output="sos")
    return {"speed +0.1 %": resample_poly(heard, 1000, 1001), "speed +1 %": resample_poly(heard, 100, 101),
            "music at -10 dB": mix(10.0), "music at 0 dB": mix(0.0), "telephone band": sosfiltfilt(sos, heard)}


def copies(src: Path, tmp: Path, stem: str) -> dict[str, Path]:
    out = {}
    for name, kw in COPIES.items():
        if kw is None:
            out[name] = src
        else:
            out[name] = tmp / f"{stem}_{''.join(ch if ch.isalnum() else '_' for ch in name)}.mp4"
            transcode(src, out[name], **kw)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--utterances", type=int, default=10)
    ap.add_argument("--null-keys", type=int, default=200,
                    help="other keys each unmarked file is read with (the null distribution's check)")
    ap.add_argument("--snr", type=float, default=mark.SNR_DB, help="the mark's power below the speech's, dB")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()

    from generator.corpus.build import build_clip
    from generator.corpus.config import CorpusConfig
    from generator.corpus.speech import speech_track
    from msi.io.samples import sample_path
    from msi.io.video import read_frames, write_video

    cfg = CorpusConfig()
    rows, fp, timing = [], [], {"embed_s": 0.0, "read_s": 0.0, "audio_s": 0.0}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        video = read_frames(build_clip(tmp / "clip", seconds=8.0, seed=0, size=256).video)
        bitrate = None
        null_audio, stress_rows = [], []
        music = audio_of(sample_path("bigbuckbunny.mp4"))
        for u in range(a.utterances):
            rng = np.random.default_rng([1000 + u, 0])
            seconds = float(rng.uniform(4.0, 8.0))
            wave = speech_track(np.random.default_rng([1000 + u, 1]), seconds, cfg).wave
            run_id = f"{int(rng.integers(0, 2**32)):08x}"
            t0 = time.perf_counter()
            marked = embed(wave, run_id, snr_db=a.snr)
            t1 = time.perf_counter()
            mark.read_wave(marked)
            t2 = time.perf_counter()
            timing["embed_s"] += t1 - t0
            timing["read_s"] += t2 - t1
            timing["audio_s"] += len(wave) / mark.RATE
            snr, seg = snr_db(wave, marked)
            n = int(round(len(wave) / mark.RATE * 25))
            for kind, w in (("marked", marked), ("unmarked", wave)):
                src = tmp / f"u{u}_{kind}.mp4"
                write_video(src, video[:n], fps=25, crf=18, audio=w, sample_rate=mark.RATE, threads=1)
                if bitrate is None:
                    with av.open(str(src)) as c:
                        bitrate = c.streams.audio[0].bit_rate
                for name, path in copies(src, tmp, f"u{u}_{kind}").items():
                    heard = audio_of(path)
                    if kind == "unmarked" and name == "file":
                        null_audio.append(heard)
                    r = mark.read_wave(heard)
                    if name == "file":
                        for sname, sw in stresses(heard, music).items():
                            sr = mark.read_wave(sw)
                            stress_rows.append(dict(kind=kind, stress=sname, z=sr.z, found=sr.found,
                                                    run_id_ok=sr.run_id == run_id))
                    row = dict(utterance=u, seconds=round(seconds, 2), run_id=run_id, kind=kind, copy=name,
                               z=r.z, found=r.found, run_id_read=r.run_id, snr_db=snr, seg_snr_db=seg)
                    (rows if kind == "marked" else fp).append(row)
                    print(json.dumps(row), flush=True)
        bbb = sample_path("bigbuckbunny.mp4")
        for name, path in copies(bbb, tmp, "bbb").items():
            r = mark.read_wave(audio_of(path))
            row = dict(utterance="bigbuckbunny", kind="real", copy=name, z=r.z, found=r.found)
            fp.append(row)
            print(json.dumps(row), flush=True)
            if name == "file":
                null_audio.append(audio_of(path))
    # The null distribution: unmarked audio read with other keys (each a fresh chip sequence).
    key0, null_z = mark.KEY, []
    for k in range(a.null_keys):
        mark.KEY = key0 + 1000 + k
        mark.layout.cache_clear()
        null_z += [mark.read_wave(w).z for w in null_audio]
    mark.KEY = key0
    mark.layout.cache_clear()
    summary = {"utterances": a.utterances, "snr_target_db": a.snr, "writer_aac_bit_rate": bitrate,
               "embed_ms_per_audio_s": round(1000 * timing["embed_s"] / timing["audio_s"], 2),
               "read_ms_per_audio_s": round(1000 * timing["read_s"] / timing["audio_s"], 2),
               "snr_db_mean": round(float(np.mean([r["snr_db"] for r in rows])), 2),
               "seg_snr_db_mean": round(float(np.mean([r["seg_snr_db"] for r in rows])), 2),
               "per_copy": {}, "false_positives": sum(r["found"] for r in fp),
               "max_z_unmarked": max(r["z"] for r in fp), "z_found": mark.Z_FOUND,
               "null_keys": {"readings": len(null_z), "max_z": max(null_z, default=None),
                             "share_z_ge": {t: float(np.mean(np.array(null_z) >= t)) for t in (4.0, 4.5, 5.0, 5.5)},
                             "bound": {t: round(min(1.0, mark.PERIOD * float(np.exp(-t * t / 2))), 4)
                                       for t in (4.0, 4.5, 5.0, 5.5)}}}
    for name in COPIES:
        sel = [r for r in rows if r["copy"] == name]
        summary["per_copy"][name] = dict(
            found=f"{sum(r['found'] for r in sel)}/{len(sel)}",
            run_id=f"{sum(r['run_id_read'] == r['run_id'] for r in sel)}/{len(sel)}",
            z_min=min(r["z"] for r in sel), z_median=float(np.median([r["z"] for r in sel])),
            z_unmarked_max=max(r["z"] for r in fp if r["copy"] == name))
    summary["stress"] = {}
    for sname in dict.fromkeys(r["stress"] for r in stress_rows):
        m = [r for r in stress_rows if r["stress"] == sname and r["kind"] == "marked"]
        u = [r for r in stress_rows if r["stress"] == sname and r["kind"] == "unmarked"]
        summary["stress"][sname] = dict(found=f"{sum(r['found'] for r in m)}/{len(m)}",
                                        run_id=f"{sum(r['run_id_ok'] for r in m)}/{len(m)}",
                                        z_min=min(r["z"] for r in m), z_median=float(np.median([r["z"] for r in m])),
                                        z_unmarked_max=max(r["z"] for r in u))
    summary["issue_list_passed"] = all(
        summary["per_copy"][c]["found"] == summary["per_copy"][c]["run_id"] == f"{a.utterances}/{a.utterances}"
        for c in ISSUE_COPIES) and summary["false_positives"] == 0
    print(json.dumps(summary, indent=1))
    if a.out:
        a.out.write_text(json.dumps({"summary": summary, "marked": rows, "unmarked": fp}, indent=1) + "\n")


if __name__ == "__main__":
    main()
