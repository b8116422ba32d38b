"""``stableface prepare``: a talking video (+ audio) -> a training data directory.

Pipeline (StableFace, Ling et al., arXiv:2208.13717, Sec. III-A and IV-A data preparation):

1. decode the video with PyAV, resample it to 25 fps (each output time k/fps shows the source
   frame on screen at that time), and decode the audio (the video's track or ``--audio``) to
   16 kHz mono; the clip is cut to the shorter of the two;
2. track the MediaPipe 3D face mesh per frame (chunks of 250 frames, each checkpointed, so an
   interrupted run resumes); short gaps without a face are interpolated;
3. choose ONE crop for the whole clip (the box around every frame's mesh, enlarged by
   ``margin``): a per-frame crop would itself add jitter; resize it to ``--size``;
4. fit the 3D face representation (:mod:`generator.data.face3d`) on the training split and
   encode every frame; render the mouth masks (:mod:`generator.data.raster`);
5. log-mel audio windows per frame (:mod:`generator.data.audio`) or the user's own features;
6. write the arrays (each via a temporary file and an atomic rename) and, last, the
   manifest: a directory with a manifest is complete. Rerunning with the same settings on
   the same source does nothing; ``--force`` redoes it.

The splits are contiguous segments, train / val / test = 50 / 20 / 30 % by default (the
paper's GRID setting). The on-disk format is documented in :mod:`generator.data.dataset`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from generator.data import audio as audio_mod
from generator.errors import GeneratorError
from generator.data.dataset import FORMAT, SPLITS

CHUNK = 250  # frames tracked per checkpoint (each chunk starts a fresh tracker, so resuming is exact)


@dataclass
class PrepareConfig:
    video: Path
    out: Path
    audio: Path | None = None  # separate speech file; default: the video's own audio track
    audio_features: Path | None = None  # user features (.npy) instead of log-mel
    audio_features_rate: float = audio_mod.FEATURE_RATE  # their frame rate when (n, D)
    size: int = 256
    fps: float = 25.0
    n_exp: int = 53
    audio_window: int = audio_mod.AUDIO_WINDOW
    splits: tuple[float, float, float] = (0.5, 0.2, 0.3)
    margin: float = 1.5  # crop side / side of the box around all frames' meshes
    track_side: int = 640  # larger frames are downscaled for the tracker only
    max_missing: float = 0.5  # largest fraction of frames without a face that is interpolated
    force: bool = False

    def settings(self) -> dict:
        """What the manifest records as ``settings`` (and what decides whether a rerun is a no-op)."""
        return {
            "size": self.size, "fps": self.fps, "sample_rate": audio_mod.SAMPLE_RATE, "n_exp": self.n_exp,
            "audio_features": "logmel80" if self.audio_features is None else str(self.audio_features),
            "audio_features_rate": self.audio_features_rate, "audio_window": self.audio_window,
            "splits": list(self.splits), "margin": self.margin, "track_side": self.track_side,
            "max_missing": self.max_missing, "audio": None if self.audio is None else str(self.audio),
        }


# ---------------------------------------------------------------- pure helpers (arrays in, arrays out)


def resample_indices(n_source: int, source_fps: float, fps: float) -> np.ndarray:
    """Source frame on screen at the middle (k + 0.5) / fps of each output frame k.

    A constant-rate source of n frames lasts n / source_fps seconds; output frame k exists
    while its middle falls inside it.
    """
    n_out = max(0, int(math.ceil(n_source * fps / source_fps - 0.5 - 1e-9)))
    return np.floor((np.arange(n_out) + 0.5) * source_fps / fps + 1e-9).astype(np.int64)


def resample_frames(frames: Iterable[np.ndarray], source_fps: float, fps: float) -> Iterator[np.ndarray]:
    """Stream version of :func:`resample_indices`: repeats or drops source frames as needed."""
    k = 0
    for j, frame in enumerate(frames):
        while math.floor((k + 0.5) * source_fps / fps + 1e-9) == j:
            yield frame
            k += 1


def split_ranges(n_frames: int, fractions: tuple[float, float, float]) -> dict[str, list[int]]:
    """Contiguous [start, stop) ranges of train / val / test."""
    total = sum(fractions)
    a = int(round(n_frames * fractions[0] / total))
    b = int(round(n_frames * (fractions[0] + fractions[1]) / total))
    return {"train": [0, a], "val": [a, b], "test": [b, n_frames]}


def fill_gaps(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation over time of frames without a face (edges hold the nearest face).

    Returns the filled landmarks and the boolean mask of frames that were missing.
    """
    missing = ~np.isfinite(landmarks).all(axis=(1, 2))
    if missing.all() or not missing.any():
        return landmarks.copy(), missing
    t = np.arange(len(landmarks))
    flat = landmarks.reshape(len(landmarks), -1).copy()
    good = ~missing
    for c in range(flat.shape[1]):
        flat[missing, c] = np.interp(t[missing], t[good], flat[good, c])
    return flat.reshape(landmarks.shape), missing


