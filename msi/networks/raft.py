"""RAFT optical flow (Teed & Deng, "RAFT: Recurrent all-pairs field transforms for optical flow",
ECCV 2020), the full model VBench's dynamic degree runs (``vbench/third_party/RAFT``, with the
``raft-things.pth`` checkpoint), in torch.

Layers and parameter names are the reference's, so ``raft-things.pth`` (a state dict, keys
optionally prefixed ``module.``) loads unchanged:

* ``fnet``: a residual encoder to 1/8 resolution (7x7 stride-2 stem, three stages of two residual
  blocks at 64, 96 and 128 channels, a 1x1 conv to 256), instance-normalised, on both frames;
* ``cnet``: the same encoder with batch norm, to 256 channels split into the GRU's initial state
  (tanh, 128) and its context input (ReLU, 128);
* the all-pairs correlation of the two feature maps over √256, average-pooled to 4 levels,
  looked up in a 9 × 9 window (radius 4) around the current flow on each level (bilinear,
  ``grid_sample`` with ``align_corners=True``);
* ``update_block``: motion encoder, a separable ConvGRU (1x5 then 5x1), a flow head, and a mask
  head (× 0.25) for convex 8× upsampling over 3 × 3 neighbourhoods.

Frames enter as RGB in [0, 255] (floats), scaled to [−1, 1]; sizes divisible by 8 (pad first:
:func:`pad_to_8`, replicate padding split evenly, as ``InputPadder``'s "sintel" mode).
"""
from __future__ import annotations

import os

import torch
from torch import nn
from torch.nn import functional as F

from msi.networks.blocks import Residual as _Residual
from msi.networks.blocks import norm_layer as _norm
from msi.networks.formats import EXPECTED as _FILES

#: What the weights file is (for messages).
EXPECTED = _FILES["raft"]
CORR_LEVELS = 4
CORR_RADIUS = 4
HIDDEN = 128
CONTEXT = 128


class _Encoder(nn.Module):
    def __init__(self, out: int, norm: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        self.norm1 = _norm(norm, 64)
        self.relu1 = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(_Residual(64, 64, norm), _Residual(64, 64, norm))
        self.layer2 = nn.Sequential(_Residual(64, 96, norm, 2), _Residual(96, 96, norm))
        self.layer3 = nn.Sequential(_Residual(96, 128, norm, 2), _Residual(128, 128, norm))
        self.conv2 = nn.Conv2d(128, out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.norm1(self.conv1(x)))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))


