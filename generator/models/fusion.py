"""Audio fusion: inject each frame's audio features into the renderer's encoder features.

The frame's log-mel window a_t (W x 80) is summarised by a 1-D convolution and an MLP into a
vector z_t in R^C (C = encoder channels), broadcast over the feature map F_t (C x h x w), and
fused with a 1x1 convolution on the concatenation, as a residual:

    F'_t = F_t + Conv1x1([F_t ; broadcast(z_t)])

This lets the renderer use the audio directly (e.g. for the mouth interior), in addition to the
face shape predicted from it.  Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.3
(audio fusion module) and Table V ("w/o audio fusion").
"""
from __future__ import annotations

import torch
from torch import nn

from generator.config import FusionConfig


class AudioFusion(nn.Module):
    def __init__(self, channels: int, cfg: FusionConfig, n_mels: int = 80):
        super().__init__()
        h = cfg.hidden
        self.audio = nn.Sequential(
            nn.Conv1d(n_mels, h, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(h, h, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(),
            nn.Linear(h, channels),
        )
        self.fuse = nn.Conv2d(2 * channels, channels, 1)

    def forward(self, features: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        """features (N, C, h, w), audio (N, W, 80) -> fused features (N, C, h, w)."""
        z = self.audio(audio.transpose(1, 2))[:, :, None, None].expand_as(features)
        return features + self.fuse(torch.cat([features, z], 1))
