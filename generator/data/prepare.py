"""``stableface prepare``: a talking video (+ audio) -> a training data directory.

Pipeline (StableFace, Ling et al., arXiv:2208.13717, Sec. III-A and IV-A data preparation):

1. decode the video with PyAV, resample it to 25 fps (each output time k/fps shows the source
   frame on screen at that time, :mod:`generator.data.timeline`), and decode the audio (the
   video's track or a separate file) to 16 kHz mono; the clip is cut to the shorter of the two;
2. track the MediaPipe 3D face mesh per frame (:mod:`generator.data.track`: chunks of 250
   frames, each checkpointed, so an interrupted run resumes); short gaps without a face are
   interpolated;
3. choose ONE crop for the whole clip (:mod:`generator.data.crop`: the box around every frame's
   mesh, enlarged by ``margin``): a per-frame crop would itself add jitter; resize it to ``size``;
4. fit the 3D face representation (:mod:`generator.data.face3d`) on the training split and
   encode every frame; render the mouth masks (:mod:`generator.data.raster`);
5. log-mel audio windows per frame (:mod:`generator.data.audio`) or the user's own features;
6. write the arrays (each via a temporary file and an atomic rename) and, last, the
   manifest: a directory with a manifest is complete. Rerunning with the same settings on
   the same source does nothing; ``force`` redoes it.

The splits are contiguous segments, train / val / test = 50 / 20 / 30 % by default (the
paper's GRID setting). The on-disk format is documented in :mod:`generator.data.dataset`.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generator.data import audio as audio_mod
from generator.data.crop import choose_crop, crop_frame, to_crop
from generator.data.dataset import FORMAT, SPLITS, is_prepared
from generator.data.timeline import resample_frames, split_ranges
from generator.data.track import fill_gaps, track_clip
from generator.errors import GeneratorError
from msi.tracking.trackers import DEFAULT_TRACKER, TRACKERS

MIN_SPLIT_FRAMES = {"train": 8, "val": 2, "test": 2}


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
    # crop side / side of the box around all frames' meshes: 1.2 is about 4.3 mouth widths (the paper
    # measures on crops of 4), so that a small frame keeps enough mouth pixels for the tracker.
    margin: float = 1.2
    track_side: int = 640  # larger frames are downscaled for the tracker only
    max_missing: float = 0.5  # largest fraction of frames without a face that is interpolated
    tracker: str = DEFAULT_TRACKER  # face tracker backend (msi.tracking)
    force: bool = False

    def settings(self) -> dict:
        """What the manifest records as ``settings`` (and what decides whether a rerun is a no-op)."""
        return {
            "size": self.size, "fps": self.fps, "sample_rate": audio_mod.SAMPLE_RATE, "n_exp": self.n_exp,
            "audio_features": "logmel80" if self.audio_features is None else str(self.audio_features),
            "audio_features_rate": self.audio_features_rate, "audio_window": self.audio_window,
            "splits": list(self.splits), "margin": self.margin, "track_side": self.track_side,
            "max_missing": self.max_missing, "audio": None if self.audio is None else str(self.audio),
            "tracker": self.tracker,
        }

    def check(self) -> None:
        """Raise :class:`GeneratorError` for a value out of range or a missing file."""
        if not 16 <= self.size <= 2048:
            raise GeneratorError(f"size={self.size} is not between 16 and 2048 pixels")
        if not 1 <= self.fps <= 120:
            raise GeneratorError(f"fps={self.fps:g} is not between 1 and 120")
        if len(self.splits) != 3 or min(self.splits) <= 0:
            raise GeneratorError(f"splits={','.join(f'{x:g}' for x in self.splits)} are not three positive "
                                 "fractions (train,val,test)")
        for name, value, low in (("n_exp", self.n_exp, 1), ("audio_window", self.audio_window, 1),
                                 ("margin", self.margin, 1.0)):
            if value < low:
                raise GeneratorError(f"{name}={value:g} is below {low:g}")
        from msi.tracking.trackers import tracker_available

        if self.tracker not in TRACKERS:
            raise GeneratorError(f"tracker={self.tracker} is unknown (choose from {', '.join(TRACKERS)})")
        reason = tracker_available(self.tracker)
        if reason:
            raise GeneratorError(reason)
        if self.audio is not None and not Path(self.audio).is_file():
            raise GeneratorError(f"{self.audio}: no such audio file")
        if self.audio_features is not None and not Path(self.audio_features).is_file():
            raise GeneratorError(f"{self.audio_features}: no such audio-feature file")


def prepare(cfg: PrepareConfig, progress: bool = True) -> dict:
    """Run the whole preparation; returns the manifest. Raises GeneratorError on bad input.

    Video frame k of the result shows the source at time (k + 0.5) / fps (the middle of its
    display interval), the same instant its audio window is centred on."""
    from msi.errors import MSIError

    cfg.check()
    try:
        return _prepare(cfg, progress)
    except MSIError as exc:  # unreadable / missing video, reported by msi.io.video
        raise GeneratorError(str(exc)) from None


def _prepare(cfg: PrepareConfig, progress: bool) -> dict:
    from msi.tracking.trackers import tracker_identity
    from msi.io.video import probe

    info = probe(cfg.video)
    if not math.isfinite(info.fps) or info.fps <= 0:
        raise GeneratorError(f"{cfg.video}: the video does not state a frame rate")
    if cfg.audio is None and not info.has_audio:
        raise GeneratorError(f"{cfg.video}: the video has no audio track; give the speech with audio=FILE")
    audio_src = cfg.audio if cfg.audio is not None else cfg.video
    out = Path(cfg.out)
    source = {"video": _source_info(Path(cfg.video)), "audio": _source_info(Path(audio_src))}
    manifest_path = out / "manifest.json"
    if manifest_path.is_file() and not cfg.force:
        old = json.loads(manifest_path.read_text())
        if old.get("settings") == cfg.settings() and old.get("source") == source and is_prepared(out):
            return old
    partial = _start(cfg, out, source)

    # Audio first: it is quick and bounds the number of frames.
    audio_notes: list[str] = []  # damaged packets, filled with silence (sync kept)
    wave = audio_mod.load_audio(audio_src, audio_mod.SAMPLE_RATE, notes=audio_notes)
    offset = audio_mod.stream_offset(cfg.video) if cfg.audio is None else 0.0
    wave = audio_mod.shift_audio(wave, offset, audio_mod.SAMPLE_RATE)
    n_audio = int(math.floor(len(wave) / audio_mod.SAMPLE_RATE * cfg.fps + 1e-6))
    clock = {"start": time.perf_counter()}
    lm_src, confirmed = track_clip(cfg.video, cfg.fps, n_audio, partial, cfg.track_side, tracker=cfg.tracker,
                                   wrap=lambda frames, total: _progress(frames, total, "tracking", progress))
    clock["tracking"] = time.perf_counter()
    n = len(lm_src)
    warnings = audio_notes + _length_warnings(n, n_audio, info.duration, cfg.fps)
    splits = _splits(cfg, n)
    lm_src, missing = _check_faces(cfg, lm_src, confirmed)
    crop = choose_crop(lm_src, cfg.margin)
    _crop_frames(cfg, info.fps, crop, n, partial / "frames.npy", progress)
    clock["cropping"] = time.perf_counter()

    from generator.data import face3d

    lm = to_crop(lm_src, crop, cfg.size)
    with _single_threaded_blas():
        rep = face3d.fit_representation(lm, slice(*splits["train"]), cfg.n_exp)
        report = face3d.reconstruction_report(lm, rep, splits)
    clock["face3d"] = time.perf_counter()
    _mouth_masks(lm, cfg.size, partial / "mouth_masks.npy")
    clock["mouth_masks"] = time.perf_counter()
    n_samples = int(round(n / cfg.fps * audio_mod.SAMPLE_RATE))
    wave = np.pad(wave[:n_samples], (0, max(0, n_samples - len(wave))))
    if cfg.audio_features is None:
        feats = audio_mod.frame_windows(audio_mod.logmel(wave), n, cfg.fps, cfg.audio_window)
    else:
        feats = audio_mod.load_feature_file(cfg.audio_features, n, cfg.fps, cfg.audio_window, cfg.audio_features_rate)
    clock["audio_features"] = time.perf_counter()

    _write_arrays(partial, out, wave, feats, lm, rep)
    manifest = {
        "format": FORMAT,
        "source": source,
        "settings": cfg.settings(),
        "versions": {**_versions(), "tracker": tracker_identity(cfg.tracker)},
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


# ---------------------------------------------------------------- steps


def _start(cfg: PrepareConfig, out: Path, source: dict) -> Path:
    """The checkpoint directory ``out/.partial``, kept from an interrupted run of the same job only;
    an old manifest is removed (the directory is incomplete until the new one is written)."""
    out.mkdir(parents=True, exist_ok=True)
    partial = out / ".partial"
    key = json.dumps({"settings": cfg.settings(), "source": source}, sort_keys=True)
    if cfg.force or not (partial / "key.json").is_file() or (partial / "key.json").read_text() != key:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        (partial / "key.json").write_text(key)
    (out / "manifest.json").unlink(missing_ok=True)
    return partial


def _length_warnings(n: int, n_audio: int, duration: float, fps: float) -> list[str]:
    if n < n_audio - 1:
        return [f"the audio ({n_audio / fps:.2f} s) is longer than the video ({n / fps:.2f} s): cut"]
    if math.isfinite(duration) and duration * fps > n_audio + 1:
        return [f"the video ({duration:.2f} s) is longer than the audio ({n_audio / fps:.2f} s): cut"]
    return []


def _splits(cfg: PrepareConfig, n: int) -> dict[str, list[int]]:
    splits = split_ranges(n, cfg.splits)
    if any(splits[s][1] - splits[s][0] < MIN_SPLIT_FRAMES[s] for s in SPLITS):
        need = int(math.ceil(max(MIN_SPLIT_FRAMES[s] / (f / sum(cfg.splits)) for s, f in zip(SPLITS, cfg.splits))))
        raise GeneratorError(
            f"{cfg.video}: too short to split: {n} frames ({n / cfg.fps:.2f} s at {cfg.fps:g} fps), "
            f"need at least {need} frames for train/val/test"
        )
    return splits


def _check_faces(cfg: PrepareConfig, landmarks: np.ndarray, confirmed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Gaps without a face filled (:func:`fill_gaps`) after checking there are few, and a human face."""
    filled, missing = fill_gaps(landmarks)
    if missing.all():
        raise GeneratorError(f"{cfg.video}: no face found in any of its {len(landmarks)} frames")
    if missing.mean() > cfg.max_missing:
        raise GeneratorError(
            f"{cfg.video}: a face was found in only {100 * (1 - missing.mean()):.0f}% of the frames "
            f"(at least {100 * (1 - cfg.max_missing):.0f}% needed, max_missing={cfg.max_missing:g})"
        )
    if not confirmed:
        raise GeneratorError(
            f"{cfg.video}: no human face: the mesh tracker followed something in {100 * (1 - missing.mean()):.0f}% "
            "of the frames, but MediaPipe's face detector confirms a face in none of them"
        )
    return filled, missing


