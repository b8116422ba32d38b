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


#: Rows the position embedding's initialisation draws (at least): its fixed size when the longest
#: sequence was a setting. Drawing them all and keeping the first ``frames`` leaves the random stream
#: where it was, so a seed still initialises every module as it did then.
INIT_ROWS = 512


class Audio2Expression(nn.Module):
    def __init__(self, cfg: Audio2ExpressionConfig, frames: int):
        """``frames``: the longest sequence it sees (its training length, ``TrainConfig.a2e_frames``;
        synthesis predicts in windows of that length)."""
        super().__init__()
        self.cfg = cfg
        self.frames = frames
        d = cfg.d_model
        # window encoder: (W, 80) -> d, convolving over the W audio frames
        self.window = nn.Sequential(
            nn.Conv1d(cfg.n_mels, d, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(d, d, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool1d(1),
        )
        pos = torch.zeros(1, max(frames, INIT_ROWS), d)
        nn.init.normal_(pos, std=0.02)
        self.pos = nn.Parameter(pos[:, :frames].clone())
        layer = nn.TransformerEncoderLayer(d, cfg.n_heads, cfg.d_ff, cfg.dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.n_exp)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """audio (B, T, W, 80) -> normalised expressions (B, T, 53)."""
        b, t, w, m = audio.shape
        if t > self.frames:
            raise ValueError(f"sequence of {t} frames is longer than the {self.frames} it was built for")
        x = self.window(audio.reshape(b * t, w, m).transpose(1, 2)).reshape(b, t, -1)
        x = self.encoder(x + self.pos[:, :t])
        return self.head(self.norm(x))
