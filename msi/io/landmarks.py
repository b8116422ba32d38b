"""Reading and writing landmark arrays (T, N, 2|3): ``.npy``, ``.npz`` and ``.csv``.

CSV layout: one row per frame, columns ``x0, y0[, z0], x1, y1, ...`` (an optional leading
``frame`` column is ignored); a header-less CSV of 2N or 3N numbers per row is accepted too.
Frames without a face are empty/NaN cells.

``.npz`` files written by ``msi track`` also hold the frame clock: ``timestamps`` (seconds per
frame, as decoded) and ``rotation`` (degrees the frames were turned upright), so a file scores
exactly as its video (a variable frame rate is resampled by timestamp the same way).
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from msi.errors import BadLandmarks

LANDMARK_EXTENSIONS = (".npy", ".npz", ".csv")


def is_landmark_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in LANDMARK_EXTENSIONS


def load_landmarks(path: str | os.PathLike, n_points: int | None = None) -> tuple[np.ndarray, float | None]:
    """Load a landmark array and its frame rate if the file stores one (``.npz`` key ``fps``)."""
    arr, fps, _ = load_landmark_file(path, n_points)
    return arr, fps


def load_landmark_file(path: str | os.PathLike, n_points: int | None = None,
                       columns: tuple[int, ...] | None = None) -> tuple[np.ndarray, float | None, dict]:
    """:func:`load_landmarks` and what else the file stores about its clock: ``{"timestamps":
    (T,) seconds, "rotation": degrees}`` (keys present only when stored).

    ``columns``: of a MediaPipe mesh (468 or 478 points), keep only these points (e.g.
    :data:`msi.regions.MP_SCORE_POINTS`, what a score reads), read block by block (``.npy``
    memory-mapped, ``.npz`` streamed): an hour of a float64 mesh is 1.2 GB, its score points 180 MB.
    They keep the file's dtype when it is float32 or float64 (the same numbers as converting
    everything; other dtypes become float64), and ``clock["points"]`` says which points the array
    holds. Arrays of any other shape are returned whole, for the scorer to report."""
    from msi.io.paths import check_input_file

    p = check_input_file(path, BadLandmarks)
    ext = p.suffix.lower()
    fps, clock, taken = None, {}, False
    try:
        if ext == ".npy":
            _check_npy(p)
            arr = np.load(p, allow_pickle=False, mmap_mode="r" if columns is not None else None)
        elif ext == ".npz":
            with np.load(p, allow_pickle=False) as z:
                if not z.files:
                    raise BadLandmarks(f"{p}: the .npz holds no array")
                key = "landmarks" if "landmarks" in z.files else z.files[0]
                arr = _npz_columns(p, key, columns) if columns is not None else None
                taken = arr is not None
                if not taken:
                    arr = z[key]
                if "fps" in z.files:
                    fps = float(z["fps"])
                if "timestamps" in z.files:
                    clock["timestamps"] = np.asarray(z["timestamps"], dtype=np.float64)
                if "rotation" in z.files:
                    clock["rotation"] = int(z["rotation"])
        elif ext == ".csv":
            arr = _load_csv(p, n_points)
        else:
            raise BadLandmarks(f"{p}: unknown landmark file type {ext!r} (use .npy, .npz or .csv)")
    except BadLandmarks:
        raise
    except (ValueError, OSError, KeyError, IndexError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise BadLandmarks(f"{p}: cannot read landmarks ({(str(exc).splitlines() or [type(exc).__name__])[0][:120]})") from None
    if not np.issubdtype(arr.dtype, np.number):
        raise BadLandmarks(f"{p}: landmarks are not numeric (dtype {arr.dtype})")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise BadLandmarks(f"{p}: landmarks are complex numbers (dtype {arr.dtype}), not coordinates")
    if "timestamps" in clock and (clock["timestamps"].ndim != 1 or len(clock["timestamps"]) != len(arr)):
        raise BadLandmarks(f"{p}: {clock['timestamps'].size} timestamps for {len(arr)} frames")
    if taken or (columns is not None and _is_mesh(arr) and max(columns) < arr.shape[1]):
        clock["points"] = tuple(columns)
        return (arr if taken else _take_columns(arr, columns)), fps, clock
    return np.asarray(arr, dtype=np.float64), fps, clock


def _check_npy(p: Path) -> None:
    """One-line reasons for ``.npy`` files numpy would describe in its own terms: no NumPy header
    (numpy suggests ``allow_pickle``), Python objects (a pickle: never loaded, it could run code),
    fewer bytes than the header declares (truncated)."""
    with open(p, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise BadLandmarks(f"{p}: not a .npy file (no NumPy header)")
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(f)
        except ValueError as exc:
            raise BadLandmarks(f"{p}: damaged .npy header ({(str(exc).splitlines() or ['?'])[0][:80]})") from None
        offset = f.tell()
    if dtype.hasobject:
        raise BadLandmarks(f"{p}: holds Python objects (dtype {dtype}), not numbers: not loaded, a pickle can run code")
    need = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = p.stat().st_size
    if size < need:
        raise BadLandmarks(f"{p}: truncated ({size} of {need} bytes for a {'x'.join(map(str, shape))} array)")


#: Frames per block when points are taken from a landmark file.
_BLOCK = 4096


def _is_mesh(arr) -> bool:
    return (getattr(arr, "ndim", 0) == 3 and arr.shape[1] in (468, 478) and arr.shape[2] in (2, 3)
            and np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.complexfloating))


def _out_dtype(dtype: np.dtype) -> np.dtype:
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _take_columns(arr, columns: tuple[int, ...]) -> np.ndarray:
    """``arr[:, columns]`` in blocks of frames (``arr`` may be a memory map: only those points are read)."""
    out = np.empty((len(arr), len(columns), arr.shape[2]), _out_dtype(arr.dtype))
    for a in range(0, len(arr), _BLOCK):
        out[a:a + _BLOCK] = arr[a:a + _BLOCK][:, list(columns)]
    return out


def _npz_columns(p: Path, key: str, columns: tuple[int, ...]) -> np.ndarray | None:
    """Points ``columns`` of the ``.npz`` member ``key``, streamed in blocks (None: not a mesh,
    or not C order; then it is read whole)."""
    from msi.io.landmark_store import npz_member

    m = npz_member(p, key)
    if m is None or len(m.shape) != 3 or m.shape[1] not in (468, 478) or m.shape[2] not in (2, 3) \
            or not np.issubdtype(m.dtype, np.number) or np.issubdtype(m.dtype, np.complexfloating) \
            or max(columns) >= m.shape[1]:
        return None
    out = np.empty((m.shape[0], len(columns), m.shape[2]), _out_dtype(m.dtype))
    a = 0
    for block in m.blocks(_BLOCK):
        if len(block) == 0:
            break
        out[a:a + len(block)] = block[:, list(columns)]
        a += len(block)
    if a != m.shape[0]:
        raise ValueError(f"{key} holds {a} of {m.shape[0]} frames (file truncated?)")
    return out


def _load_csv(p: Path, n_points: int | None) -> np.ndarray:
    import pandas as pd

    df = pd.read_csv(p, header=None)
    first = df.iloc[0].astype(str).tolist()
    has_header = any(not _is_number(v) for v in first if v != "nan")
    if has_header:
        df = pd.read_csv(p)
        if df.columns[0].strip().lower() in ("frame", "frame_idx", "t", "index"):
            df = df.iloc[:, 1:]
    try:
        data = df.to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise BadLandmarks(f"{p}: non-numeric cells in the landmark CSV") from None
    ncol = data.shape[1]
    dims = [d for d in (2, 3) if ncol % d == 0 and (n_points is None or ncol // d == n_points)]
    if not dims:
        raise BadLandmarks(
            f"{p}: {ncol} columns per row is not 2 or 3 coordinates x {n_points or 'N'} points"
        )
    d = dims[0]
    return data.reshape(len(data), ncol // d, d)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def save_landmarks(path: str | os.PathLike, landmarks, fps: float | None = None, meta: dict | None = None,
                   timestamps: np.ndarray | None = None, rotation: int | None = None) -> Path:
    """Write landmarks as ``.npy`` (array only), ``.npz`` (with fps, metadata and, when given,
    ``timestamps`` and ``rotation``) or ``.csv``. ``landmarks``: an array, or frames on disk
    (:class:`msi.io.landmark_store.Spool` or ``Member``), written block by block without loading them.
    Written to a temporary file and renamed: a failed write leaves no half file under the name."""
    from msi.io.landmark_store import frame_blocks, write_npy, write_npz

    p = Path(path)
    ext = p.suffix.lower()
    if ext not in LANDMARK_EXTENSIONS:
        raise BadLandmarks(f"{p}: unknown landmark file type {ext!r} (use .npy, .npz or .csv)")
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        if ext == ".npy":
            write_npy(tmp, landmarks)
        elif ext == ".npz":
            arrays = {"landmarks": landmarks, "fps": np.float64(fps if fps is not None else np.nan),
                      "meta": np.array(json.dumps(meta or {}))}
            if timestamps is not None:
                arrays["timestamps"] = np.asarray(timestamps, dtype=np.float64)
            if rotation is not None:
                arrays["rotation"] = np.int64(rotation)
            write_npz(tmp, arrays, compress=True)
        else:
            import pandas as pd

            t, n, d = landmarks.shape
            cols = [f"{a}{i}" for i in range(n) for a in "xyz"[:d]]
            start = 0
            for block in frame_blocks(landmarks):
                df = pd.DataFrame(block.reshape(len(block), n * d), columns=cols)
                df.insert(0, "frame", np.arange(start, start + len(block)))
                df.to_csv(tmp, index=False, float_format="%.6f", mode="w" if start == 0 else "a", header=start == 0)
                start += len(block)
            if t == 0:
                pd.DataFrame(columns=["frame", *cols]).to_csv(tmp, index=False)
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return p
