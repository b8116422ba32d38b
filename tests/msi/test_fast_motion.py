"""``fast_motion``: the mouth's speed in the truth's fastest frames, over the truth's."""
from __future__ import annotations

import numpy as np
import pytest

from msi.metrics.fast_motion import fast_motion, opening_speed


def _speech(n: int = 400, seed: int = 0) -> np.ndarray:
    """An opening track with slow and fast syllables (mouth widths)."""
    t = np.arange(n) / 25.0
    rate = np.where((t % 4) < 2, 2.0, 6.0)  # 2 s slow, 2 s fast, alternating
    return 0.15 + 0.08 * np.sin(2 * np.pi * np.cumsum(rate) / 25.0) + np.random.default_rng(seed).normal(0, 1e-3, n)


def test_the_truth_itself_is_one_and_a_frozen_mouth_is_zero():
    o = _speech()
    assert fast_motion(o, o) == pytest.approx(1.0)
    assert fast_motion(np.full_like(o, o.mean()), o) == pytest.approx(0.0)


def test_a_kernel_that_over_smooths_loses_more_of_the_fast_syllables_than_of_the_whole_track():
    o = _speech()
    g = np.exp(-np.arange(-3, 4) ** 2 / (2 * 1.5 ** 2))
    smooth = np.convolve(np.pad(o, 3, mode="edge"), g / g.sum(), mode="valid")
    fast = fast_motion(smooth, o)
    whole = np.nanmean(opening_speed(smooth)) / np.nanmean(opening_speed(o))
    assert fast < 0.85 and fast < whole  # the fastest syllables lose the most speed


def test_frames_without_a_face_are_left_out_and_too_few_give_nan():
    o = _speech()
    holed = o.copy()
    holed[100:110] = np.nan
    assert np.isfinite(fast_motion(holed, o))
    assert np.isnan(fast_motion(np.full(5, np.nan), o[:5]))
    with pytest.raises(ValueError, match="pair them first"):
        fast_motion(o[:10], o[:11])

