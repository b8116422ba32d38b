"""The face photo of the corpus: a fixed square face crop and its MediaPipe mesh there."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from generator.errors import GeneratorError

_face_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _astronaut_png() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise GeneratorError("scikit-image is not installed, so there is no default face: give a face photo")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"


def _read_file(path: Path) -> np.ndarray:
    import cv2

    if not path.is_file():
        raise GeneratorError(f"{path}: no such image")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise GeneratorError(f"{path}: not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _read_face(face) -> tuple[np.ndarray, str]:
    if face is None:
        # scikit-image's own PNG, decoded by OpenCV: skimage.data goes through imageio, whose
        # half-built reader prints a traceback from __del__ when a SIGTERM lands inside it
        return _read_file(_astronaut_png()), "skimage:astronaut"
    if isinstance(face, np.ndarray):
        img = face
        key = "array:" + hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest()[:16]
    else:
        img, key = _read_file(Path(face)), f"file:{Path(face).resolve()}"
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8)), key


def face_crop(face=None, size: int = 256, crop_scale: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """The photo's fixed square face crop resized to ``size`` and its 478 landmarks there.

    ``face`` is an image path, an RGB array or None (scikit-image's astronaut). Landmarks come
    from MediaPipe (the default tracker) on the full-resolution photo and are mapped into the crop
    (z scaled like x, y). Cached per (photo, size).
    """
    img, key = _read_face(face)
    ck = (key, size, crop_scale)
    if ck in _face_cache:
        crop, lm = _face_cache[ck]
        return crop.copy(), lm.copy()
    import cv2
    from msi.tracking.trackers import open_tracker

    with open_tracker() as tracker:  # the default tracker sees each image on its own
        lm = tracker.process(img)
    if not np.isfinite(lm).all():
        raise GeneratorError(f"no face found in the photo ({key.split(':', 1)[-1]})")
    x0, x1 = lm[:, 0].min(), lm[:, 0].max()
    y0, y1 = lm[:, 1].min(), lm[:, 1].max()
    side = int(round(crop_scale * max(y1 - y0, x1 - x0)))
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    pad = side  # reflect-pad so a crop reaching past the photo's edge stays filled
    padded = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    crop = padded[top + pad : top + pad + side, left + pad : left + pad + side]
    crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    k = size / side
    out = lm.copy()
    out[:, 0] = (lm[:, 0] - left) * k
    out[:, 1] = (lm[:, 1] - top) * k
    out[:, 2] = lm[:, 2] * k
    _face_cache[ck] = (crop, out)
    return crop.copy(), out.copy()
