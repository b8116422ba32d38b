"""The tracker's noise floor (msi.noise_floor, `msi noise-floor`)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from msi.noise_floor import anchor_frames, noisy, segment_noise_px
from msi.stats import repeatability_limit


def test_repeatability_limit_is_the_95_percent_limit_of_a_difference():
    assert repeatability_limit([1.0, 1.0, 1.0]) == 0.0
    v = [0.1, 0.2, 0.3]
    assert repeatability_limit(v) == pytest.approx(1.96 * np.sqrt(2) * np.std(v, ddof=1))
    assert np.isnan(repeatability_limit([0.5]))
    assert np.isnan(repeatability_limit([0.5, float("nan")]))


def test_anchor_frames_spread_over_frames_with_a_face():
    valid = np.zeros(100, bool)
    valid[10:90] = True
    a = anchor_frames(valid, 3)
    assert a == [10, 50, 89]
    assert anchor_frames(np.zeros(5, bool), 3) == []
    assert anchor_frames(np.array([False, True]), 4) == [1]


def test_segment_noise_in_msi_pixels():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 100, size=(478, 2))
    base[61], base[291] = (10, 50), (42, 50)  # mouth 32 px wide: MSI pixels are half pixels
    pts = base + rng.normal(0, 0.5, size=(4000, 478, 2))
    assert segment_noise_px(pts) == pytest.approx(1.0, rel=0.05)  # 0.5 px x 64/32


def test_noisy_frames_stay_uint8_and_change():
    f = np.full((8, 8, 3), 128, np.uint8)
    g = noisy(f, np.random.default_rng(0), 2.0)
    assert g.dtype == np.uint8 and (g != f).any() and np.abs(g.astype(int) - 128).max() < 12


@pytest.fixture(scope="module")
def shaken(tmp_path_factory, pristine, pristine_frames):
    """The real clip, lightly shaken: i.i.d. sub-pixel translations (std 0.2 px) of every frame."""
    import cv2

    from msi.io.video import probe, write_video

    rng = np.random.default_rng(1)
    out = []
    for f in pristine_frames:
        dx, dy = rng.normal(0, 0.2, 2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        out.append(cv2.warpAffine(f, m, (f.shape[1], f.shape[0]), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT))
    d = tmp_path_factory.mktemp("shaken")
    return write_video(d / "shaken.mp4", np.stack(out), fps=probe(pristine).fps, crf=18)


@pytest.mark.slow
def test_noise_floor_below_a_light_shake(pristine, shaken, capsys):
    from msi.cli import main
    from msi.score import score_video

    # one anchor (50 held frames, not 3 x 50: 530 frames tracked here, not 630): margins measured
    # floor < diff lip 0.021 < 0.089, jaw 0.040 < 0.077 (3 anchors: 0.031, 0.011), still MSI 1.99/1.97
    assert main(["noise-floor", str(pristine), "--json", "--repeats", "3", "--anchors", "1"]) == 0
    nf = json.loads(capsys.readouterr().out)
    shake = score_video(shaken)
    for region in ("lip", "jaw"):
        diff = nf[f"msi_{region}"] - getattr(shake, f"msi_{region}")
        assert 0 <= nf[f"floor_{region}"] < diff, (region, nf[f"floor_{region}"], diff)
        # the still copy keeps only tracker noise: far above the moving clip, at most the maximum 2
        assert nf[f"msi_{region}"] < nf[f"still_msi_{region}"] <= 2.0
        assert len(nf[f"repeat_msi_{region}"]) == 3
    assert 0 < nf["tracker_noise_px"] < 2.0


def test_cli_rejects_bad_options(pristine, capsys):
    from msi.cli import main

    assert main(["noise-floor", str(pristine), "--repeats", "1"]) == 2
    assert "--repeats" in capsys.readouterr().err
    assert main(["noise-floor", "/nonexistent/video.mp4"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("msi: error:") and len(err.strip().splitlines()) == 1