def choose_crop(landmarks: np.ndarray, margin: float) -> tuple[int, int, int]:
    """One square crop [x0, y0, side] (pixels) around the meshes of all frames, ``margin`` x their box."""
    xy = landmarks[..., :2]
    lo = np.nanmin(xy, axis=(0, 1))
    hi = np.nanmax(xy, axis=(0, 1))
    centre = (lo + hi) / 2
    side = int(math.ceil(float((hi - lo).max()) * margin))
    x0, y0 = (np.round(centre - side / 2)).astype(int)
    return int(x0), int(y0), max(side, 2)


def crop_frame(frame: np.ndarray, crop: tuple[int, int, int], size: int) -> np.ndarray:
    """The crop of a frame (zero padding outside the image), resized to ``size``."""
    import cv2

    x0, y0, side = crop
    h, w = frame.shape[:2]
    out = np.zeros((side, side, 3), np.uint8)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = frame[sy0:sy1, sx0:sx1, :3]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(out, (size, size), interpolation=interp)


def to_crop(landmarks: np.ndarray, crop: tuple[int, int, int], size: int) -> np.ndarray:
    """Source-pixel landmarks -> crop pixels (x, y shifted and scaled; z scaled alike)."""
    x0, y0, side = crop
    out = landmarks.astype(np.float64).copy()
    out[..., 0] -= x0
    out[..., 1] -= y0
    return out * (size / side)


def shift_audio(wave: np.ndarray, offset: float, sr: int) -> np.ndarray:
    """Put audio that starts ``offset`` seconds after the first video frame on the video's
    clock: pad silence in front (offset > 0) or drop the samples before the video (< 0)."""
    k = int(round(offset * sr))
    return np.concatenate([np.zeros(k, wave.dtype), wave]) if k >= 0 else wave[-k:]


def fit_representation(landmarks: np.ndarray, train: slice, n_exp: int) -> dict[str, np.ndarray]:
    """Shape, pose, expression and PCA of crop-pixel meshes (T, 478, 3) (see :mod:`generator.data.face3d`)."""
    from generator.data import face3d

    shape = face3d.mean_shape(landmarks[train])
    aligned, rot, trans, scale = face3d.align(landmarks, shape)
    pca = face3d.fit_pca(aligned[train], n_exp, shape=shape, region=face3d.EXPRESSION_REGION)  # mouth + jaw
    expr = face3d.project(aligned, shape, pca)
    return {"shape": shape, "rotation": rot, "translation": trans, "scale": scale, "expression": expr,
            "pca": pca, "aligned": aligned}


def reconstruction_report(landmarks: np.ndarray, rep: dict, splits: dict[str, list[int]]) -> dict:
    """Per split: mean / 95th-percentile vertex error of the reconstructed mesh (crop pixels) and
    the mean error relative to the mouth width (corners 61-291)."""
    from generator.data import face3d

    rec = face3d.reconstruct(rep["shape"], rep["expression"], rep["pca"], rep["rotation"], rep["translation"],
                             rep["scale"])
    err = np.linalg.norm(rec - landmarks, axis=-1)  # (T, V)
    mouth = float(np.linalg.norm(landmarks[:, 61] - landmarks[:, 291], axis=-1).mean())
    out = {"units": "crop pixels", "mouth_width_px": round(mouth, 3)}
    region = err[:, face3d.EXPRESSION_REGION]  # what the expression models (mouth + jaw)
    for name, (a, b) in splits.items():
        e, r = err[a:b], region[a:b]
        out[name] = {"mean_px": round(float(e.mean()), 4), "p95_px": round(float(np.percentile(e, 95)), 4),
                     "relative_to_mouth_width": round(float(e.mean()) / mouth, 5),
                     "region_mean_px": round(float(r.mean()), 4),
                     "region_relative_to_mouth_width": round(float(r.mean()) / mouth, 5)}
    total = rep["aligned"][slice(*splits["train"])] - rep["shape"]
    total_var = float((total.reshape(len(total), -1) ** 2).sum() / max(len(total) - 1, 1))
    out["pca_rank"] = rep["pca"].rank
    out["explained_variance_ratio"] = round(float(rep["pca"].explained_variance.sum()) / max(total_var, 1e-12), 6)
    return out


