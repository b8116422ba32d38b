"""Building blocks shared by the optical-flow and point-tracking networks: RAFT's residual block,
which PIPs++'s encoder reuses with instance norm. Parameter names are the references'
(``conv1``, ``conv2``, ``norm1``..``norm3``, ``downsample``), so their checkpoints load unchanged."""
from __future__ import annotations

import torch
from torch import nn


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Batch norm for ``"batch"``, else instance norm (no affine parameters, as the references)."""
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.InstanceNorm2d(channels)


class Residual(nn.Module):
    """Two 3x3 convs with a norm after each, and a 1x1 strided projection when ``stride`` > 1."""

    def __init__(self, cin: int, cout: int, norm: str, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.norm1, self.norm2 = norm_layer(norm, cout), norm_layer(norm, cout)
        self.downsample = None
        if stride != 1:  # the same norm module under two names, as the reference's state dict has it
            self.norm3 = norm_layer(norm, cout)
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), self.norm3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.norm1(self.conv1(x)))
        y = self.relu(self.norm2(self.conv2(y)))
        if self.downsample is not None:
            x = self.downsample(x)
        return self.relu(x + y)
