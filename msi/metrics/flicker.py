r"""``flicker``: VBench's temporal flickering, restricted to the face box.

VBench (Huang et al. 2024, "VBench: comprehensive benchmark suite for video generative models",
temporal flickering) takes the mean absolute difference of consecutive frames,
:math:`\text{MAE}_t = \operatorname{mean}_{x,y,c} |f_{t+1} - f_t|` in grey levels, and reports
:math:`(255 - \overline{\text{MAE}})/255`. We report the mean MAE itself (0-255, lower is better;
VBench's score is :math:`1 - \text{flicker}/255`), over the face only: pixel (x, y) of frames t and
t+1 is used when it lies in frame t's face box (the bounding box of the face-oval landmarks
:data:`msi.regions.MP_FACE_OVAL`), on every frame pair with a face in frame t. Speech and head
motion add to it too: compare methods, not a method with zero.
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric
from msi.regions import MP_FACE_OVAL


def face_boxes(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """(T, 4) integer boxes x0, y0, x1, y1 (exclusive) of the face oval, clipped to the frame;
    -1 rows where there is no face."""
    pts = np.asarray(landmarks, dtype=np.float64)[:, list(MP_FACE_OVAL), :2]
    out = np.full((len(pts), 4), -1, dtype=np.int64)
    ok = np.isfinite(pts).all(axis=(1, 2))
    lo, hi = np.floor(pts[ok].min(axis=1)), np.ceil(pts[ok].max(axis=1)) + 1
    out[ok] = np.concatenate([np.clip(lo, 0, [width, height]), np.clip(hi, 0, [width, height])], axis=1)
    return out


def flicker(frames, landmarks: np.ndarray) -> float:
    """Mean absolute difference (grey levels) of consecutive frames inside frame t's face box;
    ``frames``: an iterable of RGB frames paired with the rows of ``landmarks`` (T, 478, 2|3)."""
    maes, prev, boxes = [], None, None
    for k, frame in enumerate(frames):
        if k >= len(landmarks):
            break
        f = np.asarray(frame, dtype=np.int16)
        if boxes is None:
            boxes = face_boxes(landmarks, f.shape[1], f.shape[0])
        if prev is not None:
            x0, y0, x1, y1 = boxes[k - 1]
            if x0 >= 0 and x1 > x0 and y1 > y0:
                maes.append(float(np.abs(f[y0:y1, x0:x1] - prev[y0:y1, x0:x1]).mean()))
        prev = f
    return float(np.mean(maes)) if maes else float("nan")


def _column(ctx) -> dict[str, float]:
    return {"flicker": flicker(ctx.frames(), ctx.landmarks)}


METRIC = Metric((Column("flicker", "Flicker", -1, fmt="{:.2f}", unit="grey levels",
                        help="mean absolute difference of consecutive frames in the face box (VBench), 0-255"),),
                _column)
