r"""``accel_error``: how far the lips' accelerations are from the truth's (with ``--truth``).

The pose literature's acceleration error (Kanazawa et al. 2019, "Learning 3D human dynamics from
video"; VIBE, Kocabas et al. 2020; TCMR, Choi et al. 2021: the mean difference between predicted
and true joint accelerations), adapted to lip landmarks. Frames are paired by time
(:func:`msi.metrics.quality.aligned_pairs`); each video's lip landmarks (the 40 points of
MSI-Lip) are scaled so its own median mouth width is 64 px (MSI's unit, independent of
resolution); on the paired sequences

.. math:: a_t = p_{t+1} - 2 p_t + p_{t-1}, \qquad
          \text{accel\_error} = \operatorname{mean}_{t, i} \lVert a^{gen}_{t,i} - a^{truth}_{t,i} \rVert

in pixels per frame² at a 64 px mouth width (the video's landmarks first mapped into the truth's
frame, :mod:`msi.metrics.truth_frame`), over the frames where both have a face on three
consecutive frames. 0 for the truth itself. Unlike MSI it cannot be gamed by a still mouth: the
truth's accelerations that a damped or frozen mouth leaves out count as error, and so does every
acceleration jitter adds. Lower is better.
"""
from __future__ import annotations

import numpy as np

from msi.constants import TARGET_MOUTH_WIDTH
from msi.errors import MSIError
from msi.metrics.column import Column, Metric
from msi.metrics.stability import accelerations, mouth_width
from msi.regions import get_scheme


def accel_error(generated: np.ndarray, truth: np.ndarray, scheme: str = "mediapipe478") -> float:
    """Mean lip acceleration error of two landmark tracks (T, N, 2|3 pixels) already paired frame
    by frame (same length); NaN without three consecutive frames with a face in both."""
    sch = get_scheme(scheme)
    lips = list(sch.lip)

    def scaled(points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, dtype=np.float64)[:, :, :2]
        return p[:, lips] * (TARGET_MOUTH_WIDTH / mouth_width(p, sch.mouth_corners, None))

    if len(generated) != len(truth):
        raise ValueError(f"tracks of {len(generated)} and {len(truth)} frames: pair them first")
    d = np.linalg.norm(accelerations(scaled(generated)) - accelerations(scaled(truth)), axis=-1)  # (T-2, 40)
    ok = np.isfinite(d).all(axis=1)
    return float(d[ok].mean()) if ok.any() else float("nan")


def _column(ctx) -> dict[str, float]:
    from msi.metrics.quality import aligned_pairs
    from msi.metrics.truth_frame import in_truth_frame

    lm, tl = in_truth_frame(ctx), ctx.truth.landmarks  # a stretch (another aspect) changes mouth shapes
    ij = aligned_pairs(len(lm), ctx.fps, len(tl), ctx.truth.fps)
    if len(ij) < 3:
        raise MSIError(f"{len(ij)} frame(s) pair up with the truth, 3 needed")
    return {"accel_error": accel_error(lm[ij[:, 0]], tl[ij[:, 1]], ctx.scheme)}


METRIC = Metric((Column("accel_error", "Accel error", -1, ("truth",), unit="px/frame² at a 64 px mouth",
                        help="mean difference of lip accelerations to the truth's, px/frame² at a 64 px mouth"),),
                _column)