class _MotionEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        planes = CORR_LEVELS * (2 * CORR_RADIUS + 1) ** 2
        self.convc1 = nn.Conv2d(planes, 256, 1)
        self.convc2 = nn.Conv2d(256, 192, 3, padding=1)
        self.convf1 = nn.Conv2d(2, 128, 7, padding=3)
        self.convf2 = nn.Conv2d(128, 64, 3, padding=1)
        self.conv = nn.Conv2d(64 + 192, 128 - 2, 3, padding=1)

    def forward(self, flow: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
        c = F.relu(self.convc2(F.relu(self.convc1(corr))))
        f = F.relu(self.convf2(F.relu(self.convf1(flow))))
        return torch.cat([F.relu(self.conv(torch.cat([c, f], 1))), flow], 1)


class _SepGRU(nn.Module):
    def __init__(self, hidden: int, inp: int) -> None:
        super().__init__()
        for axis, (k, p) in (("1", ((1, 5), (0, 2))), ("2", ((5, 1), (2, 0)))):
            for gate in "zrq":
                setattr(self, f"conv{gate}{axis}", nn.Conv2d(hidden + inp, hidden, k, padding=p))

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        for axis in "12":
            hx = torch.cat([h, x], 1)
            z = torch.sigmoid(getattr(self, f"convz{axis}")(hx))
            r = torch.sigmoid(getattr(self, f"convr{axis}")(hx))
            q = torch.tanh(getattr(self, f"convq{axis}")(torch.cat([r * h, x], 1)))
            h = (1 - z) * h + z * q
        return h


class _FlowHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(HIDDEN, 256, 3, padding=1)
        self.conv2 = nn.Conv2d(256, 2, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.relu(self.conv1(x)))


class _Update(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = _MotionEncoder()
        self.gru = _SepGRU(HIDDEN, 128 + HIDDEN)
        self.flow_head = _FlowHead()
        self.mask = nn.Sequential(nn.Conv2d(128, 256, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(256, 64 * 9, 1))

    def forward(self, net, inp, corr, flow):
        net = self.gru(net, torch.cat([inp, self.encoder(flow, corr)], 1))
        return net, 0.25 * self.mask(net), self.flow_head(net)


def _grid(batch: int, h: int, w: int) -> torch.Tensor:
    """(B, 2, h, w) pixel coordinates (x, y) of every cell."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([xs, ys], 0).float()[None].repeat(batch, 1, 1, 1)


def _sample(img: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Bilinear lookup of ``img`` at pixel ``coords`` (..., 2: x, y), corners aligned."""
    h, w = img.shape[-2:]
    x, y = coords.split([1, 1], dim=-1)
    grid = torch.cat([2 * x / (w - 1) - 1, 2 * y / (h - 1) - 1], dim=-1)
    return F.grid_sample(img, grid, align_corners=True)


class RAFT(nn.Module):
    """RAFT (large). ``forward(image1, image2, iters)`` -> the flow (B, 2, H, W) after ``iters``
    updates, upsampled to the input size, for RGB frames (B, 3, H, W) in [0, 255], H and W
    divisible by 8."""

    def __init__(self) -> None:
        super().__init__()
        self.fnet = _Encoder(256, "instance")
        self.cnet = _Encoder(HIDDEN + CONTEXT, "batch")
        self.update_block = _Update()

    def _pyramid(self, f1: torch.Tensor, f2: torch.Tensor) -> list[torch.Tensor]:
        b, d, h, w = f1.shape
        corr = torch.matmul(f1.view(b, d, h * w).transpose(1, 2), f2.view(b, d, h * w))
        corr = (corr.view(b, h, w, 1, h, w) / torch.sqrt(torch.tensor(d).float())).reshape(b * h * w, 1, h, w)
        levels = [corr]
        for _ in range(CORR_LEVELS - 1):
            levels.append(F.avg_pool2d(levels[-1], 2, stride=2))
        return levels

    def _lookup(self, levels: list[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
        r = CORR_RADIUS
        c = coords.permute(0, 2, 3, 1)
        b, h, w, _ = c.shape
        d = torch.linspace(-r, r, 2 * r + 1)
        dy, dx = torch.meshgrid(d, d, indexing="ij")
        delta = torch.stack([dy, dx], -1).view(1, 2 * r + 1, 2 * r + 1, 2)  # (y, x) order, as the reference
        out = [_sample(lv, c.reshape(b * h * w, 1, 1, 2) / 2 ** i + delta).view(b, h, w, -1)
               for i, lv in enumerate(levels)]
        return torch.cat(out, -1).permute(0, 3, 1, 2).contiguous().float()

    @staticmethod
    def _upsample(flow: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, _, h, w = flow.shape
        mask = torch.softmax(mask.view(n, 1, 9, 8, 8, h, w), dim=2)
        up = F.unfold(8 * flow, [3, 3], padding=1).view(n, 2, 9, 1, 1, h, w)
        up = torch.sum(mask * up, dim=2).permute(0, 1, 4, 2, 5, 3)
        return up.reshape(n, 2, 8 * h, 8 * w)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, iters: int = 20) -> torch.Tensor:
        image1 = (2 * (image1 / 255.0) - 1.0).contiguous()
        image2 = (2 * (image2 / 255.0) - 1.0).contiguous()
        f1, f2 = self.fnet(torch.cat([image1, image2], 0)).split(image1.shape[0], 0)
        levels = self._pyramid(f1.float(), f2.float())
        net, inp = torch.split(self.cnet(image1), [HIDDEN, CONTEXT], dim=1)
        net, inp = torch.tanh(net), torch.relu(inp)
        b, _, h, w = image1.shape
        coords0, coords1 = _grid(b, h // 8, w // 8), _grid(b, h // 8, w // 8)
        mask = None
        for _ in range(iters):
            corr = self._lookup(levels, coords1)
            net, mask, delta = self.update_block(net, inp, corr, coords1 - coords0)
            coords1 = coords1 + delta
        return self._upsample(coords1 - coords0, mask)  # the reference upsamples every step, keeps the last


def pad_to_8(*images: torch.Tensor) -> list[torch.Tensor]:
    """Replicate-pad (B, C, H, W) images to sides divisible by 8, split evenly (the extra pixel
    at the bottom / right), as RAFT's ``InputPadder`` in its default mode."""
    h, w = images[0].shape[-2:]
    ph, pw = (-h) % 8, (-w) % 8
    pad = [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2]
    return [F.pad(x, pad, mode="replicate") for x in images]


def load_raft(path: str | os.PathLike) -> RAFT:
    """RAFT with the weights of ``path`` (a state dict as ``raft-things.pth``); :class:`BadWeights`
    naming what the file looks like otherwise."""
    from msi.networks.formats import fill_state, read_state

    p, state = read_state(path, EXPECTED, (), "module.")
    return fill_state(RAFT(), state, p, "RAFT")
