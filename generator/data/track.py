"""Tracking the face mesh of a clip for ``stableface prepare``: resumable, in checkpointed chunks.

The resampled frames are tracked in chunks of :data:`CHUNK` by :func:`msi.tracking.track_frames_verified`
(the tracker reset per chunk, so resuming from a chunk's checkpoint gives what an uninterrupted
run gives) with the human-face check of ``msi score``. Frames larger than ``track_side`` are
downscaled for the tracker only (``msi.io.video.iter_frames``), as ``msi.tracking.track_video``
does, and the landmarks mapped back to source pixels.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from generator.data.timeline import resample_frames
from msi.regions import MP_N_POINTS
from msi.tracking import DEFAULT_TRACKER

CHUNK = 250  # frames tracked per checkpoint


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


def track_clip(video: str | os.PathLike, fps: float, n_max: int, checkpoints: Path, track_side: int | None = None,
               tracker: str = DEFAULT_TRACKER,
               wrap: Callable[[Iterable, int], Iterable] = lambda frames, total: frames) -> tuple[np.ndarray, bool]:
    """Landmarks (T, 478, 3) in source pixels of at most ``n_max`` frames of ``video`` resampled to
    ``fps``, and whether MediaPipe's face detector confirms a human face (the check of ``msi score``,
    :class:`msi.tracking.FaceCheck`, over the whole clip: the mesh tracker alone also follows
    cartoon faces).

    Finished chunks are saved as ``checkpoints/track_NNNNN.npy`` and reused by a rerun (their
    frames are decoded again for the face check only). ``wrap(frames, total)`` may wrap the frame
    stream (e.g. in a progress bar). ``tracker``: the backend's name (:data:`msi.tracking.TRACKERS`).
    """
    from msi.tracking import FaceCheck, open_tracker, track_frames_verified
    from msi.io.video import iter_frames, probe, scaled_size

    info = probe(video)
    tw, th = scaled_size(info.width, info.height, track_side)
    total = min(n_max, int(info.n_frames * fps / info.fps) if info.n_frames else n_max)
    frames = iter(wrap(itertools.islice(resample_frames(iter_frames(video, max_side=track_side), info.fps, fps),
                                        n_max), total))
    chunks: list[np.ndarray] = []
    with open_tracker(tracker) as trk, FaceCheck() as check:
        for c in itertools.count():
            done = checkpoints / f"track_{c:05d}.npy"
            batch = itertools.islice(frames, CHUNK)
            if done.is_file():  # tracked by an interrupted earlier run
                n = 0
                for frame in batch:
                    check.observe(frame)
                    n += 1
                lm = np.load(done)[:n]
            else:  # the tracker is reset first: a chunk is tracked as by a fresh tracker
                lm, _ = track_frames_verified(batch, tracker=trk, check=check, capacity=CHUNK)
                n = len(lm)
                if n == CHUNK:
                    np.save(checkpoints / "tmp_track.npy", lm)
                    os.replace(checkpoints / "tmp_track.npy", done)
            if n:
                chunks.append(lm)
            if n < CHUNK:
                break
        confirmed = check.confirmed
    lm = np.concatenate(chunks) if chunks else np.empty((0, MP_N_POINTS, 3))
    if (tw, th) != (info.width, info.height):  # back to source pixels
        lm = lm * np.array([info.width / tw, info.height / th, info.width / tw])
    return lm, confirmed
