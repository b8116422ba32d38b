"""Augmented erosion of the background frame's mouth region (paper Sec. 3.3; training only).

The renderer sees the background frame with its mouth region erased, so it must paint the
mouth from the rendered face shape.  Erasing exactly the mesh's mouth region would leak the
mouth's outline (and with it the true lip motion) into the input; the paper therefore
augments the mask M during training:

    M  = mouth_mask(mesh(shape, expression + noise))            (noisy expression)
    M' = rotate_theta(shift_d(morph_r(M)))                       (random erode/dilate r,
                                                                  shift d, rotation theta
                                                                  about the mask's centroid)
    background' = background * (1 - M')

At synthesis the un-augmented mask (grown by ``dilate`` pixels) is used.  With
``ErosionConfig.region = "clip"`` (not the paper's) M is one region for the whole clip, the union
of all frames' masks (``clip_region``), so nothing of the true mouth's shape is left to copy.
Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.3 ("augmented erosion").
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from generator.config import ErosionConfig


def morph(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """Dilate (radius > 0) or erode (radius < 0) a (N, 1, H, W) {0,1} mask with a square element."""
    if radius == 0:
        return mask
    r = abs(radius)
    if radius > 0:
        return F.max_pool2d(mask, 2 * r + 1, stride=1, padding=r)
    return -F.max_pool2d(-mask, 2 * r + 1, stride=1, padding=r)


def affine_about_centroid(mask: torch.Tensor, shift: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Move each (1, H, W) mask by ``shift`` (N, 2) (fractions of the side) and rotate it by ``angle``
    (N,) radians about its own centroid (so the mask stays on the mouth)."""
    n, _, h, w = mask.shape
    ys = torch.linspace(-1, 1, h, device=mask.device)
    xs = torch.linspace(-1, 1, w, device=mask.device)
    area = mask.sum((1, 2, 3)).clamp_min(1e-6)
    cx = (mask[:, 0] * xs[None, None, :]).sum((1, 2)) / area
    cy = (mask[:, 0] * ys[None, :, None]).sum((1, 2)) / area
    c = torch.stack([cx, cy], 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    rot = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)  # (N, 2, 2)
    # grid_sample maps output -> input coordinates: in = R^T (out - c - 2*shift) + c
    inv = rot.transpose(1, 2)
    offset = c - torch.einsum("nij,nj->ni", inv, c + 2 * shift)
    theta = torch.cat([inv, offset[:, :, None]], 2)
    grid = F.affine_grid(theta, list(mask.shape), align_corners=True)
    return F.grid_sample(mask, grid, mode="nearest", padding_mode="zeros", align_corners=True)


def clip_region(masks: torch.Tensor, dilate: int) -> torch.Tensor:
    """One erase region for a whole clip (``ErosionConfig.region = "clip"``): the union of its
    frames' (T, H, W) mouth masks, grown by ``dilate`` pixels -> (1, 1, H, W) float {0, 1}."""
    union = (masks.reshape(-1, *masks.shape[-2:]) > 0).any(dim=0).float()[None, None]
    return morph(union, dilate)


def augment_mask(mask: torch.Tensor, cfg: ErosionConfig, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random erode/dilate, shift and rotation of (N, 1, H, W) masks, independently per mask."""
    n = mask.shape[0]
    radii = torch.randint(-cfg.max_morph, cfg.max_morph + 1, (n,), generator=generator)
    out = torch.cat([morph(mask[i:i + 1], int(radii[i])) for i in range(n)])
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * cfg.max_shift
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(cfg.max_rotation)
    return affine_about_centroid(out, shift.to(mask), angle.to(mask))


def erase(frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """frames (..., C, H, W) in [-1, 1], mask (..., 1, H, W) in {0, 1} -> frames with the mask set to 0
    (mid grey, the renderer's neutral value)."""
    return frames * (1 - mask)


def noisy_expressions(expressions: torch.Tensor, std: torch.Tensor, cfg: ErosionConfig,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Expression parameters with Gaussian noise of ``cfg.exp_noise`` times each component's std."""
    noise = torch.randn(expressions.shape, generator=generator).to(expressions)
    return expressions + cfg.exp_noise * std * noise
