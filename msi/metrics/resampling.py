"""Landmark trajectories to another frame rate, before MSI (``--resample-fps``): MSI depends on
the frame rate (the paper's videos are 25 fps), so videos of different rates are compared at one.
Linear interpolation in time; a frame without a face is never invented."""
from __future__ import annotations

import math

import numpy as np


def to_frame_rate(points: np.ndarray, fps: float, target_fps: float | None) -> tuple[np.ndarray, float]:
    """``(points, fps)`` resampled to ``target_fps`` (see :func:`resample`); unchanged when
    ``target_fps`` is None or (within float rounding) equal to ``fps``."""
    if not target_fps or math.isclose(fps, target_fps):
        return np.asarray(points, dtype=np.float64), float(fps)
    return resample(points, fps, target_fps), float(target_fps)


def resample(points: np.ndarray, fps: float, target_fps: float) -> np.ndarray:
    """Linearly resample trajectories (T, ...) from ``fps`` to ``target_fps``.

    Output frame k is at time k / target_fps, for all times within the input's span. A sample
    whose neighbouring input frames are not both finite is NaN (no face is never invented).
    """
    points = np.asarray(points, dtype=np.float64)
    n = points.shape[0]
    if n == 0 or fps == target_fps:
        return points.copy()
    duration = (n - 1) / fps
    k = np.arange(int(np.floor(duration * target_fps + 1e-9)) + 1)
    pos = k * (fps / target_fps)  # position in input frames
    near = np.abs(pos - np.round(pos)) < 1e-6  # exact hits must not depend on the next frame
    i0 = np.where(near, np.round(pos), np.floor(pos)).astype(int).clip(0, n - 1)
    frac = np.where(near, 0.0, pos - i0)
    i1 = np.clip(i0 + 1, 0, n - 1)
    shape = (-1,) + (1,) * (points.ndim - 1)
    out = points[i0] * (1 - frac.reshape(shape)) + points[i1] * frac.reshape(shape)
    out[near] = points[i0[near]]
    return out
