"""PatchGAN discriminator (pix2pix; as used by Neural Voice Puppetry), conditioned on the input.

D(x, y) classifies overlapping patches of the frame y as real or generated, given the
renderer's input x (eroded background + face shape), channels concatenated:

    Conv4 s2 (ndf) LReLU - [Conv4 s2 (ndf 2^i) IN LReLU] x (n_layers-1) - Conv4 s1 IN LReLU - Conv4 s1 (1)

Trained with the least-squares GAN loss (``losses.gan_loss``).
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


class PatchDiscriminator(nn.Module):
    def __init__(self, cfg: DiscriminatorConfig, in_channels: int = 4 + 3):
        super().__init__()
        self.net = patch_layers(in_channels, cfg.ndf, cfg.n_layers)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """condition (N, 4, S, S), image (N, 3, S, S) -> patch logits (N, 1, h, w)."""
        return self.net(torch.cat([condition, image], 1))
