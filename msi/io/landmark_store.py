"""Landmarks of long videos without holding the full mesh: what a score reads in memory, the rest
on disk.

The tracker gives 478 x 3 float32 per frame (5.6 KB: 620 MB for an hour at 30 fps). A score
reads far fewer points (:data:`msi.regions.MP_SCORE_POINTS`: lips, jaw, lip opening and the
stable points of the hf variant, 72 points). :class:`MeshBuffer` keeps those in memory and, when
the full mesh is wanted (the cache, ``msi track``), appends every full frame to a raw
:class:`Spool` file. Spools and arrays are written into ``.npy``/``.npz`` files in row blocks
(:func:`write_npz`, :func:`write_npy`), and an ``.npy`` member of an ``.npz`` is read back in
blocks (:func:`npz_member`), so no step holds the full mesh of an hour.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np

#: Frames per block when a mesh is copied between files (about 11 MB of 478 x 3 float32).
BLOCK_FRAMES = 2048


@dataclass
class Spool:
    """A raw file of ``n`` frames of ``frame_shape`` values of ``dtype``, C order (no header)."""

    path: Path
    n: int
    frame_shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.n, *self.frame_shape)

    def blocks(self, frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        """The frames in blocks of at most ``frames`` (each block a fresh array)."""
        row = int(np.prod(self.frame_shape)) * np.dtype(self.dtype).itemsize
        with open(self.path, "rb") as f:
            for a in range(0, self.n, frames):
                k = min(frames, self.n - a)
                yield np.frombuffer(f.read(k * row), self.dtype).reshape(k, *self.frame_shape)

    def array(self) -> np.ndarray:
        """All frames in memory (for callers that want the whole mesh, e.g. short clips)."""
        return np.fromfile(self.path, self.dtype).reshape(self.shape)

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass


@dataclass
class Member:
    """An ``.npy`` array inside an ``.npz`` file, read in blocks without loading the rest."""

    path: Path
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype

    def blocks(self, frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
        with zipfile.ZipFile(self.path) as z, z.open(f"{self.name}.npy") as f:
            _read_header(f)
            row = int(np.prod(self.shape[1:])) * np.dtype(self.dtype).itemsize
            for a in range(0, self.shape[0], frames):
                k = min(frames, self.shape[0] - a)
                yield np.frombuffer(f.read(k * row), self.dtype).reshape(k, *self.shape[1:])


#: Anything landmark writers accept: an array in memory, or frames on disk read in blocks.
Frames = Union[np.ndarray, Spool, Member]


def frame_blocks(frames: Frames, size: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    if isinstance(frames, np.ndarray):
        if frames.ndim == 0:  # a scalar (fps, rotation) is one block
            yield frames
            return
        for a in range(0, len(frames), size):
            yield frames[a:a + size]
    else:
        yield from frames.blocks(size)


def _read_header(f: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(f)


def npz_member(path: str | os.PathLike, name: str) -> Member | None:
    """The array ``name`` of an ``.npz`` as a block reader (None if absent, or not C order)."""
    with zipfile.ZipFile(path) as z:
        if f"{name}.npy" not in z.namelist():
            return None
        with z.open(f"{name}.npy") as f:
            shape, fortran, dtype = _read_header(f)
    if fortran or dtype.hasobject:
        return None
    return Member(Path(path), name, tuple(shape), dtype)


def _shape_dtype(frames: Frames) -> tuple[tuple[int, ...], np.dtype]:
    if isinstance(frames, np.ndarray):
        return frames.shape, frames.dtype
    return frames.shape, np.dtype(frames.dtype)


def _write_array(f: BinaryIO, frames: Frames) -> None:
    shape, dtype = _shape_dtype(frames)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(f, header)
    for block in frame_blocks(frames):
        f.write(np.ascontiguousarray(block, dtype=dtype).tobytes())


def write_npy(path: str | os.PathLike, frames: Frames) -> None:
    """``frames`` as an ``.npy`` file (``np.load`` reads it), written block by block."""
    with open(path, "wb") as f:
        _write_array(f, frames)


def write_npz(target: str | os.PathLike | BinaryIO, arrays: dict[str, Frames], compress: bool = False) -> None:
    """``arrays`` as an ``.npz`` (what ``np.savez``/``np.savez_compressed`` write), big ones
    streamed block by block."""
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(target, "w", compression=mode, allowZip64=True) as z:
        for name, frames in arrays.items():
            if not isinstance(frames, (Spool, Member)):
                frames = np.asanyarray(frames)
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                _write_array(f, frames)


class MeshBuffer:
    """Frames of (478, 3) landmarks as they come: the columns ``points`` (None: all) in a growing
    float32 array, and every full frame appended to a :class:`Spool` in ``spool_dir`` if given."""

    def __init__(self, n_points: int, points: tuple[int, ...] | None = None, capacity: int = 256,
                 spool_dir: str | os.PathLike | None = None, scale: tuple[float, float, float] | None = None) -> None:
        self.n_points, self.points = n_points, (tuple(points) if points is not None else None)
        # x, y, z factors back to original pixels (frames downscaled for the tracker), in float32
        # as the whole array used to be scaled: the same numbers
        self._scale = None if scale is None else np.asarray(scale, np.float32)
        width = n_points if points is None else len(self.points)
        self._idx = None if points is None else np.asarray(self.points)
        self.data = np.empty((max(capacity, 1), width, 3), np.float32)
        self.n = 0
        self._spool_file = None
        self._spool_path: Path | None = None
        self.spool_error: str | None = None  # why there is no spool although one was asked for
        if spool_dir is not None:
            try:
                Path(spool_dir).mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(dir=spool_dir, prefix=".mesh-", suffix=".tmp")
            except OSError as exc:  # a read-only cache never stops tracking
                self.spool_error = f"{type(exc).__name__}: {exc.strerror or exc}"
            else:
                self._spool_file, self._spool_path = os.fdopen(fd, "wb", buffering=1 << 20), Path(name)

    def append(self, pts: np.ndarray) -> None:
        if self.n == len(self.data):
            grown = np.empty((2 * len(self.data), *self.data.shape[1:]), np.float32)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        row = np.asarray(pts, np.float32)
        if self._scale is not None:
            row = row * self._scale
        self.data[self.n] = row if self._idx is None else row[self._idx]
        if self._spool_file is not None:
            try:
                self._spool_file.write(row.tobytes())
            except OSError as exc:  # disk full: the points in memory are enough to score
                self.spool_error = f"{type(exc).__name__}: {exc.strerror or exc}"
                self.discard()
        self.n += 1

    def array(self) -> np.ndarray:
        # a view: np.empty's untouched slack rows are never resident, so no second full copy
        return self.data[: self.n]

    def spool(self) -> Spool | None:
        """The full frames written so far (the spool file is closed: call once, at the end);
        None when there is none (see :attr:`spool_error`)."""
        if self._spool_file is None:
            return None
        try:
            self._spool_file.close()
        except OSError as exc:  # the last buffered block did not fit
            self.spool_error = f"{type(exc).__name__}: {exc.strerror or exc}"
            self._spool_file = None
            self.discard()
            return None
        self._spool_file = None
        return Spool(self._spool_path, self.n, (self.n_points, 3), np.dtype(np.float32))

    def discard(self) -> None:
        """Remove the spool file (tracking failed or was interrupted)."""
        if self._spool_file is not None:
            self._spool_file.close()
            self._spool_file = None
        if self._spool_path is not None:
            try:
                os.unlink(self._spool_path)
            except OSError:
                pass
            self._spool_path = None


@dataclass
class Collected:
    """Frames of landmarks collected by :func:`collect`: the columns kept in memory, which they
    are (None: all), and the full mesh on disk (or why it is not there)."""

    landmarks: np.ndarray
    points: tuple[int, ...] | None
    spool: Spool | None
    spool_error: str | None


def collect(rows: Iterable[np.ndarray], n_points: int, points: tuple[int, ...] | None = None, capacity: int = 256,
            spool_dir: str | os.PathLike | None = None, scale: tuple[float, float, float] | None = None) -> Collected:
    """Every frame's landmarks ((n_points, 3) rows, as a tracker yields them) into a
    :class:`MeshBuffer` (its arguments); a pass that fails leaves no spool file behind."""
    buf = MeshBuffer(n_points, points, capacity=capacity, spool_dir=spool_dir, scale=scale)
    try:
        for row in rows:
            buf.append(row)
    except BaseException:
        buf.discard()
        raise
    spool = buf.spool()
    return Collected(buf.array(), buf.points, spool, buf.spool_error)
