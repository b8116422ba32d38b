"""S3FD, the face detector of syncnet_python's pipeline (Zhang et al., "S³FD: Single shot
scale-invariant face detector", ICCV 2017; syncnet_python's ``detectors/s3fd``), in torch.

The network has the layers and parameter names of syncnet_python's ``S3FDNet`` (a VGG16 trunk
with L2-normalised taps at conv3_3, conv4_3 and conv5_3, fc6/fc7 as convolutions, two extra
stages, and a box and a score head on each of the six maps), so the official ``sfd_face.pth``
state dict loads unchanged. Detection follows ``S3FD.detect_faces`` step by step:

* the RGB frame is resized by ``scale`` (bilinear, OpenCV), and (104, 117, 123), the BGR channel
  means, are subtracted from its B, G, R channels; the network reads it in RGB order;
* the first map's score head has 3 background scores and 1 face score: the background is their
  max ("max-out"); softmax over (background, face) per anchor;
* anchors: square, side 16·2^k px on map k (stride 4·2^k), centred on its cells, in fractions of
  the input; boxes are decoded SSD-style with variances (0.1, 0.2);
* anchors scoring over 0.05 go through greedy non-maximum suppression (IoU over 0.3 suppressed,
  the 5000 best considered, 750 kept), then those over ``conf_th`` (0.9 in the pipeline), scaled to
  the frame's pixels, through a second suppression at IoU 0.1.

Weights are read from the user's path; nothing is downloaded.
"""
from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from msi.networks.formats import EXPECTED as _FILES

#: What the weights file is (for messages).
EXPECTED = _FILES["s3fd"]
#: BGR channel means subtracted from the input (the detector was trained on Caffe-style BGR means).
BGR_MEANS = (104.0, 117.0, 123.0)
#: Anchor side (px of the network input) and stride of each of the six maps.
ANCHOR_SIZES = (16, 32, 64, 128, 256, 512)
STRIDES = (4, 8, 16, 32, 64, 128)
VARIANCES = (0.1, 0.2)
#: The first suppression: anchors scoring over SCORE_MIN, IoU over NMS_IOU suppressed, the NMS_TOP
#: best considered, KEEP_TOP kept.
SCORE_MIN = 0.05
NMS_IOU = 0.3
NMS_TOP = 5000
KEEP_TOP = 750
#: The second suppression, on the detections over the confidence threshold.
FINAL_IOU = 0.1


class _L2Norm(nn.Module):
    """Channel-wise L2 normalisation with a learned per-channel scale (``weight``)."""

    def __init__(self, channels: int, scale: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), float(scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10
        return self.weight[None, :, None, None] * (x / norm)


def _vgg() -> nn.ModuleList:
    """VGG16's convolutions (3x3, ReLU) with fc6 (dilated 3x3, 1024) and fc7 (1x1, 1024), indexed
    as syncnet_python's ``vgg`` list (pools included, so parameter names match)."""
    layers: list[nn.Module] = []
    c = 3
    for block, (width, n) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))):
        for _ in range(n):
            layers += [nn.Conv2d(c, width, 3, 1, padding=1), nn.ReLU(inplace=True)]
            c = width
        layers.append(nn.MaxPool2d(2, 2, ceil_mode=(block == 2)))
    layers += [nn.Conv2d(512, 1024, 3, 1, padding=6, dilation=6), nn.ReLU(inplace=True),
               nn.Conv2d(1024, 1024, 1, 1), nn.ReLU(inplace=True)]
    return nn.ModuleList(layers)


