"""Head motion and blinks of a clip: slow random sinusoids and Poisson blinks."""
from __future__ import annotations

import numpy as np

from generator.corpus.config import CorpusConfig


def head_motion(rng: np.random.Generator, n_frames: int, fps: float, size: int, cfg: CorpusConfig) -> np.ndarray:
    """(T, 5) yaw, pitch, roll (radians), tx, ty (pixels): sums of three slow sinusoids each."""
    t = np.arange(n_frames) / fps
    amps = np.radians(cfg.head_angles_deg).tolist() + [cfg.head_shift * size] * 2
    out = np.zeros((n_frames, 5))
    for k, amp in enumerate(amps):
        f = rng.uniform(*cfg.head_band_hz, size=3)
        ph = rng.uniform(0, 2 * np.pi, size=3)
        w = rng.dirichlet(np.ones(3))
        out[:, k] = amp * (w[None, :] * np.sin(2 * np.pi * f[None, :] * t[:, None] + ph[None, :])).sum(1)
    return out


def blinks(rng: np.random.Generator, n_frames: int, fps: float, cfg: CorpusConfig) -> np.ndarray:
    """(T,) eyelid closure in [0, 1]: Poisson blink times, each a fast closing and slower opening,
    averaged over each frame's exposure like the mouth tracks."""
    duration = n_frames / fps
    times, t = [], float(rng.exponential(cfg.blink_interval))
    while t < duration + 0.5:
        times.append(t)
        t += 0.3 + float(rng.exponential(cfg.blink_interval))  # no second blink within 0.3 s
    ts = np.arange(-0.5 / fps, (n_frames - 0.5) / fps, 1e-3)
    closure = np.zeros_like(ts)
    close_w, open_w = cfg.blink_close_open
    for t0 in times:
        d = ts - t0
        closure = np.maximum(closure, np.exp(-0.5 * (d / np.where(d < 0, close_w, open_w)) ** 2))
    frame = np.minimum(((ts + 0.5 / fps) * fps).astype(int), n_frames - 1)
    return np.bincount(frame, weights=closure, minlength=n_frames) / np.bincount(frame, minlength=n_frames)
