"""The hf MSI variant (msi.metrics.variants): head alignment and the normalised high-pass differences."""
from __future__ import annotations

import numpy as np
import pytest

from msi.metrics.stability import accelerations, msi_from_landmarks
from msi.regions import STABLE_POINTS, get_scheme
from msi.metrics.variants import align_frames, difference_filter, high_pass, msi_hf


def test_filters_have_the_acceleration_white_noise_gain():
    np.testing.assert_array_equal(difference_filter(2), [1, -2, 1])
    for order in (2, 4, 6):
        k = difference_filter(order)
        assert (k**2).sum() == pytest.approx(6.0)
        assert k.sum() == pytest.approx(0.0, abs=1e-12)
        # a polynomial of degree < order is removed entirely
        t = np.arange(30.0)
        assert np.abs(high_pass(t ** (order - 1), order)).max() < 1e-6 * (30.0 ** (order - 1))
    with pytest.raises(ValueError):
        difference_filter(3)
    x = np.random.default_rng(0).normal(size=(50, 4, 2))
    np.testing.assert_allclose(high_pass(x, 2), accelerations(x))


def _rot(th):
    return np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])


def _head_moving(n=80, seed=0):
    """A still face (no articulation) under large, fast rigid head motion."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 200, size=(478, 2))
    base[61], base[291] = (80, 150), (144, 150)
    t = np.arange(n)
    th = 0.2 * np.sin(t / 3.0)
    s = 1 + 0.1 * np.sin(t / 2.0)
    shift = np.stack([20 * np.sin(t / 2.5), 10 * np.cos(t / 1.7)], 1)
    return np.stack([s[k] * base @ _rot(th[k]).T + shift[k] for k in range(n)])


def test_alignment_removes_rigid_head_motion():
    pts = _head_moving()
    aligned = align_frames(pts, STABLE_POINTS["mediapipe478"], "similarity")
    np.testing.assert_allclose(aligned, np.repeat(aligned[:1], len(pts), 0), atol=1e-8)
    assert msi_hf(pts, align="similarity") == pytest.approx({"lip": 2.0, "jaw": 2.0})
    paper = msi_from_landmarks(pts)
    assert paper.msi_lip < 1.0  # paper MSI counts the head motion as instability
    t = align_frames(pts, STABLE_POINTS["mediapipe478"], "translation")
    assert np.abs(t - t[:1]).max() > 1  # translation alone cannot undo the rotation
    # ... but a pure head translation it removes entirely
    shifted = pts[:1] + np.cumsum(np.random.default_rng(3).normal(0, 2, size=(len(pts), 1, 2)), axis=0)
    assert msi_hf(shifted, align="translation") == pytest.approx({"lip": 2.0, "jaw": 2.0})
    assert msi_from_landmarks(shifted).msi_lip < 1.0


def test_hf_falls_with_jitter_like_msi():
    """White jitter of std s adds 6 s^2 to the variance of both: close scores without articulation
    (not equal: the 12-sample window variance of the more autocorrelated high-pass output differs)."""
    rng = np.random.default_rng(1)
    still = np.repeat(rng.uniform(0, 200, size=(1, 478, 2)), 400, axis=0)
    still[:, 61], still[:, 291] = (80, 150), (144, 150)  # mouth 64 px wide: MSI units
    lip = list(get_scheme("mediapipe478").lip)
    prev = {"msi": 2.0, "hf": 2.0}
    for sigma in (0.1, 0.3, 1.0):
        p = still.copy()
        p[:, lip] += rng.normal(0, sigma, size=(400, len(lip), 2))
        m, h = msi_from_landmarks(p).msi_lip, msi_hf(p)["lip"]
        assert h == pytest.approx(m, rel=0.2)
        assert m < prev["msi"] and h < prev["hf"]
        prev = {"msi": m, "hf": h}


def test_hf_skips_windows_without_face():
    pts = _head_moving(60)
    pts[30] = np.nan
    r = msi_hf(pts, align="similarity")
    assert r["lip"] == pytest.approx(2.0)
    pts[:] = np.nan
    pts[0] = _head_moving(1)[0]
    assert np.isnan(msi_hf(pts)["lip"])


def test_score_option_variant_hf(tmp_path, capsys):
    """`msi score --variant hf` adds hf-Lip/hf-Jaw beside paper MSI (which does not change)."""
    import json

    from msi.cli import main
    from msi.score import score_landmarks
    from msi.settings import Settings

    rng = np.random.default_rng(5)
    shifted = _head_moving(1)[:1] + np.cumsum(rng.normal(0, 2, size=(60, 1, 2)), axis=0)
    paper = score_landmarks(shifted, 25.0)
    hf = score_landmarks(shifted, 25.0, Settings(variant="hf"))
    assert np.isnan(paper.hf_lip) and np.isnan(paper.hf_jaw)
    assert hf.msi_lip == paper.msi_lip < 1.0
    assert hf.hf_lip == pytest.approx(msi_hf(shifted)["lip"]) == pytest.approx(2.0)
    np.save(tmp_path / "lm.npy", shifted)
    assert main(["score", str(tmp_path / "lm.npy"), "--variant", "hf", "-q"]) == 0
    out = capsys.readouterr().out
    assert "hf-Lip" in out.splitlines()[0]
    assert main(["score", str(tmp_path / "lm.npy"), "-q", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["hf_lip"] is None and rec["settings"]["variant"] == "paper"