# ---------------------------------------------------------------- I/O


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"format": FORMAT}
    for pkg in ("stableface", "numpy", "av", "mediapipe", "torch", "opencv-contrib-python"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def stream_offset(path: str | os.PathLike) -> float:
    """Start of the first decoded audio frame minus that of the first video frame (seconds).

    Containers may start the audio later than the video (edit lists, an encoder's priming
    samples); :func:`generator.data.audio.load_audio` returns every decoded sample from the first
    one, so this offset puts them on the video's clock. 0 when either is unknown.
    """
    import av

    def first_time(kind: str) -> float | None:
        with av.open(str(path)) as container:
            try:
                frame = next(container.decode(**{kind: 0}))
            except (StopIteration, av.FFmpegError):
                return None
            return frame.time

    video, audio = first_time("video"), first_time("audio")
    return 0.0 if video is None or audio is None else float(audio - video)


def _single_threaded_blas():
    """One BLAS thread for the small decompositions of the face model: multi-threaded OpenBLAS
    busy-waits, and on a shared machine a 750 x 750 eigh went from 0.1 s to 7 s. threadpoolctl
    comes with scikit-learn (a pingouin dependency); without it this is a no-op."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _source_info(path: Path) -> dict:
    st = path.stat()
    return {"path": str(path.resolve()), "bytes": st.st_size, "mtime": int(st.st_mtime)}


def _save_npy(tmp: Path, out: Path, name: str, arr: np.ndarray) -> None:
    np.save(tmp / name, arr)
    os.replace(tmp / name, out / name)


def _save_npz(tmp: Path, out: Path, name: str, **arrays: np.ndarray) -> None:
    np.savez(tmp / name, **arrays)
    os.replace(tmp / name, out / name)


def _progress(iterable, total: int | None, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm

    # disable=None: bars only when stderr is a terminal, so logs and pipes stay clean.
    return tqdm(iterable, total=total, desc=desc, unit="frame", file=sys.stderr, leave=False, disable=None,
                dynamic_ncols=True)


def _track(cfg: PrepareConfig, info, n_max: int, partial: Path, progress: bool) -> tuple[np.ndarray, bool]:
    """Landmarks (T, 478, 3) in source pixels, tracked in checkpointed chunks, and whether
    MediaPipe's face detector confirmed a human face in a tracked frame (the mesh tracker
    alone also follows cartoon faces; the same check as ``msi score``)."""
    from msi.tracking import FaceMeshTracker
    from msi.video import iter_frames, scaled_size

    tw, th = scaled_size(info.width, info.height, cfg.track_side)
    frames = resample_frames(iter_frames(cfg.video, max_side=cfg.track_side), info.fps, cfg.fps)
    total = min(n_max, int(info.n_frames * cfg.fps / info.fps) if info.n_frames else n_max)
    chunks: list[np.ndarray] = []
    tracker, buf = None, []
    confirmed_flag = partial / "face_confirmed"
    confirmed = confirmed_flag.is_file()
    try:
        for k, frame in enumerate(_progress(frames, total, "tracking", progress)):
            if k >= n_max:
                break
            c = k // CHUNK
            done = partial / f"track_{c:05d}.npy"
            if done.is_file():  # tracked by an interrupted earlier run
                if k % CHUNK == 0:
                    chunks.append(np.load(done))
                continue
            if tracker is None:
                tracker = FaceMeshTracker()
            buf.append(tracker.process(frame))
            if not confirmed and np.isfinite(buf[-1][0, 0]) and tracker.confirms_face(frame):
                confirmed = True
                confirmed_flag.touch()
            if len(buf) == CHUNK:
                np.save(partial / "tmp_track.npy", np.stack(buf))
                os.replace(partial / "tmp_track.npy", done)
                chunks.append(np.stack(buf))
                tracker.close()
                tracker, buf = None, []
    finally:
        if tracker is not None:
            tracker.close()
    if buf:
        chunks.append(np.stack(buf))
    lm = np.concatenate(chunks) if chunks else np.empty((0, 478, 3))
    if (tw, th) != (info.width, info.height):  # back to source pixels
        lm = lm * np.array([info.width / tw, info.height / th, info.width / tw])
    return lm, confirmed


def prepare(cfg: PrepareConfig, progress: bool = True) -> dict:
    """Run the whole preparation; returns the manifest. Raises GeneratorError on bad input.

    Video frame k of the result shows the source at time (k + 0.5) / fps (the middle of its
    display interval), the same instant its audio window is centred on."""
    from msi.errors import MSIError

    _check_config(cfg)
    try:
        return _prepare(cfg, progress)
    except MSIError as exc:  # unreadable / missing video, reported by msi.video
        raise GeneratorError(str(exc)) from None


def _prepare(cfg: PrepareConfig, progress: bool) -> dict:
    from msi.video import probe

    info = probe(cfg.video)
    if not math.isfinite(info.fps) or info.fps <= 0:
        raise GeneratorError(f"{cfg.video}: the video does not state a frame rate")
    audio_src = cfg.audio if cfg.audio is not None else cfg.video
    if cfg.audio is None and not info.has_audio:
        raise GeneratorError(f"{cfg.video}: the video has no audio track; give the speech with --audio WAV")
    out = Path(cfg.out)
    settings = cfg.settings()
    source = {"video": _source_info(Path(cfg.video)), "audio": _source_info(Path(audio_src))}
    manifest_path = out / "manifest.json"
    if manifest_path.is_file() and not cfg.force:
        old = json.loads(manifest_path.read_text())
        if old.get("settings") == settings and old.get("source") == source:
            from generator.data.dataset import is_prepared

            if is_prepared(out):
                return old
    out.mkdir(parents=True, exist_ok=True)
    partial = out / ".partial"
    key = json.dumps({"settings": settings, "source": source}, sort_keys=True)
    if cfg.force or not (partial / "key.json").is_file() or (partial / "key.json").read_text() != key:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        (partial / "key.json").write_text(key)
    if manifest_path.is_file():
        manifest_path.unlink()  # the directory is incomplete until the new manifest is written

    # Audio first: it is quick and bounds the number of frames.
    wave = audio_mod.load_audio(audio_src, audio_mod.SAMPLE_RATE)
    offset = stream_offset(cfg.video) if cfg.audio is None else 0.0
    wave = shift_audio(wave, offset, audio_mod.SAMPLE_RATE)
    n_audio = int(math.floor(len(wave) / audio_mod.SAMPLE_RATE * cfg.fps + 1e-6))
    clock = {"start": time.perf_counter()}
    lm_src, confirmed = _track(cfg, info, n_audio, partial, progress)
    clock["tracking"] = time.perf_counter()
    n = len(lm_src)
    warnings: list[str] = []
    if n < n_audio - 1:
        warnings.append(f"the audio ({n_audio / cfg.fps:.2f} s) is longer than the video ({n / cfg.fps:.2f} s): cut")
    elif math.isfinite(info.duration) and info.duration * cfg.fps > n_audio + 1:
        warnings.append(f"the video ({info.duration:.2f} s) is longer than the audio ({n_audio / cfg.fps:.2f} s): cut")
    splits = split_ranges(n, cfg.splits)
    min_len = {"train": 8, "val": 2, "test": 2}
    if any(splits[s][1] - splits[s][0] < min_len[s] for s in SPLITS):
        need = int(math.ceil(max(min_len[s] / (f / sum(cfg.splits)) for s, f in zip(SPLITS, cfg.splits))))
        raise GeneratorError(
            f"{cfg.video}: too short to split: {n} frames ({n / cfg.fps:.2f} s at {cfg.fps:g} fps), "
            f"need at least {need} frames for train/val/test"
        )
    lm_src, missing = fill_gaps(lm_src)
    if missing.all():
        raise GeneratorError(f"{cfg.video}: no face found in any of its {n} frames")
    if missing.mean() > cfg.max_missing:
        raise GeneratorError(
            f"{cfg.video}: a face was found in only {100 * (1 - missing.mean()):.0f}% of the frames "
            f"(at least {100 * (1 - cfg.max_missing):.0f}% needed, see --max-missing)"
        )
    if not confirmed:
        raise GeneratorError(
            f"{cfg.video}: no human face: the mesh tracker followed something in {100 * (1 - missing.mean()):.0f}% "
            "of the frames, but MediaPipe's face detector confirms a face in none of them"
        )
    crop = choose_crop(lm_src, cfg.margin)

    # Frames: a second decoding pass, straight into a memory-mapped array.
    from msi.video import iter_frames

    frames = np.lib.format.open_memmap(partial / "frames.npy", mode="w+", dtype=np.uint8,
                                       shape=(n, cfg.size, cfg.size, 3))
    k = 0
    for frame in _progress(resample_frames(iter_frames(cfg.video), info.fps, cfg.fps), n, "cropping", progress):
        if k >= n:
            break
        frames[k] = crop_frame(frame, crop, cfg.size)
        k += 1
    frames.flush()
    del frames
    if k < n:
        raise GeneratorError(f"{cfg.video}: the second decoding pass gave {k} frames instead of {n}")

    clock["cropping"] = time.perf_counter()
    lm = to_crop(lm_src, crop, cfg.size)
    with _single_threaded_blas():
        rep = fit_representation(lm, slice(*splits["train"]), cfg.n_exp)
        report = reconstruction_report(lm, rep, splits)
    clock["face3d"] = time.perf_counter()

    from generator.data.raster import mouth_mask

    masks = np.lib.format.open_memmap(partial / "mouth_masks.npy", mode="w+", dtype=np.uint8,
                                      shape=(n, cfg.size, cfg.size))
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small ops: threads only add overhead (x15 slower on a busy 2-core machine)
    try:
        for i in range(0, n, 64):
            masks[i : i + 64] = mouth_mask(lm[i : i + 64], cfg.size)
    finally:
        torch.set_num_threads(threads)
    masks.flush()
    del masks
    clock["mouth_masks"] = time.perf_counter()

    wave = wave[: int(round(n / cfg.fps * audio_mod.SAMPLE_RATE))]
    wave = np.pad(wave, (0, int(round(n / cfg.fps * audio_mod.SAMPLE_RATE)) - len(wave)))
    if cfg.audio_features is None:
        feats = audio_mod.frame_windows(audio_mod.logmel(wave), n, cfg.fps, cfg.audio_window)
    else:
        feats = audio_mod.load_feature_file(cfg.audio_features, n, cfg.fps, cfg.audio_window, cfg.audio_features_rate)

    clock["audio_features"] = time.perf_counter()
    os.replace(partial / "frames.npy", out / "frames.npy")
    audio_mod.write_wav(partial / "audio.wav", wave)
    os.replace(partial / "audio.wav", out / "audio.wav")
    _save_npy(partial, out, "audio_features.npy", feats.astype(np.float32))
    _save_npy(partial, out, "landmarks.npy", lm.astype(np.float32))
    _save_npz(partial, out, "pose.npz", rotation=rep["rotation"].astype(np.float32),
              translation=rep["translation"].astype(np.float32), scale=rep["scale"].astype(np.float32))
    _save_npy(partial, out, "shape.npy", rep["shape"].astype(np.float32))
    _save_npy(partial, out, "expression.npy", rep["expression"].astype(np.float32))
    _save_npz(partial, out, "pca.npz", **rep["pca"].as_dict())
    os.replace(partial / "mouth_masks.npy", out / "mouth_masks.npy")

    manifest = {
        "format": FORMAT,
        "source": source,
        "settings": settings,
        "versions": _versions(),
        "n_frames": n,
        "crop": list(crop),
        "splits": splits,
        "source_video": {"width": info.width, "height": info.height, "fps": info.fps, "duration": info.duration},
        "audio_window_shape": list(feats.shape[1:]),
        "frames_without_face": int(missing.sum()),
        "audio_offset_s": round(offset, 6),
        "reconstruction_error": report,
        "warnings": warnings,
        # Wall-clock seconds per stage of this run (tracking: 0 for chunks resumed from checkpoints).
        "timings_s": {k: round(clock[k] - clock[prev], 3) for prev, k in zip(list(clock), list(clock)[1:])},
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2))
    os.replace(partial / "manifest.json", manifest_path)
    shutil.rmtree(partial, ignore_errors=True)
    return manifest


def _check_config(cfg: PrepareConfig) -> None:
    if not 16 <= cfg.size <= 2048:
        raise GeneratorError(f"--size must be between 16 and 2048 pixels, got {cfg.size}")
    if not 1 <= cfg.fps <= 120:
        raise GeneratorError(f"--fps must be between 1 and 120, got {cfg.fps:g}")
    if len(cfg.splits) != 3 or min(cfg.splits) <= 0:
        raise GeneratorError(f"--splits needs three positive fractions (train,val,test), got {cfg.splits}")
    if cfg.n_exp < 1 or cfg.audio_window < 1 or cfg.margin < 1.0:
        raise GeneratorError("--n-exp and --audio-window must be >= 1 and --margin >= 1")
    if cfg.audio is not None and not Path(cfg.audio).is_file():
        raise GeneratorError(f"{cfg.audio}: no such audio file")
    if cfg.audio_features is not None and not Path(cfg.audio_features).is_file():
        raise GeneratorError(f"{cfg.audio_features}: no such audio-feature file")


# ---------------------------------------------------------------- CLI


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Turn a talking video (with its audio track, or --audio) into a training data directory:\n"
        "25 fps frames in one fixed face crop, 16 kHz audio and log-mel windows, MediaPipe meshes,\n"
        "pose / shape / expression (PCA) and mouth masks, with a manifest (see generator/dataset.py).\n"
        "Prints the manifest as JSON on stdout. Safe to interrupt and rerun: tracking resumes from\n"
        "its last checkpoint, and an up-to-date DATA_DIR is left as it is."
    )
    parser.epilog = (
        "examples:\n"
        "  stableface prepare talk.mp4 --out data/talk\n"
        "  stableface prepare silent.mov --audio speech.wav --out data/x --size 128\n"
        "  stableface prepare talk.mkv --out data/ds --audio-features ds.npy --audio-features-rate 50\n"
        "exit status: 0 done, 1 bad input (one line on stderr), 2 bad command line, 130 interrupted"
    )
    parser.add_argument("video", type=Path, metavar="VIDEO", help="talking-face video (mp4, mov, mkv, webm, ...)")
    parser.add_argument("--out", type=Path, required=True, metavar="DATA_DIR", help="output data directory")
    parser.add_argument("--audio", type=Path, metavar="WAV", help="speech audio file (default: the video's audio track)")
    parser.add_argument("--size", type=int, default=256, help="side of the square face crop in pixels (%(default)s)")
    parser.add_argument("--fps", type=float, default=25.0, help="frame rate of the prepared clip (%(default)s)")
    parser.add_argument("--n-exp", type=int, default=53, help="number of expression (PCA) coefficients (%(default)s)")
    parser.add_argument("--audio-features", type=Path, metavar="FILE.npy",
                        help="your own audio features instead of log-mel: (T, W, D) per video frame, or (n, D) "
                             "at --audio-features-rate per second (e.g. DeepSpeech at 50)")
    parser.add_argument("--audio-features-rate", type=float, default=audio_mod.FEATURE_RATE, metavar="HZ",
                        help="frames per second of an (n, D) --audio-features file (%(default)s)")
    parser.add_argument("--audio-window", type=int, default=audio_mod.AUDIO_WINDOW, metavar="W",
                        help="audio feature frames per video frame (%(default)s)")
    parser.add_argument("--splits", default="0.5,0.2,0.3", metavar="TR,VA,TE",
                        help="train,val,test fractions, contiguous segments (%(default)s)")
    parser.add_argument("--margin", type=float, default=1.5,
                        help="crop side / side of the box around all frames' meshes (%(default)s)")
    parser.add_argument("--track-side", type=int, default=640, metavar="PX",
                        help="larger frames are downscaled to this for tracking only (%(default)s)")
    parser.add_argument("--max-missing", type=float, default=0.5, metavar="FRACTION",
                        help="largest fraction of frames without a face; they are interpolated (%(default)s)")
    parser.add_argument("--force", action="store_true", help="redo everything even if DATA_DIR is up to date")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    try:
        fractions = tuple(float(x) for x in str(args.splits).split(","))
    except ValueError:
        raise GeneratorError(f"--splits must be three numbers like 0.5,0.2,0.3, got {args.splits!r}") from None
    cfg = PrepareConfig(
        video=args.video, out=args.out, audio=args.audio, audio_features=args.audio_features,
        audio_features_rate=args.audio_features_rate, size=args.size, fps=args.fps, n_exp=args.n_exp,
        audio_window=args.audio_window, splits=fractions, margin=args.margin, track_side=args.track_side,
        max_missing=args.max_missing, force=args.force,
    )
    manifest = prepare(cfg, progress=not args.quiet)
    for w in manifest.get("warnings", []):
        print(f"stableface: warning: {w}", file=sys.stderr)
    json.dump(manifest, sys.stdout, indent=2)
    print()
    return 0
