"""SSIM and PSNR against scikit-image; CPBD against the cpbd-py312 package (test oracle)."""
from __future__ import annotations

import math

import numpy as np
import pytest


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="module")
def astronaut_gray(astronaut):
    from skimage import color

    return (color.rgb2gray(astronaut) * 255).astype(np.uint8)


def test_ssim_psnr_equal_scikit_image(astronaut):
    import cv2
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from msi.metrics.quality import psnr, ssim

    rng = np.random.default_rng(0)
    a = astronaut[100:260, 150:330]
    variants = [
        cv2.GaussianBlur(a, (0, 0), 1.5),
        np.clip(a + rng.normal(0, 12, a.shape), 0, 255).astype(np.uint8),
        np.roll(a, 2, axis=1),
    ]
    for b in variants:
        want = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                     data_range=255, channel_axis=-1)
        assert ssim(a, b) == pytest.approx(want, abs=1e-10)
        g_a, g_b = a[..., 0], b[..., 0]
        want_g = structural_similarity(g_a, g_b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255)
        assert ssim(g_a, g_b) == pytest.approx(want_g, abs=1e-10)
        assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255), abs=1e-10)
    assert ssim(a, a) == pytest.approx(1.0) and math.isinf(psnr(a, a))
    with pytest.raises(ValueError, match="one shape"):
        ssim(a, a[:-1])


def test_cpbd_equals_cpbd_py312(astronaut_gray):
    """Our vectorised CPBD gives the reference package's value exactly: 0.3839 on the grayscale
    astronaut, and the same on blurred, resized and flat images."""
    import cpbd as oracle  # cpbd-py312 1.0.3, installed by the test command
    import cv2

    from msi.metrics.quality import cpbd

    assert cpbd(astronaut_gray) == pytest.approx(0.3839331525324342, abs=1e-12)
    small = cv2.resize(astronaut_gray, (256, 256), interpolation=cv2.INTER_AREA)
    cases = [small, cv2.GaussianBlur(small, (0, 0), 1.0), cv2.GaussianBlur(small, (0, 0), 2.5),
             small[:200, 30:230], np.full((128, 128), 90, np.uint8)]
    values = []
    for img in cases:
        assert cpbd(img) == pytest.approx(oracle.compute(img), abs=1e-12)
        values.append(cpbd(img))
    assert values[0] > values[1] > values[2]  # blur lowers CPBD


@pytest.mark.slow
def test_cpbd_on_a_video_frame(talking_clip):
    import cpbd as oracle

    from msi.metrics.quality import cpbd, to_gray
    from msi.io.video import read_frames

    frame = to_gray(read_frames(talking_clip.video, limit=1)[0])
    assert cpbd(frame) == pytest.approx(oracle.compute(frame), abs=1e-12)


def test_aligned_pairs():
    from msi.metrics.quality import aligned_pairs

    assert aligned_pairs(5, 25, 3, 25).tolist() == [[0, 0], [1, 1], [2, 2]]
    p = aligned_pairs(50, 25, 60, 30)  # the same 2 s at two rates: paired by time
    assert len(p) == 50 and p[-1].tolist() == [49, round(49 * 1.2)]
