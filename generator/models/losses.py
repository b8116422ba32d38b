"""Renderer losses (StableFace Sec. 3.5, following Neural Voice Puppetry).

* Unbalanced L1: L_1 = mean(|G(x) - y| * (1 + (m - 1) M)) with weight m = 2 inside the eroded
  region M (the augmented erosion mask the renderer had to fill in) and 1 elsewhere.
  Optionally (``LossConfig.lip_weight``, not in the paper) the lips' box B weighs lip_weight more:
  |G(x) - y| * (1 + (m - 1) M + lip_weight B).
* Perceptual: L_vgg = sum_l lambda_l mean|phi_l(G(x)) - phi_l(y)| over VGG19 relu{1..5}_1
  (only when VGG19 weights are given).
* Adversarial (least squares): L_G = mean (D(x, G(x)) - 1)^2; L_D = 1/2 [mean (D(x, y) - 1)^2
  + mean D(x, G(x))^2].

* Feature matching (optional, ``LossConfig.feature_matching``, not in the paper; pix2pixHD):
  L_FM = 1/K sum_k mean|D_k(x, G(x)) - D_k(x, y)| over the discriminator's K hidden activations,
  the real frame's detached: a perceptual distance learned on this face, where no VGG19 weights are.

Generator objective: 20 L_1 + L_vgg + L_G (+ w_FM L_FM) (weights in ``LossConfig``).

audio2expression (optional, ``TrainConfig.a2e_opening``, not in the paper): 1 - CCC of the mouth
opening, CCC(x, y) = 2 cov(x, y) / (var x + var y + (mean x - mean y)^2) (Lin, "A concordance
correlation coefficient to evaluate reproducibility", Biometrics 1989).
Reference: Ling et al., "StableFace", arXiv:2208.13717, Sec. 3.5; Mao et al., "Least Squares
GANs", ICCV 2017; Wang et al., "High-Resolution Image Synthesis and Semantic Manipulation with
Conditional GANs" (pix2pixHD), CVPR 2018, Sec. 3.2.
"""
from __future__ import annotations

import torch

from generator.models.vgg import TAP_WEIGHTS, VGG19


def unbalanced_l1(pred: torch.Tensor, target: torch.Tensor, mouth: torch.Tensor, mouth_weight: float = 2.0,
                  lips: torch.Tensor | None = None, lip_weight: float = 0.0) -> torch.Tensor:
    """pred, target (N, 3, H, W); mouth (N, 1, H, W) in {0, 1}: the eroded region; ``lips`` (N, 1, H, W):
    the lips' box, whose pixels weigh ``lip_weight`` more (not in the paper; 0 turns it off)."""
    weight = 1 + (mouth_weight - 1) * mouth
    if lips is not None and lip_weight:
        weight = weight + lip_weight * lips
    return ((pred - target).abs() * weight).mean()


def gradient_difference(pred: torch.Tensor, target: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Gradient difference loss (Mathieu, Couprie & LeCun, ICLR 2016, with alpha = 1) inside ``region``:

        GDL = mean_pixels region * (|dx(pred) - dx(target)| + |dy(pred) - dy(target)|)

    with dx, dy the horizontal and vertical pixel differences; pred, target (N, C, H, W), region
    (N, 1, H, W) in {0, 1}. An L1 on the pixels is minimised by a blur where the target's edge may
    fall one pixel either way; this term asks for the target's edges themselves."""
    d = pred - target
    gx = (d[..., :, 1:] - d[..., :, :-1]).abs() * region[..., :, 1:]
    gy = (d[..., 1:, :] - d[..., :-1, :]).abs() * region[..., 1:, :]
    return (gx.sum() + gy.sum()) / d.numel()


def perceptual(vgg: VGG19, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        target_feats = vgg(target)
    return sum(w * (p - t).abs().mean() for w, p, t in zip(TAP_WEIGHTS, vgg(pred), target_feats))


def feature_matching(fake_feats: list[torch.Tensor], real_feats: list[torch.Tensor]) -> torch.Tensor:
    """Mean over the discriminator's layers of the L1 between the generated and the real frame's
    activations (pix2pixHD's L_FM with one discriminator, each layer weighed alike)."""
    return sum((f - r.detach()).abs().mean() for f, r in zip(fake_feats, real_feats)) / len(fake_feats)


def gan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """Least-squares GAN loss towards 1 (real) or 0 (fake)."""
    return ((logits - (1.0 if real else 0.0)) ** 2).mean()


def concordance(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Lin's concordance correlation coefficient of two 1-D tensors (population moments): 1 only for
    pred == target; unlike Pearson's r it falls when the spread or the mean differ."""
    dp, dt = pred - pred.mean(), target - target.mean()
    cov = (dp * dt).mean()
    return 2 * cov / (dp.pow(2).mean() + dt.pow(2).mean() + (pred.mean() - target.mean()) ** 2).clamp_min(1e-12)
