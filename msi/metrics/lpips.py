"""LPIPS: the learned perceptual distance of a video's frames to the truth's (Zhang, Isola,
Efros, Shechtman & Wang 2018, "The unreasonable effectiveness of deep features as a perceptual
metric", CVPR), as the ``lpips`` package (v0.1) computes it and talking-face papers report it.

    LPIPS(x, y) = Σ_l  (1 / H_l W_l) Σ_{h,w}  ‖ w_l ⊙ (f̂_l(x)_{hw} − f̂_l(y)_{hw}) ‖²

f̂_l: the trunk's (AlexNet or VGG16) l-th ReLU map, unit-normalised along channels at each
position; w_l: the l-th linear layer's channel weights. Frames are RGB ``uint8`` scaled to
[−1, 1] (``lpips.im2tensor``). The video's value is the mean over frames paired by time with the
truth, on the full frame or (``region="face"``) inside the truth's face box (the bounding box of
its face-oval landmarks, :func:`msi.metrics.flicker.face_boxes`), the same box cut from both.
The network is :mod:`msi.networks.lpips`.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from msi.metrics.column import Column, Metric

#: LPIPS's regions: the whole frame, or the truth's face box.
REGIONS = ("frame", "face")
#: Smallest side of a face box LPIPS is computed on (AlexNet's five taps need 32 px).
MIN_SIDE = 32
#: Frame pairs per forward pass (full frames: one size).
BATCH = 8


def to_input(frames: np.ndarray):
    """RGB ``uint8`` (N, H, W, 3) -> float tensor (N, 3, H, W) in [−1, 1] (``lpips.im2tensor``)."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def lpips_distance(net, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """LPIPS (N,) of RGB ``uint8`` image pairs a, b (N, H, W, 3) with an
    :class:`msi.networks.lpips.LPIPSNet`."""
    import torch

    from msi.networks.device import device_of

    dev = device_of(net)
    with torch.inference_mode():
        return net(to_input(a).to(dev), to_input(b).to(dev)).cpu().numpy().astype(np.float64)


def lpips_pairs(net, pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """LPIPS (N,) of a list of (frame, truth frame) pairs of one size: one forward."""
    return lpips_distance(net, np.stack([a for a, _ in pairs]), np.stack([b for _, b in pairs]))


def video_lpips(net, pairs: Iterable[tuple[np.ndarray, np.ndarray]], batch: int = BATCH, batcher=None) -> float:
    """Mean LPIPS over (frame, truth frame) pairs of equal size; NaN for none. Pairs of one size
    go through the network ``batch`` at a time (:func:`lpips_pairs`), or in the batches of
    ``batcher`` (shared with other videos': :mod:`msi.networks.batching`)."""
    from msi.networks.batching import Batcher

    batcher = batcher or Batcher(lambda ps: lpips_pairs(net, ps), batch)
    vals = batcher.map(pairs, group=lambda p: p[0].shape)
    return float(np.mean(vals)) if vals else math.nan


# ----------------------------------------------------------------------------- the registration


def _pairs(ctx):
    """(frame, truth frame) pairs by time, the truth resized to the video's size, cut to the
    truth's face box when the region is "face"."""
    import cv2

    from msi.metrics.column import paired_frames
    from msi.metrics.flicker import face_boxes

    truth = ctx.truth
    face = ctx.options.lpips_region == "face"
    boxes = None
    ratio = truth.frame_rate / ctx.fps if ctx.fps > 0 else 1.0
    for k, frame, t in paired_frames(ctx, truth):
        if t is None:
            continue
        th, tw = t.shape[:2]
        if t.shape != frame.shape:
            ctx.note(f"truth frames {t.shape[1]}x{t.shape[0]} resized to {frame.shape[1]}x{frame.shape[0]} for LPIPS")
            t = cv2.resize(t, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_AREA)
        if not face:
            yield frame, t
            continue
        if boxes is None:  # the truth's landmarks scaled to the video's pixels
            tl = np.asarray(truth.landmarks, np.float64)[..., :2] * [frame.shape[1] / tw, frame.shape[0] / th]
            boxes = face_boxes(tl, frame.shape[1], frame.shape[0])
        j = int(round(k * ratio))
        if j >= len(boxes) or boxes[j, 0] < 0:
            continue
        x0, y0, x1, y1 = boxes[j]
        if min(x1 - x0, y1 - y0) < MIN_SIDE:
            continue
        yield frame[y0:y1, x0:x1], t[y0:y1, x0:x1]


def _column(ctx) -> dict[str, float]:
    from msi.metrics.networks import job_batcher, network

    net = network("lpips", ctx.weights["lpips"])
    value = video_lpips(net, _pairs(ctx), batcher=job_batcher(ctx, "lpips", net, lambda ps: lpips_pairs(net, ps), BATCH))
    if math.isnan(value):
        where = "with the truth's face (at least 32 px)" if ctx.options.lpips_region == "face" else "paired with the truth"
        ctx.note(f"LPIPS: no frame {where}")
        return {}
    return {"lpips": value}


METRIC = Metric((Column("lpips", "LPIPS", -1, ("lpips", "truth"),
                        help="learned perceptual distance to the truth's frame at the same time (lpips v0.1, "
                             "AlexNet or VGG16 trunk), full frame or face box"),),
                _column)
