"""The whole StableFace generator as one module: audio -> expressions -> meshes -> smoothed
face-shape renders -> eroded background + render (+ audio) -> frames.

    e_t      = Audio2Expression(a_1..T)_t * sigma                 (expression, PCA units)
    X_t      = s_t R_t (M + reshape(P^T e_t)) + t_t                (posed mesh: background frame's pose)
    X'_t     = sum_k w_tk(e) X_(t+k-2)                              (smoothing in geometry space, optional)
    R_t      = render_shape(X'_t)                                   (grey shading, raster)
    B_t      = background_t * (1 - mouth_mask(X'_t))                (erosion; augmented in training)
    frame_t  = Renderer([B_t ; R_t], a_t)

Smoothing acts on the posed face shape (vertices, pose included), "in geometry space, instead of
parametric space" as the paper puts it; with a varying pose this differs from smoothing the
expression parameters.  Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.2, Fig. 2.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from generator.config import StableFaceConfig
from generator.models.audio2expression import Audio2Expression
from generator.models.discriminator import PatchDiscriminator
from generator.models.erosion import erase
from generator.models.renderer import Renderer
from generator.models.smoothing import build_smoothing


@dataclass
class Identity:
    """Per-clip geometry as tensors: mean shape (V, 3), PCA components (K, 3V), expression std (K,)."""

    shape: torch.Tensor
    components: torch.Tensor
    exp_std: torch.Tensor

    def to(self, device: torch.device | str) -> "Identity":
        return Identity(self.shape.to(device), self.components.to(device), self.exp_std.to(device))


class StableFace(nn.Module):
    def __init__(self, cfg: StableFaceConfig, size: int):
        super().__init__()
        self.cfg = cfg
        self.size = size
        self.a2e = Audio2Expression(cfg.a2e)
        self.smoothing = build_smoothing(cfg.a2e.n_exp, cfg.smoothing)
        if cfg.renderer.in_channels != 4 + cfg.renderer.mouth_channel:
            raise ValueError(f"renderer in_channels {cfg.renderer.in_channels} does not match its inputs "
                             f"(4 + mouth_channel = {4 + cfg.renderer.mouth_channel})")
        self.renderer = Renderer(cfg.renderer, size, cfg.fusion, cfg.dependency, cfg.a2e.n_mels)
        self.discriminator = PatchDiscriminator(cfg.discriminator, cfg.renderer.in_channels + 3)

    def meshes(self, expression: torch.Tensor, ident: Identity, rotation: torch.Tensor, translation: torch.Tensor,
               scale: torch.Tensor, smooth: bool = True) -> torch.Tensor:
        """Expressions (B, T, K) and the background's pose -> posed meshes (B, T, V, 3), smoothed in
        geometry space (the posed vertices) when ``smooth``; the weights come from the expressions."""
        from generator.data.face3d import reconstruct

        posed = reconstruct(ident.shape, expression, ident.components, rotation, translation, scale)
        if smooth and self.smoothing is not None:
            posed = self.smoothing(posed, expression / ident.exp_std)
        return posed

    def render_meshes(self, vertices: torch.Tensor) -> torch.Tensor:
        """(B, T, V, 3) -> face-shape renders (B, T, C, S, S) in [-1, 1]: the shaded shape, and with
        ``RendererConfig.mouth_channel`` the mouth opening's sub-pixel coverage (C = 2)."""
        from generator.data.raster import mouth_coverage, render_shape

        b, t = vertices.shape[:2]
        img = render_shape(vertices.flatten(0, 1), self.size)
        if self.cfg.renderer.mouth_channel:
            img = torch.cat([img, mouth_coverage(vertices.flatten(0, 1), self.size)[:, None]], 1)
        return (img * 2 - 1).reshape(b, t, img.shape[1], self.size, self.size)

    def generate(self, background: torch.Tensor, shape_render: torch.Tensor, mouth: torch.Tensor,
                 audio: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """background (B, T, 3, S, S) in [-1, 1], shape_render (B, T, C, S, S), mouth (B, T, 1, S, S)
        erosion mask -> (frames (B, T, 3, S, S), renderer inputs (B, T, 3 + C, S, S))."""
        inputs = torch.cat([erase(background, mouth), shape_render], 2)
        frames = self.renderer(inputs, audio if self.renderer.fusion is not None else None)
        return frames, inputs
