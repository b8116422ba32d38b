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

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np

from msi.errors import MSIError

#: 2: landmarks float32, frame timestamps and decode notes stored beside them.
CACHE_FORMAT = 2
#: Temporary files older than this (seconds) are leftovers of killed writers and are removed.
STALE_TMP_AGE = 3600.0

#: Held while an entry is read: one read at a time in a process. numpy parses each array's header
#: with ``ast.literal_eval``, and the AST constructor of CPython before 3.11.8 and 3.12.2 keeps its
#: recursion depth in state the threads share (python/cpython#106905): two threads parsing at once
#: can fail with "SystemError: AST constructor recursion depth mismatch". msi compare's columns
#: read their entries from threads, and a sound entry was then taken for a damaged one (removed,
#: computed again, with a warning): measured, once in 60 reruns of a two-video compare.
_READ_LOCK = threading.Lock()


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


def sha256_of(path: str | os.PathLike) -> str:
    """A file's SHA-256, computed once per process for a given (path, size, mtime): the landmark
    cache, the feature cache and their callers key a video by it, and each reads it once."""
    st = os.stat(path)
    return _sha256_once(os.path.abspath(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)  # bounded: a worker that scores for days keeps only recent hashes
def _sha256_once(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def cache_key(content_hash: str, tracker: dict) -> str:
    """Key of an entry: the content and every tracker setting (``tracker``, a JSON-able dict)."""
    blob = json.dumps({"format": CACHE_FORMAT, "content": content_hash, "tracker": tracker}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:40]


def _reason(exc: BaseException) -> str:
    msg = getattr(exc, "strerror", None) or (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


class LandmarkCache:
    """The cache in a folder, or at a URL (``s3://bucket/msi-cache``: a cache shared by Dask
    workers without a shared filesystem; entries are uploaded whole, so each appears at once)."""

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        from msi.io.remote import is_url

        self.remote = None  # (filesystem, root) of a URL cache
        if not directory and is_url(os.environ.get("MSI_CACHE_DIR", "")):
            directory = os.environ["MSI_CACHE_DIR"]  # $MSI_CACHE_DIR may be a URL too
        if is_url(str(directory or "")):
            from msi.io.remote import _fs, redact

            self.remote = _fs(str(directory).rstrip("/"))
            self.dir = redact(str(directory).rstrip("/"))  # what messages show
        else:
            self.dir = Path(directory) if directory else default_cache_dir()
        self.warnings: list[str] = []  # what went wrong with the cache (never fatal)

    def _path(self, key: str):
        if self.remote is not None:
            return _RemotePath(self.remote, f"{key[:2]}/{key}.npz")
        return self.dir / key[:2] / f"{key}.npz"

    def _content_path(self, identity: str):
        name = f"remote/{hashlib.sha256(identity.encode()).hexdigest()[:40]}.json"
        return _RemotePath(self.remote, name) if self.remote is not None else self.dir / name

    def content_of(self, identity: str | None) -> str | None:
        """The content hash last computed for ``identity`` (a remote object's URL, size and
        ETag: :meth:`msi.io.remote.RemoteSource.identity`), or None. It lets a rerun find a
        remote video's entry without reading the video; the entry's key stays the content hash."""
        if identity is None:
            return None
        try:
            rec = json.loads(self._content_path(identity).read_bytes())
            return rec["sha256"] if rec.get("identity") == identity else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put_content(self, identity: str | None, content_hash: str) -> None:
        """Remember ``content_hash`` for ``identity`` (see :meth:`content_of`)."""
        if identity is None:
            return
        blob = json.dumps({"identity": identity, "sha256": content_hash}, sort_keys=True).encode()
        p = self._content_path(identity)
        try:
            if isinstance(p, _RemotePath):
                p.write_bytes(blob)
                return
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".content-", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, p)
        except OSError as exc:
            self.warnings.append(f"landmark cache index not written to {self.dir} ({_reason(exc)}); scoring goes on")

    def mesh(self, key: str):
        """The full mesh of entry ``key`` as a block reader (:class:`msi.io.landmark_store.Member`),
        None when absent; nothing is loaded."""
        from msi.io.landmark_store import npz_member

        if self.remote is not None:
            return None  # a URL cache: the full mesh is not read back in place (tracked again)
        try:
            return npz_member(self._path(key), "landmarks")
        except (OSError, ValueError, zipfile.BadZipFile):
            return None

    def spool_dir(self, key: str) -> Path:
        """Where a tracker spools the full mesh of entry ``key`` before :meth:`put` (its own
        folder: leftovers of a killed process are removed there like other temporary files).
        A URL cache spools on local disk (the system's temporary folder)."""
        if self.remote is not None:
            return Path(tempfile.gettempdir()) / "msi-spool"
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
            with read_entry(p) as z:
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
        except MSIError as exc:  # a URL cache the network failed to read: the entry may be fine
            self.warnings.append(f"landmark cache entry {p.name} not read ({exc}): tracked again")
            return None
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
        try:
            write_entry(p, key, lambda f: write_npz(f, {"landmarks": landmarks, "meta": np.array(json.dumps(meta)),
                                                        **arrays}))
            return True
        except OSError as exc:  # read-only folder, full disk, ...
            self.warnings.append(f"landmark cache not written to {self.dir} ({_reason(exc)}); scoring goes on")
            return False

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


class _RemotePath:
    """An object of a URL cache, with the few Path methods the cache uses. Failures are OSError
    (the cache's own handling turns them into warnings), after :func:`msi.io.remote.with_retry`."""

    def __init__(self, remote: tuple, rel: str) -> None:
        (self.fs, root), self.rel = remote, rel
        self.path = f"{root.rstrip('/')}/{rel}"
        self.name = rel.rsplit("/", 1)[-1]

    def _do(self, fn):
        from msi.errors import InputNotFound, MSIError
        from msi.io.remote import with_retry

        try:
            return with_retry(fn, f"landmark cache {self.name}")
        except InputNotFound:
            raise FileNotFoundError(self.name) from None
        except MSIError as exc:
            raise OSError(str(exc)) from None

    def is_file(self) -> bool:
        return bool(self._do(lambda: self.fs.isfile(self.path)))

    def open(self):
        """A retrying file object (:class:`msi.io.remote.StreamReader`) on the entry."""
        from msi.io.remote import RemoteSource

        src = RemoteSource(self.fs.unstrip_protocol(self.path), fs=self.fs, path=self.path)
        return self._do(src.open)

    def read_bytes(self) -> bytes:
        return self._do(lambda: self.fs.cat_file(self.path))

    def write_bytes(self, blob: bytes) -> None:
        self._do(lambda: self.fs.pipe_file(self.path, blob))

    def upload(self, local: str) -> None:
        self._do(lambda: self.fs.put_file(local, self.path))

    def unlink(self) -> None:
        self._do(lambda: self.fs.rm_file(self.path))


@contextlib.contextmanager
def read_entry(p):
    """An entry's ``.npz`` (a local path or a URL cache's :class:`_RemotePath`) open for reading,
    with no other entry read meanwhile in this process (:data:`_READ_LOCK`)."""
    with _READ_LOCK, np.load(p.open() if isinstance(p, _RemotePath) else p, allow_pickle=False) as z:
        yield z


def write_entry(p, key: str, write) -> None:
    """Write a cache entry at ``p`` (a local path or a URL cache's :class:`_RemotePath`) with
    ``write(file)``, whole or not at all: written to a temporary file, then renamed (a URL cache:
    written locally, then uploaded as one object), so a crash or a concurrent process never leaves
    half a file under the name. Raises OSError (read-only folder, full disk, ...)."""
    remote = isinstance(p, _RemotePath)
    tmp = None
    try:
        if not remote:
            p.parent.mkdir(parents=True, exist_ok=True)
            LandmarkCache._remove_stale(p.parent)
        fd, tmp = tempfile.mkstemp(dir=None if remote else p.parent, prefix=f".{key[:8]}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if remote:
            p.upload(tmp)
        else:
            os.replace(tmp, p)
            tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
