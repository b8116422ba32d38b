"""Smoothing acts on the posed 3D face shape (geometry space, pose included), as the paper says,
not on the expression parameters (paper Sec. 3.2: "in geometry space, instead of parametric space")."""
import math

import torch

from generator.config import tiny
from generator.data.face3d import reconstruct
from generator.models.pipeline import Identity, StableFace
from generator.models.smoothing import apply_weights

torch.set_num_threads(1)
T = 16


def yaw(angle: torch.Tensor) -> torch.Tensor:
    c, s = torch.cos(angle), torch.sin(angle)
    z, o = torch.zeros_like(angle), torch.ones_like(angle)
    return torch.stack([torch.stack([c, z, s], -1), torch.stack([z, o, z], -1), torch.stack([-s, z, c], -1)], -2)


def setup(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    cfg = tiny()
    cfg.smoothing.mode = "fixed"  # the shared starting kernel; any weights show the same
    model = StableFace(cfg, 64).eval()
    comps = torch.linalg.qr(torch.randn(478 * 3, 53, generator=g))[0].T.contiguous()  # orthonormal rows
    ident = Identity(10 * torch.randn(478, 3, generator=g), comps, torch.ones(53))
    exp = 3 * torch.randn(1, T, 53, generator=g)
    trans = torch.tensor([32.0, 32.0, 0.0]).expand(1, T, 3)
    scale = torch.ones(1, T)
    return model, ident, exp, trans, scale


def parameter_smoothing(model, ident, exp, rot, trans, scale):
    w = model.smoothing.weights(exp / ident.exp_std)
    return reconstruct(ident.shape, apply_weights(exp, w), ident.components, rot, trans, scale)


def test_geometry_smoothing_differs_from_parameter_smoothing_when_the_pose_varies():
    model, ident, exp, trans, scale = setup()
    rot = yaw(torch.tensor([0.5 * math.sin(i) for i in range(T)]))[None]  # head turning back and forth
    with torch.no_grad():
        geo = model.meshes(exp, ident, rot, trans, scale)
        par = parameter_smoothing(model, ident, exp, rot, trans, scale)
        raw = model.meshes(exp, ident, rot, trans, scale, smooth=False)
    gap = (geo - par).norm(dim=-1).mean()
    assert gap > 0.05 * (raw - par).norm(dim=-1).mean()  # a real difference, not rounding
    # geometry smoothing is literally the kernel applied to the posed vertices
    w = model.smoothing.weights(exp / ident.exp_std)
    torch.testing.assert_close(geo, apply_weights(raw, w))


def test_with_a_constant_pose_both_coincide_and_a_constant_sequence_is_exact():
    model, ident, exp, trans, scale = setup(1)
    rot = yaw(torch.full((T,), 0.3))[None]
    with torch.no_grad():
        geo = model.meshes(exp, ident, rot, trans, scale)
        par = parameter_smoothing(model, ident, exp, rot, trans, scale)
        torch.testing.assert_close(geo, par, atol=1e-4, rtol=1e-5)  # the mesh is affine in e for a fixed pose
        still = exp[:, :1].expand_as(exp)  # the same face in the same pose on every frame
        out = model.meshes(still, ident, rot, trans, scale)
        raw = model.meshes(still, ident, rot, trans, scale, smooth=False)
    torch.testing.assert_close(out, raw, atol=1e-5, rtol=1e-6)
    assert not torch.allclose(geo, model.meshes(exp, ident, rot, trans, scale, smooth=False))  # it does smooth
