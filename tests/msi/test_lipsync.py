"""The weight-free lip-audio proxy on constructed signals."""
from __future__ import annotations

import math

import numpy as np
import pytest


def _speechlike(n, seed=0):
    from scipy.ndimage import gaussian_filter1d

    rng = np.random.default_rng(seed)
    return np.clip(gaussian_filter1d(rng.normal(size=n), 2.0), 0, None)


def test_best_shift_finds_a_known_delay():
    from msi.metrics.lipsync import lip_audio_agreement

    o = _speechlike(200)
    for delay in (0, 3, -4, 7):
        e = np.roll(o, delay)  # e_t = o_{t-delay}: the sound comes `delay` frames late
        a = lip_audio_agreement(o, e)
        assert a.offset == -delay  # syncnet_python's sign
        assert a.r == pytest.approx(1.0, abs=0.05)
        assert len(a.r_by_offset) == 31


def test_frozen_or_unrelated_mouth_scores_low():
    from msi.metrics.lipsync import lip_audio_agreement

    e = _speechlike(200, seed=1)
    assert math.isnan(lip_audio_agreement(np.full(200, 0.3), e).r)  # no motion at all: undefined
    unrelated = lip_audio_agreement(_speechlike(200, seed=2), e)
    assert unrelated.r < 0.4


def test_envelope_and_opening():
    from msi.metrics.lipsync import audio_envelope, mouth_opening
    from msi.regions import MP_N_POINTS

    sr, fps = 16000, 25
    t = np.arange(sr) / sr
    wave = np.sin(2 * np.pi * 200 * t) * (t >= 0.5)  # silence, then a tone
    env = audio_envelope(wave, sr, fps, 25)
    assert env[:12].max() == 0 and env[13:].min() == pytest.approx(1 / np.sqrt(2), rel=0.02)
    lm = np.zeros((2, MP_N_POINTS, 2))
    lm[:, 61], lm[:, 291] = [0, 0], [40, 0]
    lm[:, 13], lm[:, 14] = [20, -5], [20, 5]
    lm[1] = np.nan
    o = mouth_opening(lm)
    assert o[0] == pytest.approx(0.25) and math.isnan(o[1])


def test_a_clip_shorter_than_the_shifts_compares_only_what_overlaps():
    """14 frames (the fewest MSI scores) against shifts of up to 15: a shift of the clip's length
    or more overlaps nothing (NaN), never a slice that wraps round to the other end."""
    from msi.metrics.lipsync import MAX_SHIFT, lip_audio_agreement

    o = _speechlike(14)
    a = lip_audio_agreement(o, np.roll(o, 2))
    assert len(a.r_by_offset) == 2 * MAX_SHIFT + 1
    far = np.abs(np.arange(MAX_SHIFT, -MAX_SHIFT - 1, -1)) >= 14
    assert far.any() and np.isnan(a.r_by_offset[far]).all()
    assert a.offset == -2 and a.r == pytest.approx(1.0, abs=0.05)
