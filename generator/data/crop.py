"""One fixed square face crop for a whole clip (a per-frame crop would itself add jitter)."""
from __future__ import annotations

import math

import numpy as np


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
