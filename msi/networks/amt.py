"""AMT-S, the frame interpolator of VBench's motion smoothness (Li et al., "AMT: All-pairs
multi-field transforms for efficient frame interpolation", CVPR 2023; ``vbench/third_party/amt``,
``networks/AMT-S.py`` with ``cfgs/AMT-S.yaml``: correlation radius 3, 4 levels, 3 flows), in torch.

Layers and parameter names are the reference's, so ``amt-s.pth`` (a dict whose ``state_dict``
holds the weights) loads unchanged. ``forward(img0, img1, t)`` predicts the frame at time t
between two RGB frames in [0, 1] (B, 3, H, W), H and W multiples of 16:

* both frames minus their joint mean; a bottleneck encoder (instance norm, to 1/8, 84 channels)
  for all-pairs correlations both ways (4 levels, radius 3), and a 4-level PReLU pyramid
  (20, 32, 44, 56 channels) for context;
* coarse to fine (1/16 → 1/2): IFRNet-style decoders predict the two flows to time t and an
  intermediate feature; at 1/8, 1/4 and 1/2 a small update block refines them from the
  correlations looked up at the flow ends (scaled by 1 / t and 1 / (1 − t));
* the last decoder gives 3 flow pairs, blend masks and residuals at full size; each pair warps
  the frames (bilinear, border padding), and the 3 candidates are averaged plus a learned
  correction, clamped to [0, 1].
"""
from __future__ import annotations

import os

import torch
from torch import nn
from torch.nn import functional as F

from msi.networks.formats import EXPECTED as _FILES

#: What the weights file is (for messages).
EXPECTED = _FILES["amt"]
RADIUS = 3
LEVELS = 4
FLOWS = 3
CHANNELS = (20, 32, 44, 56)
SKIP = 20


