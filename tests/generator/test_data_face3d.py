"""The 3D face representation: Umeyama pose, mean shape, expression PCA, reconstruction."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from generator.data import face3d
from generator.data.face3d import fit_representation
from generator.data.timeline import split_ranges


@pytest.fixture(scope="module")
def talking(pristine) -> np.ndarray:
    """Real MediaPipe meshes of the carphone talking-face clip (T, 478, 3), source pixels."""
    from msi.tracking.trackers import track_video

    lm = track_video(pristine).landmarks
    keep = np.isfinite(lm).all(axis=(1, 2))
    assert keep.mean() > 0.9
    return lm[keep]


def random_similarity(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return Rotation.random(n, random_state=seed).as_matrix(), rng.normal(0, 20, (n, 3)), rng.uniform(0.5, 2.0, n)


@pytest.mark.slow
def test_umeyama_recovers_a_known_similarity(talking):
    src = talking[0]
    rot, trans, scale = random_similarity(6, seed=1)
    dst = scale[:, None, None] * src @ rot.transpose(0, 2, 1) + trans[:, None]
    r, t, s = face3d.umeyama(src[None], dst)
    np.testing.assert_allclose(r, rot, atol=1e-9)
    np.testing.assert_allclose(t, trans, atol=1e-6)
    np.testing.assert_allclose(s, scale, rtol=1e-9)
    r1, t1, s1 = face3d.umeyama(src, dst[2])  # unbatched
    np.testing.assert_allclose(r1, rot[2], atol=1e-9)


@pytest.mark.slow
def test_umeyama_never_returns_a_reflection(talking):
    src = talking[0]
    mirrored = src * np.array([-1.0, 1.0, 1.0])
    r, _, s = face3d.umeyama(src, mirrored)
    assert np.linalg.det(r) == pytest.approx(1.0)
    assert s > 0


@pytest.mark.slow
def test_umeyama_weights_ignore_outliers(talking):
    src = talking[0]
    rot, trans, scale = random_similarity(1, seed=2)
    dst = scale[0] * src @ rot[0].T + trans[0]
    dst[:100] += 50.0  # corrupt points that get zero weight
    w = np.ones(len(src))
    w[:100] = 0
    r, t, s = face3d.umeyama(src, dst, w)
    np.testing.assert_allclose(r, rot[0], atol=1e-9)
    assert s == pytest.approx(scale[0])


@pytest.mark.slow
def test_align_inverts_the_pose(talking):
    shape = face3d.mean_shape(talking[:20])
    aligned, r, t, s = face3d.align(talking, shape)
    back = s[:, None, None] * aligned @ r.transpose(0, 2, 1) + t[:, None]
    np.testing.assert_allclose(back, talking, atol=1e-8)
    # Pose-free meshes agree on the rigid upper face far better than the raw meshes do.
    rigid = face3d.rigid_weights() > 0
    raw_spread = talking[:, rigid].std(axis=0).mean()
    aligned_spread = aligned[:, rigid].std(axis=0).mean()
    assert aligned_spread < 0.2 * raw_spread


@pytest.mark.slow
def test_mean_shape_of_posed_copies_is_the_shape(talking):
    base = talking[0]
    rot, trans, scale = random_similarity(8, seed=3)
    posed = scale[:, None, None] * base @ rot.transpose(0, 2, 1) + trans[:, None]
    shape = face3d.mean_shape(posed)
    aligned, _, _, s = face3d.align(posed, shape)
    assert np.abs(aligned - shape).max() < 1e-6  # every copy maps exactly onto it
    np.testing.assert_allclose(s / s[0], scale / scale[0], rtol=1e-8)  # the poses keep the size ratios
    w = face3d.rigid_weights() > 0
    np.testing.assert_allclose(shape[w].mean(axis=0), 0, atol=1e-6)  # centred
    assert s.mean() == pytest.approx(1.0, rel=0.05)  # scaled like the frames


@pytest.mark.slow
def test_expression_of_the_mean_shape_is_zero(talking):
    train = slice(*split_ranges(len(talking), (0.5, 0.2, 0.3))["train"])
    rep = fit_representation(talking, train, n_exp=20)
    e = face3d.project(rep["shape"][None], rep["shape"], rep["pca"])
    np.testing.assert_allclose(e, 0.0, atol=1e-9)
    # ... and the expressions of the training frames average to zero (the shape is their mean).
    np.testing.assert_allclose(rep["expression"][train].mean(axis=0), 0.0, atol=1e-3)


@pytest.mark.slow
def test_pca_reconstruction_error_is_small_on_the_training_split(talking):
    mouth = np.linalg.norm(talking[:, 61] - talking[:, 291], axis=-1).mean()
    train = slice(*split_ranges(len(talking), (0.5, 0.2, 0.3))["train"])
    errors = {}
    for k in (2, 5, 10, 20):
        rep = fit_representation(talking, train, n_exp=k)
        rec = face3d.reconstruct(rep["shape"], rep["expression"], rep["pca"], rep["rotation"], rep["translation"],
                                 rep["scale"])
        errors[k] = face3d.reconstruction_error(talking[train], rec[train]).mean()
        comps = rep["pca"].components.astype(np.float64)
        np.testing.assert_allclose(comps @ comps.T, np.eye(k), atol=1e-5)  # orthonormal basis
        assert np.all(np.diff(rep["pca"].explained_variance) <= 1e-6)  # sorted by variance
    assert errors[20] < 0.01 * mouth  # 20 of the paper's 53 coefficients fit within 1% of the mouth width
    assert errors[2] > errors[5] > errors[10] > errors[20]  # more components, smaller error


@pytest.mark.slow
def test_held_out_frames_are_represented_too(talking):
    """On the test split, the mouth and jaw (what the expression models, ``EXPRESSION_REGION``)."""
    mouth = np.linalg.norm(talking[:, 61] - talking[:, 291], axis=-1).mean()
    splits = split_ranges(len(talking), (0.5, 0.2, 0.3))
    rep = fit_representation(talking, slice(*splits["train"]), n_exp=53)
    rec = face3d.reconstruct(rep["shape"], rep["expression"], rep["pca"], rep["rotation"], rep["translation"],
                             rep["scale"])
    test, region = slice(*splits["test"]), face3d.EXPRESSION_REGION
    assert face3d.reconstruction_error(talking[test][:, region], rec[test][:, region]).mean() < 0.02 * mouth


@pytest.mark.slow
def test_pca_pads_components_beyond_the_rank(talking):
    rep = fit_representation(talking[:10], slice(0, 10), n_exp=53)
    pca = rep["pca"]
    assert pca.components.shape == (53, 478 * 3)
    assert pca.rank == 9  # 10 centred samples span 9 dimensions
    assert not pca.components[9:].any() and not pca.explained_variance[9:].any()
    assert not rep["expression"][:, 9:].any()
    rec = face3d.reconstruct(rep["shape"], rep["expression"], pca, rep["rotation"], rep["translation"], rep["scale"])
    region = face3d.EXPRESSION_REGION  # full rank on the frames it was fitted on, where the expression acts
    np.testing.assert_allclose(rec[:, region], talking[:10][:, region], atol=1e-3)


@pytest.mark.slow
def test_reconstruct_torch_matches_numpy_and_is_differentiable(talking):
    rep = fit_representation(talking, slice(0, 60), n_exp=53)
    idx = np.arange(6)
    args = [rep["expression"][idx], rep["rotation"][idx], rep["translation"][idx], rep["scale"][idx]]
    ref = face3d.reconstruct(rep["shape"], args[0], rep["pca"], *args[1:])
    assert ref.shape == (6, 478, 3)
    targs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
    out = face3d.reconstruct(torch.tensor(rep["shape"]), targs[0], rep["pca"].as_dict(), *targs[1:])
    assert torch.is_tensor(out) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), ref, atol=1e-4)
    out[..., 1].sum().backward()
    for t in targs:
        assert t.grad is not None and torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0
    # Leading dimensions are batch dimensions.
    grid = face3d.reconstruct(rep["shape"], *[a.reshape(2, 3, *a.shape[1:]) for a in args[:1]], rep["pca"].components,
                              *[a.reshape(2, 3, *a.shape[1:]) for a in args[1:]])
    np.testing.assert_allclose(grid.reshape(6, 478, 3), ref, atol=1e-6)
