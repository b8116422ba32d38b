"""Every column of ``msi compare`` for one video: the per-video context its metrics read
(:class:`msi.metrics.column.VideoContext`: landmarks, score, audio, frames, each loaded on first
use) and the registered metrics (:mod:`msi.metrics.registry`) run on it.

``video_metrics`` scores one video (every column, NaN where not computable); ``set_features``
takes only the set-level metrics' features (FID, FVD) of a reference video. Comparing many videos
of many methods is :mod:`msi.comparison.compare`'s job.
"""
from __future__ import annotations

import math
import os

from msi.errors import MSIError
from msi.io.remote import display_path, redact_text  # string work: fsspec loads only for a URL
from msi.metrics.column import CompareSettings, Metric, VideoContext
from msi.metrics.registry import COLUMNS, SET_METRICS, VIDEO_METRICS

#: Bumped whenever a column's definition changes, so stored rows (``stableface bench`` results)
#: know they must be scored again (version 2: ``mouth_motion`` in median mouth widths).
METRICS_VERSION = 2

#: Errors of one metric that stop the whole run (they are the user's, not the video's).
FATAL_KINDS = ("bad_weights",)


def empty_row(path: str) -> dict:
    return {"path": str(path), **{c: math.nan for c in COLUMNS}, "frames": 0, "fps": math.nan,
            "truth": None, "error": None, "error_kind": None, "warnings": []}


def video_context(path: str | os.PathLike, settings, cache: bool | str = True,
                  options: CompareSettings = CompareSettings(), syncnet_weights=None,
                  truth: VideoContext | None = None, weights: dict | None = None) -> VideoContext:
    """The context the columns of one video are computed from: tracking (cached, as ``msi
    score``), the score, the audio and the frames, each loaded on first use."""
    from msi.io.audio import read_audio
    from msi.io.video import iter_frames, probe
    from msi.acquire import get_landmarks
    from msi.score import score_landmarks

    return VideoContext(str(path), settings=settings, options=options, syncnet_weights=syncnet_weights, truth=truth,
                        weights=weights,
                        track=lambda: get_landmarks(path, settings, cache=cache),
                        score=lambda lm: score_landmarks(lm.landmarks, lm.fps, settings, path=str(path)),
                        audio=lambda: read_audio(path), frames=lambda: iter_frames(path),
                        frame_rate=lambda: probe(path).fps)


def video_metrics(path: str | os.PathLike, truth: str | os.PathLike | None = None, syncnet_weights=None,
                  settings=None, cache: bool | str = True, compare_settings: CompareSettings = CompareSettings(),
                  weights: dict | None = None) -> dict:
    """Every column of :data:`COLUMNS` for one video (NaN where not computable), plus ``frames``,
    ``fps``, ``truth`` and ``warnings``. Raises :class:`MSIError` when the video itself cannot be
    scored (missing, unreadable, no face); problems of one column (no audio track, a bad truth
    video) become a NaN and a warning.

    ``truth``: the ground-truth video for SSIM, PSNR and NLMD; ``syncnet_weights``: a path to
    ``syncnet_v2.model`` (or a loaded ``msi.metrics.syncnet.SyncNet``) for LSE-C/LSE-D; ``weights``:
    {"inception" | "i3d" | "arcface": path or loaded network} for FID, FVD (their per-video
    features, under ``row["features"]``: see :func:`compare_methods`) and CSIM.
    """
    from msi.settings import Settings

    settings = settings or Settings()
    truth_ctx = video_context(truth, settings, cache, compare_settings) if truth is not None else None
    ctx = video_context(path, settings, cache, compare_settings, syncnet_weights, truth_ctx, weights)
    row = empty_row(display_path(path))
    res = ctx.score  # the video's own failure (unreadable, no face) is the row's error
    row.update(frames=res.frames, fps=res.fps)
    ctx.notes.extend(list(ctx.tracked.warnings) + list(res.warnings))
    for metric in VIDEO_METRICS:
        row.update(run_metric(metric, ctx))
    features = {k: v for m in SET_METRICS for k, v in run_metric(m, ctx).items()}
    if features:
        row["features"] = features
    if truth is not None:
        row["truth"] = display_path(truth)
    row["warnings"] = ctx.notes
    return row


def run_metric(metric: Metric, ctx: VideoContext) -> dict:
    """One metric's values on ``ctx``; {} (NaN cells) when a need is missing or its input is
    unusable, with a warning saying why (a missing truth or weights is not worth one)."""
    if not all(ctx.has(n) for n in metric.needs if n != "audio"):
        return {}
    if "audio" in metric.needs:
        try:
            ctx.audio
        except MSIError as exc:
            ctx.note(f"audio columns skipped: {without_path(exc, ctx.path)}")
            return {}
    try:
        return dict(metric.compute(ctx))
    except MSIError as exc:
        if exc.kind in FATAL_KINDS:
            raise
        ctx.note(f"{metric.title} skipped: {without_path(exc, ctx.path)}")
        return {}


def without_path(exc: Exception, path) -> str:
    """An error message without its leading "PATH: " (the path is the row's own field)."""
    msg = str(exc)
    return msg[len(str(path)) + 2:] if msg.startswith(f"{path}: ") else msg


def set_features(path: str | os.PathLike, weights: dict, settings=None, cache: bool | str = True,
                 options: CompareSettings = CompareSettings()) -> dict:
    """The set-level metrics' features of one reference (truth) video, without tracking it:
    {"path", "features": {column: rows}, "warnings": [...], "error": None or the one-line reason}."""
    from msi.settings import Settings

    ctx = video_context(path, settings or Settings(), cache, options, weights=weights)
    shown = display_path(path)
    try:
        features = {k: v for m in SET_METRICS for k, v in run_metric(m, ctx).items()}
    except MSIError as exc:
        return {"path": shown, "features": {}, "warnings": ctx.notes, "error": redact_text(without_path(exc, shown))}
    return {"path": shown, "features": features, "warnings": ctx.notes, "error": None}
