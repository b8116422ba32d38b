"""Renderer losses (StableFace Sec. 3.5, following Neural Voice Puppetry).

* Unbalanced L1: L_1 = mean(|G(x) - y| * (1 + (m - 1) M)) with weight m = 2 inside the eroded
  region M (the augmented erosion mask the renderer had to fill in) and 1 elsewhere.
  Optionally (``LossConfig.lip_weight``, not in the paper) the lips' box B weighs lip_weight more:
  |G(x) - y| * (1 + (m - 1) M + lip_weight B).
  Optionally (``LossConfig.opening_balance``, not in the paper) each frame's term is weighted by
  how rare its mouth opening is among the training frames (:func:`opening_weights`).
* Perceptual: L_vgg = sum_l lambda_l mean|phi_l(G(x)) - phi_l(y)| over VGG19 relu{1..5}_1
  (only when VGG19 weights are given).
* Adversarial (least squares): L_G = mean (D(x, G(x)) - 1)^2; L_D = 1/2 [mean (D(x, y) - 1)^2
  + mean D(x, G(x))^2].

Generator objective: 20 L_1 + L_vgg + L_G (weights in ``LossConfig``).
Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.5; Mao et al., "Least Squares
GANs", ICCV 2017.
"""
from __future__ import annotations

import torch

from generator.models.vgg import TAP_WEIGHTS, VGG19
from msi.regions import LIP_OPENING, MP_MOUTH_CORNERS


def unbalanced_l1(pred: torch.Tensor, target: torch.Tensor, mouth: torch.Tensor, mouth_weight: float = 2.0,
                  lips: torch.Tensor | None = None, lip_weight: float = 0.0,
                  frame_weight: torch.Tensor | None = None) -> torch.Tensor:
    """pred, target (N, 3, H, W); mouth (N, 1, H, W) in {0, 1}: the eroded region; ``lips`` (N, 1, H, W):
    the lips' box, whose pixels weigh ``lip_weight`` more (not in the paper; 0 turns it off);
    ``frame_weight`` (N,): each frame's weight (:func:`opening_weights`; None: all 1)."""
    weight = 1 + (mouth_weight - 1) * mouth
    if lips is not None and lip_weight:
        weight = weight + lip_weight * lips
    per_frame = ((pred - target).abs() * weight).mean(dim=(1, 2, 3))
    return (per_frame if frame_weight is None else per_frame * frame_weight).mean()


def mesh_opening(vertices: torch.Tensor) -> torch.Tensor:
    """(N, V, 3) posed meshes -> (N,) inner-lip opening in mouth widths (image plane), as
    :func:`msi.metrics.mouth_motion.mouth_opening` measures it on the mesh's 478 MediaPipe points."""
    u, l = LIP_OPENING["mediapipe478"]
    a, b = MP_MOUTH_CORNERS
    xy = vertices[..., :2]
    return (xy[:, u] - xy[:, l]).norm(dim=-1) / (xy[:, a] - xy[:, b]).norm(dim=-1).clamp_min(1e-6)


def opening_weights(opening: torch.Tensor, reference: torch.Tensor, power: float, bins: int = 8) -> torch.Tensor:
    """Per-frame loss weights that balance the mouth openings (not in the paper):

        w(o) = c * f(bin(o)) ** -power,    c such that mean_{o in reference} w(o) = 1,

    with f the share of the ``reference`` openings (the training split's tracked meshes) in each of
    ``bins`` equal-width bins over the reference's 1st-99th percentile range (beyond it: the end
    bins). power 0: every frame 1; power 1: every bin weighs alike. A wide-open mouth is a few
    percent of speech, so an L1 averaged over frames is fitted mostly on half-closed mouths: the
    long-tail reweighting of classification (e.g. Cui et al., "Class-Balanced Loss", CVPR 2019)
    applied to the opening. opening (N,), reference (M,) -> (N,)."""
    lo, hi = torch.quantile(reference.float(), torch.tensor([0.01, 0.99], device=reference.device))

    def bin_of(o: torch.Tensor) -> torch.Tensor:
        width = (hi - lo).clamp_min(1e-12) / bins
        return ((o.float() - lo) / width).floor().clamp(0, bins - 1).long()

    share = torch.bincount(bin_of(reference), minlength=bins).float() / reference.numel()
    per_bin = torch.where(share > 0, share.clamp_min(1e-12) ** -power, torch.zeros_like(share))
    per_bin = per_bin / (share * per_bin).sum()
    return per_bin[bin_of(opening)].to(opening.dtype)


def perceptual(vgg: VGG19, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        target_feats = vgg(target)
    return sum(w * (p - t).abs().mean() for w, p, t in zip(TAP_WEIGHTS, vgg(pred), target_feats))


def gan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Least-squares GAN loss towards 1 (real) or 0 (fake)."""
    return ((logits - (1.0 if real else 0.0)) ** 2).mean()
