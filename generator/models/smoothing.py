"""Temporal smoothing of face shapes in geometry space (paper Sec. 3.2, Table I, Fig. 9).

For a sequence of posed face shapes X_1..T (mesh vertices with the head pose applied,
(478, 3) each: ``s_t R_t (M + C^T e_t) + t_t``) and per-frame weights w_t in R^K that sum
to 1, the smoothed shape is

    X'_t = sum_{k=0}^{K-1} w_tk * X_{t + k - (K-1)/2}

with the sequence replicated at its ends.  The paper smooths face shapes "in geometry space,
instead of parametric space": because pose enters X_t non-linearly (a rotation), this is not
the same as smoothing the expression parameters (it is the same only when the pose is constant).
Three ways to obtain w (Fig. 9 of the paper):

* ``adaptive`` (the paper's module, Table I): w = normalise(Sigmoid(Conv1D_k3(h))) where h is
  Conv1D(k=3)-BN-ReLU with 32, 32, 16, 16 channels applied to the expression parameters
  e_1..T (in units of each component's std); about 11k parameters for 53 inputs and K = 5;
* ``global``: one learnable set of K weights shared by all frames (softmax-normalised);
* ``fixed``: no parameters.

All three start from the same kernel, the Gaussian g_k = exp(-k^2 / 2 sigma^2) / Z
(``gaussian_kernel``), so Fig. 9 compares what each variant learns, not where it starts:
``global`` starts with logits log g; ``adaptive`` starts with a zero last convolution whose bias
is logit(c g) (c = 1/(2 max g)), i.e. g on every frame, and learns per-frame departures from it.
Weights are normalised to sum to 1, so a constant sequence passes through unchanged.
Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.2 and Table I.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from generator.config import SmoothingConfig


def gaussian_kernel(k: int, sigma: float) -> torch.Tensor:
    """g_i = exp(-(i - (k-1)/2)^2 / 2 sigma^2), normalised to sum to 1, (k,)."""
    half = (k - 1) // 2
    g = torch.tensor([math.exp(-(i - half) ** 2 / (2 * sigma ** 2)) for i in range(k)])
    return g / g.sum()


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
        last = nn.Conv1d(c_in, cfg.k, 3, padding=1)
        # Start from the shared Gaussian on every frame: zero weights, bias = logit(c g).
        g = gaussian_kernel(cfg.k, cfg.sigma)
        p = g / (2 * g.max())
        with torch.no_grad():
            last.weight.zero_()
            last.bias.copy_(torch.log(p / (1 - p)))
        layers += [last, nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, expressions: torch.Tensor) -> torch.Tensor:
        w = self.net(expressions.transpose(1, 2)).transpose(1, 2)
        return w / w.sum(-1, keepdim=True)


class GlobalWeights(nn.Module):
    """One learnable set of K weights for every frame (starts as the shared Gaussian)."""

    def __init__(self, cfg: SmoothingConfig):
        super().__init__()
        self.logits = nn.Parameter(torch.log(gaussian_kernel(cfg.k, cfg.sigma)))

    def forward(self, expressions: torch.Tensor) -> torch.Tensor:
        b, t = expressions.shape[:2]
        return torch.softmax(self.logits, 0).expand(b, t, -1)


class FixedWeights(nn.Module):
    """The shared Gaussian, no parameters."""

    def __init__(self, cfg: SmoothingConfig):
        super().__init__()
        self.register_buffer("w", gaussian_kernel(cfg.k, cfg.sigma))

    def forward(self, expressions: torch.Tensor) -> torch.Tensor:
        b, t = expressions.shape[:2]
        return self.w.expand(b, t, -1)


class Smoothing(nn.Module):
    """Smooth posed face shapes (B, T, 478, 3) with weights computed from expressions (B, T, n_exp)."""

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


def local_speed(expressions: torch.Tensor) -> torch.Tensor:
    """Local expression speed v_t = ||e_(t+1) - e_(t-1)|| / 2 (central difference; one-sided at the
    ends), (..., T, K) -> (..., T)."""
    e = expressions
    d = torch.cat([e[..., 1:2, :] - e[..., :1, :], (e[..., 2:, :] - e[..., :-2, :]) / 2,
                   e[..., -1:, :] - e[..., -2:-1, :]], dim=-2)
    return d.norm(dim=-1)


def adaptation(weights: torch.Tensor, expressions: torch.Tensor, speed: torch.Tensor | None = None) -> dict[str, float]:
    """How much per-frame weights (T, K) adapt to the motion of the expressions (T, n_exp), or to
    another per-frame ``speed`` (T,) when given (e.g. the mouth opening's):

    * ``centre_mean``, ``centre_spread``: mean and standard deviation over frames of the centre
      weight w_t,(K-1)/2 (a fixed or global kernel has spread 0);
    * ``weight_spread``: the per-frame standard deviation averaged over the K taps;
    * ``corr_centre_speed``: Pearson correlation between the centre weight and the local
      expression speed (``local_speed``): > 0 means the module smooths less where the face moves fast.
    """
    w = weights.detach().double()
    c = w[:, (w.shape[1] - 1) // 2]
    v = local_speed(expressions.detach().double()) if speed is None else speed.detach().double()
    cc, vc = c - c.mean(), v - v.mean()
    denom = float(cc.norm() * vc.norm())
    return {"centre_mean": float(c.mean()), "centre_spread": float(c.std()),
            "weight_spread": float(w.std(0).mean()),
            "corr_centre_speed": float((cc * vc).sum()) / denom if denom > 0 else float("nan")}


def build_smoothing(n_exp: int, cfg: SmoothingConfig) -> Smoothing | None:
    """None when smoothing is switched off (``mode == "none"``)."""
    if cfg.mode == "none":
        return None
    if cfg.mode not in ("adaptive", "global", "fixed"):
        raise ValueError(f"unknown smoothing mode {cfg.mode!r}")
    return Smoothing(n_exp, cfg)
