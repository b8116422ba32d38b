"""Validating MSI on the corpus: clips at known lip jitter, MSI measured on their truth and on
MediaPipe tracking of their mp4, and a figure of both.

Jitter of standard deviation sigma (MSI units) adds ``6 sigma^2`` to the variance of each lip
landmark's acceleration (see :mod:`generator.corpus.build`), so MSI must fall as sigma rises.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from generator.corpus.build import build_clip


def excess_acceleration_variance(landmarks: np.ndarray, clean: np.ndarray, fps: float = 25.0) -> float:
    """Mean over lip landmarks and x, y of var(acceleration) minus the clean clip's, in MSI units
    (:func:`msi.metrics.stability.region_accelerations`, both scaled so the clean clip's mouth is 64 px wide).
    Expected: 6 sigma^2."""
    from msi.metrics.stability import mouth_width, region_accelerations
    from msi.regions import MP_MOUTH_CORNERS

    w = mouth_width(clean, MP_MOUTH_CORNERS)

    def var(points: np.ndarray) -> float:
        return float(np.nanmean(np.nanvar(region_accelerations(points, fps, width=w)["lip"], axis=0)))

    return var(landmarks) - var(clean)


def msi_sweep(out_dir, sigmas, seeds, seconds: float = 12.0, size: int = 256, fps: int = 25, face=None,
              progress: bool = False) -> list[dict]:
    """Builds one clip per (seed, sigma) and measures MSI on the ground-truth landmarks and on
    MediaPipe tracking of the written mp4 (``msi.score``), plus the excess lip acceleration variance
    (expected ``6 sigma^2``). Returns one record per clip."""
    from tqdm import tqdm

    from msi.metrics.stability import msi_from_landmarks
    from msi.score import Settings, get_landmarks, score_landmarks

    sigmas = sorted(set(float(x) for x in sigmas) | {0.0})
    rows, clean = [], {}
    jobs = [(seed, sigma) for seed in seeds for sigma in sigmas]
    for seed, sigma in tqdm(jobs, desc="msi-sweep", unit="clip", file=sys.stderr, disable=not progress):
        paths = build_clip(out_dir, seconds=seconds, seed=seed, jitter=sigma, fps=fps, size=size, face=face,
                           name=f"sweep_s{seed}_j{sigma:g}")
        truth = np.load(paths.truth)["landmarks"].astype(np.float64)
        tracked = get_landmarks(paths.video, Settings(), cache=False)
        scored = score_landmarks(tracked.landmarks, tracked.fps, Settings(), path=str(paths.video))
        gt = msi_from_landmarks(truth)
        if sigma == 0.0:
            clean[seed] = (truth, tracked.landmarks)
        rows.append({
            "seed": seed, "sigma": sigma, "expected_excess": 6 * sigma**2,
            "excess_truth": excess_acceleration_variance(truth, clean[seed][0], fps),
            "excess_tracked": excess_acceleration_variance(tracked.landmarks, clean[seed][1], fps),
            "msi_lip_truth": gt.msi_lip, "msi_jaw_truth": gt.msi_jaw,
            "msi_lip_tracked": scored.msi_lip, "msi_jaw_tracked": scored.msi_jaw,
            "face_coverage": scored.face_coverage, "video": paths.video.name,
        })
    return rows


def plot_sweep(rows: list[dict], path: Path) -> Path:
    """MSI-Lip against sigma (mean and range over seeds) and the excess variance against 6 sigma^2."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    df = pd.DataFrame(rows)
    g = df.groupby("sigma")
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    for col, label, colour in (("msi_lip_truth", "ground-truth landmarks", "#1f77b4"),
                               ("msi_lip_tracked", "MediaPipe on the mp4", "#d62728")):
        m = g[col].mean()
        ax[0].plot(m.index, m.values, "o-", color=colour, label=label)
        ax[0].fill_between(m.index, g[col].min().values, g[col].max().values, color=colour, alpha=0.15)
    ax[0].set(xlabel="jitter sigma (px at 64 px mouth width)", ylabel="MSI-Lip", title="MSI falls as jitter rises")
    ax[0].legend(frameon=False)
    s = np.linspace(0, df["sigma"].max(), 50)
    ax[1].plot(s, 6 * s**2, "k--", label="expected 6 sigma^2")
    for col, label, colour in (("excess_truth", "ground truth", "#1f77b4"), ("excess_tracked", "tracked", "#d62728")):
        ax[1].plot(df["sigma"], df[col], "o", color=colour, alpha=0.7, label=label)
    ax[1].set(xlabel="jitter sigma", ylabel="added var(lip acceleration)", title="Acceleration variance added")
    ax[1].legend(frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
