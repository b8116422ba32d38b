"""The pure metric on trajectories with a known answer."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from msi.constants import EPS, HOP, TARGET_MOUTH_WIDTH, WINDOW
from msi.errors import BadLandmarks, NoFace, TooShort
from msi.metrics.stability import (
    accelerations,
    msi_from_landmarks,
    mouth_width,
    normalise_scale,
    region_accelerations,
    window_starts,
    window_values,
)
from msi.metrics.resampling import resample
from msi.regions import IBUG68, MEDIAPIPE478, get_scheme


def face(T: int, scheme=MEDIAPIPE478, mouth=40.0, seed=0) -> np.ndarray:
    """A static face: random points, mouth corners `mouth` px apart."""
    rng = np.random.default_rng(seed)
    p = np.repeat(rng.uniform(0, 200, (1, scheme.n_points, 2)), T, axis=0)
    i, j = scheme.mouth_corners
    p[:, i] = (80.0, 120.0)
    p[:, j] = (80.0 + mouth, 120.0)
    return p


def reference_loop(points, lm_idx, corners, n_width, partial):
    """Straightforward loops over windows, landmarks and axes (the definition, written slowly)."""
    d = [np.hypot(*(points[t, corners[0]] - points[t, corners[1]])) for t in range(n_width)]
    p = points * (TARGET_MOUTH_WIDTH / np.mean(d))
    vel = p[1:] - p[:-1]
    acc = vel[1:] - vel[:-1]
    n = len(acc)
    starts = range(0, n, HOP) if partial else range(0, n - WINDOW + 1, HOP)
    vals = []
    for s in starts:
        per_axis = []
        for ax in (0, 1):
            per_axis.append(np.mean([1 / (np.var(acc[s : s + WINDOW, i, ax]) + EPS) for i in lm_idx]))
        vals.append(np.mean(per_axis))
    return float(np.mean(vals))


def test_constant_acceleration_gives_two():
    T = 80
    t = np.arange(T)[:, None, None]
    p = face(T) + 0.7 * t**2 + np.array([3.0, -2.0]) * t  # same acceleration everywhere
    r = msi_from_landmarks(p)
    assert r.msi_lip == pytest.approx(2.0, abs=1e-9)
    assert r.msi_jaw == pytest.approx(2.0, abs=1e-9)
    assert r.windows_used == len(window_starts(T - 2)) and r.windows_skipped == 0


def test_accelerations_second_difference():
    x = np.arange(10.0) ** 3
    a = accelerations(x[:, None, None])[:, 0, 0]
    assert np.allclose(a, 6 * np.arange(8) + 6)


@pytest.mark.parametrize("sigma", [0.3, 1.0, 3.0])
def test_white_noise_acceleration_expected_value(sigma):
    """Accelerations i.i.d. N(0, s^2) (after normalisation): the window variance is s^2 X / 12 with
    X ~ chi2(11), so E[m] = E[1 / (s^2 X / 12 + 0.5)], computed here by numerical integration."""
    rng = np.random.default_rng(1)
    T, scheme = 1202, MEDIAPIPE478
    base = face(T, mouth=TARGET_MOUTH_WIDTH)  # scale factor 1
    acc = rng.normal(0, sigma, (T - 2, scheme.n_points, 2))
    traj = np.zeros((T, scheme.n_points, 2))
    traj[2:] = np.cumsum(np.cumsum(acc, axis=0), axis=0)  # second difference == acc exactly
    i, j = scheme.mouth_corners
    traj[:, [i, j]] = 0  # keep the mouth width exact; corners are not in the regions' averages...
    p = base + traj
    p[:, [i, j]] += traj[:, [0]]  # ...but they are lip points: give them the same noise, width kept
    r = msi_from_landmarks(p)
    assert r.scale == pytest.approx(1.0)
    expected, _ = integrate.quad(lambda x: stats.chi2.pdf(x, WINDOW - 1) / (sigma**2 * x / WINDOW + EPS), 0, np.inf)
    assert r.msi_lip == pytest.approx(expected, rel=0.02)
    assert r.msi_jaw == pytest.approx(expected, rel=0.03)


def test_translation_and_drift_invariance():
    rng = np.random.default_rng(2)
    p = face(60) + rng.normal(0, 0.5, (60, 478, 2))
    a = msi_from_landmarks(p)
    t = np.arange(60)[:, None, None]
    b = msi_from_landmarks(p + np.array([123.0, -45.0]) + 2.5 * t)
    assert b.msi == pytest.approx(a.msi, rel=1e-10)


def test_scale_normalisation():
    rng = np.random.default_rng(3)
    p = face(60, mouth=20.0) + rng.normal(0, 0.2, (60, 478, 2))
    a = msi_from_landmarks(p)
    b = msi_from_landmarks(p * 3.7)  # same video, 3.7x the resolution
    assert b.msi == pytest.approx(a.msi, rel=1e-10)
    scaled, s = normalise_scale(p, MEDIAPIPE478.mouth_corners, 5)
    assert mouth_width(scaled, MEDIAPIPE478.mouth_corners, 5) == pytest.approx(TARGET_MOUTH_WIDTH)
    # and it matters: without normalisation the same motion scores differently
    c = msi_from_landmarks(p, normalise=False)
    assert abs(c.msi_lip - a.msi_lip) > 1e-3


def test_matches_slow_definition_both_modes():
    rng = np.random.default_rng(4)
    p = face(77) + rng.normal(0, 0.3, (77, 478, 2))
    for compat, partial in (("paper", False), ("reference", True)):
        r = msi_from_landmarks(p, compat=compat)
        assert r.msi_lip == pytest.approx(reference_loop(p, MEDIAPIPE478.lip, MEDIAPIPE478.mouth_corners, 5, partial), rel=1e-12)
        assert r.msi_jaw == pytest.approx(reference_loop(p, MEDIAPIPE478.jaw, MEDIAPIPE478.mouth_corners, 5, partial), rel=1e-12)


def test_nan_frames_skip_exactly_the_windows_they_touch():
    rng = np.random.default_rng(5)
    T = 100
    p = face(T) + rng.normal(0, 0.3, (T, 478, 2))
    clean = msi_from_landmarks(p)
    bad_frames = [40, 41, 77]
    q = p.copy()
    q[bad_frames] = np.nan
    r = msi_from_landmarks(q)
    starts = clean.window_starts
    touched = np.array([any(s <= f <= s + WINDOW + 1 for f in bad_frames) for s in starts])
    assert r.windows_skipped == touched.sum() > 0
    assert r.windows_used == (~touched).sum()
    # untouched windows keep exactly their values; touched ones are NaN
    assert np.array_equal(r.window_values["lip"][~touched], clean.window_values["lip"][~touched])
    assert np.isnan(r.window_values["lip"][touched]).all()
    assert r.msi_lip == pytest.approx(clean.window_values["lip"][~touched].mean(), rel=1e-12)


def test_reference_compat_differs_only_by_partial_windows():
    rng = np.random.default_rng(6)
    T = 71  # 69 accelerations: 10 full windows, then starts 60 and 66 are partial
    p = face(T) + rng.normal(0, 0.3, (T, 478, 2))
    paper = msi_from_landmarks(p, compat="paper")
    ref = msi_from_landmarks(p, compat="reference")
    k = len(paper.window_starts)
    assert np.array_equal(ref.window_starts[:k], paper.window_starts)
    assert np.array_equal(ref.window_values["lip"][:k], paper.window_values["lip"])
    assert (ref.window_lengths[k:] < WINDOW).all() and len(ref.window_starts) > k
    assert list(ref.window_starts[k:]) == list(range(paper.window_starts[-1] + HOP, T - 2, HOP))
    assert ref.msi_lip == pytest.approx(np.mean(ref.window_values["lip"]), rel=1e-12)
    assert ref.msi_lip != paper.msi_lip


def test_single_sample_partial_window_counts_as_two():
    # 13 accelerations with hop 6: starts 0, 6, 12; the last window has one sample (variance 0)
    p = face(15) + np.random.default_rng(7).normal(0, 1, (15, 478, 2))
    ref = msi_from_landmarks(p, compat="reference")
    assert ref.window_lengths[-1] == 1
    assert ref.window_values["lip"][-1] == pytest.approx(2.0)


def test_ibug_scheme_and_region_sets():
    p = face(40, scheme=IBUG68) + np.random.default_rng(8).normal(0, 0.3, (40, 68, 2))
    r = msi_from_landmarks(p, "ibug68")
    assert 0 < r.msi_lip <= 2 and 0 < r.msi_jaw <= 2
    assert get_scheme("ibug68").lip == tuple(range(48, 68))


def _mediapipe_contour(name: str) -> set[frozenset[int]]:
    """Edges of one of MediaPipe's face-mesh contours (``"LIPS"``, ``"FACE_OVAL"``), from the Tasks API
    (mediapipe >= 0.10) or, on older wheels, the legacy ``solutions`` module."""
    try:
        from mediapipe.tasks.python.vision import FaceLandmarksConnections

        return {frozenset((c.start, c.end)) for c in getattr(FaceLandmarksConnections, f"FACE_LANDMARKS_{name}")}
    except (ImportError, AttributeError):
        pass
    try:
        from mediapipe.python.solutions import face_mesh_connections
    except ImportError:
        pytest.skip("this mediapipe has neither tasks' FaceLandmarksConnections nor solutions.face_mesh_connections")
    return {frozenset(e) for e in getattr(face_mesh_connections, f"FACEMESH_{name}")}


def test_mediapipe_lip_set_is_every_lip_contour_point():
    lips = _mediapipe_contour("LIPS")
    assert set(MEDIAPIPE478.lip) == {i for e in lips for i in e}
    assert len(MEDIAPIPE478.lip) == len(set(MEDIAPIPE478.lip)) == 40
    assert set(MEDIAPIPE478.mouth_corners) <= set(MEDIAPIPE478.lip)


def test_mediapipe_jaw_is_the_lower_arc_of_the_face_oval():
    """The jaw is a contiguous stretch of MediaPipe's FACE_OVAL ring, centred on the chin (the ring
    point opposite the forehead top, 10): dropping the chin (152) breaks the chain, dropping an end
    breaks the symmetry."""
    from msi.regions import MP_FACE_OVAL, MP_JAW

    oval = _mediapipe_contour("FACE_OVAL")
    ring = list(MP_FACE_OVAL)
    # MP_FACE_OVAL is MediaPipe's ring, in order
    assert {frozenset(e) for e in zip(ring, ring[1:] + ring[:1])} == oval
    jaw = list(MEDIAPIPE478.jaw)
    assert jaw == list(MP_JAW) and len(set(jaw)) == len(jaw)
    assert all(frozenset(e) in oval for e in zip(jaw, jaw[1:])), "the jaw must follow the oval, point by point"
    chin = ring[(ring.index(10) + len(ring) // 2) % len(ring)]
    assert chin == 152 and jaw[len(jaw) // 2] == chin and len(jaw) % 2 == 1
    assert 10 not in jaw and len(jaw) < len(ring) // 2 + 1  # the lower arc only
    # the same check rejects a jaw without its chin point
    no_chin = [i for i in jaw if i != 152]
    assert not all(frozenset(e) in oval for e in zip(no_chin, no_chin[1:]))


def test_errors():
    with pytest.raises(TooShort):
        msi_from_landmarks(face(13))
    msi_from_landmarks(face(3), compat="reference")  # one partial window is enough there
    with pytest.raises(NoFace):
        msi_from_landmarks(np.full((30, 478, 2), np.nan))
    with pytest.raises(BadLandmarks, match="ibug68"):
        msi_from_landmarks(np.zeros((30, 68, 2)))
    with pytest.raises(BadLandmarks):
        msi_from_landmarks(np.zeros((30, 478)))
    with pytest.raises(BadLandmarks, match="mouth width 0"):
        msi_from_landmarks(np.zeros((30, 478, 2)))


def test_resample_exact_subsampling_and_nan():
    rng = np.random.default_rng(9)
    p = rng.normal(size=(101, 5, 2))
    q = resample(p, 50.0, 25.0)
    assert np.array_equal(q, p[::2])
    p[10] = np.nan
    r = resample(p, 30.0, 25.0)
    assert len(r) == int(100 / 30 * 25) + 1
    t_nan = np.flatnonzero(np.isnan(r[:, 0, 0]))
    assert len(t_nan) and all(abs(k / 25 * 30 - 10) < 1 for k in t_nan)


def test_region_accelerations_are_what_msi_inverts():
    rng = np.random.default_rng(11)
    p = face(90) + rng.normal(0, 0.4, (90, 478, 2))
    p[40] = np.nan
    acc = region_accelerations(p, 30.0)
    r = msi_from_landmarks(p)
    assert set(acc) == {"lip", "jaw"}
    for region, idx in (("lip", MEDIAPIPE478.lip), ("jaw", MEDIAPIPE478.jaw)):
        assert acc[region].shape == (88, len(idx), 2)
        assert np.isnan(acc[region][38:41]).all() and np.isfinite(acc[region][:38]).all()
        # the windowed 1 / (var + eps) of these accelerations is exactly MSI's timeline
        _, _, values = window_values(acc[region])
        np.testing.assert_array_equal(values, r.window_values[region])
    # scaled so the mouth (about 40 px here) is 64 px wide
    w = mouth_width(p, MEDIAPIPE478.mouth_corners)
    assert w == pytest.approx(40, abs=1)
    np.testing.assert_allclose(acc["lip"][:5], accelerations(p[:7, list(MEDIAPIPE478.lip)]) * 64 / w, atol=1e-12)
    # a given width (e.g. a reference clip's) instead of the measured one; no scaling at all
    np.testing.assert_allclose(region_accelerations(p, 30.0, width=2 * w)["lip"], acc["lip"] / 2, atol=1e-12)
    np.testing.assert_array_equal(region_accelerations(p, 30.0, normalise=False)["jaw"],
                                  accelerations(p[:, list(MEDIAPIPE478.jaw)]))
    # resampling happens first, and not at all at the same rate
    q = resample(p, 30.0, 25.0)
    np.testing.assert_array_equal(region_accelerations(p, 30.0, resample_fps=25)["lip"],
                                  region_accelerations(q, 25.0)["lip"])
    np.testing.assert_array_equal(region_accelerations(p, 30.0, resample_fps=30.0)["lip"], acc["lip"])
    with pytest.raises(BadLandmarks):
        region_accelerations(np.zeros((30, 68, 2)), 25.0)


def test_pure_module_imports_neither_mediapipe_nor_torch():
    import subprocess
    import sys

    code = ("import sys, msi.metrics.stability, msi.regions, msi.score; "
            "bad = [m for m in ('mediapipe', 'torch', 'cv2') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
