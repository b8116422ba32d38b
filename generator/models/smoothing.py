"""Temporal smoothing of face shapes in geometry space (paper Sec. 3.2, Table I, Fig. 9).

For a sequence of face shapes s_1..T (mesh vertices, (478, 3) each) and per-frame weights
w_t in R^K that sum to 1, the smoothed shape is

    s'_t = sum_{k=0}^{K-1} w_tk * s_{t + k - (K-1)/2}

with the sequence replicated at its ends.  Three ways to obtain w (Fig. 9 of the paper):

* ``adaptive`` (the paper's module, Table I): w = normalise(Sigmoid(Conv1D_k3(h))) where h is
  Conv1D(k=3)-BN-ReLU with 32, 32, 16, 16 channels applied to the expression parameters
  e_1..T; about 11k parameters for 53 inputs and K = 5.
* ``global``: one learnable set of K weights shared by all frames (softmax-normalised).
* ``fixed``: Gaussian weights exp(-k^2 / 2 sigma^2), normalised, no parameters.

Weights are normalised to sum to 1, so a constant sequence passes through unchanged.
Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.2 and Table I.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from generator.config import SmoothingConfig


def apply_weights(shapes: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """shapes (B, T, ...) and weights (B, T, K) -> s'_t = sum_k w_tk s_(t+k-(K-1)/2), ends replicated."""
    b, t = shapes.shape[:2]
    k = weights.shape[-1]
    half = (k - 1) // 2
    flat = shapes.reshape(b, t, -1)
    padded = torch.cat([flat[:, :1].expand(b, half, -1), flat, flat[:, -1:].expand(b, half, -1)], dim=1)
    windows = padded.unfold(1, k, 1)  # (B, T, D, K)
    out = torch.einsum("btdk,btk->btd", windows, weights)
    return out.reshape(shapes.shape)


class AdaptiveWeights(nn.Module):
    """Table I: expressions (B, T, n_exp) -> per-frame weights (B, T, K) that sum to 1."""

    def __init__(self, n_exp: int, cfg: SmoothingConfig):
        super().__init__()
        layers: list[nn.Module] = []
        c_in = n_exp
        for c in cfg.channels:
            layers += [nn.Conv1d(c_in, c, 3, padding=1), nn.BatchNorm1d(c), nn.ReLU()]
            c_in = c
        layers += [nn.Conv1d(c_in, cfg.k, 3, padding=1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, expressions: torch.Tensor) -> torch.Tensor:
        w = self.net(expressions.transpose(1, 2)).transpose(1, 2)
        return w / w.sum(-1, keepdim=True)


class GlobalWeights(nn.Module):
    """One learnable set of K weights for every frame (starts as the identity: all on the centre)."""

    def __init__(self, cfg: SmoothingConfig):
        super().__init__()
        logits = torch.full((cfg.k,), -2.0)
        logits[(cfg.k - 1) // 2] = 2.0
        self.logits = nn.Parameter(logits)

    def forward(self, expressions: torch.Tensor) -> torch.Tensor:
        b, t = expressions.shape[:2]
        return torch.softmax(self.logits, 0).expand(b, t, -1)


class FixedWeights(nn.Module):
    """Gaussian weights, no parameters."""

    def __init__(self, cfg: SmoothingConfig):
        super().__init__()
        half = (cfg.k - 1) // 2
        g = torch.tensor([math.exp(-(i - half) ** 2 / (2 * cfg.sigma ** 2)) for i in range(cfg.k)])
        self.register_buffer("w", g / g.sum())

    def forward(self, expressions: torch.Tensor) -> torch.Tensor:
        b, t = expressions.shape[:2]
        return self.w.expand(b, t, -1)


class Smoothing(nn.Module):
    """Smooth face shapes (B, T, 478, 3) with weights computed from expressions (B, T, n_exp)."""

    def __init__(self, n_exp: int, cfg: SmoothingConfig):
        super().__init__()
        if cfg.k % 2 != 1:
            raise ValueError("smoothing support k must be odd")
        self.cfg = cfg
        self.weights = {"adaptive": lambda: AdaptiveWeights(n_exp, cfg),
                        "global": lambda: GlobalWeights(cfg),
                        "fixed": lambda: FixedWeights(cfg)}[cfg.mode]()

    def forward(self, shapes: torch.Tensor, expressions: torch.Tensor) -> torch.Tensor:
        return apply_weights(shapes, self.weights(expressions))


def build_smoothing(n_exp: int, cfg: SmoothingConfig) -> Smoothing | None:
    """None when smoothing is switched off (``mode == "none"``)."""
    if cfg.mode == "none":
        return None
    if cfg.mode not in ("adaptive", "global", "fixed"):
        raise ValueError(f"unknown smoothing mode {cfg.mode!r}")
    return Smoothing(n_exp, cfg)
