"""Every column of ``msi compare`` for one video: the per-video context its metrics read
(:class:`msi.metrics.column.VideoContext`: landmarks, score, audio, frames, each loaded on first
use) and the registered metrics (:mod:`msi.metrics.registry`) run on it.

``video_metrics`` scores one video (every column, NaN where not computable); ``set_features``
takes only the set-level metrics' features (FID, FVD) of a reference video. Comparing many videos
of many methods is :mod:`msi.comparison.compare`'s job.
"""
from __future__ import annotations

import copy
import math
import os

from msi.errors import MSIError
from msi.io.remote import display_path, redact_text  # string work: fsspec loads only for a URL
from msi.metrics.column import CompareSettings, Metric, VideoContext
from msi.comparison.shared_decode import Pass, SharedVideo
from msi.metrics.registry import COLUMNS, SET_METRICS, VIDEO_METRICS

#: Errors of one metric that stop the whole run (they are the user's, not the video's).
FATAL_KINDS = ("bad_weights",)


def empty_row(path: str) -> dict:
    return {"path": str(path), **{c: math.nan for c in COLUMNS}, "frames": 0, "fps": math.nan,
            "truth": None, "error": None, "error_kind": None, "warnings": []}


def video_context(path: str | os.PathLike, settings, cache: bool | str = True,
                  options: CompareSettings = CompareSettings(), syncnet_weights=None,
                  truth: VideoContext | None = None, weights: dict | None = None,
                  group: Pass | None = None) -> VideoContext:
    """The context the columns of one video are computed from: tracking (cached, as ``msi
    score``), the score, the audio and the frames, each loaded on first use. With a ``group``
    (:class:`msi.comparison.shared_decode.Pass`) every column that reads the frames shares one
    decode (``ctx.shared``: its :class:`~msi.comparison.shared_decode.SharedVideo`)."""
    from msi.io.audio import read_audio
    from msi.io.video import probe
    from msi.acquire import get_landmarks
    from msi.score import score_landmarks

    def decode():
        from msi.io.video import iter_frames  # looked up at each decode: a counter can wrap it

        return iter_frames(path)

    shared = SharedVideo(decode, group) if group is not None else None
    ctx = VideoContext(str(path), settings=settings, options=options, syncnet_weights=syncnet_weights, truth=truth,
                       weights=weights,
                       track=lambda: get_landmarks(path, settings, cache=cache),
                       score=lambda lm: score_landmarks(lm.landmarks, lm.fps, settings, path=str(path)),
                       audio=lambda: read_audio(path), frames=shared.frames if shared is not None else decode,
                       frame_rate=lambda: probe(path).fps)
    ctx.shared = shared
    return ctx


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

    The video and its truth are decoded once each, every column reading the same decode
    (:func:`utterance_columns`, which does the same for several methods' videos of one utterance).
    """
    rows, _ = utterance_columns({None: path}, truth, syncnet_weights, settings, cache, compare_settings, weights)
    row = rows[None]
    if isinstance(row, BaseException):
        raise row
    return row


def utterance_columns(videos: dict, truth: str | os.PathLike | None = None, syncnet_weights=None, settings=None,
                      cache: bool | str = True, options: CompareSettings = CompareSettings(),
                      weights: dict | None = None, truth_features: bool = False,
                      cross_video: bool | None = None) -> tuple[dict, dict | None]:
    """Every column of several videos of one utterance ({key: path}, e.g. one per method) against
    one ``truth``, in one pass: each video and the truth decoded once, every column of every video
    reading those decodes side by side (:mod:`msi.comparison.shared_decode`), the truth tracked
    at most once. With ``cross_video`` the networks' inputs of every video of the utterance share
    batches (:mod:`msi.networks.batching`: a few-frame video does not fill a batch alone); without,
    each video's are batched alone (the same numbers, up to the kernels' summation order for
    another batch size). Default (None): across videos on an accelerator, alone on the CPU, where
    a bigger batch is no faster and the shared batches' last forwards wait for the job's other
    columns instead of running beside them (measured: docs/speed.md).

    Returns ({key: row as :func:`video_metrics` returns it, or the exception that failed the
    video}, the truth's :func:`set_features` record when ``truth_features``, else None)."""
    from msi.provenance.declared import declared_generated, declared_key
    from msi.settings import Settings

    from msi.comparison.feature_cache import cached_metric
    from msi.io.feature_store import FeatureCache, cached_flag

    settings = settings or Settings()
    store = FeatureCache(cache) if cache else None  # the networks' outputs, beside the landmarks
    group = Pass()
    if cross_video is None:
        from msi.metrics.networks import run_device

        cross_video = run_device() != "cpu"
    batchers = None
    if cross_video and (syncnet_weights is not None or any(w is not None for w in (weights or {}).values())):
        from msi.networks.batching import JobBatchers  # (msi.networks only with weights)

        batchers = JobBatchers(group)
    truth_ctx = video_context(truth, settings, cache, options, weights=weights, group=group) \
        if truth is not None else None
    if truth_ctx is not None:
        truth_ctx.batchers = batchers
    out: dict = {}
    plans = []
    for key, path in videos.items():
        try:
            ctx = video_context(path, settings, cache, options, syncnet_weights, truth_ctx, weights, group)
            ctx.batchers = batchers
            row = empty_row(display_path(path))
            res = ctx.score  # the video's own failure (unreadable, no face) is the row's error
        except Exception as exc:  # noqa: BLE001 - the caller turns it into the row's error
            out[key] = exc
            continue
        row.update(frames=res.frames, fps=res.fps)
        ctx.notes.extend(list(ctx.tracked.warnings) + list(res.warnings))
        if truth is not None:
            row["truth"] = display_path(truth)
        plans.append((key, ctx, row))
    tasks, owners = [], []
    for key, ctx, _ in plans:
        for metric in (*VIDEO_METRICS, *SET_METRICS):
            view = copy.copy(ctx)  # the same loaders, frames and truth; the column's own notes
            view.notes = []
            tasks.append(lambda m=metric, v=view: cached_metric(m, v, store, run_metric))
            owners.append((key, metric, view))
    if truth_features and truth_ctx is not None:
        tview = copy.copy(truth_ctx)
        tview.notes = []
        for metric in SET_METRICS:
            tasks.append(lambda m=metric: cached_metric(m, tview, store, run_metric))
            owners.append((_TRUTH, metric, tview))
    # does each video declare itself generated (msi.provenance): its first frames from the same
    # decode, its speech from the audio the audio columns read (decoded once)
    marks = [lambda c=ctx, k=k: cached_flag(store, videos[k], declared_key(),
                                              lambda: declared_generated(videos[k], frames=c.frames(),
                                                                         audio=lambda: c.audio), c.notes)
             for k, ctx, _ in plans]
    results = group.run(tasks + marks)
    declared = {k: value if ok else None for (k, _, _), (ok, value) in zip(plans, results[len(tasks):])}
    results = results[:len(tasks)]
    failed: dict = {}
    values: dict = {}
    for (key, metric, view), (ok, value) in zip(owners, results):
        if not ok:
            failed.setdefault(key, value)  # the first failing column, in output order
            continue
        values.setdefault(key, []).append((metric, value, view.notes))
    for key, ctx, row in plans:
        if key in failed:
            out[key] = failed[key]
            continue
        notes = list(ctx.notes)
        features = {}
        for metric, value, more in values.get(key, []):
            (features if metric.level == "set" else row).update(value)
            notes += [n for n in more if n not in notes]
        if features:
            row["features"] = features
        row["warnings"] = list(dict.fromkeys(notes))
        row["declared_generated"] = declared[key]  # C2PA manifest, frame or audio mark
        out[key] = row
    truth_row = None
    if truth_features and truth is not None:
        shown = display_path(truth)
        truth_row = {"path": shown, "features": {}, "warnings": [], "error": None}
        if _TRUTH in failed:
            exc = failed[_TRUTH]
            msg = without_path(exc, shown) if isinstance(exc, MSIError) else \
                f"unexpected {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
            truth_row["error"] = redact_text(msg)
        else:
            for _, value, more in values.get(_TRUTH, []):
                truth_row["features"].update(value)
                truth_row["warnings"] += [n for n in more if n not in truth_row["warnings"]]
    return out, truth_row


#: The key of the truth's own tasks in :func:`utterance_columns`.
_TRUTH = object()


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
    return utterance_columns({}, path, None, settings, cache, options, weights, truth_features=True)[1]
