r"""``fast_motion``: how fast the mouth moves where the truth's moves fastest (with ``--truth``).

StableFace (Ling et al., arXiv:2208.13717, Sec. 3.2 and Fig. 9) argues for adaptive smoothing
because a fixed kernel "over-smooths": it erases subtle expression variations in fast movement.
MSI cannot see that (a damped mouth scores better), and ``mouth_motion`` averages the fast
syllables with the slow ones. This column looks only at the fast ones. Frames are paired by time
(:func:`msi.metrics.quality.aligned_pairs`); on each video's inner-lip opening :math:`o(t)` in
median mouth widths (:func:`msi.metrics.mouth_motion.mouth_opening`) the opening speed is the
central difference

.. math:: v(t) = \tfrac12 \lvert o(t+1) - o(t-1) \rvert, \qquad
          F = \{t : v^{truth}(t) \ge q_{0.8}(v^{truth})\}, \qquad
          \text{fast\_motion} = \frac{\sum_{t \in F} v^{gen}(t)}{\sum_{t \in F} v^{truth}(t)}

over the paired frames where both have a face at t-1, t and t+1: the generated mouth's speed
in the truth's fastest fifth of frames (:data:`FAST_SHARE`), over the truth's. 1 for the truth
itself; below 1 the generated mouth is slower where speech is fastest (over-smoothed, damped),
above 1 faster (jitter adds speed too, so read it beside MSI). Neither end is better: the
target is 1.
"""
from __future__ import annotations

import numpy as np

from msi.errors import MSIError
from msi.metrics.column import Column, Metric

#: Share of the truth's frames, the fastest, that ``fast_motion`` looks at.
FAST_SHARE = 0.2


def opening_speed(opening: np.ndarray) -> np.ndarray:
    """(T,) |o(t+1) - o(t-1)| / 2, NaN at both ends and next to a frame without a face."""
    o = np.asarray(opening, dtype=np.float64)
    v = np.full(len(o), np.nan)
    if len(o) >= 3:
        v[1:-1] = np.abs(o[2:] - o[:-2]) / 2
    return v


def fast_motion(generated_opening: np.ndarray, truth_opening: np.ndarray, share: float = FAST_SHARE) -> float:
    """Opening speed of ``generated_opening`` over ``truth_opening``'s (two (T,) tracks already paired
    frame by frame) in the truth's fastest ``share`` of frames; NaN without such frames."""
    if len(generated_opening) != len(truth_opening):
        raise ValueError(f"tracks of {len(generated_opening)} and {len(truth_opening)} frames: pair them first")
    vg, vt = opening_speed(generated_opening), opening_speed(truth_opening)
    ok = np.isfinite(vg) & np.isfinite(vt)
    if ok.sum() < 2:
        return float("nan")
    fast = ok & (vt >= np.quantile(vt[ok], 1 - share))
    total = vt[fast].sum()
    return float(vg[fast].sum() / total) if total > 0 else float("nan")


def _column(ctx) -> dict[str, float]:
    from msi.metrics.mouth_motion import mouth_opening
    from msi.metrics.quality import aligned_pairs

    lm, tl = ctx.landmarks, ctx.truth.landmarks
    ij = aligned_pairs(len(lm), ctx.fps, len(tl), ctx.truth.fps)
    if len(ij) < 3:
        raise MSIError(f"{len(ij)} frame(s) pair up with the truth, 3 needed")
    gen, truth = mouth_opening(lm, ctx.scheme), mouth_opening(tl, ctx.scheme)
    return {"fast_motion": fast_motion(gen[ij[:, 0]], truth[ij[:, 1]])}


METRIC = Metric((Column("fast_motion", "Fast motion", 0, ("truth",), unit="× the truth's",
                        help="mouth opening speed in the truth's fastest fifth of frames, over the truth's "
                             "(1: as fast; below: over-smoothed or damped)"),),
                _column)
