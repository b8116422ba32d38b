"""InceptionV3 as FID uses it (Heusel et al. 2017, "GANs trained by a two time-scale update rule
converge to a local Nash equilibrium"; the TensorFlow graph ``inception-2015-12-05`` ported to
PyTorch by pytorch-fid, Seitzer 2020), written here without torchvision.

The layers, their parameter names and the four FID patches are pytorch-fid's ``fid_inception_v3``
(torchvision's ``Inception3`` with ``num_classes=1008``, ``aux_logits=False``; average pools that
do not count the padding; max pooling in the last block), so the state dict
``pt_inception-2015-12-05-6726825d.pth`` loads as it is. Features are pytorch-fid's default: the
2048-d output of the final average pool, after a bilinear resize to 299 × 299
(``align_corners=False``) and scaling [0, 1] -> [-1, 1].
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from msi.errors import BadWeights
from msi.networks.batching import Batcher
from msi.io.paths import check_weights_file

#: What the weights file is (for messages).
EXPECTED = "pytorch-fid's InceptionV3 state dict (pt_inception-2015-12-05-*.pth)"
#: pytorch-fid's input size and feature width (pool3).
INPUT_SIZE = 299
FEATURES = 2048
#: Frames per forward pass.
BATCH = 16


class BasicConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, **kw) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


def _avg(x: torch.Tensor) -> torch.Tensor:  # FID patch: TensorFlow's average pool ignores the padding
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(_avg(x))], 1)


class InceptionB(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg(x))], 1)


class InceptionD(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """``max_pool=False``: pytorch-fid's FIDInceptionE_1 (average pool without the padding);
    ``True``: FIDInceptionE_2 (max pool, as the TensorFlow graph has it)."""

    def __init__(self, cin: int, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pool = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg(x)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(pool)], 1)


class FIDInceptionV3(nn.Module):
    """pytorch-fid's ``InceptionV3(output_blocks=[3])`` (resize_input, normalize_input): frames
    (N, 3, H, W) in [0, 1] -> pool3 features (N, 2048)."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, 32)
        self.Mixed_5c = InceptionA(256, 64)
        self.Mixed_5d = InceptionA(288, 64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, 128)
        self.Mixed_6c = InceptionC(768, 160)
        self.Mixed_6d = InceptionC(768, 160)
        self.Mixed_6e = InceptionC(768, 192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, max_pool=False)
        self.Mixed_7c = InceptionE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)  # in the file; FID does not use it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c"):
            x = getattr(self, name)(x)
        return F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def load_state(path: str | os.PathLike, expected: str) -> dict:
    """A state dict from ``path`` (weights only: nothing in the file runs); :class:`BadWeights`
    naming ``expected`` when the file is missing, unreadable or not a state dict."""
    p = check_weights_file(path, expected)  # missing, a folder, a device, empty: one line
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip, pickle and format errors alike: one line
        raise BadWeights(f"{p}: not a readable PyTorch state dict ({type(exc).__name__}; expected {expected})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise BadWeights(f"{p}: not a state dict of tensors (expected {expected})")
    return state


def load_inception(path: str | os.PathLike) -> FIDInceptionV3:
    """:class:`FIDInceptionV3` with pytorch-fid's weights from ``path``; :class:`BadWeights` (one
    line naming the expected file) for a missing, damaged or mismatched one."""
    p = str(path)
    state = load_state(p, EXPECTED)
    net = FIDInceptionV3()
    own = net.state_dict()
    need = [k for k in own if not k.endswith("num_batches_tracked")]
    missing = [k for k in need if k not in state]
    if missing:
        raise BadWeights(f"{p}: not {EXPECTED}: {len(missing)} parameters missing, e.g. {missing[0]}")
    for k in need:
        if tuple(state[k].shape) != tuple(own[k].shape):
            raise BadWeights(f"{p}: not {EXPECTED}: {k} has shape {tuple(state[k].shape)}, "
                             f"expected {tuple(own[k].shape)}")
        if not torch.isfinite(state[k]).all():
            raise BadWeights(f"{p}: damaged {EXPECTED}: {k} is not finite")
    net.load_state_dict({k: state[k] for k in need}, strict=False)
    return net.eval()


def batches(frames: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Consecutive stacks of at most ``size`` frames."""
    buf: list[np.ndarray] = []
    for f in frames:
        buf.append(f)
        if len(buf) == size:
            yield np.stack(buf)
            buf = []
    if buf:
        yield np.stack(buf)


@torch.inference_mode()
def inception_forward(net: FIDInceptionV3, frames: list[np.ndarray]) -> np.ndarray:
    """Pool3 features (N, 2048, float32) of RGB ``uint8`` frames of one size, one forward: pixel
    / 255 as pytorch-fid's ``ToTensor``, in its contiguous (N, 3, H, W) layout (a channels-last
    view would run other oneDNN kernels, which round differently at ~1e-4 through the 94 layers),
    then :meth:`FIDInceptionV3.forward`."""
    from msi.networks.device import device_of

    dev = device_of(net)  # the frames go where the network is (msi.networks.device)
    x = torch.from_numpy(np.stack(frames)).to(dev).permute(0, 3, 1, 2).contiguous().float().div_(255)
    return net(x).cpu().numpy()


def inception_features(net: FIDInceptionV3, frames: Iterable[np.ndarray], batch: int = BATCH,
                       batcher: Batcher | None = None) -> np.ndarray:
    """Pool3 features (N, 2048, float32) of RGB ``uint8`` frames (H, W, 3), ``batch`` at a time
    (:func:`inception_forward`), or in the batches of ``batcher`` (shared with other videos':
    :mod:`msi.networks.batching`), frames of one size per batch."""
    batcher = batcher or Batcher(lambda fs: inception_forward(net, fs), batch)
    rows = batcher.map(frames, group=np.shape)
    return np.stack(rows) if rows else np.zeros((0, FEATURES), np.float32)
