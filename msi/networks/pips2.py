"""PIPs++, the point tracker of FVMD (Zheng et al., "PointOdyssey: A large-scale synthetic dataset
for long-term point tracking", ICCV 2023; the ``fvmd`` package's ``nets/pips2.py``), in torch.

Layers and parameter names are the reference's, so FVMD's ``pips2_weights.pth`` (a dict whose
``model_state_dict`` holds the weights) loads unchanged. ``forward(xy0, rgbs, iters)`` tracks N
points from frame 0 through S frames (B, S, 3, H, W in [0, 255]):

* a residual encoder (instance norm, 4 stages) to 1/8 resolution, the four stages resized and
  fused into 128-d features per frame;
* three correlation pyramids (4 levels, radius 3) against the points' features: from frame 0, and
  (after the first update) from the current track 2 and 4 frames back;
* a 1-d residual network over time (8 blocks, 128 to 512 channels) reading the correlations and
  the track's motion (with a 2-d sine/cosine embedding) and emitting coordinate updates; the
  first frame stays where it started; with ``beautify`` the updates of the last quarter of the
  iterations are halved.
"""
from __future__ import annotations

import os

import torch
from torch import nn
from torch.nn import functional as F

from msi.networks.blocks import Residual
from msi.networks.formats import EXPECTED as _FILES

#: What the weights file is (for messages).
EXPECTED = _FILES["pips"]
STRIDE = 8
LATENT = 128
LEVELS = 4
RADIUS = 3


