"""The time axis of a prepared clip: resampling to the training frame rate, and the splits.

Output frame k shows the source at time (k + 0.5) / fps, the middle of its display interval.
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator

import numpy as np


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
