"""Landmark cache: tracking is the slow part, so its output is kept on disk.

Key = SHA-256 of the video's bytes + tracker version + every setting that changes landmarks.
Re-scoring with other metric settings (compat, windows, resampling) or re-running a batch reads
the landmarks from here instead of tracking again. Location: ``$MSI_CACHE_DIR``, else
``$XDG_CACHE_HOME/msi``, else ``~/.cache/msi``.

The cache never stops a score. Entries are written to a temporary file and renamed into place
(atomic on POSIX), so parallel processes and a ``kill -9`` mid-write never leave half an entry
under its name. An entry that is damaged anyway (full disk, partial copy, bit rot) is a miss:
it is removed, the video is tracked again and the entry rewritten, with a warning. A folder
that cannot be written (read-only, no space) gives a warning and scoring goes on. The messages
collect in :attr:`LandmarkCache.warnings`.

Beside the full mesh (``landmarks``, T x 478 x 3) an entry holds ``score_points``: the columns
:data:`msi.regions.MP_SCORE_POINTS` a score reads, so scoring an hour from the cache reads 72
points per frame, not 478. Entries are written block by block from a spool file when the full
mesh was never in memory (:mod:`msi.io.landmark_store`).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

#: 2: landmarks float32, frame timestamps and decode notes stored beside them.
CACHE_FORMAT = 2
#: Temporary files older than this (seconds) are leftovers of killed writers and are removed.
STALE_TMP_AGE = 3600.0


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
    """Key of an entry: the content and every tracker setting (``tracker``, a JSON-able dict)."""
    blob = json.dumps({"format": CACHE_FORMAT, "content": content_hash, "tracker": tracker}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


def _reason(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


class LandmarkCache:
    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.dir = Path(directory) if directory else default_cache_dir()
        self.warnings: list[str] = []  # what went wrong with the cache (never fatal)

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.npz"

    def mesh(self, key: str):
        """The full mesh of entry ``key`` as a block reader (:class:`msi.io.landmark_store.Member`),
        None when absent; nothing is loaded."""
        from msi.io.landmark_store import npz_member

        try:
            return npz_member(self._path(key), "landmarks")
        except (OSError, ValueError, zipfile.BadZipFile):
            return None

    def spool_dir(self, key: str) -> Path:
        """Where a tracker spools the full mesh of entry ``key`` before :meth:`put` (its own
        folder: leftovers of a killed process are removed there like other temporary files)."""
        return self._path(key).parent

    def get(self, key: str, points: tuple[int, ...] | None = None) -> dict | None:
        """The entry as a dict (``landmarks``, other stored arrays, and the metadata), or None
        when there is none or it is damaged (then it is removed and a warning recorded).
        ``points``: only these columns of the landmarks are read (the compact copy when it holds
        exactly them); the dict's ``points`` says which columns ``landmarks`` has (None: all)."""
        p = self._path(key)
        try:
            if not p.is_file():
                return None
        except OSError:
            return None
        try:
            with np.load(p, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                compact = points is not None and "score_points" in z.files and \
                    tuple(meta.get("score_points_index", ())) == tuple(points)
                skip = {"meta", "score_points"} | ({"landmarks"} if compact else set())
                arrays = {name: z[name] for name in z.files if name not in skip}
                if compact:
                    arrays["landmarks"] = z["score_points"]
                elif points is not None:  # an entry without the compact copy: read, then keep the columns
                    arrays["landmarks"] = np.ascontiguousarray(arrays["landmarks"][:, list(points)])
            meta.pop("score_points_index", None)
            meta["points"] = tuple(points) if points is not None else None
            lm = arrays["landmarks"]
            if lm.ndim != 3 or not isinstance(meta, dict) or "fps" not in meta:
                raise ValueError(f"unexpected content (landmarks {lm.shape})")
            if "timestamps" in arrays and len(arrays["timestamps"]) != len(lm):
                raise ValueError("timestamps do not match the landmarks")
        except MemoryError:
            raise
        except Exception as exc:  # BadZipFile, EOFError, zlib.error, OSError, ValueError, KeyError, ...
            self.warnings.append(f"landmark cache entry {p.name} was damaged ({_reason(exc)}): tracked again")
            try:
                p.unlink()
            except OSError:
                pass
            return None
        return {**meta, **arrays}

    def put(self, key: str, landmarks, meta: dict, score_points: np.ndarray | None = None) -> bool:
        """Store an entry; ndarray values of ``meta`` are stored as arrays beside the landmarks.
        ``landmarks``: the full mesh (T, 478, 3), an array or a :class:`msi.io.landmark_store.Spool`;
        ``score_points``: its columns :data:`msi.regions.MP_SCORE_POINTS` (taken from an array
        when not given). Returns False (and records a warning) when the cache cannot be written."""
        from msi.io.landmark_store import write_npz
        from msi.regions import MP_N_POINTS, MP_SCORE_POINTS

        p = self._path(key)
        meta = dict(meta)
        meta.pop("points", None)  # what get() read, not part of an entry: a re-put entry is the same bytes
        arrays = {k: np.asarray(meta.pop(k)) for k in list(meta) if isinstance(meta[k], np.ndarray)}
        if score_points is None and isinstance(landmarks, np.ndarray) and landmarks.ndim == 3 \
                and landmarks.shape[1] == MP_N_POINTS:
            score_points = landmarks[:, list(MP_SCORE_POINTS)]
        if score_points is not None:
            arrays["score_points"] = score_points
            meta["score_points_index"] = list(MP_SCORE_POINTS)
        tmp = None
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            self._remove_stale(p.parent)
            # write then rename: a crash or a parallel worker never leaves half a file under the name
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{key[:8]}-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                write_npz(f, {"landmarks": landmarks, "meta": np.array(json.dumps(meta)), **arrays})
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
            tmp = None
            return True
        except OSError as exc:  # read-only folder, full disk, ...
            self.warnings.append(f"landmark cache not written to {self.dir} ({_reason(exc)}); scoring goes on")
            return False
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    @staticmethod
    def _remove_stale(folder: Path) -> None:
        """Temporary files a killed writer left behind (never a live writer's: those are young)."""
        now = time.time()
        for t in folder.glob(".*.tmp"):
            try:
                if now - t.stat().st_mtime > STALE_TMP_AGE:
                    t.unlink()
            except OSError:
                pass
