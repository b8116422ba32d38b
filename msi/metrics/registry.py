"""Every column of ``msi compare`` (and of ``stableface bench``), in output order.

Adding a column: write its module in ``msi/metrics/`` (the pure function, with its formula and
reference in the docstring, and a ``METRIC`` = :class:`msi.metrics.column.Metric` reading what it
needs from the :class:`msi.metrics.column.VideoContext`), and add that ``METRIC`` here.
"""
from __future__ import annotations

from msi.metrics import (accel_error, blinks, csim, desync, dynamic_degree, fast_motion, fid, flicker, fvd, fvmd, head, lipsync,
                         lmd, lmd68, lpips, lse, motion_smoothness, mouth_motion, quality, silence, stability, wer)
from msi.metrics.column import Column, Metric

#: Per-video metrics, in output order (their columns' order is the table's).
VIDEO_METRICS: tuple[Metric, ...] = (stability.METRIC, mouth_motion.METRIC, lse.METRIC, lipsync.METRIC,
                                     quality.METRIC, lmd.METRIC, lmd68.METRIC,
                                     # the temporal columns: head, silence, acceleration error, fast motion, flicker, blinks
                                     head.METRIC, silence.METRIC, accel_error.METRIC, fast_motion.METRIC, flicker.METRIC,
                                     blinks.METRIC,
                                     # identity similarity (ArcFace ONNX weights)
                                     csim.METRIC,
                                     # the perceptual distance and the lip reader's word error rate
                                     lpips.METRIC, wer.METRIC,
                                     # VBench's motion columns (AMT-S, RAFT)
                                     motion_smoothness.METRIC, dynamic_degree.METRIC,
                                     # audio-visual offset (Synchformer)
                                     desync.METRIC)
#: Metrics with one value per method (``level="set"``): FID, FVD and FVMD, from the user's weights.
SET_METRICS: tuple[Metric, ...] = (fid.METRIC, fvd.METRIC, fvmd.METRIC)

#: Every per-video column by name, in output order.
COLUMNS: dict[str, Column] = {c.name: c for m in VIDEO_METRICS for c in m.columns}
#: Every set-level column by name, in output order.
SET_COLUMNS: dict[str, Column] = {c.name: c for m in SET_METRICS for c in m.columns}
#: Every column of the summary table (per-video ones, then set-level ones).
TABLE_COLUMNS: dict[str, Column] = {**COLUMNS, **SET_COLUMNS}


def shown_columns(summary) -> list[str]:
    """Metric columns with at least one value (LSE without weights, SSIM without truth are left out)."""
    return [c for c in TABLE_COLUMNS if (summary.loc[summary["metric"] == c, "n"] > 0).any()]
