r"""``dynamic_degree``: VBench's dynamic degree (Huang et al., "VBench: Comprehensive benchmark
suite for video generative models", CVPR 2024; ``vbench/dynamic_degree.py``), from RAFT optical flow
with the user's ``raft-things.pth`` (:mod:`msi.networks.raft`).

VBench's definition, step by step:

* frames: every ``round(fps / 8)``-th frame from the first (about 8 per second; every frame below
  12 fps);
* for each pair of consecutive sampled frames, RAFT's flow after 20 updates on the frames padded
  to a multiple of 8 (replicate), and its score: the mean flow magnitude of the 5 % fastest pixels
  (of the padded frame);
* the video is dynamic (1) when at least ``round(4 · n / 16)`` of the pair scores exceed
  ``6 · min(H, W) / 256`` px, n the number of sampled frames; else static (0).

The column is that 0 or 1 per video; its mean over a method's videos is VBench's dynamic degree
(the share of dynamic videos). Higher means more motion, neither better nor worse for a
talking face (``better = 0``). Deviation: frames come from our decoder (PyAV), VBench reads them
with OpenCV; the two may differ by a grey level in the YUV to RGB conversion.
"""
from __future__ import annotations

import numpy as np

from msi.metrics.column import Column, Metric

#: VBench's settings: frames sampled at about this rate, RAFT updates, share of fastest pixels,
#: threshold (px at a 256 px short side) and pairs needed per 16 frames.
SAMPLE_FPS = 8
ITERS = 20
TOP_SHARE = 0.05
THRESHOLD_256 = 6.0
PAIRS_PER_16 = 4
#: Shortest padded side RAFT can read: smaller, its coarsest correlation level is one cell wide and
#: its lookup divides by zero (NaN flows).
MIN_SIDE = 128


def sample_interval(fps: float) -> int:
    """VBench's frame step: max(1, round(fps / 8))."""
    return max(1, round(fps / SAMPLE_FPS))


def flow_score(flow: np.ndarray) -> float:
    """Mean magnitude of the 5 % fastest pixels of a flow (2, H, W) (VBench's ``get_score``)."""
    rad = np.sqrt(np.square(flow[0]) + np.square(flow[1])).ravel()
    cut = int(rad.size * TOP_SHARE)
    return float(np.mean(np.sort(rad)[::-1][:cut]))


def is_dynamic(scores: list[float], n_frames: int, short_side: int) -> bool:
    """VBench's ``check_move``: at least round(4 n / 16) pair scores above 6 · short side / 256."""
    thres = THRESHOLD_256 * (short_side / 256.0)
    need = round(PAIRS_PER_16 * (n_frames / 16.0))
    count = 0
    for s in scores:
        if s > thres:
            count += 1
        if count >= need:
            return True
    return False


def pair_scores(net, frames: list[np.ndarray]) -> list[float]:
    """Flow scores of consecutive frame pairs (RGB ``uint8``)."""
    import torch

    from msi.networks.raft import pad_to_8

    out = []
    with torch.inference_mode():
        prev = None
        for f in frames:
            cur = torch.from_numpy(np.ascontiguousarray(f)).permute(2, 0, 1).float()[None]
            if prev is not None:
                a, b = pad_to_8(prev, cur)
                out.append(flow_score(net(a, b, ITERS)[0].numpy()))
            prev = cur
    return out


def _column(ctx) -> dict[str, float]:
    from msi.metrics.networks import network

    step = sample_interval(ctx.frame_rate)
    frames = [f for k, f in enumerate(ctx.frames()) if k % step == 0]
    if len(frames) < 2:
        ctx.note(f"dynamic degree: {len(frames)} sampled frame(s), 2 needed")
        return {}
    if min(-(-s // 8) * 8 for s in frames[0].shape[:2]) < MIN_SIDE:
        ctx.note(f"dynamic degree: frames {frames[0].shape[1]}x{frames[0].shape[0]}, RAFT needs a short side of "
                 f"{MIN_SIDE} px (its coarsest correlation level is then 2 cells wide)")
        return {}
    scores = pair_scores(network("raft", ctx.weights["raft"]), frames)
    return {"dynamic_degree": float(is_dynamic(scores, len(frames), min(frames[0].shape[:2])))}


METRIC = Metric((Column("dynamic_degree", "Dynamic degree", 0, ("raft",), "{:.2f}",
                        help="VBench's dynamic degree: 1 if RAFT's flow shows motion in enough frame pairs, "
                             "else 0 (its mean: the share of dynamic videos)"),),
                _column)
