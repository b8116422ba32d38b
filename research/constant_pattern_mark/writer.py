"""PROTOTYPE (see reader.py): writing the constant-pattern watermark into frames (the layout, payload and reading are in
:mod:`msi.provenance.watermark`, which the metric side imports without the generator).

The mark is one pattern per run and frame size: each chip's ``+-AMPLITUDE`` placed in the grid's
U and V DCT, the inverse DCT, the two planes resized to the frame (bicubic) and turned into the
R, G, B change of that chroma change with the luma unchanged. Every frame gets the same pattern
added (then rounded to 8 bits), so nothing in the video moves that did not move before, and a
frame costs one addition.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

import reader as W


def pattern(run_id: str, first: np.ndarray) -> np.ndarray:
    """The (H, W, 3) float32 change the mark carrying ``run_id`` adds to every RGB frame of a video
    whose first frame is ``first`` (H, W, 3)."""
    import cv2

    lay = W.layout()
    direction = lay.sign * (1.0 - 2.0 * W.chip_bits(run_id))
    need = W.MARGIN - direction * W.coefficients(W.grid_planes(first))
    add = np.where((need > W.AMPLITUDE) & (need <= W.CAP), need, W.AMPLITUDE)
    coef = np.zeros((3, W.GRID, W.GRID))
    coef[lay.plane, lay.rows, lay.cols] = direction * add
    yuv = W.dct2(coef, inverse=True).astype(np.float32)
    h, w = first.shape[:2]
    if (h, w) != yuv.shape[1:]:
        yuv = np.stack([cv2.resize(p, (w, h), interpolation=cv2.INTER_CUBIC) for p in yuv])
    return np.einsum("rc,chw->hwr", W.YUV_TO_RGB, yuv).astype(np.float32)


def add_pattern(frame: np.ndarray, change: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(frame + change), 0, 255).astype(np.uint8)


def embed_frame(frame: np.ndarray, run_id: str) -> np.ndarray:
    """One RGB uint8 frame (H, W, 3) with the mark carrying ``run_id`` (8 hex digits) added."""
    return add_pattern(frame, pattern(run_id, frame))


def embed(frames: Iterable[np.ndarray], run_id: str) -> Iterator[np.ndarray]:
    """The frames with the mark carrying ``run_id`` (8 hex digits), one at a time: the pattern is
    made from the first frame and added to every frame alike."""
    W.payload_bits(run_id)  # a bad run id fails here, before any frame
    change = None
    for f in frames:
        f = np.asarray(f)
        if change is None or change.shape != f.shape:
            change = pattern(run_id, f)
        yield add_pattern(f, change)
