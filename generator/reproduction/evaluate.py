"""Scoring one generated video for the bench: the per-video columns of ``msi compare`` plus the
mouth-motion ratio against the ground truth (MSI alone rewards a still mouth: a ratio well below
1 says the generated mouth moves less than the real one)."""
from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path


def evaluate_video(video: Path, truth: Path | None, syncnet_weights: str | None = None,
                   lpips_weights: str | None = None) -> dict:
    """``msi.comparison.video_columns.video_metrics`` of ``video`` against ``truth`` (NaN columns and ``error`` when
    the video cannot be scored, e.g. a model too small to draw a face), and ``motion_ratio``.
    ``truth=None`` scores the ground truth itself (no reference columns; ratio 1). ``lpips_weights``:
    the LPIPS trunk (torchvision's AlexNet or VGG16 file) for the ``lpips`` column."""
    from msi.metrics.registry import COLUMNS
    from msi.comparison.video_columns import video_metrics
    from msi.metrics.column import METRICS_VERSION
    from msi.errors import MSIError

    try:
        got = video_metrics(video, truth=truth, syncnet_weights=syncnet_weights,
                            weights={"lpips": lpips_weights} if lpips_weights else None)
        row = {c: float(got[c]) for c in COLUMNS}
        row["error"] = ""
    except MSIError as exc:
        row = {c: math.nan for c in COLUMNS}
        row["error"] = str(exc)
    row["metrics_version"] = METRICS_VERSION
    if truth is None:
        row["motion_ratio"] = 1.0 if math.isfinite(row.get("mouth_motion", math.nan)) else math.nan
        return row
    truth_motion = _truth_motion(str(truth), os.stat(truth).st_mtime_ns)
    row["motion_ratio"] = row.get("mouth_motion", math.nan) / truth_motion if truth_motion > 0 else math.nan  # NaN-safe
    return row


@lru_cache(maxsize=8)
def _truth_motion(path: str, _mtime: int) -> float:
    from msi.errors import MSIError
    from msi.score import score_video

    try:
        return float(score_video(path).mouth_motion)
    except MSIError:
        return math.nan
