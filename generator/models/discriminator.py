"""PatchGAN discriminator (pix2pix; as used by Neural Voice Puppetry), conditioned on the input.

D(x, y) classifies overlapping patches of the frame y as real or generated, given the
renderer's input x (eroded background + face shape), channels concatenated:

    Conv4 s2 (ndf) LReLU - [Conv4 s2 (ndf 2^i) IN LReLU] x (n_layers-1) - Conv4 s1 IN LReLU - Conv4 s1 (1)

Trained with the least-squares GAN loss (``losses.gan_loss``). ``features`` also returns the
activations after each LeakyReLU, for the feature-matching loss (``losses.feature_matching``).
With ``mouth`` (not in the paper) a second PatchGAN of ``mouth_layers`` judges the erased region's box
alone, as face inpainting's local discriminators do (Iizuka et al., "Globally and Locally Consistent
Image Completion", SIGGRAPH 2017): at 64 px the lips are a few dozen of the 4096 pixels the whole-frame
discriminator averages over.
Reference: Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks",
CVPR 2017; Thies et al., "Neural Voice Puppetry", ECCV 2020; StableFace arXiv:2208.13717 Sec. 3.5.
"""
from __future__ import annotations

import torch
from torch import nn

from generator.config import DiscriminatorConfig


def patch_layers(in_channels: int, ndf: int, n_layers: int) -> nn.Sequential:
    """pix2pix's N-layer PatchGAN: each output logit sees a patch (70 px for n_layers 3, 34 px for 2)."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
    c = ndf
    for i in range(1, n_layers):
        c_next = ndf * min(2 ** i, 8)
        layers += [nn.Conv2d(c, c_next, 4, 2, 1), nn.InstanceNorm2d(c_next, affine=True), nn.LeakyReLU(0.2)]
        c = c_next
    c_next = ndf * min(2 ** n_layers, 8)
    layers += [nn.Conv2d(c, c_next, 4, 1, 1), nn.InstanceNorm2d(c_next, affine=True), nn.LeakyReLU(0.2),
               nn.Conv2d(c_next, 1, 4, 1, 1)]
    return nn.Sequential(*layers)


def mouth_box(mask: torch.Tensor, pad: int = 2, min_side: int = 16) -> tuple[slice, slice]:
    """Rows and columns of the box around every pixel of the (N, 1, H, W) masks, grown by ``pad`` and
    to at least ``min_side`` (the mouth discriminator's smallest input), inside the frame."""
    h, w = mask.shape[-2:]
    hit = mask.flatten(0, 1).amax(0) > 0
    rows, cols = hit.any(1).nonzero().flatten(), hit.any(0).nonzero().flatten()
    if not len(rows):  # nothing erased: the whole frame
        return slice(0, h), slice(0, w)

    def span(lo: int, hi: int, size: int) -> slice:
        lo, hi = max(lo - pad, 0), min(hi + 1 + pad, size)
        grow = max(min_side - (hi - lo), 0)
        lo = max(min(lo - grow // 2, size - min_side), 0)
        return slice(lo, min(max(hi, lo + min_side), size))

    return span(int(rows[0]), int(rows[-1]), h), span(int(cols[0]), int(cols[-1]), w)


class PatchDiscriminator(nn.Module):
    def __init__(self, cfg: DiscriminatorConfig, in_channels: int = 4 + 3, mouth: bool = False):
        super().__init__()
        self.net = patch_layers(in_channels, cfg.ndf, cfg.n_layers)
        # a second, smaller PatchGAN on the erased region's box only (LossConfig.mouth_adversarial)
        self.mouth = patch_layers(in_channels, cfg.ndf, cfg.mouth_layers) if mouth else None

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """condition (N, 4, S, S), image (N, 3, S, S) -> patch logits (N, 1, h, w)."""
        return self.net(torch.cat([condition, image], 1))

    def features(self, condition: torch.Tensor, image: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """The activations after each LeakyReLU (coarser with depth) and the patch logits."""
        x, feats = torch.cat([condition, image], 1), []
        for layer in self.net:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                feats.append(x)
        return feats, x

    def mouth_logits(self, condition: torch.Tensor, image: torch.Tensor, box: tuple[slice, slice]) -> torch.Tensor:
        """The mouth discriminator's patch logits on the ``box`` (``mouth_box``) of the frames."""
        return self.mouth(torch.cat([condition, image], 1)[..., box[0], box[1]])
