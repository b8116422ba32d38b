"""PROTOTYPE, not kept (docs/generator/marking.md, "Why the mark's effect on MSI stays"): the
library's DWT-DCT mark (read by msi/provenance/watermark.py unchanged) fitted not to each frame
but to a moving average of the picture's carrying coefficients (time constant ``tau`` frames),
with a continuous pull towards the lattice (no jump between lattice points), so that the change
follows the picture slowly. Prints, per ``tau``, the mean soft value of the marked frames (1: every
coefficient on its lattice point; 0: unmarked) every 8th frame of a corpus clip, in memory.

    python research/constant_pattern_mark/smoothed_qim.py --seed 0 --taus 1,4,12
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

#: Share of the half step within which a coefficient is pulled all the way to its lattice point.
FULL_PULL = 0.8


def embed_smoothed(frames, run_id: str, tau: float):
    import cv2
    import pywt

    from msi.provenance import watermark as W

    bits = W.carried_bits(W.payload_bits(run_id))
    lay = W.layout()
    offset = lay.dither + bits[lay.bit] * (W.STEP / 2)
    mean = None
    for f in frames:
        coeffs = W.analysis(W.to_canonical(W.luma(f)).astype(np.float64))
        c = W.block_dct(coeffs[0])[lay.rows, lay.cols]
        mean = c if mean is None else mean + (c - mean) / tau
        r = np.round((mean - offset) / W.STEP) * W.STEP + offset - mean
        add = r * np.clip((W.STEP / 2 - np.abs(r)) / ((1 - FULL_PULL) * W.STEP / 2), 0, 1)
        dct = np.zeros_like(coeffs[0])
        dct[lay.rows, lay.cols] = add
        zero = [W.block_dct(dct, inverse=True)] + [tuple(np.zeros_like(x) for x in lv) for lv in coeffs[1:]]
        delta = pywt.waverec2(zero, W.WAVELET, mode="periodization").astype(np.float32)
        delta = cv2.resize(delta, (f.shape[1], f.shape[0]), interpolation=cv2.INTER_CUBIC)
        yield np.clip(np.rint(f + delta[..., None]), 0, 255).astype(np.uint8)


def main() -> None:
    from generator.corpus.build import build_clip
    from msi.io.video import read_frames
    from msi.provenance import watermark as W

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--taus", default="1,4,12")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        frames = read_frames(build_clip(Path(d) / "c", seconds=4.0, seed=a.seed, size=256).video)
    rid = "9c3e01f7"
    sign = 1 - 2.0 * W.carried_bits(W.payload_bits(rid))[W.layout().bit]
    for tau in (float(x) for x in a.taus.split(",")):
        soft = [float((W.soft_values(W.coefficients(m)) * sign).mean()) for m in embed_smoothed(frames, rid, tau)]
        print(f"tau {tau:g} frames: " + " ".join(f"{v:.2f}" for v in soft[::8]))


if __name__ == "__main__":
    main()
