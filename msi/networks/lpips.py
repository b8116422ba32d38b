"""LPIPS's network (Zhang et al. 2018, "The unreasonable effectiveness of deep features as a
perceptual metric", CVPR; the ``lpips`` package, v0.1) from weights the user already has,
written here without torchvision.

The backbone is torchvision's AlexNet or VGG16 ``features``, read from torchvision's own state
dict (``alexnet-owt-7be5be79.pth``, ``vgg16-397923af.pth``: keys ``features.<i>.weight/bias``,
the classifier's keys are ignored), cut after the ReLUs the ``lpips`` package taps (its
``pretrained_networks.alexnet`` / ``vgg16`` slices). The five 1 × 1 linear layers are the ``lpips``
package's ``weights/v0.1/{alex,vgg}.pth`` (keys ``lin<k>.model.1.weight``, shape (1, C, 1, 1)) —
read from the installed package's folder without importing it (that import needs torchvision) —
or the user's file in that format.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from msi.errors import BadWeights
from msi.networks.formats import guess
from msi.networks.inception import load_state

#: What the weights files are (for messages).
EXPECTED = "torchvision's AlexNet or VGG16 state dict (alexnet-owt-7be5be79.pth, vgg16-397923af.pth)"
EXPECTED_LINEAR = "LPIPS v0.1 linear layers (the lpips package's weights/v0.1/alex.pth or vgg.pth)"


@dataclass(frozen=True)
class Backbone:
    """One trunk as data: torchvision's ``features`` layer list and where LPIPS taps it.

    ``convs``: {index in ``features``: (out channels, in channels, kernel, stride, padding)};
    ``pools``: indices of the 3 × 3 (AlexNet) / 2 × 2 (VGG) stride-2 max pools;
    ``taps``: the index of the ReLU after which each of the five feature maps is taken.
    """

    name: str
    convs: dict[int, tuple[int, int, int, int, int]]
    pools: tuple[int, ...]
    pool_kernel: int
    taps: tuple[int, ...]

    @property
    def channels(self) -> tuple[int, ...]:
        """Channels of each tapped map: those of the last convolution before it."""
        return tuple(self.convs[max(i for i in self.convs if i < t)][0] for t in self.taps)


def _vgg16() -> Backbone:
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
    convs, pools, i, cin = {}, [], 0, 3
    for v in cfg:
        if v == "M":
            pools.append(i)
            i += 1
        else:
            convs[i] = (v, cin, 3, 1, 1)
            cin = v
            i += 2  # conv, ReLU
    return Backbone("vgg", convs, tuple(pools), 2, (3, 8, 15, 22, 29))


#: torchvision's ``alexnet().features`` and ``vgg16().features`` cut as lpips's slices cut them
#: (AlexNet: relu1..relu5 = features[1], [4], [7], [9], [11]; VGG16: relu1_2, relu2_2, relu3_3,
#: relu4_3, relu5_3 = features[3], [8], [15], [22], [29]).
BACKBONES: dict[str, Backbone] = {
    "alex": Backbone("alex", {0: (64, 3, 11, 4, 2), 3: (192, 64, 5, 1, 2), 6: (384, 192, 3, 1, 1),
                              8: (256, 384, 3, 1, 1), 10: (256, 256, 3, 1, 1)}, (2, 5), 3, (1, 4, 7, 9, 11)),
    "vgg": _vgg16(),
}
#: lpips's ScalingLayer: inputs in [-1, 1] are shifted and scaled to ImageNet's statistics.
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


class LPIPSNet(nn.Module):
    """Two images in [-1, 1] (N, 3, H, W) -> their LPIPS distance (N,), the lpips package's
    ``LPIPS(net, version="0.1").forward(in0, in1)`` (no dropout: evaluation mode)."""

    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone
        self.features = nn.ModuleDict({str(i): nn.Conv2d(cin, cout, k, s, p)
                                       for i, (cout, cin, k, s, p) in backbone.convs.items()})
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in backbone.channels)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))

    def taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        b, out = self.backbone, []
        x = (x - self.shift) / self.scale
        for i in range(b.taps[-1] + 1):
            if str(i) in self.features:
                x = self.features[str(i)](x)
            elif i in b.pools:
                x = F.max_pool2d(x, b.pool_kernel, 2)
            else:  # a ReLU (torchvision's are in place; the tapped map must stay as it is)
                x = F.relu(x)
                if i in b.taps:
                    out.append(x)
        return out

    def forward(self, in0: torch.Tensor, in1: torch.Tensor) -> torch.Tensor:
        d = 0
        for lin, f0, f1 in zip(self.lins, self.taps(in0), self.taps(in1)):
            # unit-normalise each position's channel vector (lpips.normalize_tensor, eps 1e-10)
            n0 = f0 / (f0.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            n1 = f1 / (f1.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            d = d + lin((n0 - n1) ** 2).mean((2, 3))
        return d.flatten()


def packaged_linear(net: str) -> Path | None:
    """The installed ``lpips`` package's ``weights/v0.1/<net>.pth`` (found, not imported), or None."""
    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "weights" / "v0.1" / f"{net}.pth"
    return p if p.is_file() else None


