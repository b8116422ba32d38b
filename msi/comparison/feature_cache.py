"""Feature cache: every column's per-video output, kept beside the landmark cache.

The networks (FID's Inception, FVD's I3D, LPIPS, CSIM's ArcFace, LSE's SyncNet, ...) are the slow
part of ``msi compare`` once landmarks are cached, and the weight-free frame columns (CPBD,
SSIM/PSNR, flicker) the next. Each metric's output for one video is kept on disk: FID's Inception
pool3 rows (one per frame used), FVD's I3D rows (one per 16-frame clip), the per-video values of
every other column with the warnings they gave, and whether the video declares itself generated.
A rerun, an added method, an added column, and ``msi report`` after ``msi compare`` read them
instead of decoding and computing again.

Key = SHA-256 of: the video's bytes, the truth's bytes (columns that read the truth), each weights
file's SHA-256, every option that changes the number (:class:`msi.metrics.column.CompareSettings`,
the tracking settings the landmarks came from, the landmark resampling; for the weight-free columns
every :class:`msi.settings.Settings` field and
:data:`msi.metrics.column.METRICS_VERSION`), the column names and :data:`FEATURE_FORMAT`.
Other weights or options are other entries: they never mix.

Same folder, flags and guarantees as the landmark cache (:mod:`msi.io.cache`): ``--cache-dir`` (its
``features/`` subfolder; a URL works too), ``--no-cache``; entries written to a temporary file and
renamed into place, so concurrent processes and a killed writer never leave half an entry; a
damaged entry is removed, computed again and rewritten, with a warning; a folder that cannot be
written is a warning and the run goes on. WER is not cached (its transcripts are read per run), nor
are networks passed in as objects (no file to hash). The store itself (the folder, an entry's
format, values keyed by a video's bytes alone): :mod:`msi.io.feature_store`.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from msi.io.cache import sha256_of
from msi.io.feature_store import FEATURE_FORMAT, FeatureCache, digest
from msi.metrics.column import METRICS_VERSION, NEEDS

#: Needs that are a network's weights (SyncNet's "weights" and the named networks'): their files'
#: SHA-256 key an entry.
NETWORK_NEEDS = tuple(n for n in NEEDS if n not in ("truth", "audio"))
#: Columns never cached (their inputs include files read per run: WER's transcripts).
UNCACHED = ("wer",)


def weights_sha256(weights: Any) -> list[str | None] | None:
    """The SHA-256 of each weights file (a path or a tuple of paths, None: the loader's default);
    None when the network was passed as an object (nothing to key it by)."""
    files = weights if isinstance(weights, tuple) else (weights,)
    out: list[str | None] = []
    for f in files:
        if f is None:
            out.append(None)
        elif isinstance(f, (str, os.PathLike)) and os.path.isfile(f):
            out.append(sha256_of(f))
        else:
            return None
    return out


def cacheable(metric) -> bool:
    return not {c.name for c in metric.columns} & set(UNCACHED)


def entry_key(metric, ctx) -> str | None:
    """The entry of ``metric`` on ``ctx`` (a :class:`msi.metrics.column.VideoContext`), or None
    when it cannot be keyed (a URL, a network passed as an object)."""
    from msi.io.remote import is_url

    if is_url(ctx.path) or not os.path.isfile(ctx.path):
        return None
    needs = {n for c in metric.columns for n in c.needs}
    weights = {}
    for need in sorted(needs & set(NETWORK_NEEDS)):
        w = ctx.syncnet_weights if need == "weights" else ctx.weights.get(need)
        files = weights_sha256(w)
        if files is None:
            return None
        weights[need] = files
    truth = None
    if "truth" in needs and ctx.truth is not None:
        if is_url(ctx.truth.path) or not os.path.isfile(ctx.truth.path):
            return None
        truth = sha256_of(ctx.truth.path)
    settings = ctx.settings
    key = {"format": FEATURE_FORMAT, "columns": [c.name for c in metric.columns],
           "content": sha256_of(ctx.path), "truth": truth, "weights": weights,
           "options": dataclasses.asdict(ctx.options),
           "tracking": settings.tracker_key(), "resample_fps": settings.resample_fps, "scheme": settings.scheme}
    if not weights:  # a weight-free column is all definition and settings (MSI's compat, windows, ...)
        key.update(settings=dataclasses.asdict(settings), metrics=METRICS_VERSION)
    return digest(key)


def cached_metric(metric, view, store: FeatureCache | None, run) -> dict:
    """``run(metric, view)`` through ``store``: read when present (its warnings added to the
    view's), else computed and written; {} without running when a need (truth, weights) is
    missing. Anything not cacheable runs as it is."""
    if not all(view.has(n) for n in metric.needs if n != "audio"):
        return {}  # as run_metric gives it: NaN cells, no warning
    if store is None or not cacheable(metric):
        return run(metric, view)
    try:
        key = entry_key(metric, view)
    except OSError:
        key = None
    if key is None:
        return run(metric, view)
    hit = store.get(key, view.notes)
    if hit is not None:
        values, found = hit
        for n in found:
            view.note(n)
        return values
    before = len(view.notes)
    values = run(metric, view)
    found = view.notes[before:]
    if all(isinstance(v, (np.ndarray, int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
           for v in values.values()):  # an empty result too: its inputs (all in the key) gave nothing
        store.put(key, values, found, view.notes)
    return values
