"""Baseline motion statistics of a landmark region, the comparison rows of paper Table IV.

StableFace (Ling et al., arXiv:2208.13717), Table IV, correlates MSI with subjective motion
stability and compares it with plain statistics of the *same* landmark trajectories. This
module computes those statistics so that a user's opinion-score table can regenerate the whole
table (``msi score --stats`` writes them as columns ``<stat>_<region>``, e.g. ``var_velocity_lip``).

Input: one region's scale-normalised landmark trajectories ``points`` of shape (T, N, 2) (pixels
of the normalised face, mouth width = 64 px, see :func:`msi.metrics.stability.normalise_scale`) and the frame
rate ``fps``. Derivatives are finite differences in physical time, ``dt = 1 / fps``:

* velocity      ``v_t = (p_{t+1} - p_t) / dt``                       (px/s)
* acceleration  ``a_t = (p_{t+2} - 2 p_{t+1} + p_t) / dt**2``        (px/s^2)
* jerk          ``j_t = (p_{t+3} - 3 p_{t+2} + 3 p_{t+1} - p_t) / dt**3`` (px/s^3)

Unlike MSI these are *not* inverted: larger means more motion / less smooth, except
``log_dimensionless_jerk`` where larger (less negative) means smoother.

NaN frames (no face) are allowed: any difference that touches a NaN frame is NaN and is left
out of every mean and variance, so a lost frame never fakes a jump.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Statistic names in output order.
STATS = ("var_velocity", "var_acceleration", "mean_abs_acceleration", "mean_jerk", "log_dimensionless_jerk")


def _diff(points: np.ndarray, order: int, fps: float) -> np.ndarray:
    """``order``-th finite difference along time, in units per second**order (NaN-propagating)."""
    return np.diff(points, n=order, axis=0) * float(fps) ** order


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def _var_over_time(d: np.ndarray) -> float:
    """Variance over time of each landmark coordinate, averaged over landmarks and axes.

    ``mean_{n,k} Var_t d[t, n, k]`` with the population variance (ddof=0) over the finite samples
    of each coordinate; coordinates with fewer than 2 finite samples are ignored.
    """
    finite = np.isfinite(d)
    counts = finite.sum(axis=0)
    ok = counts >= 2
    if not ok.any():
        return float("nan")
    filled = np.where(finite, d, 0.0)
    mean = filled.sum(axis=0) / np.maximum(counts, 1)
    var = np.where(finite, (d - mean) ** 2, 0.0).sum(axis=0) / np.maximum(counts, 1)
    return float(var[ok].mean())


def var_velocity(points: np.ndarray, fps: float) -> float:
    """Variance of velocity: ``mean_{n,k} Var_t v[t, n, k]`` (px^2/s^2).

    The "variance of velocity" baseline of StableFace Table IV (Ling et al., arXiv:2208.13717).
    """
    return _var_over_time(_diff(_check(points), 1, fps))


def var_acceleration(points: np.ndarray, fps: float) -> float:
    """Variance of acceleration: ``mean_{n,k} Var_t a[t, n, k]`` (px^2/s^4).

    The quantity MSI is built from, but over the whole clip and not inverted
    (StableFace Table IV, Ling et al., arXiv:2208.13717; MSI is ``1 / (Var_window a + eps)``).
    """
    return _var_over_time(_diff(_check(points), 2, fps))


def mean_abs_acceleration(points: np.ndarray, fps: float) -> float:
    """Mean acceleration magnitude: ``mean_{t,n} ||a[t, n]||_2`` (px/s^2).

    StableFace Table IV baseline (Ling et al., arXiv:2208.13717).
    """
    a = _diff(_check(points), 2, fps)
    return _nanmean(np.linalg.norm(a, axis=-1))


def mean_jerk(points: np.ndarray, fps: float) -> float:
    """Mean jerk magnitude: ``mean_{t,n} ||j[t, n]||_2`` (px/s^3).

    Jerk (third derivative of position) as a smoothness measure: Flash & Hogan, "The
    coordination of arm movements", J. Neurosci. 5(7), 1985; StableFace Table IV baseline.
    """
    j = _diff(_check(points), 3, fps)
    return _nanmean(np.linalg.norm(j, axis=-1))


def log_dimensionless_jerk(points: np.ndarray, fps: float) -> float:
    """Log dimensionless jerk (LDLJ), averaged over landmarks (dimensionless; higher = smoother).

    Balasubramanian, Melendez-Calderon, Roby-Brami & Burdet, "On the analysis of movement
    smoothness", J. NeuroEng. Rehabil. 12:112, 2015, eq. for LDLJ with the speed profile::

        LDLJ = -ln( (t2 - t1)^3 / v_peak^2 * integral_{t1}^{t2} ||j(t)||^2 dt )

    per landmark, with ``v_peak = max_t ||v_t||``, the integral as ``sum_t ||j_t||^2 dt`` over the
    finite jerk samples and ``t2 - t1`` the duration covered by the finite velocity samples
    (frames lost to NaN shorten it rather than counting as still). A landmark that never moves
    (``v_peak = 0``) or has no finite jerk is left out.
    """
    p = _check(points)
    dt = 1.0 / float(fps)
    speed = np.linalg.norm(_diff(p, 1, fps), axis=-1)  # (T-1, N)
    jerk2 = np.sum(_diff(p, 3, fps) ** 2, axis=-1)  # (T-3, N)
    values = []
    for n in range(p.shape[1]):
        s, j2 = speed[:, n], jerk2[:, n]
        s, j2 = s[np.isfinite(s)], j2[np.isfinite(j2)]
        if s.size == 0 or j2.size == 0 or s.max() <= 0:
            continue
        duration = s.size * dt
        integral = j2.sum() * dt
        if integral <= 0:  # perfectly jerk-free: LDLJ is +inf, which no mean survives
            continue
        values.append(-np.log(duration**3 / s.max() ** 2 * integral))
    return float(np.mean(values)) if values else float("nan")


def _check(points: np.ndarray) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 3 or p.shape[-1] < 2:
        raise ValueError(f"points must have shape (T, N, 2), got {p.shape}")
    return p[..., :2]  # a z column, if present, is not part of the 2-D baselines


def baseline_stats(points: np.ndarray, fps: float) -> dict[str, float]:
    """All baseline statistics of one region: ``{name: value}`` for every name in :data:`STATS`.

    ``points`` is (T, N, 2) (a third column is ignored), ``fps`` the frame rate. Values are NaN
    when a clip has too few finite frames for the derivative a statistic needs.
    """
    if not fps or fps <= 0 or not np.isfinite(fps):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    p = _check(points)
    return {
        "var_velocity": var_velocity(p, fps),
        "var_acceleration": var_acceleration(p, fps),
        "mean_abs_acceleration": mean_abs_acceleration(p, fps),
        "mean_jerk": mean_jerk(p, fps),
        "log_dimensionless_jerk": log_dimensionless_jerk(p, fps),
    }


def region_stats(points: np.ndarray, fps: float, regions: Mapping[str, Sequence[int]]) -> dict[str, float]:
    """Baseline statistics of several regions of a full landmark array, keyed ``<stat>_<region>``.

    ``points`` is (T, P, 2 or 3) with all landmarks (already scale-normalised); ``regions`` maps a
    region name to its landmark indices, e.g. ``{"lip": scheme.lip, "jaw": scheme.jaw}``.
    """
    p = np.asarray(points, dtype=np.float64)
    out: dict[str, float] = {}
    for region, idx in regions.items():
        for stat, value in baseline_stats(p[:, list(idx)], fps).items():
            out[f"{stat}_{region}"] = value
    return out
