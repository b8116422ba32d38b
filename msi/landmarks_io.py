"""Reading and writing landmark arrays (T, N, 2|3): ``.npy``, ``.npz`` and ``.csv``.

CSV layout: one row per frame, columns ``x0, y0[, z0], x1, y1, ...`` (an optional leading
``frame`` column is ignored); a header-less CSV of 2N or 3N numbers per row is accepted too.
Frames without a face are empty/NaN cells.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from msi.errors import BadLandmarks, InputNotFound

LANDMARK_EXTENSIONS = (".npy", ".npz", ".csv")


def is_landmark_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in LANDMARK_EXTENSIONS


def load_landmarks(path: str | os.PathLike, n_points: int | None = None) -> tuple[np.ndarray, float | None]:
    """Load a landmark array and its frame rate if the file stores one (``.npz`` key ``fps``)."""
    p = Path(path)
    if not p.is_file():
        raise InputNotFound(f"{p}: no such file")
    if p.stat().st_size == 0:
        raise BadLandmarks(f"{p}: empty file (0 bytes)")
    ext = p.suffix.lower()
    fps = None
    try:
        if ext == ".npy":
            arr = np.load(p, allow_pickle=False)
        elif ext == ".npz":
            with np.load(p, allow_pickle=False) as z:
                key = "landmarks" if "landmarks" in z.files else z.files[0]
                arr = z[key]
                if "fps" in z.files:
                    fps = float(z["fps"])
        elif ext == ".csv":
            arr = _load_csv(p, n_points)
        else:
            raise BadLandmarks(f"{p}: unknown landmark file type {ext!r} (use .npy, .npz or .csv)")
    except BadLandmarks:
        raise
    except (ValueError, OSError, KeyError, IndexError) as exc:
        raise BadLandmarks(f"{p}: cannot read landmarks ({str(exc).splitlines()[0][:120]})") from None
    if not np.issubdtype(arr.dtype, np.number):
        raise BadLandmarks(f"{p}: landmarks are not numeric (dtype {arr.dtype})")
    return np.asarray(arr, dtype=np.float64), fps


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


def save_landmarks(path: str | os.PathLike, landmarks: np.ndarray, fps: float | None = None,
                   meta: dict | None = None) -> Path:
    """Write landmarks as ``.npy`` (array only), ``.npz`` (with fps and metadata) or ``.csv``."""
    p = Path(path)
    ext = p.suffix.lower()
    p.parent.mkdir(parents=True, exist_ok=True)
    if ext == ".npy":
        np.save(p, landmarks)
    elif ext == ".npz":
        np.savez_compressed(p, landmarks=landmarks, fps=np.float64(fps if fps is not None else np.nan),
                            meta=np.array(json.dumps(meta or {})))
    elif ext == ".csv":
        t, n, d = landmarks.shape
        cols = [f"{a}{i}" for i in range(n) for a in "xyz"[:d]]
        import pandas as pd

        df = pd.DataFrame(landmarks.reshape(t, n * d), columns=cols)
        df.insert(0, "frame", np.arange(t))
        df.to_csv(p, index=False, float_format="%.6f")
    else:
        raise BadLandmarks(f"{p}: unknown landmark file type {ext!r} (use .npy, .npz or .csv)")
    return p
