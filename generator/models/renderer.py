"""Neural renderer: eroded background + rendered face shape (+ audio) -> video frame.

Input per frame: the background frame with its mouth region erased (RGB, [-1, 1]) concatenated
with the grey rendering of the (smoothed) face shape (1 channel, mapped to [-1, 1]).  The
network is the encoder / residual / decoder generator of Neural Voice Puppetry (pix2pix style):

    encoder:  Conv7 s1 (ngf) - Conv4 s2 (2 ngf) - Conv4 s2 (4 ngf), each InstanceNorm + LeakyReLU
    fusion:   audio fusion module (optional, ``fusion.py``)
    body:     n_res residual blocks (Conv3-IN-LeakyReLU-Conv3-IN, + skip)
    temporal: dependency modeling over patches of all frames (optional, ``dependency.py``)
    decoder:  ConvT4 s2 (2 ngf) - ConvT4 s2 (ngf), IN + LeakyReLU, then Conv7 s1 (3) + tanh

Switching fusion / dependency off removes those modules from the graph (Table V ablations).
Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.3-3.4; Thies et al., "Neural
Voice Puppetry", ECCV 2020.
"""
from __future__ import annotations

import torch
from torch import nn

from generator.config import DependencyConfig, FusionConfig, RendererConfig
from generator.models.dependency import DependencyModeling
from generator.models.fusion import AudioFusion


def conv_block(c_in: int, c_out: int, k: int, stride: int, pad: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride, pad, padding_mode="reflect" if stride == 1 else "zeros"),
                         nn.InstanceNorm2d(c_out, affine=True), nn.LeakyReLU(0.2))


def up_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1),
                         nn.InstanceNorm2d(c_out, affine=True), nn.LeakyReLU(0.2))


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, c, 3, 1, 1, padding_mode="reflect"), nn.InstanceNorm2d(c, affine=True), nn.LeakyReLU(0.2),
            nn.Conv2d(c, c, 3, 1, 1, padding_mode="reflect"), nn.InstanceNorm2d(c, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Renderer(nn.Module):
    def __init__(self, cfg: RendererConfig, size: int, fusion: FusionConfig, dependency: DependencyConfig,
                 frames: int, n_mels: int = 80):
        """``frames``: the longest sequence dependency modeling attends over (``TrainConfig.seq_len``)."""
        super().__init__()
        if size % 4:
            raise ValueError(f"frame size {size} must be a multiple of 4")
        g = cfg.ngf
        self.encoder = nn.Sequential(conv_block(cfg.in_channels, g, 7, 1, 3),
                                     conv_block(g, 2 * g, 4, 2, 1),
                                     conv_block(2 * g, 4 * g, 4, 2, 1))
        self.fusion = AudioFusion(4 * g, fusion, n_mels) if fusion.enabled else None
        self.body = nn.Sequential(*[ResBlock(4 * g) for _ in range(cfg.n_res)])
        self.dependency = DependencyModeling(4 * g, size // 4, dependency, frames) if dependency.enabled else None
        self.decoder = nn.Sequential(up_block(4 * g, 2 * g), up_block(2 * g, g),
                                     nn.Conv2d(g, 3, 7, 1, 3, padding_mode="reflect"), nn.Tanh())

    def forward(self, inputs: torch.Tensor, audio: torch.Tensor | None = None) -> torch.Tensor:
        """inputs (B, T, 4, S, S), audio (B, T, W, 80) -> frames (B, T, 3, S, S) in [-1, 1]."""
        b, t = inputs.shape[:2]
        x = self.encoder(inputs.flatten(0, 1))
        if self.fusion is not None:
            if audio is None:
                raise ValueError("this renderer fuses audio: pass the audio windows")
            x = self.fusion(x, audio.flatten(0, 1))
        x = self.body(x)
        if self.dependency is not None:
            x = self.dependency(x, t)
        return self.decoder(x).reshape(b, t, 3, *inputs.shape[-2:])
