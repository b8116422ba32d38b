"""LMD / NLMD on hand-made landmark tracks."""
from __future__ import annotations

import math

import numpy as np
import pytest


def _track(t=20, scale=1.0):
    from msi.regions import MP_N_POINTS

    rng = np.random.default_rng(0)
    lm = rng.uniform(100, 200, size=(t, MP_N_POINTS, 2)) * scale
    lm[:, 61] = [100 * scale, 150 * scale]  # mouth corners 50 px apart (times scale)
    lm[:, 291] = [150 * scale, 150 * scale]
    return lm


def test_lmd_is_the_mean_point_distance():
    from msi.metrics.lmd import lmd

    truth = _track()
    pred = truth.copy()
    pred[:, :, 0] += 3.0
    pred[:, :, 1] += 4.0  # every point 5 px off
    assert lmd(pred, truth) == pytest.approx(5.0)
    pred[5] = np.nan  # a frame without a face in either video is left out
    assert lmd(pred, truth, points=(0, 1, 2)) == pytest.approx(5.0)
    assert math.isnan(lmd(np.full_like(truth, np.nan), truth))


def test_nlmd_in_mouth_widths_and_scale_free():
    from msi.metrics.lmd import nlmd
    from msi.regions import MP_LIPS_INNER, MP_LIPS_OUTER

    lips = list(MP_LIPS_OUTER + MP_LIPS_INNER)
    for scale in (1.0, 2.5):
        truth = _track(scale=scale)
        pred = truth.copy()
        pred[:, lips, 1] += 5.0 * scale  # lips 5 px (at scale 1) = 0.1 mouth width off; corners move too
        truth_w = 50 * scale
        assert nlmd(pred, truth) == pytest.approx(5.0 * scale / truth_w)
        assert nlmd(pred, truth, normalise="none") == pytest.approx(5.0 * scale)
    with pytest.raises(ValueError, match="normalisation"):
        nlmd(pred, truth, normalise="iod")
