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
        self.a2e = Audio2Expression(cfg.a2e, cfg.train.a2e_frames)
        self.smoothing = build_smoothing(cfg.a2e.n_exp, cfg.smoothing)
        self.renderer = Renderer(cfg.renderer, size, cfg.fusion, cfg.dependency, cfg.train.seq_len, cfg.a2e.n_mels)
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


#: Parameters with one row per frame of a sequence (along dim 1), sized by the training length. Before
#: that length sized them they had a fixed size (``max_frames``: 512 and 64 rows) in saved runs.
SEQUENCE_EMBEDDINGS = ("a2e.pos", "renderer.dependency.time")


def fit_sequence_embeddings(state: dict, model: StableFace) -> dict:
    """A checkpoint's state (``model`` and ``optimizers``) with its per-frame embeddings cut to
    ``model``'s rows. A run saved when their size was fixed holds more rows; training and synthesis
    read only the first (sequences of the training length), so the rest are their initial values
    and Adam's moments for them are zero, which is checked (ValueError if a dropped row was trained)."""
    own = model.state_dict()
    weights = dict(state["model"])
    optimizers = {k: dict(v) for k, v in state.get("optimizers", {}).items()}
    for name in SEQUENCE_EMBEDDINGS:
        if name not in own or name not in weights:
            continue
        rows = own[name].shape[1]
        if weights[name].shape[1] <= rows:
            continue  # as the model is (or shorter: load_state_dict names the mismatch)
        weights[name] = weights[name][:, :rows].clone()
        part, param = name.split(".", 1)
        index = [n for n, _ in getattr(model, part).named_parameters()].index(param)
        opt = optimizers.get(part)
        if opt is None or index not in opt.get("state", {}):
            continue
        moments = dict(opt["state"][index])
        for key, value in moments.items():
            if isinstance(value, torch.Tensor) and value.dim() > 1:
                if value[:, rows:].any():
                    raise ValueError(f"{name}: rows past the first {rows} were trained; this version builds "
                                     f"{rows} (the training length)")
                moments[key] = value[:, :rows].clone()
        opt["state"] = {**opt["state"], index: moments}
    out = {**state, "model": weights}
    if "optimizers" in state:
        out["optimizers"] = optimizers
    return out