def _crop_frames(cfg: PrepareConfig, source_fps: float, crop: tuple[int, int, int], n: int, path: Path,
                 progress: bool) -> None:
    """Second decoding pass: the ``n`` resampled frames cropped straight into a memory-mapped array."""
    from msi.io.video import iter_frames

    frames = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, cfg.size, cfg.size, 3))
    k = 0
    for frame in _progress(resample_frames(iter_frames(cfg.video), source_fps, cfg.fps), n, "cropping", progress):
        if k >= n:
            break
        frames[k] = crop_frame(frame, crop, cfg.size)
        k += 1
    frames.flush()
    del frames
    if k < n:
        raise GeneratorError(f"{cfg.video}: the second decoding pass gave {k} frames instead of {n}")


def _mouth_masks(landmarks: np.ndarray, size: int, path: Path) -> None:
    import torch

    from generator.data.raster import mouth_mask

    masks = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(len(landmarks), size, size))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small ops: threads only add overhead (x15 slower on a busy 2-core machine)
    try:
        for i in range(0, len(landmarks), 64):
            masks[i : i + 64] = mouth_mask(landmarks[i : i + 64], size)
    finally:
        torch.set_num_threads(threads)
    masks.flush()


def _write_arrays(partial: Path, out: Path, wave: np.ndarray, feats: np.ndarray, landmarks: np.ndarray,
                  rep: dict) -> None:
    """Every array of the data directory (see :mod:`generator.data.dataset`), each by an atomic rename."""
    os.replace(partial / "frames.npy", out / "frames.npy")
    audio_mod.write_wav(partial / "audio.wav", wave)
    os.replace(partial / "audio.wav", out / "audio.wav")
    _save_npy(partial, out, "audio_features.npy", feats.astype(np.float32))
    _save_npy(partial, out, "landmarks.npy", landmarks.astype(np.float32))
    _save_npz(partial, out, "pose.npz", rotation=rep["rotation"].astype(np.float32),
              translation=rep["translation"].astype(np.float32), scale=rep["scale"].astype(np.float32))
    _save_npy(partial, out, "shape.npy", rep["shape"].astype(np.float32))
    _save_npy(partial, out, "expression.npy", rep["expression"].astype(np.float32))
    _save_npz(partial, out, "pca.npz", **rep["pca"].as_dict())
    os.replace(partial / "mouth_masks.npy", out / "mouth_masks.npy")


# ---------------------------------------------------------------- helpers


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"format": FORMAT}
    for pkg in ("stableface", "numpy", "av", "mediapipe", "torch", "opencv-contrib-python"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _single_threaded_blas():
    """One BLAS thread for the small decompositions of the face model: multi-threaded OpenBLAS
    busy-waits, and on a shared machine a 750 x 750 eigh went from 0.1 s to 7 s."""
    from threadpoolctl import threadpool_limits

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
