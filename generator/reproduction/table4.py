"""A ground-truth Table IV: how well MSI and the plain statistics track KNOWN jitter.

StableFace's Table IV correlates each metric with human motion-stability opinion scores, which
cannot exist here. The synthetic corpus has what no paper has instead: the jitter injected into
each clip is known exactly. Each clip gets a jitter level drawn at random (uniform on
``[0, max_jitter]`` in MSI units, hidden in the clip's ground truth, independent of its speech
seed); its "known stability" is ``-jitter``. The metrics are correlated with it by
:func:`msi.correlate.correlate` and shown in Table IV's layout (rows: the known-stability
measure; columns: metrics), labelled "known jitter in place of MOS".
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

def build_and_score(out: Path, n_clips: int, seconds: float, max_jitter: float, seed: int = 0,
                    log=None) -> pd.DataFrame:
    """One row per clip: its hidden jitter, MSI-Lip/Jaw and the plain statistics (resumable:
    clips and landmark-cache entries already in ``out`` are reused)."""
    from generator.corpus.build import build_clip
    from msi.score import score_video
    from msi.settings import Settings

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    levels = np.random.default_rng([seed, 4]).uniform(0.0, max_jitter, size=n_clips)
    rows = []
    for i, level in enumerate(levels):
        name = f"clip{i:03d}"
        video = out / "clips" / f"{name}.mp4"
        if not video.is_file():
            build_clip(out / "clips", seconds=seconds, seed=seed + i, jitter=float(level), name=name)
        r = score_video(video, Settings(stats=True), cache=str(out / "cache"))
        rows.append({"video": name, "jitter": float(level), "known_stability": -float(level),
                     "msi_lip": r.msi_lip, "msi_jaw": r.msi_jaw, **r.stats})
        log(f"[{i + 1}/{n_clips}] {name}: jitter {level:.2f}, MSI-Lip {r.msi_lip:.3f}")
    return pd.DataFrame(rows)


def table(scores: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy correlations (every metric x method, with 95% CIs) and the Table IV layout: one row
    (the known-stability measure), one column per metric, Pearson's r."""
    from msi.metrics.baselines import STATS
    from msi.correlate import correlate, wide

    metrics = [f"{s}_{r}" for r in ("lip", "jaw") for s in STATS if f"{s}_{r}" in scores] + ["msi_lip", "msi_jaw"]
    tidy = correlate(scores, metrics=metrics, subjective=["known_stability"])
    layout = wide(tidy)
    layout.index = ["known jitter in place of MOS (Pearson r)"]
    return tidy, layout


def markdown(tidy: pd.DataFrame) -> str:
    """Metrics as rows, Pearson / Spearman / Kendall as columns: ``r [ci_low, ci_high]``.
    A positive r means the metric rises with stability (MSI's direction); the plain statistics
    measure instability, so theirs is negative: compare magnitudes."""
    methods = list(dict.fromkeys(tidy["method"]))
    lines = ["| metric | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for metric in dict.fromkeys(tidy["metric"]):
        cells = []
        for method in methods:
            r = tidy[(tidy.metric == metric) & (tidy.method == method)].iloc[0]
            cells.append(f"{r['r']:+.3f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]")
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
