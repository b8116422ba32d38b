r"""``motion_smoothness``: VBench's motion smoothness (Huang et al., "VBench: Comprehensive
benchmark suite for video generative models", CVPR 2024; ``vbench/motion_smoothness.py``): how well
a frame interpolator predicts the frames it is not shown, with AMT-S and the user's ``amt-s.pth``
(:mod:`msi.networks.amt`).

VBench's definition, step by step: the even frames 0, 2, 4, ... are kept; each odd frame 2k + 1
is predicted by AMT-S at t = ½ between frames 2k and 2k + 2 (frames in [0, 1], replicate-padded to
a multiple of 16, the prediction cut back and rounded down to ``uint8``); with d the mean absolute
difference (grey levels, over pixels and channels) between each predicted frame and the real one,
averaged over the predicted frames,

.. math:: \text{motion smoothness} = \frac{255 - \bar d}{255}

1 is perfectly predictable motion; jitter, which no interpolator can predict, lowers it. Higher is
better. Deviation: frames come from our decoder (PyAV), VBench reads them with OpenCV, whose YUV to
RGB conversion may differ by a grey level.
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric

#: Sides are padded to a multiple of this (AMT's ``InputPadder``, VBench's CPU setting).
PAD_TO = 16
#: Shortest padded side AMT can read: smaller, its coarsest correlation level is one cell wide and
#: its lookup divides by zero (NaN frames).
MIN_SIDE = 128


def _pad(x, size: int = PAD_TO):
    from torch.nn import functional as F

    h, w = x.shape[-2:]
    ph, pw = (-h) % size, (-w) % size
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2], mode="replicate"), (ph, pw)


def interpolated(net, frames: list[np.ndarray]) -> list[np.ndarray]:
    """AMT's middle frame between each pair of consecutive ``frames`` (RGB ``uint8``), as ``uint8``."""
    import torch

    t = torch.tensor(0.5).float().view(1, 1, 1, 1)
    out = []
    with torch.inference_mode():
        prev = None
        for f in frames:
            cur, (ph, pw) = _pad(torch.from_numpy(np.ascontiguousarray(f)).permute(2, 0, 1)[None] / 255.0)
            if prev is not None:
                pred = net(prev, cur, t)
                h, w = pred.shape[-2:]
                pred = pred[..., ph // 2:h - (ph - ph // 2), pw // 2:w - (pw - pw // 2)]
                out.append((pred * 255.0)[0].permute(1, 2, 0).numpy().clip(0, 255).astype(np.uint8))
            prev = cur
    return out


def motion_smoothness(net, frames: list[np.ndarray]) -> float:
    """VBench's motion smoothness of RGB ``uint8`` frames (at least 3)."""
    preds = interpolated(net, frames[0::2])
    real = frames[1::2]
    diffs = [np.mean(np.abs(p.astype(np.int16) - r.astype(np.int16))) for p, r in zip(preds, real)]
    return float((255.0 - np.mean(np.array(diffs))) / 255.0)


def _column(ctx) -> dict[str, float]:
    from msi.metrics.networks import network

    frames = list(ctx.frames())
    if len(frames) < 3:
        ctx.note(f"motion smoothness: {len(frames)} frame(s), 3 needed")
        return {}
    if min(-(-s // PAD_TO) * PAD_TO for s in frames[0].shape[:2]) < MIN_SIDE:
        ctx.note(f"motion smoothness: frames {frames[0].shape[1]}x{frames[0].shape[0]}, AMT-S needs a short side "
                 f"of {MIN_SIDE} px (its coarsest correlation level is then 2 cells wide)")
        return {}
    return {"motion_smoothness": motion_smoothness(network("amt", ctx.weights["amt"]), frames)}


METRIC = Metric((Column("motion_smoothness", "Motion smoothness", +1, ("amt",), "{:.4f}",
                        help="VBench's motion smoothness: how well AMT-S predicts every odd frame from its "
                             "neighbours, (255 - mean abs. error) / 255"),),
                _column)
