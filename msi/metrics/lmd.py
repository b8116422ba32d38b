"""Landmark distance to the ground truth: LMD and NLMD (pure numpy).

StableFace (Ling et al., arXiv:2208.13717) reports NLMD in Tables II and V without defining its
normalisation; the choice made here is documented in :func:`nlmd` and selectable.
"""
from __future__ import annotations

import numpy as np

from msi.constants import MOUTH_WIDTH_FRAMES
from msi.metrics.column import Column, Metric
from msi.metrics.stability import frame_valid, mouth_width
from msi.regions import get_scheme

#: How NLMD normalises: by the ground truth's mouth width (default), or not at all (= LMD in px).
NLMD_NORMALISATIONS = ("mouth_width", "none")


def lmd(pred: np.ndarray, truth: np.ndarray, points: tuple[int, ...] | None = None) -> float:
    """Landmark distance: LMD = (1 / (T·P)) Σ_t Σ_p ‖l̂_tp − l_tp‖₂, the mean Euclidean (x, y)
    distance between corresponding landmarks of the generated and the ground-truth frames, over the
    T frames where both have a face and the P points of ``points`` (default: all).

    Chen, Li, Maddox, Duan & Xu, "Lip movements generation at a glance", ECCV 2018 (computed on the
    mouth landmarks). Units: pixels of the frames given. Frames are paired by index: align them first.
    """
    a = np.asarray(pred, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    if points is not None:
        a, b = a[:, list(points)], b[:, list(points)]
    a, b = a[..., :2], b[..., :2]
    ok = frame_valid(a) & frame_valid(b)
    if not ok.any():
        return float("nan")
    return float(np.linalg.norm(a[ok] - b[ok], axis=-1).mean())


def nlmd(pred: np.ndarray, truth: np.ndarray, scheme: str = "mediapipe478", normalise: str = "mouth_width",
         mouth_width_frames: int = MOUTH_WIDTH_FRAMES) -> float:
    """Normalised mouth landmark distance.

    NLMD = LMD over the lip landmarks of ``scheme`` / w, where w is the ground truth's mouth width
    (mean corner-to-corner distance over its first ``mouth_width_frames`` frames with a face: the
    same w that normalises MSI, paper Sec. III-D). NLMD is thus in mouth widths and independent of
    the video resolution; 0.05 means the lips are on average 5 % of a mouth width off.
    ``normalise="none"`` returns the plain mouth LMD in pixels (Chen et al. 2018).
    """
    if normalise not in NLMD_NORMALISATIONS:
        raise ValueError(f"unknown NLMD normalisation {normalise!r}; choose from {', '.join(NLMD_NORMALISATIONS)}")
    sch = get_scheme(scheme)
    d = lmd(pred, truth, sch.lip)
    if normalise == "none":
        return d
    w = mouth_width(np.asarray(truth, dtype=np.float64), sch.mouth_corners, mouth_width_frames)
    return float(d / w) if np.isfinite(w) and w > 0 else float("nan")


def _column(ctx) -> dict[str, float]:
    """NLMD against the truth's landmarks, frames paired by time, the video's landmarks in the
    truth's pixels (:mod:`msi.metrics.truth_frame`)."""
    from msi.metrics.quality import aligned_pairs
    from msi.metrics.truth_frame import in_truth_frame

    lm, tl = in_truth_frame(ctx), ctx.truth.landmarks
    ij = aligned_pairs(len(lm), ctx.fps, len(tl), ctx.truth.fps)
    return {"nlmd": nlmd(lm[ij[:, 0]], tl[ij[:, 1]], ctx.scheme, ctx.options.nlmd_normalise,
                         ctx.settings.mouth_width_frames)}


METRIC = Metric((Column("nlmd", "NLMD", -1, ("truth",), "{:.4f}", unit="mouth widths",
                        help="mouth landmark distance to the truth / its mouth width"),), _column)
