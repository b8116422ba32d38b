"""The expression is mouth-related (paper: 53 mouth-related expression parameters predicted from
audio): its basis moves only the mouth and jaw; eyes, brows and blinks come from the background
frames and the pose. The prepared clip reports the reconstruction error of that region."""
import json

import numpy as np
import pytest

from generator.data import face3d
from generator.data.topology import LIPS, MOUTH_REGION, RIGID_REGION


def test_expression_region_is_mouth_and_jaw_only():
    from msi.regions import MP_JAW

    region = set(face3d.EXPRESSION_REGION.tolist())
    assert set(LIPS.tolist()) <= region and set(MP_JAW) <= region and set(MOUTH_REGION.tolist()) <= region
    eyes = {33, 133, 159, 145, 362, 263, 386, 374, 468, 473}  # eye corners, lids, iris centres
    brows = {70, 63, 105, 66, 107, 336, 296, 334, 293, 300}
    assert not region & (eyes | brows)
    # the pose is aligned on the rigid upper face; only the jaw line's ends near the ears are in both
    assert region & set(RIGID_REGION.tolist()) <= {58, 132, 288, 361}
    assert len(region) == 260


def test_fit_pca_with_a_region_moves_only_that_region():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(478, 3))
    meshes = base + 0.1 * rng.normal(size=(200, 478, 3))  # every vertex moves (blinks, brows, ...)
    full = face3d.fit_pca(meshes, 53, shape=base)
    mouth = face3d.fit_pca(meshes, 53, shape=base, region=face3d.EXPRESSION_REGION)
    outside = np.setdiff1d(np.arange(478), face3d.EXPRESSION_REGION)
    comps = mouth.components.reshape(53, 478, 3)
    assert np.abs(comps[:, outside]).max() == 0
    assert mouth.rank == 53 and np.abs(comps[:, face3d.EXPRESSION_REGION]).max() > 0
    assert np.abs(full.components.reshape(53, 478, 3)[:, outside]).max() > 0  # the old, whole-face basis
    np.testing.assert_allclose(mouth.components @ mouth.components.T, np.eye(53), atol=1e-4)
    # reconstructing: vertices outside the region stay at the identity shape whatever the expression
    e = face3d.project(meshes, base, mouth)
    rec = face3d.reconstruct(base, e, mouth, np.eye(3), np.zeros(3), np.ones(()))
    np.testing.assert_allclose(rec[:, outside], np.broadcast_to(base[outside], rec[:, outside].shape), atol=1e-5)


@pytest.mark.slow
def test_prepared_clip_has_a_mouth_basis_and_reports_its_region_error(tiny_clip):
    pca = np.load(tiny_clip / "pca.npz")
    comps = pca["components"].reshape(len(pca["components"]), 478, 3)
    outside = np.setdiff1d(np.arange(478), face3d.EXPRESSION_REGION)
    assert comps.shape[0] == 53 and np.abs(comps[:, outside]).max() == 0
    report = json.loads((tiny_clip / "manifest.json").read_text())["reconstruction_error"]
    for split in ("train", "test"):
        r = report[split]
        # the mouth and jaw are reconstructed closely (the rest of the face is not modelled)
        assert r["region_relative_to_mouth_width"] < 0.01, r
        assert r["region_mean_px"] <= r["mean_px"]
