"""A mouth-opening probe: a small CNN that reads how far a frame's mouth is open (issue 19).

Not in the paper. At 64 px the lips are a few dozen pixels, and the renderer's L1 terms are
content with a mouth that opens about 85 % as far as the face shape it was given: the missing
opening costs little L1 and nothing else in the loss sees it. The probe is trained on the
training split's real frames to regress the inner-lip opening of the tracked mesh (in mouth
widths, as :func:`msi.metrics.mouth_motion.mouth_opening` measures it), then frozen. The renderer's
loss then carries

    L_probe = mean |P(G(x)) - o(mesh)| / std_train(o)

with o(mesh) the opening of the frame's tracked mesh (``LossConfig.probe_weight``): a rendered
mouth that opens less than its mesh is penalised in units of the clip's own opening spread. In
the joint stage the renderer draws the smoothed mesh while o stays the frame's own (unsmoothed)
opening, as the L1 term's target stays the real frame. The probe sees blurred copies of the real frames in training, so that it reads the
opening of a soft generated mouth rather than the sharpness of a real one.

Related: the lip-reading or SyncNet "expert" losses of Wav2Lip (Prajwal et al., ACM MM 2020) are
frozen networks used the same way; this one regresses a geometric quantity instead of sync.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from msi.regions import LIP_OPENING, MP_MOUTH_CORNERS


def mesh_opening(vertices: torch.Tensor) -> torch.Tensor:
    """(N, V, 3) posed meshes -> (N,) inner-lip opening in mouth widths (image plane)."""
    u, l = LIP_OPENING["mediapipe478"]  # the mesh's vertices are MediaPipe's 478 points
    a, b = MP_MOUTH_CORNERS
    xy = vertices[..., :2]
    return (xy[:, u] - xy[:, l]).norm(dim=-1) / (xy[:, a] - xy[:, b]).norm(dim=-1).clamp_min(1e-6)


class OpeningProbe(nn.Module):
    """(N, 3, S, S) frames in [-1, 1] -> (N,) mouth opening in mouth widths."""

    def __init__(self, width: int = 16):
        super().__init__()
        layers, c = [], 3
        for k in (1, 2, 4, 4):  # four stride-2 convolutions: 64 px -> 4 px
            layers += [nn.Conv2d(c, width * k, 3, 2, 1), nn.LeakyReLU(0.2)]
            c = width * k
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c, 1)
        self.register_buffer("mean", torch.zeros(()))
        self.register_buffer("std", torch.ones(()))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        h = self.features(frames).mean(dim=(2, 3))
        return self.head(h)[:, 0] * self.std + self.mean


@dataclass
class ProbeFit:
    probe: OpeningProbe
    train_r: float  # Pearson r of the probe's reading and the mesh opening, training frames
    held_r: float  # the same on the held-out frames (the last fifth of the training split)


def blur(frames: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each frame box-blurred with a random 1, 3 or 5 px kernel (the generated mouth is soft)."""
    out = frames.clone()
    k = torch.randint(0, 3, (frames.shape[0],), generator=generator) * 2 + 1
    for size in (3, 5):
        sel = k == size
        if sel.any():
            out[sel] = F.avg_pool2d(frames[sel], size, 1, size // 2, count_include_pad=False)
    return out


def fit_probe(frames: torch.Tensor, opening: torch.Tensor, *, steps: int = 600, batch: int = 64,
              lr: float = 2e-3, seed: int = 0) -> ProbeFit:
    """Train a probe on ``frames`` (N, 3, S, S) in [-1, 1] against ``opening`` (N,); frozen on return.
    The last fifth of the frames is held out to report how well it generalises."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    n = frames.shape[0]
    n_fit = max(1, n - n // 5)
    probe = OpeningProbe()
    probe.mean.fill_(float(opening[:n_fit].mean()))
    probe.std.fill_(float(opening[:n_fit].std().clamp_min(1e-6)))
    opt = torch.optim.Adam(probe.parameters(), lr)
    for step in range(steps):
        idx = torch.randint(0, n_fit, (min(batch, n_fit),), generator=g)
        x = blur(frames[idx], g)
        loss = (((probe(x) - opening[idx]) / probe.std) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for group in opt.param_groups:  # cosine decay: a steadier end point than a constant rate
            group["lr"] = lr * 0.5 * (1 + torch.cos(torch.tensor(torch.pi * (step + 1) / steps))).item()
    probe.eval().requires_grad_(False)
    with torch.no_grad():
        pred = torch.cat([probe(frames[i:i + 256]) for i in range(0, n, 256)])
    r = lambda a, b: float(torch.corrcoef(torch.stack([a, b]))[0, 1]) if a.numel() > 2 else float("nan")  # noqa: E731
    return ProbeFit(probe, r(pred[:n_fit], opening[:n_fit]), r(pred[n_fit:], opening[n_fit:]))
