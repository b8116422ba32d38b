r"""Candidate variants of the Motion Stability Index, beside the paper's (which stays the default).

Paper MSI (Ling et al., arXiv:2208.13717, Sec. III-D; :mod:`msi.metrics.stability`) windows the variance of
the accelerations :math:`a_t = p_{t+2} - 2p_{t+1} + p_t` of mouth-width-normalised landmarks.
Those accelerations mix two things: jitter (frame-to-frame noise, white) and articulation (real,
fast lip motion, most of its energy below ~6 Hz). The ``hf`` variant changes two steps and keeps
everything else (scale, windows of 12, hop 6, :math:`1/(\sigma^2 + 0.5)`, mean over points, axes
and windows):

1. **Head motion removed**: every frame is aligned to the first frame with a face by the
   least-squares transform (``align``: ``"translation"``, default, or ``"similarity"``, Umeyama
   1991) of the stable points :data:`msi.regions.STABLE_POINTS` (upper face: forehead, temples),
   which neither speech nor blinks move. (On the design seeds ``"similarity"`` absorbed part of
   the injected lip jitter, because the tracker moves its whole mesh a little with the lips, so
   the variant fell less than MSI; translation did not.)
2. **Band above articulation**: the second difference is replaced by the ``order``-th
   difference (binomial high-pass; ``order`` 2 is the paper's), divided by
   :math:`\sqrt{\binom{2n}{n} / 6}` so that i.i.d. jitter of std :math:`\sigma` adds exactly
   :math:`6\sigma^2` to the variance, as it does to the acceleration: jitter moves the variant as
   much as MSI, while motion at frequency :math:`f` is weighted by
   :math:`(2\sin(\pi f/f_s))^{n}` instead of :math:`(2\sin(\pi f/f_s))^{2}`, less below
   :math:`f_s/6` (about 4 Hz at 25 fps).

Adopted as an option (``msi score --variant hf``; paper MSI stays the default and is always
reported) after ``research/study_rate_jitter.py`` on held-out corpus seeds
(``docs/study_rate_jitter.md``): it fell monotonically with injected lip jitter, more steeply than
MSI, and moved less with speech rate (on the seed means; seed by seed 3 of 4 lips, 2 of 4 jaw).
It removes head translation, so a pure whole-head translation is not counted as jitter.
"""
from __future__ import annotations

from math import comb

import numpy as np

from msi.constants import EPS, HOP, MOUTH_WIDTH_FRAMES, TARGET_MOUTH_WIDTH, WINDOW
from msi.metrics.stability import check_landmarks, frame_valid, mouth_width, window_values
from msi.regions import REGIONS, STABLE_POINTS, Scheme, get_scheme

VARIANTS = ("paper", "hf")
ALIGN_MODES = ("none", "translation", "similarity")
#: The ``hf`` variant's settings, chosen on the study's design seeds only (seeds 0, 1 of
#: ``research/study_rate_jitter.py --design-grid``: smallest rate range per jitter drop among the
#: settings that fell at least as steeply as MSI).
HF_DEFAULTS = dict(align="translation", order=6)


def difference_filter(order: int) -> np.ndarray:
    """Binomial ``order``-th difference kernel, scaled to a white-noise gain (sum of squares) of 6."""
    if order < 2 or order % 2:
        raise ValueError(f"order must be an even number >= 2, got {order}")
    k = np.array([(-1) ** i * comb(order, i) for i in range(order + 1)], dtype=np.float64)
    return k * np.sqrt(6.0 / (k**2).sum())


def high_pass(points: np.ndarray, order: int) -> np.ndarray:
    """Normalised ``order``-th differences along time: (T, ...) -> (T - order, ...). Order 2 is
    exactly the paper's acceleration."""
    k = difference_filter(order)
    p = np.asarray(points, dtype=np.float64)
    n = len(p) - order
    if n <= 0:
        return np.empty((0,) + p.shape[1:])
    return sum(k[i] * p[i : i + n] for i in range(order + 1))