class _Conv1dSame(nn.Module):
    def __init__(self, cin: int, cout: int, k: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, 1)
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = max(0, self.k - 1)  # stride 1: "same" output length
        return self.conv(F.pad(x, (p // 2, p - p // 2), "constant", 0))


class _Res1d(nn.Module):
    def __init__(self, cin: int, cout: int, first: bool) -> None:
        super().__init__()
        self.cin, self.cout, self.first = cin, cout, first
        self.norm1, self.norm2 = nn.InstanceNorm1d(cin), nn.InstanceNorm1d(cout)
        self.conv1, self.conv2 = _Conv1dSame(cin, cout, 3), _Conv1dSame(cout, cout, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x if self.first else F.relu(self.norm1(x))
        out = self.conv2(F.relu(self.norm2(self.conv1(out))))
        if self.cout != self.cin:  # the identity zero-padded in channels, half on each side
            a = (self.cout - self.cin) // 2
            x = F.pad(x.transpose(-1, -2), (a, self.cout - self.cin - a), "constant", 0).transpose(-1, -2)
        return out + x


def _Res2d(cin: int, cout: int, stride: int = 1) -> nn.Module:
    """PIPs++'s encoder block: RAFT's residual block with instance norm."""
    return Residual(cin, cout, "instance", stride)


class _Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.InstanceNorm2d(64), nn.InstanceNorm2d(LATENT * 2)
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)
        self.relu1 = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(_Res2d(64, 64), _Res2d(64, 64))
        self.layer2 = nn.Sequential(_Res2d(64, 96, 2), _Res2d(96, 96))
        self.layer3 = nn.Sequential(_Res2d(96, 128, 2), _Res2d(128, 128))
        self.layer4 = nn.Sequential(_Res2d(128, 128, 2), _Res2d(128, 128))
        self.conv2 = nn.Conv2d(128 + 128 + 96 + 64, LATENT * 2, 3, padding=1)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(LATENT * 2, LATENT, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        a = self.layer1(self.relu1(self.norm1(self.conv1(x))))
        b = self.layer2(a)
        c = self.layer3(b)
        d = self.layer4(c)
        size = (h // STRIDE, w // STRIDE)
        maps = [F.interpolate(m, size, mode="bilinear", align_corners=True) for m in (a, b, c, d)]
        return self.conv3(self.relu2(self.norm2(self.conv2(torch.cat(maps, 1)))))


def _sincos(xy: torch.Tensor, c: int, temperature: float = 10000) -> torch.Tensor:
    """2-d sine/cosine embedding of (B, S, 2) positions to c channels, then the positions."""
    b, s, _ = xy.shape
    omega = 1.0 / (temperature ** (torch.arange(c // 4) / (c // 4 - 1)))
    y = xy[:, :, 1].flatten()[:, None] * omega[None, :]
    x = xy[:, :, 0].flatten()[:, None] * omega[None, :]
    pe = torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1).reshape(b, s, c).type(xy.dtype)
    return torch.cat([pe, xy], dim=2)


class _DeltaBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cin = LEVELS * (2 * RADIUS + 1) ** 2 * 3 + LATENT + 2
        self.first_block_conv = _Conv1dSame(cin, 128, 3)
        blocks = []
        cout = 128
        for i in range(8):
            if i == 0:
                c_in = cout = 128
            else:
                c_in = int(128 * 2 ** ((i - 1) // 2))
                cout = c_in * 2 if i % 2 == 0 else c_in
            blocks.append(_Res1d(c_in, cout, first=(i == 0)))
        self.basicblock_list = nn.ModuleList(blocks)
        self.dense = nn.Linear(cout, 2)

    def forward(self, fcorr: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.first_block_conv(torch.cat([fcorr, _sincos(flow, LATENT)], 2).permute(0, 2, 1)))
        for block in self.basicblock_list:
            out = block(out)
        return self.dense(F.relu(out).permute(0, 2, 1))


def sample_points(fmap: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, N, C) bilinear samples of (B, C, H, W) maps at (B, N) pixel positions, edges clamped
    (PIPs's ``bilinear_sample2d``)."""
    b, c, h, w = fmap.shape
    x, y = x.float(), y.float()
    x0, y0 = torch.floor(x).int(), torch.floor(y).int()
    x1, y1 = x0 + 1, y0 + 1
    mx, my = w - 1, h - 1
    xs0, xs1 = x0.clamp(0, mx), x1.clamp(0, mx)
    ys0, ys1 = y0.clamp(0, my), y1.clamp(0, my)
    base = (torch.arange(b, dtype=torch.int64) * (w * h))[:, None]
    flat = fmap.permute(0, 2, 3, 1).reshape(b * h * w, c)

    def at(yy, xx):
        return flat[(base + yy * w + xx).long()]

    x0f, x1f, y0f, y1f = x0.float(), x1.float(), y0.float(), y1.float()
    out = (((x1f - x) * (y1f - y)).unsqueeze(2) * at(ys0, xs0) + ((x - x0f) * (y1f - y)).unsqueeze(2) * at(ys0, xs1)
           + ((x1f - x) * (y - y0f)).unsqueeze(2) * at(ys1, xs0) + ((x - x0f) * (y - y0f)).unsqueeze(2) * at(ys1, xs1))
    return out.view(b, -1, c)


def _grid_sample_px(img: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    h, w = img.shape[-2:]
    x, y = coords.split([1, 1], dim=-1)
    return F.grid_sample(img, torch.cat([2 * x / (w - 1) - 1, 2 * y / (h - 1) - 1], -1), align_corners=True)


class _Corr:
    """Correlations of point features with every frame's feature pyramid, looked up around tracks."""

    def __init__(self, pyramid: list[torch.Tensor]) -> None:
        self.pyramid = pyramid
        self.corrs: list[torch.Tensor] = []

    def corr(self, targets: torch.Tensor) -> None:
        b, s, n, c = targets.shape
        self.corrs = []
        for fm in self.pyramid:
            h, w = fm.shape[-2:]
            corr = torch.matmul(targets, fm.view(b, s, c, h * w)).view(b, s, n, h, w)
            self.corrs.append(corr / torch.sqrt(torch.tensor(c).float()))

    def sample(self, coords: torch.Tensor) -> torch.Tensor:
        r = RADIUS
        b, s, n, _ = coords.shape
        d = torch.linspace(-r, r, 2 * r + 1)
        dy, dx = torch.meshgrid(d, d, indexing="ij")
        delta = torch.stack([dy, dx], -1).view(1, 2 * r + 1, 2 * r + 1, 2)  # (y, x) order, as the reference
        out = []
        for i, corr in enumerate(self.corrs):
            h, w = corr.shape[-2:]
            c = _grid_sample_px(corr.reshape(b * s * n, 1, h, w), coords.reshape(b * s * n, 1, 1, 2) / 2 ** i + delta)
            out.append(c.view(b, s, n, -1))
        return torch.cat(out, -1).contiguous().float()


class PIPs2(nn.Module):
    """PIPs++: ``forward(xy0, rgbs, iters)`` -> (B, S, N, 2) tracks in pixels."""

    def __init__(self) -> None:
        super().__init__()
        self.fnet = _Encoder()
        self.delta_block = _DeltaBlock()
        self.norm = nn.GroupNorm(1, LATENT)  # in the checkpoint, unused by the forward pass

    def forward(self, trajs0: torch.Tensor, rgbs: torch.Tensor, iters: int = 16, beautify: bool = True) -> torch.Tensor:
        b, s, n, _ = trajs0.shape
        _, _, c, h, w = rgbs.shape
        rgbs = 2 * (rgbs / 255.0) - 1.0
        h8, w8 = h // STRIDE, w // STRIDE
        fmaps = self.fnet(rgbs.reshape(b * s, c, h, w)).reshape(b, s, LATENT, h8, w8)
        pyramid = [fmaps]
        for _ in range(LEVELS - 1):
            f = F.avg_pool2d(pyramid[-1].reshape(b * s, LATENT, *pyramid[-1].shape[-2:]), 2, stride=2)
            pyramid.append(f.reshape(b, s, LATENT, *f.shape[-2:]))
        coords = trajs0.clone() / float(STRIDE)
        start = coords[:, 0].clone()
        feat1 = sample_points(fmaps[:, 0], coords[:, 0, :, 0], coords[:, 0, :, 1])
        feats1 = feats2 = feats4 = feat1.unsqueeze(1).repeat(1, s, 1, 1)
        corr1, corr2, corr4 = _Corr(pyramid), _Corr(pyramid), _Corr(pyramid)
        corr1.corr(feats1)
        for itr in range(iters):
            if itr >= 1:  # features of the current track 2 and 4 frames back
                feats = []
                for back in (2, 4):
                    idx = (torch.arange(s) - back).clip(min=0)
                    cs = coords[:, idx].reshape(b * s, n, 2)
                    fm = fmaps[:, idx].reshape(b * s, LATENT, h8, w8)
                    feats.append(sample_points(fm, cs[:, :, 0], cs[:, :, 1]).reshape(b, s, n, LATENT))
                feats2, feats4 = feats
            corr2.corr(feats2)
            corr4.corr(feats4)
            fc = [cb.sample(coords) for cb in (corr1, corr2, corr4)]
            lrr = fc[0].shape[3]
            fcorrs = torch.cat([f.permute(0, 2, 1, 3).reshape(b * n, s, lrr) for f in fc], dim=2)
            flows = (coords[:, 1:] - coords[:, :-1]).permute(0, 2, 1, 3).reshape(b * n, s - 1, 2)
            flows = torch.cat([flows, flows[:, -1:]], dim=1)
            delta = self.delta_block(fcorrs, flows)
            if beautify and itr > 3 * iters // 4:
                delta = delta * 0.5
            coords = coords + delta.reshape(b, n, s, 2).permute(0, 2, 1, 3)
            coords[:, 0] = start
        return coords * STRIDE


def load_pips2(path: str | os.PathLike) -> PIPs2:
    """PIPs++ with the weights of ``path`` (``{"model_state_dict": ...}`` as FVMD's
    ``pips2_weights.pth``, or the state dict itself); :class:`BadWeights` otherwise."""
    from msi.networks.formats import fill_state, read_state

    p, state = read_state(path, EXPECTED, ("model_state_dict",), "module.")
    return fill_state(PIPs2(), state, p, "PIPs++")
