r"""The head: its jitter in MSI's own terms (``msi_head``) and how much it moved (``head_motion``).

The paper defines jitter as irregular movement "of the mouth or head" (Ling et al.,
arXiv:2208.13717, Sec. III-D) but scores only the lips and the jaw. ``msi_head`` is MSI with the
exact arithmetic of :func:`msi.metrics.stability.msi_from_landmarks` (accelerations of
coordinates scaled to a 64 px mouth width, windows of 12, :math:`1/(\sigma^2 + 0.5)` per window,
mean over windows) on the rigid upper-face points :data:`msi.regions.STABLE_POINTS` (forehead
midline and the face oval above the eyes: points speech and blinks do not move). A shaking head
lowers it; lips that jitter alone lower it far less, but not by nothing: the tracker's mesh
passes some lip motion on to the forehead (corpus clip, lip jitter of 1 px at a 64 px mouth:
MSI-Lip 0.87 -> 0.19, MSI-Head 1.42 -> 1.10; ``tests/msi/test_stability_columns.py``).

``head_motion`` (THEval's head-motion dynamics, as an amount): the spread of the centroid
:math:`c_t` of the same points over the frames with a face, in median mouth widths,

.. math:: \text{head\_motion} = \sqrt{\operatorname{var}_t c_{t,x} + \operatorname{var}_t c_{t,y}} \,/\, w

(0 for a head that never moves; translation only, the rotation is not measured). Neither
direction is better: compare it with the reference method's, as ``mouth_motion``.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from msi.metrics.column import Column, Metric
from msi.metrics.resampling import to_frame_rate
from msi.metrics.stability import frame_valid, msi_from_landmarks, mouth_width
from msi.regions import STABLE_POINTS, get_scheme


def msi_head(points: np.ndarray, scheme: str = "mediapipe478", **msi_options) -> float:
    """MSI of the rigid upper-face points (T, N, 2|3 pixels); ``msi_options`` as
    :func:`msi.metrics.stability.msi_from_landmarks` (compat, mouth_width_frames, ...)."""
    sch = get_scheme(scheme)
    head = dataclasses.replace(sch, lip=STABLE_POINTS[sch.name])  # MSI's "lip" region read from the head
    return msi_from_landmarks(points, head, **msi_options).msi_lip


def head_motion(points: np.ndarray, scheme: str = "mediapipe478") -> float:
    """Spread of the upper-face centroid over the frames with a face, in median mouth widths."""
    sch = get_scheme(scheme)
    pts = np.asarray(points, dtype=np.float64)[:, :, :2]
    ok = frame_valid(pts, list(STABLE_POINTS[sch.name]))
    if ok.sum() < 2:
        return float("nan")
    c = pts[ok][:, list(STABLE_POINTS[sch.name])].mean(axis=1)
    return float(np.sqrt(c.var(axis=0).sum()) / mouth_width(pts, sch.mouth_corners, None))


def _columns(ctx) -> dict[str, float]:
    s = ctx.settings
    pts, _ = to_frame_rate(ctx.landmarks, ctx.fps, s.resample_fps)  # as MSI-Lip/Jaw are scored
    return {"msi_head": msi_head(pts, ctx.scheme, compat=s.compat, mouth_width_frames=s.mouth_width_frames),
            "head_motion": head_motion(ctx.landmarks, ctx.scheme)}


METRIC = Metric((Column("msi_head", "MSI-Head", +1,
                        help="Motion Stability Index of the rigid upper-face points: the head's jitter"),
                 Column("head_motion", "Head motion", 0, unit="median mouth widths",
                        help="spread of the upper-face centroid over frames, median mouth widths")), _columns)