def _which(state: dict, path: str) -> str:
    w = state.get("features.0.weight")
    for name, b in BACKBONES.items():
        cout, cin, k, _, _ = b.convs[0]
        if w is not None and tuple(w.shape) == (cout, cin, k, k):
            return name
    found = "no features.0.weight" if w is None else f"features.0.weight of shape {tuple(w.shape)}"
    raise BadWeights(f"{path}: not {EXPECTED}: {found}{guess(state)}")


def load_lpips(path: str | os.PathLike, linear: str | os.PathLike | None = None) -> LPIPSNet:
    """:class:`LPIPSNet` from torchvision's AlexNet/VGG16 state dict at ``path`` (the trunk is
    told by the first convolution's shape) and the linear layers at ``linear`` (default: the
    installed ``lpips`` package's v0.1 file for that trunk). :class:`BadWeights`, one line, for a
    missing, damaged or mismatched file."""
    p = str(path)
    state = load_state(p, EXPECTED)
    kind = _which(state, p)
    net = LPIPSNet(BACKBONES[kind])
    own = {f"features.{k}": v for k, v in net.features.state_dict().items()}
    for k, v in own.items():
        if k not in state:
            raise BadWeights(f"{p}: not {EXPECTED}: {k} missing")
        if tuple(state[k].shape) != tuple(v.shape):
            raise BadWeights(f"{p}: not {EXPECTED}: {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}")
        if not torch.isfinite(state[k]).all():
            raise BadWeights(f"{p}: damaged {EXPECTED}: {k} is not finite")
    net.features.load_state_dict({k[len("features."):]: state[k] for k in own})
    if linear is None:
        found = packaged_linear(kind)
        if found is None:
            raise BadWeights(f"LPIPS needs its linear layers for {kind}: install the lpips package "
                             "(pip install --no-deps lpips) or give the file (weights/v0.1/" + kind + ".pth)")
        linear = found
    lp = str(linear)
    lin = load_state(lp, EXPECTED_LINEAR)
    for k, layer in enumerate(net.lins):
        # lpips saves them as lin<k>.model.1.weight (a Dropout is model.0); without dropout model.0
        key = next((c for c in (f"lin{k}.model.1.weight", f"lin{k}.model.0.weight") if c in lin), None)
        if key is None:
            raise BadWeights(f"{lp}: not {EXPECTED_LINEAR}: lin{k}.model.1.weight missing{guess(lin)}")
        if tuple(lin[key].shape) != tuple(layer.weight.shape):
            raise BadWeights(f"{lp}: not {EXPECTED_LINEAR} for {kind}: {key} has shape {tuple(lin[key].shape)}, "
                             f"expected {tuple(layer.weight.shape)}")
        layer.weight.data.copy_(lin[key])
    return net.eval()