def resize(x: torch.Tensor, scale: float) -> torch.Tensor:
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def warp(img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``img`` sampled at each pixel plus ``flow`` (pixels), bilinear, border padding."""
    b, _, h, w = flow.shape
    xx = torch.linspace(-1.0, 1.0, w).view(1, 1, 1, w).expand(b, -1, h, -1)
    yy = torch.linspace(-1.0, 1.0, h).view(1, 1, h, 1).expand(b, -1, -1, w)
    grid = torch.cat([xx, yy], 1).to(img)
    step = torch.cat([flow[:, 0:1] / ((w - 1.0) / 2.0), flow[:, 1:2] / ((h - 1.0) / 2.0)], 1)
    return F.grid_sample(img, (grid + step).permute(0, 2, 3, 1), mode="bilinear", padding_mode="border",
                         align_corners=True)


def _convrelu(cin: int, cout: int, k: int = 3, s: int = 1, p: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p), nn.PReLU(cout))


class _Bottleneck(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout // 4, 1)
        self.conv2 = nn.Conv2d(cout // 4, cout // 4, 3, padding=1, stride=stride)
        self.conv3 = nn.Conv2d(cout // 4, cout, 1)
        self.relu = nn.ReLU(inplace=True)
        self.norm1, self.norm2, self.norm3 = (nn.InstanceNorm2d(cout // 4), nn.InstanceNorm2d(cout // 4),
                                              nn.InstanceNorm2d(cout))
        self.downsample = None
        if stride != 1:
            self.norm4 = nn.InstanceNorm2d(cout)
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), self.norm4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.relu(self.norm2(self.conv2(y)))
        y = self.relu(self.norm3(self.conv3(y)))
        if self.downsample is not None:
            x = self.downsample(x)
        return self.relu(x + y)


class _FeatEncoder(nn.Module):
    def __init__(self, out: int = 84) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 7, stride=2, padding=3)
        self.norm1 = nn.InstanceNorm2d(32)
        self.relu1 = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(_Bottleneck(32, 32), _Bottleneck(32, 32))
        self.layer2 = nn.Sequential(_Bottleneck(32, 64, 2), _Bottleneck(64, 64))
        self.layer3 = nn.Sequential(_Bottleneck(64, 96, 2), _Bottleneck(96, 96))
        self.conv2 = nn.Conv2d(96, out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.norm1(self.conv1(x)))
        return self.conv2(self.layer3(self.layer2(self.layer1(x))))


class _ResBlock(nn.Module):
    """IFRNet's residual block: the last ``side`` channels get their own convolutions twice."""

    def __init__(self, ch: int, side: int) -> None:
        super().__init__()
        self.side_channels = side
        self.conv1, self.conv3 = _convrelu(ch, ch), _convrelu(ch, ch)
        self.conv2, self.conv4 = _convrelu(side, side), _convrelu(side, side)
        self.conv5 = nn.Conv2d(ch, ch, 3, 1, 1)
        self.prelu = nn.PReLU(ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.side_channels
        out = self.conv1(x)
        out = self.conv3(torch.cat([out[:, :-s], self.conv2(out[:, -s:])], 1))
        out = self.conv5(torch.cat([out[:, :-s], self.conv4(out[:, -s:])], 1))
        return self.prelu(x + out)


class _Pyramid(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        prev = 3
        for i, ch in enumerate(CHANNELS, 1):
            self.register_module(f"pyramid{i}", nn.Sequential(_convrelu(prev, ch, 3, 2, 1), _convrelu(ch, ch)))
            prev = ch

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i in range(len(CHANNELS)):
            x = getattr(self, f"pyramid{i + 1}")(x)
            out.append(x)
        return out


class _InitDecoder(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.convblock = nn.Sequential(_convrelu(cin * 2 + 1, cin * 2), _ResBlock(cin * 2, SKIP),
                                       nn.ConvTranspose2d(cin * 2, cout + 4, 4, 2, 1))

    def forward(self, f0, f1, t):
        out = self.convblock(torch.cat([f0, f1, t.repeat(1, 1, *f0.shape[2:])], 1))
        flow0, flow1 = torch.chunk(out[:, :4], 2, 1)
        return flow0, flow1, out[:, 4:]


class _MidDecoder(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.convblock = nn.Sequential(_convrelu(cin * 3 + 4, cin * 3), _ResBlock(cin * 3, SKIP),
                                       nn.ConvTranspose2d(cin * 3, cout + 4, 4, 2, 1))

    def forward(self, ft, f0, f1, flow0, flow1):
        out = self.convblock(torch.cat([ft, warp(f0, flow0), warp(f1, flow1), flow0, flow1], 1))
        d0, d1 = torch.chunk(out[:, :4], 2, 1)
        return d0 + 2.0 * resize(flow0, 2.0), d1 + 2.0 * resize(flow1, 2.0), out[:, 4:]


class _MultiFlowDecoder(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.convblock = nn.Sequential(_convrelu(cin * 3 + 4, cin * 3), _ResBlock(cin * 3, SKIP),
                                       nn.ConvTranspose2d(cin * 3, 8 * FLOWS, 4, 2, 1))

    def forward(self, ft, f0, f1, flow0, flow1):
        n = FLOWS
        out = self.convblock(torch.cat([ft, warp(f0, flow0), warp(f1, flow1), flow0, flow1], 1))
        d0, d1, mask, res = torch.split(out, [2 * n, 2 * n, n, 3 * n], 1)
        return (d0 + 2.0 * resize(flow0, 2.0).repeat(1, n, 1, 1), d1 + 2.0 * resize(flow1, 2.0).repeat(1, n, 1, 1),
                torch.sigmoid(mask), res)


class _Update(nn.Module):
    def __init__(self, cdim: int, scale: int | None = None) -> None:
        super().__init__()
        planes = LEVELS * (2 * RADIUS + 1) ** 2
        hidden, flow_dim, corr_dim, fc_dim = 76, 20, 64, 68
        self.scale_factor = scale
        self.convc1 = nn.Conv2d(2 * planes, corr_dim, 1)
        self.convf1 = nn.Conv2d(4, flow_dim * 2, 7, padding=3)
        self.convf2 = nn.Conv2d(flow_dim * 2, flow_dim, 3, padding=1)
        self.conv = nn.Conv2d(corr_dim + flow_dim, fc_dim, 3, padding=1)

        def two(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, hidden, 3, padding=1), nn.LeakyReLU(0.1, inplace=True),
                                 nn.Conv2d(hidden, cout, 3, padding=1))

        self.gru = two(fc_dim + 4 + cdim, hidden)
        self.feat_head = two(hidden, cdim)
        self.flow_head = two(hidden, 4)
        self.lrelu = nn.LeakyReLU(0.1, inplace=True)

    def forward(self, net, flow, corr):
        if self.scale_factor is not None:
            net = resize(net, 1 / self.scale_factor)
        cor = self.lrelu(self.convc1(corr))
        flo = self.lrelu(self.convf2(self.lrelu(self.convf1(flow))))
        out = self.gru(torch.cat([self.lrelu(self.conv(torch.cat([cor, flo], 1))), flow, net], 1))
        d_net, d_flow = self.feat_head(out), self.flow_head(out)
        if self.scale_factor is not None:
            d_net = resize(d_net, self.scale_factor)
            d_flow = self.scale_factor * resize(d_flow, self.scale_factor)
        return d_net, d_flow


def _sample(img: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    h, w = img.shape[-2:]
    x, y = coords.split([1, 1], dim=-1)
    return F.grid_sample(img, torch.cat([2 * x / (w - 1) - 1, 2 * y / (h - 1) - 1], -1), align_corners=True)


class _BidirCorr:
    """All-pairs correlation of two feature maps, both ways, pooled to LEVELS levels."""

    def __init__(self, f0: torch.Tensor, f1: torch.Tensor) -> None:
        b, d, h, w = f0.shape
        corr = torch.matmul(f0.view(b, d, h * w).transpose(1, 2), f1.view(b, d, h * w))
        corr = corr.view(b, h, w, 1, h, w) / torch.sqrt(torch.tensor(d).float())
        corr_t = corr.clone().permute(0, 4, 5, 3, 1, 2).reshape(b * h * w, 1, h, w)
        corr = corr.reshape(b * h * w, 1, h, w)
        self.fwd, self.bwd = [corr], [corr_t]
        for _ in range(LEVELS - 1):
            self.fwd.append(F.avg_pool2d(self.fwd[-1], 2, stride=2))
            self.bwd.append(F.avg_pool2d(self.bwd[-1], 2, stride=2))

    def __call__(self, c0: torch.Tensor, c1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = RADIUS
        c0, c1 = c0.permute(0, 2, 3, 1), c1.permute(0, 2, 3, 1)
        b, h, w, _ = c0.shape
        d = torch.linspace(-r, r, 2 * r + 1)
        dy, dx = torch.meshgrid(d, d, indexing="ij")
        delta = torch.stack([dy, dx], -1).view(1, 2 * r + 1, 2 * r + 1, 2)  # (y, x) order, as the reference
        out0, out1 = [], []
        for i in range(LEVELS):
            out0.append(_sample(self.fwd[i], c0.reshape(b * h * w, 1, 1, 2) / 2 ** i + delta).view(b, h, w, -1))
            out1.append(_sample(self.bwd[i], c1.reshape(b * h * w, 1, 1, 2) / 2 ** i + delta).view(b, h, w, -1))
        return (torch.cat(out0, -1).permute(0, 3, 1, 2).contiguous().float(),
                torch.cat(out1, -1).permute(0, 3, 1, 2).contiguous().float())


class AMTS(nn.Module):
    """AMT-S: ``forward(img0, img1, t)`` -> the frame at time t (B, 3, H, W) in [0, 1]."""

    def __init__(self) -> None:
        super().__init__()
        c = CHANNELS
        self.feat_encoder = _FeatEncoder(84)
        self.encoder = _Pyramid()
        self.decoder4 = _InitDecoder(c[3], c[2])
        self.decoder3 = _MidDecoder(c[2], c[1])
        self.decoder2 = _MidDecoder(c[1], c[0])
        self.decoder1 = _MultiFlowDecoder(c[0])
        self.update4 = _Update(44)
        self.update3 = _Update(32, 2)
        self.update2 = _Update(20, 4)
        self.comb_block = nn.Sequential(nn.Conv2d(3 * FLOWS, 6 * FLOWS, 3, 1, 1), nn.PReLU(6 * FLOWS),
                                        nn.Conv2d(6 * FLOWS, 3, 3, 1, 1))

    @staticmethod
    def _lookup(corr, coord, flow0, flow1, t, down: int = 1):
        if down != 1:
            flow0 = (1 / down) * resize(flow0, 1 / down)
            flow1 = (1 / down) * resize(flow1, 1 / down)
        c0, c1 = corr(coord + flow1 * (1.0 / t), coord + flow0 * (1.0 / (1.0 - t)))
        return torch.cat([c0, c1], 1), torch.cat([flow0, flow1], 1)

    def _refine(self, update, corr, coord, flow0, flow1, ft, t, down):
        c, f = self._lookup(corr, coord, flow0, flow1, t, down)
        d_ft, d_flow = update(ft, f, c)
        d0, d1 = torch.chunk(d_flow, 2, 1)
        return flow0 + d0, flow1 + d1, ft + d_ft

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        mean = torch.cat([img0, img1], 2).mean(1, keepdim=True).mean(2, keepdim=True).mean(3, keepdim=True)
        img0, img1 = img0 - mean, img1 - mean
        b, _, h, w = img0.shape
        ys, xs = torch.meshgrid(torch.arange(h // 8), torch.arange(w // 8), indexing="ij")
        coord = torch.stack([xs, ys], 0).float()[None].repeat(b, 1, 1, 1)
        fm0, fm1 = self.feat_encoder(torch.cat([img0, img1], 0)).split(b, 0)
        corr = _BidirCorr(fm0, fm1)
        f0, f1 = self.encoder(img0), self.encoder(img1)
        flow0, flow1, ft = self.decoder4(f0[3], f1[3], t)
        flow0, flow1, ft = self._refine(self.update4, corr, coord, flow0, flow1, ft, t, 1)
        flow0, flow1, ft = self.decoder3(ft, f0[2], f1[2], flow0, flow1)
        flow0, flow1, ft = self._refine(self.update3, corr, coord, flow0, flow1, ft, t, 2)
        flow0, flow1, ft = self.decoder2(ft, f0[1], f1[1], flow0, flow1)
        flow0, flow1, ft = self._refine(self.update2, corr, coord, flow0, flow1, ft, t, 4)
        flow0, flow1, mask, res = self.decoder1(ft, f0[0], f1[0], flow0, flow1)
        return torch.clamp(self._combine(img0, img1, flow0, flow1, mask, res, mean), 0, 1)

    def _combine(self, img0, img1, flow0, flow1, mask, res, mean):
        b, c, h, w = flow0.shape
        n = c // 2
        flow0 = flow0.reshape(b, n, 2, h, w).reshape(-1, 2, h, w)
        flow1 = flow1.reshape(b, n, 2, h, w).reshape(-1, 2, h, w)
        mask = mask.reshape(b, n, 1, h, w).reshape(-1, 1, h, w)
        res = res.reshape(b, n, 3, h, w).reshape(-1, 3, h, w)
        img0 = torch.stack([img0] * n, 1).reshape(-1, 3, h, w)
        img1 = torch.stack([img1] * n, 1).reshape(-1, 3, h, w)
        mean = torch.stack([mean] * n, 1).reshape(-1, 1, 1, 1)
        warps = (mask * warp(img0, flow0) + (1 - mask) * warp(img1, flow1) + mean + res).reshape(b, n, 3, h, w)
        return warps.mean(1) + self.comb_block(warps.view(b, -1, h, w))


def load_amt(path: str | os.PathLike) -> AMTS:
    """AMT-S with the weights of ``path`` (``{"state_dict": ...}`` as ``amt-s.pth``, or the state
    dict itself); :class:`BadWeights` naming what the file looks like otherwise."""
    from msi.networks.formats import fill_state, read_state

    p, state = read_state(path, EXPECTED, ("state_dict",))
    return fill_state(AMTS(), state, p, "AMT-S")
