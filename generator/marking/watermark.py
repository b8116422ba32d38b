"""Writing the invisible watermark into frames (the layout, payload and reading are in
:mod:`msi.provenance.watermark`, which the metric side imports without the generator).

Per frame: luma on the mark's canonical grid -> level-2 wavelet band -> 8 x 8 block DCT -> each
carrying coefficient moved to the nearest point of its bit's dither lattice -> inverse transforms
-> the luma change, resized back to the frame and added to R, G and B alike (so the luma moves by
exactly that much and the colours do not shift).
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from msi.provenance import watermark as W


def embed_frame(frame: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """One RGB uint8 frame (H, W, 3) with the payload ``bits`` (128, from
    :func:`msi.provenance.watermark.payload_bits`) written into it."""
    import cv2
    import pywt

    lay = W.layout()
    y = W.to_canonical(W.luma(frame)).astype(np.float64)
    coeffs = W.analysis(y)
    dct = W.block_dct(coeffs[0])
    c = dct[lay.rows, lay.cols]
    offset = lay.dither + W.carried_bits(bits)[lay.bit] * (W.STEP / 2)
    dct[lay.rows, lay.cols] = np.round((c - offset) / W.STEP) * W.STEP + offset
    coeffs[0] = W.block_dct(dct, inverse=True)
    delta = pywt.waverec2(coeffs, W.WAVELET, mode="periodization") - y
    h, w = frame.shape[:2]
    if (h, w) != delta.shape:
        delta = cv2.resize(delta.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    out = frame.astype(np.float32) + delta[..., None].astype(np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def embed(frames: Iterable[np.ndarray], run_id: str) -> Iterator[np.ndarray]:
    """The frames with the mark carrying ``run_id`` (8 hex digits), one at a time."""
    bits = W.payload_bits(run_id)
    for f in frames:
        yield embed_frame(np.asarray(f), bits)
