"""Reading a prepared data directory (written by ``stableface prepare``).

On-disk format ``stableface-data/1`` (T video frames at 25 fps, crop side S):

=====================  ======================================================================
manifest.json          format, source {video, audio: path, bytes, mtime}, settings (size, fps,
                       sample_rate, n_exp, audio_features "logmel80" | FILE, audio_window, ...),
                       versions, n_frames, crop [x0, y0, side] (source pixels), splits
                       {train, val, test: [start, stop)}, reconstruction_error (per split mean /
                       p95 vertex error in crop px and / mouth width, pca_rank,
                       explained_variance_ratio), frames_without_face (interpolated),
                       audio_offset_s, source_video, warnings, timings_s
frames.npy             uint8 (T, S, S, 3) RGB: one fixed crop for the whole clip, resized to S
audio.wav              16 kHz mono PCM, exactly T / fps seconds
audio_features.npy     float32 (T, W, D): per video frame W feature frames (log-mel: D = 80)
landmarks.npy          float32 (T, 478, 3) MediaPipe mesh in crop pixels (z in the same scale)
pose.npz               rotation (T, 3, 3), translation (T, 3), scale (T,)
shape.npy              float32 (478, 3) identity shape (mean aligned mesh)
expression.npy         float32 (T, 53)
pca.npz                mean (1434,), components (53, 1434), explained_variance (53,)
mouth_masks.npy        uint8 (T, S, S) in {0, 1}
=====================  ======================================================================

Frame k shows the source at time (k + 0.5) / fps; its audio window is centred on the same
instant. ``face3d.reconstruct(shape, expression, pca, rotation, translation, scale)`` maps
the representation back to crop-pixel meshes (see :mod:`generator.data.face3d`).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generator.errors import GeneratorError

FORMAT = "stableface-data/1"
SPLITS = ("train", "val", "test")
ARRAY_FILES = (
    "frames.npy", "audio_features.npy", "landmarks.npy", "pose.npz", "shape.npy", "expression.npy",
    "pca.npz", "mouth_masks.npy",
)


@dataclass
class Clip:
    """One prepared clip; large arrays (frames, features, landmarks, masks) are memory-mapped."""

    path: Path
    manifest: dict[str, Any]
    frames: np.ndarray  # (T, S, S, 3) uint8
    audio_features: np.ndarray  # (T, W, D) float32
    landmarks: np.ndarray  # (T, 478, 3) float32
    rotation: np.ndarray  # (T, 3, 3)
    translation: np.ndarray  # (T, 3)
    scale: np.ndarray  # (T,)
    shape: np.ndarray  # (478, 3)
    expression: np.ndarray  # (T, K)
    pca: dict[str, np.ndarray] = field(repr=False)  # mean, components, explained_variance
    mouth_masks: np.ndarray = field(repr=False)  # (T, S, S) uint8

    @property
    def n_frames(self) -> int:
        return int(self.manifest["n_frames"])

    @property
    def size(self) -> int:
        return int(self.manifest["settings"]["size"])

    @property
    def fps(self) -> float:
        return float(self.manifest["settings"]["fps"])

    @property
    def audio_path(self) -> Path:
        return self.path / "audio.wav"

    def split(self, name: str) -> slice:
        """Frame range of a split (``train``, ``val`` or ``test``) as a slice."""
        if name not in SPLITS:
            raise KeyError(f"unknown split {name!r}; choose from {', '.join(SPLITS)}")
        start, stop = self.manifest["splits"][name]
        return slice(int(start), int(stop))


def is_prepared(data_dir: str | os.PathLike) -> bool:
    d = Path(data_dir)
    return (d / "manifest.json").is_file() and all((d / f).is_file() for f in ARRAY_FILES + ("audio.wav",))


def load_clip(data_dir: str | os.PathLike, mmap: bool = True) -> Clip:
    """Load a data directory written by ``stableface prepare``; checks format and lengths."""
    d = Path(data_dir)
    if not (d / "manifest.json").is_file():
        raise GeneratorError(f"{d}: not a prepared data directory (no manifest.json; run `stableface prepare`)")
    manifest = json.loads((d / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise GeneratorError(f"{d}: data format {manifest.get('format')!r}, expected {FORMAT!r}")
    missing = [f for f in ARRAY_FILES + ("audio.wav",) if not (d / f).is_file()]
    if missing:
        raise GeneratorError(f"{d}: incomplete data directory, missing {', '.join(missing)} (rerun `stableface prepare`)")
    mode = "r" if mmap else None
    pose = dict(np.load(d / "pose.npz"))
    clip = Clip(
        path=d,
        manifest=manifest,
        frames=np.load(d / "frames.npy", mmap_mode=mode),
        audio_features=np.load(d / "audio_features.npy", mmap_mode=mode),
        landmarks=np.load(d / "landmarks.npy", mmap_mode=mode),
        rotation=pose["rotation"],
        translation=pose["translation"],
        scale=pose["scale"],
        shape=np.load(d / "shape.npy"),
        expression=np.load(d / "expression.npy"),
        pca=dict(np.load(d / "pca.npz")),
        mouth_masks=np.load(d / "mouth_masks.npy", mmap_mode=mode),
    )
    t = clip.n_frames
    lengths = {
        "frames": len(clip.frames), "audio_features": len(clip.audio_features), "landmarks": len(clip.landmarks),
        "pose": len(clip.rotation), "expression": len(clip.expression), "mouth_masks": len(clip.mouth_masks),
    }
    bad = {k: n for k, n in lengths.items() if n != t}
    if bad:
        raise GeneratorError(f"{d}: arrays disagree with n_frames={t}: {bad} (prepare it again, forcing a rebuild)")
    return clip

