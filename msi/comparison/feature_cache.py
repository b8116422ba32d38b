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
are networks passed in as objects (no file to hash).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from msi.metrics.column import METRICS_VERSION, NEEDS

#: Bumped when what an entry holds changes.
FEATURE_FORMAT = 1
#: Needs that are a network's weights (SyncNet's "weights" and the named networks'): their files'
#: SHA-256 key an entry.
NETWORK_NEEDS = tuple(n for n in NEEDS if n not in ("truth", "audio"))
#: Columns never cached (their inputs include files read per run: WER's transcripts).
UNCACHED = ("wer",)

_HASHES: dict[tuple, str] = {}
_HASH_LOCK = threading.Lock()


def sha256_of(path: str | os.PathLike) -> str:
    """A file's SHA-256, computed once per process for a given (path, size, mtime)."""
    from msi.io.cache import file_sha256

    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    with _HASH_LOCK:
        if key not in _HASHES:
            _HASHES[key] = file_sha256(path)
        return _HASHES[key]


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
        digest = weights_sha256(w)
        if digest is None:
            return None
        weights[need] = digest
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
    return _digest(key)


def _digest(key: dict) -> str:
    blob = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


def content_key(path: str | os.PathLike, what: dict) -> str | None:
    """The entry of a value that depends only on the video's bytes and ``what`` (e.g. whether it
    declares itself generated, read from its first frames); None for a URL or a missing file."""
    from msi.io.remote import is_url

    if is_url(path) or not os.path.isfile(path):
        return None
    return _digest({"format": FEATURE_FORMAT, "content": sha256_of(path), **what})


class FeatureCache:
    """Entries under ``<cache folder>/features`` (the landmark cache's folder, or URL)."""

    def __init__(self, cache: bool | str = True) -> None:
        from msi.io.cache import LandmarkCache

        base = LandmarkCache(cache if isinstance(cache, str) else None)  # resolves $MSI_CACHE_DIR, URLs
        self.remote = None
        if base.remote is not None:
            fs, root = base.remote
            self.remote = (fs, f"{root.rstrip('/')}/features")
            self.dir = f"{base.dir}/features"
        else:
            self.dir = Path(base.dir) / "features"
        self.hits = 0
        self.misses = 0

    def _path(self, key: str):
        from msi.io.cache import _RemotePath

        if self.remote is not None:
            return _RemotePath(self.remote, f"{key[:2]}/{key}.npz")
        return self.dir / key[:2] / f"{key}.npz"

    def get(self, key: str, notes: list[str]) -> tuple[dict, list[str]] | None:
        """(values, the warnings computing them gave) or None; a damaged entry is removed and
        a warning appended to ``notes``."""
        from msi.io.cache import _reason, read_entry

        p = self._path(key)
        try:
            if not p.is_file():
                self.misses += 1
                return None
        except OSError:
            self.misses += 1
            return None
        try:
            with read_entry(p) as z:
                meta = json.loads(str(z["meta"]))
                values = {k: z[k] for k in meta["arrays"]}
            values.update({k: v if isinstance(v, int) else float(v) for k, v in meta["values"].items()})
            found = [str(n) for n in meta["notes"]]
        except MemoryError:
            raise
        except Exception as exc:  # BadZipFile, EOFError, zlib.error, OSError, ValueError, KeyError, ...
            notes.append(f"feature cache entry {p.name} was damaged ({_reason(exc)}): computed again")
            try:
                p.unlink()
            except OSError:
                pass
            self.misses += 1
            return None
        self.hits += 1
        return values, found

    def put(self, key: str, values: dict, found: list[str], notes: list[str]) -> bool:
        """Store an entry (ndarray values as arrays, numbers in the metadata); False and a warning
        in ``notes`` when the folder cannot be written."""
        from msi.io.cache import _reason, write_entry

        arrays = {k: np.asarray(v) for k, v in values.items() if isinstance(v, np.ndarray)}
        numbers = {k: int(v) if isinstance(v, (int, np.integer)) else float(v)  # an int comes back an int
                   for k, v in values.items() if k not in arrays}
        meta = {"arrays": sorted(arrays), "values": numbers, "notes": list(found)}
        p = self._path(key)
        try:
            write_entry(p, key, lambda f: np.savez(f, meta=np.array(json.dumps(meta, allow_nan=True)), **arrays))
            return True
        except OSError as exc:
            notes.append(f"feature cache not written to {self.dir} ({_reason(exc)}); the run goes on")
            return False


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


def cached_flag(store: FeatureCache | None, path: str | os.PathLike, what: dict, compute, notes: list[str]):
    """``compute()`` (True, False or None) through ``store``, for a value that depends only on the
    video's bytes and ``what``."""
    try:
        key = content_key(path, what) if store is not None else None
    except OSError:
        key = None
    if key is None:
        return compute()
    hit = store.get(key, notes)
    if hit is not None:
        v = float(hit[0]["flag"])
        return None if math.isnan(v) else bool(v)
    value = compute()
    store.put(key, {"flag": math.nan if value is None else float(value)}, [], notes)
    return value