class S3FDNet(nn.Module):
    """S3FD's network: ``forward(x)`` -> (box offsets (B, A, 4), face probability (B, A)) over the
    A anchors of :func:`anchors`, for x (B, 3, H, W) float, RGB minus the channel means."""

    #: vgg indices after which the conv3_3, conv4_3 and conv5_3 maps are tapped (ReLU included).
    TAPS = (16, 23, 30)

    def __init__(self) -> None:
        super().__init__()
        self.vgg = _vgg()
        self.L2Norm3_3 = _L2Norm(256, 10)
        self.L2Norm4_3 = _L2Norm(512, 8)
        self.L2Norm5_3 = _L2Norm(512, 5)
        self.extras = nn.ModuleList([nn.Conv2d(1024, 256, 1, 1), nn.Conv2d(256, 512, 3, 2, padding=1),
                                     nn.Conv2d(512, 128, 1, 1), nn.Conv2d(128, 256, 3, 2, padding=1)])
        widths = (256, 512, 512, 1024, 512, 256)
        self.loc = nn.ModuleList([nn.Conv2d(w, 4, 3, 1, padding=1) for w in widths])
        self.conf = nn.ModuleList([nn.Conv2d(w, 4 if k == 0 else 2, 3, 1, padding=1) for k, w in enumerate(widths)])

    def maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The six source maps the heads read."""
        out = []
        norms = (self.L2Norm3_3, self.L2Norm4_3, self.L2Norm5_3)
        start = 0
        for tap, norm in zip(self.TAPS, norms):
            for layer in self.vgg[start:tap]:
                x = layer(x)
            out.append(norm(x))
            start = tap
        for layer in self.vgg[start:]:
            x = layer(x)
        out.append(x)
        for k, layer in enumerate(self.extras):
            x = F.relu(layer(x), inplace=True)
            if k % 2 == 1:
                out.append(x)
        return out

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
        locs, scores, sizes = [], [], []
        for k, m in enumerate(self.maps(x)):
            c = self.conf[k](m)
            if k == 0:  # max-out background: the largest of the three background scores
                c = torch.cat((c[:, :3].max(dim=1, keepdim=True).values, c[:, 3:]), dim=1)
            locs.append(self.loc[k](m).permute(0, 2, 3, 1).reshape(x.shape[0], -1, 4))
            scores.append(c.permute(0, 2, 3, 1).reshape(x.shape[0], -1, 2))
            sizes.append((m.shape[2], m.shape[3]))
        prob = torch.softmax(torch.cat(scores, 1), dim=-1)[..., 1]
        return torch.cat(locs, 1), prob, sizes


def anchors(input_hw: tuple[int, int], sizes: list[tuple[int, int]]) -> torch.Tensor:
    """(A, 4) anchors (cx, cy, w, h) in fractions of the input, map by map, row-major."""
    imh, imw = input_hw
    rows = []
    for (fh, fw), step, side in zip(sizes, STRIDES, ANCHOR_SIZES):
        i, j = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        cx = (j.ravel() + 0.5) / (imw / step)
        cy = (i.ravel() + 0.5) / (imh / step)
        rows.append(np.stack([cx, cy, np.full(cx.shape, side / imw), np.full(cx.shape, side / imh)], 1))
    return torch.from_numpy(np.concatenate(rows)).float()


def decode(loc: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """SSD box decoding: (A, 4) offsets on (A, 4) anchors -> (A, 4) corners x0, y0, x1, y1."""
    centre = prior[:, :2] + loc[:, :2] * VARIANCES[0] * prior[:, 2:]
    size = prior[:, 2:] * torch.exp(loc[:, 2:] * VARIANCES[1])
    x0y0 = centre - size / 2
    return torch.cat((x0y0, x0y0 + size), 1)


def _suppress(boxes: torch.Tensor, scores: torch.Tensor, iou: float, top: int) -> list[int]:
    """Greedy suppression in torch (float32): of the ``top`` best-scored boxes, keep the best,
    drop those overlapping it by more than ``iou``, repeat; the kept indices, best first."""
    if boxes.numel() == 0:
        return []
    x0, y0, x1, y1 = boxes.unbind(1)
    area = (x1 - x0) * (y1 - y0)
    _, order = scores.sort(0)  # ascending, as the reference: the best is last
    order = order[-top:]
    keep = []
    while order.numel() > 0:
        i = order[-1]
        keep.append(int(i))
        if order.numel() == 1:
            break
        order = order[:-1]
        w = (torch.clamp(x1[order], max=x1[i]) - torch.clamp(x0[order], min=x0[i])).clamp(min=0.0)
        h = (torch.clamp(y1[order], max=y1[i]) - torch.clamp(y0[order], min=y0[i])).clamp(min=0.0)
        inter = w * h
        order = order[(inter / ((area[order] - inter) + area[i])).le(iou)]
    return keep


def _suppress_np(dets: np.ndarray, iou: float) -> np.ndarray:
    """Greedy suppression of (n, 5) x0, y0, x1, y1, score rows (float64): kept rows, best first."""
    x0, y0, x1, y1, s = dets.T
    area = (x1 - x0) * (y1 - y0)
    order = s.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]))
        h = np.maximum(0.0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]))
        inter = w * h
        order = rest[inter / (area[i] + area[rest] - inter) <= iou]
    return dets[np.array(keep, dtype=int)]


def preprocess(rgb: np.ndarray, scale: float) -> torch.Tensor:
    """(1, 3, h, w) network input of an RGB ``uint8`` frame resized by ``scale``."""
    import cv2

    img = cv2.resize(rgb, dsize=(0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    x = img.astype(np.float32).transpose(2, 0, 1)
    x -= np.array(BGR_MEANS[::-1], np.float32)[:, None, None]  # R - 123, G - 117, B - 104
    return torch.from_numpy(np.ascontiguousarray(x))[None]


@torch.inference_mode()
def detect_faces(net: S3FDNet, rgb: np.ndarray, conf_th: float = 0.9, scale: float = 0.25) -> np.ndarray:
    """(n, 5) face boxes x0, y0, x1, y1 (pixels of ``rgb``) and score, best first, of one RGB
    ``uint8`` frame, as syncnet_python's ``S3FD.detect_faces(image, conf_th, scales=[scale])``."""
    x = preprocess(rgb, scale)
    loc, prob, sizes = net(x)
    boxes = decode(loc[0], anchors(tuple(x.shape[2:]), sizes))
    scores = prob[0]
    mask = scores.gt(SCORE_MIN)
    boxes, scores = boxes[mask], scores[mask]
    keep = _suppress(boxes, scores, NMS_IOU, NMS_TOP)[:KEEP_TOP]
    h, w = rgb.shape[:2]
    size = torch.tensor([w, h, w, h], dtype=torch.float32)
    rows = [(*(boxes[i] * size).numpy().tolist(), float(scores[i])) for i in keep if scores[i] > conf_th]
    if not rows:
        return np.zeros((0, 5))
    return _suppress_np(np.array(rows, dtype=np.float64), FINAL_IOU)


def load_s3fd(path: str | os.PathLike) -> S3FDNet:
    """S3FD with the weights of ``path`` (a state dict as ``sfd_face.pth``: ``vgg.0.weight``,
    ``L2Norm3_3.weight``, ...); :class:`BadWeights` naming what the file looks like otherwise."""
    from msi.networks.formats import fill_state, read_state

    p, state = read_state(path, EXPECTED, (), "module.")
    return fill_state(S3FDNet(), state, p, "S3FD")