def align_frames(points: np.ndarray, stable: tuple[int, ...], mode: str = "similarity") -> np.ndarray:
    """Align every frame's (x, y) to the first frame with a face by the least-squares transform of
    the ``stable`` points (Umeyama 1991 for ``similarity``: rotation, uniform scale, translation).
    Frames without a face stay NaN."""
    if mode not in ALIGN_MODES:
        raise ValueError(f"align must be one of {ALIGN_MODES}, got {mode!r}")
    p = np.asarray(points, dtype=np.float64)[:, :, :2]
    if mode == "none":
        return p.copy()
    ok = frame_valid(p[:, list(stable)])
    out = np.full_like(p, np.nan)
    if not ok.any():
        return out
    ref = p[np.flatnonzero(ok)[0], list(stable)]
    ref_c = ref.mean(axis=0)
    r0 = ref - ref_c
    for t in np.flatnonzero(ok):
        src = p[t, list(stable)]
        c = src.mean(axis=0)
        if mode == "translation":
            out[t] = p[t] - c + ref_c
            continue
        s0 = src - c
        u, sig, vt = np.linalg.svd(r0.T @ s0)  # cross-covariance ref <- src
        d = np.sign(np.linalg.det(u @ vt))
        rot = u @ np.diag([1.0, d]) @ vt
        scale = (sig * [1.0, d]).sum() / (s0**2).sum()
        out[t] = scale * (p[t] - c) @ rot.T + ref_c
    return out


def msi_hf(
    points: np.ndarray,
    scheme: str | Scheme = "mediapipe478",
    *,
    align: str = HF_DEFAULTS["align"],
    order: int = HF_DEFAULTS["order"],
    stable: tuple[int, ...] | None = None,
    mouth_width_frames: int = MOUTH_WIDTH_FRAMES,
    window: int = WINDOW,
    hop: int = HOP,
    eps: float = EPS,
) -> dict[str, float]:
    r"""The ``hf`` variant of MSI per region (module docstring): head-aligned trajectories,
    ``order``-th normalised differences instead of accelerations, then the paper's windows:
    :math:`\frac1K\sum_k \frac1{2M}\sum_{i,d} 1/(\sigma^2_{k,i,d} + 0.5)`. Full windows only.
    ``stable``: indices of the stable points (default :data:`msi.regions.STABLE_POINTS` of the
    scheme; pass them when ``points`` holds a subset, see :func:`points_subset`).
    Returns ``{"lip": ..., "jaw": ...}`` (NaN when no window has a face throughout)."""
    sch = get_scheme(scheme) if isinstance(scheme, str) else scheme
    pts = check_landmarks(points, sch)[:, :, :2]
    scale = TARGET_MOUTH_WIDTH / mouth_width(pts, sch.mouth_corners, mouth_width_frames)
    aligned = align_frames(pts, STABLE_POINTS[sch.name] if stable is None else stable, align) * scale
    out = {}
    for region in REGIONS:
        traj = aligned[:, list(sch.region(region))]
        hp = high_pass(traj, order)
        valid = np.isfinite(hp.reshape(len(hp), -1)).all(axis=1)
        _, _, values = window_values(hp, window, hop, eps, False, valid)
        out[region] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    return out


def points_subset(points: np.ndarray, scheme: Scheme,
                  columns: tuple[int, ...] | None = None) -> tuple[np.ndarray, Scheme, tuple[int, ...]]:
    """x, y (float64) of only the points :func:`msi_hf` reads (lips, jaw, mouth corners, stable
    points), the scheme renumbered for them and the renumbered stable indices (memory: a tracked
    video holds all 478 points). ``columns``: the scheme indices ``points`` holds, when it holds
    only some (a compact store, :mod:`msi.io.landmark_store`)."""
    import dataclasses

    stable = STABLE_POINTS[scheme.name]
    idx = sorted(set(scheme.lip) | set(scheme.jaw) | set(scheme.mouth_corners) | set(stable))
    pos = {p: k for k, p in enumerate(idx)}
    sub = dataclasses.replace(scheme, n_points=len(idx), lip=tuple(pos[p] for p in scheme.lip),
                              jaw=tuple(pos[p] for p in scheme.jaw),
                              mouth_corners=tuple(pos[p] for p in scheme.mouth_corners))
    col = {p: k for k, p in enumerate(columns)} if columns is not None else {p: p for p in idx}
    return (np.asarray(np.asarray(points)[:, [col[p] for p in idx], :2], dtype=np.float64), sub,
            tuple(pos[p] for p in stable))
