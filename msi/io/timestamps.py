"""Frame timestamps: is the frame rate constant, and trajectories resampled to a constant rate.

MSI's accelerations ``p(t+2) - 2 p(t+1) + p(t)`` assume equally spaced frames (paper Sec. III-D,
25 fps). A variable-frame-rate file (phones, screen recordings) or one with dropped frames read
as if it were constant turns every timestamp gap into a jump of the trajectory. Pure functions:
arrays of seconds in, a verdict or resampled arrays out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

#: A step longer than this many nominal steps is a gap (frames missing); shorter than
#: DUPLICATE_STEP a duplicate; off the nominal step by more than JITTER_TOL (relative) variable.
GAP_STEP = 1.5
DUPLICATE_STEP = 0.25
JITTER_TOL = 0.25


@dataclass
class Timing:
    """What the timestamps say. ``regular``: equally spaced, the file is used as it is."""

    regular: bool
    fps: float  # nominal rate: 1 / median step (snapped to a rational with denominator <= 1001)
    dropped: int = 0  # frames missing inside gaps
    duplicated: int = 0  # frames whose timestamp repeats (or goes back)
    uneven: int = 0  # steps off the nominal one by more than JITTER_TOL, not gaps or duplicates
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (start s, length s), largest first

    def warnings(self) -> list[str]:
        out = []
        if self.dropped:
            g = ", ".join(f"{length:.3g} s at {start:.3g} s" for start, length in self.gaps[:3])
            out.append(f"timestamp gaps: about {self.dropped} frame(s) missing ({g}); "
                       "windows across a gap are skipped, nothing is interpolated over it")
        if self.duplicated:
            out.append(f"{self.duplicated} frame(s) with a repeated timestamp dropped")
        if self.uneven:
            out.append(f"variable frame rate: {self.uneven} frame step(s) off the nominal {1 / self.fps:.4g} s")
        if not self.regular:
            out.append(f"trajectories resampled by timestamp to a constant {self.fps:.5g} fps")
        return out


def nominal_fps(step: float) -> float:
    return float(Fraction(1 / step).limit_denominator(1001))


def analyse_timestamps(times: np.ndarray, fps_hint: float = float("nan")) -> Timing:
    """Classify the steps between frame times (seconds). Unknown times (NaN) or fewer than three
    frames: assumed regular at ``fps_hint`` (nothing to go by)."""
    t = np.asarray(times, dtype=np.float64)
    if t.size < 3 or not np.isfinite(t).all():
        return Timing(regular=True, fps=float(fps_hint))
    dt = np.diff(t)
    pos = dt[dt > 0]
    if pos.size == 0:
        return Timing(regular=True, fps=float(fps_hint))
    step = float(np.median(pos))
    dup = dt <= DUPLICATE_STEP * step
    gap = dt > GAP_STEP * step
    uneven = ~dup & ~gap & (np.abs(dt - step) > JITTER_TOL * step)
    dropped = int(np.round(dt[gap] / step).sum() - gap.sum())
    order = np.argsort(-dt[gap])
    gaps = [(float(t[:-1][gap][i]), float(dt[gap][i])) for i in order]
    regular = not (dup.any() or gap.any() or uneven.any())
    fps = float(fps_hint) if regular and np.isfinite(fps_hint) else nominal_fps(step)
    return Timing(regular=regular, fps=fps, dropped=max(dropped, int(gap.sum())), duplicated=int(dup.sum()),
                  uneven=int(uneven.sum()), gaps=gaps)


def resample_by_time(points: np.ndarray, times: np.ndarray, fps: float,
                     max_step: float | None = None) -> np.ndarray:
    """Trajectories (T, ...) sampled at ``times`` (seconds) -> samples at ``t0 + k / fps``.

    Linear interpolation between the two frames around each sample time; a sample that falls
    exactly on a frame takes that frame. Samples inside a gap longer than ``max_step`` seconds
    (default ``GAP_STEP`` times the input's median step) are NaN: a missing stretch is never invented. Frames
    whose time does not increase (duplicates) are dropped first, keeping the first.
    """
    pts = np.asarray(points)
    t = np.asarray(times, dtype=np.float64)
    if len(t) != len(pts):
        raise ValueError(f"{len(t)} timestamps for {len(pts)} frames")
    keep = t > np.concatenate([[-np.inf], np.maximum.accumulate(t)[:-1]])  # strictly after all before
    pts, t = pts[keep], t[keep]
    if len(t) == 0:
        return pts.astype(np.float64)
    step = 1.0 / fps
    if max_step is None:  # a gap is judged against the input's own step, not the output's
        d = np.diff(t)
        max_step = GAP_STEP * (float(np.median(d)) if len(d) else step)
    n_out = int(np.floor((t[-1] - t[0]) * fps + 1e-6)) + 1
    tk = t[0] + np.arange(n_out) * step
    i1 = np.searchsorted(t, tk, side="right").clip(1, len(t) - 1) if len(t) > 1 else np.zeros(n_out, int)
    i0 = i1 - 1 if len(t) > 1 else i1
    span = t[i1] - t[i0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (tk - t[i0]) / np.where(span > 0, span, 1), 0.0)
    tol = 1e-3 * step
    on0, on1 = np.abs(tk - t[i0]) < tol, np.abs(tk - t[i1]) < tol
    frac = np.where(on0, 0.0, np.where(on1, 1.0, frac)).clip(0, 1)
    shape = (-1,) + (1,) * (pts.ndim - 1)
    f = frac.reshape(shape)
    a, b = pts[i0].astype(np.float64), pts[i1].astype(np.float64)
    out = np.where(f == 0, a, np.where(f == 1, b, a * (1 - f) + b * f))
    out[~(on0 | on1) & (span > max_step)] = np.nan
    return out
