"""Landmark distances in the truth's pixels: a video at another size than its truth has its
landmarks mapped into the truth's frame before any distance to the truth's landmarks (NLMD, the
68-point LMDs, the acceleration error).

A generated video at half its truth's size has its landmarks in half-size pixels; compared as they
are with the full-size truth's, every point is off by about half its distance to the image origin,
whatever the method did. The map is the one a resize makes: x · W_truth / W, y · H_truth / H (the
pixel centres of a resize, (x + ½) · s − ½, differ from it by less than half a pixel at the
sizes this is for, and trackers report corner-origin coordinates). Frames of another aspect ratio
are stretched the same way, with a warning: the faces then differ in shape, not only in size.
"""
from __future__ import annotations

import math

import numpy as np

#: Relative difference of aspect ratios (W / H) above which the map is called a stretch.
ASPECT_TOLERANCE = 0.01


def scale_to(landmarks: np.ndarray, size: tuple[int, int], target: tuple[int, int]) -> np.ndarray:
    """``landmarks`` (T, N, 2|3) in pixels of a ``size`` (W, H) frame, mapped into a ``target``
    (W, H) frame: x · W_t / W, y · H_t / H (z, if any, scaled as x, as MediaPipe's z is)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    sx, sy = target[0] / size[0], target[1] / size[1]
    if sx == 1.0 and sy == 1.0:
        return lm
    factors = np.array([sx, sy, sx][:lm.shape[-1]])
    return lm * factors


def aspect_differs(size: tuple[int, int], target: tuple[int, int], tol: float = ASPECT_TOLERANCE) -> bool:
    """Whether the W / H ratios of two frame sizes differ by more than ``tol`` (relative)."""
    a, b = size[0] / size[1], target[0] / target[1]
    return not math.isclose(a, b, rel_tol=tol)


def in_truth_frame(ctx) -> np.ndarray:
    """The video's landmarks in the truth's pixels (:func:`scale_to`), with one note on the row
    when the sizes differ and another when the aspect ratios do."""
    lm = ctx.landmarks
    size, truth = ctx.frame_size, ctx.truth.frame_size
    if tuple(size) == tuple(truth):
        return np.asarray(lm, dtype=np.float64)
    ctx.note(f"landmarks mapped from {size[0]}x{size[1]} to the truth's {truth[0]}x{truth[1]} before the "
             "distances to the truth")
    if aspect_differs(size, truth):
        ctx.note(f"aspect ratio {size[0]}x{size[1]} differs from the truth's {truth[0]}x{truth[1]}: the "
                 "landmarks are stretched to it, landmark distances include that stretch")
    return scale_to(lm, size, truth)
