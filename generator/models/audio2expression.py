"""Audio -> expression: a Transformer encoder over per-frame audio windows (Transformer-S2A style).

Each video frame t comes with a window of W log-mel frames centred on it, a_t in R^{W x 80}.
A small 1-D convolution summarises the window into a token x_t in R^d; a learned temporal
position embedding is added and L Transformer encoder layers attend over the T frames of the
sequence; a linear head gives the 53 expression parameters e_t (normalised by each PCA
component's standard deviation, so all outputs have unit scale):

    e_1..T = Linear(Encoder_L(x_1..T + p_1..T))

Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.1 (audio-to-expression network
with a Transformer encoder, following "Transformer-S2A").
"""
from __future__ import annotations

import torch
from torch import nn

from generator.config import Audio2ExpressionConfig


class Audio2Expression(nn.Module):
    def __init__(self, cfg: Audio2ExpressionConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        # window encoder: (W, 80) -> d, convolving over the W audio frames
        self.window = nn.Sequential(
            nn.Conv1d(cfg.n_mels, d, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(d, d, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool1d(1),
        )
        self.pos = nn.Parameter(torch.zeros(1, cfg.max_frames, d))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(d, cfg.n_heads, cfg.d_ff, cfg.dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.n_exp)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """audio (B, T, W, 80) -> normalised expressions (B, T, 53)."""
        b, t, w, m = audio.shape
        if t > self.cfg.max_frames:
            raise ValueError(f"sequence of {t} frames is longer than max_frames={self.cfg.max_frames}")
        x = self.window(audio.reshape(b * t, w, m).transpose(1, 2)).reshape(b, t, -1)
        x = self.encoder(x + self.pos[:, :t])
        return self.head(self.norm(x))
