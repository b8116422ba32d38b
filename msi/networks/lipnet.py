"""LipNet (Assael, Shillingford, Whiteson & de Freitas 2016, "LipNet: end-to-end sentence-level
lipreading", arXiv:1611.01599) in the layout of LipNet-PyTorch (VIPL-Audio-Visual-Speech-
Understanding/LipNet-PyTorch, commit 40209e0), so that repository's checkpoints
(``LipNet_unseen_loss_*.pt``, ``LipNet_overlap_loss_*.pt``: ``torch.save(model.state_dict())``)
load as they are. Written here from the architecture that repository documents (no code of it
is copied or shipped):

- three spatio-temporal convolutions with ReLU and (1, 2, 2) max pooling: 3 → 32 (kernel
  3 × 5 × 5, stride 1 × 2 × 2, padding 1 × 2 × 2), 32 → 64 (3 × 5 × 5, padding 1 × 2 × 2),
  64 → 96 (3 × 3 × 3, padding 1);
- the 96 × 4 × 8 map of each frame flattened into two bidirectional GRUs of 256 units;
- a linear layer to 28 classes: the CTC blank (0), space (1) and A–Z (2–27).

Input: mouth crops 128 × 64 (W × H), **BGR** (the repository reads frames with ``cv2.imread``)
divided by 255, laid out (B, 3, T, 64, 128). Dropout is off (evaluation). There is no executed
oracle of this forward pass: no package carries LipNet-PyTorch. The tests check the parameter
names and shapes against the repository's, and the crop and the decoding on hand-made cases.
"""
from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn

from msi.errors import BadWeights
from msi.networks.formats import guess
from msi.networks.inception import load_state

#: What the weights file is (for messages).
EXPECTED = "LipNet-PyTorch's LipNet state dict (LipNet_unseen_loss_*.pt or LipNet_overlap_loss_*.pt)"
#: The crop the network reads: width, height (LipNet-PyTorch's 128 × 64).
CROP_W, CROP_H = 128, 64
#: The frame rate LipNet was trained at (GRID, 25 fps).
FPS = 25.0
#: CTC classes: index 0 is the blank; 1 + i is VOCABULARY[i].
VOCABULARY = " ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class LipNet(nn.Module):
    """Mouth crops (B, 3, T, 64, 128) in [0, 1], BGR -> per-frame class scores (B, T, 28)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(3, 32, (3, 5, 5), (1, 2, 2), (1, 2, 2))
        self.conv2 = nn.Conv3d(32, 64, (3, 5, 5), (1, 1, 1), (1, 2, 2))
        self.conv3 = nn.Conv3d(64, 96, (3, 3, 3), (1, 1, 1), (1, 1, 1))
        self.gru1 = nn.GRU(96 * 4 * 8, 256, 1, bidirectional=True)
        self.gru2 = nn.GRU(512, 256, 1, bidirectional=True)
        self.FC = nn.Linear(512, len(VOCABULARY) + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = nn.functional.max_pool3d
        for conv in (self.conv1, self.conv2, self.conv3):
            x = pool(torch.relu(conv(x)), (1, 2, 2), (1, 2, 2))
        x = x.permute(2, 0, 1, 3, 4).flatten(2)  # (T, B, C*H*W): the GRUs are time-major
        x, _ = self.gru1(x)
        x, _ = self.gru2(x)
        return self.FC(x).permute(1, 0, 2)


def load_lipnet(path: str | os.PathLike) -> LipNet:
    """:class:`LipNet` with the weights at ``path``: exactly LipNet-PyTorch's parameter names and
    shapes (a file with other keys is refused, naming the network it looks like)."""
    p = str(path)
    state = load_state(p, EXPECTED)
    net = LipNet()
    own = net.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:
        what = f"{len(missing)} parameters missing, e.g. {missing[0]}" if missing else f"unexpected {extra[0]}"
        raise BadWeights(f"{p}: not {EXPECTED}: {what}{guess(state)}")
    for k, v in own.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise BadWeights(f"{p}: not {EXPECTED}: {k} has shape {tuple(state[k].shape)}, expected {tuple(v.shape)}")
        if not torch.isfinite(state[k]).all():
            raise BadWeights(f"{p}: damaged {EXPECTED}: {k} is not finite")
    net.load_state_dict(state)
    return net.eval()


@torch.inference_mode()
def read_lips(net: LipNet, crops_bgr: np.ndarray) -> np.ndarray:
    """Class scores (T, 28) of one video's mouth crops (T, 64, 128, 3) BGR ``uint8``."""
    from msi.networks.device import device_of

    x = torch.from_numpy(np.ascontiguousarray(crops_bgr)).to(device_of(net)).float().div_(255.0)
    return net(x.permute(3, 0, 1, 2)[None])[0].cpu().numpy()
