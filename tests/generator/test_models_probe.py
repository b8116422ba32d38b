"""The mouth-opening probe (issue 19): it reads the opening from pixels, and its loss can fail."""
import numpy as np
import torch

from generator.models.probe import fit_probe, mesh_opening
from msi.metrics.mouth_motion import mouth_opening
from msi.regions import LIP_OPENING, MP_MOUTH_CORNERS

torch.set_num_threads(1)
S = 32  # small frames: the test is about the loss, not the resolution


def mouths(opening: torch.Tensor) -> torch.Tensor:
    """Frames (N, 3, S, S) in [-1, 1]: a light face with a dark mouth whose height is the opening."""
    ys, xs = torch.meshgrid(torch.arange(S) + 0.5, torch.arange(S) + 0.5, indexing="ij")
    half_h = (opening * 8 + 0.5)[:, None, None]  # mouth width 8 px: opening in mouth widths
    inside = ((xs - 16) / 4) ** 2 + ((ys - 22) / half_h) ** 2 <= 1
    img = torch.full((opening.shape[0], 3, S, S), 0.6)
    img[inside[:, None].expand(-1, 3, -1, -1)] = -0.8
    return img


def test_mesh_opening_is_msi_mouth_opening_per_frame():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(5, 478, 3)).astype(np.float32) * 10 + 32
    ours = mesh_opening(torch.from_numpy(pts)).numpy()
    u, lo = LIP_OPENING["mediapipe478"]
    a, b = MP_MOUTH_CORNERS
    per_frame = np.linalg.norm(pts[:, u, :2] - pts[:, lo, :2], axis=-1) / np.linalg.norm(pts[:, a, :2] - pts[:, b, :2], axis=-1)
    np.testing.assert_allclose(ours, per_frame, rtol=1e-5)
    # msi's opening uses the median width over frames; with one frame it is the same quantity
    np.testing.assert_allclose(ours[:1], mouth_opening(pts[:1]), rtol=1e-5)


def test_probe_reads_the_opening_and_fails_on_scrambled_targets():
    g = torch.Generator().manual_seed(1)
    opening = torch.rand(160, generator=g) * 0.5
    frames = mouths(opening)
    fit = fit_probe(frames, opening, steps=120, seed=0)
    assert fit.held_r > 0.9, fit
    # the probe reads pixels: a wider mouth on new frames reads wider
    with torch.no_grad():
        lo, hi = fit.probe(mouths(torch.tensor([0.05, 0.45])))
    assert hi - lo > 0.2
    # the same training against targets that no pixel explains generalises to nothing
    scrambled = opening[torch.randperm(160, generator=g)]
    bad = fit_probe(frames, scrambled, steps=120, seed=0)
    assert abs(bad.held_r) < 0.5, bad
    assert not any(p.requires_grad for p in fit.probe.parameters())  # frozen on return
