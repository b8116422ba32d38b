r"""``blink_rate``: blinks per minute, from the eye aspect ratio.

The eye aspect ratio (EAR; Soukupová & Čech 2016, "Real-time eye blink detection using facial
landmarks"), on MediaPipe's eye contours (:data:`msi.regions.MP_EYES`: two corners, seven upper
and seven lower lid points), averaged over both eyes:

.. math:: \text{EAR}_t = \frac{\operatorname{mean}_i \lVert u_i - l_i \rVert}{\lVert c_1 - c_2 \rVert}

An eye is *closed* in frame t when :math:`\text{EAR}_t < 0.7 \cdot \operatorname{median}_t
\text{EAR}` (:data:`CLOSED_RATIO`; relative to the clip's own open eye, as faces and trackers
differ in their open-eye EAR); a blink is a run of closed frames, and runs less than
:data:`MERGE_S` apart count once. ``blink_rate`` = blinks / minutes of video with a face.

People blink about 10-20 times a minute at rest and more while they talk (Bentivoglio et al.
1997, "Analysis of blink rate patterns in normal subjects": 17 per minute at rest, 26 in
conversation, 4.5 reading). A generated face that never blinks scores 0; neither direction is
better, compare it with the reference's and with that range.
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric
from msi.regions import MP_EYES

CLOSED_RATIO = 0.7  # EAR below this share of the clip's median EAR: the eye is closed
MERGE_S = 0.1  # closed runs closer than this are one blink (a flickering threshold crossing)


def eye_aspect_ratio(landmarks: np.ndarray) -> np.ndarray:
    """(T,) EAR averaged over both eyes (NaN where there is no face)."""
    lm = np.asarray(landmarks, dtype=np.float64)[..., :2]
    ears = []
    for (c1, c2), upper, lower in MP_EYES:
        width = np.linalg.norm(lm[:, c1] - lm[:, c2], axis=-1)
        lids = np.linalg.norm(lm[:, list(upper)] - lm[:, list(lower)], axis=-1).mean(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ears.append(lids / width)
    return np.mean(ears, axis=0)


def count_blinks(ear: np.ndarray, fps: float) -> int:
    """Runs of closed-eye frames (see the module docstring) in an EAR track."""
    e = np.asarray(ear, dtype=np.float64)
    ok = np.isfinite(e)
    if not ok.any():
        return 0
    closed = ok & (e < CLOSED_RATIO * np.median(e[ok]))
    starts = np.flatnonzero(closed & ~np.r_[False, closed[:-1]])
    ends = np.flatnonzero(closed & ~np.r_[closed[1:], False])
    gap = max(1, int(round(MERGE_S * fps)))
    return int(1 + np.sum(starts[1:] - ends[:-1] > gap)) if len(starts) else 0


def blink_rate(landmarks: np.ndarray, fps: float) -> float:
    """Blinks per minute of video with a face; NaN without a face."""
    ear = eye_aspect_ratio(landmarks)
    minutes = np.isfinite(ear).sum() / fps / 60
    return float(count_blinks(ear, fps) / minutes) if minutes > 0 else float("nan")


def _column(ctx) -> dict[str, float]:
    return {"blink_rate": blink_rate(ctx.landmarks, ctx.fps)}


METRIC = Metric((Column("blink_rate", "Blinks/min", 0, fmt="{:.1f}", unit="per minute",
                        help="blinks per minute from the eye aspect ratio (people: about 10-20 at rest)"),),
                _column)
