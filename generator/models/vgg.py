"""VGG19 feature extractor for the perceptual loss, loaded from a user-supplied weights file.

Same layer layout as torchvision's ``vgg19().features`` (so its state dict, or one saved from
this module, loads directly); nothing is ever downloaded.  The perceptual loss compares the
activations after relu1_1, relu2_1, relu3_1, relu4_1 and relu5_1 (pix2pixHD weighting).
Reference: Simonyan & Zisserman, "Very Deep Convolutional Networks", ICLR 2015; Johnson et al.,
"Perceptual Losses for Real-Time Style Transfer", ECCV 2016.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")
TAPS = (1, 6, 11, 20, 29)  # indices of relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 in ``features``
TAP_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class VGG19(nn.Module):
    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in LAYOUT:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=False)]
                c = v
        self.features = nn.Sequential(*layers)
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        """image (N, 3, H, W) in [-1, 1] -> activations at ``TAPS``."""
        x = ((image + 1) / 2 - self.mean) / self.std
        out = []
        for i, layer in enumerate(self.features[: TAPS[-1] + 1]):
            x = layer(x)
            if i in TAPS:
                out.append(x)
        return out


def load_vgg19(path: str | Path) -> VGG19:
    """VGG19 with weights from ``path`` (a torch state dict; classifier keys are ignored), frozen."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"VGG19 weights not found: {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if k.startswith("features.")}
    model = VGG19()
    missing, _ = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if k.startswith("features.")]
    if missing:
        raise ValueError(f"{path} is not a VGG19 state dict (missing {missing[0]} and {len(missing) - 1} more)")
    model.eval().requires_grad_(False)
    return model
