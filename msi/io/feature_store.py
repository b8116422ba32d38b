"""The feature cache's store: per-video values kept on disk beside the landmark cache.

An entry holds arrays and numbers with the warnings computing them gave, under
``<cache folder>/features`` (the landmark cache's folder, or its URL: :mod:`msi.io.cache`), named by
a key its caller builds. ``msi compare`` keys each column's values by the video, its truth, the
weights and the options (:mod:`msi.comparison.feature_cache`). A value that depends only on a
video's bytes, such as whether it declares itself generated, is keyed by :func:`content_key` and
read through :func:`cached_flag`, so ``msi score`` and ``msi compare`` share it.

Same guarantees as the landmark cache: an entry is written whole or not at all, a damaged entry is
removed and computed again with a warning, and a folder that cannot be written is a warning.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from msi.io.cache import LandmarkCache, _RemotePath, _reason, read_entry, sha256_of, write_entry

#: Bumped when what an entry holds changes.
FEATURE_FORMAT = 1


def digest(key: dict) -> str:
    """An entry's name: the SHA-256 of ``key`` as sorted JSON (40 hex digits)."""
    blob = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


def content_key(path: str | os.PathLike, what: dict) -> str | None:
    """The entry of a value that depends only on the video's bytes and ``what`` (e.g. whether it
    declares itself generated, read from its first frames); None for a URL or a missing file."""
    from msi.io.remote import is_url

    if is_url(path) or not os.path.isfile(path):
        return None
    return digest({"format": FEATURE_FORMAT, "content": sha256_of(path), **what})


class FeatureCache:
    """Entries under ``<cache folder>/features`` (the landmark cache's folder, or URL)."""

    def __init__(self, cache: bool | str = True) -> None:
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
        if self.remote is not None:
            return _RemotePath(self.remote, f"{key[:2]}/{key}.npz")
        return self.dir / key[:2] / f"{key}.npz"

    def get(self, key: str, notes: list[str]) -> tuple[dict, list[str]] | None:
        """(values, the warnings computing them gave) or None; a damaged entry is removed and
        a warning appended to ``notes``."""
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
