"""The pure helpers of ``stableface prepare``: frame-rate resampling, splits, gaps, the fixed crop."""
from __future__ import annotations

import numpy as np
import pytest

from generator.data.crop import choose_crop, crop_frame
from generator.data.timeline import resample_frames, resample_indices, split_ranges
from generator.data.track import fill_gaps


@pytest.mark.parametrize(
    "n, src, fps, expected_len",
    [(120, 30000 / 1001, 25.0, 100), (10, 25.0, 25.0, 10), (10, 12.5, 25.0, 20), (100, 50.0, 25.0, 50), (7, 30.0, 25.0, 6)],
)
def test_resampling_picks_the_frame_on_screen_mid_interval(n, src, fps, expected_len):
    idx = resample_indices(n, src, fps)
    assert len(idx) == expected_len
    mid = (np.arange(len(idx)) + 0.5) / fps  # the time each output frame stands for
    assert np.all(idx / src <= mid + 1e-9) and np.all(mid < (idx + 1) / src)  # source frame idx is on screen then
    assert np.array_equal(np.array(list(resample_frames(range(n), src, fps))), idx)  # streaming = batch


def test_same_rate_is_the_identity():
    assert np.array_equal(resample_indices(37, 25.0, 25.0), np.arange(37))


def test_split_ranges():
    s = split_ranges(101, (0.5, 0.2, 0.3))
    assert s == {"train": [0, 50], "val": [50, 71], "test": [71, 101]}
    s = split_ranges(100, (2, 1, 1))  # fractions are normalised
    assert s == {"train": [0, 50], "val": [50, 75], "test": [75, 100]}


def test_fill_gaps_interpolates_linearly_and_holds_the_edges():
    t = np.arange(10, dtype=float)
    lm = np.repeat(t[:, None, None], 478, axis=1).repeat(3, axis=2)  # every coordinate = frame index
    lm[[0, 4, 5, 9]] = np.nan
    filled, missing = fill_gaps(lm)
    assert missing.tolist() == [True, False, False, False, True, True, False, False, False, True]
    np.testing.assert_allclose(filled[4:6, 0, 0], [4.0, 5.0])  # inner gap: linear
    assert filled[0, 0, 0] == 1.0 and filled[9, 0, 0] == 8.0  # edges: nearest face
    none = np.full((5, 478, 3), np.nan)
    assert fill_gaps(none)[1].all()


def test_crop_is_square_and_holds_every_frame():
    rng = np.random.default_rng(0)
    lm = rng.uniform(0, 1, (30, 478, 3)) * [40, 60, 10] + [100, 50, 0]
    lm[7, :, 0] += 30  # the head moves right in one frame
    x0, y0, side = choose_crop(lm, margin=1.2)
    assert side == int(np.ceil(max(70, 60) * 1.2))
    assert x0 <= lm[..., 0].min() and x0 + side >= lm[..., 0].max()
    assert y0 <= lm[..., 1].min() and y0 + side >= lm[..., 1].max()


def test_crop_frame_pads_outside_the_image_and_resizes():
    frame = np.full((100, 120, 3), 200, np.uint8)
    out = crop_frame(frame, (-20, -20, 80), 40)  # top-left 20 px outside
    assert out.shape == (40, 40, 3)
    assert (out[:9, :9] == 0).all() and (out[12:, 12:] == 200).all()
    inside = crop_frame(frame, (10, 10, 50), 100)  # upscaling
    assert inside.shape == (100, 100, 3) and (inside == 200).all()
