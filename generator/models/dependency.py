"""Dependency modeling: self-attention across space and time over patch tokens (paper Sec. 3.4).

Each frame's feature map F_t (C x h x w) is cut into p x p patches; each patch is flattened and
projected to a token of width d.  Learned spatial (patch index) and temporal (frame index)
embeddings are added, and L pre-norm Transformer blocks attend over the tokens of *all* frames
of the sequence at once, so every patch sees every other patch of every frame.  The tokens are
projected back to p x p x C and reassembled; the result is added to the input (residual):

    X  = [Linear(patch_{t,j}(F))]_{t<=T, j<=hw/p^2} + E_space + E_time
    F' = F + fold(Linear(Blocks_L(X)))

Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.4 (dependency modeling) and
Table V ("w/o dependency modeling").
"""
from __future__ import annotations

import torch
from torch import nn

from generator.config import DependencyConfig


#: Rows the temporal embedding's initialisation draws (at least): its fixed size when the longest
#: sequence was a setting, so that a seed still initialises every module as it did then.
INIT_ROWS = 64


class DependencyModeling(nn.Module):
    def __init__(self, channels: int, feature_size: int, cfg: DependencyConfig, frames: int):
        """``frames``: the longest sequence it attends over (the training length, ``TrainConfig.seq_len``;
        synthesis renders in windows of that length)."""
        super().__init__()
        if feature_size % cfg.patch:
            raise ValueError(f"feature map side {feature_size} is not a multiple of patch {cfg.patch}")
        self.cfg = cfg
        self.p = cfg.patch
        self.frames = frames
        self.n_side = feature_size // cfg.patch
        d = cfg.d_model
        self.embed = nn.Linear(channels * self.p * self.p, d)
        self.space = nn.Parameter(torch.zeros(1, 1, self.n_side ** 2, d))
        time = torch.zeros(1, max(frames, INIT_ROWS), 1, d)
        nn.init.normal_(self.space, std=0.02)
        nn.init.normal_(time, std=0.02)  # all the rows drawn, the first `frames` kept (INIT_ROWS)
        self.time = nn.Parameter(time[:, :frames].clone())
        layer = nn.TransformerEncoderLayer(d, cfg.n_heads, 4 * d, 0.0, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.unembed = nn.Linear(d, channels * self.p * self.p)
        nn.init.zeros_(self.unembed.weight)  # starts as the identity map
        nn.init.zeros_(self.unembed.bias)

    def forward(self, features: torch.Tensor, n_frames: int) -> torch.Tensor:
        """features (B*T, C, h, w) of B sequences of T frames -> same shape."""
        bt, c, h, w = features.shape
        t, p, n = n_frames, self.p, self.n_side
        if t > self.frames:
            raise ValueError(f"sequence of {t} frames is longer than the {self.frames} it was built for")
        b = bt // t
        # (B*T, C, h, w) -> (B, T, n*n, C*p*p)
        x = features.reshape(b, t, c, n, p, n, p).permute(0, 1, 3, 5, 2, 4, 6).reshape(b, t, n * n, c * p * p)
        x = self.embed(x) + self.space + self.time[:, :t]
        x = self.blocks(x.reshape(b, t * n * n, -1))
        x = self.unembed(self.norm(x)).reshape(b, t, n, n, c, p, p)
        x = x.permute(0, 1, 4, 2, 5, 3, 6).reshape(bt, c, h, w)
        return features + x
