"""Landmark cache: tracking is the slow part, so its output is kept on disk.

Key = SHA-256 of the video's bytes + tracker version + every setting that changes landmarks.
Re-scoring with other metric settings (compat, windows, resampling) or re-running a batch reads
the landmarks from here instead of tracking again. Location: ``$MSI_CACHE_DIR``, else
``$XDG_CACHE_HOME/msi``, else ``~/.cache/msi``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

CACHE_FORMAT = 1


def default_cache_dir() -> Path:
    if os.environ.get("MSI_CACHE_DIR"):
        return Path(os.environ["MSI_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "msi"


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_key(content_hash: str, tracker: dict) -> str:
    blob = json.dumps({"format": CACHE_FORMAT, "content": content_hash, "tracker": tracker}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


class LandmarkCache:
    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.dir = Path(directory) if directory else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.npz"

    def get(self, key: str) -> dict | None:
        p = self._path(key)
        if not p.is_file():
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                return {"landmarks": z["landmarks"], **meta}
        except (OSError, ValueError, KeyError):
            return None  # a damaged entry is a miss, it will be rewritten

    def put(self, key: str, landmarks: np.ndarray, meta: dict) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        # write then rename: a crash or a parallel worker never leaves half a file
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, landmarks=landmarks, meta=np.array(json.dumps(meta)))
            os.replace(tmp, p)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
