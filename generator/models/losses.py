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
